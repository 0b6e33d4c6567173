# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""add_node.yml and remove_node.yml on the site twin (issue #14; docs/nodes.md, "Adding and removing nodes").

The site twin of molecule/site_twin in namespaces of its own (``nsn-``, state in /run/netstack-nodes-twin), built
from the bundle of the whole inventory but with ``w3`` not racked yet (``up --skip-node w3``), its leaves converged by
``fabric.yml`` from the inventory without ``w3``. Then with the playbooks' fabric part (``--tags fabric``, apply
mode), each leaf's layer 2 reloaded as ifupdown2's ``ifreload -a`` does it (``site_twin.py ifreload --incremental``:
only the stanzas that changed are touched; the rolling test, tests/unit/test_fabric_rolling.py, proves the rollout
with every reload disruptive):

* add_node.yml -e node=w3: ``--check --diff`` shows w3's ports, bond and neighbors on r1-leaf1 and r1-leaf2 and
  changes nothing; the run changes exactly those two leaves, one after the other, touching only w3's bond there;
  a watcher sampling every 0.2 s from the racking of w3 until its speaker's sessions with both leaves are
  Established sees no other node's bond lose even a member and none of their BGP sessions leave Established; then
  every session of the site is Established and every node reaches every other;
* remove_node.yml -e node=w3 (w3 marked ``state: removed``): the same on the way out: only its two leaves change,
  one at a time, the other nodes' bonds and sessions stay up, its ports are shut with their description kept, its
  neighbors gone; fabric.yml over the whole fabric afterwards changes nothing (site.yml is safe to re-run).

Needs root, iproute2 and FRR (skipped otherwise); takes about three minutes.
"""
from __future__ import absolute_import, division, print_function

import json
import os
import shutil

import pytest
import yaml

from playbook_run import recap, run_playbook
from twin_session import INVENTORY, NEEDS_TWIN, PASSWORD, TwinSession

TWIN = TwinSession("/run/netstack-nodes-twin", "nsn-")
STATE, ENV = TWIN.state, TWIN.env
SWITCHES = ("r1-leaf1", "r1-leaf2", "r2-leaf1", "r2-leaf2")
W3 = {"rack": "r1", "index": 5, "install_disk": "/dev/nvme0n1",
      "uplinks": [{"switch": "r1-leaf1", "port": "swp3", "nic": "enp1s0f0"},
                  {"switch": "r1-leaf2", "port": "swp3", "nic": "enp1s0f1"}]}

pytestmark = NEEDS_TWIN

twin, reloads, clear_reloads, vtysh, healthy = TWIN.run, TWIN.reloads, TWIN.clear_reloads, TWIN.vtysh, TWIN.healthy


def overrides(path, **nodes):
    return TWIN.overrides(path, SWITCHES, **nodes)


def watcher():
    return TWIN.watcher("w3")


watched = TWIN.watched


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nodes")
    os.chmod(str(tmp), 0o755)
    twin("down", check=False)
    # the inventory before w3 is added: the same site without it
    before = tmp / "before"
    shutil.copytree(str(INVENTORY), str(before))
    hosts = yaml.safe_load((before / "hosts.yml").read_text())
    del hosts["all"]["children"]["netstack_nodes"]["children"]["netstack_workers"]["hosts"]["w3"]
    (before / "hosts.yml").write_text(yaml.safe_dump(hosts))
    bundle = tmp / "bundle"
    rc, out = run_playbook(["fabric.yml", "nodes.yml", "cluster_network.yml"], [INVENTORY], "-e",
                           "netstack_mode=render", "-e", "netstack_bundle_dir=%s" % bundle, **ENV)
    assert rc == 0, out[-3000:]
    try:
        twin("up", "--bundle", bundle, "--var=site_twin_bgp_password=%s" % PASSWORD, "--announce=w1=10.99.0.1/32",
             "--skip-node", "w3")
        rc, out = run_playbook("fabric.yml", [before, overrides(tmp / "leaves.yml")], "-e",
                               "netstack_bundle_dir=%s" % (tmp / "converge"), **ENV)
        assert rc == 0, out[-4000:]
        twin("speakers")
        healthy()
        yield tmp
    finally:
        twin("down", check=False)


def test_add_node_changes_only_its_leaves_and_keeps_the_others_up(site):
    assert "swp3" not in open(os.path.join(STATE, "r1-leaf1", "interfaces")).read()
    watch = watcher()                            # from racking w3 until its sessions are Established
    twin("add-node", "w3", "--var=site_twin_bgp_password=%s" % PASSWORD)
    inventory = [INVENTORY, overrides(site / "add.yml")]
    bundle = "netstack_bundle_dir=%s" % (site / "add")
    clear_reloads()

    rc, out = run_playbook("add_node.yml", inventory, "-e", "node=w3", "-e", bundle, "--tags", "fabric",
                           "--check", "--diff", **ENV)
    assert rc == 0, out[-4000:]
    assert "alias w3 enp1s0f0" in out and "neighbor 10.61.0.15 remote-as" in out, out[-4000:]
    assert reloads() == []
    assert "10.61.0.15" not in vtysh("r1-leaf1", "show running-config")
    assert sorted(recap(out)) == ["localhost", "r1-leaf1", "r1-leaf2"]

    rc, out = run_playbook("add_node.yml", inventory, "-e", "node=w3", "-e", bundle, "--tags", "fabric", **ENV)
    assert rc == 0, out[-4000:]
    assert sorted(recap(out)) == ["localhost", "r1-leaf1", "r1-leaf2"]     # no other switch is even contacted
    log = reloads()
    assert [r["switch"] for r in log] == ["r1-leaf1", "r1-leaf2"], log
    assert log[1]["start"] > log[0]["end"]                                # one of the pair at a time
    assert [r["touched"] for r in log] == [["bond5"], ["bond5"]], log    # w3's bond, nothing else
    running = vtysh("r1-leaf1", "show running-config")
    assert "neighbor 10.61.0.15 remote-as" in running
    twin("speakers", "--node", "w3")
    for leaf in ("r1-leaf1", "r1-leaf2"):
        assert TWIN.wait_established(leaf, "10.61.0.15") == "Established", vtysh(leaf, "show bgp summary")
    seen = watched(watch)
    assert seen["down"] == [] and seen["detached"] == 0, seen              # no other bond lost even a member
    assert seen["sessions_dropped"] == [] and seen["samples"] > 20, (seen, TWIN.resets(seen))
    assert sorted(seen["watched_sessions"]) == ["cp1", "cp2", "w1", "w2"] and all(seen["watched_sessions"].values())
    healthy()

    rc, out = run_playbook("add_node.yml", inventory, "-e", "node=w3", "-e", bundle, "--tags", "fabric", **ENV)
    assert rc == 0, out[-4000:]
    assert recap(out)["r1-leaf1"]["changed"] == 0 and recap(out)["r1-leaf2"]["changed"] == 0, out[-4000:]


def test_remove_node_shuts_its_ports_and_keeps_the_others_up(site):
    removed = dict(W3, state="removed")
    inventory = [INVENTORY, overrides(site / "remove.yml", w3=removed)]
    bundle = "netstack_bundle_dir=%s" % (site / "remove")
    clear_reloads()
    rc, out = run_playbook("remove_node.yml", inventory, "-e", "node=w3", "-e", bundle, "--tags", "fabric",
                           "--check", "--diff", **ENV)
    assert rc == 0, out[-4000:]
    assert "link-down yes" in out, out[-4000:]
    assert reloads() == []
    assert json.loads(vtysh("r1-leaf1", "show bgp ipv4 unicast summary json"))["peers"]["10.61.0.15"]["state"] \
        == "Established"

    watch = watcher()
    rc, out = run_playbook("remove_node.yml", inventory, "-e", "node=w3", "-e", bundle, "--tags", "fabric", **ENV)
    seen = watched(watch)
    assert rc == 0, out[-4000:]
    assert sorted(recap(out)) == ["localhost", "r1-leaf1", "r1-leaf2"]
    log = reloads()
    assert [r["switch"] for r in log] == ["r1-leaf1", "r1-leaf2"], log
    assert log[1]["start"] > log[0]["end"]
    assert [r["touched"] for r in log] == [["bond5"], ["bond5"]], log
    assert seen["down"] == [] and seen["detached"] == 0 and seen["sessions_dropped"] == [], (seen, TWIN.resets(seen))
    for leaf in ("r1-leaf1", "r1-leaf2"):
        text = open(os.path.join(STATE, leaf, "interfaces")).read()
        stanza = text.split("iface swp3\n", 1)[1].split("\n\n", 1)[0]
        assert "alias w3 enp1s0f" in stanza and "link-down yes" in stanza and "bridge" not in stanza, stanza
        assert "10.61.0.15" not in vtysh(leaf, "show running-config")
        assert "10.61.0.15" not in json.loads(vtysh(leaf, "show bgp ipv4 unicast summary json"))["peers"]
    # w3 is cut off: its bond has no path any more
    assert twin("check-node", "w3", "-t", "3", check=False).returncode != 0
    twin("retire-node", "w3")
    healthy()

    # the whole fabric afterwards, as site.yml runs it: nothing to change
    clear_reloads()
    rc, out = run_playbook("fabric.yml", inventory, "-e", "netstack_bundle_dir=%s" % (site / "after"), **ENV)
    assert rc == 0, out[-4000:]
    assert reloads() == []
    assert all(counts["changed"] == 0 for host, counts in recap(out).items() if host in SWITCHES), out[-4000:]
