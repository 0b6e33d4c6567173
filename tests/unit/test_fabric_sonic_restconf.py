# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/fabric.yml in apply mode against two Enterprise SONiC switches stood in by RESTCONF recorders.

dellemc.enterprise_sonic has no ``rendered`` state, so the SONiC part of the fabric is proven here, on the
wire: the example inventory's r3-leaf1 and r3-leaf2 are pointed at ``restconf_recorder`` servers on
loopback that look like factory-fresh switches (physical ports, the default VRF, nothing else), the normal
fabric role runs through httpapi, and the requests the modules sent are checked against the plan: VLANs,
node ports, port channels, access/trunk VLANs, SVI addresses, the VRRP gateway, the routing policy and
every BGP session.  A ``--check`` run must send no write at all, and the BGP password, which the switch
does receive, must never appear in Ansible's output (``-v`` prints every task result).

The fake switch remembers only what the BGP modules need to read back (the BGP instance an earlier task
created), so a second run of the whole role is not modelled here; the network twin proves idempotency for FRR.
Persistence (backup before the first write, ``write memory`` after the last) is checked on the full run, and,
with tests/fixtures/fabric_sonic_persist.yml (the role's sonic.yml with one module), on a switch that already has
that module's configuration: nothing changes there, so nothing is saved.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import re

import pytest
import yaml

from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core
from ansible_collections.netstack.baremetal.plugins.module_utils.fabric.common import vrrp_group

import inventory_loader
from playbook_run import host_overrides, recap, run_playbook
from restconf_recorder import RestconfRecorder

REPO = inventory_loader.REPO
SWITCHES = ("r3-leaf1", "r3-leaf2")
SECRET = "example-only-not-secret"          # inventories/example/group_vars/all/secrets.yml
BGP = ("/restconf/data/openconfig-network-instance:network-instances/network-instance=default"
       "/protocols/protocol=BGP,bgp/bgp")
IFACES = "/restconf/data/openconfig-interfaces:interfaces"
SAVE = "/restconf/operations/sonic-config-mgmt:copy"
SAVE_BODY = {"sonic-config-mgmt:input": {"source": "running-configuration", "destination": "startup-configuration"}}
BACKUP_PATHS = ["/restconf/" + p for p in yaml.safe_load(
    (REPO / "roles" / "fabric" / "defaults" / "main.yml").read_text())["fabric_backup_sonic_paths"]]


def factory_fresh(ports):
    """GET answers of a SONiC switch out of the box: its front-panel ports, the default VRF, no policy, no BGP.

    The BGP instance appears once a write created it, as on the switch: the modules that configure the
    address family and the neighbors read it first and refuse to run without it.
    """
    interfaces = [{"name": p, "config": {"name": p, "mtu": 9100, "enabled": False, "description": ""}}
                  for p in ports] + [{"name": "eth0", "config": {"name": "eth0", "mtu": 1500, "enabled": True}}]

    def bgp_config(recorder):
        writes = [w for w in recorder.writes(BGP + "/global/config") if w.path == BGP + "/global/config"]
        return dict(writes[-1].body["openconfig-network-instance:config"]) if writes else None

    def bgp_global(recorder):
        config = bgp_config(recorder)
        return None if config is None else {"openconfig-network-instance:global": {"config": config}}

    def bgp_global_config(recorder):
        config = bgp_config(recorder)
        return None if config is None else {"openconfig-network-instance:config": config}

    return {
        IFACES: {"openconfig-interfaces:interfaces": {"interface": interfaces}},
        IFACES + "/interface": {"openconfig-interfaces:interface": interfaces},
        "/restconf/data/sonic-vrf:sonic-vrf/VRF/VRF_LIST": {"sonic-vrf:VRF_LIST": [{"vrf_name": "default"}]},
        "/restconf/data/openconfig-routing-policy:routing-policy/defined-sets/prefix-sets": {},
        "/restconf/data/openconfig-routing-policy:routing-policy/policy-definitions": {},
        BGP + "/global": bgp_global,
        BGP + "/global/config": bgp_global_config,
    }


def run_fabric(tmp_path, recorders, *extra):
    overrides = host_overrides(tmp_path / "recorders.yml", {h: rec.hostvars() for h, rec in recorders.items()})
    rc, output = run_playbook("fabric.yml", [REPO / "inventories" / "example", overrides],
                              "--limit", "localhost," + ",".join(recorders), "-v", "-e", "netstack_mode=apply",
                              "-e", "netstack_bundle_dir=%s" % (tmp_path / "bundle"), *extra)
    assert rc == 0, output[-6000:]
    return output


@pytest.fixture(scope="module")
def plan():
    return plan_core.build_plan(*inventory_loader.load_inventory(REPO / "inventories" / "example"))


def _ports(plan, host):
    used = [p["name"] for p in plan["fabric"]["switches"][host]["ports"]]
    return sorted(set(used) | {"Ethernet%d" % (4 * i) for i in range(12)}, key=lambda n: int(n[8:]))


@pytest.fixture(scope="module")
def applied(plan, tmp_path_factory):
    recorders = {host: RestconfRecorder(factory_fresh(_ports(plan, host))) for host in SWITCHES}
    for rec in recorders.values():
        rec.__enter__()
    tmp_path = tmp_path_factory.mktemp("sonic_apply")
    try:
        output = run_fabric(tmp_path, recorders)
    finally:
        for rec in recorders.values():
            rec.__exit__(None, None, None)
    return {"output": output, "recorders": recorders, "bundle": tmp_path / "bundle"}


@pytest.fixture(scope="module")
def checked(plan, tmp_path_factory):
    # one switch is enough to show check mode sends nothing (each SONiC module task costs seconds)
    recorders = {host: RestconfRecorder(factory_fresh(_ports(plan, host))) for host in SWITCHES[:1]}
    for rec in recorders.values():
        rec.__enter__()
    tmp_path = tmp_path_factory.mktemp("sonic_check")
    try:
        output = run_fabric(tmp_path, recorders, "--check", "--diff")
    finally:
        for rec in recorders.values():
            rec.__exit__(None, None, None)
    return {"output": output, "recorders": recorders, "bundle": tmp_path / "bundle"}


def merged_config(recorder, path_suffix, key):
    """Every PATCH of one ``.../config`` container merged, as the switch would hold it."""
    merged = {}
    for w in recorder.writes():
        if w.path.endswith(path_suffix):
            merged.update(w.body[key])
    return merged


def test_vlans_and_their_names(plan, applied):
    for host in SWITCHES:
        rec = applied["recorders"][host]
        created = [i["name"] for w in rec.writes() if w.path == IFACES
                   for i in w.body["openconfig-interfaces:interfaces"]["interface"]]
        names = {re.search(r"VLAN_LIST=(Vlan\d+)/description$", w.path).group(1): w.body["sonic-vlan:description"]
                 for w in rec.writes("/sonic-vlan:sonic-vlan/VLAN/VLAN_LIST=")}
        expected = {"Vlan%d" % v["id"]: v["name"] for v in plan["fabric"]["switches"][host]["vlans"]}
        expected["Vlan4094"] = "NETSTACK-MLAG-PEER"     # the rack's MCLAG peer VLAN
        assert names == expected
        assert sorted(n for n in created if n.startswith("Vlan")) == sorted(expected)


def test_node_ports_port_channels_and_vlan_membership(plan, applied):
    for host in SWITCHES:
        rec = applied["recorders"][host]
        config = plan["fabric"]["switches"][host]
        for port in config["ports"]:
            got = merged_config(rec, "/interface=%s/config" % port["name"], "openconfig-interfaces:config")
            expected = {"description": port["description"], "enabled": True}
            if port["lag"] is None:           # members keep the port channel's MTU (SONiC refuses a mismatch)
                expected["mtu"] = port["mtu"]
            assert got == expected, port["name"]
        link = config["mlag"]["peer_link"]
        for port in link["members"]:     # the MCLAG peer link's members keep the switch's MTU too
            got = merged_config(rec, "/interface=%s/config" % port, "openconfig-interfaces:config")
            assert got == {"description": link["description"], "enabled": True}, port
        members = {re.search(r"interface=([^/]+)/", w.path).group(1): w.body["openconfig-if-aggregate:aggregate-id"]
                   for w in rec.writes("/openconfig-if-aggregate:aggregate-id")}
        lags = config["lags"] + [{"id": link["id"], "members": link["members"]}]
        assert members == {m: "PortChannel%d" % lag["id"] for lag in lags for m in lag["members"]}
        switched = {re.search(r"interface=([^/]+)/", w.path).group(1): w.body["openconfig-vlan:config"]
                    for w in rec.writes("/openconfig-vlan:switched-vlan/config")}
        expected = {}
        for name, l2 in [(p["name"], p["l2"]) for p in config["ports"]] + [
                ("PortChannel%d" % lag["id"], lag["l2"]) for lag in config["lags"]]:
            if l2:
                expected[name] = {"access-vlan": l2["native_vlan"],
                                  "trunk-vlans": [v for v in l2["vlans"] if v != l2["native_vlan"]]}
        expected["PortChannel%d" % link["id"]] = {"trunk-vlans": link["vlans"]}    # every VLAN, tagged
        assert switched == expected and expected


def test_svi_addresses_and_the_vrrp_gateway(plan, applied):
    for host in SWITCHES:
        rec = applied["recorders"][host]
        addresses = {}
        for w in rec.writes("/openconfig-if-ip:ipv4/addresses"):
            if w.path.endswith("/openconfig-if-ip:ipv4/addresses"):
                vlan = re.search(r"interface=(Vlan\d+)/", w.path).group(1)
                addresses[vlan] = [(a["openconfig-if-ip:config"]["ip"], a["openconfig-if-ip:config"]["prefix-length"])
                                   for a in w.body["openconfig-if-ip:addresses"]["address"]]
        svis = plan["fabric"]["switches"][host]["svis"]
        mlag = plan["fabric"]["switches"][host]["mlag"]
        assert addresses == dict({"Vlan%d" % s["vlan"]: [(s["address"], s["prefix_length"])] for s in svis},
                                 Vlan4094=[(mlag["local_address"], mlag["prefix_length"])])
        # the planned switch address is the one the plan's sessions use on this switch
        assert {n["local_address"] for n in plan["bgp"]["switches"][host]["neighbors"]} <= {
            a for pairs in addresses.values() for a, _length in pairs}
        gateways = {}
        for w in rec.writes("/config/virtual-address"):
            vlan = re.search(r"interface=(Vlan\d+)/", w.path).group(1)
            group = int(re.search(r"vrrp-group=(\d+)/", w.path).group(1))
            gateways[(vlan, group)] = w.body["openconfig-if-ip:virtual-address"]
        assert gateways == {("Vlan%d" % s["vlan"], vrrp_group(s["vlan"])): [s["gateway"]]
                            for s in svis if s["gateway"]}
        assert len({s["gateway"] for s in svis if s["gateway"]}) == len(gateways)
        # SONiC's static anycast gateway would replace the switch's own address: never sent
        assert not rec.writes("sag-ipv4")


def _find(document, key):
    """The first dict holding ``key`` anywhere in a decoded JSON body."""
    if isinstance(document, dict):
        if key in document:
            return document
        document = list(document.values())
    if isinstance(document, list):
        for item in document:
            found = _find(item, key)
            if found is not None:
                return found
    return None


def test_the_mclag_domain_reaches_the_switch(plan, applied):
    for host in SWITCHES:
        rec = applied["recorders"][host]
        mlag = plan["fabric"]["switches"][host]["mlag"]
        domains = rec.writes("/openconfig-mclag:mclag/mclag-domains/mclag-domain")
        assert [w.method for w in domains] == ["PUT"]    # the module creates a new domain with PUT
        config = _find(domains[0].body, "source-address")
        assert config == {
            "domain-id": 3, "source-address": mlag["local_address"], "peer-address": mlag["peer_address"],
            "peer-link": "PortChannel2000", "keepalive-interval": 1, "session-timeout": 15,
            "openconfig-mclag:mclag-system-mac": "44:38:39:ff:00:03",
            "backup-keepalive-source-address": mlag["keepalive"]["local"],
            "backup-keepalive-peer-address": mlag["keepalive"]["peer"], "backup-keepalive-session-vrf": "mgmt"}
        members = [w.body for w in rec.writes("/openconfig-mclag:mclag/interfaces/interface")]
        names = sorted(set(re.findall(r"PortChannel\d+", repr(members))))
        assert names == sorted("PortChannel%d" % i for i in mlag["lags"]) and "PortChannel2000" not in names


def test_routing_policy_accepts_only_pool_host_routes(plan, applied):
    pools = [(p["prefix"], "%d..%d" % (p["ge"], p["le"])) for p in plan["bgp"]["policy"]["accept_from_nodes"]]
    assert pools and all(masks == "32..32" for _prefix, masks in pools)
    for host in SWITCHES:
        rec = applied["recorders"][host]
        sets = [s for w in rec.writes("/prefix-sets/prefix-set") for s in w.body["openconfig-routing-policy:prefix-set"]]
        assert [s["name"] for s in sets] == [plan["bgp"]["policy"]["prefix_list"]]
        entries = sets[0]["openconfig-routing-policy-ext:extended-prefixes"]["extended-prefix"]
        assert [(e["ip-prefix"], e["masklength-range"]) for e in entries] == pools
        policies = {}          # the module sends one policy-definition per statement
        for w in rec.writes("routing-policy:routing-policy/policy-definitions"):
            for p in w.body["openconfig-routing-policy:policy-definitions"]["policy-definition"]:
                policies.setdefault(p["name"], []).extend(p["statements"]["statement"])
        from_nodes = policies[plan["bgp"]["policy"]["route_map_in"]]
        results = [(s["name"], s["actions"]["config"]["policy-result"],
                    s.get("conditions", {}).get("match-prefix-set", {}).get("config", {}).get("prefix-set"))
                   for s in from_nodes]
        assert results == [("10", "ACCEPT_ROUTE", "NETSTACK-LB-POOLS"), ("1000", "REJECT_ROUTE", None)]
        to_nodes = policies[plan["bgp"]["policy"]["route_map_out"]]
        assert [s["actions"]["config"]["policy-result"] for s in to_nodes] == ["REJECT_ROUTE"]  # send_to_nodes: nothing


def test_bgp_instance_and_every_planned_session(plan, applied):
    for host in SWITCHES:
        rec = applied["recorders"][host]
        view = plan["bgp"]["switches"][host]
        assert merged_config(rec, BGP + "/global/config", "openconfig-network-instance:config") == {
            "as": view["asn"], "router-id": view["router_id"]}
        max_paths = [w.body["openconfig-network-instance:use-multiple-paths"]["ebgp"]["config"]["maximum-paths"]
                     for w in rec.writes("/afi-safi=IPV4_UNICAST/use-multiple-paths")]
        assert max_paths == [view["max_paths"]]
        neighbors = {n["neighbor-address"]: n for w in rec.writes(BGP + "/neighbors") if w.path == BGP + "/neighbors"
                     for n in w.body["openconfig-network-instance:neighbors"]["neighbor"]}
        assert sorted(neighbors) == sorted(n["peer_address"] for n in view["neighbors"])
        for n in view["neighbors"]:
            sent = neighbors[n["peer_address"]]
            assert sent["config"]["peer-as"] == n["remote_asn"]
            assert sent["config"]["description"] == n["peer"]
            assert sent["timers"]["config"] == {"hold-time": n["hold_time"], "keepalive-interval": n["keepalive"]}
            assert sent["enable-bfd"]["config"]["enabled"] is n["bfd"]
            assert sent["auth-password"]["config"] == {"password": SECRET, "encrypted": False}
        policies = {re.search(r"neighbor=([^/]+)/", w.path).group(1):
                    w.body["openconfig-network-instance:afi-safis"]["afi-safi"][0]["apply-policy"]["config"]
                    for w in rec.writes("/afi-safis") if "/neighbors/neighbor=" in w.path}
        assert policies == {n["peer_address"]: {"import-policy": [plan["bgp"]["policy"]["route_map_in"]],
                                                "export-policy": [plan["bgp"]["policy"]["route_map_out"]]}
                            for n in view["neighbors"]}


def test_the_password_reaches_the_switch_but_never_the_log(applied):
    assert any(SECRET in str(w.body) for w in applied["recorders"]["r3-leaf1"].writes())
    assert "auth_pwd" not in applied["output"] and SECRET not in applied["output"]
    assert "censored" in applied["output"]        # -v printed the neighbor task's result, masked


def test_every_task_changed_a_fresh_switch(applied):
    counts = recap(applied["output"])
    assert all(counts[host]["changed"] >= 12 for host in SWITCHES), counts


def test_check_mode_sends_nothing_and_reports_the_changes(checked):
    for host, rec in checked["recorders"].items():
        assert rec.requests and not rec.writes(), [(w.method, w.path) for w in rec.writes()][:5]
        assert recap(checked["output"])[host]["changed"] >= 9
    # the neighbors need the BGP instance, which check mode only reports: the role says so instead of failing
    assert checked["output"].count("has no BGP instance") == len(checked["recorders"])
    assert SECRET not in checked["output"]


NEIGHBORS = ("/restconf/data/openconfig-network-instance:network-instances/network-instance=default/protocols/"
             "protocol=BGP,bgp/bgp/neighbors")


def _backups(bundle, host):
    return sorted(glob.glob(os.path.join(str(bundle), "backups", host, "*", "restconf.json")))


def test_backup_read_before_the_first_write_and_saved_after_the_last(applied):
    for host in SWITCHES:
        rec = applied["recorders"][host]
        methods = [(r.method, r.path) for r in rec.requests]
        # the rollout's readings of the BGP sessions (docs/fabric.md, Rolling changes): in the preflight play and
        # right before the change, then once more after it (the last request)
        assert methods[:2] == [("GET", NEIGHBORS)] * 2 and methods[-1] == ("GET", NEIGHBORS), methods
        # then the backup, first on the switch: every backed-up subtree read, before any write
        assert methods[2:2 + len(BACKUP_PATHS)] == [("GET", path) for path in BACKUP_PATHS]
        saves = [i for i, (method, path) in enumerate(methods) if path == SAVE]
        assert len(saves) == 1 and methods[saves[0]][0] == "POST"
        assert saves[0] == max(i for i, (method, _path) in enumerate(methods) if method != "GET")
        assert rec.writes(SAVE)[0].body == SAVE_BODY
        # the file: <bundle>/backups/<switch>/<UTC timestamp>/restconf.json, what the switch answered
        files = _backups(applied["bundle"], host)
        assert len(files) == 1 and re.search(r"/backups/%s/\d{8}T\d{6}Z/restconf.json$" % host, files[0])
        backup = json.loads(open(files[0]).read())
        assert sorted(backup) == sorted(p[len("/restconf/"):] for p in BACKUP_PATHS)
        ports = [i["name"] for i in backup["data/openconfig-interfaces:interfaces"][
            "openconfig-interfaces:interfaces"]["interface"]]
        assert "Ethernet0" in ports
        # a factory-fresh switch has no BGP instance: its subtree answered 404, nothing to keep
        assert backup[BACKUP_PATHS[-1][len("/restconf/"):]] is None
    # one directory name for the whole run
    stamps = {os.path.basename(os.path.dirname(_backups(applied["bundle"], h)[0])) for h in SWITCHES}
    assert len(stamps) == 1, stamps


def test_check_mode_writes_no_backup_and_says_it_would_save(checked):
    assert not glob.glob(os.path.join(str(checked["bundle"]), "backups"))
    for host, rec in checked["recorders"].items():
        # the role's first requests are the modules' own reads, not the backup (the modules read some of the same
        # subtrees later, so their paths alone prove nothing)
        assert [r.path for r in rec.requests[:len(BACKUP_PATHS)]] != BACKUP_PATHS
        assert rec.requests[0].path != BACKUP_PATHS[0] or rec.requests[1].path != BACKUP_PATHS[1]
        assert not rec.writes(SAVE)
        assert "%s: the real run saves the configuration" % host in checked["output"]


PERSIST_SECRET = "persist-test-not-a-secret"
VLANS = [{"vlan_id": 10, "description": "nodes"}, {"vlan_id": 20, "description": "storage"}]


def run_persist(tmp_path, canned):
    """tests/fixtures/fabric_sonic_persist.yml (the role's sonic.yml with sonic_vlans only) against one recorder."""
    rec = RestconfRecorder(canned)
    inventory = tmp_path / "hosts.yml"
    hostvars = dict(rec.hostvars(), ansible_connection="ansible.netcommon.httpapi",
                    ansible_network_os="dellemc.enterprise_sonic.sonic", ansible_user="admin")
    inventory.write_text(yaml.safe_dump({"all": {"children": {"netstack_switches": {"hosts": {"s1": hostvars}}}}}))
    extra = tmp_path / "vars.yml"
    extra.write_text(yaml.safe_dump({"fabric_persist_vlans": VLANS, "fabric_persist_bundle": str(tmp_path / "b")}))
    with rec:
        rc, output = run_playbook("../tests/fixtures/fabric_sonic_persist.yml", [inventory], "-v", "-e", "@%s" % extra)
    assert rc == 0, output[-6000:]
    return rec, output, tmp_path / "b"


def _switch_with_the_vlans():
    bgp = {"openconfig-network-instance:bgp": {"neighbors": {"neighbor": [{
        "neighbor-address": "203.0.113.11",
        "auth-password": {"config": {"password": PERSIST_SECRET, "encrypted": False}}}]}}}
    return {
        "/restconf/data/sonic-vlan:sonic-vlan": {"sonic-vlan:sonic-vlan": {"VLAN": {"VLAN_LIST": [
            {"name": "Vlan%d" % v["vlan_id"], "vlanid": v["vlan_id"], "description": v["description"]}
            for v in VLANS]}}},
        BACKUP_PATHS[-1]: bgp,
    }


def test_a_run_that_changes_something_saves(tmp_path):
    rec, output, _bundle = run_persist(tmp_path, {})
    assert rec.writes("/sonic-vlan:sonic-vlan") and [w.body for w in rec.writes(SAVE)] == [SAVE_BODY]
    assert recap(output)["s1"]["changed"] == 2          # the VLANs and the save; the backup is no switch change


def test_a_run_that_changes_nothing_saves_nothing_and_masks_the_backup(tmp_path):
    rec, output, bundle = run_persist(tmp_path, _switch_with_the_vlans())
    assert not rec.writes(), [(w.method, w.path) for w in rec.writes()]     # no VLAN write, no save
    assert recap(output)["s1"]["changed"] == 0
    assert [r.path for r in rec.requests[:len(BACKUP_PATHS)]] == BACKUP_PATHS
    text = open(os.path.join(str(bundle), "backups", "s1", "20261206T013000Z", "restconf.json")).read()
    backup = json.loads(text)
    neighbor = backup[BACKUP_PATHS[-1][len("/restconf/"):]]["openconfig-network-instance:bgp"]["neighbors"][
        "neighbor"][0]
    assert neighbor["neighbor-address"] == "203.0.113.11"
    assert neighbor["auth-password"]["config"]["password"].startswith("<masked")
    assert neighbor["auth-password"]["config"]["encrypted"] is False
    assert PERSIST_SECRET not in text and PERSIST_SECRET not in output
