# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Persistence on an FRR switch, against a real FRR: playbooks/fabric.yml in apply mode on the lab's tor1.

The switch is FRR (zebra, bgpd, bfdd) run directly in a network namespace this test creates (``nsp-<pid>``, with
one bridge per VLAN, as tests/twin/twin.py builds the twin), its config directory and vty sockets in
``/run/netstack-persist-<pid>``. The inventory is inventories/lab with its addresses moved to 198.51.100.0/24 and
203.0.113.0/24, and no node: the sessions stay down, which changes nothing in the configuration.

It shows what issue 12 asks: the previous frr.conf (with a password, which must not reach the bundle) lands in
``<bundle>/backups/tor1/<timestamp>/``; a restart of the daemons that boots from frr.conf (``vtysh -b``, what
frrinit.sh does; the reboot stand-in) brings back the applied configuration; a second run changes nothing and
does not write frr.conf again. Needs root, iproute2 and FRR with frr-reload.py (Debian: frr, frr-pythontools).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import shutil
import subprocess
import sys
import time

import pytest
import yaml

from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core

import inventory_loader
from playbook_run import host_overrides, recap, run_playbook

sys.path.insert(0, str(inventory_loader.REPO / "tests" / "twin"))
import twin  # noqa: E402  (one way to run FRR daemons in a namespace: tests/twin/twin.py)

REPO = inventory_loader.REPO
FRR = twin.FRR
DAEMONS = twin.DAEMONS
OLD_SECRET = "old-secret-not-for-the-bundle"
# the lab's addresses, moved into the documentation ranges
ADDRESSES = {"10.77.0.": "198.51.100.", "10.78.0.0/24": "203.0.113.0/25", "10.79.0.0/28": "203.0.113.128/28",
             "10.255.0.1": "203.0.113.254"}
# what the switch booted with before the run: a session the plan does not have, with a password
PREVIOUS = ("router bgp 65101\n bgp router-id 203.0.113.254\n neighbor 198.51.100.99 remote-as 65099\n"
            " neighbor 198.51.100.99 password %s\nexit\n" % OLD_SECRET)


def _missing():
    if os.geteuid() != 0:
        return "needs root (network namespace, FRR daemons)"
    for path in [os.path.join(FRR, d) for d in DAEMONS] + [os.path.join(FRR, "frr-reload.py")]:
        if not os.path.exists(path):
            return "FRR is not installed (%s missing; apt-get install frr frr-pythontools)" % path
    for tool in ("vtysh", "ip"):
        if shutil.which(tool) is None:
            return "%s is not installed" % tool
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


def run(argv, **kwargs):
    return subprocess.run(argv, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, **kwargs).stdout


class Switch(object):
    """FRR in its own namespace; stopped and removed by ``close`` whatever state ``open`` reached."""

    def __init__(self, suffix=""):
        self.ns = "nsp-%d%s" % (os.getpid(), suffix)
        self.dir = "/run/netstack-persist-%d%s" % (os.getpid(), suffix)
        self.ns_created = False

    def open(self, vlans, previous=PREVIOUS):
        os.makedirs(self.dir)
        os.chmod(self.dir, 0o755)
        shutil.chown(self.dir, "frr", "frr")
        open(os.path.join(self.dir, "vtysh.conf"), "w").close()     # vtysh --config_dir reads it
        run(["ip", "netns", "add", self.ns])
        self.ns_created = True
        run(["ip", "-n", self.ns, "link", "set", "lo", "up"])
        for vid in vlans:
            run(["ip", "-n", self.ns, "link", "add", "vlan%d" % vid, "type", "bridge"])
            run(["ip", "-n", self.ns, "link", "set", "vlan%d" % vid, "up"])
        if previous is not None:
            self.write("frr.conf", previous)
        self.start()

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as handle:
            handle.write(text)
        os.chmod(path, 0o640)
        shutil.chown(path, "frr", "frr")

    def start(self):
        """Start the daemons empty, then load frr.conf as a boot does (``vtysh -b``)."""
        twin.start_daemons(self.ns, self.dir, DAEMONS)
        if os.path.exists(os.path.join(self.dir, "frr.conf")):
            run(["vtysh", "--vty_socket", self.dir, "--config_dir", self.dir, "-b"])

    def stop(self):
        twin.stop_daemons(self.dir, DAEMONS)

    def running_config(self):
        return run(["vtysh", "--vty_socket", self.dir, "--config_dir", self.dir, "-c", "show running-config"])

    def close(self):
        if os.path.isdir(self.dir):
            self.stop()
        if self.ns_created:
            subprocess.run(["ip", "netns", "delete", self.ns], check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


def lab_inventory(tmp_path):
    """inventories/lab, addresses moved to the documentation ranges."""
    target = tmp_path / "lab"
    shutil.copytree(str(REPO / "inventories" / "lab"), str(target))
    for path in glob.glob(str(target / "**" / "*.yml"), recursive=True):
        text = open(path).read()
        for old, new in ADDRESSES.items():
            text = text.replace(old, new)
        with open(path, "w") as handle:
            handle.write(text)
    return target


def apply_lab(tmp_path, inventory, switch):
    overrides = host_overrides(tmp_path / "switch.yml", {"tor1": {
        "ansible_connection": "local", "fabric_frr_confdir": switch.dir, "fabric_frr_vty_socket": switch.dir,
        "fabric_linux_interfaces": "none"}})
    rc, output = run_playbook("fabric.yml", [inventory, overrides], "--limit", "localhost,tor1", "-v",
                              "-e", "netstack_bundle_dir=%s" % (tmp_path / "bundle"))
    assert rc == 0, output[-6000:]
    return output


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("frr_persist")
    inventory = lab_inventory(tmp_path)
    the_plan = plan_core.build_plan(*inventory_loader.load_inventory(inventory))
    switch = Switch()
    try:
        switch.open(sorted(v["id"] for v in the_plan["vlans"]))

        def apply():
            return apply_lab(tmp_path, inventory, switch)

        runs = {"first": apply(), "first_backups": sorted(glob.glob(str(tmp_path / "bundle" / "backups" / "*" / "*")))}
        frr_conf = os.path.join(switch.dir, "frr.conf")
        saved = open(frr_conf).read()
        # the reboot stand-in: every daemon stops, starts empty and boots from frr.conf
        switch.stop()
        switch.start()
        runs["after_restart"] = switch.running_config()
        stat = os.stat(frr_conf)
        time.sleep(1.1)         # the second run's backup gets its own timestamp (one a second)
        runs["second"] = apply()
        runs["frr_conf_rewritten"] = (os.stat(frr_conf).st_mtime_ns, os.stat(frr_conf).st_ino) != (
            stat.st_mtime_ns, stat.st_ino) or open(frr_conf).read() != saved
        runs.update(plan=the_plan, bundle=tmp_path / "bundle", saved=saved)
        yield runs
    finally:
        switch.close()


def test_the_previous_frr_conf_is_backed_up_with_its_password_masked(lab):
    backups = lab["first_backups"]
    assert len(backups) == 1 and backups[0].startswith(str(lab["bundle"] / "backups" / "tor1") + "/")
    assert os.path.basename(backups[0])[8] == "T" and backups[0].endswith("Z")
    text = open(os.path.join(backups[0], "frr.conf")).read()
    assert "neighbor 198.51.100.99 remote-as 65099" in text
    assert "neighbor 198.51.100.99 password <masked" in text
    assert OLD_SECRET not in text and OLD_SECRET not in lab["first"]
    assert os.listdir(backups[0]) == ["frr.conf"]          # fabric_linux_interfaces none: no interfaces file
    assert recap(lab["first"])["tor1"]["changed"] > 0


def test_a_restart_brings_back_the_applied_configuration(lab):
    running = lab["after_restart"]
    neighbors = lab["plan"]["bgp"]["switches"]["tor1"]["neighbors"]
    assert neighbors
    for n in neighbors:
        assert "neighbor %s remote-as %d" % (n["peer_address"], n["remote_asn"]) in running, running
    assert "198.51.100.99" not in running         # the reload removed what the plan does not have
    assert "neighbor 198.51.100.99" not in lab["saved"]


def test_a_second_run_changes_nothing_and_saves_nothing(lab):
    assert recap(lab["second"])["tor1"]["changed"] == 0, lab["second"][-3000:]
    assert not lab["frr_conf_rewritten"]
    # it still backs up (the configuration it found, now the plan's), in a directory of its own
    backups = sorted(glob.glob(str(lab["bundle"] / "backups" / "tor1" / "*")))
    assert len(backups) == 2
    text = open(os.path.join(backups[1], "frr.conf")).read()
    secret = yaml.safe_load((REPO / "inventories" / "lab" / "group_vars" / "all" / "secrets.yml").read_text())
    assert secret["lab_bgp_password"] not in text and "password <masked" in text


def test_a_switch_without_frr_conf_is_configured_with_nothing_to_back_up(tmp_path):
    """A switch configured for the first time (the network twin's case): no frr.conf to back up is no failure."""
    inventory = lab_inventory(tmp_path)
    the_plan = plan_core.build_plan(*inventory_loader.load_inventory(inventory))
    switch = Switch("-new")
    try:
        switch.open(sorted(v["id"] for v in the_plan["vlans"]), previous=None)
        output = apply_lab(tmp_path, inventory, switch)
        assert recap(output)["tor1"]["changed"] > 0
        assert os.path.exists(os.path.join(switch.dir, "frr.conf"))
        # the run's backup directory exists and holds nothing: there was nothing to keep
        backups = glob.glob(str(tmp_path / "bundle" / "backups" / "tor1" / "*"))
        assert len(backups) == 1 and os.listdir(backups[0]) == []
    finally:
        switch.close()
