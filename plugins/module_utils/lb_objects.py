# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load-balancer objects from the plan: MetalLB, or Cilium's LB-IPAM with L2 or BGP.

The BGP speakers' side is built from ``bgp.node_side(plan["bgp"]["sessions"])``,
the same session list the switch renderers use, and ``node_view(objects, ...)``
rebuilds that view from the generated objects so ``bgp.check_consistency`` can
prove both ends agree, session by session.

Passwords never appear here: a peer refers to a Secret by name, and the plan
lists which inventory variable fills that Secret in apply mode.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import ipaddress
import re

from ansible_collections.netstack.baremetal.plugins.module_utils import bgp as bgp_mod

METALLB_V1B1 = "metallb.io/v1beta1"
METALLB_V1B2 = "metallb.io/v1beta2"
CILIUM_V2 = "cilium.io/v2"
CILIUM_V2A1 = "cilium.io/v2alpha1"
MANAGED_BY = {"app.kubernetes.io/managed-by": "netstack"}
SESSION_ANNOTATION = "netstack.io/session"
POOL_LABEL = "netstack.io/lb-pool"
PASSWORD_SECRET = "netstack-bgp-password"
BFD_PROFILE = "netstack"
# BFD timers of the profile (FRR's defaults, written down so both ends can be compared).
BFD_TIMERS = {"receiveInterval": 300, "transmitInterval": 300, "detectMultiplier": 3}
CILIUM_PEER_CONFIG = "netstack-peer"
CILIUM_ADVERTISEMENT = "netstack-lb"
CILIUM_ADVERTISE_LABEL = {"netstack.io/advertise": "lb"}
HOSTNAME_LABEL = "kubernetes.io/hostname"

_NAME_BAD = re.compile(r"[^a-z0-9.-]+")


def k8s_name(text, limit=63):
    """A DNS-1123 name from free text; long names keep a hash suffix so they stay unique."""
    name = _NAME_BAD.sub("-", text.lower()).strip("-.")
    if len(name) > limit:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
        name = name[:limit - 9].rstrip("-.") + "-" + digest
    return name or "x"


def _meta(name, namespace=None, labels=None, annotations=None):
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    meta["labels"] = dict(MANAGED_BY, **(labels or {}))
    if annotations:
        meta["annotations"] = annotations
    return meta


def _addresses(pool):
    """Pool entries as MetalLB writes them: CIDRs as given, ranges without blanks."""
    return [entry.replace(" ", "") for entry in pool["addresses"]]


def _timer(seconds):
    return "%ds" % seconds


def _peer_groups(ctx, plan):
    """Node-side peers grouped by scope: [(group key, node names, [peer])] in session order.

    ``node`` scope: one group per node.  ``rack`` scope: one group per rack; the
    nodes of a rack share ASN and switches (checked at plan time), so the first
    node's peers stand for all of them.
    """
    node_view = bgp_mod.node_side(plan["bgp"]["sessions"])
    scope = ctx["speakers"]["scope"]
    if scope == "node":
        return [(node, [node], peers) for node, peers in node_view.items()]
    racks = {}
    for node, peers in node_view.items():
        racks.setdefault(plan["nodes"][node]["rack"], []).append((node, peers))
    return [(rack, [member[0] for member in members], members[0][1]) for rack, members in racks.items()]


def _selector(ctx, group, scope):
    if scope == "node":
        # the kubelet's kubernetes.io/hostname is the lower-cased host name
        return {"matchLabels": {HOSTNAME_LABEL: group.lower()}}
    return {"matchLabels": {ctx["speakers"]["rack_label"]: group}}


def _password(sessions):
    refs = sorted({s["password_ref"] for s in sessions if s["password_ref"]})
    return refs[0] if refs else None


def metallb_objects(ctx, plan):
    """MetalLB objects: pools, advertisements, BFD profile, BGP peers.  Returns (objects, secrets)."""
    namespace = ctx["components"]["metallb"]["namespace"]
    objects = []
    secrets = []
    pools = plan["pools"]
    for pool in pools:
        objects.append({"apiVersion": METALLB_V1B1, "kind": "IPAddressPool",
                        "metadata": _meta(pool["name"], namespace),
                        "spec": {"addresses": _addresses(pool), "autoAssign": pool["auto_assign"],
                                 "avoidBuggyIPs": False}})
    if plan["load_balancer"]["mode"] == "l2":
        for pool in pools:
            objects.append({"apiVersion": METALLB_V1B1, "kind": "L2Advertisement",
                            "metadata": _meta(pool["name"], namespace),
                            "spec": {"ipAddressPools": [pool["name"]]}})
        return objects, secrets
    sessions = plan["bgp"]["sessions"]
    password = _password(sessions)
    if password:
        secrets.append({"name": PASSWORD_SECRET, "namespace": namespace, "type": "kubernetes.io/basic-auth",
                        "key": "password", "variable": password})
    if any(s["bfd"] for s in sessions):
        objects.append({"apiVersion": METALLB_V1B1, "kind": "BFDProfile",
                        "metadata": _meta(BFD_PROFILE, namespace), "spec": dict(BFD_TIMERS)})
    scope = ctx["speakers"]["scope"]
    used = set()
    for group, _nodes, peers in _peer_groups(ctx, plan):
        for peer in peers:
            base = "%s-%s" % (peer["peer"], group)
            name = k8s_name(base)
            if name in used:
                name = k8s_name(base + "-" + hashlib.sha256(base.encode("utf-8")).hexdigest()[:6])
            used.add(name)
            spec = {"myASN": peer["local_asn"], "peerASN": peer["remote_asn"],
                    "peerAddress": peer["peer_address"]}
            annotations = None
            if scope == "node":
                spec["sourceAddress"] = peer["local_address"]
                annotations = {SESSION_ANNOTATION: peer["session"]}
            spec.update(holdTime=_timer(peer["hold_time"]), keepaliveTime=_timer(peer["keepalive"]),
                        nodeSelectors=[_selector(ctx, group, scope)])
            if peer["password_ref"]:
                spec["passwordSecret"] = {"name": PASSWORD_SECRET, "namespace": namespace}
            if peer["bfd"]:
                spec["bfdProfile"] = BFD_PROFILE
            objects.append({"apiVersion": METALLB_V1B2, "kind": "BGPPeer",
                            "metadata": _meta(name, namespace, annotations=annotations), "spec": spec})
    for pool in pools:
        # /32 only: the switches accept nothing shorter from the nodes (bgp.policy.accept_from_nodes).
        objects.append({"apiVersion": METALLB_V1B1, "kind": "BGPAdvertisement",
                        "metadata": _meta(pool["name"], namespace),
                        "spec": {"ipAddressPools": [pool["name"]], "aggregationLength": 32}})
    return objects, secrets


def _cilium_blocks(pool):
    blocks = []
    for entry in pool["addresses"]:
        if "-" in entry:
            first, last = [p.strip() for p in entry.split("-", 1)]
            blocks.append({"start": first, "stop": last})
        else:
            blocks.append({"cidr": str(ipaddress.IPv4Network(entry))})
    return blocks


def cilium_objects(ctx, plan):
    """Cilium LB-IPAM pools plus L2 announcements or the BGP control plane.  Returns (objects, secrets)."""
    namespace = ctx["components"]["cilium"]["namespace"]
    objects = []
    secrets = []
    for pool in plan["pools"]:
        spec = {"blocks": _cilium_blocks(pool)}
        if not pool["auto_assign"]:
            # Cilium has no autoAssign flag: such a pool only serves Services that carry its label.
            spec["serviceSelector"] = {"matchLabels": {POOL_LABEL: pool["name"]}}
        objects.append({"apiVersion": CILIUM_V2, "kind": "CiliumLoadBalancerIPPool",
                        "metadata": _meta(pool["name"]), "spec": spec})
    if plan["load_balancer"]["mode"] == "l2":
        objects.append({"apiVersion": CILIUM_V2A1, "kind": "CiliumL2AnnouncementPolicy",
                        "metadata": _meta("netstack-l2"),
                        "spec": {"loadBalancerIPs": True, "externalIPs": False}})
        return objects, secrets
    sessions = plan["bgp"]["sessions"]
    password = _password(sessions)
    if password:
        secrets.append({"name": PASSWORD_SECRET, "namespace": namespace, "type": "Opaque", "key": "password",
                        "variable": password})
    sample = sessions[0] if sessions else {"keepalive": 3, "hold_time": 9}
    peer_config = {
        "timers": {"keepAliveTimeSeconds": sample["keepalive"], "holdTimeSeconds": sample["hold_time"]},
        "gracefulRestart": {"enabled": True},
        "families": [{"afi": "ipv4", "safi": "unicast",
                      "advertisements": {"matchLabels": dict(CILIUM_ADVERTISE_LABEL)}}],
    }
    if password:
        peer_config["authSecretRef"] = PASSWORD_SECRET
    objects.append({"apiVersion": CILIUM_V2, "kind": "CiliumBGPPeerConfig",
                    "metadata": _meta(CILIUM_PEER_CONFIG), "spec": peer_config})
    objects.append({"apiVersion": CILIUM_V2, "kind": "CiliumBGPAdvertisement",
                    "metadata": _meta(CILIUM_ADVERTISEMENT, labels=dict(CILIUM_ADVERTISE_LABEL)),
                    "spec": {"advertisements": [{
                        "advertisementType": "Service",
                        "service": {"addresses": ["LoadBalancerIP"]},
                        # every Service: a selector is required, this one matches all of them
                        "selector": {"matchExpressions": [{"key": "netstack.io/no-advertise",
                                                           "operator": "DoesNotExist"}]},
                    }]}})
    scope = ctx["speakers"]["scope"]
    for group, _nodes, peers in _peer_groups(ctx, plan):
        objects.append({"apiVersion": CILIUM_V2, "kind": "CiliumBGPClusterConfig",
                        "metadata": _meta(k8s_name("netstack-" + group)),
                        "spec": {"nodeSelector": _selector(ctx, group, scope),
                                 "bgpInstances": [{
                                     "name": "netstack",
                                     "localASN": peers[0]["local_asn"],
                                     "peers": [{"name": k8s_name(p["peer"]), "peerASN": p["remote_asn"],
                                                "peerAddress": p["peer_address"],
                                                "peerConfigRef": {"name": CILIUM_PEER_CONFIG}}
                                               for p in peers]}]}})
    return objects, secrets


def node_view(objects, plan, secrets, rack_label=None):
    """Rebuild ``bgp.node_side``'s view from generated MetalLB or Cilium objects.

    Each peer object is read on its own: its node selector says which nodes
    speak (a hostname, or a rack label matched against the plan's racks), its
    peer address says which switch answers (looked up among the switches'
    addresses on the peering VLAN), and ASNs, timers, BFD and the password
    Secret come from the object.  The session id is derived from those, so a
    peer aimed at the wrong switch or node shows up in ``check_consistency`` as
    a session configured on one end only.  Where an object carries no source
    address, the node's address on the peering VLAN stands in.
    """
    vlan_name = plan["bgp"]["peering_vlan"]
    vlan = next((v for v in plan["vlans"] if v["name"] == vlan_name), {"switches": {}})
    switch_at = {address: switch for switch, address in vlan["switches"].items()}
    variable_of = {s["name"]: s["variable"] for s in secrets}
    peer_configs = {o["metadata"]["name"]: o["spec"] for o in objects if o["kind"] == "CiliumBGPPeerConfig"}
    view = {}
    by_hostname = dict((node.lower(), node) for node in plan["nodes"])

    def selected(selector):
        labels = selector.get("matchLabels", {})
        if HOSTNAME_LABEL in labels:
            return [by_hostname[labels[HOSTNAME_LABEL]]] if labels[HOSTNAME_LABEL] in by_hostname else []
        if rack_label and rack_label in labels:
            return [n for n, entry in plan["nodes"].items() if entry["rack"] == labels[rack_label]]
        return []

    def add(nodes, peer_address, remote_asn, local_asn, local_address, password_ref, keepalive, hold_time, bfd):
        switch = switch_at.get(peer_address, "unknown-switch-%s" % peer_address)
        for node in nodes:
            view.setdefault(node, []).append({
                "session": "%s~%s" % (switch, node), "peer": switch, "peer_address": peer_address,
                "remote_asn": remote_asn, "local_asn": local_asn,
                "local_address": local_address or plan["nodes"][node]["addresses"].get(vlan_name),
                "password_ref": password_ref, "keepalive": keepalive, "hold_time": hold_time, "bfd": bfd})

    for obj in objects:
        spec = obj["spec"]
        if obj["kind"] == "BGPPeer":
            nodes = [n for selector in spec.get("nodeSelectors", []) for n in selected(selector)]
            add(nodes, spec["peerAddress"], spec["peerASN"], spec["myASN"], spec.get("sourceAddress"),
                variable_of.get(spec.get("passwordSecret", {}).get("name")),
                int(spec["keepaliveTime"].rstrip("s")), int(spec["holdTime"].rstrip("s")), "bfdProfile" in spec)
        elif obj["kind"] == "CiliumBGPClusterConfig":
            nodes = selected(spec.get("nodeSelector", {}))
            for instance in spec["bgpInstances"]:
                for peer in instance["peers"]:
                    config = peer_configs.get(peer["peerConfigRef"]["name"], {})
                    timers = config.get("timers", {})
                    add(nodes, peer["peerAddress"], peer["peerASN"], instance["localASN"], None,
                        variable_of.get(config.get("authSecretRef")), timers.get("keepAliveTimeSeconds"),
                        timers.get("holdTimeSeconds"), False)
    return view
