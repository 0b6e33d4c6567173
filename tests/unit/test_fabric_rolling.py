# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rolling fabric changes on the site twin (docs/fabric.md, "Rolling changes"; docs/twin.md).

The site twin of molecule/site_twin (4 FRR leaves in 2 racks, 5 bonded nodes with BGP speakers) is built in
namespaces of its own (``nsr-``, state in /run/netstack-rolling-twin: never the molecule scenario's), converged
with ``playbooks/fabric.yml`` in apply mode, and then changed again with every leaf's reload made disruptive
(``site_twin.py ifreload --settle 2``: the leaf's ports leave its VLANs for 2 s, as during a real reload):

* one at a time keeps every node's bond up: a watcher sampling every node's bond members through the whole run
  never sees a node with no member attached, though it sees members go away (the reloads did disrupt), while two
  leaves of a rack reloaded together take their nodes' bonds down (the watcher can see it);
* each leaf of phase 2 is reloaded only after its phase-1 peer is back: when its reload starts, every session of
  the peer is Established again;
* a change that leaves a port down fails its switch after the wait, and that switch's peer is left unchanged while
  the other rack rolls on;
* an unreachable leaf fails before anything changes, and its peer is left unchanged.

Needs root, iproute2 and FRR (skipped otherwise); takes about three minutes.
"""
from __future__ import absolute_import, division, print_function

import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import pytest

from playbook_run import recap, run_playbook, host_overrides

REPO = pathlib.Path(__file__).resolve().parents[2]
SITE_TWIN = REPO / "tests" / "twin" / "site_twin.py"
INVENTORY = REPO / "molecule" / "site_twin" / "inventory"
STATE = "/run/netstack-rolling-twin"
PREFIX = "nsr-"
ENV = {"NETSTACK_SITE_TWIN_STATE": STATE, "NETSTACK_SITE_TWIN_PREFIX": PREFIX}
PASSWORD = "netstack-site-twin-only"
SWITCHES = ("r1-leaf1", "r1-leaf2", "r2-leaf1", "r2-leaf2")
PHASE = {"r1-leaf1": 1, "r2-leaf1": 1, "r1-leaf2": 2, "r2-leaf2": 2}
PEER = {"r1-leaf1": "r1-leaf2", "r1-leaf2": "r1-leaf1", "r2-leaf1": "r2-leaf2", "r2-leaf2": "r2-leaf1"}

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("ip") or not os.path.exists("/usr/lib/frr/bgpd"),
    reason="needs root, iproute2 and FRR (apt-get install frr frr-pythontools)")


def twin(*args, check=True):
    result = subprocess.run([sys.executable, str(SITE_TWIN)] + [str(a) for a in args], env=dict(os.environ, **ENV),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    if check:
        assert result.returncode == 0, result.stdout
    return result


def reloads():
    path = os.path.join(STATE, "reloads.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def force_reload(switches=SWITCHES):
    """A change on every given leaf: its interfaces file is gone, so the role writes it and reloads."""
    for switch in switches:
        path = os.path.join(STATE, switch, "interfaces")
        if os.path.exists(path):
            os.remove(path)
    if os.path.exists(os.path.join(STATE, "reloads.jsonl")):
        os.remove(os.path.join(STATE, "reloads.jsonl"))


def leaf_vars(switch, leave_down=(), **extra):
    reload_argv = [sys.executable, str(SITE_TWIN), "ifreload", "--settle", "2"]
    for port in leave_down:
        reload_argv += ["--leave-down", port]
    directory = os.path.join(STATE, switch)
    values = {"fabric_frr_confdir": directory, "fabric_frr_vty_socket": directory,
              "fabric_linux_interfaces_path": directory + "/interfaces",
              "fabric_linux_interfaces_reload": reload_argv + [switch, directory + "/interfaces"],
              "fabric_rollout_retries": 30, "fabric_rollout_delay": 2}
    values.update(extra)
    return values


def apply(tmp_path, name, **per_switch):
    """fabric.yml in apply mode on the twin's leaves; ``per_switch`` overrides a leaf's variables."""
    hosts = {s: leaf_vars(s, **per_switch.get(s, {})) for s in SWITCHES}
    overrides = host_overrides(tmp_path / ("%s.yml" % name), hosts)
    return run_playbook("fabric.yml", [INVENTORY, overrides], "-e", "netstack_bundle_dir=%s" % (tmp_path / name),
                        **ENV)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rolling")
    os.chmod(str(tmp), 0o755)
    twin("down", check=False)
    bundle = tmp / "bundle"
    rc, out = run_playbook(["fabric.yml", "nodes.yml", "cluster_network.yml"], [INVENTORY], "-e",
                           "netstack_mode=render", "-e", "netstack_bundle_dir=%s" % bundle, **ENV)
    assert rc == 0, out[-3000:]
    try:
        twin("up", "--bundle", bundle, "--var=site_twin_bgp_password=%s" % PASSWORD, "--announce=w1=10.99.0.1/32")
        rc, out = apply(tmp, "converge")
        assert rc == 0, out[-4000:]
        twin("speakers")
        check = twin("check", "-t", "120", check=False)
        assert check.returncode == 0, check.stdout
        yield tmp
    finally:
        twin("down", check=False)


def wait_healthy(timeout=150):
    result = twin("check", "-t", str(timeout), check=False)
    assert result.returncode == 0, result.stdout


def test_one_switch_of_a_pair_at_a_time_keeps_every_bond_up(site):
    # the watcher can see a bond go down: both leaves of rack 1 reloaded together
    watcher = subprocess.Popen([sys.executable, str(SITE_TWIN), "watch-bonds"], env=dict(os.environ, **ENV),
                               stdout=subprocess.PIPE, universal_newlines=True)
    time.sleep(0.5)
    together = [subprocess.Popen([sys.executable, str(SITE_TWIN), "ifreload", "--settle", "2", s,
                                  os.path.join(STATE, s, "interfaces")], env=dict(os.environ, **ENV),
                                 stdout=subprocess.DEVNULL) for s in ("r1-leaf1", "r1-leaf2")]
    assert [p.wait() for p in together] == [0, 0]
    watcher.terminate()
    seen = json.loads(watcher.communicate()[0])
    assert {d["node"] for d in seen["down"]} == {"cp1", "w1", "w3"}, seen
    wait_healthy()

    # the same disruption rolled by fabric.yml: never a node without a member
    force_reload()
    watcher = subprocess.Popen([sys.executable, str(SITE_TWIN), "watch-bonds"], env=dict(os.environ, **ENV),
                               stdout=subprocess.PIPE, universal_newlines=True)
    rc, out = apply(site, "rolling")
    watcher.terminate()
    seen = json.loads(watcher.communicate()[0])
    assert rc == 0, out[-4000:]
    assert seen["down"] == [], seen
    assert seen["detached"] > 0 and seen["samples"] > 50, seen      # the reloads did take members away
    log = {r["switch"]: r for r in reloads()}
    assert sorted(log) == list(SWITCHES), log
    for switch in ("r1-leaf2", "r2-leaf2"):
        peer = log[PEER[switch]]
        # phase 2 starts after its peer's reload ended and its sessions came back
        assert log[switch]["start"] > peer["end"], (switch, log)
        states = log[switch]["peers"][PEER[switch]]
        assert states and set(states.values()) == {"Established"}, (switch, states)
    assert "3 of 3 BGP sessions Established" in out                 # the role's own reading, before and after
    wait_healthy()


def test_a_change_that_breaks_a_switch_leaves_its_peer_unchanged(site):
    force_reload()
    rc, out = apply(site, "broken", **{"r1-leaf1": {"leave_down": ["swp2"], "fabric_rollout_retries": 4}})
    assert rc != 0
    assert "port swp2 was up before the change and is down now" in out, out[-4000:]
    assert "r1-leaf2 is left unchanged: its redundant peer r1-leaf1 failed" in out, out[-4000:]
    assert sorted(r["switch"] for r in reloads()) == ["r1-leaf1", "r2-leaf1", "r2-leaf2"]
    counts = recap(out)
    assert counts["r1-leaf1"]["failed"] == 1 and counts["r1-leaf2"]["failed"] == 1
    assert counts["r2-leaf1"]["failed"] == 0 and counts["r2-leaf2"]["failed"] == 0
    # mended: the next run changes r1-leaf1 back and then r1-leaf2
    rc, out = apply(site, "mended")
    assert rc == 0, out[-4000:]
    assert sorted(r["switch"] for r in reloads()) == list(SWITCHES)
    wait_healthy()


def test_an_unreachable_switch_stops_its_pair_before_anything_changes(site):
    force_reload()
    down = {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 9}
    rc, out = apply(site, "unreachable", **{"r2-leaf2": down})
    assert rc != 0
    counts = recap(out)
    assert counts["r2-leaf2"]["unreachable"] == 1, out[-4000:]
    assert "r2-leaf1 is left unchanged: its redundant peer r2-leaf2 failed or was unreachable" in out, out[-4000:]
    assert sorted(r["switch"] for r in reloads()) == ["r1-leaf1", "r1-leaf2"]
    rc, out = apply(site, "reachable")
    assert rc == 0, out[-4000:]
    wait_healthy()
