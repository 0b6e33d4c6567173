# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The netplan renderer of kubeadm nodes (``netstack_cluster.nodes.kubeadm.network_renderer: netplan``).

* The netplan file and the systemd-networkd files describe the same network: both are parsed into one
  normalized structure (interfaces, kind, bond members/mode/LACP rate/hash/timers, MTU, addresses, VLAN
  id/link, routes, DNS, DHCP) for every node of inventories/kubeadm-small and for the other node shapes.
* The real ``netplan generate --root-dir`` (Debian's netplan.io) turns the rendered file into networkd
  files that describe that same network, and merges a cloud-init file the way docs/nodes.md says.
* The kubeadm_prep role's network tasks, run for real on a throw-away overlay of this machine's root file
  system (private mount and network namespaces, recording stand-ins for ``netplan apply`` and
  ``networkctl``): check mode writes and applies nothing, the file is written 0600, validated, applied
  once, a second run changes nothing, files of the other renderer are removed, an address cloud-init
  left on an uplink is refused.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest
import yaml

import sitegen
from inventory_loader import load_inventory
from playbook_run import recap

from ansible_collections.netstack.baremetal.plugins.module_utils import nodes_kubeadm
from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_mod

REPO = pathlib.Path(__file__).resolve().parents[2]
NETPLAN = shutil.which("netplan") or next(
    (p for p in ("/usr/sbin/netplan", "/sbin/netplan") if os.access(p, os.X_OK)), None)
needs_netplan = pytest.mark.skipif(
    NETPLAN is None, reason="the netplan binary is not installed (Debian: apt-get install -y netplan.io)")
SHAPES = ["single-uplink", "active-backup", "balance-xor", "long-nic"]


# --- plans --------------------------------------------------------------------------------------------------

def small_plan(renderer):
    inventory_vars, nodes, switches = load_inventory(REPO / "inventories" / "kubeadm-small")
    inventory_vars["netstack_cluster"]["nodes"]["kubeadm"]["network_renderer"] = renderer
    return plan_mod.build_plan(inventory_vars, nodes, switches)


@pytest.fixture(scope="module")
def small():
    """inventories/kubeadm-small planned with each renderer."""
    return {renderer: small_plan(renderer) for renderer in ("networkd", "netplan")}


def shape_plan(shape, renderer):
    inventory_vars, nodes, switches = sitegen.make_site(racks=1, nodes_per_rack=2, control_planes=1)
    inventory_vars["netstack_cluster"].update(node_os="kubeadm", variant="kubeovn-cilium-generic")
    inventory_vars["netstack_cluster"]["nodes"] = {"kubeadm": {"network_renderer": renderer}}
    for entry in nodes.values():
        node = entry["netstack_node"]
        if shape == "single-uplink":
            node["uplinks"] = node["uplinks"][:1]
        elif shape in ("active-backup", "balance-xor"):
            node["bond_mode"] = shape
        elif shape == "long-nic":
            node["uplinks"] = [dict(node["uplinks"][0], nic="enp129s0f1np1")]
    return plan_mod.build_plan(inventory_vars, nodes, switches)


def network_files(plan, host):
    return {item["path"]: item for item in plan["nodes"][host]["kubeadm"]["files"]["network"]}


def netplan_document(plan, host):
    files = network_files(plan, host)
    assert list(files) == [nodes_kubeadm.NETPLAN_PATH]
    return yaml.safe_load(files[nodes_kubeadm.NETPLAN_PATH]["content"])


def node_cases(small):
    """(name, networkd plan, netplan plan, host) for every kubeadm-small node and every shape."""
    cases = [("kubeadm-small/%s" % host, small["networkd"], small["netplan"], host) for host in small["netplan"]["nodes"]]
    for shape in SHAPES:
        networkd, netplan = shape_plan(shape, "networkd"), shape_plan(shape, "netplan")
        cases += [("%s/%s" % (shape, host), networkd, netplan, host) for host in netplan["nodes"]]
    return cases


# --- one normalized description of a node network ----------------------------------------------------------

def parse_unit(text):
    """``[(section, [(key, value)])]`` of a systemd unit file; sections and keys may repeat."""
    sections = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            sections.append((line[1:-1], []))
            continue
        key, value = line.split("=", 1) if "=" in line else (line, "")
        sections[-1][1].append((key.strip(), value.strip()))
    return sections


def _link(links, name):
    return links.setdefault(name, {"kind": "ethernet", "mtu": None, "addresses": [], "routes": [], "dns": [],
                                   "dhcp": "no"})


def normalize_networkd(files):
    """``{basename: text}`` of .netdev/.network files (ours or netplan-generated) -> the normalized network.

    Bond members that set no MTU get the bond's: the kernel gives a bond's MTU to every member it enslaves.
    """
    links = {}
    members = {}
    vlan_links = {}
    for name in sorted(files):
        sections = parse_unit(files[name])
        values = {}
        for section, pairs in sections:
            for key, value in pairs:
                values.setdefault((section, key), []).append(value)
        if name.endswith(".netdev"):
            link = _link(links, values[("NetDev", "Name")][0])
            link["kind"] = values[("NetDev", "Kind")][0]
            if ("NetDev", "MTUBytes") in values:
                link["mtu"] = int(values[("NetDev", "MTUBytes")][0])
            if link["kind"] == "bond":
                bond = {key: vals[0] for (section, key), vals in values.items() if section == "Bond"}
                link["bond"] = {"mode": bond.pop("Mode"), "lacp_rate": bond.pop("LACPTransmitRate", None),
                                "hash": bond.pop("TransmitHashPolicy", None), "miimon": bond.pop("MIIMonitorSec"),
                                "updelay": bond.pop("UpDelaySec"), "downdelay": bond.pop("DownDelaySec")}
                assert not bond, "bond settings the comparison does not know: %s" % bond
            if link["kind"] == "vlan":
                link["vlan_id"] = int(values[("VLAN", "Id")][0])
        elif name.endswith(".network"):
            link_name = values[("Match", "Name")][0]
            link = _link(links, link_name)
            if ("Link", "MTUBytes") in values:
                link["mtu"] = int(values[("Link", "MTUBytes")][0])
            link["addresses"] += values.get(("Network", "Address"), [])
            link["dns"] += values.get(("Network", "DNS"), [])
            link["dhcp"] = values.get(("Network", "DHCP"), ["no"])[0]
            # Gateway= in [Network] is a default route, as is a [Route] section without Destination=
            link["routes"] += [("0.0.0.0/0", gateway) for gateway in values.get(("Network", "Gateway"), [])]
            for section, pairs in sections:
                if section == "Route":
                    route = dict(pairs)
                    link["routes"].append((route.get("Destination", "0.0.0.0/0"), route["Gateway"]))
            for bond_name in values.get(("Network", "Bond"), []):
                members.setdefault(bond_name, []).append(link_name)
            for vlan in values.get(("Network", "VLAN"), []):
                vlan_links[vlan] = link_name
    for bond_name, names in members.items():
        links[bond_name]["members"] = sorted(names)
        for name in names:
            if links[name]["mtu"] is None:
                links[name]["mtu"] = links[bond_name]["mtu"]
    for vlan, parent in vlan_links.items():
        links[vlan]["vlan_link"] = parent
    for link in links.values():
        link["addresses"].sort()
        link["routes"].sort()
    return links


def normalize_netplan(document):
    """The parsed netplan YAML -> the normalized network (the same keys as ``normalize_networkd``)."""
    network = document["network"]
    assert network["version"] == 2 and network["renderer"] == "networkd"
    links = {}
    for name, eth in network.get("ethernets", {}).items():
        assert eth["match"] == {"name": name}, "a NIC is matched by the name the plan knows"
        link = _link(links, name)
        link["mtu"] = eth.get("mtu")
        link["dhcp"] = "yes" if eth.get("dhcp4") or eth.get("dhcp6") else "no"
        _layer3(link, eth)
    for name, bond in network.get("bonds", {}).items():
        link = _link(links, name)
        parameters = dict(bond["parameters"])
        link.update(kind="bond", mtu=bond.get("mtu"), members=sorted(bond["interfaces"]),
                    bond={"mode": parameters.pop("mode"), "lacp_rate": parameters.pop("lacp-rate", None),
                          "hash": parameters.pop("transmit-hash-policy", None),
                          "miimon": parameters.pop("mii-monitor-interval"), "updelay": parameters.pop("up-delay"),
                          "downdelay": parameters.pop("down-delay")})
        assert not parameters, "bond settings the comparison does not know: %s" % parameters
        _layer3(link, bond)
    for name, vlan in network.get("vlans", {}).items():
        link = _link(links, name)
        link.update(kind="vlan", mtu=vlan.get("mtu"), vlan_id=vlan["id"], vlan_link=vlan["link"])
        _layer3(link, vlan)
    return links


def _layer3(link, item):
    """Addresses, DNS and routes of one netplan interface (an ethernet, a bond or a VLAN)."""
    link.update(addresses=sorted(item.get("addresses", [])), dns=item.get("nameservers", {}).get("addresses", []),
                routes=sorted(("0.0.0.0/0" if r["to"] == "default" else r["to"], r["via"])
                              for r in item.get("routes", [])))


def expected_network(plan, host):
    """The normalized network straight from the plan (what both renderers must describe)."""
    net = plan["nodes"][host]["network"]
    links = {}
    bond = net["bond"]
    for nic in (bond["members"] if bond else [net["parent"]]):
        _link(links, nic)["mtu"] = net["mtu"]
    if bond:
        lacp = bond["mode"] == "802.3ad"
        _link(links, net["parent"]).update(
            kind="bond", mtu=net["mtu"], members=sorted(bond["members"]),
            bond={"mode": bond["mode"], "lacp_rate": "fast" if lacp else None,
                  "hash": "layer3+4" if bond["mode"] in ("802.3ad", "balance-xor") else None,
                  "miimon": "100ms", "updelay": "200ms", "downdelay": "200ms"})
    for vlan in net["vlans"]:
        link = _link(links, vlan["link"])
        if vlan["tagged"]:
            link.update(kind="vlan", mtu=vlan["mtu"], vlan_id=vlan["id"], vlan_link=net["parent"])
        # the untagged node VLAN's address and default route are the parent's own
        link.update(addresses=[vlan["address"]], routes=[("0.0.0.0/0", vlan["gateway"])] if vlan["gateway"] else [])
    return links


def without_dns(links):
    return {name: dict(link, dns=None) for name, link in links.items()}


# --- the core ------------------------------------------------------------------------------------------------

def test_default_renderer_is_networkd(small):
    """Nothing changes for existing inventories: same networkd files, no netplan file, no netplan.io."""
    default = plan_mod.build_plan(*load_inventory(REPO / "inventories" / "kubeadm-small"))
    for host, node in default["nodes"].items():
        kubeadm = node["kubeadm"]
        assert kubeadm["network_renderer"] == "networkd"
        assert kubeadm["files"]["network"] == small["networkd"]["nodes"][host]["kubeadm"]["files"]["network"]
        assert all(f["path"].startswith("/etc/systemd/network/") for f in kubeadm["files"]["network"])
        assert "netplan.io" not in kubeadm["packages"]


def test_netplan_renderer_writes_one_private_file_instead_of_the_networkd_files(small):
    bundle = plan_mod.render_bundle(small["netplan"], ["nodes"])
    for host, node in small["netplan"]["nodes"].items():
        kubeadm = node["kubeadm"]
        (item,) = kubeadm["files"]["network"]
        assert (item["path"], item["mode"]) == ("/etc/netplan/60-netstack.yaml", "0600")
        assert item["content"].startswith(nodes_kubeadm.HEADER)
        assert "netplan.io" in kubeadm["packages"]
        assert kubeadm["network_nics"] == ["eno1", "eno2"]
        assert bundle["nodes/%s/netplan/60-netstack.yaml" % host] == item["content"]
        assert not [k for k in bundle if k.startswith("nodes/%s/networkd/" % host)]
        # the role removes whatever else it wrote before, in either directory
        assert kubeadm["network_purge"] == ["/etc/systemd/network/[0-9][0-9]-netstack-*.netdev",
                                            "/etc/systemd/network/[0-9][0-9]-netstack-*.network",
                                            "/etc/netplan/60-netstack.yaml"]
    document = netplan_document(small["netplan"], "w2")
    assert list(document["network"]) == ["version", "renderer", "ethernets", "bonds", "vlans"]
    assert document["network"]["ethernets"]["eno1"] == {"match": {"name": "eno1"}, "dhcp4": False, "dhcp6": False,
                                                        "mtu": 9000, "emit-lldp": True}
    # the node VLAN (50) is untagged: the bond itself holds its address, the default route and DNS
    assert "bond0.50" not in document["network"]["vlans"]
    assert document["network"]["bonds"]["bond0"]["addresses"] == ["10.50.0.13/24"]
    assert document["network"]["bonds"]["bond0"]["routes"] == [{"to": "default", "via": "10.50.0.1"}]
    assert document["network"]["bonds"]["bond0"]["nameservers"] == {"addresses": ["10.50.0.1"]}
    assert "routes" not in document["network"]["vlans"]["bond0.70"]   # one default route only


def test_netplan_and_networkd_describe_the_same_network(small):
    """For every node of kubeadm-small (and each other node shape): one network, two renderings."""
    cases = node_cases(small)
    assert len(cases) == 3 + 2 * len(SHAPES)
    for name, networkd_plan, netplan_plan, host in cases:
        networkd = normalize_networkd({pathlib.PurePosixPath(p).name: f["content"]
                                       for p, f in network_files(networkd_plan, host).items()})
        netplan = normalize_netplan(netplan_document(netplan_plan, host))
        assert netplan == networkd, name
        # and both are the plan's network (DNS aside, which the plan does not carry per node)
        assert without_dns(netplan) == without_dns(expected_network(netplan_plan, host)), name
    # the cases cover what they claim to: a bond in each mode, a single NIC, the vlan<id> link names
    kinds = {name.split("/")[0]: normalize_netplan(netplan_document(p, h)) for name, unused, p, h in cases}
    assert kinds["kubeadm-small"]["bond0"]["bond"]["lacp_rate"] == "fast"
    assert kinds["active-backup"]["bond0"]["bond"] == {"mode": "active-backup", "lacp_rate": None, "hash": None,
                                                       "miimon": "100ms", "updelay": "200ms", "downdelay": "200ms"}
    assert kinds["balance-xor"]["bond0"]["bond"]["hash"] == "layer3+4"
    assert "bond0" not in kinds["single-uplink"] and kinds["single-uplink"]["eth0.20"]["vlan_link"] == "eth0"
    assert kinds["single-uplink"]["eth0"]["addresses"] and "eth0.10" not in kinds["single-uplink"]
    assert sorted(n for n, link in kinds["long-nic"].items() if link["kind"] == "vlan") == ["vlan20"]


def test_normalizer_sees_a_difference():
    """The comparison is not vacuous: one changed VLAN id, MTU, member or route is a difference."""
    plan = shape_plan("active-backup", "netplan")
    host = next(iter(plan["nodes"]))
    document = netplan_document(plan, host)
    base = normalize_netplan(document)
    for mutate in (lambda d: d["network"]["vlans"]["bond0.20"].update(id=11),
                   lambda d: d["network"]["vlans"]["bond0.20"].update(mtu=9000),
                   lambda d: d["network"]["bonds"]["bond0"]["interfaces"].pop(),
                   lambda d: d["network"]["bonds"]["bond0"]["parameters"].update(mode="balance-rr"),
                   lambda d: d["network"]["bonds"]["bond0"].pop("routes"),
                   lambda d: d["network"]["bonds"]["bond0"].pop("addresses")):
        changed = copy.deepcopy(document)
        mutate(changed)
        assert normalize_netplan(changed) != base


def test_no_uplinks_is_refused_before_any_network_file():
    # a node with no uplink has no path to the node VLAN: refused at plan time, nothing rendered for it
    inventory_vars, nodes, switches = sitegen.make_site(racks=1, nodes_per_rack=2, control_planes=1)
    inventory_vars["netstack_cluster"].update(node_os="kubeadm", variant="kubeovn-cilium-generic",
                                              nodes={"kubeadm": {"network_renderer": "netplan"}})
    for entry in nodes.values():
        entry["netstack_node"]["uplinks"] = []
    with pytest.raises(plan_mod.PlanError) as caught:
        plan_mod.build_plan(inventory_vars, nodes, switches)
    assert [p.path for p in caught.value.problems] == ["hosts.%s.netstack_node.uplinks" % h for h in sorted(nodes)]


def test_unknown_renderer_is_refused():
    inventory_vars, nodes, switches = load_inventory(REPO / "inventories" / "kubeadm-small")
    inventory_vars["netstack_cluster"]["nodes"]["kubeadm"]["network_renderer"] = "ifupdown"
    with pytest.raises(plan_mod.PlanError) as error:
        plan_mod.build_plan(inventory_vars, nodes, switches)
    assert "netstack_cluster.nodes.kubeadm.network_renderer" in str(error.value)


# --- the real netplan ------------------------------------------------------------------------------------------

def netplan_generate(root, files):
    """Write ``{path: (text, mode)}`` under ``root``, run ``netplan generate --root-dir``, return the networkd files."""
    for path, (text, mode) in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        target.chmod(mode)
    result = subprocess.run([NETPLAN, "generate", "--root-dir", str(root)], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    generated = root / "run" / "systemd" / "network"
    return result, {p.name: p.read_text() for p in sorted(generated.iterdir()) if p.suffix in (".netdev", ".network")}


@needs_netplan
def test_real_netplan_generate_gives_the_planned_network(small, tmp_path):
    for index, (name, networkd_plan, netplan_plan, host) in enumerate(node_cases(small)):
        item = network_files(netplan_plan, host)[nodes_kubeadm.NETPLAN_PATH]
        result, generated = netplan_generate(tmp_path / str(index), {item["path"]: (item["content"], 0o600)})
        assert result.stderr == "", (name, result.stderr)   # no warning either (permissions, routes, ...)
        links = normalize_networkd(generated)
        ours = normalize_networkd({pathlib.PurePosixPath(p).name: f["content"]
                                   for p, f in network_files(networkd_plan, host).items()})
        assert links == ours, name
        # spelled out against the plan: bond members, VLAN ids and links, addresses, MTUs, default route
        net = netplan_plan["nodes"][host]["network"]
        if net["bond"]:
            assert links["bond0"]["kind"] == "bond" and links["bond0"]["members"] == sorted(net["bond"]["members"])
            assert links["bond0"]["bond"]["mode"] == net["bond"]["mode"] and links["bond0"]["mtu"] == net["mtu"]
        for vlan in net["vlans"]:
            link = links[vlan["link"]]
            if vlan["tagged"]:
                assert (link["kind"], link["vlan_id"], link["vlan_link"]) == ("vlan", vlan["id"], net["parent"]), name
                assert link["mtu"] == vlan["mtu"], name
            else:   # the untagged node VLAN: on the parent itself
                assert vlan["link"] == net["parent"] and link["mtu"] == net["mtu"], name
            assert link["addresses"] == [vlan["address"]], name
            assert link["routes"] == ([("0.0.0.0/0", vlan["gateway"])] if vlan["gateway"] else []), name
    assert small["netplan"]["nodes"]["w2"]["network"]["vlans"][0]["address"] == "10.50.0.13/24"


@needs_netplan
def test_real_netplan_merges_cloud_init_by_interface_id(small, tmp_path):
    """What docs/nodes.md says about 50-cloud-init.yaml: our scalar keys win, its lists stay."""
    item = network_files(small["netplan"], "w1")[nodes_kubeadm.NETPLAN_PATH]
    cloud_init = {"network": {"version": 2, "ethernets": {
        "eno1": {"dhcp4": True, "mtu": 1500, "match": {"macaddress": "52:54:00:12:34:56"}, "set-name": "eno1"},
        "eno2": {"dhcp4": False, "addresses": ["198.51.100.20/24"],
                 "routes": [{"to": "198.51.100.0/25", "via": "198.51.100.1"}]}}}}
    generated = netplan_generate(tmp_path, {
        item["path"]: (item["content"], 0o600),
        "/etc/netplan/50-cloud-init.yaml": (yaml.safe_dump(cloud_init), 0o600)})[1]
    links = normalize_networkd(generated)
    # eno1: dhcp4 and mtu are ours (60- is read after 50-), its match gains cloud-init's MAC address
    assert (links["eno1"]["dhcp"], links["eno1"]["mtu"]) == ("no", 9000)
    assert "PermanentMACAddress=52:54:00:12:34:56" in generated["10-netplan-eno1.network"]
    assert links["bond0"]["members"] == ["eno1", "eno2"]
    # eno2: cloud-init's address and route survive on a bond member: the role refuses this (see below)
    assert links["eno2"]["addresses"] == ["198.51.100.20/24"]
    assert links["eno2"]["routes"] == [("198.51.100.0/25", "198.51.100.1")]


# --- the role, for real on an overlay ---------------------------------------------------------------------------

RECORDER = """#!/bin/sh
# Recording stand-in (tests only): logs the call; `netplan apply` only generates (what it does before it
# touches interfaces), networkctl does nothing.
echo "$(basename "$0") $*" >>/var/log/netstack-test-calls.log
if [ "$(basename "$0")" = netplan ]; then
  if [ "$1" = apply ]; then exec /usr/sbin/netplan generate; fi
  exec /usr/sbin/netplan "$@"
fi
exit 0
"""

PLAYBOOK = """---
- name: The kubeadm_prep role's node network tasks
  hosts: node
  gather_facts: false
  tasks:
    - name: Node network
      ansible.builtin.include_role:
        name: netstack.baremetal.kubeadm_prep
        tasks_from: network
"""


def _can_overlay():
    if os.geteuid() != 0:
        return "needs root (private mount and network namespaces, overlayfs)"
    if shutil.which("unshare") is None:
        return "needs unshare (util-linux)"
    return None


@pytest.fixture()
def overlay_node(tmp_path):
    """A node whose root is an overlay of this machine's root file system, entered with chroot.

    Every run mounts the overlay in fresh private mount and network namespaces, so nothing the role does
    reaches this machine: its writes land in ``upper``; the node has only a loopback.
    """
    reason = _can_overlay()
    if reason:
        pytest.skip(reason)
    upper, work, merged = tmp_path / "upper", tmp_path / "work", tmp_path / "merged"
    for directory in (upper / "usr" / "local" / "sbin", work, merged, upper / "var" / "log"):
        directory.mkdir(parents=True)
    for name in ("netplan", "networkctl"):
        (upper / "usr" / "local" / "sbin" / name).write_text(RECORDER)
        (upper / "usr" / "local" / "sbin" / name).chmod(0o755)
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump({"all": {"hosts": {"node": {
        "ansible_connection": "community.general.chroot", "ansible_host": str(merged),
        "ansible_python_interpreter": "/usr/bin/python3", "ansible_pipelining": True}}}}))
    (tmp_path / "playbook.yml").write_text(PLAYBOOK)
    script = ("set -e; mount -t overlay overlay -o lowerdir=/,upperdir={u},workdir={w} {m}; "
              "mount --bind /dev {m}/dev; exec \"$@\"").format(u=upper, w=work, m=merged)
    bin_dir = os.path.dirname(sys.executable)
    env = dict(os.environ)
    env.update({"ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
                "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:%s" % bin_dir})

    def run(node_entry, *extra, fail=False):
        (tmp_path / "vars.json").write_text(json.dumps({"kubeadm_prep_node": node_entry,
                                                        "kubeadm_prep_skip_kernel": False}))
        argv = ["unshare", "--mount", "--net", "--propagation", "private", "sh", "-c", script, "netns",
                os.path.join(bin_dir, "ansible-playbook"), str(tmp_path / "playbook.yml"),
                "-i", str(tmp_path / "inventory.yml"), "-e", "@%s" % (tmp_path / "vars.json")] + list(extra)
        result = subprocess.run(argv, env=env, cwd=str(REPO), capture_output=True, text=True, timeout=600,
                                check=False)
        assert (result.returncode != 0) == fail, result.stdout[-5000:] + result.stderr[-2000:]
        return result.stdout

    def calls():
        """The stand-ins' calls, scratch directories replaced by ``ROOT``."""
        log = upper / "var" / "log" / "netstack-test-calls.log"
        lines = log.read_text().splitlines() if log.exists() else []
        return [" ".join("ROOT" if w.startswith("/tmp/") else w for w in line.split()) for line in lines]

    return {"run": run, "upper": upper, "calls": calls}


SCRATCH_CHECK = ["netplan get --root-dir ROOT ethernets", "netplan generate --root-dir ROOT"]


@needs_netplan
def test_role_writes_validates_and_applies_the_netplan_file_once(small, overlay_node):
    run, upper, calls = overlay_node["run"], overlay_node["upper"], overlay_node["calls"]
    netplan_node = small["netplan"]["nodes"]["w2"]
    networkd_node = small["networkd"]["nodes"]["w2"]
    netplan_file = upper / "etc" / "netplan" / "60-netstack.yaml"
    networkd_dir = upper / "etc" / "systemd" / "network"
    # the node ran with the networkd renderer before, and cloud-init configured eno1 with DHCP
    for item in networkd_node["kubeadm"]["files"]["network"]:
        target = upper / item["path"].lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(item["content"])
    networkd_files = sorted(p.name for p in networkd_dir.iterdir())
    assert "10-netstack-bond0.netdev" in networkd_files and "30-netstack-bond0.60.netdev" in networkd_files
    cloud_init = upper / "etc" / "netplan" / "50-cloud-init.yaml"
    cloud_init.parent.mkdir(parents=True, exist_ok=True)

    def cloud_init_says(ethernets):
        cloud_init.write_text(yaml.safe_dump({"network": {"version": 2, "ethernets": ethernets}}))
        cloud_init.chmod(0o600)

    def untouched():
        return not netplan_file.exists() and sorted(p.name for p in networkd_dir.iterdir()) == networkd_files

    # check mode: validates the planned file in a scratch root, shows the change, writes and applies nothing
    cloud_init_says({"eno1": {"dhcp4": True}})
    output = run(netplan_node, "--check", "--diff")
    assert "/etc/netplan/60-netstack.yaml" in output and "10-netstack-bond0.netdev (removed)" in output
    assert recap(output)["node"]["changed"] == 1 and untouched()
    assert calls() == SCRATCH_CHECK

    # cloud-init gave an uplink an address: refused before anything is written
    cloud_init_says({"eno2": {"addresses": ["198.51.100.20/24"], "nameservers": {"addresses": ["198.51.100.53"]}}})
    output = run(netplan_node, fail=True)
    assert "configures uplink NICs of this node: eno2 (addresses, nameservers)." in " ".join(output.split()), output
    # a file netplan cannot read: refused the same way (the check runs the real netplan in the scratch root)
    cloud_init.write_text("network: {version: 2, ethernets: {eno2: {addresses: 198.51.100.20/24}}}\n")
    run(netplan_node, fail=True)
    assert untouched() and "netplan apply" not in calls()

    # fixed: the file (0600, byte for byte the plan's), the networkd files gone, applied once
    cloud_init_says({"eno1": {"dhcp4": True}})
    before = len(calls())
    output = run(netplan_node)
    assert netplan_file.read_text() == netplan_node["kubeadm"]["files"]["network"][0]["content"]
    assert oct(netplan_file.stat().st_mode & 0o777) == "0o600"
    assert not list(networkd_dir.glob("*-netstack-*"))
    assert calls()[before:] == SCRATCH_CHECK + ["networkctl reload", "netplan apply"]
    generated = upper / "run" / "systemd" / "network"   # what `netplan apply` generated from it
    assert "Kind=bond" in (generated / "10-netplan-bond0.netdev").read_text()
    assert "Id=60" in (generated / "10-netplan-bond0.60.netdev").read_text()
    assert "DHCP" not in (generated / "10-netplan-eno1.network").read_text()   # our dhcp4: false won

    # idempotent: nothing changes, nothing is applied again (the check runs on every run)
    before = len(calls())
    output = run(netplan_node)
    assert recap(output)["node"]["changed"] == 0, output[-3000:]
    assert calls()[before:] == SCRATCH_CHECK

    # back to networkd: the netplan file goes, netplan apply drops its interfaces, networkd reloads
    before = len(calls())
    run(networkd_node)
    assert not netplan_file.exists()
    assert sorted(p.name for p in networkd_dir.iterdir()) == networkd_files
    assert calls()[before:] == ["networkctl reload", "netplan apply"]
