#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The site twin: a rendered site consumed together, on the wire, in network namespaces (docs/twin.md).

    site_twin.py up --bundle DIR [--var V=X] [--announce NODE=PREFIX]
                                               namespaces, cables, switch FRR (empty), nodes built from
                                               their rendered network files, node BGP speakers from the
                                               rendered MetalLB objects
    site_twin.py ifreload SWITCH FILE           what `ifreload -a` is on a white box: the switch's layer 2
                                               from its rendered ifupdown2 file (roles/fabric runs it)
    site_twin.py speakers                       configure the node speakers (after fabric.yml)
    site_twin.py check                          every check on the wire (sessions, reachability, MTU, VIP,
                                               ECMP, policy); exit 1 and a list of failures if any fails
    site_twin.py pull-cable NODE SWITCH         remove that cable; then `check-node NODE` proves the bond held
    site_twin.py check-node NODE                the node's links are up and it reaches its gateways
    site_twin.py unrack-node NODE               a node's old hardware taken out (replace_node.yml); then
                                               `add-node NODE --bundle DIR` racks the new hardware
    site_twin.py down                           stop every daemon this tool started, delete its namespaces

What comes from where (the point: each end is built only from its own rendered artefacts):

* the cabling (which NIC goes to which switch port) and the VLAN ids a cable can carry come from the
  rendered plan (``plan.yaml``, the inventory's uplinks): that is the physical world, not configuration;
* a switch's layer 2 comes only from its rendered ``interfaces`` file, through ``read_interfaces`` (a strict
  reader: any stanza or keyword it does not know is refused); its SVI addresses and BGP from the rendered
  ``frr.conf``, applied by roles/fabric (playbooks/fabric.yml, apply mode);
* a node's network comes only from its rendered files (Talos ``network.yaml`` or the networkd directory),
  through ``read_talos`` / ``read_networkd``, strict as well, which know nothing of the plan;
* a node's BGP speaker comes only from the rendered MetalLB objects (``BGPPeer``, ``BFDProfile``,
  ``IPAddressPool``) selected by the node's hostname; it announces one address of each pool.

The emulation (the kernel here has no 802.1Q devices, VLAN-aware bridges or bonds): a cable is a set of veth
pairs ("sub-wires"), one for untagged frames and one per VLAN id; each end attaches only the sub-wires its own
configuration says (switch: ``bridge-pvid`` -> untagged, ``bridge-vids`` -> tagged; node: addresses on the
bond or NIC itself -> untagged, a VLAN device of id N -> tagged N). A VLAN on the switch is one plain bridge
``vlan<id>``; a node's bond is a bridge over its members' sub-wires, a VLAN on a bond a bridge over the
members' tagged sub-wires. Kernel STP (short timers) keeps the two-switches-per-node topology loop free.
A rack with an MLAG pair in the plan (``plan.yaml`` ``mlag``: which port is cabled to which) gets its peer-link
cables laid like node cables;
they carry traffic only where a switch's rendered file bonds them (the ``peerlink`` bond, a bridge port, and
``peerlink.<vlan>`` with the peer-link address, emulated as a bridge over the members' sub-wires of that VLAN):
a rendered file without the peer link leaves the pair unjoined, and ``check`` pings each switch's CLAG peer
address. A rack without an MLAG pair in the plan is joined by an emulated peer link as before (the operator's),
and the racks by one inter-rack link (the spine, which no rendered file describes), carrying every VLAN.
"""
from __future__ import absolute_import, division, print_function

import argparse
import fcntl
import glob
import hashlib
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import twin  # noqa: E402  (one way to run FRR daemons in namespaces: tests/twin/twin.py)
import yaml  # noqa: E402

from ansible_collections.netstack.baremetal.plugins.module_utils.fabric import frr as frr_render  # noqa: E402

STATE = os.environ.get("NETSTACK_SITE_TWIN_STATE", "/run/netstack-site-twin")
PREFIX = os.environ.get("NETSTACK_SITE_TWIN_PREFIX", "nss-")
# STP timers (centiseconds): the kernel minimums, so a port forwards 4 s after it comes up.
STP = ["stp_state", "1", "forward_delay", "200", "hello_time", "100", "max_age", "600"]
NODE_BRIDGE_PRIORITY = 61440   # a node's bond never becomes the root or a transit bridge
UNTAGGED = None


def bridge_mac(switch, bridge):
    """A switch's fixed MAC for one of its bridges, as a switch's system MAC is. A Linux bridge left alone takes the
    lowest MAC of its ports and changes it when a port with a lower one joins or its owner leaves (seen when a node
    was racked or taken out), which a switch's SVI never does."""
    digest = hashlib.sha256(("%s/%s" % (switch, bridge)).encode()).digest()
    return ":".join("%02x" % b for b in (0x02,) + tuple(digest[:5]))   # locally administered, unicast


class Refused(Exception):
    """A rendered file holds something the twin does not understand (so cannot emulate honestly)."""


def configure(state_dir=None, prefix=None):
    """Point this tool and twin.py at a state directory and namespace prefix (tests use their own)."""
    global STATE, PREFIX
    STATE = state_dir or STATE
    PREFIX = prefix or PREFIX
    twin.STATE = STATE
    twin.PREFIX = PREFIX


configure()
run = twin.run


def ns(host):
    return PREFIX + host


def ip(host, *args, **kwargs):
    return run(["ip", "-n", ns(host)] + [str(a) for a in args], **kwargs)


def _ifname(base, tag):
    name = base if tag is UNTAGGED else "%s.%d" % (base, tag)
    if len(name) > 15:
        raise Refused("interface name %r is longer than 15 characters" % name)
    return name


# ---------------------------------------------------------------- the switch: ifupdown2 interfaces file

_IFACE_KEYS = {
    "port": {"alias", "mtu", "bridge-pvid", "bridge-vids", "mstpctl-portadminedge", "mstpctl-bpduguard", "link-down"},
    "bond": {"alias", "mtu", "bond-slaves", "bond-mode", "bond-lacp-rate", "bond-lacp-bypass-allow", "clag-id",
             "bridge-pvid", "bridge-vids", "mstpctl-portadminedge", "mstpctl-bpduguard"},
    "bridge": {"bridge-vlan-aware", "bridge-ports", "bridge-vids", "bridge-pvid", "bridge-stp"},
    "svi": {"vlan-id", "vlan-raw-device", "mtu", "address-virtual"},
    # Cumulus CLAG: <peer-link bond>.<vlan> carries clagd's session
    "clag": {"address", "clagd-peer-ip", "clagd-backup-ip", "clagd-sys-mac", "clagd-priority"},
}
_MAC = r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$"
_YES_NO = {"yes": True, "no": False}


def _int(value, what, low=1, high=4094):
    if not re.match(r"^[0-9]+$", value or "") or not low <= int(value) <= high:
        raise Refused("%s: %r is not a number in %d..%d" % (what, value, low, high))
    return int(value)


def read_interfaces(text):
    """The switch's layer 2 from its ifupdown2 file: {vlans, ports, members, svis}; refuses what it does not know."""
    stanzas, auto, order, current = {}, [], [], None
    for lineno, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        words = raw.split()
        where = "line %d (%r)" % (lineno, raw.strip())
        if not raw[0].isspace():
            if words[0] == "auto" and len(words) == 2:
                auto.append(words[1])
                current = None
            elif words[0] == "iface" and len(words) == 2:
                if words[1] in stanzas:
                    raise Refused("%s: second stanza for %s" % (where, words[1]))
                current = stanzas[words[1]] = {}
                order.append(words[1])
            else:
                raise Refused("%s: only 'auto NAME' and 'iface NAME' are understood" % where)
            continue
        if current is None:
            raise Refused("%s: an option outside an iface stanza" % where)
        if words[0] in current:
            raise Refused("%s: %s given twice" % (where, words[0]))
        current[words[0]] = " ".join(words[1:])
    if sorted(auto) != sorted(order):
        raise Refused("auto and iface lines disagree: auto %s, iface %s" % (sorted(auto), sorted(order)))

    def kind(opts):
        if "bridge-vlan-aware" in opts:
            return "bridge"
        if "bond-slaves" in opts:
            return "bond"
        if "vlan-id" in opts:
            return "svi"
        if any(key.startswith("clagd-") for key in opts):
            return "clag"
        return "port"
    kinds = {name: kind(opts) for name, opts in stanzas.items()}
    for name, opts in stanzas.items():
        unknown = set(opts) - _IFACE_KEYS[kinds[name]]
        if unknown:
            raise Refused("iface %s (%s): keywords not understood: %s" % (name, kinds[name], ", ".join(sorted(unknown))))
    bridges = [n for n, k in kinds.items() if k == "bridge"]
    if len(bridges) != 1:
        raise Refused("exactly one VLAN-aware bridge expected, found %s" % bridges)
    bname = bridges[0]
    bridge = stanzas[bname]
    if bridge.get("bridge-vlan-aware") != "yes":
        raise Refused("iface %s: bridge-vlan-aware must be yes" % bname)
    if bridge.get("bridge-stp", "on") not in ("on", "yes"):
        raise Refused("iface %s: bridge-stp %r not understood (the twin runs STP)" % (bname, bridge.get("bridge-stp")))
    vlans = sorted({_int(v, "%s bridge-vids" % bname) for v in bridge.get("bridge-vids", "").split()})
    if not vlans:
        raise Refused("iface %s: no bridge-vids" % bname)
    if "bridge-pvid" in bridge:
        _int(bridge["bridge-pvid"], "%s bridge-pvid" % bname)
    model = {"bridge": bname, "vlans": vlans, "ports": {}, "members": {}, "svis": {}, "peerlink": None}
    enslaved = {}
    for name, opts in stanzas.items():
        if kinds[name] == "port":
            if opts.get("link-down", "no") not in _YES_NO:
                raise Refused("iface %s: link-down %r not understood" % (name, opts["link-down"]))
            model["ports"][name] = {"mtu": _int(opts.get("mtu", "1500"), "%s mtu" % name, 68, 65535),
                                    "alias": opts.get("alias", ""), "down": _YES_NO[opts.get("link-down", "no")]}
    for name, opts in stanzas.items():
        if kinds[name] != "bond":
            continue
        if opts.get("bond-mode") not in ("802.3ad", "balance-xor", "active-backup"):
            raise Refused("iface %s: bond-mode %r not understood" % (name, opts.get("bond-mode")))
        for flag in ("bond-lacp-bypass-allow", "mstpctl-portadminedge", "mstpctl-bpduguard"):
            if flag in opts and opts[flag] not in _YES_NO:
                raise Refused("iface %s: %s %r not understood" % (name, flag, opts[flag]))
        if "bond-lacp-rate" in opts and opts["bond-lacp-rate"] not in ("0", "1", "slow", "fast"):
            raise Refused("iface %s: bond-lacp-rate %r not understood" % (name, opts["bond-lacp-rate"]))
        if "clag-id" in opts:
            _int(opts["clag-id"], "%s clag-id" % name, 1, 65535)
        for slave in opts["bond-slaves"].split():
            if kinds.get(slave) != "port":
                raise Refused("iface %s: bond slave %s is not a port stanza" % (name, slave))
            if slave in enslaved:
                raise Refused("port %s is a slave of %s and %s" % (slave, enslaved[slave], name))
            if "bridge-pvid" in stanzas[slave] or "bridge-vids" in stanzas[slave]:
                raise Refused("port %s is a bond slave with its own VLANs" % slave)
            if model["ports"][slave]["down"]:
                raise Refused("port %s is a bond slave and link-down" % slave)
            enslaved[slave] = name
    for member in bridge.get("bridge-ports", "").split():
        if kinds.get(member) not in ("port", "bond"):
            raise Refused("iface %s: bridge port %s is not a port or bond stanza" % (bname, member))
        if member in enslaved:
            raise Refused("iface %s: bridge port %s is a slave of %s" % (bname, member, enslaved[member]))
        opts = stanzas[member]
        if kinds[member] == "port" and model["ports"][member]["down"]:
            raise Refused("iface %s: bridge port %s is link-down" % (bname, member))
        vids = {_int(v, "%s bridge-vids" % member) for v in opts.get("bridge-vids", "").split()}
        pvid = _int(opts["bridge-pvid"], "%s bridge-pvid" % member) if "bridge-pvid" in opts else None
        if pvid is not None:
            vids.add(pvid)
        if not vids:
            raise Refused("iface %s: a bridge port without bridge-vids or bridge-pvid" % member)
        if not vids <= set(vlans):
            raise Refused("iface %s: VLANs %s are not on bridge %s" % (member, sorted(vids - set(vlans)), bname))
        ports = opts["bond-slaves"].split() if kinds[member] == "bond" else [member]
        mtu = _int(opts.get("mtu", "1500"), "%s mtu" % member, 68, 65535)
        model["members"][member] = {"ports": ports, "pvid": pvid, "tagged": sorted(vids - {pvid}), "mtu": mtu}
    clags = [name for name, kind in kinds.items() if kind == "clag"]
    if len(clags) > 1:
        raise Refused("one CLAG peer link expected, found %s" % clags)
    for name in clags:
        model["peerlink"] = _read_clag(name, stanzas[name], kinds, stanzas, model)
    for name, opts in stanzas.items():
        if kinds[name] in ("port", "bond") and name not in model["members"] and name not in enslaved:
            if "bridge-vids" in opts or "bridge-pvid" in opts:
                raise Refused("iface %s has VLANs but is not a port of %s" % (name, bname))
        if kinds[name] != "svi":
            continue
        vid = _int(opts["vlan-id"], "%s vlan-id" % name)
        if opts.get("vlan-raw-device") != bname:
            raise Refused("iface %s: vlan-raw-device %r is not the bridge %s" % (name, opts.get("vlan-raw-device"), bname))
        if vid not in vlans:
            raise Refused("iface %s: VLAN %d is not on bridge %s" % (name, vid, bname))
        if name != "vlan%d" % vid:
            raise Refused("iface %s: the twin names the SVI of VLAN %d vlan%d (frr.conf addresses it by name)" % (name, vid, vid))
        svi = {"name": name, "mtu": _int(opts.get("mtu", "1500"), "%s mtu" % name, 68, 65535), "gateway": None}
        if "address-virtual" in opts:
            words = opts["address-virtual"].split()
            if len(words) != 2 or not re.match(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$", words[0]):
                raise Refused("iface %s: address-virtual %r not understood" % (name, opts["address-virtual"]))
            try:
                ipaddress.ip_interface(words[1])
            except ValueError:
                raise Refused("iface %s: address-virtual address %r" % (name, words[1]))
            svi.update(mac=words[0], gateway=words[1])
        model["svis"][vid] = svi
    return model


def _read_clag(name, opts, kinds, stanzas, model):
    """``<bond>.<vlan>`` with the clagd keywords: the peer link's session (Cumulus CLAG), checked for what clagd
    needs (a bond in the bridge carrying the VLANs, the peer in the session subnet, both keepalive paths)."""
    bond, _dot, vid = name.partition(".")
    vid = _int(vid, "%s VLAN" % name)
    if kinds.get(bond) != "bond":
        raise Refused("iface %s: %s is not a bond stanza (the peer link is a bond)" % (name, bond))
    if bond not in model["members"]:
        raise Refused("iface %s: the peer-link bond %s is not a port of bridge %s" % (name, bond, model["bridge"]))
    if vid in model["vlans"]:
        raise Refused("iface %s: VLAN %d is on bridge %s; the peer-link session VLAN stays off it" % (name, vid, model["bridge"]))
    if "clag-id" in stanzas[bond]:
        raise Refused("iface %s: the peer-link bond %s has a clag-id" % (name, bond))
    missing = sorted({"address", "clagd-peer-ip", "clagd-backup-ip", "clagd-sys-mac"} - set(opts))
    if missing:
        raise Refused("iface %s: missing %s" % (name, ", ".join(missing)))
    try:
        address = ipaddress.ip_interface(opts["address"])
        peer = ipaddress.ip_address(opts["clagd-peer-ip"])
        backup = opts["clagd-backup-ip"].split()
        ipaddress.ip_address(backup[0])
    except (ValueError, IndexError):
        raise Refused("iface %s: address, clagd-peer-ip or clagd-backup-ip not understood" % name)
    if peer not in address.network or peer == address.ip:
        raise Refused("iface %s: clagd-peer-ip %s is not another address of %s" % (name, peer, address.network))
    if len(backup) not in (1, 3) or (len(backup) == 3 and backup[1] != "vrf"):
        raise Refused("iface %s: clagd-backup-ip %r not understood" % (name, opts["clagd-backup-ip"]))
    if not re.match(_MAC, opts["clagd-sys-mac"]):
        raise Refused("iface %s: clagd-sys-mac %r not understood" % (name, opts["clagd-sys-mac"]))
    priority = _int(opts.get("clagd-priority", "32768"), "%s clagd-priority" % name, 0, 65535)
    return {"name": name, "bond": bond, "vlan": vid, "address": str(address), "peer_ip": str(peer),
            "backup_ip": backup[0], "backup_vrf": backup[2] if len(backup) == 3 else None,
            "sys_mac": opts["clagd-sys-mac"], "priority": priority, "ports": stanzas[bond]["bond-slaves"].split()}


# ---------------------------------------------------------------- the node: Talos documents, networkd files

_TALOS_KEYS = {
    "HostnameConfig": {"hostname", "auto"},
    "ResolverConfig": {"nameservers"},
    "BondConfig": {"name", "links", "bondMode", "miimon", "updelay", "downdelay", "lacpRate", "xmitHashPolicy",
                   "mtu", "addresses", "routes"},
    "LinkConfig": {"name", "mtu", "addresses", "routes"},
    "VLANConfig": {"name", "vlanID", "parent", "mtu", "addresses", "routes"},
    "Layer2VIPConfig": {"name", "link"},
}
_BOND_MODES = ("802.3ad", "active-backup", "balance-xor")


def _talos_addresses(doc, where):
    out = []
    for entry in doc.get("addresses") or []:
        if not isinstance(entry, dict) or set(entry) != {"address"}:
            raise Refused("%s: address entry %r not understood" % (where, entry))
        out.append(str(ipaddress.ip_interface(entry["address"])))
    return out


def _talos_gateway(doc, where):
    gateway = None
    for route in doc.get("routes") or []:
        if not isinstance(route, dict) or set(route) - {"gateway", "destination"} or "gateway" not in route:
            raise Refused("%s: route %r not understood" % (where, route))
        if route.get("destination", "0.0.0.0/0") != "0.0.0.0/0" or gateway:
            raise Refused("%s: only one default route is understood, got %r" % (where, route))
        gateway = str(ipaddress.ip_address(route["gateway"]))
    return gateway


def read_talos(text):
    """A node's network from its Talos network documents (multi-document YAML): the node model."""
    model = {"hostname": None, "links": {}, "vips": []}
    for doc in yaml.safe_load_all(text):
        if doc is None:
            continue
        if not isinstance(doc, dict) or doc.get("apiVersion") != "v1alpha1" or doc.get("kind") not in _TALOS_KEYS:
            head = {k: doc.get(k) for k in ("apiVersion", "kind")} if isinstance(doc, dict) else doc
            raise Refused("document not understood: %r" % (head,))
        kind = doc["kind"]
        where = "%s %s" % (kind, doc.get("name", ""))
        unknown = set(doc) - _TALOS_KEYS[kind] - {"apiVersion", "kind"}
        if unknown:
            raise Refused("%s: keys not understood: %s" % (where, ", ".join(sorted(unknown))))
        if kind == "HostnameConfig":
            model["hostname"] = doc["hostname"]
        elif kind == "ResolverConfig":
            continue   # name resolution is not part of the wire
        elif kind == "Layer2VIPConfig":
            model["vips"].append({"address": str(ipaddress.ip_address(doc["name"])), "link": doc["link"]})
        else:
            link = {"mtu": int(doc.get("mtu") or 1500), "addresses": _talos_addresses(doc, where),
                    "gateway": _talos_gateway(doc, where)}
            if kind == "BondConfig":
                if doc.get("bondMode") not in _BOND_MODES:
                    raise Refused("%s: bondMode %r not understood" % (where, doc.get("bondMode")))
                link.update(kind="bond", members=list(doc["links"]), mode=doc["bondMode"])
            elif kind == "LinkConfig":
                link.update(kind="ethernet")
            else:
                link.update(kind="vlan", parent=doc["parent"], vid=_int(str(doc["vlanID"]), where + " vlanID"))
            _add_link(model, doc["name"], link)
    return _finish_node(model)


def _add_link(model, name, link):
    if name in model["links"]:
        raise Refused("link %s is configured twice" % name)
    model["links"][name] = link


def _finish_node(model):
    links = model["links"]
    members = {}
    for name, link in links.items():
        if link["kind"] == "bond":
            for member in link["members"]:
                if member in members or member in links:
                    raise Refused("NIC %s is a member of two bonds or also configured on its own" % member)
                members[member] = name
        if link["kind"] == "vlan":
            parent = links.get(link["parent"])
            if parent is None or parent["kind"] == "vlan":
                raise Refused("VLAN %s: parent %s is not a bond or NIC configured here" % (name, link["parent"]))
    for vip in model["vips"]:
        if vip["link"] not in links:
            raise Refused("VIP %s on %s, which is not configured" % (vip["address"], vip["link"]))
    if not model["hostname"]:
        raise Refused("no hostname")
    return model


def _read_unit(text, where):
    """A systemd unit file: [(section, key, value)] in order."""
    entries, section = [], None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        if section is None or "=" not in line:
            raise Refused("%s line %d: %r not understood" % (where, lineno, line))
        key, value = line.split("=", 1)
        entries.append((section, key.strip(), value.strip()))
    return entries


_NETDEV_KEYS = {("NetDev", "Name"), ("NetDev", "Kind"), ("NetDev", "MTUBytes"), ("Bond", "Mode"),
                ("Bond", "MIIMonitorSec"), ("Bond", "UpDelaySec"), ("Bond", "DownDelaySec"),
                ("Bond", "LACPTransmitRate"), ("Bond", "TransmitHashPolicy"), ("VLAN", "Id")}
_NETWORK_KEYS = {("Match", "Name"), ("Link", "MTUBytes"), ("Network", "Address"), ("Network", "Gateway"),
                 ("Network", "DNS"), ("Network", "LinkLocalAddressing"), ("Network", "LLDP"),
                 ("Network", "EmitLLDP"), ("Network", "VLAN"), ("Network", "Bond")}
_MULTI = {"Address", "DNS", "VLAN"}


def _unit_dict(entries, allowed, where):
    out = {}
    for section, key, value in entries:
        if (section, key) not in allowed:
            raise Refused("%s: [%s] %s not understood" % (where, section, key))
        if key in _MULTI:
            out.setdefault(key, []).append(value)
        elif key in out:
            raise Refused("%s: %s given twice" % (where, key))
        else:
            out[key] = value
    return out


def read_networkd(files, hostname):
    """A node's network from its systemd-networkd files ({file name: text}): the node model."""
    netdevs, networks = {}, {}
    for fname, text in sorted(files.items()):
        where = fname
        if fname.endswith(".netdev"):
            unit = _unit_dict(_read_unit(text, where), _NETDEV_KEYS, where)
            if unit.get("Name") in netdevs:
                raise Refused("%s: netdev %s defined twice" % (where, unit.get("Name")))
            netdevs[unit["Name"]] = unit
        elif fname.endswith(".network"):
            unit = _unit_dict(_read_unit(text, where), _NETWORK_KEYS, where)
            name = unit.get("Name", "")
            if not name or re.search(r"[*?\[\s]", name):
                raise Refused("%s: [Match] Name=%r: only one exact name is understood" % (where, name))
            if name in networks:
                raise Refused("%s: a second .network for %s (networkd would ignore it)" % (where, name))
            networks[name] = unit
        else:
            raise Refused("%s: not a .netdev or .network file" % where)
    model = {"hostname": hostname, "links": {}, "vips": []}
    vlan_parent = {}
    for name, unit in networks.items():
        for vlan in unit.get("VLAN", []):
            vlan_parent[vlan] = name
    for name, unit in netdevs.items():
        if unit.get("Kind") == "bond":
            if unit.get("Mode") not in _BOND_MODES:
                raise Refused("netdev %s: bond Mode %r not understood" % (name, unit.get("Mode")))
        elif unit.get("Kind") == "vlan":
            if name not in vlan_parent:
                raise Refused("netdev %s: no .network lists it in VLAN= (networkd would never create it)" % name)
        else:
            raise Refused("netdev %s: Kind %r not understood" % (name, unit.get("Kind")))
        if name not in networks:
            raise Refused("netdev %s has no .network" % name)
    for name, unit in networks.items():
        if "Bond" in unit:
            if set(unit) - {"Name", "Bond"}:
                raise Refused("%s is a bond member with its own settings: %s" % (name, sorted(set(unit) - {"Name", "Bond"})))
            if netdevs.get(unit["Bond"], {}).get("Kind") != "bond":
                raise Refused("%s: Bond=%s is not a bond netdev" % (name, unit["Bond"]))
            continue
        netdev = netdevs.get(name, {})
        mtus = {int(m) for m in (netdev.get("MTUBytes"), unit.get("MTUBytes")) if m}
        if len(mtus) > 1:
            raise Refused("%s: .netdev and .network disagree on the MTU: %s" % (name, sorted(mtus)))
        link = {"mtu": mtus.pop() if mtus else 1500,
                "addresses": [str(ipaddress.ip_interface(a)) for a in unit.get("Address", [])],
                "gateway": str(ipaddress.ip_address(unit["Gateway"])) if unit.get("Gateway") else None}
        if netdev.get("Kind") == "bond":
            link.update(kind="bond", mode=netdev["Mode"],
                        members=sorted(m for m, u in networks.items() if u.get("Bond") == name))
        elif netdev.get("Kind") == "vlan":
            link.update(kind="vlan", parent=vlan_parent[name], vid=_int(netdev.get("Id"), name + " Id"))
        else:
            link.update(kind="ethernet")
        _add_link(model, name, link)
    return _finish_node(model)


def node_wiring(model):
    """Which sub-wire of which NIC carries which L3 device: {device: {"nics": [...], "tag": vid|None}}."""
    out = {}
    links = model["links"]
    for name, link in links.items():
        if link["kind"] == "vlan":
            parent = links[link["parent"]]
            nics = parent["members"] if parent["kind"] == "bond" else [link["parent"]]
            out[name] = {"nics": nics, "tag": link["vid"]}
        elif link["kind"] == "bond":
            out[name] = {"nics": link["members"], "tag": UNTAGGED}
        else:
            out[name] = {"nics": [name], "tag": UNTAGGED}
    return out


# ---------------------------------------------------------------- the node's BGP speaker: MetalLB objects

_PEER_KEYS = {"myASN", "peerASN", "peerAddress", "sourceAddress", "holdTime", "keepaliveTime", "nodeSelectors",
              "passwordSecret", "bfdProfile"}
_FRR_BFD_DEFAULTS = {"receiveInterval": 300, "transmitInterval": 300, "detectMultiplier": 3}


def _seconds(value, where):
    match = re.match(r"^([0-9]+)s$", str(value))
    if not match:
        raise Refused("%s: duration %r not understood" % (where, value))
    return int(match.group(1))


def read_metallb(docs):
    """BGP peers, BFD profiles and pools from the rendered MetalLB objects; Cilium BGP objects are refused."""
    out = {"peers": [], "pools": [], "bfd": {}, "advertised": set()}
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        api, kind = str(doc.get("apiVersion", "")), doc.get("kind")
        if api.startswith("cilium.io/") and "BGP" in str(kind):
            raise Refused("%s: Cilium BGP objects are not emulated by the twin" % kind)
        if not api.startswith("metallb.io/"):
            continue
        name, spec = doc["metadata"]["name"], doc.get("spec") or {}
        where = "%s %s" % (kind, name)
        if kind == "BGPPeer":
            unknown = set(spec) - _PEER_KEYS
            if unknown:
                raise Refused("%s: keys not understood: %s" % (where, ", ".join(sorted(unknown))))
            hosts = []
            for selector in spec.get("nodeSelectors") or []:
                labels = selector.get("matchLabels") or {}
                if set(selector) != {"matchLabels"} or set(labels) != {"kubernetes.io/hostname"}:
                    raise Refused("%s: node selector %r not understood (only kubernetes.io/hostname)" % (where, selector))
                hosts.append(labels["kubernetes.io/hostname"])
            if not hosts:
                raise Refused("%s: no node selector (every node would peer)" % where)
            out["peers"].append({
                "name": name, "hosts": hosts, "local_asn": int(spec["myASN"]), "remote_asn": int(spec["peerASN"]),
                "peer_address": str(ipaddress.ip_address(spec["peerAddress"])),
                "local_address": str(ipaddress.ip_address(spec["sourceAddress"])) if spec.get("sourceAddress") else None,
                "hold_time": _seconds(spec.get("holdTime", "90s"), where),
                "keepalive": _seconds(spec.get("keepaliveTime", "30s"), where),
                "password_secret": (spec.get("passwordSecret") or {}).get("name"),
                "bfd_profile": spec.get("bfdProfile")})
        elif kind == "BFDProfile":
            if set(spec) - set(_FRR_BFD_DEFAULTS):
                raise Refused("%s: keys not understood: %s" % (where, sorted(set(spec) - set(_FRR_BFD_DEFAULTS))))
            out["bfd"][name] = spec
        elif kind == "IPAddressPool":
            first = spec["addresses"][0]
            if "-" in first:
                address = ipaddress.ip_address(first.split("-")[0].strip())
            else:
                network = ipaddress.ip_network(first)
                address = network.network_address + (1 if network.num_addresses > 2 else 0)
            out["pools"].append({"name": name, "announce": "%s/32" % address, "cidrs": spec["addresses"]})
        elif kind == "BGPAdvertisement":
            if spec.get("aggregationLength", 32) != 32 or set(spec) - {"ipAddressPools", "aggregationLength"}:
                raise Refused("%s: only /32 advertisements of named pools are understood" % where)
            out["advertised"] |= set(spec.get("ipAddressPools") or [])
        elif kind in ("L2Advertisement",):
            raise Refused("%s: L2 advertisement is not emulated by the twin" % where)
        else:
            raise Refused("%s: kind not understood" % where)
    for peer in out["peers"]:
        profile = peer["bfd_profile"]
        if profile is not None:
            timers = out["bfd"].get(profile)
            if timers is None:
                raise Refused("BGPPeer %s: BFD profile %s is not defined" % (peer["name"], profile))
            if dict(_FRR_BFD_DEFAULTS, **timers) != _FRR_BFD_DEFAULTS:
                raise Refused("BFD profile %s: only FRR's default timers are emulated, got %r" % (profile, timers))
    return out


def speaker_conf(metallb, hostname, secrets, extra_announce=()):
    """The FRR configuration of a node's speaker (MetalLB's FRR mode), from the peers selecting ``hostname``."""
    peers = []
    for peer in metallb["peers"]:
        if hostname not in peer["hosts"]:
            continue
        if peer["password_secret"] and peer["password_secret"] not in secrets:
            raise Refused("BGPPeer %s: Secret %s has no value in the twin" % (peer["name"], peer["password_secret"]))
        peers.append({"local_asn": peer["local_asn"], "local_address": peer["local_address"],
                      "peer_address": peer["peer_address"], "remote_asn": peer["remote_asn"],
                      "peer": peer["name"], "password_ref": peer["password_secret"],
                      "keepalive": peer["keepalive"], "hold_time": peer["hold_time"],
                      "bfd": peer["bfd_profile"] is not None})
    if len({p["local_asn"] for p in peers}) > 1:
        raise Refused("%s: peers with different local ASNs" % hostname)
    announce = [p["announce"] for p in metallb["pools"] if p["name"] in metallb["advertised"]]
    text = frr_render.node_frr_conf(hostname, peers, announce=announce + list(extra_announce), secrets=secrets)
    return text, peers, announce


# ---------------------------------------------------------------- building the twin

def _state():
    with open(os.path.join(STATE, "site.json")) as handle:
        return json.load(handle)


def _save(state):
    with open(os.path.join(STATE, "site.json"), "w") as handle:
        json.dump(state, handle, indent=1, sort_keys=True)


def make_namespace(host):
    run(["ip", "netns", "add", ns(host)])
    ip(host, "link", "set", "lo", "up")
    for key in ("net.ipv4.ip_forward=1", "net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.default.arp_ignore=1",
                "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0"):
        run(["ip", "netns", "exec", ns(host), "sysctl", "-qw", key])
    directory = twin.host_dir(host)
    os.makedirs(directory, exist_ok=True)
    shutil.chown(directory, "frr", "frr")
    open(os.path.join(directory, "vtysh.conf"), "w").close()


def lay_cable(a_host, a_base, b_host, b_base, tags):
    """One cable: a veth pair per tag, both ends down until a configuration attaches them."""
    for tag in tags:
        run(["ip", "link", "add", _ifname(a_base, tag), "netns", ns(a_host), "type", "veth",
             "peer", "name", _ifname(b_base, tag), "netns", ns(b_host)])


def _attach(host, dev, bridge, mtu):
    ip(host, "link", "set", dev, "mtu", mtu)
    if bridge:
        ip(host, "link", "set", dev, "master", bridge)
    ip(host, "link", "set", dev, "up")


def build_switch_l2(switch, model, cabled_ports, isls, priority):
    """The switch's layer 2 from its interfaces model; returns the devices created (removed on a reload)."""
    created = []
    for vid in model["vlans"]:
        bridge = "vlan%d" % vid
        ip(switch, "link", "add", bridge, "address", bridge_mac(switch, bridge), "type", "bridge",
           *(STP + ["priority", priority]))
        created.append(bridge)
        svi = model["svis"].get(vid)
        if svi:
            ip(switch, "link", "set", bridge, "mtu", svi["mtu"])
            if svi["gateway"]:
                # address-virtual: Cumulus makes a macvlan <svi>-v0 with the virtual MAC and the gateway; here a
                # veth pair whose far end is a port of the VLAN's bridge
                vdev, vport = "%s-v0" % bridge, "%s-v0p" % bridge
                ip(switch, "link", "add", vdev, "mtu", svi["mtu"], "address", svi["mac"], "type", "veth",
                   "peer", "name", vport, "mtu", svi["mtu"])
                created.append(vdev)
                ip(switch, "addr", "add", svi["gateway"], "dev", vdev)
                _attach(switch, vport, bridge, svi["mtu"])
                ip(switch, "link", "set", vdev, "up")
        ip(switch, "link", "set", bridge, "up")
    for member, spec in sorted(model["members"].items()):
        attach_member(switch, model, member, spec, cabled_ports)
    peerlink = model["peerlink"]
    if peerlink:
        # the session VLAN: a bridge over the members' sub-wires of that tag (STP: two parallel cables)
        session = peerlink["name"]
        ip(switch, "link", "add", session, "address", bridge_mac(switch, session), "type", "bridge",
           *(STP + ["priority", priority]))
        created.append(session)
        for port in peerlink["ports"]:
            if peerlink["vlan"] not in cabled_ports.get(port, ()):
                raise Refused("%s: peer-link port %s: the cable carries no tag %d" % (switch, port, peerlink["vlan"]))
            _attach(switch, _ifname(port, peerlink["vlan"]), session, model["ports"][port]["mtu"])
        ip(switch, "addr", "add", peerlink["address"], "dev", session)
        ip(switch, "link", "set", session, "up")
    for isl in isls:
        for vid in model["vlans"]:
            _attach(switch, _ifname(isl, vid), "vlan%d" % vid, 9216)
    return created


def attach_member(switch, model, member, spec, cabled_ports):
    """A bridge port (a port or a bond) of the switch's model: its ports' sub-wires into its VLANs' bridges."""
    for port in spec["ports"]:
        if port not in cabled_ports:
            raise Refused("%s: port %s (of %s) has no cable in the twin" % (switch, port, member))
        mtu = model["ports"][port]["mtu"] if member != port else spec["mtu"]
        if spec["pvid"] is not None:
            _attach(switch, _ifname(port, UNTAGGED), "vlan%d" % spec["pvid"], mtu)
        for vid in spec["tagged"]:
            if vid not in cabled_ports[port]:
                raise Refused("%s: port %s: the cable carries no tag %d" % (switch, port, vid))
            _attach(switch, _ifname(port, vid), "vlan%d" % vid, mtu)


def detach_member(switch, spec):
    """The reverse of ``attach_member``: the member's sub-wires leave their bridges (the cable goes dark)."""
    for port in spec["ports"]:
        for tag in ([UNTAGGED] if spec["pvid"] is not None else []) + list(spec["tagged"]):
            ip(switch, "link", "set", _ifname(port, tag), "nomaster", check=False)


def _member_view(model, member):
    """What decides a member's wiring: its spec and its ports' MTUs (compared between two reloads)."""
    spec = model["members"][member]
    return json.dumps([spec, [model["ports"].get(p, {}).get("mtu") for p in spec["ports"]]], sort_keys=True)


def build_node(node, model, cabled_nics):
    """A node's links from its model: bonds and VLANs on bonds are bridges over the members' sub-wires."""
    links = model["links"]
    for nic in [n for link in links.values() if link["kind"] == "bond" for n in link["members"]] + \
            [name for name, link in links.items() if link["kind"] == "ethernet"]:
        if nic not in cabled_nics:
            raise Refused("%s: NIC %s has no cable in the twin" % (node, nic))
    wiring = node_wiring(model)
    order = sorted(links, key=lambda n: (links[n]["kind"] == "vlan", n))
    for name in order:
        link = links[name]
        wires = wiring[name]
        if wires["tag"] is not UNTAGGED and any(wires["tag"] not in cabled_nics[n] for n in wires["nics"]):
            raise Refused("%s: %s: the cable carries no tag %d" % (node, name, wires["tag"]))
        if link["kind"] == "ethernet":
            _attach(node, name, None, link["mtu"])
        elif link["kind"] == "vlan" and links[link["parent"]]["kind"] == "ethernet":
            sub = _ifname(link["parent"], link["vid"])
            if sub != name:
                ip(node, "link", "set", sub, "name", name)
            _attach(node, name, None, link["mtu"])
        else:
            nic_mtu = link["mtu"] if link["kind"] == "bond" else links[link["parent"]]["mtu"]
            ip(node, "link", "add", name, "type", "bridge", *(STP + ["priority", NODE_BRIDGE_PRIORITY]))
            for nic in wires["nics"]:
                _attach(node, _ifname(nic, wires["tag"]), name, nic_mtu)
            ip(node, "link", "set", name, "mtu", link["mtu"])
            ip(node, "link", "set", name, "up")
        for address in link["addresses"]:
            ip(node, "addr", "add", address, "dev", name)
    for name in order:
        if links[name]["gateway"]:
            ip(node, "route", "add", "default", "via", links[name]["gateway"], "dev", name)


def _world(bundle, skip=()):
    """The physical world from the rendered plan (plan.yaml): hosts, cables, the VLAN ids a cable can carry.
    ``skip``: nodes not racked yet (``up --skip-node``; ``add-node`` racks and cables them later)."""
    with open(os.path.join(bundle, "plan.yaml")) as handle:
        the_plan = yaml.safe_load(handle)
    the_plan["nodes"] = dict((n, v) for n, v in the_plan["nodes"].items() if n not in skip)
    switches = sorted(the_plan["switches"])
    racks = {}
    for switch in switches:
        racks.setdefault(the_plan["switches"][switch]["rack"], []).append(switch)
    cables = []
    for node in sorted(the_plan["nodes"]):
        for uplink in the_plan["nodes"][node].get("uplinks") or []:
            cables.append({"node": node, "nic": uplink["nic"], "switch": uplink["switch"], "port": uplink["port"]})
    tags = sorted(v["id"] for v in the_plan["vlans"])
    isls = []
    firsts = []
    peer_links = []
    pairs = the_plan.get("mlag") or {}
    for rack in sorted(racks):
        members = sorted(racks[rack], key=lambda s: the_plan["switches"][s]["index"])
        firsts.append(members[0])
        pair = pairs.get(rack)
        if pair:
            # cabled as the inventory says; whether they carry anything is up to each end's rendered file
            a, b = [s["name"] for s in pair["switches"]]
            peer_links += [{"a": a, "a_port": pa, "b": b, "b_port": pb, "tags": tags + [pair["peer_vlan"]]}
                           for pa, pb in pair["cables"]]
        else:
            isls += [(members[0], other) for other in members[1:]]       # the operator's MLAG peer links
    isls += [(firsts[0], other) for other in firsts[1:]]                # the spine (one trunk per rack)
    return {"switches": switches, "nodes": sorted(the_plan["nodes"]), "cables": cables, "tags": tags,
            "peer_links": peer_links,
            "isls": [{"a": a, "b": b, "name": "isl%d" % (i + 1)} for i, (a, b) in enumerate(isls)]}


def _cabled_ports(world, switch):
    """``{port: tags its cable carries}`` of a switch: node cables and peer-link cables."""
    cabled = {c["port"]: world["tags"] for c in world["cables"] if c["switch"] == switch}
    for link in world.get("peer_links", []):
        for end in ("a", "b"):
            if link[end] == switch:
                cabled[link[end + "_port"]] = link["tags"]
    return cabled


def _secrets(bundle, values):
    """The values of the Secrets the rendered releases fill from inventory variables (as cluster_network does in
    apply mode); ``values`` maps variable names to values."""
    with open(os.path.join(bundle, "cluster_network", "releases.yaml")) as handle:
        releases = yaml.safe_load(handle)
    secrets = {}
    for release in releases.get("releases", []) if isinstance(releases, dict) else releases:
        for entry in release.get("secrets_from_inventory") or []:
            if entry["variable"] in values:
                secrets[entry["name"]] = values[entry["variable"]]
    return secrets


def _bundle_node(bundle, node):
    talos = os.path.join(bundle, "nodes", node, "network.yaml")
    if os.path.exists(talos):
        with open(talos) as handle:
            return read_talos(handle.read())
    directory = os.path.join(bundle, "nodes", node, "networkd")
    if os.path.isdir(directory):
        files = {}
        for path in sorted(glob.glob(os.path.join(directory, "*"))):
            with open(path) as handle:
                files[os.path.basename(path)] = handle.read()
        return read_networkd(files, node)
    raise Refused("%s: no rendered network files in %s (Talos network.yaml or networkd/)" % (node, bundle))


def _bundle_objects(bundle):
    docs = []
    for path in sorted(glob.glob(os.path.join(bundle, "cluster_network", "manifests", "*.yaml"))):
        with open(path) as handle:
            docs += [d for d in yaml.safe_load_all(handle) if d]
    return docs


def _frr_write(host, text):
    path = os.path.join(twin.host_dir(host), "frr.conf")
    with open(path, "w") as handle:
        handle.write(text)
    os.chmod(path, 0o640)
    shutil.chown(path, "frr", "frr")


def speakers(_args):
    """Start the node speakers' BGP (their configuration was written by ``up``). Run once the fabric is
    configured, as MetalLB starts after the nodes and the switches are up: a speaker whose first connection
    fails waits FRR's connect-retry timer (120 s) before it tries again."""
    state = _state()
    for node in state["world"]["nodes"]:
        if getattr(_args, "node", None) and node not in _args.node:
            continue
        path = os.path.join(twin.host_dir(node), "frr.conf")
        run(["vtysh", "--vty_socket", twin.host_dir(node), "--config_dir", twin.host_dir(node), "-f", path],
            capture=True)
    started = [n for n in state["world"]["nodes"] if not getattr(_args, "node", None) or n in _args.node]
    print("speakers configured: %s" % ", ".join(started))


def up(args):
    bundle = os.path.abspath(args.bundle)
    world = _world(bundle, skip=args.skip_node)
    # read every rendered artefact before anything is built: a refusal leaves nothing behind
    models = {node: _bundle_node(bundle, node) for node in world["nodes"]}
    for node, model in models.items():
        if model["hostname"] != node:
            raise Refused("%s: its network files name the host %r" % (node, model["hostname"]))
    metallb = read_metallb(_bundle_objects(bundle))
    secrets = _secrets(bundle, dict(item.split("=", 1) for item in args.var))
    rogue = {}
    for item in args.announce:
        node, prefix = item.split("=", 1)
        rogue.setdefault(node, []).append(prefix)
    os.makedirs(STATE, exist_ok=True)
    os.chmod(STATE, 0o755)
    state = {"world": world, "bundle": bundle, "models": models, "hosts": [], "namespaces": [], "l2": {},
             "speakers": {}, "announce": {}, "rogue": rogue}
    _save(state)
    hosts = world["switches"] + world["nodes"]
    for host in hosts:
        make_namespace(host)
        state["namespaces"].append(ns(host))
        _save(state)
    tags = [UNTAGGED] + world["tags"]
    for cable in world["cables"]:
        lay_cable(cable["switch"], cable["port"], cable["node"], cable["nic"], tags)
    for link in world["peer_links"]:
        lay_cable(link["a"], link["a_port"], link["b"], link["b_port"], [UNTAGGED] + link["tags"])
    for isl in world["isls"]:
        lay_cable(isl["a"], isl["name"], isl["b"], isl["name"], world["tags"])
    for node in world["nodes"]:
        cabled = {c["nic"]: world["tags"] for c in world["cables"] if c["node"] == node}
        build_node(node, models[node], cabled)
    holder = _vip_holder(models)
    if holder:
        ip(holder[0], "addr", "add", holder[1]["address"] + "/32", "dev", holder[1]["link"])
        state["vip"] = {"node": holder[0], "address": holder[1]["address"]}
    for host in hosts:
        state["hosts"].append(host)
        _save(state)
        twin._start_daemons(host, True)
    for node in world["nodes"]:
        text, peers, announce = speaker_conf(metallb, node, secrets, rogue.get(node, ()))
        _frr_write(node, text)
        state["speakers"][node] = [{k: p[k] for k in ("peer_address", "local_address", "remote_asn")} for p in peers]
        state["announce"][node] = announce
    _save(state)
    print("site twin up: switches %s (layer 2 and FRR configuration come with fabric.yml), nodes %s%s" % (
        ", ".join(world["switches"]), ", ".join(world["nodes"]),
        ", API VIP %s on %s" % (state["vip"]["address"], state["vip"]["node"]) if holder else ""))


def add_node(args):
    """Rack and cable a node ``up --skip-node`` (or ``unrack-node``) left out (issue #14, add_node.yml and
    replace_node.yml): its namespace, its cables to the switch ports the plan names, the node built from its
    rendered files (``--bundle``: the new hardware's, by default the twin's), its FRR daemons and its speaker's
    configuration (started by ``speakers --node``). A cable into a port the switch's configuration already has
    joins its bridges at once, as a cable plugged into a configured port does; else it stays dark until a reload."""
    state = _state()
    bundle = os.path.abspath(args.bundle or state["bundle"])
    node = args.node
    if node in state["world"]["nodes"]:
        raise Refused("%s is already in the twin" % node)
    full = _world(bundle)
    if node not in full["nodes"]:
        raise Refused("%s is not in the rendered plan of %s" % (node, bundle))
    model = _bundle_node(bundle, node)
    metallb = read_metallb(_bundle_objects(bundle))
    secrets = _secrets(bundle, dict(item.split("=", 1) for item in args.var))
    text, peers, announce = speaker_conf(metallb, node, secrets)
    make_namespace(node)
    state["namespaces"].append(ns(node))
    _save(state)
    cables = [c for c in full["cables"] if c["node"] == node]
    for cable in cables:
        lay_cable(cable["switch"], cable["port"], cable["node"], cable["nic"], [UNTAGGED] + full["tags"])
    build_node(node, model, {c["nic"]: full["tags"] for c in cables})
    state["hosts"].append(node)
    state["world"]["nodes"] = sorted(state["world"]["nodes"] + [node])
    state["world"]["cables"] += cables
    state["models"][node] = model
    _save(state)
    for cable in cables:
        l2 = state.get("l2model", {}).get(cable["switch"])
        for member, spec in sorted((l2 or {}).get("members", {}).items()):
            if cable["port"] in spec["ports"]:
                attach_member(cable["switch"], l2, member, spec, _cabled_ports(state["world"], cable["switch"]))
    twin._start_daemons(node, True)
    _frr_write(node, text)
    state["speakers"][node] = [{k: p[k] for k in ("peer_address", "local_address", "remote_asn")} for p in peers]
    state["announce"][node] = announce
    _save(state)
    print("%s racked: cables %s" % (node, ", ".join("%s-%s %s" % (c["nic"], c["switch"], c["port"]) for c in cables)))


def unrack_node(args):
    """The old hardware of a node replace_node.yml replaces fails and is taken out (issue #14): its daemons stop,
    its namespace goes with every cable (the switch ports go dark, their configuration stays); no longer checked
    until ``add-node`` racks the new hardware."""
    state = _state()
    if args.node not in state["world"]["nodes"]:
        raise Refused("%s is not in the twin" % args.node)
    twin._stop(args.node)
    run(["ip", "netns", "del", ns(args.node)])
    state["namespaces"].remove(ns(args.node))
    state["hosts"].remove(args.node)
    _forget(state, args.node)
    _save(state)
    print("%s unracked: its switch ports are dark" % args.node)


def retire_node(args):
    """A node remove_node.yml took out (issue #14): the checks stop expecting its sessions, routes and reachability;
    its namespace and cables stay (the ports are shut on the switches), ``down`` removes them."""
    state = _state()
    if args.node not in state["world"]["nodes"]:
        raise Refused("%s is not in the twin" % args.node)
    _forget(state, args.node)
    state.setdefault("retired", []).append(args.node)
    _save(state)
    print("%s retired: no longer checked" % args.node)


def _forget(state, node):
    """The checks stop expecting the node's sessions, routes and reachability."""
    state["world"]["nodes"].remove(node)
    state["world"]["cables"] = [c for c in state["world"]["cables"] if c["node"] != node]
    for key in ("models", "speakers", "announce", "rogue"):
        state[key].pop(node, None)


def _vip_holder(models):
    """The control-plane node that wins the VIP election: the first (by name) whose config carries it."""
    for node in sorted(models):
        for vip in models[node]["vips"]:
            return node, vip
    return None


def redundant_peers(world, switch):
    """The switches that share a node with ``switch`` (its bonds span both)."""
    nodes = {c["node"] for c in world["cables"] if c["switch"] == switch}
    return sorted({c["switch"] for c in world["cables"] if c["node"] in nodes and c["switch"] != switch})


def ifreload(args):
    """Rebuild the switch's layer 2 from its interfaces file: a disruptive reload (every port leaves its VLAN
    bridges until the rebuild; ``--settle`` makes that last, as a real switch's reload does). Each reload is logged
    in reloads.jsonl with the state of the peers' BGP sessions when it started (the rolling test reads it)."""
    state = _state()
    with open(args.file) as handle:
        model = read_interfaces(handle.read())
    switch = args.switch
    world = state["world"]
    entry = {"switch": switch, "start": time.time(),
             "peers": {peer: established(peer) for peer in redundant_peers(world, switch)}}
    cabled = _cabled_ports(world, switch)
    earlier = state.get("l2model", {}).get(switch)
    same_base = earlier is not None and earlier["vlans"] == model["vlans"] and \
        json.dumps(earlier["svis"], sort_keys=True) == json.dumps(dict((str(k), v) for k, v in model["svis"].items()),
                                                                  sort_keys=True)
    if args.incremental and same_base:
        # ifupdown2's ifreload -a: only the stanzas that changed are touched, every other port keeps forwarding
        created = state["l2"].get(switch, [])
        gone = [m for m in earlier["members"] if m not in model["members"]
                or _member_view(earlier, m) != _member_view(model, m)]
        new = [m for m in model["members"] if m not in earlier["members"]
               or _member_view(earlier, m) != _member_view(model, m)]
        for member in gone:
            detach_member(switch, earlier["members"][member])
        for member in sorted(new):
            attach_member(switch, model, member, model["members"][member], cabled)
        entry["touched"] = sorted(set(gone) | set(new))
    else:
        for dev in state["l2"].get(switch, []):
            ip(switch, "link", "del", dev, check=False)
        time.sleep(args.settle)
        isls = [i["name"] for i in world["isls"] if switch in (i["a"], i["b"])]
        priority = 4096 * (1 + world["switches"].index(switch))
        created = build_switch_l2(switch, model, cabled, isls, priority)
        entry["touched"] = "all"
    # reloads of several switches run at once (a rollout phase): read, change and write the state under a lock
    with open(os.path.join(STATE, "site.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = _state()
        state["l2"][switch] = created
        state.setdefault("peerlinks", {})[switch] = model["peerlink"]
        state.setdefault("l2model", {})[switch] = model
        _save(state)
    for port in args.leave_down:      # a change that breaks a port (the rolling test's fault)
        ip(switch, "link", "set", _ifname(port, UNTAGGED), "down")
    entry["end"] = time.time()
    with open(os.path.join(STATE, "reloads.jsonl"), "a") as handle:
        handle.write(json.dumps(entry, sort_keys=True) + "\n")
    print("%s: VLANs %s, bridge ports %s" % (switch, model["vlans"], ", ".join(sorted(model["members"]))))


def bond_members(world):
    """{node: [(switch, switch-side untagged sub-wire)]}: the far ends of every node's cables."""
    members = {}
    for c in world["cables"]:
        members.setdefault(c["node"], []).append((c["switch"], _ifname(c["port"], UNTAGGED)))
    return members


def attached_ports(switch):
    """The switch's devices that are up and in a bridge (a port forwarding frames into a VLAN)."""
    links = json.loads(ip(switch, "-j", "link", "show", capture=True, check=False).stdout or "[]")
    return {link["ifname"] for link in links if link.get("master") and link.get("operstate") in ("UP", "UNKNOWN")}


def watch_bonds(args):
    """Sample every node's bond until SIGTERM (or --seconds): a bond is down when no member's far end is attached
    to its switch's VLAN bridges. Prints {"samples", "detached" (samples with a member away), "down": [...]}."""
    state = _state()
    world = state["world"]
    members = dict((n, m) for n, m in bond_members(world).items() if n not in args.ignore)
    watched = [n for n in world["nodes"] if n not in args.ignore] if args.sessions else []
    first = dict((node, set(a for a, st in established(node).items() if st == "Established")) for node in watched)
    dropped = []
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    deadline = time.time() + args.seconds
    samples, detached, down = 0, 0, []
    while not stop and time.time() < deadline:
        now = time.time()
        attached = {switch: attached_ports(switch) for switch in world["switches"]}
        samples += 1
        for node, ends in sorted(members.items()):
            up = [switch for switch, port in ends if port in attached[switch]]
            if len(up) < len(ends):
                detached += 1
            if not up:
                down.append({"t": round(now, 2), "node": node})
        for node in watched:
            states = established(node)
            dropped += [{"t": round(now, 2), "node": node, "peer": peer, "state": states.get(peer)}
                        for peer in sorted(first[node]) if states.get(peer) != "Established"]
        time.sleep(args.interval)
    print(json.dumps({"samples": samples, "detached": detached, "down": down, "watched_sessions":
                      dict((n, sorted(p)) for n, p in first.items()), "sessions_dropped": dropped}))
    return 0


def down(args):
    twin.down(args)


# ---------------------------------------------------------------- checks on the wire

def ping_all(probes, attempts=5):
    """probes: [(host, address, size)] -> the ones that never answered (tried in parallel, then retried)."""
    pending = list(probes)
    for _attempt in range(attempts):
        procs = []
        for host, address, size in pending:
            argv = ["ip", "netns", "exec", ns(host), "ping", "-n", "-q", "-c", "1", "-W", "2"]
            if size is not None:
                argv += ["-M", "do", "-s", str(size)]
            procs.append(((host, address, size), subprocess.Popen(argv + [address], stdout=subprocess.DEVNULL,
                                                                  stderr=subprocess.DEVNULL)))
        pending = [probe for probe, proc in procs if proc.wait() != 0]
        if not pending:
            break
    return pending


def reach_probes(models):
    """Every node to its gateways and to every other node on each subnet it has an address on; jumbo where the
    MTU of both ends allows it (ping -M do with the largest payload the link MTU takes)."""
    where = {}
    for node, model in models.items():
        for name, link in model["links"].items():
            for address in link["addresses"]:
                iface = ipaddress.ip_interface(address)
                where.setdefault(iface.network, []).append((node, str(iface.ip), link["mtu"]))
    probes = []
    for node, model in sorted(models.items()):
        for name, link in sorted(model["links"].items()):
            for address in link["addresses"]:
                network = ipaddress.ip_interface(address).network
                targets = [(a, m) for n, a, m in where[network] if n != node]
                if link["gateway"]:
                    targets.append((link["gateway"], link["mtu"]))
                for target, mtu in targets:
                    probes.append((node, target, None))
                    if min(mtu, link["mtu"]) >= 9000:
                        probes.append((node, target, min(mtu, link["mtu"]) - 28))
    return probes


def established(host):
    summary = json.loads(twin.vtysh(host, "show bgp ipv4 unicast summary json", check=False) or "{}")
    return {address: peer.get("state") for address, peer in summary.get("peers", {}).items()}


def wait_sessions(state, timeout):
    deadline = time.time() + timeout
    while True:
        problems = []
        for host in state["world"]["switches"] + state["world"]["nodes"]:
            peers = established(host)
            if not peers:
                problems.append("%s: no BGP peers" % host)
            problems += ["%s: session to %s is %s" % (host, a, s) for a, s in sorted(peers.items()) if s != "Established"]
        for node, speakers in state["speakers"].items():
            missing = {p["peer_address"] for p in speakers} - set(established(node))
            problems += ["%s: no session to %s" % (node, a) for a in sorted(missing)]
        if not problems or time.time() > deadline:
            return problems
        time.sleep(1)


def _switch_addresses(switch):
    data = json.loads(ip(switch, "-j", "addr", "show", capture=True).stdout or "[]")
    return {a["local"] for link in data for a in link.get("addr_info", []) if a.get("family") == "inet"}


def route_problems(state):
    """Each switch holds each announced pool /32 with one ECMP next hop per node speaker peering with it, and
    nothing else from the nodes (the rogue prefixes are refused by its policy)."""
    problems = []
    announced = {}
    for node, prefixes in state["announce"].items():
        for prefix in prefixes:
            announced.setdefault(prefix, set()).add(node)
    rogue = {p for prefixes in state["rogue"].values() for p in prefixes}
    if not rogue:
        problems.append("no node announces a prefix outside the pools (up --announce): the policy is not tested")
    for switch in state["world"]["switches"]:
        mine = _switch_addresses(switch)
        peers = {node: p["local_address"] for node, speakers in state["speakers"].items()
                 for p in speakers if p["peer_address"] in mine}
        kernel = json.loads(ip(switch, "-j", "route", "show", capture=True).stdout or "[]")
        routes = {r["dst"]: sorted([h["gateway"] for h in r.get("nexthops", [])] or [r.get("gateway")])
                  for r in kernel}
        for prefix, nodes in sorted(announced.items()):
            expected = sorted(peers[n] for n in nodes if n in peers)
            got = routes.get(prefix.split("/")[0], [])
            if got != expected:
                problems.append("%s: %s has next hops %s, expected %s (one per announcing peer)" % (switch, prefix, got, expected))
        bgp = json.loads(twin.vtysh(switch, "show bgp ipv4 unicast json", check=False) or "{}").get("routes", {})
        for prefix in sorted(rogue):
            if prefix in bgp or prefix.split("/")[0] in routes or prefix in routes:
                problems.append("%s: %s (outside the pools) was accepted" % (switch, prefix))
    for node, prefixes in state["rogue"].items():
        local = json.loads(twin.vtysh(node, "show bgp ipv4 unicast json", check=False) or "{}").get("routes", {})
        problems += ["%s: does not even originate %s (the filter test proves nothing)" % (node, p)
                     for p in prefixes if p not in local]
    return problems


def check(args):
    state = _state()
    failures = wait_sessions(state, args.timeout)
    models = state["models"]
    probes = reach_probes(models)
    if state.get("vip"):
        probes += [(host, state["vip"]["address"], None) for host in state["world"]["switches"] + state["world"]["nodes"]
                   if host != state["vip"]["node"]]
    # an MLAG pair of the plan: each switch's rendered peer link reaches its peer's (clagd's session path)
    peerlinks = state.get("peerlinks", {})
    paired = sorted({link[end] for link in state["world"].get("peer_links", []) for end in ("a", "b")})
    failures += ["%s: its rendered interfaces file has no CLAG peer link, the plan pairs it" % switch
                 for switch in paired if not peerlinks.get(switch)]
    probes += sorted({(switch, p["peer_ip"], None) for switch, p in peerlinks.items() if p})
    failures += ["%s cannot reach %s%s" % (h, a, " with %d-byte payloads (DF set)" % s if s else "")
                 for h, a, s in ping_all(probes)]
    deadline = time.time() + args.timeout
    while True:
        routes = route_problems(state)
        if not routes or time.time() > deadline:
            break
        time.sleep(1)
    failures += routes
    sessions = sum(len(established(s)) for s in state["world"]["switches"])
    print(json.dumps({"probes": len(probes), "switch sessions": sessions, "failures": failures}, indent=1))
    return 1 if failures else 0


def pull_cable(args):
    state = _state()
    cable = [c for c in state["world"]["cables"] if c["node"] == args.node and c["switch"] == args.switch]
    if not cable:
        raise Refused("no cable between %s and %s" % (args.node, args.switch))
    # the pull must take away the path the node uses: its untagged sub-wire of that cable is forwarding
    ports = json.loads(run(["bridge", "-n", ns(args.node), "-j", "link", "show"], capture=True).stdout or "[]")
    states = {p["ifname"]: p.get("state") for p in ports}
    if states.get(cable[0]["nic"]) != "forwarding":
        raise Refused("%s %s is %s, not the forwarding member: pulling it proves nothing"
                      % (args.node, cable[0]["nic"], states.get(cable[0]["nic"])))
    for tag in [UNTAGGED] + state["world"]["tags"]:
        ip(args.switch, "link", "del", _ifname(cable[0]["port"], tag), check=False)
    print("pulled %s %s <-> %s %s" % (args.node, cable[0]["nic"], args.switch, cable[0]["port"]))


def check_node(args):
    """The node's links are up and it reaches its gateways (polled: the emulated bond is a bridge whose other
    member needs STP's 4 s to forward; a real LACP bond just stops hashing onto the dead member)."""
    state = _state()
    model = state["models"][args.node]
    probes = [(args.node, link["gateway"], None) for link in model["links"].values() if link["gateway"]]
    deadline = time.time() + args.timeout
    while True:
        links = json.loads(ip(args.node, "-j", "link", "show", capture=True).stdout)
        operstate = {link["ifname"]: link.get("operstate") for link in links}
        failures = ["%s: %s is %s" % (args.node, name, operstate.get(name)) for name in model["links"]
                    if operstate.get(name) != "UP"]
        failures += ["%s cannot reach its gateway %s" % (h, a) for h, a, _s in ping_all(probes, attempts=1)]
        if not failures or time.time() > deadline:
            break
        time.sleep(0.5)
    print(json.dumps({"node": args.node, "links": {n: operstate.get(n) for n in model["links"]},
                      "seconds": round(args.timeout - (deadline - time.time()), 1), "failures": failures}, indent=1))
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    sub = parser.add_subparsers(dest="command")
    p_up = sub.add_parser("up")
    p_up.add_argument("--bundle", required=True)
    p_up.add_argument("--var", action="append", default=[], metavar="VARIABLE=VALUE",
                      help="an inventory variable a rendered Secret is filled from (the BGP password)")
    p_up.add_argument("--announce", action="append", default=[], metavar="NODE=PREFIX",
                      help="a prefix a node announces besides its pools (the switches must refuse it)")
    p_up.add_argument("--skip-node", action="append", default=[], metavar="NODE",
                      help="a node of the plan not racked yet (add-node racks it)")
    p_add = sub.add_parser("add-node")
    p_add.add_argument("node")
    p_add.add_argument("--var", action="append", default=[], metavar="VARIABLE=VALUE")
    p_add.add_argument("--bundle", help="the bundle the node's new hardware is rendered in (default: the twin's)")
    p_unrack = sub.add_parser("unrack-node")
    p_unrack.add_argument("node")
    p_retire = sub.add_parser("retire-node")
    p_retire.add_argument("node")
    p_reload = sub.add_parser("ifreload")
    p_reload.add_argument("switch")
    p_reload.add_argument("file")
    p_reload.add_argument("--settle", type=float, default=0, help="seconds the switch's ports stay out of its VLANs")
    p_reload.add_argument("--leave-down", action="append", default=[], metavar="PORT",
                          help="a port left down after the reload (a faulty change)")
    p_reload.add_argument("--incremental", action="store_true",
                          help="as ifupdown2's ifreload -a: only the bridge ports whose stanzas changed are touched "
                               "(a full rebuild when the VLANs or SVIs changed, or on the first reload)")
    p_watch = sub.add_parser("watch-bonds")
    p_watch.add_argument("--seconds", type=float, default=600)
    p_watch.add_argument("--interval", type=float, default=0.1)
    p_watch.add_argument("--ignore", action="append", default=[], metavar="NODE", help="a node not watched")
    p_watch.add_argument("--sessions", action="store_true",
                         help="also sample every watched node's BGP sessions: any that was Established at the start "
                              "and is not is reported in sessions_dropped")
    sub.add_parser("down")
    p_speakers = sub.add_parser("speakers")
    p_speakers.add_argument("--node", action="append", default=[], metavar="NODE", help="only this node's speaker")
    p_check = sub.add_parser("check")
    p_check.add_argument("-t", "--timeout", type=float, default=60)
    p_pull = sub.add_parser("pull-cable")
    p_pull.add_argument("node")
    p_pull.add_argument("switch")
    p_node = sub.add_parser("check-node")
    p_node.add_argument("node")
    p_node.add_argument("-t", "--timeout", type=float, default=30)
    args = parser.parse_args()
    handlers = {"ifreload": ifreload, "down": down, "speakers": speakers, "check": check, "pull-cable": pull_cable, "check-node": check_node,
                "watch-bonds": watch_bonds, "add-node": add_node, "retire-node": retire_node,
                "unrack-node": unrack_node}
    try:
        if args.command == "up":
            try:
                up(args)
            except BaseException:
                down(args)   # never leave half a twin behind
                raise
            return 0
        if args.command not in handlers:
            parser.print_help()
            return 2
        return handlers[args.command](args) or 0
    except Refused as exc:
        print("site twin: refused: %s" % exc, file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
