# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fabric area: top-of-rack switch configuration from the plan.

Public surface:

* ``plan_fabric(site, plan, problems)`` -> ``plan["fabric"]``: the node-facing
  port view and one platform-neutral structured config per switch (see
  ``model``), checked against the node side of every BGP session, and the
  plan warnings (racks whose MLAG domain is left to the operator);
* ``plan["fabric"]["rollout"]``: each switch's phase in ``fabric.yml`` and its redundant peers
  (``rollout``); ``health`` reads a switch's sessions and ports around a change;
* ``render_fabric(plan)`` -> the bundle files under ``fabric/``;
* ``switch_output(plan, host, secrets=None, omit_passwords=False)`` -> what
  the ``fabric`` role applies on one switch (resource-module arguments, CLI
  blocks, files), passwords resolved only when ``secrets`` is given;
* ``node_frr_conf(plan, node, announce=(), secrets=None)`` -> a node
  speaker's FRR config (the network twin's stand-in for MetalLB);
* ``RENDERERS``: platform -> renderer module.  Adding a platform is one new
  module with ``PLATFORM``, ``NETWORK_OS``, ``LISTEN_RANGES`` and ``render()``
  (see ``common``) plus one line here.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netstack.baremetal.plugins.module_utils import bgp as bgp_core, mlag
from ansible_collections.netstack.baremetal.plugins.module_utils.fabric import eos, frr, junos, model, nxos, rollout, sonic
from ansible_collections.netstack.baremetal.plugins.module_utils.inventory import host_path
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import Problem
from ansible_collections.netstack.baremetal.plugins.module_utils.yamlout import dump_yaml

RENDERERS = {module.PLATFORM: module for module in (eos, nxos, junos, sonic, frr)}
FORMAT = 1


def plan_fabric(site, plan, problems, only=None):
    """Compute ``plan["fabric"]``; append Problems for what the switches cannot be given.

    ``only``: the switches a day-2 play changes (add_node, remove_node). Only their configurations are built and
    their BGP sessions checked against the node side; the platform of every switch, the uplinks of every node and
    the rollout of the whole fabric are still checked, so the plan's size follows the change, not the site.
    """
    ports_view = model.node_ports(plan)
    _check_uplinks(plan, ports_view, problems)
    cabled = model.nodes_by_switch(plan, ports_view)
    switches = {}
    for host in sorted(plan["switches"]):
        platform = plan["switches"][host]["platform"]
        renderer = RENDERERS.get(platform)
        if renderer is None:
            problems.append(Problem(host_path(host, "netstack_switch", "platform"),
                                    "no fabric renderer for platform '%s'" % platform,
                                    "known: %s" % ", ".join(sorted(RENDERERS))))
            continue
        if only is not None and host not in only:
            continue
        config = model.switch_config(plan, host, ports_view, cabled,
                                     listen_ranges=getattr(renderer, "LISTEN_RANGES", True))
        config["network_os"] = renderer.NETWORK_OS
        config["secrets"] = model.secret_refs(config)
        switches[host] = config
    order = rollout.rollout(plan, ports_view)
    for host, peers in sorted(rollout.too_many_phases(order).items()):
        problems.append(Problem(host_path(host, "netstack_switch"),
                                "changing this switch safely needs phase %d of the rollout, fabric.yml runs %d: "
                                "the nodes cabled to it also reach %s" % (order[host]["phase"], rollout.MAX_PHASES,
                                                                          ", ".join(peers)),
                                "cable each node to at most two switches of a rack"))
    # warnings, not problems: inventories written before the mlag block existed must still plan
    result = {"format": FORMAT, "nodes": ports_view, "switches": switches, "rollout": order,
              "warnings": mlag.unmanaged_warnings(site)}
    problems.extend(check_fabric(plan, result))
    return result


def _check_uplinks(plan, ports_view, problems):
    for host, view in ports_view.items():
        switches = sorted({u["switch"] for u in view["uplinks"]})
        if view["lag"] and len(switches) > 2:
            problems.append(Problem(host_path(host, "netstack_node", "uplinks"),
                                    "an LACP bond can span at most the two switches of an MLAG pair, these "
                                    "uplinks reach %s" % ", ".join(switches),
                                    "use bond_mode active-backup or cable the node to two switches"))
        if view["native_vlan"] is None and view["uplinks"] and plan["bgp"]["enabled"]:
            problems.append(Problem(host_path(host, "netstack_node", "uplinks"),
                                    "the node has uplinks but no address on the node VLAN",
                                    "leave node_addresses out (or true) on the VLAN with role node"))


def check_fabric(plan, fabric):
    """Both ends of every BGP session, as the switch configs really set them up, against the node side (only the
    node sessions towards the planned switches, when the fabric holds some of them)."""
    if not plan["bgp"]["enabled"]:
        return []
    switch_view = {}
    for host, config in fabric["switches"].items():
        sessions = model.switch_sessions(config)
        if sessions:
            switch_view[host] = sessions
    node_view = plan["bgp"]["nodes"]
    if set(fabric["switches"]) != set(plan["switches"]):
        planned = set(fabric["switches"])
        node_view = {node: [n for n in sessions if n["peer"] in planned] for node, sessions in node_view.items()}
    return bgp_core.check_consistency(switch_view, node_view)


def switch_output(plan, host, secrets=None, omit_passwords=False):
    """The renderer output for one switch (see ``common``), with what names it: ``switch``, ``platform``,
    ``network_os`` and ``secrets`` (the variable names its passwords come from)."""
    config = plan["fabric"]["switches"][host]
    output = RENDERERS[config["platform"]].render(config, secrets=secrets, omit_passwords=omit_passwords)
    output.update(switch=host, platform=config["platform"], network_os=config["network_os"],
                  secrets=config["secrets"])
    return output


def node_frr_conf(plan, node, announce=(), secrets=None):
    """A node speaker's ``frr.conf`` from the node side of the sessions."""
    peers = plan["bgp"]["nodes"].get(node, [])
    accept_default = plan["bgp"]["policy"]["send_to_nodes"] == "default_route"
    return frr.node_frr_conf(node, peers, accept_default=accept_default, announce=announce, secrets=secrets)


def _switch_document(config, output):
    doc = {"format": FORMAT, "switch": config["name"], "platform": config["platform"],
           "network_os": config["network_os"], "secrets": config["secrets"]}
    if output["modules"]:
        doc["modules"] = output["modules"]
    if output["cli"]["before"] or output["cli"]["after"]:
        doc["cli"] = output["cli"]
    if not output["modules"]:
        doc["structured"] = {k: v for k, v in config.items() if k not in doc}
    return doc


def render_fabric(plan):
    """``fabric/<switch>.yml`` for every switch (passwords as placeholders), FRR files, node side."""
    files = {}
    fabric = plan["fabric"]
    for host in sorted(fabric["switches"]):
        config = fabric["switches"][host]
        output = switch_output(plan, host)
        files["fabric/%s.yml" % host] = dump_yaml(_switch_document(config, output))
        for suffix, text in sorted(output["files"].items()):
            files["fabric/%s.%s" % (host, suffix)] = text
    if plan["bgp"]["enabled"]:
        for node in sorted(plan["bgp"]["nodes"]):
            files["fabric/nodes/%s.frr.conf" % node] = node_frr_conf(plan, node)
    files["fabric/sessions.md"] = sessions_table(plan)
    return files


def sessions_table(plan):
    """The session list as a Markdown table, for review."""
    lines = ["# BGP sessions: %s" % plan["cluster"]["name"], ""]
    if not plan["bgp"]["enabled"]:
        return "\n".join(lines + ["BGP is off (load balancer mode '%s')." % plan["load_balancer"]["mode"], ""])
    policy = plan["bgp"]["policy"]
    lines += ["Nodes may announce: %s (as /32s). Switches send nodes: %s." % (
        ", ".join(e["prefix"] for e in policy["accept_from_nodes"]) or "nothing", policy["send_to_nodes"]), "",
        "| switch | switch address | switch ASN | node | node address | node ASN | password | BFD | timers |",
        "|---|---|---|---|---|---|---|---|---|"]
    for s in plan["bgp"]["sessions"]:
        lines.append("| %s | %s | %d | %s | %s | %d | %s | %s | %d/%d |" % (
            s["switch"], s["switch_address"], s["switch_asn"], s["node"], s["node_address"], s["node_asn"],
            ("`%s`" % s["password_ref"]) if s["password_ref"] else "none", "yes" if s["bfd"] else "no",
            s["keepalive"], s["hold_time"]))
    return "\n".join(lines) + "\n"
