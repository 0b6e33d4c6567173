# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A switch's health around a change: which BGP sessions are Established and which ports are up.

``fabric.yml`` reads it on a switch right before changing it and again after, until nothing that was up
before is down (``regressions``), before it touches the switch's redundant peer.  The comparison is with
the switch's own state before the change, not with the plan: on a fresh site no node speaks BGP yet, and a
session or port that was already down is not this change's doing.

``health(platform, outputs)`` reads what the platform's role tasks collected:

* ``frr``: the stdout of ``vtysh -c 'show bgp ipv4 unicast summary json' -c 'show interface json'``
  (two JSON documents one after the other);
* ``eos``: ``[show ip bgp summary | json, show interfaces status | json]``;
* ``nxos``: ``[show ip bgp summary | json, show interface brief | json]``;
* ``junos``: ``[get-bgp-summary-information, get-interface-information terse]`` as JSON;
* ``sonic``: ``[OpenConfig BGP neighbors]`` (RESTCONF): sessions only, ports are not read.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json

from ansible_collections.netstack.baremetal.plugins.module_utils.fabric import readback


def json_documents(text):
    """Every JSON document of a text that holds several one after the other (vtysh with several -c)."""
    decoder = json.JSONDecoder()
    docs, index, text = [], 0, (text or "").strip()
    while index < len(text):
        doc, end = decoder.raw_decode(text, index)
        docs.append(doc)
        index = end
        while index < len(text) and text[index].isspace():
            index += 1
    return docs


def _frr_ports(interfaces):
    return {name: str(i.get("operationalStatus", "")).lower() == "up" for name, i in interfaces.items()}


def _eos_ports(status):
    return {name: i.get("linkStatus") == "connected" for name, i in status["interfaceStatuses"].items()}


def _nxos_ports(brief):
    rows = readback.as_list(brief.get("TABLE_interface"), "ROW_interface")
    return {r["interface"]: str(r.get("state", "")).lower() == "up" for r in rows}


def _junos_ports(terse):
    ports = {}
    for info in readback.as_list(terse, "interface-information"):
        for phy in readback.as_list(info, "physical-interface"):
            ports[readback.junos_leaf(phy, "name", "").strip()] = (
                str(readback.junos_leaf(phy, "oper-status", "")).strip().lower() == "up")
    return ports


PORT_READERS = {"frr": _frr_ports, "eos": _eos_ports, "nxos": _nxos_ports, "junos": _junos_ports}


def health(platform, outputs):
    """{"sessions": {peer: state}, "ports": {name: up} or None where the platform's ports are not read}."""
    if platform == "frr":
        outputs = json_documents(outputs) if isinstance(outputs, str) else outputs
    outputs = [json.loads(o) if isinstance(o, str) else o for o in outputs]
    if not outputs:
        raise ValueError("no output to read the health of a %s switch from" % platform)
    sessions = readback.peer_states(outputs[0]) if outputs[0] else {}
    ports = None
    if platform in PORT_READERS and len(outputs) > 1:
        ports = PORT_READERS[platform](outputs[1])
    return {"sessions": sessions, "ports": ports}


def planned(config):
    """What the switch keeps after its change: ``{"peers": [session addresses], "shut_ports": [ports]}`` from its
    structured config. A session or port the change takes away on purpose (remove_node.yml: the node's neighbors
    removed, its ports shut) is no regression."""
    bgp = config.get("bgp") or {}
    return {"peers": sorted(n["address"] for n in bgp.get("sessions") or []),
            "subnets": sorted("%s/%s" % (svi["address"], svi["prefix_length"]) for svi in config.get("svis") or []
                              if svi.get("address")),
            "shut_ports": sorted(p["name"] for p in config.get("ports") or [] if p.get("shutdown"))}


def _node_facing(peer, subnets):
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in ipaddress.ip_interface(subnet).network for subnet in subnets)


def restrict(state, keep):
    """``state`` without the node sessions ``keep`` does not plan (a removed node's: on the switch's node-facing
    subnets, not a planned peer) and the ports it plans shut. Sessions outside those subnets (the operator's own,
    to a spine) are kept: their going down after a change is a regression like any other."""
    peers, shut = set(keep.get("peers") or []), set(keep.get("shut_ports") or [])
    subnets = keep.get("subnets") or []
    result = dict(state)
    result["sessions"] = dict((peer, st) for peer, st in state["sessions"].items()
                              if peer in peers or not _node_facing(peer, subnets))
    if state.get("ports") is not None:
        result["ports"] = dict((port, up) for port, up in state["ports"].items() if port not in shut)
    return result


def regressions(before, after):
    """What was up before the change and is not now: the reasons not to touch the switch's peer."""
    problems = []
    for peer, state in sorted(before["sessions"].items()):
        now = after["sessions"].get(peer, "missing")
        if readback.established(state) and not readback.established(now):
            problems.append("BGP session with %s was Established before the change and is %s now" % (peer, now))
    for port, up in sorted((before.get("ports") or {}).items()):
        if up and not (after.get("ports") or {}).get(port, False):
            problems.append("port %s was up before the change and is down now" % port)
    return problems


def summary(state):
    """One line for the log: how many sessions are Established and ports up."""
    sessions = state["sessions"]
    text = "%d of %d BGP sessions Established" % (
        sum(1 for s in sessions.values() if readback.established(s)), len(sessions))
    if state.get("ports") is not None:
        text += ", %d of %d ports up" % (sum(1 for up in state["ports"].values() if up), len(state["ports"]))
    else:
        text += ", ports not read on this platform"
    return text
