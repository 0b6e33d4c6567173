# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The site twin's translators (tests/twin/site_twin.py) on rendered artefacts, and the proof that the twin's
wire check catches the node VLAN tagging defect: a mis-tagged render built into namespaces cannot reach its
gateway, the real render can (and a switch port left at MTU 1500 loses only the jumbo frames) (root, iproute2
and ping needed for that part; molecule/site_twin runs the rest)."""
from __future__ import absolute_import, division, print_function

import copy
import os
import pathlib
import shutil
import sys

import pytest
import yaml

from inventory_loader import load_inventory

from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_mod

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "twin"))

import site_twin  # noqa: E402

TWIN_INVENTORY = REPO / "molecule" / "site_twin" / "inventory"
SWITCHES = ["r1-leaf1", "r1-leaf2", "r2-leaf1", "r2-leaf2"]
NODES = ["cp1", "cp2", "w1", "w2", "w3"]


def _render(site, sections=("fabric", "nodes", "cluster_network")):
    return plan_mod.render_bundle(plan_mod.build_plan(*site), list(sections))


@pytest.fixture(scope="module")
def twin_site():
    return load_inventory(TWIN_INVENTORY)


@pytest.fixture(scope="module")
def bundle(twin_site):
    return _render(twin_site)


@pytest.fixture(scope="module")
def kubeadm_bundle(twin_site):
    site = copy.deepcopy(twin_site)
    site[0]["netstack_cluster"].update(node_os="kubeadm", variant="kubeovn-cilium-generic")
    return _render(site, ["nodes"])


def _talos(bundle, node):
    return site_twin.read_talos(bundle["nodes/%s/network.yaml" % node])


def _networkd(bundle, node):
    prefix = "nodes/%s/networkd/" % node
    return site_twin.read_networkd({k[len(prefix):]: v for k, v in bundle.items() if k.startswith(prefix)}, node)


# --- the switch: the ifupdown2 file -----------------------------------------------------------------------

def test_every_rendered_switch_file_is_read(bundle):
    for switch in SWITCHES:
        model = site_twin.read_interfaces(bundle["fabric/%s.interfaces" % switch])
        assert model["vlans"] == [10, 20, 30]
        peerlink = model["members"].pop("peerlink")
        assert model["members"], switch
        for member in model["members"].values():
            # the tagging contract, as the switch file states it: node VLAN native, the others tagged
            assert (member["pvid"], member["tagged"]) == (10, [20, 30]), switch
            assert len(member["ports"]) == 1 and member["mtu"] == 9000
        # the MLAG peer link of the inventory's mlag block: every VLAN tagged, the session on VLAN 4094
        assert peerlink == {"ports": ["swp49", "swp50"], "pvid": None, "tagged": [10, 20, 30], "mtu": 9000}
        first = switch.endswith("leaf1")
        rack = switch.split("-", maxsplit=1)[0]
        assert model["peerlink"] == {
            "name": "peerlink.4094", "bond": "peerlink", "vlan": 4094, "ports": ["swp49", "swp50"],
            "address": "169.254.255.%d/30" % (1 if first else 2), "peer_ip": "169.254.255.%d" % (2 if first else 1),
            "backup_ip": "192.168.61.%s%d" % (rack[1], 2 if first else 1), "backup_vrf": "mgmt",
            "sys_mac": "44:38:39:ff:00:0%s" % rack[1], "priority": 1000 if first else 2000}
        assert sorted(model["svis"]) == [10, 30]
        assert model["svis"][10]["gateway"] == "10.61.0.1/24" and model["svis"][10]["mtu"] == 9000
        assert model["svis"][30]["gateway"] == "10.63.0.1/24" and model["svis"][30]["mtu"] == 1500


@pytest.mark.parametrize("change, message", [
    (("    bond-mode 802.3ad\n", "    bond-mode 802.3ad\n    bridge-learning off\n"), "not understood: bridge-learning"),
    (("auto bridge\n", "auto vxlan10\niface vxlan10\n    vxlan-id 10\n\nauto bridge\n"), "not understood: vxlan-id"),
    (("iface swp1\n", "iface swp1 inet manual\n"), "only 'auto NAME' and 'iface NAME'"),
    (("auto swp1\n", "allow-hotplug swp1\nauto swp1\n"), "only 'auto NAME' and 'iface NAME'"),
    (("    bond-slaves swp1\n", "    bond-slaves swp9\n"), "not a port stanza"),
    (("    bridge-vids 10 20 30\n    mstpctl", "    bridge-vids 10 20 30 40\n    mstpctl"), "not on bridge"),
    (("    bridge-stp on\n", "    bridge-stp off\n"), "bridge-stp"),
    (("    mtu 9000\n", "    mtu 9000\n    mtu 1500\n"), "given twice"),
    (("    clagd-priority", "    clagd-args --vm\n    clagd-priority"), "not understood: clagd-args"),
    (("    clagd-peer-ip 169.254.255.2\n", "    clagd-peer-ip 169.254.254.2\n"), "is not another address"),
    (("    clagd-sys-mac 44:38:39:ff:00:01\n", ""), "missing clagd-sys-mac"),
    (("bridge-ports bond1 bond3 bond5 peerlink\n", "bridge-ports bond1 bond3 bond5\n"), "not a port of bridge"),
    (("auto peerlink.4094\niface peerlink.4094\n", "auto peerlink.30\niface peerlink.30\n"), "stays off it"),
])
def test_the_switch_reader_refuses_what_it_does_not_understand(bundle, change, message):
    text = bundle["fabric/r1-leaf1.interfaces"]
    assert change[0] in text
    with pytest.raises(site_twin.Refused, match=message):
        site_twin.read_interfaces(text.replace(change[0], change[1], 1))


# --- the nodes: Talos documents and networkd files ----------------------------------------------------------

def test_every_rendered_talos_node_is_read(bundle):
    for node in NODES:
        model = _talos(bundle, node)
        assert model["hostname"] == node
        assert site_twin.node_wiring(model) == {
            "bond0": {"nics": ["enp1s0f0", "enp1s0f1"], "tag": None},
            "bond0.20": {"nics": ["enp1s0f0", "enp1s0f1"], "tag": 20},
            "bond0.30": {"nics": ["enp1s0f0", "enp1s0f1"], "tag": 30}}, node
        assert model["links"]["bond0"]["gateway"] == "10.61.0.1"
        assert [v["address"] for v in model["vips"]] == (["10.61.0.5"] if node.startswith("cp") else [])


def test_networkd_and_talos_renders_of_one_site_translate_to_the_same_links(bundle, kubeadm_bundle):
    """The networkd translator, proven on rendered kubeadm files: the same site rendered for kubeadm gives the
    same links, addresses, MTUs, tags and gateway as its Talos render (the VIP is kube-vip's there)."""
    for node in NODES:
        talos, networkd = _talos(bundle, node), _networkd(kubeadm_bundle, node)
        assert networkd["links"] == talos["links"], node
        assert networkd["links"]["bond0"]["addresses"] and networkd["links"]["bond0"]["mode"] == "802.3ad"


@pytest.mark.parametrize("change, message", [
    (("mtu: 9000\naddresses:\n  - address: 10.61", "mtu: 9000\ndhcp: true\naddresses:\n  - address: 10.61"),
     "keys not understood: dhcp"),
    (("kind: HostnameConfig", "kind: DHCPv4Config"), "document not understood"),
    (("bondMode: 802.3ad", "bondMode: balance-alb"), "bondMode"),
    (("parent: bond0", "parent: bond1"), "parent bond1 is not"),
    (("routes:\n  - gateway: 10.61.0.1", "routes:\n  - gateway: 10.61.0.1\n    metric: 5"), "route"),
])
def test_the_talos_reader_refuses_what_it_does_not_understand(bundle, change, message):
    text = bundle["nodes/cp1/network.yaml"]
    assert change[0] in text
    with pytest.raises(site_twin.Refused, match=message):
        site_twin.read_talos(text.replace(change[0], change[1], 1))


@pytest.mark.parametrize("fname, change, message", [
    ("20-netstack-bond0.network", ("LLDP=yes", "DHCP=yes"), r"\[Network\] DHCP not understood"),
    ("10-netstack-enp1s0f0.network", ("Name=enp1s0f0", "Name=enp1s0f*"), "one exact name"),
    ("20-netstack-bond0.network", ("VLAN=bond0.20\n", ""), "would never create it"),
    ("10-netstack-bond0.netdev", ("Kind=bond", "Kind=team"), "Kind 'team'"),
    ("30-netstack-bond0.20.network", ("MTUBytes=9000", "MTUBytes=1500"), "disagree on the MTU"),
])
def test_the_networkd_reader_refuses_what_it_does_not_understand(kubeadm_bundle, fname, change, message):
    prefix = "nodes/cp1/networkd/"
    files = {k[len(prefix):]: v for k, v in kubeadm_bundle.items() if k.startswith(prefix)}
    assert change[0] in files[fname]
    files[fname] = files[fname].replace(change[0], change[1], 1)
    with pytest.raises(site_twin.Refused, match=message):
        site_twin.read_networkd(files, "cp1")


# --- the speakers: MetalLB objects ---------------------------------------------------------------------------

def _objects(bundle):
    (path,) = [p for p in bundle if p.startswith("cluster_network/manifests/") and p.endswith("-metallb-config.yaml")]
    return [d for d in yaml.safe_load_all(bundle[path]) if d]


def test_speakers_come_from_the_bgppeer_objects(bundle):
    metallb = site_twin.read_metallb(_objects(bundle))
    text, peers, announce = site_twin.speaker_conf(metallb, "cp1", {"netstack-bgp-password": "s3cret"})
    assert sorted(p["peer_address"] for p in peers) == ["10.61.0.253", "10.61.0.254"]
    assert {(p["local_asn"], p["remote_asn"], p["local_address"], p["bfd"]) for p in peers} == {
        (65001, 65101, "10.61.0.11", True)}
    assert announce == ["10.63.0.65/32", "10.64.0.1/32"]
    assert " neighbor 10.61.0.254 password s3cret" in text and "  network 10.64.0.1/32" in text
    with pytest.raises(site_twin.Refused, match="has no value"):
        site_twin.speaker_conf(metallb, "cp1", {})


@pytest.mark.parametrize("mutate, message", [
    (lambda docs: docs[4]["spec"].update(ebgpMultiHop=True), "keys not understood: ebgpMultiHop"),
    (lambda docs: docs[4]["spec"]["nodeSelectors"][0]["matchLabels"].update(rack="r1"), "node selector"),
    (lambda docs: docs.append({"apiVersion": "metallb.io/v1beta1", "kind": "L2Advertisement",
                               "metadata": {"name": "x"}, "spec": {}}), "L2 advertisement"),
    (lambda docs: docs.append({"apiVersion": "cilium.io/v2", "kind": "CiliumBGPClusterConfig",
                               "metadata": {"name": "x"}, "spec": {}}), "Cilium BGP"),
    (lambda docs: docs[2]["spec"].update(receiveInterval=100), "default timers"),
])
def test_the_metallb_reader_refuses_what_it_does_not_understand(bundle, mutate, message):
    docs = _objects(bundle)
    assert docs[2]["kind"] == "BFDProfile" and docs[4]["kind"] == "BGPPeer"
    mutate(docs)
    with pytest.raises(site_twin.Refused, match=message):
        site_twin.read_metallb(docs)


# --- on the wire: the tagging defect -------------------------------------------------------------------------

def _mis_tag_node(text):
    """The defect of issue 15: the node VLAN configured tagged on the node (a VLANConfig bond0.10 holding the
    address and the default route) while the switch sends it untagged."""
    docs = list(yaml.safe_load_all(text))
    bond = next(d for d in docs if d["kind"] == "BondConfig")
    vlan = {"apiVersion": "v1alpha1", "kind": "VLANConfig", "name": "bond0.10", "vlanID": 10, "parent": "bond0",
            "mtu": bond["mtu"], "addresses": bond.pop("addresses"), "routes": bond.pop("routes")}
    return yaml.safe_dump_all(docs + [vlan])


def _mis_tag_networkd(files):
    """The same defect in systemd-networkd files: the address and default route on a VLAN bond0.10."""
    files = dict(files)
    lines = files["20-netstack-bond0.network"].splitlines()
    moved = [line for line in lines if line.startswith(("Address=", "Gateway="))]
    assert moved and lines[-1].startswith("VLAN=")   # [Network] is the last section
    files["20-netstack-bond0.network"] = "\n".join([line for line in lines if line not in moved] + ["VLAN=bond0.10"])
    files["30-netstack-bond0.10.netdev"] = "[NetDev]\nName=bond0.10\nKind=vlan\nMTUBytes=9000\n\n[VLAN]\nId=10\n"
    files["30-netstack-bond0.10.network"] = "\n".join(["[Match]", "Name=bond0.10", "", "[Link]", "MTUBytes=9000", "",
                                                       "[Network]"] + moved) + "\n"
    return files


def _mis_tag_switch(text):
    """The same defect from the other end: the switch sends the node VLAN tagged."""
    assert "    bridge-pvid 10\n    bridge-vids 10 20 30\n" in text
    return text.replace("    bridge-pvid 10\n    bridge-vids 10 20 30\n", "    bridge-vids 10 20 30\n")


def _wire_ready():
    return os.geteuid() == 0 and shutil.which("ip") and shutil.which("ping")


@pytest.fixture()
def mini_twin(tmp_path, monkeypatch):
    """One leaf and one node in namespaces of their own (not the molecule scenario's), removed afterwards.
    One cable cannot make a loop, so the bridges run without STP (no 4 s wait before a port forwards)."""
    monkeypatch.setattr(site_twin, "STP", ["stp_state", "0"])
    saved = (site_twin.STATE, site_twin.PREFIX)
    site_twin.configure(str(tmp_path / "state"), "nsu%d-" % os.getpid())
    os.makedirs(site_twin.STATE)
    os.chmod(str(tmp_path), 0o755)
    os.chmod(site_twin.STATE, 0o755)
    yield
    site_twin.down(None)
    site_twin.configure(*saved)


def _wire(switch_text, node_model):
    """cp1 cabled to r1-leaf1 swp1 (its other NIC to a port nothing configures), each end built from its file
    by the twin's own builders; the twin's reachability check's failures."""
    switch_model = site_twin.read_interfaces(switch_text)
    switch_model["members"] = {m: s for m, s in switch_model["members"].items() if s["ports"] == ["swp1"]}
    switch_model["peerlink"] = None     # one leaf: no peer
    tags = [10, 20, 30]
    site_twin.make_namespace("leaf")
    site_twin.make_namespace("cp1")
    site_twin.lay_cable("leaf", "swp1", "cp1", "enp1s0f0", [None] + tags)
    site_twin.lay_cable("leaf", "swp99", "cp1", "enp1s0f1", [None] + tags)
    site_twin.build_switch_l2("leaf", switch_model, {"swp1": tags}, [], 4096)
    site_twin.build_node("cp1", node_model, {"enp1s0f0": tags, "enp1s0f1": tags})
    probes = site_twin.reach_probes({"cp1": node_model})
    assert ("cp1", "10.61.0.1", None) in probes and ("cp1", "10.61.0.1", 8972) in probes
    return site_twin.ping_all(probes, attempts=2)


@pytest.mark.skipif(not _wire_ready(), reason="needs root, iproute2 and ping (network namespaces)")
@pytest.mark.parametrize("node_os, defect", [("talos", None), ("talos", "node"), ("talos", "switch"),
                                             ("kubeadm", None), ("kubeadm", "node"), ("talos", "mtu")])
def test_the_wire_check_catches_the_tagging_defect(bundle, kubeadm_bundle, mini_twin, node_os, defect):
    switch_text = bundle["fabric/r1-leaf1.interfaces"]
    if defect == "switch":
        switch_text = _mis_tag_switch(switch_text)
    elif defect == "mtu":
        # the switch port left at 1500: everything works but jumbo frames
        assert "iface swp1\n    alias cp1 enp1s0f0\n    mtu 9000\n" in switch_text
        switch_text = switch_text.replace("iface swp1\n    alias cp1 enp1s0f0\n    mtu 9000\n",
                                          "iface swp1\n    alias cp1 enp1s0f0\n    mtu 1500\n")
    if node_os == "talos":
        node_text = bundle["nodes/cp1/network.yaml"]
        node_model = site_twin.read_talos(_mis_tag_node(node_text) if defect == "node" else node_text)
    else:
        prefix = "nodes/cp1/networkd/"
        files = {k[len(prefix):]: v for k, v in kubeadm_bundle.items() if k.startswith(prefix)}
        node_model = site_twin.read_networkd(_mis_tag_networkd(files) if defect == "node" else files, "cp1")
    if defect == "node":
        assert site_twin.node_wiring(node_model)["bond0.10"] == {"nics": ["enp1s0f0", "enp1s0f1"], "tag": 10}
    lost = _wire(switch_text, node_model)
    if defect is None:
        assert lost == []
    elif defect == "mtu":
        assert lost == [("cp1", "10.61.0.1", 8972)]
    else:
        assert ("cp1", "10.61.0.1", None) in lost


def _peer_link_wire(bundle, drop_peerlink):
    """r1-leaf1 and r1-leaf2 joined by the peer-link cables the plan lays (swp49, swp50 at both ends), each built
    from its rendered file by the twin's own builder (node ports left out); the peers' ping failures."""
    models = {}
    for leaf in ("r1-leaf1", "r1-leaf2"):
        text = bundle["fabric/%s.interfaces" % leaf]
        if drop_peerlink and leaf == "r1-leaf2":
            # the defect: a file without the peer link (the bond, its session stanza, its bridge port)
            start, end = text.index("auto peerlink\n"), text.index("auto bridge\n")
            text = text[:start] + text[end:].replace(" peerlink\n", "\n", 1)
        models[leaf] = site_twin.read_interfaces(text)
        models[leaf]["members"] = {}
    tags = [10, 20, 30, 4094]
    for leaf in models:
        site_twin.make_namespace(leaf)
    for port in ("swp49", "swp50"):
        site_twin.lay_cable("r1-leaf1", port, "r1-leaf2", port, [None] + tags)
    for priority, leaf in enumerate(sorted(models)):
        site_twin.build_switch_l2(leaf, models[leaf], {"swp49": tags, "swp50": tags}, [], 4096 * (priority + 1))
    probes = [(leaf, m["peerlink"]["peer_ip"], None) for leaf, m in sorted(models.items()) if m["peerlink"]]
    return probes, site_twin.ping_all(probes, attempts=6)


@pytest.mark.skipif(not _wire_ready(), reason="needs root, iproute2 and ping (network namespaces)")
@pytest.mark.parametrize("drop_peerlink", [False, True])
def test_the_peer_link_comes_from_the_rendered_files(bundle, mini_twin, monkeypatch, drop_peerlink):
    # two cables between the leaves: STP on again (the twin's timers), or the session bridges would loop
    monkeypatch.setattr(site_twin, "STP", ["stp_state", "1", "forward_delay", "200", "hello_time", "100",
                                           "max_age", "600"])
    probes, lost = _peer_link_wire(bundle, drop_peerlink)
    if drop_peerlink:
        # only r1-leaf1 has a session address: its peer is not there
        assert probes == [("r1-leaf1", "169.254.255.2", None)] and lost == probes
    else:
        assert probes == [("r1-leaf1", "169.254.255.2", None), ("r1-leaf2", "169.254.255.1", None)]
        assert lost == []
