# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One test file's site twin (tests/twin/site_twin.py) in namespaces and a state directory of its own: the day-2
twin tests (test_node_day2_twin.py, test_rack_day2_twin.py, test_node_day2_replace_twin.py) drive it through this."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
SITE_TWIN = REPO / "tests" / "twin" / "site_twin.py"
INVENTORY = REPO / "molecule" / "site_twin" / "inventory"
PASSWORD = "netstack-site-twin-only"
# what a twin test module needs: ``pytestmark = NEEDS_TWIN``
NEEDS_TWIN = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("ip") or not os.path.exists("/usr/lib/frr/bgpd"),
    reason="needs root, iproute2 and FRR (apt-get install frr frr-pythontools)")


class TwinSession:
    """``site_twin.py`` with state directory ``state`` and namespace prefix ``prefix``; ``env`` is what a playbook run
    needs to reach the same twin."""

    def __init__(self, state, prefix):
        self.state = state
        self.env = {"NETSTACK_SITE_TWIN_STATE": state, "NETSTACK_SITE_TWIN_PREFIX": prefix}

    def run(self, *args, check=True):
        result = subprocess.run([sys.executable, str(SITE_TWIN)] + [str(a) for a in args],
                                env=dict(os.environ, **self.env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                universal_newlines=True, check=False)
        if check:
            assert result.returncode == 0, result.stdout
        return result

    def reloads(self):
        """The switches' layer-2 reloads logged since ``clear_reloads`` (``ifreload``), in order."""
        path = os.path.join(self.state, "reloads.jsonl")
        if not os.path.exists(path):
            return []
        with open(path) as handle:
            return [json.loads(line) for line in handle if line.strip()]

    def clear_reloads(self):
        if os.path.exists(os.path.join(self.state, "reloads.jsonl")):
            os.remove(os.path.join(self.state, "reloads.jsonl"))

    def leaf_vars(self, switch):
        """The fabric role's variables that point a twin leaf at this twin (incremental reloads, as ifreload -a)."""
        directory = os.path.join(self.state, switch)
        return {"fabric_frr_confdir": directory, "fabric_frr_vty_socket": directory,
                "fabric_linux_interfaces_path": directory + "/interfaces",
                "fabric_linux_interfaces_reload": [sys.executable, str(SITE_TWIN), "ifreload", "--incremental",
                                                   switch, directory + "/interfaces"],
                "fabric_rollout_retries": 30, "fabric_rollout_delay": 2}

    def overrides(self, path, switches, **nodes):
        """An extra inventory: ``switches`` pointed at this twin, ``nodes`` given these ``netstack_node``s."""
        hosts = dict((s, self.leaf_vars(s)) for s in switches)
        hosts.update((name, {"netstack_node": node}) for name, node in nodes.items())
        path.write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
        return path

    def vtysh(self, host, command):
        return subprocess.run(["vtysh", "--vty_socket", os.path.join(self.state, host), "-c", command],
                              stdout=subprocess.PIPE, universal_newlines=True, check=False).stdout

    def peers(self, host):
        """``{peer address: state}`` of the host's BGP sessions."""
        return dict((address, peer["state"]) for address, peer in json.loads(
            self.vtysh(host, "show bgp ipv4 unicast summary json") or "{}").get("peers", {}).items())

    def resets(self, seen):
        """``{node: {peer: why FRR last reset the session}}`` for the sessions a watcher saw dropped (the reason to
        read when one did: BFD down, hold timer expired, peer closed)."""
        out = {}
        # one read per session: the watcher lists a dropped session once per sample it was seen down
        for node, address in sorted({(drop["node"], drop["peer"]) for drop in seen["sessions_dropped"]}):
            neighbors = json.loads(self.vtysh(node, "show bgp neighbors %s json" % address) or "{}")
            peer = neighbors.get(address, {})
            out.setdefault(node, {})[address] = [peer.get("lastResetDueTo"), peer.get("lastResetTimerMsecs")]
        return out

    def wait_established(self, host, address, timeout=60):
        """The state of the host's session with ``address`` once Established, or the last one seen after ``timeout``
        seconds. On a loaded machine a session that had just come up was seen Idle right after the site check passed
        (reset once, cause not found): a node that was just started is judged once it settled."""
        deadline = time.time() + timeout
        while True:
            state = self.peers(host).get(address)
            if state == "Established" or time.time() > deadline:
                return state
            time.sleep(1)

    def watcher(self, *ignore):
        """``watch-bonds --sessions`` started: every node's bond and BGP sessions but ``ignore``'s, every 0.2 s."""
        argv = [sys.executable, str(SITE_TWIN), "watch-bonds", "--sessions", "--interval", "0.2"]
        for node in ignore:
            argv += ["--ignore", node]
        return subprocess.Popen(argv, env=dict(os.environ, **self.env), stdout=subprocess.PIPE,
                                universal_newlines=True)

    @staticmethod
    def watched(proc):
        proc.terminate()
        return json.loads(proc.communicate()[0])

    def healthy(self, timeout=150):
        result = self.run("check", "-t", str(timeout), check=False)
        assert result.returncode == 0, result.stdout
