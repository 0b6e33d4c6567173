# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading back from switches: rendered configs, frr-reload output, BGP state.

* ``cfg_text(output, rendered)`` joins the ``state: rendered`` output of every
  resource module and the CLI blocks into one ``.cfg`` text;
* ``frr_reload_changes(stdout)`` is what ``frr-reload.py --test`` would change;
* ``bgp_rows(plan, host, summary)`` compares a switch's BGP summary (FRR, EOS,
  NX-OS and Junos JSON, SONiC's OpenConfig neighbors) with the sessions the plan expects;
* ``received_routes(routes_json)`` (FRR, EOS, Junos) and ``check_received(plan, routes, expect)``
  check what the switch learned against the routing policy.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.netstack.baremetal.plugins.module_utils.fabric.common import cli_text
from ansible_collections.netstack.baremetal.plugins.module_utils.yamlout import dump_yaml

COMMENT = {"junos": "#", "sonic": "#", "frr": "!"}


def cfg_text(output, rendered):
    """The bundle's ``fabric/<switch>.cfg``: rendered commands in apply order, CLI blocks around them."""
    platform = output.get("platform", "")
    mark = COMMENT.get(platform, "!")
    lines = ["%s %s (%s): rendered offline by netstack.baremetal, in apply order" % (
        mark, output.get("switch", ""), platform)]
    if output.get("secrets"):
        lines.append("%s BGP passwords are left out here; apply mode reads them from: %s"
                     % (mark, ", ".join(output["secrets"])))
    if output["cli"]["before"]:
        lines.append("%s --- CLI (before the resource modules)" % mark)
        lines += cli_text(output["cli"]["before"])
    for name, module in output["modules"].items():
        result = rendered.get(name)
        if result is not None and "rendered" in result:
            lines.append("%s --- %s" % (mark, name))
            value = result["rendered"]
            if isinstance(value, (list, tuple)):
                lines += [str(v) for v in value]
            elif value:
                lines += str(value).splitlines()
        elif result is not None and result.get("skipped") and skipped_by_check_mode(result):
            # never dropped (a false "removed" diff) nor shown as rendered: said, with what it would apply
            lines.append("%s --- %s NOT CHECKED: %s; the %s payload it would apply:"
                         % (mark, name, result.get("msg") or "the module does not support check mode",
                            module["state"]))
            lines += dump_yaml(module["config"]).rstrip("\n").splitlines()
        elif result is not None and result.get("skipped"):
            continue
        else:
            lines.append("%s --- %s (no rendered state: the %s payload)" % (mark, name, module["state"]))
            lines += dump_yaml(module["config"]).rstrip("\n").splitlines()
    if output["cli"]["after"]:
        lines.append("%s --- CLI (after the resource modules)" % mark)
        lines += cli_text(output["cli"]["after"])
    for name, text in sorted(output.get("files", {}).items()):
        lines.append("%s --- file %s" % (mark, name))
        lines += text.rstrip("\n").splitlines()
    return "\n".join(lines) + "\n"


def skipped_by_check_mode(result):
    """True when a task result is Ansible's skip of a module that does not support check mode."""
    return bool(result.get("skipped")) and "check mode" in str(result.get("msg", ""))


def frr_reload_changes(stdout):
    """Lines ``frr-reload.py --test`` would delete (``- ``) and add (``+ ``), hostname lines left out."""
    changes = []
    section = None
    for raw in (stdout or "").splitlines():
        line = raw.rstrip()
        if line == "Lines To Delete":
            section = "- "
            continue
        if line == "Lines To Add":
            section = "+ "
            continue
        if section is None or not line.strip() or set(line.strip()) == {"="}:
            continue
        if line.strip().startswith(("hostname ", "no hostname ")):
            continue
        changes.append(section + line)
    # context lines alone ("router bgp 1" with nothing under it) are no change
    meaningful = [c for c in changes if c[2:].startswith(" ") or not _is_context(c[2:])]
    return changes if meaningful else []


def _is_context(line):
    return line.startswith(("router ", "interface ", "address-family ", "vrf "))


def as_list(node, key):
    """A child that is one item or a list of them, always a list: NX-OS ``TABLE_x``/``ROW_x`` (a dict for one
    row), Junos containers (``[{...}, ...]``)."""
    value = (node or {}).get(key) or []
    return value if isinstance(value, list) else [value]


def junos_leaf(node, key, default=None):
    """Junos JSON wraps every leaf as ``[{"data": "..."}]`` (a flag as ``[{"data": [null]}]``, an empty tag
    as ``[{}]``): the first leaf's data, or ``default``."""
    value = (node or {}).get(key)
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("data")
    if value is None or value == [None]:
        return default
    return value


# OpenConfig's session-state enumeration, spelled like the other platforms' states
OPENCONFIG_STATES = {"IDLE": "Idle", "CONNECT": "Connect", "ACTIVE": "Active", "OPENSENT": "OpenSent",
                     "OPENCONFIRM": "OpenConfirm", "ESTABLISHED": "Established"}


def _openconfig_peers(neighbors):
    """SONiC: ``openconfig-network-instance:neighbors`` (RESTCONF GET of the BGP neighbors)."""
    peers = {}
    for n in neighbors.get("neighbor", []):
        state = n.get("state", {})
        address = n.get("neighbor-address", state.get("neighbor-address"))
        received = 0
        for af in n.get("afi-safis", {}).get("afi-safi", []):
            # identityref: "openconfig-bgp-types:IPV4_UNICAST", or bare "IPV4_UNICAST"
            if str(af.get("afi-safi-name", "")).rsplit(":", 1)[-1] == "IPV4_UNICAST":
                received = int(af.get("state", {}).get("prefixes", {}).get("received", 0))
        session = state.get("session-state")
        peers[address] = (OPENCONFIG_STATES.get(session, session), received)
    return peers


def _junos_peers(summary):
    """Junos: ``show bgp summary | display json`` (RPC get-bgp-summary-information)."""
    peers = {}
    for info in as_list(summary, "bgp-information"):
        for p in as_list(info, "bgp-peer"):
            address = junos_leaf(p, "peer-address", "").split("+", 1)[0]     # "10.10.0.11+179" in some outputs
            received = 0
            for rib in as_list(p, "bgp-rib"):
                if junos_leaf(rib, "name") == "inet.0":
                    received = int(junos_leaf(rib, "received-prefix-count", 0))
            peers[address] = (junos_leaf(p, "peer-state"), received)
    return peers


def _peers(summary):
    """{address: (state, prefixes received)} from an FRR, EOS, NX-OS or Junos BGP summary or SONiC's neighbors."""
    peers = {}
    if "ipv4Unicast" in summary:
        summary = summary["ipv4Unicast"]
    if "peers" in summary:                                   # FRR
        for address, p in summary["peers"].items():
            peers[address.lstrip("*")] = (p.get("state"), p.get("pfxRcd", p.get("prefixReceivedCount", 0)))
    elif "vrfs" in summary:                                  # EOS
        for address, p in summary["vrfs"].get("default", {}).get("peers", {}).items():
            peers[address] = (p.get("peerState"), p.get("prefixReceived", 0))
    elif "TABLE_vrf" in summary:                             # NX-OS
        for vrf in as_list(summary["TABLE_vrf"], "ROW_vrf"):
            for af in as_list(vrf.get("TABLE_af"), "ROW_af"):
                for saf in as_list(af.get("TABLE_saf"), "ROW_saf"):
                    for p in as_list(saf.get("TABLE_neighbor"), "ROW_neighbor"):
                        peers[p["neighborid"]] = (p.get("state"), int(p.get("prefixreceived", 0)))
    elif "bgp-information" in summary:                       # Junos
        peers = _junos_peers(summary)
    elif "openconfig-network-instance:neighbors" in summary:  # SONiC (OpenConfig over RESTCONF)
        peers = _openconfig_peers(summary["openconfig-network-instance:neighbors"])
    else:
        raise ValueError("unknown BGP summary format (keys: %s)" % ", ".join(sorted(summary)))
    return peers


def peer_states(summary):
    """{peer address: session state} from any platform's BGP summary (see ``_peers``)."""
    return {address: state for address, (state, _received) in _peers(summary).items()}


def established(state):
    """True for every platform's spelling of an Established session."""
    return str(state or "").lower() == "established"


def bgp_rows(plan, host, summary):
    """One row per session the plan expects on ``host``."""
    view = plan["bgp"]["switches"].get(host)
    if view is None:
        return []
    peers = _peers(summary)
    rows = []
    for n in view["neighbors"]:
        state, received = peers.get(n["peer_address"], ("missing", 0))
        rows.append({"switch": host, "peer": n["peer_address"], "node": n["peer"], "remote_asn": n["remote_asn"],
                     "state": state, "established": established(state), "prefixes_received": received})
    return rows


def _junos_routes(routes_json):
    """Junos: ``show route protocol bgp table inet.0 | display json`` (RPC get-route-information).

    The active entry (``active-tag`` ``*``) of a multipath route carries one ``nh`` per path used.
    """
    result = {}
    for info in as_list(routes_json, "route-information"):
        for table in as_list(info, "route-table"):
            if junos_leaf(table, "table-name", "inet.0") != "inet.0":
                continue
            for rt in as_list(table, "rt"):
                prefix = junos_leaf(rt, "rt-destination", "")
                if "/" not in prefix and junos_leaf(rt, "rt-prefix-length"):   # detail style: length apart
                    prefix = "%s/%s" % (prefix, junos_leaf(rt, "rt-prefix-length"))
                hops = [junos_leaf(nh, "to") for entry in as_list(rt, "rt-entry")
                        if junos_leaf(entry, "active-tag") == "*" and junos_leaf(entry, "protocol-name", "BGP") == "BGP"
                        for nh in as_list(entry, "nh")]
                if any(hops):
                    result[prefix] = sorted(set(h for h in hops if h))
    return result


def received_routes(routes_json):
    """{prefix: [next hops]} of the installed BGP paths (best and multipath).

    Reads FRR's ``show bgp ipv4 unicast json``, EOS's ``show ip bgp | json`` and Junos'
    ``show route protocol bgp table inet.0 | display json``.
    """
    result = {}
    if "route-information" in routes_json:                   # Junos
        return _junos_routes(routes_json)
    if "vrfs" in routes_json:                                # EOS
        entries = routes_json["vrfs"].get("default", {}).get("bgpRouteEntries", {})
        for prefix, entry in entries.items():
            hops = [p.get("nextHop") for p in entry.get("bgpRoutePaths", [])
                    if p.get("routeType", {}).get("valid") and (p.get("routeType", {}).get("active")
                                                                or p.get("routeType", {}).get("ecmp"))]
            if any(hops):
                result[prefix] = sorted(set(h for h in hops if h))
        return result
    for prefix, paths in (routes_json.get("routes") or {}).items():
        hops = []
        for path in paths:
            if not (path.get("valid") and (path.get("bestpath") or path.get("multipath"))):
                continue
            for hop in path.get("nexthops", []):
                if hop.get("ip") and hop["ip"] != "0.0.0.0":
                    hops.append(hop["ip"])
        if hops:
            result[prefix] = sorted(set(hops))
    return result


def check_received(plan, routes, expect=None):
    """Problems (strings) with what a switch learned from the nodes.

    Every prefix learned from a node must be a /32 inside a load-balancer pool;
    ``expect`` maps prefixes that must be present to their number of paths.
    """
    problems = []
    pools = [ipaddress.ip_network(e["prefix"]) for e in plan["bgp"]["policy"]["accept_from_nodes"]]
    node_addresses = {a for v in plan["vlans"] for a in v["nodes"].values()}
    for prefix, hops in sorted(routes.items()):
        if not any(h in node_addresses for h in hops):
            continue
        net = ipaddress.ip_network(prefix)
        if net.prefixlen != 32 or not any(net.subnet_of(p) for p in pools):
            problems.append("%s learned from %s is outside the load-balancer pools" % (prefix, ", ".join(hops)))
    for prefix, count in sorted((expect or {}).items()):
        got = len(routes.get(prefix, []))
        if got != int(count):
            problems.append("%s has %d path(s), expected %s" % (prefix, got, count))
    return problems


def bgp_report(plan, host, summary, routes=None, expect=None):
    """Rows, a printable table, notes (what was not checked) and the problems of one switch.

    Without ``routes`` (a platform whose BGP table is not read) only sessions and prefix counts are
    checked, and the notes say so.
    """
    rows = bgp_rows(plan, host, summary)
    problems = ["%s: session with %s (%s) is %s" % (host, r["node"], r["peer"], r["state"])
                for r in rows if not r["established"]]
    notes = []
    if routes is not None:
        problems += ["%s: %s" % (host, p) for p in check_received(plan, received_routes(routes), expect)]
    elif rows:
        notes.append("%s: BGP table not read on this platform: sessions and prefix counts only, the routing "
                     "policy and ECMP paths are not checked here" % host)
        if expect:
            notes.append("%s: expected paths not checked: %s" % (host, ", ".join(sorted(expect))))
    table = ["%-12s %-12s %-16s %-11s %-12s %s" % (r["switch"], r["node"], r["peer"], r["remote_asn"], r["state"],
                                                   r["prefixes_received"]) for r in rows]
    return {"rows": rows, "table": table, "notes": notes, "problems": problems}
