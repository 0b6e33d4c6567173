# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by the platform renderers.

A renderer is a module with ``PLATFORM``, ``NETWORK_OS`` and
``render(config, secrets=None, omit_passwords=False)`` returning::

    {"modules": {short module name: {"state": ..., "config": ...}},   # one task each, in this order
     "cli": {"before": [block], "after": [block]},                   # what no resource module expresses
     "files": {suffix: text}}                                        # e.g. {"frr.conf": ...}

A CLI block is ``{"parents": [...], "lines": [...]}``.  ``secrets`` is
``None`` (the bundle: every password is a placeholder naming its variable)
or ``{variable name: value}`` (apply mode); ``omit_passwords`` drops them
altogether (offline ``state: rendered``, whose output Ansible would mask).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netstack.baremetal.plugins.module_utils.fabric.model import placeholder


def password(ref, secrets):
    """The password text for variable ``ref``: its value in apply mode, a placeholder otherwise."""
    if not ref:
        return None
    if secrets is None:
        return placeholder(ref)
    if ref not in secrets or secrets[ref] in (None, ""):
        raise ValueError("the BGP password variable '%s' is not defined (netstack_fabric.bgp.password_var)" % ref)
    return str(secrets[ref])


def empty_output():
    return {"modules": {}, "cli": {"before": [], "after": []}, "files": {}}


def vlan_ranges(ids):
    """[10, 11, 12, 20] -> '10-12,20'."""
    runs = []
    for i in sorted(set(ids)):
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return ",".join(str(a) if a == b else "%d-%d" % (a, b) for a, b in runs)


def switched_interfaces(config, lag_name):
    """``[(interface name, l2)]`` of the node-facing ports and bonds that carry VLANs, ports first.

    A bond member has no ``l2`` of its own (its bond carries the VLANs); ``lag_name`` is the platform's
    name for bond ``id``.
    """
    return ([(p["name"], p["l2"]) for p in config["ports"] if p["l2"]]
            + [(lag_name(lag["id"]), lag["l2"]) for lag in config["lags"] if lag["l2"]])


def vrrp_group(vlan_id):
    """The VRRP group (virtual router id, 1-255) of a VLAN's shared gateway: the VLAN id folded into range.

    Two VLANs 255 apart share a group number; that is harmless, groups are per interface.
    """
    return (vlan_id - 1) % 255 + 1


def block(parents, lines):
    return {"parents": list(parents), "lines": list(lines)}


def cli_text(cli, indent="   "):
    """CLI blocks as indented configuration text (used for the rendered .cfg files)."""
    out = []
    for item in cli:
        depth = 0
        for parent in item["parents"]:
            out.append(indent * depth + parent)
            depth += 1
        out.extend(indent * depth + line for line in item["lines"])
    return out


def bgp_neighbors(config, explicit_only=False):
    """The neighbor entries to configure: explicit ones, or every session when a platform has no listen ranges."""
    bgp = config["bgp"]
    if explicit_only and not bgp["neighbors"]:
        return bgp["sessions"]
    return bgp["neighbors"]
