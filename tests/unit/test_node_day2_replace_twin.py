# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""replace_node.yml on the site twin (issue #14; docs/nodes.md, "Replacing a node").

The whole site twin of molecule/site_twin in namespaces of its own (``nsx-``, state in /run/netstack-replace-twin),
its leaves converged by ``fabric.yml``, every speaker up. Then ``w3``'s old machine fails and is taken out
(``site_twin.py unrack-node``: its cables go dark, the switch configuration stays); the inventory gets what the new
hardware changes, its NIC names (``ens2f0``/``ens2f1`` instead of ``enp1s0f0``/``enp1s0f1``, so new MACs too), and
replace_node.yml -e node=w3 runs in apply mode, everything but its Kubernetes part (``--skip-tags kubernetes``: that
part runs against a real API server in tests/integration/test_node_day2.py; talosctl is named as a command that does
not exist, so the Talos play stops after checking the node's documents, as without talosctl: test_node_day2_talos.py
covers that play with the talosctl stand-in):

* ``--check --diff`` shows the new descriptions of w3's ports and changes nothing;
* the run changes r1-leaf1, then r1-leaf2 (never both at once), whose reload touches no bridge port (only the
  ports' descriptions changed: w3's bond keeps its ports, VLANs and BGP neighbor);
* the new hardware racked (``add-node --bundle``: the node built from its newly rendered files, with the new NIC
  names), its speaker started: its sessions with both leaves are Established again and the whole site checks;
* a watcher sampling every 0.2 s from the old machine's failure to the end of replace_node.yml sees no other node's
  bond lose even a member and none of their BGP sessions leave Established;
* a second run changes nothing.

Needs root, iproute2 and FRR (skipped otherwise); takes about three minutes.
"""
from __future__ import absolute_import, division, print_function

import json
import os
import shutil
import subprocess

from playbook_run import recap, run_playbook
from twin_session import INVENTORY, NEEDS_TWIN, PASSWORD, TwinSession
from test_node_day2_twin import SWITCHES, W3

PREFIX = "nsx-"
TWIN = TwinSession("/run/netstack-replace-twin", PREFIX)
STATE, ENV = TWIN.state, TWIN.env
NEW_W3 = dict(W3, uplinks=[{"switch": "r1-leaf1", "port": "swp3", "nic": "ens2f0"},
                           {"switch": "r1-leaf2", "port": "swp3", "nic": "ens2f1"}])

pytestmark = NEEDS_TWIN


def test_replace_node_brings_the_new_hardware_back_and_keeps_the_others_up(tmp_path):
    os.chmod(str(tmp_path), 0o755)
    twin = TWIN.run
    twin("down", check=False)
    password = "--var=site_twin_bgp_password=%s" % PASSWORD
    try:
        bundle = tmp_path / "bundle"
        rc, out = run_playbook(["fabric.yml", "nodes.yml", "cluster_network.yml"], [INVENTORY], "-e",
                               "netstack_mode=render", "-e", "netstack_bundle_dir=%s" % bundle, **ENV)
        assert rc == 0, out[-3000:]
        twin("up", "--bundle", bundle, password, "--announce=w1=10.99.0.1/32")
        rc, out = run_playbook("fabric.yml", [INVENTORY, TWIN.overrides(tmp_path / "leaves.yml", SWITCHES)],
                               "-e", "netstack_bundle_dir=%s" % (tmp_path / "converge"), **ENV)
        assert rc == 0, out[-4000:]
        twin("speakers")
        TWIN.healthy()

        watch = TWIN.watcher("w3")                          # from the old machine's failure to the end of the playbook
        twin("unrack-node", "w3")                             # the old machine fails and is taken out
        # what the new hardware changes, in the inventory: its NIC names
        inventory = [INVENTORY, TWIN.overrides(tmp_path / "replace.yml", SWITCHES, w3=NEW_W3)]
        rendered = tmp_path / "new-bundle"
        rc, out = run_playbook(["fabric.yml", "nodes.yml", "cluster_network.yml"], inventory, "-e",
                               "netstack_mode=render", "-e", "netstack_bundle_dir=%s" % rendered, **ENV)
        assert rc == 0, out[-3000:]
        replace = ("replace_node.yml", inventory, "-e", "node=w3", "-e",
                   "netstack_bundle_dir=%s" % (tmp_path / "replace"), "--skip-tags", "kubernetes",
                   "-e", "talos_nodes_talosctl=netstack-no-talosctl")      # no talosctl, even where one is installed
        TWIN.clear_reloads()

        rc, out = run_playbook(*replace, "--check", "--diff", **ENV)
        assert rc == 0, out[-4000:]
        assert "alias w3 ens2f0" in out and "alias w3 enp1s0f0" in out, out[-4000:]     # the diff: old and new
        assert TWIN.reloads() == []
        assert "alias w3 enp1s0f0" in open(os.path.join(STATE, "r1-leaf1", "interfaces")).read()

        rc, out = run_playbook(*replace, **ENV)
        assert rc == 0, out[-4000:]
        assert sorted(recap(out)) == ["localhost", "r1-leaf1", "r1-leaf2", "w3"]   # no other switch, no other node
        log = TWIN.reloads()
        assert [r["switch"] for r in log] == ["r1-leaf1", "r1-leaf2"], log
        assert log[1]["start"] > log[0]["end"]                                    # one of the pair at a time
        assert [r["touched"] for r in log] == [[], []], log                      # descriptions only: no port moved
        for leaf, nic in (("r1-leaf1", "ens2f0"), ("r1-leaf2", "ens2f1")):
            stanza = open(os.path.join(STATE, leaf, "interfaces")).read().split("iface swp3\n", 1)[1].split("\n\n")[0]
            assert "alias w3 %s" % nic in stanza and "link-down" not in stanza, stanza
        # the others, watched from the old machine's failure to the end of the playbook. Not through the racking of
        # the new hardware (the twin's emulation, not ours): in two runs of make test of 2026-12-06, cp1 and w1 lost
        # sessions with "BFD down received" there (both leaves once, r1-leaf2 only once; cause not found), never in
        # the playbook's window nor alone.
        seen = TWIN.watched(watch)
        assert seen["down"] == [] and seen["detached"] == 0, seen                # no other bond lost even a member
        assert seen["sessions_dropped"] == [] and seen["samples"] > 20, (seen, TWIN.resets(seen))
        assert sorted(seen["watched_sessions"]) == ["cp1", "cp2", "w1", "w2"] and all(seen["watched_sessions"].values())

        # the new hardware racked, built from its own rendered files (new NIC names), its speaker started
        twin("add-node", "w3", "--bundle", rendered, password)
        links = json.loads(subprocess.run(
            ["ip", "-n", PREFIX + "w3", "-j", "link", "show"], stdout=subprocess.PIPE,
            universal_newlines=True, check=True).stdout)
        names = set(link["ifname"] for link in links)
        assert {"ens2f0", "ens2f1"} <= names and not names & {"enp1s0f0", "enp1s0f1"}, names
        twin("speakers", "--node", "w3")
        TWIN.healthy()
        for leaf in ("r1-leaf1", "r1-leaf2"):
            assert TWIN.wait_established(leaf, "10.61.0.15") == "Established", TWIN.vtysh(leaf, "show bgp summary")

        TWIN.clear_reloads()
        rc, out = run_playbook(*replace, **ENV)
        assert rc == 0, out[-4000:]
        assert TWIN.reloads() == []
        assert all(recap(out)[leaf]["changed"] == 0 for leaf in ("r1-leaf1", "r1-leaf2")), out[-4000:]
    finally:
        twin("down", check=False)
        shutil.rmtree(STATE, ignore_errors=True)
