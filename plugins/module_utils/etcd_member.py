# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A replaced control plane's old etcd member, removed through a surviving control plane (replace_node.yml).

The member list and which members are healthy are read with the cluster's own tool, ``etcdctl`` (kubeadm: on a
surviving control plane, with kubeadm's etcd client certificates) or ``talosctl`` (Talos: from the controller,
through a surviving control plane); ``removal`` decides from them, ``quorum_decision`` (also behind
``node_day2.removal_decision``) says whether the members left keep an etcd quorum.

A member of that name that is healthy is not the old machine's: it is the new hardware already joined (a re-run
after the join) or the old machine still running; it is left alone unless forced. No Ansible imports.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re


def quorum_decision(what, left, ready, force, ready_word="Ready"):
    """Whether removing ``what`` leaves the members ``left`` a quorum of ``ready`` ones: ``len(left) // 2 + 1``.

    Returns ``{"allowed", "forced", "message"}``; ``force`` turns a refusal into an allowed, forced decision."""
    decision = {"allowed": True, "forced": False, "message": ""}
    quorum = len(left) // 2 + 1
    if len(ready) >= quorum:
        return decision
    message = ("removing %s would break the etcd quorum: %d member(s) left (%s), %d %s (%s), a quorum needs %d"
               % (what, len(left), ", ".join(left), len(ready), ready_word, ", ".join(ready) or "none", quorum))
    if not force:
        decision.update(allowed=False, message=message + "; mend the others first, or -e force=true")
    else:
        decision.update(forced=True, message=message + " (forced)")
    return decision


# ------------------------------------------------------------------------------------------------ reading


def etcdctl_members(text):
    """``etcdctl member list -w json`` as ``[{"id" (hex, as ``member remove`` takes it), "name", "client_urls"}]``."""
    return [{"id": "%x" % member["ID"], "name": member.get("name") or "",
             "client_urls": list(member.get("clientURLs") or [])}
            for member in json.loads(text).get("members") or []]


def etcdctl_healthy(members, text):
    """The ids of ``members`` that ``etcdctl endpoint health --cluster -w json`` found healthy on a client URL."""
    healthy = set(entry["endpoint"] for entry in json.loads(text or "[]") if entry.get("health"))
    return set(m["id"] for m in members if healthy & set(m["client_urls"]))


def _table(text):
    """Rows of a talosctl table (a header line of upper-case column names, one row a line) as dicts."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return []
    header = lines[0]
    starts = [m.start() for m in re.finditer(r"(?:^|(?<=  ))\S", header)]   # columns: 2+ spaces apart
    names = [header[a:b].strip() for a, b in zip(starts, starts[1:] + [len(header)])]
    rows = []
    for line in lines[1:]:
        cells = [line[a:b].strip() for a, b in zip(starts, starts[1:] + [None])]
        rows.append(dict(zip(names, cells)))
    return rows


def talos_members(text):
    """``talosctl etcd members`` (NODE, ID, HOSTNAME, PEER URLS, CLIENT URLS, LEARNER) as the members above."""
    return [{"id": row["ID"], "name": row["HOSTNAME"], "client_urls": row.get("CLIENT URLS", "").split(",")}
            for row in _table(text)]


def talos_healthy(text):
    """The member ids ``talosctl -n <control planes> etcd status`` answered for, without an error."""
    return set(row["MEMBER"] for row in _table(text) if row.get("MEMBER") and not row.get("ERRORS"))


# ------------------------------------------------------------------------------------------------ deciding


def removal(name, members, healthy, force=False):
    """What to do with the member named ``name`` (the node's name, case-insensitive).

    ``members``: the member list (above); ``healthy``: the ids of the healthy members. Returns ``{"remove": [ids],
    "allowed", "forced", "message", "left", "healthy"}``: ``remove`` empty with ``allowed`` means nothing to do
    (no such member, or it is healthy and not ``force``d); not ``allowed``: refused (``message`` says why)."""
    mine = [m for m in members if m["name"].lower() == name.lower()]
    others = [m for m in members if m not in mine]
    left = sorted(m["name"] or m["id"] for m in others)
    ready = sorted(m["name"] or m["id"] for m in others if m["id"] in healthy)
    outcome = {"remove": [], "allowed": True, "forced": False, "left": left, "healthy": ready}
    if not mine:
        outcome["message"] = "etcd member %s is not in the cluster: nothing to remove" % name
        return outcome
    name = mine[0]["name"]
    running = [m for m in mine if m["id"] in healthy]
    if running and not force:
        outcome["message"] = ("etcd member %s (%s) is healthy: taken as the new hardware already joined, or the old "
                              "machine still running; not removed (power the old machine off first, or -e force=true)"
                              % (name, ", ".join(m["id"] for m in running)))
        return outcome
    decision = quorum_decision("etcd member %s" % name, left, ready, force, ready_word="healthy")
    outcome.update(allowed=decision["allowed"], forced=decision["forced"])
    if not decision["allowed"]:
        outcome["message"] = decision["message"]
        return outcome
    outcome["remove"] = [m["id"] for m in mine]
    outcome["message"] = "etcd member %s (%s) removed; %d left (%s), %d healthy%s" % (
        name, ", ".join(outcome["remove"]), len(left), ", ".join(left), len(ready),
        "; " + decision["message"] if decision["forced"] else "")
    return outcome
