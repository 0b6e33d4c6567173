# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Labels one part sets against the labels another part selects on.

The node side: every node's labels as the cluster will show them, read from
the rendered node configuration:

* what the kubelet sets itself: ``kubernetes.io/hostname`` (the node name:
  Talos' ``HostnameConfig``, kubeadm's ``nodeRegistration.name``),
  ``kubernetes.io/os=linux``, ``kubernetes.io/arch`` (any value);
* what the node OS sets on control planes: ``node-role.kubernetes.io/control-plane=""``
  and ``node.kubernetes.io/exclude-from-external-load-balancers=""`` (Talos and kubeadm both);
* Talos ``machine.nodeLabels`` of the rendered patch (``$patch: delete`` removes a label);
* kubeadm: ``node-labels`` in ``kubeletExtraArgs`` and the ``kubectl label --overwrite``
  arguments of the kubeadm_bootstrap role (``label_args``: ``key=value`` sets, ``key-`` removes).

The selecting side: every node selector in the rendered cluster network:

* Kube-OVN's ``MASTER_NODES_LABEL`` as the chart turns it into the nodeSelector
  of ``ovn-central`` and ``kube-ovn-monitor`` (``key`` -> ``key: ""``,
  ``key=value`` -> ``key: value``): it must select exactly the control planes
  listed in ``MASTER_NODES``;
* any ``nodeSelector`` / required node affinity in the Helm values (an
  inventory ``values`` override) or in the pod templates of our manifests:
  it must select some node;
* the MetalLB ``BGPPeer`` / Cilium ``CiliumBGPClusterConfig`` node selectors:
  together, the peers aimed at one switch address must select exactly the
  nodes that have a BGP session with that switch, and MetalLB must be allowed
  to announce from each of them.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netstack.baremetal.plugins.module_utils import bgp as bgp_mod
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import Problem

HOSTNAME_LABEL = "kubernetes.io/hostname"
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
EXCLUDE_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"
ANY = "<any value>"        # a label the kubelet sets to a value the plan cannot know (the CPU architecture)
OVN_CENTRAL = "ovn-central and kube-ovn-monitor"
COMPONENTS_PATH = "netstack_cluster.components"
SPEAKERS_PATH = "netstack_cluster.bgp_speakers"
POD_KINDS = ("DaemonSet", "Deployment", "StatefulSet", "Job", "ReplicaSet")


# --- node side ---------------------------------------------------------------------------------------------

def _kubelet_labels(name, control_plane):
    labels = {HOSTNAME_LABEL: name.lower(), "kubernetes.io/os": "linux", "beta.kubernetes.io/os": "linux",
              "kubernetes.io/arch": ANY, "beta.kubernetes.io/arch": ANY}
    if control_plane:
        labels[CONTROL_PLANE_LABEL] = ""
        labels[EXCLUDE_LB_LABEL] = ""
    return labels


def _talos(host, talos):
    name = next((d.get("hostname") for d in talos["network"] if d.get("kind") == "HostnameConfig"), None) or host
    machine = next((d.get("machine") for d in talos["patch"] if "machine" in d and "kind" not in d), None) or {}
    labels = _kubelet_labels(name, machine.get("type") == "controlplane")
    sources = {}
    for key, value in (machine.get("nodeLabels") or {}).items():
        if isinstance(value, dict) and value.get("$patch") == "delete":
            labels.pop(key, None)
        else:
            labels[key] = str(value)
            sources[key] = "Talos machine.nodeLabels"
    return name, labels, sources


def _kubeadm(host, kubeadm):
    first = kubeadm["config_documents"][0]
    registration = first.get("nodeRegistration") or {}
    name = registration.get("name") or host
    control_plane = first.get("kind") == "InitConfiguration" or "controlPlane" in first
    labels = _kubelet_labels(name, control_plane)
    sources = {}
    for arg in registration.get("kubeletExtraArgs") or []:
        if arg.get("name") == "node-labels":
            for pair in str(arg.get("value", "")).split(","):
                if "=" in pair:
                    key, value = pair.split("=", 1)
                    labels[key] = value
                    sources[key] = "kubelet --node-labels"
    for arg in kubeadm.get("label_args") or []:
        if arg.endswith("-") and "=" not in arg:
            labels.pop(arg[:-1], None)
        elif "=" in arg:
            key, value = arg.split("=", 1)
            labels[key] = value
            sources[key] = "kubeadm_bootstrap kubectl label"
    return name, labels, sources


def node_labels(plan):
    """``{host: {"name", "labels", "sources"}}``: every node's labels as the cluster will show them."""
    nodes = {}
    for host, node in plan["nodes"].items():
        if "talos" in node:
            name, labels, sources = _talos(host, node["talos"])
        elif "kubeadm" in node:
            name, labels, sources = _kubeadm(host, node["kubeadm"])
        else:
            continue
        nodes[host] = {"name": name, "labels": labels, "sources": sources}
    return nodes


class _Index:
    """Nodes by label, so that a selector is a few set operations, not a scan of every node."""

    def __init__(self, nodes):
        self.nodes = nodes
        self.all = frozenset(nodes)
        self.by_key = {}
        for host, entry in nodes.items():
            for key, value in entry["labels"].items():
                self.by_key.setdefault(key, {}).setdefault(value, set()).add(host)

    def having(self, key):
        found = set()
        for hosts in self.by_key.get(key, {}).values():
            found |= hosts
        return found

    def equal(self, key, value):
        values = self.by_key.get(key)
        if not values:
            return set()
        found = set(values.get(str(value), ()))
        if ANY in values:
            found |= values[ANY]
        return found

    def expression(self, expr):
        key, operator = expr.get("key"), expr.get("operator")
        values = [str(v) for v in expr.get("values") or []]
        if operator == "In":
            found = set()
            for value in values:
                found |= self.equal(key, value)
            return found
        if operator == "NotIn":
            excluded = set()
            for value in values:
                excluded |= set(self.by_key.get(key, {}).get(value, ()))
            return set(self.all) - excluded
        if operator == "Exists":
            return self.having(key)
        if operator == "DoesNotExist":
            return set(self.all) - self.having(key)
        if operator in ("Gt", "Lt"):
            found = set()
            for value, hosts in self.by_key.get(key, {}).items():
                try:
                    if (int(value) > int(values[0])) if operator == "Gt" else (int(value) < int(values[0])):
                        found |= hosts
                except (ValueError, IndexError):
                    continue
            return found
        return set()

    def label_selector(self, selector):
        """A LabelSelector (``matchLabels`` / ``matchExpressions``); empty selects every node."""
        found = None
        for key, value in (selector.get("matchLabels") or {}).items():
            found = self.equal(key, value) if found is None else found & self.equal(key, value)
        for expr in selector.get("matchExpressions") or []:
            found = self.expression(expr) if found is None else found & self.expression(expr)
        return set(self.all) if found is None else found

    def node_selector(self, mapping):
        """A pod's ``nodeSelector`` map."""
        return self.label_selector({"matchLabels": mapping})

    def node_affinity(self, affinity):
        """``requiredDuringSchedulingIgnoredDuringExecution`` of a node affinity: ORed terms."""
        required = (affinity or {}).get("requiredDuringSchedulingIgnoredDuringExecution") or {}
        terms = required.get("nodeSelectorTerms")
        if not terms:
            return set(self.all)
        found = set()
        for term in terms:
            selected = set(self.all)
            for expr in term.get("matchExpressions") or []:
                selected &= self.expression(expr)
            for field in term.get("matchFields") or []:
                if field.get("key") == "metadata.name":
                    names = dict((e["name"], h) for h, e in self.nodes.items())
                    wanted = set(names[n] for n in field.get("values") or [] if n in names)
                    selected &= wanted if field.get("operator") == "In" else set(self.all) - wanted
            found |= selected
        return found


def _show(selector):
    return ", ".join("%s=%s" % (k, '""' if v == "" else v) for k, v in sorted(selector.items())) or "everything"


def _label_text(entry, key):
    labels = entry["labels"]
    if key not in labels:
        return "%s has no label %s" % (entry["name"], key)
    source = entry["sources"].get(key, "the node OS")
    return "%s has %s=%s (%s)" % (entry["name"], key, '""' if labels[key] == "" else labels[key], source)


# --- selecting side ------------------------------------------------------------------------------------------

def master_nodes_selector(label):
    """The nodeSelector the Kube-OVN chart makes of ``MASTER_NODES_LABEL``: ``key`` -> ``{key: ""}``."""
    key, _sep, value = str(label).partition("=")
    return {key.strip(): value.strip()}


def check_labels(plan):
    """Problems where a rendered selector and the rendered node labels disagree (see the module docstring)."""
    nodes = node_labels(plan)
    if not nodes:
        return []
    index = _Index(nodes)
    area = plan["cluster_network"]
    problems = []
    for release in area["releases"]:
        component = release["name"].replace("-", "_")
        if release["kind"] == "helm":
            if release["name"] == "kube-ovn":
                problems.extend(_check_kube_ovn(plan, release, index))
            _walk_values(release["values"], "%s.%s.values" % (COMPONENTS_PATH, component), release["name"], index,
                         problems)
        elif release["kind"] == "manifests":
            for obj in release["objects"]:
                if obj.get("kind") in POD_KINDS:
                    pod = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
                    _check_pod(pod, "%s.%s" % (COMPONENTS_PATH, component),
                               "%s %s" % (obj["kind"], obj["metadata"]["name"]), index, problems)
    # no load balancer of ours (features.load_balancer off, noop's default): no peer objects to compare
    if plan["load_balancer"]["mode"] == "bgp" and plan["bgp"]["enabled"] \
            and area["load_balancer"].get("installed", True):
        problems.extend(_check_bgp_peers(plan, area, index))
    return problems


def _check_kube_ovn(plan, release, index):
    values = release["values"]
    label = values.get("MASTER_NODES_LABEL")
    if not label:
        return []
    selector = dict(master_nodes_selector(label), **{"kubernetes.io/os": "linux"})
    selected = index.node_selector(selector)
    node_vlan = next((v["name"] for v in plan["vlans"] if v["role"] == "node"), None)
    ips = set(str(values.get("MASTER_NODES") or "").split(","))
    wanted = set(h for h, n in plan["nodes"].items() if n["addresses"].get(node_vlan) in ips and h in index.nodes)
    if selected == wanted:
        return []
    key = next(iter(master_nodes_selector(label)))
    details = [_label_text(index.nodes[h], key) for h in sorted(wanted - selected)[:3]]
    details += ["%s is selected but not in MASTER_NODES" % index.nodes[h]["name"] for h in sorted(selected - wanted)[:3]]
    what = "no node" if not selected else "%s" % ", ".join(index.nodes[h]["name"] for h in sorted(selected)[:5])
    return [Problem(
        "%s.kube_ovn.values.MASTER_NODES_LABEL" % COMPONENTS_PATH,
        "Kube-OVN %s run where MASTER_NODES_LABEL '%s' selects (nodeSelector %s): it selects %s, MASTER_NODES "
        "lists %s; %s" % (OVN_CENTRAL, label, _show(selector), what,
                          ", ".join(index.nodes[h]["name"] for h in sorted(wanted)) or "none", "; ".join(details)),
        "control planes carry %s=\"\" (Talos and kubeadm): leave MASTER_NODES_LABEL to the plan, or give every "
        "control plane the label value it names" % CONTROL_PLANE_LABEL)]


def _walk_values(value, path, release, index, problems):
    if isinstance(value, dict):
        for key, item in value.items():
            child = "%s.%s" % (path, key)
            if key == "nodeSelector" and isinstance(item, dict) and all(not isinstance(v, (dict, list))
                                                                        for v in item.values()):
                if item and not index.node_selector(item):
                    problems.append(Problem(child, "release %s: nodeSelector %s selects no node (%d nodes, none "
                                            "carries all these labels)" % (release, _show(item), len(index.all)),
                                            "label the nodes (netstack_node.labels) or fix the selector"))
            elif key == "nodeAffinity" and isinstance(item, dict):
                if not index.node_affinity(item):
                    problems.append(Problem(child, "release %s: the required node affinity selects no node" % release,
                                            "label the nodes (netstack_node.labels) or fix the affinity"))
            else:
                _walk_values(item, child, release, index, problems)
    elif isinstance(value, list):
        for position, item in enumerate(value):
            _walk_values(item, "%s[%d]" % (path, position), release, index, problems)


def _check_pod(pod, path, what, index, problems):
    selected = set(index.all)
    if pod.get("nodeSelector"):
        selected &= index.node_selector(pod["nodeSelector"])
    if (pod.get("affinity") or {}).get("nodeAffinity"):
        selected &= index.node_affinity(pod["affinity"]["nodeAffinity"])
    if not selected:
        problems.append(Problem(path, "%s: its node selector / affinity selects no node" % what,
                                "label the nodes (netstack_node.labels) or fix the selector"))


def _peer_objects(area):
    """``[(kind, name, selected-by callable input, peer address, local ASN, source address)]`` of the LB objects."""
    peers = []
    for release in area["releases"]:
        if release["kind"] != "manifests":
            continue
        for obj in release["objects"]:
            spec = obj.get("spec") or {}
            if obj.get("kind") == "BGPPeer":
                peers.append(("BGPPeer", obj["metadata"]["name"], ("any", spec.get("nodeSelectors") or []),
                              spec.get("peerAddress"), spec.get("myASN"), spec.get("sourceAddress")))
            elif obj.get("kind") == "CiliumBGPClusterConfig":
                for instance in spec.get("bgpInstances") or []:
                    for peer in instance.get("peers") or []:
                        peers.append(("CiliumBGPClusterConfig", obj["metadata"]["name"],
                                      ("one", spec.get("nodeSelector") or {}), peer.get("peerAddress"),
                                      instance.get("localASN"), None))
    return peers


def _selected(index, selection):
    how, selectors = selection
    if how == "one":
        return index.label_selector(selectors)
    if not selectors:
        return set(index.all)
    found = set()
    for selector in selectors:
        found |= index.label_selector(selector)
    return found


def _selector_text(selection):
    how, selectors = selection
    parts = [selectors] if how == "one" else selectors
    return " or ".join(_show(dict(s.get("matchLabels") or {})) for s in parts) or "every node"


def _check_bgp_peers(plan, area, index):
    implementation = area["load_balancer"]["implementation"]
    rack_label = area["load_balancer"]["speakers"].get("rack_label")
    vlan_name = plan["bgp"]["peering_vlan"]
    expected = {}
    switch_of = {}
    for host, peers in bgp_mod.node_side(plan["bgp"]["sessions"]).items():
        for peer in peers:
            key = (peer["peer_address"], peer["local_asn"])
            expected.setdefault(key, set()).add(host)
            switch_of[peer["peer_address"]] = peer["peer"]
    metallb = next((r for r in area["releases"] if r["name"] == "metallb"), None)
    ignore_exclude = bool(metallb and (metallb["values"] or {}).get("ignoreExcludeLB"))
    problems = []
    union = {}
    objects = {}
    for kind, name, selection, address, asn, source in _peer_objects(area):
        key = (address, asn)
        selected = _selected(index, selection)
        union.setdefault(key, set()).update(selected)
        objects.setdefault(key, []).append((kind, name, selection))
        switch = switch_of.get(address, address)
        if not selected:
            named = [h for h in plan["nodes"] for s in ([selection[1]] if selection[0] == "one" else selection[1])
                     if (s.get("matchLabels") or {}).get(HOSTNAME_LABEL) == h]
            problems.append(Problem(
                "hosts.%s.netstack_node" % named[0] if named else SPEAKERS_PATH,
                "%s %s (peer %s %s, ASN %s) selects no node: no node carries %s" % (
                    kind, name, switch, address, asn, _selector_text(selection)),
                "a peer selects the nodes of its BGP sessions by %s (the node name) or by the rack label %s"
                % (HOSTNAME_LABEL, rack_label)))
            continue
        for host in sorted(selected):
            entry = index.nodes[host]
            if source and plan["nodes"][host]["addresses"].get(vlan_name) != source:
                problems.append(Problem("hosts.%s.netstack_node" % host, "%s %s selects node %s, whose address on "
                                        "VLAN %s is %s, not its sourceAddress %s"
                                        % (kind, name, entry["name"], vlan_name,
                                           plan["nodes"][host]["addresses"].get(vlan_name), source),
                                        "a renderer bug: please report it"))
            if implementation == "metallb" and kind == "BGPPeer" and not ignore_exclude \
                    and EXCLUDE_LB_LABEL in entry["labels"] and host in expected.get(key, ()):
                problems.append(Problem("hosts.%s.netstack_node.labels" % host, "%s %s peers node %s with %s, but "
                                        "MetalLB announces nothing from it: %s"
                                        % (kind, name, entry["name"], switch, _label_text(entry, EXCLUDE_LB_LABEL)),
                                        "the node must not carry %s (Talos: the plan deletes it; kubeadm: "
                                        "the bootstrap role removes it)" % EXCLUDE_LB_LABEL))
    for key in sorted(set(expected) | set(union), key=lambda k: (str(k[0]), str(k[1]))):
        address, asn = key
        switch = switch_of.get(address, address)
        peers = "; ".join("%s %s (%s)" % (kind, name, _selector_text(selection))
                          for kind, name, selection in objects.get(key, [])[:3]) or "none"
        for host in sorted(expected.get(key, set()) - union.get(key, set())):
            entry = index.nodes.get(host)
            if entry is None:
                continue
            rack = plan["nodes"][host]["rack"]
            by_rack = rack_label and rack_label in peers
            problems.append(Problem(
                "hosts.%s.netstack_node%s" % (host, ".labels" if by_rack else ""),
                "BGP session %s~%s: no peer object selects node %s (peers for %s %s, ASN %s: %s)%s" % (
                    switch, host, entry["name"], switch, address, asn, peers,
                    "; " + _label_text(entry, rack_label) if by_rack else ""),
                ("add the label %s: %s to the node" % (rack_label, rack)) if by_rack else
                "the peer objects select nodes by %s = the node name: a renderer bug, please report it"
                % HOSTNAME_LABEL))
        for host in sorted(union.get(key, set()) - expected.get(key, set())):
            entry = index.nodes[host]
            problems.append(Problem(
                "hosts.%s.netstack_node.labels" % host,
                "node %s is selected by %s but has no BGP session with %s %s (ASN %s) in the plan: the switch "
                "refuses it" % (entry["name"], peers, switch, address, asn),
                "check the node's labels (%s, %s)" % (rack_label, HOSTNAME_LABEL)))
    return problems
