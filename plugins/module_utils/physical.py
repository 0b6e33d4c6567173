# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Identity, cabling and version rules: what is easy to get wrong when writing down the hardware.

Called by ``inventory.build_site``; every rule needs the inventory alone:

* **host names** (``check_host_names``): the inventory host name of a node
  is its Kubernetes node name and its Talos hostname (kubeadm:
  ``nodeRegistration.name``), and it is the value of the node's
  ``kubernetes.io/hostname`` label the BGP peer objects select on; a
  switch's is the name uplinks, BGP sessions and the Kubernetes BGP peer
  objects give it.  So a node name must be a lower-case RFC 1123 label on
  Talos (Talos registers a dotted hostname by its first label only) and a
  lower-case RFC 1123 subdomain of at most 63 characters on kubeadm (a
  label value's limit); a switch name a lower-case RFC 1123 subdomain.  Two
  hosts that only differ in case, or whose valid forms are equal, are one
  name to Kubernetes and DNS.  A host in a node group and in
  ``netstack_switches`` is refused.
* **cabling** (``check_uplinks``): a node without uplinks has no path to
  the node VLAN (no address reaches it, no BGP session); a rack whose
  nodes have no switch and no cable is reported once, at the rack.
* **port names** (``port_key``, ``nic_key``): the spelling two uplinks
  must not share, per platform: ``Ethernet1``, ``Ethernet 1``, ``Et1`` and
  ``eth1`` are one EOS / NX-OS port; case and blanks never tell two ports
  or two NICs apart.
* **versions** (``check_versions``): Talos 1.N runs Kubernetes 1.(N+18) to
  1.(N+23), the Talos support matrix (v1.12: 1.30 to 1.35).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.netstack.baremetal.plugins.module_utils.problems import Problem, free_name
from ansible_collections.netstack.baremetal.plugins.module_utils.schema_check import _DNS_LABEL_RE

LABEL_VALUE_MAX = 63      # kubernetes.io/hostname carries the node name: a label value has at most 63 characters
SUBDOMAIN_MAX = 253
# Talos 1.N supports the Kubernetes minors 1.(N + 18) .. 1.(N + 23) (v1.10: 1.28-1.33, v1.12: 1.30-1.35).
TALOS_KUBERNETES_OFFSET = (18, 23)
# Older Talos is refused by the nodes area (no typed network documents): not reported twice.
TALOS_TYPED_NETWORK_MINOR = 12
PLATFORM_NAMES = {"eos": "EOS", "nxos": "NX-OS", "junos": "Junos", "sonic": "SONiC", "frr": "FRR"}
_ETHERNET = "ethernet"
_CISCO_STYLE = ("eos", "nxos")
_BLANKS = re.compile(r"\s+")
_VERSION = re.compile(r"^v?1\.([0-9]+)\.[0-9]+$")

# The section of docs/inventory.md on these rules (schema_docs appends it).
RULES_DOC = """## Hosts, cabling and versions

Checked beyond the schema above (`plugins/module_utils/physical.py`, `inventory.py`, `bgp.py`); each mistake
is one problem at the key to change, with the fix as its hint.

- **Host names.** A node's inventory host name is its Kubernetes node name and its Talos hostname (kubeadm:
  `nodeRegistration.name`), and the value of its `kubernetes.io/hostname` label. On Talos it must be one
  lower-case RFC 1123 label (`a-z`, `0-9`, `-`, at most 63 characters): Talos registers a dotted hostname by
  its first label only. On kubeadm it must be a lower-case RFC 1123 DNS subdomain of at most 63 characters (a
  label value's limit). A switch's host name (what uplinks, BGP sessions and the BGP peer objects call it) must
  be a lower-case DNS name; an FQDN is fine. Reported at `hosts.<name>`, the hint being the valid form (lower
  case, `_` as `-`, on Talos the first label); `ansible_host` can keep the name you reach the host by.
- **One name, two hosts.** Two hosts whose names differ only in case, or whose valid forms are equal (`w_1`
  and `w-1`), are one name to Kubernetes and DNS: reported once, on the second (the invalid one), naming the
  first. A host in a node group and in `netstack_switches` is refused.
- **Uplinks.** Every node needs at least one: without one nothing reaches the node VLAN
  (`hosts.<name>.netstack_node.uplinks`; the hint lists the rack's switches). A rack whose nodes have no switch
  and no uplink is reported once, at `netstack_fabric.racks[i]`. A node whose every uplink goes to the switches
  of one other rack is reported once, at its `rack`. BGP sessions follow the cabling: a node peers with each
  switch it is cabled to, not with every switch of its rack; with `bgp_speakers.scope: rack` every node of a
  rack must therefore be cabled to the same switches.
- **Ports and NICs.** One cable per switch port, however it is written: case and blanks never tell two ports
  apart, and on EOS and NX-OS any abbreviation of `Ethernet` is `Ethernet` (`Et1`, `Ethernet 1` and
  `Ethernet1` are one port). SONiC's two naming schemes (`Ethernet0`, `Eth1/1`) stay apart, as do EOS
  `Ethernet1` and `Ethernet1/1`. A NIC listed twice, in any case, is refused.
- **Not refused:** both uplinks of a node on one switch (an LACP bond with one partner, or active-backup,
  needs nothing more; the node only loses switch redundancy), and a switch no node is cabled to.
- **Versions.** On Talos, `netstack_cluster.kubernetes_version` must be one that
  `netstack_cluster.nodes.talos.version` runs: Talos 1.N supports Kubernetes 1.(N+18) to 1.(N+23) (v1.12: 1.30
  to 1.35; v1.13: 1.31 to 1.36).
"""

_NODE_WHY = {
    "talos": "the host name is the node's Talos hostname and Kubernetes node name: one lower-case RFC 1123 "
             "label (a-z, 0-9 and '-', starting and ending with a letter or digit, at most 63 characters)",
    "kubeadm": "the host name is the node's Kubernetes node name (kubeadm nodeRegistration.name) and its "
               "kubernetes.io/hostname label: a lower-case RFC 1123 DNS subdomain (a-z, 0-9, '-' and '.') of at "
               "most 63 characters, a label value's limit",
}
_SWITCH_WHY = ("uplinks, BGP sessions and the load balancer's BGP peer objects name the switch by its host name: a "
               "lower-case RFC 1123 DNS name (a-z, 0-9, '-' and '.')")


def _name_rule(kind, node_os):
    """``(dots allowed, length limit)`` of a host name."""
    if kind == "switch":
        return True, SUBDOMAIN_MAX
    return node_os != "talos", LABEL_VALUE_MAX


def valid_name(name, dots, limit):
    return 0 < len(name) <= limit and (dots or "." not in name) and all(_DNS_LABEL_RE.match(label)
                                                                        for label in name.split("."))


def suggest_name(name, dots, limit):
    """The valid name closest to ``name``: lower case, other characters as '-', Talos: the first label."""
    text = name.strip().lower()
    if not dots and "." in text:
        text = text.split(".")[0] or text.replace(".", "-")
    text = re.sub(r"[^a-z0-9.]+" if dots else r"[^a-z0-9]+", "-", text)
    labels = [label.strip("-")[:63].strip("-") for label in text.split(".")]
    return ".".join(label for label in labels if label)[:limit].strip("-.")


def check_host_names(nodes, switches, node_os, problems):
    """Host names as Kubernetes, Talos and the switches see them (see the module docstring), at ``hosts.<name>``.

    ``nodes`` and ``switches``: the host names (any iterable). One problem per host: a name that clashes
    with another host's is reported on the second one (the invalid one when only one is), naming the first.
    """
    node_os = node_os if node_os in _NODE_WHY else "talos"
    nodes = set(nodes)
    entries = [(host, "node") for host in nodes]
    for host in sorted(switches):
        if host in nodes:
            problems.append(Problem("hosts.%s" % host, "is in a node group (netstack_control_plane or "
                                    "netstack_workers) and in netstack_switches",
                                    "remove it from one of them: a node is cabled to switches, it is not one"))
            continue
        entries.append((host, "switch"))
    rated = []
    for host, kind in entries:
        dots, limit = _name_rule(kind, node_os)
        rated.append((not valid_name(str(host), dots, limit), str(host), kind, dots, limit))
    rated.sort()
    taken = set(host for _invalid, host, _kind, _dots, _limit in rated)
    seen = {}
    for invalid, host, kind, dots, limit in rated:
        name = (suggest_name(host, dots, limit) or kind) if invalid else host
        first = seen.get(name)
        if first is not None:
            taken.add(name)
            if host.lower() == first.lower():
                message = ("differs from host '%s' only in case, but node names, hostnames and DNS names ignore "
                           "case: both are '%s'" % (first, name))
            else:
                message = "is not a valid %s name, and its valid form '%s' clashes with host '%s'" % (
                    kind, name, first)
            problems.append(Problem("hosts.%s" % host, message, "remove the duplicate, or rename it, e.g. '%s'"
                                    % free_name(name, taken | set(seen))))
            continue
        seen[name] = host
        if invalid:
            why = _SWITCH_WHY if kind == "switch" else _NODE_WHY[node_os]
            if kind == "node" and node_os == "talos" and "." in host:
                why += "; Talos would register it by its first label only"
            problems.append(Problem("hosts.%s" % host, "is not a valid %s name: %s" % (kind, why),
                                    "rename the host to '%s'%s"
                                    % (name, " and the uplinks that name it" if kind == "switch" else "")))


def port_key(platform, port):
    """What makes two spellings of a switch port the same port on ``platform``.

    Never case or blanks (``Ethernet 1``, ``ethernet1``); on EOS and NX-OS any
    abbreviation of ``Ethernet`` too (``Et1``, ``Eth1/1``, ``e1/1``). SONiC's
    ``Eth1/1`` (standard naming) and ``Ethernet0`` (native) are different
    schemes, not abbreviations, and stay apart.
    """
    text = _BLANKS.sub("", str(port)).lower()
    if platform in _CISCO_STYLE:
        match = re.match(r"^([a-z]+)([0-9].*)$", text)
        if match and _ETHERNET.startswith(match.group(1)):
            text = _ETHERNET + match.group(2)
    return text


def nic_key(nic):
    """What makes two spellings of a node NIC the same cable end: case and blanks never tell NICs apart."""
    return _BLANKS.sub("", str(nic)).lower()


def check_uplinks(site, problems):
    """Nodes with no uplink at ``hosts.<name>.netstack_node.uplinks``; a rack of such nodes and no switch once."""
    bare = {}
    cabled_racks = set()
    nics = {}
    for host, node in site["nodes"].items():
        if node["uplinks"]:
            cabled_racks.add(node["rack"])
            nics.setdefault(node["rack"], [u["nic"] for u in node["uplinks"]])
        else:
            bare.setdefault(node["rack"], []).append(host)
    if not bare:
        return
    by_rack = {}
    for host, switch in sorted(site["switches"].items(), key=lambda kv: (kv[1]["index"], kv[0])):
        by_rack.setdefault(switch["rack"], []).append(host)
    positions = dict((rack["name"], position) for position, rack in enumerate(site["fabric"]["racks"]))
    bgp = site["load_balancer"].get("mode") == "bgp"
    reaches = "its address and BGP sessions" if bgp else "its address"
    for rack, hosts in sorted(bare.items()):
        switches = by_rack.get(rack, [])
        known = rack in positions     # an unknown rack is reported at the node's rack: only the cables here
        if known and not switches and rack not in cabled_racks:
            shown = ", ".join(hosts[:5]) + (", ..." if len(hosts) > 5 else "")
            problems.append(Problem(
                "netstack_fabric.racks[%d]" % positions[rack],
                "rack '%s' holds %d node(s) (%s) but no switch, and none of them has an uplink: nothing connects "
                "them to the node VLAN '%s'" % (rack, len(hosts), shown, site.get("node_vlan")),
                "add the rack's top-of-rack switches to netstack_switches (netstack_switch: {rack: %s, index: 1, "
                "router_id: <loopback>}) and cable its nodes to them (netstack_node.uplinks)" % rack))
            continue
        sample = nics.get(rack) or []
        cables = ", ".join("{switch: %s, port: <port>, nic: %s}" % (
            switch, sample[i] if i < len(sample) else "<nic>") for i, switch in enumerate(switches[:2]))
        for host in hosts:
            problems.append(Problem(
                "hosts.%s.netstack_node.uplinks" % host,
                "is empty: the node is cabled to no switch, so nothing connects it to the node VLAN '%s' (%s)"
                % (site.get("node_vlan"), reaches),
                ("cable it to the switches of rack '%s': uplinks: [%s]" % (rack, cables)) if switches else
                ("rack '%s' has no switch: add its top-of-rack switches (netstack_switch.rack: %s) and cable the "
                 "node to them" % (rack, rack)) if known else
                "list its cables: uplinks: [{switch: <switch>, port: <port>, nic: <nic>}]"))


def check_versions(cluster, problems):
    """Kubernetes against what the Talos version runs (Talos node OS only)."""
    if cluster.get("node_os") != "talos":
        return
    nodes = cluster.get("nodes")
    talos = nodes.get("talos") if isinstance(nodes, dict) else None
    talos = talos.get("version") if isinstance(talos, dict) else None
    kubernetes = cluster.get("kubernetes_version")
    if not isinstance(talos, str) or not isinstance(kubernetes, str):
        return
    talos_match = _VERSION.match(talos)
    kube_match = _VERSION.match(kubernetes)
    if not talos_match or not kube_match or not talos.startswith("v"):
        return      # the schema reports a malformed version
    talos_minor = int(talos_match.group(1))
    kube_minor = int(kube_match.group(1))
    if talos_minor < TALOS_TYPED_NETWORK_MINOR:
        return
    low, high = talos_minor + TALOS_KUBERNETES_OFFSET[0], talos_minor + TALOS_KUBERNETES_OFFSET[1]
    if low <= kube_minor <= high:
        return
    hint = "use a Kubernetes 1.%d to 1.%d release, e.g. kubernetes_version: \"1.%d.0\"" % (low, high, high - 1)
    if kube_minor > high:
        hint += ", or Talos v1.%d or newer (netstack_cluster.nodes.talos.version)" % (
            kube_minor - TALOS_KUBERNETES_OFFSET[1])
    elif kube_minor - TALOS_KUBERNETES_OFFSET[0] >= TALOS_TYPED_NETWORK_MINOR:
        hint += ", or Talos v1.%d (netstack_cluster.nodes.talos.version)" % (
            kube_minor - TALOS_KUBERNETES_OFFSET[0])
    problems.append(Problem("netstack_cluster.kubernetes_version", "Kubernetes %s does not run on Talos %s, "
                            "which supports Kubernetes 1.%d to 1.%d (netstack_cluster.nodes.talos.version)"
                            % (kubernetes, talos, low, high), hint))
