# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/verify.yml on Junos and Enterprise SONiC switches.

* The readback parsers against Junos ``| display json`` documents (every leaf wrapped as
  ``[{"data": ...}]``) and SONiC's OpenConfig BGP neighbors, compared with the lab plan.
* End to end for SONiC: verify.yml in apply mode against the RESTCONF recorder, one recorder per SONiC
  switch of the example inventory, serving neighbor state generated from the plan (so it cannot drift
  from it): all Established passes and prints the table, one Idle session fails naming its node.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

import pytest

from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core
from ansible_collections.netstack.baremetal.plugins.module_utils.fabric import readback
from ansible_collections.netstack.baremetal.plugins.module_utils.schema import PLATFORMS

import inventory_loader
from playbook_run import host_overrides, recap, run_playbook
from restconf_recorder import RestconfRecorder

REPO = inventory_loader.REPO
NEIGHBORS = ("/restconf/data/openconfig-network-instance:network-instances/network-instance=default"
             "/protocols/protocol=BGP,bgp/bgp/neighbors")


@pytest.fixture(scope="module")
def lab():
    """tor1 (ASN 65101) with sessions to n1-n3 (10.77.0.11-13); pool 10.79.0.0/28."""
    return plan_core.build_plan(*inventory_loader.load_inventory(REPO / "inventories" / "lab"))


@pytest.fixture(scope="module")
def example():
    return plan_core.build_plan(*inventory_loader.load_inventory(REPO / "inventories" / "example"))


# --- Junos: `show bgp summary | display json`, `show route protocol bgp table inet.0 | display json`

def leaf(value):
    return [{"data": str(value)}]


def junos_peer(address, state, received=None, asn=65001):
    peer = {"peer-address": leaf(address), "peer-as": leaf(asn), "input-messages": leaf(120),
            "output-messages": leaf(118), "route-queue-count": leaf(0), "flap-count": leaf(0),
            "elapsed-time": [{"data": "1:02", "attributes": {"junos:seconds": "62"}}], "peer-state": leaf(state)}
    if received is not None:          # Junos lists the RIBs of a peer only once it is Established
        peer["bgp-rib"] = [{"name": leaf("inet.0"), "active-prefix-count": leaf(received),
                            "received-prefix-count": leaf(received), "accepted-prefix-count": leaf(received),
                            "suppressed-prefix-count": leaf(0)}]
    return peer


def junos_summary(*peers):
    return {"bgp-information": [{
        "attributes": {"xmlns": "http://xml.juniper.net/junos/23.4R1/junos-routing"},
        "group-count": leaf(1), "peer-count": leaf(len(peers)), "down-peer-count": leaf(0),
        "bgp-rib": [{"name": leaf("inet.0"), "total-prefix-count": leaf(4), "active-prefix-count": leaf(3)}],
        "bgp-peer": list(peers)}]}


def junos_entry(hops, active):
    return {"active-tag": leaf("*") if active else [{}],
            "current-active": [{"data": [None]}], "last-active": [{"data": [None]}],
            "protocol-name": leaf("BGP"), "preference": leaf(170), "local-preference": leaf(100),
            "as-path": leaf("65001 I"), "validation-state": leaf("unverified"),
            "nh": [{"selected-next-hop": [{"data": [None]}], "to": leaf(h), "via": leaf("irb.10")} for h in hops]}


def junos_route(prefix, hops, detail=False):
    """A multipath route: the active entry lists every path used, each peer's own entry follows."""
    rt = {"attributes": {"junos:style": "detail" if detail else "brief"},
          "rt-destination": leaf(prefix.split("/")[0] if detail else prefix),
          "rt-entry": [junos_entry(hops, True)] + [junos_entry([h], False) for h in hops[1:]]}
    if detail:
        rt["rt-prefix-length"] = leaf(prefix.split("/")[1])
    return rt


def junos_routes(*rts, **tables):
    route_tables = [{"table-name": leaf("inet.0"), "destination-count": leaf(len(rts)), "rt": list(rts)}]
    for name, more in tables.items():
        route_tables.append({"table-name": leaf(name.replace("_", ".")), "rt": list(more)})
    return {"route-information": [{"attributes": {"xmlns": "http://xml.juniper.net/junos/23.4R1/junos-routing"},
                                   "route-table": route_tables}]}


def test_junos_leaves_unwrap():
    node = {"a": leaf("x"), "flag": [{"data": [None]}], "tag": [{}], "n": [{"data": "3", "attributes": {}}]}
    assert readback.junos_leaf(node, "a") == "x"
    assert readback.junos_leaf(node, "n") == "3"
    assert readback.junos_leaf(node, "flag", "unset") == "unset"
    assert readback.junos_leaf(node, "tag") is None
    assert readback.junos_leaf(node, "missing", 0) == 0


def test_junos_summary_established_and_idle(lab):
    summary = junos_summary(junos_peer("10.77.0.11", "Established", 2), junos_peer("10.77.0.12", "Idle"),
                            junos_peer("10.77.0.13+179", "Established", 1))
    rows = readback.bgp_rows(lab, "tor1", summary)
    assert [(r["node"], r["state"], r["established"], r["prefixes_received"]) for r in rows] == [
        ("n1", "Established", True, 2), ("n2", "Idle", False, 0), ("n3", "Established", True, 1)]
    report = readback.bgp_report(lab, "tor1", summary, routes=junos_routes())
    assert report["problems"] == ["tor1: session with n2 (10.77.0.12) is Idle"]
    assert report["notes"] == []
    assert report["table"][0].split() == ["tor1", "n1", "10.77.0.11", "65001", "Established", "2"]


def test_junos_summary_missing_peer_and_other_ribs(lab):
    peer = junos_peer("10.77.0.11", "Established", 5)
    peer["bgp-rib"].insert(0, {"name": leaf("inet6.0"), "received-prefix-count": leaf(9)})
    rows = readback.bgp_rows(lab, "tor1", junos_summary(peer))
    assert [(r["state"], r["prefixes_received"]) for r in rows] == [
        ("Established", 5), ("missing", 0), ("missing", 0)]


def test_junos_routes_multipath_policy_and_expected_paths(lab):
    routes = junos_routes(
        junos_route("10.79.0.1/32", ["10.77.0.11", "10.77.0.12", "10.77.0.13"]),
        junos_route("10.79.0.2/32", ["10.77.0.11", "10.77.0.12"], detail=True),
        junos_route("10.99.0.1/32", ["10.77.0.13"]),                 # outside the pool
        junos_route("10.79.0.0/29", ["10.77.0.12"]),                 # inside the pool, not a /32
        inet6_0=[junos_route("2001:db8::1/128", ["10.77.0.11"])])
    learned = readback.received_routes(routes)
    assert learned == {"10.79.0.1/32": ["10.77.0.11", "10.77.0.12", "10.77.0.13"],
                       "10.79.0.2/32": ["10.77.0.11", "10.77.0.12"],
                       "10.99.0.1/32": ["10.77.0.13"], "10.79.0.0/29": ["10.77.0.12"]}
    summary = junos_summary(*[junos_peer("10.77.0.1%d" % i, "Established", 2) for i in (1, 2, 3)])
    report = readback.bgp_report(lab, "tor1", summary, routes=routes,
                                 expect={"10.79.0.1/32": 3, "10.79.0.2/32": 3})
    assert report["problems"] == [
        "tor1: 10.79.0.0/29 learned from 10.77.0.12 is outside the load-balancer pools",
        "tor1: 10.99.0.1/32 learned from 10.77.0.13 is outside the load-balancer pools",
        "tor1: 10.79.0.2/32 has 2 path(s), expected 3"]


def test_junos_routes_count_only_the_active_entry():
    rt = junos_route("10.79.0.1/32", ["10.77.0.11", "10.77.0.12"])
    rt["rt-entry"][0]["active-tag"] = [{}]          # nothing active: the prefix is not installed
    assert readback.received_routes(junos_routes(rt)) == {}
    assert readback.received_routes(junos_routes()) == {}


# --- SONiC: GET .../protocols/protocol=BGP,bgp/bgp/neighbors (openconfig-network-instance)

def sonic_neighbor(address, state, received=0, asn=65001, bare_afi=False):
    afi = "IPV4_UNICAST" if bare_afi else "openconfig-bgp-types:IPV4_UNICAST"
    return {
        "neighbor-address": address,
        "config": {"neighbor-address": address, "peer-as": asn, "enabled": True},
        "state": {"neighbor-address": address, "peer-as": asn, "session-state": state, "enabled": True,
                  "established-transitions": "1", "peer-type": "EXTERNAL"},
        "afi-safis": {"afi-safi": [
            {"afi-safi-name": afi, "config": {"afi-safi-name": afi, "enabled": True},
             "state": {"afi-safi-name": afi, "active": True,
                       "prefixes": {"received": received, "received-pre-policy": received + 1, "sent": 0}}},
            {"afi-safi-name": "openconfig-bgp-types:IPV6_UNICAST",
             "state": {"prefixes": {"received": 7, "sent": 0}}}]}}


def sonic_neighbors(*neighbors):
    return {"openconfig-network-instance:neighbors": {"neighbor": list(neighbors)}}


def test_sonic_neighbors_established_and_idle(lab):
    summary = sonic_neighbors(sonic_neighbor("10.77.0.11", "ESTABLISHED", 2),
                              sonic_neighbor("10.77.0.12", "IDLE"),
                              sonic_neighbor("10.77.0.13", "ESTABLISHED", 1, bare_afi=True))
    rows = readback.bgp_rows(lab, "tor1", summary)
    assert [(r["node"], r["state"], r["established"], r["prefixes_received"]) for r in rows] == [
        ("n1", "Established", True, 2), ("n2", "Idle", False, 0), ("n3", "Established", True, 1)]
    report = readback.bgp_report(lab, "tor1", summary, expect={"10.79.0.1/32": 3})
    assert report["problems"] == ["tor1: session with n2 (10.77.0.12) is Idle"]
    # no BGP table on SONiC: the report says what it did not check instead of pretending
    assert report["notes"] == [
        "tor1: BGP table not read on this platform: sessions and prefix counts only, the routing policy "
        "and ECMP paths are not checked here",
        "tor1: expected paths not checked: 10.79.0.1/32"]


def test_sonic_neighbors_missing_and_unknown_states(lab):
    summary = sonic_neighbors(sonic_neighbor("10.77.0.12", "OPENCONFIRM"))
    rows = readback.bgp_rows(lab, "tor1", summary)
    assert [(r["state"], r["established"]) for r in rows] == [("missing", False), ("OpenConfirm", False),
                                                              ("missing", False)]
    assert readback.bgp_rows(lab, "tor1", sonic_neighbors())[0]["state"] == "missing"


def test_established_is_spelling_independent():
    assert all(readback.established(s) for s in ("Established", "ESTABLISHED", "established"))
    assert not any(readback.established(s) for s in ("Idle", "IDLE", "Active", None, "missing"))


# --- End to end: playbooks/verify.yml against two RESTCONF recorders

SONIC = ("r3-leaf1", "r3-leaf2")


def canned(plan, host, idle=()):
    """The neighbors document of ``host`` as the plan expects it; peers named in ``idle`` are IDLE."""
    return sonic_neighbors(*[sonic_neighbor(n["peer_address"], "IDLE" if n["peer"] in idle else "ESTABLISHED",
                                            0 if n["peer"] in idle else 1, asn=n["remote_asn"])
                             for n in plan["bgp"]["switches"][host]["neighbors"]])


def verify(tmp_path, recorders):
    overrides = host_overrides(tmp_path / "sonic_recorders.yml", {h: rec.hostvars() for h, rec in recorders.items()})
    return run_playbook("verify.yml", [REPO / "inventories" / "example", overrides],
                        "-l", "localhost,%s" % ",".join(SONIC), "-e", "netstack_mode=apply",
                        ANSIBLE_LOCAL_TEMP=tmp_path / "tmp", ANSIBLE_PERSISTENT_CONTROL_PATH_DIR=tmp_path / "pc")


def sessions(plan, host):
    return [(n["peer"], n["peer_address"], str(n["remote_asn"])) for n in plan["bgp"]["switches"][host]["neighbors"]]


def test_verify_playbook_reads_sonic_through_restconf(example, tmp_path):
    assert all(len(sessions(example, h)) >= 2 for h in SONIC)
    with RestconfRecorder({NEIGHBORS: canned(example, "r3-leaf1")}) as one, \
            RestconfRecorder({NEIGHBORS: canned(example, "r3-leaf2")}) as two:
        rc, output = verify(tmp_path, {"r3-leaf1": one, "r3-leaf2": two})
        # each switch was asked once, on its own port, and only read from
        for rec in (one, two):
            assert [(r.method, r.path) for r in rec.requests] == [("GET", NEIGHBORS)], rec.requests
    assert rc == 0, output[-6000:]
    assert {h: recap(output)[h]["failed"] for h in SONIC} == {"r3-leaf1": 0, "r3-leaf2": 0}
    summary = output[output.index("BGP sessions on every switch"):]
    for host in SONIC:
        for node, address, asn in sessions(example, host):
            assert re.search(r"%s\s+%s\s+%s\s+%s\s+Established\s+1\b" % (host, node, re.escape(address), asn),
                             summary), (host, node, summary)
        assert "%s: BGP table not read on this platform" % host in summary


def test_verify_playbook_fails_naming_the_idle_node(example, tmp_path):
    node, address = sessions(example, "r3-leaf2")[-1][:2]
    with RestconfRecorder({NEIGHBORS: canned(example, "r3-leaf1")}) as one, \
            RestconfRecorder({NEIGHBORS: canned(example, "r3-leaf2", idle=(node,))}) as two:
        rc, output = verify(tmp_path, {"r3-leaf1": one, "r3-leaf2": two})
    assert rc != 0, output[-6000:]
    failures = recap(output)
    assert failures["r3-leaf1"]["failed"] == 0 and failures["r3-leaf2"]["failed"] == 1, output[-6000:]
    assert "r3-leaf2: session with %s (%s) is Idle" % (node, address) in output
    assert not re.search(r"r3-leaf1: session with", output)


def test_every_platform_has_its_apply_and_verify_tasks():
    # roles/fabric and roles/fabric_verify include <platform>.yml for every switch, with no fallback
    for role in ("fabric", "fabric_verify"):
        tasks = REPO / "roles" / role / "tasks"
        assert sorted(p for p in PLATFORMS if (tasks / ("%s.yml" % p)).is_file()) == sorted(PLATFORMS), role
