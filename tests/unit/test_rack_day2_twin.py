# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""add_rack.yml on the site twin (issue #14; docs/nodes.md, "Adding a rack").

The site twin of molecule/site_twin in namespaces of its own (``nsk-``, state in /run/netstack-rack-twin): every host
of the whole inventory racked and cabled (``up`` from the bundle of the whole inventory), but only rack r1 configured:
its leaves converged by ``fabric.yml`` from the inventory without rack r2 (no r2 entry in ``netstack_fabric.racks``,
no r2 switch, no r2 node), its nodes' speakers started. Rack r2 is what a new rack is on the day it arrives: its
leaves run FRR with an empty configuration and no layer 2, its nodes (cp2, w2) are cabled and up but reach nothing.
Then add_rack.yml -e rack=r2, fabric part (``--tags fabric``, apply mode; each leaf's layer 2 reloaded as
``ifreload -a`` does it, ``site_twin.py ifreload --incremental``):

* ``--check --diff`` shows r2's ports, bonds and neighbors and changes nothing (no reload, no neighbor in FRR);
* the run contacts r2-leaf1 and r2-leaf2 only (the plan finds no other switch whose configuration the rack changes),
  one after the other, each configured from its rendered files (its interfaces file is the bundle's, every neighbor
  of its rendered frr.conf is in its running configuration);
* r2's speakers started: a watcher sampling every 0.2 s from the playbook's start until their sessions are
  Established sees no bond of r1's nodes lose even a member and none of their BGP sessions leave Established; then
  every session of the site is Established and every node reaches every other (``site_twin.py check``); a second
  run changes nothing.

Needs root, iproute2 and FRR (skipped otherwise); takes about four minutes.
"""
from __future__ import absolute_import, division, print_function

import os
import re
import shutil
import time

import pytest
import yaml

from playbook_run import recap, run_playbook
from twin_session import INVENTORY, NEEDS_TWIN, PASSWORD, TwinSession

TWIN = TwinSession("/run/netstack-rack-twin", "nsk-")
RACK_SWITCHES = ("r2-leaf1", "r2-leaf2")
OLD_SWITCHES = ("r1-leaf1", "r1-leaf2")
NEW_NODES = {"cp2": "10.61.0.12", "w2": "10.61.0.14"}
OLD_NODES = ("cp1", "w1", "w3")

pytestmark = NEEDS_TWIN


def without_rack_r2(directory):
    """A copy of the twin's inventory as it was before rack r2: no rack entry, no switch, no node of r2."""
    shutil.copytree(str(INVENTORY), str(directory))
    hosts_file = directory / "hosts.yml"
    hosts = yaml.safe_load(hosts_file.read_text())
    groups = hosts["all"]["children"]
    for group in ("netstack_control_plane", "netstack_workers"):
        members = groups["netstack_nodes"]["children"][group]["hosts"]
        for name in [n for n, v in members.items() if v["netstack_node"]["rack"] == "r2"]:
            del members[name]
    frr = groups["netstack_switches"]["children"]["netstack_switches_frr"]["hosts"]
    for name in RACK_SWITCHES:
        del frr[name]
    hosts_file.write_text(yaml.safe_dump(hosts))
    site_file = directory / "group_vars" / "all" / "site.yml"
    site = yaml.safe_load(site_file.read_text())
    site["netstack_fabric"]["racks"] = [r for r in site["netstack_fabric"]["racks"] if r["name"] != "r2"]
    site_file.write_text(yaml.safe_dump(site))
    return directory


def wait_established(switches, count, timeout=150):
    """Every one of ``switches`` has ``count`` BGP sessions, all Established (``site_twin.py check`` would also want
    the unconfigured rack's)."""
    deadline = time.time() + timeout
    while True:
        states = dict((s, TWIN.peers(s)) for s in switches)
        if all(len(p) == count and set(p.values()) == {"Established"} for p in states.values()):
            return
        assert time.time() < deadline, states
        time.sleep(1)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rack")
    os.chmod(str(tmp), 0o755)
    TWIN.run("down", check=False)
    before = without_rack_r2(tmp / "before")
    bundle = tmp / "bundle"
    rc, out = run_playbook(["fabric.yml", "nodes.yml", "cluster_network.yml"], [INVENTORY], "-e",
                           "netstack_mode=render", "-e", "netstack_bundle_dir=%s" % bundle, **TWIN.env)
    assert rc == 0, out[-3000:]
    try:
        TWIN.run("up", "--bundle", bundle, "--var=site_twin_bgp_password=%s" % PASSWORD,
                 "--announce=w1=10.99.0.1/32")
        rc, out = run_playbook("fabric.yml", [before, TWIN.overrides(tmp / "r1.yml", OLD_SWITCHES)], "-e",
                               "netstack_bundle_dir=%s" % (tmp / "converge"), **TWIN.env)
        assert rc == 0, out[-4000:]
        assert sorted(h for h in recap(out) if h != "localhost") == list(OLD_SWITCHES)
        TWIN.run("speakers", *["--node=%s" % n for n in OLD_NODES])
        wait_established(OLD_SWITCHES, len(OLD_NODES))
        yield tmp
    finally:
        TWIN.run("down", check=False)


def neighbor_lines(text):
    return sorted(set(re.findall(r"neighbor \S+ remote-as \d+", text)))


def test_add_rack_configures_its_switches_and_keeps_the_other_rack_up(site):
    for switch in RACK_SWITCHES:
        assert not os.path.exists(os.path.join(TWIN.state, switch, "interfaces"))
        assert TWIN.peers(switch) == {}
    inventory = [INVENTORY, TWIN.overrides(site / "all.yml", OLD_SWITCHES + RACK_SWITCHES)]
    bundle = site / "add"
    args = ["-e", "rack=r2", "-e", "netstack_bundle_dir=%s" % bundle, "--tags", "fabric"]
    TWIN.clear_reloads()

    rc, out = run_playbook("add_rack.yml", inventory, *(args + ["--check", "--diff"]), **TWIN.env)
    assert rc == 0, out[-4000:]
    assert sorted(recap(out)) == ["localhost"] + list(RACK_SWITCHES), out[-4000:]
    for node, address in NEW_NODES.items():
        assert "alias %s enp1s0f0" % node in out and "neighbor %s remote-as" % address in out, out[-4000:]
    assert TWIN.reloads() == []
    assert not os.path.exists(os.path.join(TWIN.state, "r2-leaf1", "interfaces"))
    assert neighbor_lines(TWIN.vtysh("r2-leaf1", "show running-config")) == []

    watch = TWIN.watcher(*NEW_NODES)
    rc, out = run_playbook("add_rack.yml", inventory, *args, **TWIN.env)
    assert rc == 0, out[-4000:]
    assert sorted(recap(out)) == ["localhost"] + list(RACK_SWITCHES)     # no other switch is even contacted
    log = TWIN.reloads()
    assert [r["switch"] for r in log] == list(RACK_SWITCHES), log
    assert log[1]["start"] > log[0]["end"]                                # one of the pair at a time
    for switch in RACK_SWITCHES:
        # configured from its rendered files: the bundle's interfaces file, the bundle's neighbors
        rendered = (bundle / "fabric" / ("%s.interfaces" % switch)).read_text()
        with open(os.path.join(TWIN.state, switch, "interfaces")) as handle:
            assert handle.read() == rendered
        wanted = neighbor_lines((bundle / "fabric" / ("%s.frr.conf" % switch)).read_text())
        assert len(wanted) == len(NEW_NODES)
        assert neighbor_lines(TWIN.vtysh(switch, "show running-config")) == wanted
    assert sorted(p.name for p in (bundle / "fabric").iterdir()) == sorted(
        "%s.%s" % (s, ext) for s in RACK_SWITCHES for ext in ("frr.conf", "interfaces", "yml"))

    TWIN.run("speakers", *["--node=%s" % n for n in NEW_NODES])
    for switch in RACK_SWITCHES:
        for address in NEW_NODES.values():
            assert TWIN.wait_established(switch, address) == "Established", TWIN.vtysh(switch, "show bgp summary")
    seen = TWIN.watched(watch)                     # from the playbook's start until the new rack's sessions are up
    assert seen["down"] == [] and seen["detached"] == 0, seen              # r1's bonds never lost a member
    assert seen["sessions_dropped"] == [] and seen["samples"] > 20, (seen, TWIN.resets(seen))
    assert sorted(seen["watched_sessions"]) == sorted(OLD_NODES) and all(seen["watched_sessions"].values()), seen
    TWIN.healthy()
    for switch in RACK_SWITCHES:
        assert TWIN.peers(switch) == dict((address, "Established") for address in NEW_NODES.values())

    TWIN.clear_reloads()
    rc, out = run_playbook("add_rack.yml", inventory, *args, **TWIN.env)
    assert rc == 0, out[-4000:]
    assert all(recap(out)[s]["changed"] == 0 for s in RACK_SWITCHES), out[-4000:]
    assert TWIN.reloads() == []
