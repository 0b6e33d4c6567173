# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Both ends of every cabled node port, read back from the rendered artefacts and compared.

The switch side is read from what each platform renderer emits, in that
platform's vocabulary (never from the platform-neutral structured config):

* EOS / NX-OS: ``*_interfaces`` (MTU), ``*_lag_interfaces`` (members, LACP
  ``active``/``passive`` or static ``on``), ``*_l2_interfaces`` (``mode``,
  ``access.vlan``, ``trunk.native_vlan``, the allowed list), the ``mlag N`` /
  ``vpc N`` CLI lines;
* Junos: ``junos_interfaces`` (media MTU, 22 bytes of L2 overhead above the IP
  MTU), ``junos_lag_interfaces``, ``junos_l2_interfaces`` (VLAN *names*,
  resolved through ``junos_vlans``, ``native_vlan`` an id);
* SONiC: the module payloads (``sonic_l2_interfaces`` ``access.vlan`` is the
  untagged VLAN, ``trunk.allowed_vlans`` the tagged ones; an MTU left out is
  the platform's 9100);
* FRR: the ifupdown2 ``interfaces`` text (``bridge-ports``, ``bridge-pvid``,
  ``bridge-vids``, ``bond-slaves``, ``bond-mode``, ``clag-id``, ``mtu``).

The node side is read from the Talos ``BondConfig``/``LinkConfig``/``VLANConfig``
documents, or the kubeadm node's systemd-networkd ``.netdev``/``.network``
files, or its netplan document.  Each reader returns the same small shape, so
one comparison serves every platform and node OS::

    switch port: {"untagged": id | None, "tagged": set, "mtu": int, "mtu_set": bool,
                  "l2": bool, "lag": name | None, "lacp": "lacp" | "static" | None,
                  "members": [ports of the LAG], "mlag": id | None}
    node link:   {"nic": {nic: parent link}, "links": {name: {"kind", "mtu", "addresses",
                  "members", "mode", "vlan_id", "parent"}}}
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import posixpath
from xml.etree import ElementTree

try:
    import yaml
except ImportError:  # PyYAML ships with ansible-core
    yaml = None

from ansible_collections.netstack.baremetal.plugins.module_utils import fabric as fabric_area
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import Problem

CONTRACT = "the node link contract, docs/architecture.md"
ALL_VLANS = frozenset(range(1, 4095))
JUNOS_L2_OVERHEAD = 22       # Junos media MTU = IP MTU + Ethernet header, 802.1Q tag and FCS
DEFAULT_MTU = {"eos": 1500, "nxos": 1500, "junos": 1500, "sonic": 9100, "frr": 1500}
LINUX_DEFAULT_MTU = 1500
LACP_MODES = ("active", "passive")


def has_node_configs(plan):
    """True when the nodes area has run (some node carries its rendered OS configuration)."""
    return any("talos" in n or "kubeadm" in n for n in plan["nodes"].values())


# --- switch side ------------------------------------------------------------------------------------------

def vlan_list(text):
    """``"10,20-22"`` / ``["10", "20-22"]`` / ``[{"vlan": "20"}]`` -> a set of VLAN ids."""
    if text is None:
        return set(ALL_VLANS)
    items = text if isinstance(text, list) else str(text).replace(" ", ",").split(",")
    ids = set()
    for item in items:
        if isinstance(item, dict):
            item = item.get("vlan")
        item = str(item).strip()
        if not item:
            continue
        if item.lower() == "all":
            return set(ALL_VLANS)
        if "-" in item:
            first, last = item.split("-", 1)
            ids.update(range(int(first), int(last) + 1))
        else:
            ids.add(int(item))
    return ids


def _port(untagged=None, tagged=(), l2=False):
    return {"untagged": untagged, "tagged": set(tagged), "l2": l2, "mtu": None, "mtu_set": False,
            "lag": None, "lacp": None, "members": [], "mlag": None}


def _cisco_l2(entry):
    """EOS / NX-OS ``l2_interfaces`` entry -> (untagged, tagged)."""
    mode = entry.get("mode") or ("trunk" if "trunk" in entry else "access")
    if mode == "access":
        return int((entry.get("access") or {}).get("vlan") or 1), set()
    trunk = entry.get("trunk") or {}
    allowed = vlan_list(trunk.get("trunk_allowed_vlans", trunk.get("allowed_vlans")))
    native = int(trunk.get("native_vlan") or 1)
    return (native if native in allowed else None), allowed - {native}


def _cli_ids(output, keyword):
    """``{interface: N}`` from ``interface X`` CLI blocks holding ``<keyword> N``."""
    ids = {}
    for item in output["cli"]["before"] + output["cli"]["after"]:
        if len(item["parents"]) != 1 or not item["parents"][0].startswith("interface "):
            continue
        for line in item["lines"]:
            words = line.split()
            if len(words) == 2 and words[0] == keyword and words[1].isdigit():   # not "vpc peer-link"
                ids[item["parents"][0].split(" ", 1)[1]] = int(words[1])
    return ids


def _assemble(interfaces, lags, l2, mlag_ids, default_mtu):
    """Per physical port: the effective L2, MTU and LAG (a LAG member switches what its LAG switches)."""
    member_of = {}
    for name, lag in lags.items():
        for member in lag["members"]:
            member_of[member] = name
    ports = {}
    names = set(interfaces) | set(member_of) | set(n for n in l2 if n not in lags)
    for name in names:
        if name in lags:
            continue
        lag = member_of.get(name)
        carrier = lag or name
        untagged, tagged = l2.get(carrier, (None, set()))
        port = _port(untagged, tagged, carrier in l2)
        mtus = [m for m in ((interfaces.get(name) or {}).get("mtu"), (interfaces.get(lag) or {}).get("mtu") if lag
                            else None) if m is not None]
        port["mtu"] = min(mtus) if mtus else default_mtu
        port["mtu_set"] = bool(mtus)
        if lag:
            port.update(lag=lag, lacp=lags[lag]["lacp"], members=list(lags[lag]["members"]),
                        mlag=mlag_ids.get(lag))
        ports[name] = port
    return ports


def _lacp(modes):
    """LACP when a member runs it (``active``/``passive``), else a static bundle (``on``)."""
    return "lacp" if set(modes) & set(LACP_MODES) else "static"


def read_cisco(output, prefix, default_mtu):
    """EOS (``prefix`` ``eos``) or NX-OS (``nxos``) resource-module arguments -> {port: view}, {vlan: SVI mtu}."""
    modules = output["modules"]
    interfaces = {}
    svis = {}
    for entry in modules.get(prefix + "_interfaces", {}).get("config", []):
        mtu = int(entry["mtu"]) if entry.get("mtu") not in (None, "") else None
        if entry["name"].lower().startswith("vlan"):
            svis[int(entry["name"][4:])] = mtu
        else:
            interfaces[entry["name"]] = {"mtu": mtu}
    lags = {}
    for entry in modules.get(prefix + "_lag_interfaces", {}).get("config", []):
        members = entry.get("members") or []
        lags[entry["name"]] = {"members": [m["member"] for m in members],
                               "lacp": _lacp(m.get("mode") for m in members)}
    l2 = dict((entry["name"], _cisco_l2(entry)) for entry in modules.get(prefix + "_l2_interfaces", {}).get("config", []))
    mlag_ids = _cli_ids(output, "mlag" if prefix == "eos" else "vpc")
    return _assemble(interfaces, lags, l2, mlag_ids, default_mtu), svis


def read_eos(output):
    return read_cisco(output, "eos", DEFAULT_MTU["eos"])


def read_nxos(output):
    return read_cisco(output, "nxos", DEFAULT_MTU["nxos"])


def read_junos(output):
    modules = output["modules"]
    vlan_ids = dict((v["name"], int(v["vlan_id"])) for v in modules.get("junos_vlans", {}).get("config", []))
    interfaces = {}
    for entry in modules.get("junos_interfaces", {}).get("config", []):
        mtu = entry.get("mtu")
        interfaces[entry["name"]] = {"mtu": int(mtu) - JUNOS_L2_OVERHEAD if mtu is not None else None}
    lags = {}
    for entry in modules.get("junos_lag_interfaces", {}).get("config", []):
        lags[entry["name"]] = {"members": [m["member"] for m in entry.get("members") or []],
                               "lacp": "lacp" if entry.get("mode") in LACP_MODES else "static"}
    l2 = {}
    for entry in modules.get("junos_l2_interfaces", {}).get("config", []):
        if entry.get("access"):
            l2[entry["name"]] = (vlan_ids.get(entry["access"].get("vlan")), set())
            continue
        trunk = entry.get("trunk") or {}
        allowed = set(vlan_ids[name] for name in trunk.get("allowed_vlans") or [] if name in vlan_ids)
        native = int(trunk["native_vlan"]) if trunk.get("native_vlan") is not None else None
        l2[entry["name"]] = ((native if native in allowed else None), allowed - {native})
    svis = {}
    for entry in modules.get("junos_l3_interfaces", {}).get("config", []):
        if entry.get("name") == "irb" and entry.get("unit") is not None:
            svis[int(entry["unit"])] = None     # no IP MTU rendered on the IRB unit
    return _assemble(interfaces, lags, l2, {}, DEFAULT_MTU["junos"]), svis


def read_sonic(output):
    modules = output["modules"]
    interfaces = {}
    for entry in modules.get("sonic_interfaces", {}).get("config", []):
        interfaces[entry["name"]] = {"mtu": int(entry["mtu"]) if entry.get("mtu") is not None else None}
    lags = {}
    for entry in modules.get("sonic_lag_interfaces", {}).get("config", []):
        members = ((entry.get("members") or {}).get("interfaces")) or []
        lags[entry["name"]] = {"members": [m["member"] for m in members],
                               "lacp": "static" if entry.get("mode") == "static" else "lacp"}
    l2 = {}
    for entry in modules.get("sonic_l2_interfaces", {}).get("config", []):
        untagged = entry.get("access", {}).get("vlan")
        tagged = vlan_list(entry["trunk"].get("allowed_vlans") or []) if entry.get("trunk") else set()
        l2[entry["name"]] = (int(untagged) if untagged is not None else None, tagged)
    svis = dict((int(e["name"][4:]), None) for e in modules.get("sonic_l3_interfaces", {}).get("config", [])
                if e["name"].startswith("Vlan"))
    return _assemble(interfaces, lags, l2, {}, DEFAULT_MTU["sonic"]), svis


def ifupdown_stanzas(text):
    """ifupdown2 ``interfaces`` text -> ``{iface: {option: value}}`` (``auto`` lines ignored)."""
    stanzas = {}
    current = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        words = line.split()
        if words[0] == "iface":
            current = stanzas.setdefault(words[1], {})
        elif words[0] in ("auto", "allow-hotplug", "source", "source-directory"):
            current = None
        elif current is not None and raw[:1] in (" ", "\t"):
            current[words[0]] = " ".join(words[1:])
    return stanzas


def read_frr(output):
    """The FRR switch's ifupdown2 ``interfaces`` file (a VLAN-aware bridge)."""
    stanzas = ifupdown_stanzas(output["files"].get("interfaces", ""))
    bridge_ports = set()
    bridge = {}
    for name, options in stanzas.items():
        if options.get("bridge-vlan-aware") == "yes":
            bridge = options
            bridge_ports.update(options.get("bridge-ports", "").split())
    interfaces = {}
    lags = {}
    l2 = {}
    svis = {}
    for name, options in stanzas.items():
        if options is bridge:
            continue
        mtu = int(options["mtu"]) if "mtu" in options else None
        if "vlan-id" in options and "vlan-raw-device" in options:
            svis[int(options["vlan-id"])] = mtu
            continue
        if "bond-slaves" in options:
            mode = options.get("bond-mode", "balance-rr")
            lags[name] = {"members": options["bond-slaves"].split(),
                          "lacp": "lacp" if mode in ("802.3ad", "4") else "static"}
        interfaces[name] = {"mtu": mtu}
        if name in bridge_ports:
            pvid = int(options.get("bridge-pvid", bridge.get("bridge-pvid", 1)))
            vids = vlan_list(options.get("bridge-vids", bridge.get("bridge-vids", "")))
            l2[name] = (pvid, vids - {pvid})
    mlag_ids = dict((name, int(o["clag-id"])) for name, o in stanzas.items() if "clag-id" in o)
    return _assemble(interfaces, lags, l2, mlag_ids, DEFAULT_MTU["frr"]), svis


# --- the vendors' own rendered configuration (the modules' ``state: rendered`` output) ----------------------

CISCO_LAG = {"eos": "Port-Channel%d", "nxos": "port-channel%d"}
# "mlag configuration", "vpc domain N" and "no spanning-tree vlan-id N" end an interface block too (the modules'
# rendered text writes an interface's own lines unindented, "no shutdown" among them: only these exact words)
_TOP_LEVEL = ("vlan ", "router ", "ip prefix-list ", "ip virtual-router ", "route-map ", "feature ", "hostname ",
              "mlag configuration", "vpc domain ", "no spanning-tree vlan")


def read_cisco_cli(platform, text):
    """EOS / NX-OS configuration text (what ``state: rendered`` prints, and the switch's running config) ->
    the same ``(ports, svis)`` as the module-argument readers."""
    interfaces = {}
    lags = {}
    modes = {}
    switchport = {}
    mlag_ids = {}
    svis = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "!#":
            continue
        if line.startswith("interface "):
            current = line.split(None, 1)[1]
            continue
        if raw[:1] not in (" ", "\t") and line.startswith(_TOP_LEVEL):
            current = None
        if current is None:
            continue
        words = line.split()
        if words[0] == "mtu":
            if current.lower().startswith("vlan"):
                svis[int(current[4:])] = int(words[1])
            else:
                interfaces.setdefault(current, {})["mtu"] = int(words[1])
        elif words[:1] == ["channel-group"] and len(words) >= 4:
            lag = CISCO_LAG[platform] % int(words[1])
            lags.setdefault(lag, {"members": [], "lacp": None})["members"].append(current)
            modes.setdefault(lag, []).append(words[3])
        elif words[0] == "switchport" and len(words) >= 3:
            entry = switchport.setdefault(current, {"name": current})
            if words[1] == "mode":
                entry["mode"] = words[2]
            elif words[1:3] == ["access", "vlan"]:
                entry.setdefault("access", {})["vlan"] = int(words[3])
            elif words[1:4] == ["trunk", "native", "vlan"]:
                entry.setdefault("trunk", {})["native_vlan"] = int(words[4])
            elif words[1:4] == ["trunk", "allowed", "vlan"]:
                entry.setdefault("trunk", {})["allowed_vlans"] = words[-1]
        elif words[0] in ("mlag", "vpc") and len(words) == 2 and words[1].isdigit():
            mlag_ids[current] = int(words[1])
        if current.lower().startswith("vlan") and current not in svis:
            svis.setdefault(int(current[4:]), None)
    for lag, lag_modes in modes.items():
        lags[lag]["lacp"] = _lacp(lag_modes)
    l2 = dict((name, _cisco_l2(entry)) for name, entry in switchport.items())
    return _assemble(interfaces, lags, l2, mlag_ids, DEFAULT_MTU[platform]), svis


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _child(element, *names):
    for name in names:
        element = next((c for c in element if _local(c.tag) == name), None) if element is not None else None
    return element


def read_junos_xml(text):
    """Junos NETCONF XML (what the junos modules' ``state: rendered`` prints, one element per line) ->
    the same ``(ports, svis)`` as ``read_junos``."""
    vlan_ids = {}
    interfaces = {}
    lags = {}
    l2 = {}
    svis = {}
    raw_l2 = {}
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("<"):
            continue
        root = ElementTree.fromstring(line)
        for element in root:
            kind = _local(element.tag)
            name_element = _child(element, "name")
            name = name_element.text if name_element is not None else None
            if kind == "vlan":
                vlan_ids[name] = int(_child(element, "vlan-id").text)
                continue
            if kind != "interface":
                continue
            if name == "irb":
                for unit in (c for c in element if _local(c.tag) == "unit"):
                    svis[int(_child(unit, "name").text)] = None
                continue
            mtu = _child(element, "mtu")
            if mtu is not None:
                interfaces.setdefault(name, {})["mtu"] = int(mtu.text) - JUNOS_L2_OVERHEAD
            lacp = _child(element, "aggregated-ether-options", "lacp")
            if lacp is not None:
                mode = "lacp" if any(_local(c.tag) in LACP_MODES for c in lacp) else "static"
                lags.setdefault(name, {"members": [], "lacp": mode})["lacp"] = mode
            bundle = _child(element, "ether-options", "ieee-802.3ad", "bundle")
            if bundle is not None:
                lags.setdefault(bundle.text, {"members": [], "lacp": "static"})["members"].append(name)
            switching = _child(element, "unit", "family", "ethernet-switching")
            if switching is not None:
                mode = _child(switching, "interface-mode")
                vlan = _child(switching, "vlan")
                members = [c.text for c in (list(vlan) if vlan is not None else []) if _local(c.tag) == "members"]
                native = _child(element, "native-vlan-id")
                raw_l2[name] = (mode.text if mode is not None else "access", members,
                                int(native.text) if native is not None else None)
    for name, (mode, members, native) in raw_l2.items():
        ids = set(vlan_ids[m] for m in members if m in vlan_ids)
        if mode == "access":
            l2[name] = (next(iter(ids)) if len(ids) == 1 else None, set())
        else:
            l2[name] = ((native if native in ids else None), ids - {native})
    return _assemble(interfaces, lags, l2, {}, DEFAULT_MTU["junos"]), svis


def read_rendered_text(platform, text):
    """``fabric/<switch>.cfg`` of a render-mode run (the vendor modules' ``state: rendered`` output)."""
    if platform in CISCO_LAG:
        return read_cisco_cli(platform, text)
    if platform == "junos":
        return read_junos_xml(text)
    raise ValueError("no rendered-text reader for platform '%s'" % platform)


READERS = {"eos": read_eos, "nxos": read_nxos, "junos": read_junos, "sonic": read_sonic, "frr": read_frr}


def read_switch(platform, output):
    """``(ports, svis)`` of one switch from its renderer output (see the module docstring)."""
    return READERS[platform](output)


# --- node side --------------------------------------------------------------------------------------------

def _link(kind, mtu=None, addresses=(), members=(), mode=None, vlan_id=None, parent=None):
    return {"kind": kind, "mtu": mtu, "addresses": list(addresses), "members": list(members), "mode": mode,
            "vlan_id": vlan_id, "parent": parent}


def read_talos(documents):
    """Talos typed network documents -> ``{link name: link}``."""
    links = {}
    for doc in documents:
        kind = doc.get("kind")
        addresses = [a["address"] for a in doc.get("addresses") or []]
        if kind == "BondConfig":
            links[doc["name"]] = _link("bond", doc.get("mtu"), addresses, doc.get("links") or [], doc.get("bondMode"))
        elif kind == "LinkConfig":
            links[doc["name"]] = _link("link", doc.get("mtu"), addresses)
        elif kind == "VLANConfig":
            links[doc["name"]] = _link("vlan", doc.get("mtu"), addresses, vlan_id=doc.get("vlanID"),
                                       parent=doc.get("parent"))
    return links


def ini_sections(text):
    """systemd unit-file text -> ``[(section, [(key, value)])]``."""
    sections = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            sections.append((line[1:-1], []))
        elif "=" in line and sections:
            key, value = line.split("=", 1)
            sections[-1][1].append((key.strip(), value.strip()))
    return sections


def _values(sections, section, key):
    return [v for name, items in sections if name == section for k, v in items if k == key]


def read_networkd(files):
    """systemd-networkd ``.netdev`` / ``.network`` files -> ``{link name: link}``.

    A ``.network`` applies to the first name it matches in file-name order (networkd's rule); a VLAN netdev
    only exists on a parent whose ``.network`` lists it in ``VLAN=``.
    """
    netdevs = {}
    networks = {}
    for item in sorted(files, key=lambda f: posixpath.basename(f["path"])):
        sections = ini_sections(item["content"])
        if item["path"].endswith(".netdev"):
            name = (_values(sections, "NetDev", "Name") or [None])[0]
            if name:
                netdevs.setdefault(name, sections)
        elif item["path"].endswith(".network"):
            for name in " ".join(_values(sections, "Match", "Name")).split():
                networks.setdefault(name, sections)
    links = {}
    names = set(netdevs) | set(networks)
    for name in names:
        netdev = netdevs.get(name, [])
        network = networks.get(name, [])
        kind = (_values(netdev, "NetDev", "Kind") or ["link"])[0]
        mtu = (_values(network, "Link", "MTUBytes") or _values(netdev, "NetDev", "MTUBytes") or [None])[0]
        links[name] = _link("bond" if kind == "bond" else ("vlan" if kind == "vlan" else "link"),
                            int(mtu) if mtu else None, _values(network, "Network", "Address"),
                            mode=(_values(netdev, "Bond", "Mode") or [None])[0],
                            vlan_id=int(_values(netdev, "VLAN", "Id")[0]) if _values(netdev, "VLAN", "Id") else None)
    for name, network in networks.items():
        for bond in _values(network, "Network", "Bond"):
            if bond in links:
                links[bond]["members"].append(name)
        for vlan in _values(network, "Network", "VLAN"):
            if vlan in links and links[vlan]["kind"] == "vlan":
                links[vlan]["parent"] = name
    return links


def read_netplan(text):
    """A netplan (version 2) document -> ``{link name: link}``."""
    if yaml is None:
        raise ValueError("reading a netplan document needs PyYAML")
    network = (yaml.safe_load(text) or {}).get("network") or {}
    links = {}
    for name, item in (network.get("ethernets") or {}).items():
        links[name] = _link("link", item.get("mtu"), item.get("addresses") or [])
    for name, item in (network.get("bonds") or {}).items():
        links[name] = _link("bond", item.get("mtu"), item.get("addresses") or [], item.get("interfaces") or [],
                            (item.get("parameters") or {}).get("mode"))
    for name, item in (network.get("vlans") or {}).items():
        links[name] = _link("vlan", item.get("mtu"), item.get("addresses") or [], vlan_id=item.get("id"),
                            parent=item.get("link"))
    return links


def read_node(node):
    """``(os name, {link name: link})`` of a planned node as its OS will configure it, or ``(None, None)``."""
    if "talos" in node:
        return "Talos", read_talos(node["talos"]["network"])
    if "kubeadm" in node:
        kubeadm = node["kubeadm"]
        files = kubeadm["files"]["network"]
        if kubeadm.get("network_renderer") == "netplan":
            links = {}
            for item in files:
                links.update(read_netplan(item["content"]))
            return "netplan", links
        return "networkd", read_networkd(files)
    return None, None


# --- comparison -------------------------------------------------------------------------------------------

class _Vlans:
    """The plan's VLANs by id and by address."""

    def __init__(self, plan):
        self.by_id = {}
        self.index = {}
        self.nets = []
        for position, vlan in enumerate(plan["vlans"]):
            self.by_id[vlan["id"]] = vlan
            self.index[vlan["id"]] = position
            self.nets.append((ipaddress.ip_network(vlan["cidr"]), vlan["id"]))
        # every address the plan hands out, by VLAN: the fast path of of_address
        self._cache = dict((address, vlan["id"]) for vlan in plan["vlans"]
                           for owners in (vlan["nodes"], vlan["switches"]) for address in owners.values())

    def of_address(self, address):
        """The VLAN id whose CIDR holds ``address`` (``a.b.c.d/len``), or None."""
        bare = address.split("/", 1)[0]
        if bare in self._cache:
            return self._cache[bare]
        ip = ipaddress.ip_address(bare)
        found = next((vid for net, vid in self.nets if ip in net), None)
        self._cache[bare] = found
        return found

    def label(self, vid):
        vlan = self.by_id.get(vid)
        return "VLAN %d (%s)" % (vid, vlan["name"]) if vlan else "VLAN %d" % vid


def _node_side(links, nic, vlans):
    """What node link ``nic`` sends: ``{"link", "bond", "mtu", "untagged": {vid}, "tagged": {vid: link}}``."""
    if nic not in links and not any(nic in l["members"] for l in links.values()):
        return None
    bond = next((name for name, l in links.items() if l["kind"] == "bond" and nic in l["members"]), None)
    parent = bond or nic
    link = links.get(parent) or _link("link")
    untagged = set(vlans.of_address(a) for a in link["addresses"]) - {None}
    tagged = {}
    for name, sub in links.items():
        if sub["kind"] == "vlan" and sub["parent"] == parent and sub["vlan_id"] is not None:
            tagged[sub["vlan_id"]] = dict(sub, name=name)
    return {"link": parent, "bond": links.get(bond) if bond else None, "mtu": link["mtu"] or LINUX_DEFAULT_MTU,
            "untagged": untagged, "tagged": tagged, "addresses": list(link["addresses"])}


def check_links(plan):
    """Problems where a node link's two rendered ends disagree (see the module docstring)."""
    vlans = _Vlans(plan)
    switches = {}
    for host in plan["fabric"]["switches"]:
        platform = plan["fabric"]["switches"][host]["platform"]
        if platform in READERS:
            output = fabric_area.switch_output(plan, host, omit_passwords=True)
            switches[host] = (platform,) + read_switch(platform, output)
    problems = []
    node_vlan_mtu = {}   # untagged VLAN id -> {link mtu: [nodes]}
    for host, node in plan["nodes"].items():
        os_name, links = read_node(node)
        if links is None or not node["uplinks"]:
            continue
        _check_node(plan, host, node, os_name, links, switches, vlans, problems, node_vlan_mtu)
    problems.extend(_check_node_vlan_mtu(plan, switches, vlans, node_vlan_mtu))
    return problems


def _uplink_path(host, position):
    return "hosts.%s.netstack_node.uplinks[%d]" % (host, position)


def _contract_hint(platform, os_name):
    return ("%s: the fabric renderer (%s) and the node renderer (%s) disagree, please report it"
            % (CONTRACT, platform, os_name))


def _check_node(plan, host, node, os_name, links, switches, vlans, problems, node_vlan_mtu):
    nics = [u["nic"] for u in node["uplinks"]]
    bonds = [l for l in links.values() if l["kind"] == "bond" and set(l["members"]) & set(nics)]
    if len(nics) > 1 and bonds and sorted(bonds[0]["members"]) != sorted(nics):
        problems.append(Problem(
            "hosts.%s.netstack_node.uplinks" % host,
            "netstack_node %s: the %s bond has members %s, the node is cabled with %s"
            % (host, os_name, ", ".join(bonds[0]["members"]), ", ".join(nics)),
            "the bond members are the node's uplink NICs (%s): the %s renderer broke it, please report it"
            % (CONTRACT, os_name)))
    lag_ends = []
    for position, uplink in enumerate(node["uplinks"]):
        nic, switch, port_name = uplink["nic"], uplink["switch"], uplink["port"]
        ends = "netstack_node %s uplink %s / %s %s" % (host, nic, switch, port_name)
        path = _uplink_path(host, position)
        if switch not in switches:
            continue
        platform, ports, svis = switches[switch]
        hint = _contract_hint(platform, os_name)
        side = _node_side(links, nic, vlans)
        port = ports.get(port_name)
        if side is None:
            problems.append(Problem(path, "%s: the %s configuration has no link for %s" % (ends, os_name, nic), hint))
            continue
        if port is None:
            problems.append(Problem(path, "%s: the %s configuration of %s has nothing for port %s"
                                    % (ends, platform, switch, port_name), hint))
            continue
        if len(side["untagged"]) == 1:
            vid = next(iter(side["untagged"]))
            node_vlan_mtu.setdefault(vid, {}).setdefault(side["mtu"], set()).add(host)
        _compare_vlans(ends, path, hint, side, port, vlans, problems)
        _compare_mtu(ends, path, hint, side, port, platform, problems)
        _compare_tagged_mtu(ends, path, hint, side, svis, vlans, problems)
        _compare_bond(ends, path, hint, side, port, node, uplink, problems)
        if port["lag"]:
            lag_ends.append((switch, port["lag"], port["mlag"]))
    if len(set(s for s, _l, _m in lag_ends)) > 1 and any(m is not None for _s, _l, m in lag_ends):
        if len(set(m for _s, _l, m in lag_ends)) > 1:
            problems.append(Problem(
                "hosts.%s.netstack_node.uplinks" % host,
                "netstack_node %s bond: the MLAG ids of its LAGs disagree (%s)"
                % (host, ", ".join("%s %s: %s" % (s, l, "none" if m is None else m) for s, l, m in sorted(lag_ends))),
                "both switches of an MLAG pair must give the node's LAG the same MLAG id (%s)" % CONTRACT))


def _compare_vlans(ends, path, hint, side, port, vlans, problems):
    if not port["l2"]:
        carried = sorted(side["untagged"]) + sorted(side["tagged"])
        problems.append(Problem(path, "%s: node sends %s, the switch port carries no VLAN"
                                % (ends, ", ".join(vlans.label(v) for v in carried) or "nothing"), hint))
        return
    for vid in sorted(side["untagged"]):
        if port["untagged"] == vid:
            continue
        if vid in port["tagged"]:
            message = "node sends %s untagged, switch sends it tagged" % vlans.label(vid)
        else:
            message = "node has an address on %s (untagged), the switch port does not carry it" % vlans.label(vid)
        if port["untagged"] is not None:
            message += " (switch sends %s untagged)" % vlans.label(port["untagged"])
        problems.append(Problem(path, "%s: %s" % (ends, message), hint))
    for vid in sorted(side["tagged"]):
        if port["untagged"] == vid:
            message = "node sends %s tagged, switch sends it untagged" % vlans.label(vid)
        elif vid not in port["tagged"]:
            message = "node has %s tagged (%s), the switch port does not carry it" % (
                vlans.label(vid), side["tagged"][vid]["name"])
        else:
            continue
        problems.append(Problem(path, "%s: %s" % (ends, message), hint))
    for vid, sub in sorted(side["tagged"].items()):
        for address in sub["addresses"]:
            found = vlans.of_address(address)
            if found is not None and found != vid:
                problems.append(Problem(path, "%s: node puts %s (an address of %s) on %s, which is %s"
                                        % (ends, address, vlans.label(found), sub["name"], vlans.label(vid)), hint))
    if len(side["untagged"]) > 1:
        problems.append(Problem(path, "%s: node has addresses of %s untagged on %s, a port has one untagged VLAN"
                                % (ends, ", ".join(vlans.label(v) for v in sorted(side["untagged"])), side["link"]),
                                hint))


def _compare_mtu(ends, path, hint, side, port, platform, problems):
    mtu = side["mtu"]
    if port["mtu_set"] and port["mtu"] != mtu or not port["mtu_set"] and port["mtu"] < mtu:
        problems.append(Problem(path, "%s: MTU %d on the node link %s, %d on the switch port%s"
                                % (ends, mtu, side["link"], port["mtu"],
                                   "" if port["mtu_set"] else " (%s default)" % platform), hint))
    for vid, sub in sorted(side["tagged"].items()):
        if sub["mtu"] is not None and sub["mtu"] > mtu:
            problems.append(Problem(path, "%s: node VLAN link %s has MTU %d, above its parent %s's %d"
                                    % (ends, sub["name"], sub["mtu"], side["link"], mtu), hint))


def _compare_tagged_mtu(ends, path, hint, side, svis, vlans, problems):
    """A tagged VLAN's MTU on the node against the switch's SVI of that VLAN, where the switch renders one."""
    for vid, sub in sorted(side["tagged"].items()):
        svi = svis.get(vid)
        if svi is not None and sub["mtu"] is not None and sub["mtu"] != svi:
            problems.append(Problem(path, "%s: %s has MTU %d on the node (%s), %d on the switch's SVI"
                                    % (ends, vlans.label(vid), sub["mtu"], sub["name"], svi), hint))


def _compare_bond(ends, path, hint, side, port, node, uplink, problems):
    bond = side["bond"]
    mode = bond["mode"] if bond else None
    if mode == "802.3ad":
        if port["lag"] is None:
            problems.append(Problem(path, "%s: node bonds %s with LACP (802.3ad), the switch port is a plain port"
                                    % (ends, ", ".join(bond["members"])), hint))
        elif port["lacp"] != "lacp":
            problems.append(Problem(path, "%s: node bonds %s with LACP (802.3ad), switch %s is a static LAG"
                                    % (ends, ", ".join(bond["members"]), port["lag"]), hint))
    elif port["lag"] is not None and (port["lacp"] == "lacp" or mode in (None, "active-backup")):
        what = "bond mode %s" % mode if mode else "no bond"
        problems.append(Problem(path, "%s: switch bundles the port in %s (%s), the node has %s"
                                % (ends, port["lag"], "LACP" if port["lacp"] == "lacp" else "static", what), hint))
    if port["lag"] is not None and bond:
        cabled = sorted(u["port"] for u in node["uplinks"] if u["switch"] == uplink["switch"] and u["nic"] in bond["members"])
        if sorted(port["members"]) != cabled:
            problems.append(Problem(path, "%s: switch LAG %s has members %s, the node's bond is cabled to %s on this "
                                    "switch" % (ends, port["lag"], ", ".join(port["members"]) or "none",
                                                ", ".join(cabled)), hint))


def _check_node_vlan_mtu(plan, switches, vlans, node_vlan_mtu):
    """The untagged VLAN shares its parent link's MTU on the node: it must equal the switches' SVI MTU."""
    problems = []
    for vid, by_mtu in sorted(node_vlan_mtu.items()):
        vlan = vlans.by_id.get(vid)
        if vlan is None:
            continue
        svi = {}
        for host, (_platform, _ports, svis) in switches.items():
            if vid in svis:
                svi[host] = svis[vid] if svis[vid] is not None else vlan["mtu"]
        wanted = sorted(set(svi.values())) or [vlan["mtu"]]
        for mtu, hosts in sorted(by_mtu.items()):
            if mtu in wanted and len(wanted) == 1:
                continue
            sample = sorted(hosts)
            where = ", ".join("%s %d" % (h, m) for h, m in sorted(svi.items())[:4]) or "the VLAN's %d" % vlan["mtu"]
            problems.append(Problem(
                "netstack_fabric.vlans[%d].mtu" % vlans.index[vid],
                "%s is untagged on the node links, so on %d node(s) (%s) its IP MTU is the link's %d, while the "
                "switches' SVIs have %s" % (vlans.label(vid), len(hosts), ", ".join(sample[:5])
                                            + (", ..." if len(sample) > 5 else ""), mtu, where),
                "set netstack_fabric.vlans[%d].mtu to %d: the node VLAN shares its parent link's MTU, which is the "
                "largest MTU of the VLANs the link carries" % (vlans.index[vid], mtu)))
    return problems
