#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The network twin: the lab inventory's fabric, built in network namespaces on this machine.

    twin.py up     [-i INVENTORY]   namespaces, cables, VLAN bridges, FRR daemons; node speakers configured
    twin.py down                    stop every daemon this tool started (by pid file), delete the namespaces
    twin.py status                  BGP summary and kernel routes of each switch
    twin.py node-stop NODE          stop a node's bgpd (its paths must be withdrawn)
    twin.py node-start NODE         start it again with its configuration
    twin.py wait-established [-t S] wait until every switch session is Established
    twin.py show SWITCH             JSON {"bgp": summary, "routes": BGP table, "kernel": ip -j route}

Everything comes from the plan of the inventory (``netstack.baremetal`` core):

* one namespace ``nst-<switch>`` per FRR switch, with one plain bridge ``vlan<id>`` per VLAN of the
  plan (the kernel here has no VLAN-aware bridge or 802.1Q devices: a VLAN is a bridge, and a node
  port carrying several VLANs is one veth per VLAN);
* one namespace ``nst-<node>`` per node cabled to it: for every VLAN its uplink carries (the plan's
  ``fabric.nodes`` view: native VLAN and tagged VLANs) a veth ``<switch port>[.<vid>]`` on the bridge
  and ``<nic>[.<vid>]`` in the node, the node's address of that VLAN on it;
* FRR daemons (zebra, bgpd, bfdd when BFD is on) per namespace, run directly (no systemd) with their
  files and vty sockets in ``/run/netstack-twin/<host>``.  The switches start empty: ``roles/fabric``
  configures them through the normal Ansible path.  The node speakers are configured here from the
  node side of the same session list (``fabric.node_frr_conf``), announcing ``twin_announce``.

Nothing is created in the root namespace: both ends of every veth are created inside namespaces.
"""
from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "build", "collections"))

from ansible_collections.netstack.baremetal.plugins.module_utils import fabric, inventory  # noqa: E402
from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core  # noqa: E402

STATE = os.environ.get("NETSTACK_TWIN_STATE", "/run/netstack-twin")
PREFIX = "nst-"
FRR = "/usr/lib/frr"
DAEMONS = ("zebra", "bgpd", "bfdd")


def run(argv, check=True, capture=False):
    result = subprocess.run(argv, check=False, stdout=subprocess.PIPE if capture else None,
                            stderr=subprocess.PIPE if capture else None, universal_newlines=True)
    if check and result.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(argv), result.returncode,
                                                   (result.stderr or "").strip()))
    return result


def load_inventory(path):
    """Plan and host variables of an inventory, through ansible-inventory (group_vars resolved)."""
    venv_bin = os.path.dirname(sys.executable)
    tool = os.path.join(venv_bin, "ansible-inventory")
    if not os.path.exists(tool):
        tool = "ansible-inventory"
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    out = subprocess.run([tool, "-i", path, "--list"], check=True, stdout=subprocess.PIPE, env=env,
                         universal_newlines=True, cwd=REPO).stdout
    data = json.loads(out)
    hostvars = data["_meta"]["hostvars"]

    def members(group, seen=()):
        entry = data.get(group, {})
        hosts = set(entry.get("hosts", []))
        for child in entry.get("children", []):
            if child not in seen:
                hosts |= members(child, seen + (group,))
        return hosts
    groups = {name: sorted(members(name)) for name in data if name != "_meta"}
    any_host = sorted(hostvars)[0]
    inventory_vars, nodes, switches = inventory.collect_inventory(groups, lambda h: hostvars[h],
                                                                  site_vars=hostvars[any_host])
    the_plan = plan_core.build_plan(inventory_vars, nodes, switches)
    return the_plan, hostvars


def topology(the_plan):
    """Namespaces, links and addresses of the twin, from the plan."""
    fab = the_plan["fabric"]
    switches = sorted(h for h, c in fab["switches"].items() if c["platform"] == "frr")
    vlans = {v["id"]: v for v in the_plan["vlans"]}
    vlan_by_name = {v["name"]: v for v in the_plan["vlans"]}
    links = []
    nodes = set()
    for node, view in sorted(fab["nodes"].items()):
        carried = ([view["native_vlan"]] if view["native_vlan"] is not None else []) + view["tagged_vlans"]
        addresses = the_plan["nodes"][node]["addresses"]
        for uplink in view["uplinks"]:
            if uplink["switch"] not in switches:
                continue
            nodes.add(node)
            for vid in carried:
                native = vid == view["native_vlan"]
                name = vlans[vid]["name"]
                address = addresses.get(name)
                links.append({
                    "switch": uplink["switch"], "node": node, "vlan": vid, "mtu": vlans[vid]["mtu"],
                    "switch_if": uplink["port"] if native else "%s.%d" % (uplink["port"], vid),
                    "node_if": uplink["nic"] if native else "%s.%d" % (uplink["nic"], vid),
                    "address": "%s/%d" % (address, vlan_by_name[name]["prefix_length"]) if address else None,
                })
    bfd = any(s["bfd"] for s in the_plan["bgp"]["sessions"])
    return {"switches": switches, "nodes": sorted(nodes), "vlans": sorted(vlans), "links": links, "bfd": bfd}


def ns(host):
    return PREFIX + host


def host_dir(host):
    return os.path.join(STATE, host)


def _start_daemons(host, bfd, only=None):
    daemons = [d for d in ["zebra", "bgpd"] + (["bfdd"] if bfd else []) if only is None or d in only]
    start_daemons(ns(host), host_dir(host), daemons)


def start_daemons(namespace, directory, daemons):
    """Start FRR ``daemons`` in ``namespace``, their config, pid files and vty sockets in ``directory`` (a missing
    config starts empty), and wait for their vty sockets."""
    for daemon in daemons:
        conf = os.path.join(directory, "%s.conf" % daemon)
        if not os.path.exists(conf):
            open(conf, "w").close()
        shutil.chown(conf, "frr", "frr")
        argv = ["ip", "netns", "exec", namespace, os.path.join(FRR, daemon), "-d", "-u", "frr", "-g", "frr",
                "-f", conf, "-i", os.path.join(directory, "%s.pid" % daemon),
                "--vty_socket", directory, "-P", "0"]
        argv += ["-z", os.path.join(directory, "zserv.api")]
        if daemon == "bgpd":
            argv += ["-p", "179"]
        if daemon == "bfdd":
            argv += ["--bfdctl", os.path.join(directory, "bfdd.sock")]
        run(argv, capture=True)
    deadline = time.time() + 10
    while time.time() < deadline:
        if all(os.path.exists(os.path.join(directory, "%s.vty" % d)) for d in daemons):
            return
        time.sleep(0.1)
    raise RuntimeError("FRR daemons in %s did not come up (%s)" % (namespace, ", ".join(daemons)))


def vtysh(host, *commands, **kwargs):
    argv = ["vtysh", "--vty_socket", host_dir(host), "--config_dir", host_dir(host)]
    for command in commands:
        argv += ["-c", command]
    return run(argv, capture=True, check=kwargs.get("check", True)).stdout


def _node_config(the_plan, hostvars, node):
    announce = (hostvars[node].get("twin_announce") or {}).get(node, [])
    refs = {p["password_ref"] for p in the_plan["bgp"]["nodes"].get(node, []) if p["password_ref"]}
    secrets = {ref: hostvars[node][ref] for ref in refs}
    return fabric.node_frr_conf(the_plan, node, announce=announce, secrets=secrets)


def _configure_node(the_plan, hostvars, node):
    path = os.path.join(host_dir(node), "frr.conf")
    with open(path, "w") as handle:
        handle.write(_node_config(the_plan, hostvars, node))
    os.chmod(path, 0o640)
    shutil.chown(path, "frr", "frr")
    # a fresh daemon: vtysh -f applies the whole file (route maps referenced before they exist are fine)
    run(["vtysh", "--vty_socket", host_dir(node), "--config_dir", host_dir(node), "-f", path], capture=True)


def up(args):
    the_plan, hostvars = load_inventory(args.inventory)
    topo = topology(the_plan)
    if not topo["switches"]:
        raise RuntimeError("the inventory has no FRR switch to build a twin around")
    os.makedirs(STATE, exist_ok=True)
    os.chmod(STATE, 0o755)
    state = {"inventory": os.path.abspath(args.inventory), "namespaces": [], "hosts": [], "topology": topo}
    _save(state)
    hosts = topo["switches"] + topo["nodes"]
    for host in hosts:
        run(["ip", "netns", "add", ns(host)])
        state["namespaces"].append(ns(host))
        _save(state)
        run(["ip", "-n", ns(host), "link", "set", "lo", "up"])
        directory = host_dir(host)
        os.makedirs(directory, exist_ok=True)
        shutil.chown(directory, "frr", "frr")
        # an empty vtysh.conf: vtysh --config_dir reads it, and frr.conf has no vtysh-only lines to compare
        open(os.path.join(directory, "vtysh.conf"), "w").close()
    for switch in topo["switches"]:
        run(["ip", "netns", "exec", ns(switch), "sysctl", "-qw", "net.ipv4.ip_forward=1"])
        for vid in topo["vlans"]:
            mtu = next(v["mtu"] for v in the_plan["vlans"] if v["id"] == vid)
            run(["ip", "-n", ns(switch), "link", "add", "vlan%d" % vid, "mtu", str(mtu), "type", "bridge"])
            run(["ip", "-n", ns(switch), "link", "set", "vlan%d" % vid, "up"])
    for link in topo["links"]:
        run(["ip", "link", "add", link["switch_if"], "netns", ns(link["switch"]), "mtu", str(link["mtu"]),
             "type", "veth", "peer", "name", link["node_if"], "netns", ns(link["node"]), "mtu", str(link["mtu"])])
        run(["ip", "-n", ns(link["switch"]), "link", "set", link["switch_if"], "master", "vlan%d" % link["vlan"]])
        run(["ip", "-n", ns(link["switch"]), "link", "set", link["switch_if"], "up"])
        if link["address"]:
            run(["ip", "-n", ns(link["node"]), "addr", "add", link["address"], "dev", link["node_if"]])
        run(["ip", "-n", ns(link["node"]), "link", "set", link["node_if"], "up"])
    for host in hosts:
        state["hosts"].append(host)
        _save(state)
        _start_daemons(host, topo["bfd"])
    for node in topo["nodes"]:
        _configure_node(the_plan, hostvars, node)
    print("twin up: switches %s, nodes %s (namespaces %s)" % (
        ", ".join(topo["switches"]), ", ".join(topo["nodes"]), ", ".join(state["namespaces"])))


def _save(state):
    with open(os.path.join(STATE, "state.json"), "w") as handle:
        json.dump(state, handle, indent=1)


def _load():
    try:
        with open(os.path.join(STATE, "state.json")) as handle:
            return json.load(handle)
    except (IOError, OSError, ValueError):
        return None


def _stop(host, daemons=DAEMONS):
    stop_daemons(host_dir(host), daemons)


def stop_daemons(directory, daemons=DAEMONS):
    """Stop the ``daemons`` that ``start_daemons`` started in ``directory``, by the pids in their pid files, and
    remove their vty sockets (a socket left behind would pass for a running daemon at the next start)."""
    stopped = []
    for daemon in daemons:
        pid_file = os.path.join(directory, "%s.pid" % daemon)
        try:
            with open(pid_file) as handle:
                pid = int(handle.read().strip())
        except (IOError, OSError, ValueError):
            continue
        try:
            os.kill(pid, signal.SIGTERM)
            stopped.append(pid)
        except OSError:
            pass
        os.unlink(pid_file)
    deadline = time.time() + 5
    for pid in stopped:
        while time.time() < deadline and _alive(pid):
            time.sleep(0.05)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    for daemon in daemons:
        vty = os.path.join(directory, "%s.vty" % daemon)
        if os.path.exists(vty):
            os.unlink(vty)


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().split()[2] != "Z"
    except (IOError, OSError):
        return False


def down(_args):
    state = _load() or {}
    hosts = state.get("hosts", [])
    if os.path.isdir(STATE):
        hosts = sorted(set(hosts) | {h for h in os.listdir(STATE) if os.path.isdir(host_dir(h))})
    for host in hosts:
        _stop(host)
    namespaces = set(state.get("namespaces", []))
    listed = run(["ip", "netns", "list"], capture=True).stdout.split("\n")
    existing = {line.split()[0] for line in listed if line.strip()}
    namespaces |= {n for n in existing if n.startswith(PREFIX)}
    for name in sorted(namespaces & existing):
        run(["ip", "netns", "del", name], check=False)
    if os.path.isdir(STATE):
        shutil.rmtree(STATE)
    print("twin down: %d namespace(s) removed" % len(namespaces & existing))


def status(_args):
    state = _load()
    if not state:
        print("twin is down")
        return 1
    for switch in state["topology"]["switches"]:
        print("== %s: BGP" % switch)
        print(vtysh(switch, "show bgp ipv4 unicast summary", check=False))
        print("== %s: kernel routes" % switch)
        print(run(["ip", "-n", ns(switch), "route"], capture=True).stdout)
    return 0


def show(args):
    data = {"bgp": json.loads(vtysh(args.host, "show bgp ipv4 unicast summary json") or "{}"),
            "routes": json.loads(vtysh(args.host, "show bgp ipv4 unicast json") or "{}"),
            "kernel": json.loads(run(["ip", "-n", ns(args.host), "-j", "route"], capture=True).stdout or "[]")}
    print(json.dumps(data, indent=1))


def node_stop(args):
    _stop(args.node, ("bgpd",))


def node_start(args):
    state = _load()
    the_plan, hostvars = load_inventory(state["inventory"])
    _start_daemons(args.node, state["topology"]["bfd"], only=("bgpd",))
    _configure_node(the_plan, hostvars, args.node)


def wait_established(args):
    state = _load()
    deadline = time.time() + args.timeout
    pending = None
    while time.time() < deadline:
        pending = []
        for switch in state["topology"]["switches"]:
            summary = json.loads(vtysh(switch, "show bgp ipv4 unicast summary json", check=False) or "{}")
            peers = summary.get("peers", {})
            if not peers:
                pending.append("%s: no peers" % switch)
            pending += ["%s: %s is %s" % (switch, a, p.get("state")) for a, p in sorted(peers.items())
                        if p.get("state") != "Established"]
        if not pending:
            print("every session Established")
            return 0
        time.sleep(0.5)
    print("not Established after %ss: %s" % (args.timeout, "; ".join(pending)))
    return 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    sub = parser.add_subparsers(dest="command")
    p_up = sub.add_parser("up")
    p_up.add_argument("-i", "--inventory", default=os.path.join(REPO, "inventories", "lab"))
    sub.add_parser("down")
    sub.add_parser("status")
    p_show = sub.add_parser("show")
    p_show.add_argument("host")
    p_stop = sub.add_parser("node-stop")
    p_stop.add_argument("node")
    p_start = sub.add_parser("node-start")
    p_start.add_argument("node")
    p_wait = sub.add_parser("wait-established")
    p_wait.add_argument("-t", "--timeout", type=float, default=30)
    args = parser.parse_args()
    if args.command == "up":
        try:
            up(args)
        except BaseException:
            # never leave half a twin behind
            down(args)
            raise
        return 0
    handlers = {"down": down, "status": status, "show": show, "node-stop": node_stop, "node-start": node_start,
                "wait-established": wait_established}
    if args.command not in handlers:
        parser.print_help()
        return 2
    return handlers[args.command](args) or 0


if __name__ == "__main__":
    sys.exit(main())
