# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""add_node.yml's and add_rack.yml's node part (``--tags nodes``) for Talos nodes, against the recording stand-in for
talosctl of test_nodes_talos_apply.py: a cluster of cp1 and w1 set up by nodes.yml, then w4 added to the inventory and
add_node.yml -e node=w4 run: only w4 is given a configuration (insecure, it is in maintenance mode), with the cluster's
secrets (not generated again) and no second etcd bootstrap; cp1 and w1 are not contacted; check mode applies nothing;
a second run changes nothing. The same for rack r2 of the example (cp2, w2, w5) added to a cluster of racks r1 and r3
by add_rack.yml -e rack=r2: only its nodes are configured, its control plane first and alone."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shutil

import yaml

from playbook_run import recap, run_playbook
from test_nodes_talos_apply import REPO, fake_talos

W4_ADDRESS = "10.10.0.17"
RACK_R2 = {"cp2": "10.10.0.12", "w2": "10.10.0.15", "w5": "10.10.0.18"}    # the example's rack r2


def _talos_cluster(tmp_path, nodes_kept):
    """The example inventory in apply mode with only ``nodes_kept`` (by group), the recording talosctl on PATH, and
    nodes.yml run on it: ``(inventory, hosts, the removed nodes by group, env, talosctl state)``."""
    inventory = tmp_path / "inventory"
    shutil.copytree(str(REPO / "inventories" / "example"), str(inventory))
    hosts = yaml.safe_load((inventory / "hosts.yml").read_text())
    groups = hosts["all"]["children"]["netstack_nodes"]["children"]
    left_out = {}
    for group in ("netstack_control_plane", "netstack_workers"):
        members = groups[group]["hosts"]
        left_out[group] = dict((n, v) for n, v in members.items() if n not in nodes_kept)
        groups[group]["hosts"] = dict((n, v) for n, v in members.items() if n in nodes_kept)
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts))
    cluster = inventory / "group_vars" / "all" / "cluster.yml"
    cluster.write_text(cluster.read_text().replace("netstack_mode: render", "netstack_mode: apply")
                       + "netstack_bundle_dir: %s\n" % (tmp_path / "bundle"))
    env, state = fake_talos(tmp_path)
    rc, out = run_playbook("nodes.yml", [inventory], **env)
    assert rc == 0, out[-4000:]
    return inventory, hosts, left_out, env, state


def _rack_back(inventory, hosts, left_out, names):
    """Put ``names`` (left out by ``_talos_cluster``) back into the inventory."""
    groups = hosts["all"]["children"]["netstack_nodes"]["children"]
    for group, members in left_out.items():
        groups[group]["hosts"].update((n, v) for n, v in members.items() if n in names)
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts))


def test_add_node_configures_and_joins_only_the_new_talos_node(tmp_path):
    inventory, hosts, left_out, env, state = _talos_cluster(tmp_path, ("cp1", "w1"))
    assert sorted(p.name for p in state.glob("*.applied")) == ["10.10.0.11.applied", "10.10.0.14.applied"]
    secrets = (inventory / "talos-secrets.vault.yaml").read_text()
    before = len((state / "calls.log").read_text().splitlines())

    _rack_back(inventory, hosts, left_out, ["w4"])        # w4 racked and put into the inventory

    rc, out = run_playbook("add_node.yml", [inventory], "-e", "node=w4", "--tags", "nodes", "--check", **env)
    assert rc == 0, out[-4000:]
    assert not (state / ("%s.applied" % W4_ADDRESS)).exists()

    rc, out = run_playbook("add_node.yml", [inventory], "-e", "node=w4", "--tags", "nodes", **env)
    assert rc == 0, out[-4000:]
    assert sorted(recap(out)) == ["localhost", "w4"]                        # no switch, no other node
    assert (state / ("%s.applied" % W4_ADDRESS)).exists()
    calls = (state / "calls.log").read_text().splitlines()[before:]
    applies = [c for c in calls if "apply-config" in c and "--dry-run" not in c]
    assert applies and all("--nodes %s" % W4_ADDRESS in c and "--insecure" in c for c in applies), applies
    assert not any("--nodes 10.10.0.11" in c or "--nodes 10.10.0.14" in c for c in calls if "apply-config" in c)
    assert not any("gen secrets" in c for c in calls)                        # the cluster's secrets, not new ones
    assert not any(c.endswith("bootstrap") for c in calls)                   # etcd is bootstrapped once, by cp1
    assert (inventory / "talos-secrets.vault.yaml").read_text() == secrets
    config = (state / ("%s.applied" % W4_ADDRESS)).read_text()
    assert "w4" in config and "# with secrets" in config

    rc, out = run_playbook("add_node.yml", [inventory], "-e", "node=w4", "--tags", "nodes", **env)
    assert rc == 0, out[-4000:]
    assert recap(out)["w4"]["changed"] == 0, out[-4000:]


def test_add_rack_configures_and_joins_only_the_racks_talos_nodes(tmp_path):
    inventory, hosts, left_out, env, state = _talos_cluster(tmp_path, ("cp1", "cp3", "w1", "w3", "w4", "w6"))
    secrets = (inventory / "talos-secrets.vault.yaml").read_text()
    before = len((state / "calls.log").read_text().splitlines())
    _rack_back(inventory, hosts, left_out, RACK_R2)        # rack r2's nodes racked and put into the inventory

    rc, out = run_playbook("add_rack.yml", [inventory], "-e", "rack=r2", "--tags", "nodes", "--check", **env)
    assert rc == 0, out[-4000:]
    assert not any((state / ("%s.applied" % address)).exists() for address in RACK_R2.values())

    rc, out = run_playbook("add_rack.yml", [inventory], "-e", "rack=r2", "--tags", "nodes", **env)
    assert rc == 0, out[-4000:]
    assert sorted(recap(out)) == sorted(["localhost"] + list(RACK_R2))       # no switch, no other node
    calls = (state / "calls.log").read_text().splitlines()[before:]
    applies = [c for c in calls if "apply-config" in c and "--dry-run" not in c]
    assert sorted(set(c.split("--nodes ")[1].split()[0] for c in applies)) == sorted(RACK_R2.values()), applies
    assert all("--insecure" in c for c in applies)
    assert not any(c.endswith("bootstrap") for c in calls)                   # etcd is bootstrapped once, by cp1
    assert not any("gen secrets" in c for c in calls)
    assert (inventory / "talos-secrets.vault.yaml").read_text() == secrets
    # the control plane first, alone (serial 1), then the workers
    order = [c.split("--nodes ")[1].split()[0] for c in applies]
    assert order[0] == RACK_R2["cp2"] and RACK_R2["cp2"] not in order[1:], order

    rc, out = run_playbook("add_rack.yml", [inventory], "-e", "rack=r2", "--tags", "nodes", **env)
    assert rc == 0, out[-4000:]
    assert all(recap(out)[node]["changed"] == 0 for node in RACK_R2), out[-4000:]
