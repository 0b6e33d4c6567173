# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The order in which ``fabric.yml`` changes the switches, so no node loses every uplink at once.

Two switches are *redundant peers* when a node is cabled to both (its bond, or its active-backup
pair, spans them): they must never be changed at the same moment.  ``rollout(plan, ports_view)``
colours that graph greedily, switches taken in (rack, index, name) order, so on the usual rack of two
leaves the first leaf of every rack is phase 1 and the second phase 2.  ``fabric.yml`` runs one play per
phase; a switch is changed only when every peer of an earlier phase was changed and verified.

A node cabled to three or more switches (active-backup) may need a third phase; ``MAX_PHASES`` is what
``fabric.yml`` runs, and a plan needing more is a plan problem rather than an unsafe rollout.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

MAX_PHASES = 3


def rollout(plan, ports_view):
    """{switch: {"phase": 1.., "peers": [switches sharing a node with it]}} for every switch of the plan."""
    peers = {host: set() for host in plan["switches"]}
    for view in ports_view.values():
        cabled = sorted({u["switch"] for u in view["uplinks"] if u["switch"] in peers})
        for switch in cabled:
            peers[switch].update(s for s in cabled if s != switch)

    def order(host):
        switch = plan["switches"][host]
        return (str(switch.get("rack") or ""), switch.get("index") or 0, host)

    phases = {}
    for host in sorted(peers, key=order):
        taken = {phases[p] for p in peers[host] if p in phases}
        phases[host] = next(n for n in range(1, len(peers) + 2) if n not in taken)
    return {host: {"phase": phases[host], "peers": sorted(peers[host], key=order)} for host in sorted(peers)}


def too_many_phases(order):
    """The switches whose phase is beyond what ``fabric.yml`` runs, with the peers that pushed them there."""
    return {host: entry["peers"] for host, entry in order.items() if entry["phase"] > MAX_PHASES}
