# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""add_node.yml's node part (``--tags nodes``) for a Talos node, against the recording stand-in for talosctl of
test_nodes_talos_apply.py: a cluster of cp1 and w1 set up by nodes.yml, then w4 added to the inventory and
add_node.yml -e node=w4 run: only w4 is given a configuration (insecure, it is in maintenance mode), with the cluster's
secrets (not generated again) and no second etcd bootstrap; cp1 and w1 are not contacted; check mode applies nothing;
a second run changes nothing."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shutil

import yaml

from playbook_run import recap, run_playbook
from test_nodes_talos_apply import REPO, fake_talos

W4_ADDRESS = "10.10.0.17"


def test_add_node_configures_and_joins_only_the_new_talos_node(tmp_path):
    inventory = tmp_path / "inventory"
    shutil.copytree(str(REPO / "inventories" / "example"), str(inventory))
    hosts = yaml.safe_load((inventory / "hosts.yml").read_text())
    nodes = hosts["all"]["children"]["netstack_nodes"]["children"]
    w4 = nodes["netstack_workers"]["hosts"]["w4"]
    nodes["netstack_control_plane"]["hosts"] = {"cp1": nodes["netstack_control_plane"]["hosts"]["cp1"]}
    nodes["netstack_workers"]["hosts"] = {"w1": nodes["netstack_workers"]["hosts"]["w1"]}
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts))
    cluster = inventory / "group_vars" / "all" / "cluster.yml"
    cluster.write_text(cluster.read_text().replace("netstack_mode: render", "netstack_mode: apply")
                       + "netstack_bundle_dir: %s\n" % (tmp_path / "bundle"))
    env, state = fake_talos(tmp_path)

    rc, out = run_playbook("nodes.yml", [inventory], **env)
    assert rc == 0, out[-4000:]
    assert sorted(p.name for p in state.glob("*.applied")) == ["10.10.0.11.applied", "10.10.0.14.applied"]
    secrets = (inventory / "talos-secrets.vault.yaml").read_text()
    before = len((state / "calls.log").read_text().splitlines())

    # w4 racked and put into the inventory
    nodes["netstack_workers"]["hosts"]["w4"] = w4
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts))

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
