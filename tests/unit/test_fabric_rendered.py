# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/fabric.yml in render mode: the vendors' modules run with state: rendered, offline, in-process.

The example inventory plus a fourth rack of Junos switches (the example has none) is rendered into a
temporary bundle; every switch's ``fabric/<switch>.cfg`` is checked against the plan, byte for byte against what
the fabric role's own tasks produce when each module runs as an Ansible task with state: rendered
(tests/fixtures/fabric_render_with_modules.yml, the path before the in-process renderer), and against its golden
file in tests/unit/golden/fabric/rendered/ (regenerate after an intended change, then review):

    NETSTACK_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/unit/test_fabric_rendered.py

Needs ncclient, xmltodict and jxmlease (requirements-dev.txt) for Junos. About a minute on 2 cores.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import xml.etree.ElementTree as ET

import pytest
import yaml

from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core

import inventory_loader
from playbook_run import recap, run_playbook

REPO = inventory_loader.REPO
GOLDEN = REPO / "tests" / "unit" / "golden" / "fabric" / "rendered"
SECRET = "example-only-not-secret"
NC = "{urn:ietf:params:xml:ns:netconf:base:1.0}"


def make_inventory(target):
    shutil.copytree(str(REPO / "inventories" / "example"), str(target))
    hosts = yaml.safe_load((target / "hosts.yml").read_text())
    children = hosts["all"]["children"]
    children["netstack_nodes"]["children"]["netstack_workers"]["hosts"]["w7"] = {"netstack_node": {
        "rack": "r4", "index": 10, "uplinks": [{"switch": "r4-leaf1", "port": "xe-0/0/1", "nic": "enp1s0f0"},
                                               {"switch": "r4-leaf2", "port": "xe-0/0/1", "nic": "enp1s0f1"}]}}
    children["netstack_switches"]["children"]["netstack_switches_junos"] = {"hosts": {
        "r4-leaf%d" % i: {"ansible_network_os": "junipernetworks.junos.junos",
                          "netstack_switch": {"rack": "r4", "index": i, "router_id": "10.255.4.%d" % i}}
        for i in (1, 2)}}
    (target / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    fabric_vars = target / "group_vars" / "all" / "fabric.yml"
    group_vars = yaml.safe_load(fabric_vars.read_text())
    # an MC-LAG pair like the example's racks: the Junos domain lines are rendered too
    group_vars["netstack_fabric"]["racks"].append({"name": "r4", "index": 4, "mlag": {"domain_id": 4, "switches": [
        {"switch": "r4-leaf%d" % i, "peer_link_ports": ["xe-0/0/46", "xe-0/0/47"],
         "keepalive_address": "192.168.1.4%d/24" % i} for i in (1, 2)]}})
    fabric_vars.write_text(yaml.safe_dump(group_vars, sort_keys=False))
    return target


def playbook(inventory, bundle, *extra):
    rc, output = run_playbook("fabric.yml", [inventory], "-e", "netstack_bundle_dir=%s" % bundle, *extra)
    assert rc == 0, output[-6000:]
    return output


def render_with_modules(inventory, target):
    """Every switch's .cfg as the role's tasks render it, one Ansible task per module: ``{switch: text}``."""
    (target / "fabric").mkdir(parents=True)
    rc, output = run_playbook(str(REPO / "tests" / "fixtures" / "fabric_render_with_modules.yml"), [inventory],
                              "-e", "render_check_dir=%s" % target, "-e", "netstack_bundle_dir=%s" % target)
    assert rc == 0, output[-6000:]
    return {p.stem: p.read_text() for p in (target / "fabric").glob("*.cfg")}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    base = tmp_path_factory.mktemp("fabric_rendered")
    inventory = make_inventory(base / "inventory")
    bundle = base / "bundle"
    first = playbook(inventory, bundle)
    second = playbook(inventory, bundle, "--limit", "localhost,r1-leaf1,r2-leaf1,r4-leaf1,r3-leaf1")
    the_plan = plan_core.build_plan(*inventory_loader.load_inventory(inventory))
    cfgs = {p.stem: p.read_text() for p in (bundle / "fabric").glob("*.cfg")}
    return {"plan": the_plan, "cfgs": cfgs, "first": first, "second": second, "bundle": bundle,
            "inventory": inventory, "base": base}


def sessions(plan, host):
    return [s for s in plan["bgp"]["sessions"] if s["switch"] == host]


def svis(plan, host):
    return ["%s/%d" % (v["switches"][host], v["prefix_length"]) for v in plan["vlans"] if host in v["switches"]]


def test_every_switch_has_a_rendered_config_and_no_secret(rendered):
    assert sorted(rendered["cfgs"]) == sorted(rendered["plan"]["switches"])
    for host, text in rendered["cfgs"].items():
        assert SECRET not in text, host
        assert "vault_netstack_bgp_password" in text.splitlines()[1]
    for path in (rendered["bundle"] / "fabric").rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(), path


def test_a_second_render_changes_nothing(rendered):
    # rendered module output is stable from run to run (the helper's fixed hash seed; this run's differs)
    counts = recap(rendered["second"])
    assert counts["localhost"]["changed"] == 0, rendered["second"][-3000:]
    assert {host: c["changed"] for host, c in counts.items() if host != "localhost"} == dict(
        (host, 0) for host in ("r1-leaf1", "r2-leaf1", "r3-leaf1", "r4-leaf1")), rendered["second"][-3000:]


def test_in_process_render_is_byte_identical_to_the_modules_run_as_tasks(rendered):
    by_tasks = render_with_modules(rendered["inventory"], rendered["base"] / "by_tasks")
    assert sorted(by_tasks) == sorted(rendered["cfgs"])
    for host, text in sorted(rendered["cfgs"].items()):
        assert by_tasks[host] == text, host


@pytest.mark.parametrize("host", ["r1-leaf1", "r1-leaf2"])
def test_eos_rendered_against_the_plan(rendered, host):
    text = rendered["cfgs"][host]
    plan = rendered["plan"]
    lines = text.splitlines()
    asn = plan["bgp"]["switches"][host]["asn"]
    assert "router bgp %d" % asn in lines
    for s in sessions(plan, host):
        assert "neighbor %s remote-as %d" % (s["node_address"], s["node_asn"]) in lines
        assert "neighbor %s route-map NETSTACK-FROM-NODES in" % s["node_address"] in lines
        assert "neighbor %s route-map NETSTACK-TO-NODES out" % s["node_address"] in lines
        assert "neighbor %s timers 3 9" % s["node_address"] in lines
        assert "neighbor %s bfd" % s["node_address"] in lines
    for address in svis(plan, host):
        assert "ip address %s" % address in lines
    assert "seq 10 permit 10.30.0.64/26 eq 32" in lines and "seq 20 permit 10.40.0.0/25 eq 32" in lines
    for lag in plan["fabric"]["switches"][host]["lags"]:
        assert "channel-group %d mode active" % lag["id"] in lines
        assert "   mlag %d" % lag["mlag"] in lines
    assert "switchport trunk native vlan 10" in lines and "switchport trunk allowed vlan 10,20" in lines
    assert "maximum-paths 3" in lines


@pytest.mark.parametrize("host", ["r2-leaf1", "r2-leaf2"])
def test_nxos_rendered_against_the_plan(rendered, host):
    text = rendered["cfgs"][host]
    plan = rendered["plan"]
    asn = plan["bgp"]["switches"][host]["asn"]
    assert "\nrouter bgp %d\n" % asn in text
    for s in sessions(plan, host):
        assert "neighbor %s\nremote-as %d\nbfd\ndescription %s\ntimers 3 9\n" % (
            s["node_address"], s["node_asn"], s["node"]) in text
        assert "neighbor %s\naddress-family ipv4 unicast\nroute-map NETSTACK-FROM-NODES in\n" \
               "route-map NETSTACK-TO-NODES out\n" % s["node_address"] in text
    for address in svis(plan, host):
        assert "\nip address %s\n" % address in text
    assert "ip prefix-list NETSTACK-LB-POOLS seq 10 permit 10.30.0.64/26 ge 32 le 32" in text
    assert text.index("feature bgp") < text.index("router bgp")
    assert "      ip 10.10.0.1" in text                        # HSRP: the shared gateway


@pytest.mark.parametrize("host", ["r4-leaf1", "r4-leaf2"])
def test_junos_rendered_against_the_plan(rendered, host):
    text = rendered["cfgs"][host]
    plan = rendered["plan"]
    xml = {}
    for line in text.splitlines():
        if line.startswith("<nc:"):
            root = ET.fromstring(line)
            xml[root.tag.replace(NC, "")] = xml.get(root.tag.replace(NC, ""), []) + [root]
    protocols = xml["protocols"][0]
    group = protocols.find("%sbgp/%sgroup" % (NC, NC))
    assert group.findtext(NC + "name") == "NETSTACK-NODES"
    assert group.findtext(NC + "export") == "NETSTACK-TO-NODES"
    neighbors = [(n.findtext(NC + "name"), n.findtext(NC + "peer-as")) for n in group.findall(NC + "neighbor")]
    assert neighbors == [(s["node_address"], str(s["node_asn"])) for s in sessions(plan, host)]
    options = xml["routing-options"][0]
    assert options.findtext(NC + "autonomous-system") == str(plan["bgp"]["switches"][host]["asn"])
    addresses = [a.text for root in xml["interfaces"] for a in root.iter(NC + "name") if a.text and "/" in a.text
                 and not a.text.startswith(("xe-", "et-", "ge-"))]
    for address in svis(plan, host):
        assert address in addresses
    vlans = {v.findtext(NC + "name"): v.findtext(NC + "vlan-id") for v in xml["vlans"][0]}
    assert vlans == {"nodes": "10", "storage": "20", "external": "30", "NETSTACK-ICCP": "4094"}
    assert ("set policy-options policy-statement NETSTACK-FROM-NODES term seq-10 from route-filter 10.30.0.64/26 "
            "prefix-length-range /32-/32") in text


def _peer(plan, host):
    """(this switch's, the peer's) entries of the rack's MLAG domain in the plan."""
    domain = plan["mlag"][plan["switches"][host]["rack"]]
    me = next(s for s in domain["switches"] if s["name"] == host)
    return domain, me, next(s for s in domain["switches"] if s["name"] != host)


@pytest.mark.parametrize("host", ["r1-leaf1", "r1-leaf2"])
def test_eos_mlag_domain_and_peer_link(rendered, host):
    domain, me, peer = _peer(rendered["plan"], host)
    text = rendered["cfgs"][host]
    assert ("mlag configuration\n   domain-id %d\n   local-interface Vlan4094\n   peer-address %s\n"
            "   peer-address heartbeat %s\n   peer-link Port-Channel2000\n"
            % (domain["domain_id"], peer["peer_address"], peer["keepalive_address"])) in text
    assert "interface Vlan4094\nip address %s/30\n" % me["peer_address"] in text
    for port in me["peer_link_ports"]:
        assert "interface %s\nchannel-group 2000 mode active\n" % port in text
    # a trunk with no allowed list: every VLAN; the peer VLAN only there (trunk group), without spanning tree
    assert "interface Port-Channel2000\nswitchport mode trunk\n! ---" in text
    assert "vlan 4094\n   trunk group NETSTACK-MLAG-PEER\ninterface Port-Channel2000\n" \
           "   switchport trunk group NETSTACK-MLAG-PEER\nno spanning-tree vlan-id 4094\n" in text


@pytest.mark.parametrize("host", ["r2-leaf1", "r2-leaf2"])
def test_nxos_vpc_domain_and_peer_link(rendered, host):
    domain, me, peer = _peer(rendered["plan"], host)
    text = rendered["cfgs"][host]
    assert "vpc domain %d\n   role priority %d\n   peer-keepalive destination %s source %s vrf management\n" % (
        domain["domain_id"], me["priority"], peer["keepalive_address"], me["keepalive_address"]) in text
    # the domain comes before any "vpc" line that needs it
    assert text.index("feature vpc") < text.index("vpc domain") < text.index("vpc peer-link") < text.index("   vpc 2")
    assert "interface port-channel2000\n   spanning-tree port type network\n   vpc peer-link\n" in text
    for port in me["peer_link_ports"]:
        assert "interface %s\nchannel-group 2000 mode active\n" % port in text


@pytest.mark.parametrize("host", ["r4-leaf1", "r4-leaf2"])
def test_junos_mc_lag(rendered, host):
    domain, me, peer = _peer(rendered["plan"], host)
    text = rendered["cfgs"][host]
    first = domain["switches"][0]["name"] == host
    lines = text.splitlines()
    assert "set protocols iccp local-ip-addr %s" % me["peer_address"] in lines
    assert "set protocols iccp peer %s redundancy-group-id-list 4" % peer["peer_address"] in lines
    assert "set protocols iccp peer %s backup-liveness-detection backup-peer-ip %s" % (
        peer["peer_address"], peer["keepalive_address"]) in lines
    assert "set multi-chassis multi-chassis-protection %s interface ae2000" % peer["peer_address"] in lines
    options = "set interfaces ae10 aggregated-ether-options "
    # equal on both switches: one LACP partner; different: chassis id and status control
    for line in ("lacp system-id 44:38:39:ff:00:04", "lacp admin-key 10", "mc-ae mc-ae-id 10",
                 "mc-ae redundancy-group 4", "mc-ae mode active-active",
                 "mc-ae chassis-id %d" % (0 if first else 1),
                 "mc-ae status-control %s" % ("active" if first else "standby")):
        assert options + line in lines
    assert "<nc:unit><nc:name>4094</nc:name><nc:family><nc:inet><nc:address><nc:name>%s/30</nc:name>" % (
        me["peer_address"]) in text
    assert ("<nc:name>ae2000</nc:name><nc:unit><nc:name>0</nc:name><nc:family><nc:ethernet-switching>"
            "<nc:interface-mode>trunk</nc:interface-mode><nc:vlan><nc:members>nodes</nc:members><nc:members>"
            "storage</nc:members><nc:members>external</nc:members><nc:members>NETSTACK-ICCP</nc:members>") in text


def test_sonic_payload_is_written(rendered):
    text = rendered["cfgs"]["r3-leaf1"]
    plan = rendered["plan"]
    assert "# --- sonic_bgp_neighbors (no rendered state: the merged payload)" in text
    for s in sessions(plan, "r3-leaf1"):
        assert "- neighbor: %s" % s["node_address"] in text
    # sonic_mclag after the L3 interfaces (the session source is the peer VLAN's address), before VRRP
    assert text.index("# --- sonic_l3_interfaces") < text.index("# --- sonic_mclag") < text.index("# --- sonic_vrrp")


def test_rendered_golden_files(rendered):
    if os.environ.get("NETSTACK_REGEN_GOLDEN"):
        if GOLDEN.exists():
            shutil.rmtree(str(GOLDEN))
        GOLDEN.mkdir(parents=True)
        for host, text in rendered["cfgs"].items():
            (GOLDEN / ("%s.cfg" % host)).write_text(text)
    on_disk = {p.stem: p.read_text() for p in GOLDEN.glob("*.cfg")}
    assert sorted(on_disk) == sorted(rendered["cfgs"])
    for host, text in rendered["cfgs"].items():
        assert on_disk[host] == text, "%s.cfg differs from its golden file (see the module docstring)" % host
