# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Talos machine configuration patches, one set per node.

The plan holds no secrets, so these are *patches*: the talos_nodes role (or a
user by hand) applies them on top of ``talosctl gen config --with-secrets``
output.  Per node there are two multi-document patches:

* ``talos-patch.yaml``: the ``v1alpha1`` machine/cluster patch (CNI none,
  kube-proxy off where Cilium replaces it, subnets, DNS domain, kubelet node IP, kernel modules,
  sysctls, CRI customisation, install disk and image, the control-plane
  settings of the reference's talm preset) and one ``RegistryMirrorConfig``
  per mirror;
* ``network.yaml``: Talos' typed network documents (v1.12+):
  ``HostnameConfig``, ``ResolverConfig``, ``BondConfig`` or ``LinkConfig``
  for the trunk, one ``VLANConfig`` per VLAN with the node's address (default
  route through the node VLAN's gateway), ``Layer2VIPConfig`` for the API VIP
  on control-plane nodes.

``check_documents`` is a structural check (no jsonschema needed) of what this
module emits; the planner refuses a node whose documents fail it.  The full
Talos JSON schema check runs in the unit tests and, when ``jsonschema`` is
installed, in the role (filter ``netstack.baremetal.talos_schema_errors``).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.netstack.baremetal.plugins.module_utils import nodes_common as common
from ansible_collections.netstack.baremetal.plugins.module_utils import variants

MIN_TALOS = (1, 12)
DEFAULT_IMAGE = "ghcr.io/cozystack/cozystack/talos:%s"
MAX_PODS = 512
ETCD_QUOTA_BYTES = "8589934592"
EXCLUDE_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"
# The only file Talos lets a patch create outside /var (reference section 4.2): containerd CRI options.
CRI_CUSTOMIZATION_PATH = "/etc/cri/conf.d/20-customization.part"
CRI_CUSTOMIZATION = (
    "[plugins]\n"
    "  [plugins.\"io.containerd.grpc.v1.cri\"]\n"
    "    device_ownership_from_security_context = true\n"
    "  [plugins.\"io.containerd.cri.v1.runtime\"]\n"
    "    device_ownership_from_security_context = true\n"
)
BOND_OPTIONS = {
    "802.3ad": {"miimon": 100, "updelay": 200, "downdelay": 200, "lacpRate": "fast",
                "xmitHashPolicy": "layer3+4"},
    "balance-xor": {"miimon": 100, "updelay": 200, "downdelay": 200, "xmitHashPolicy": "layer3+4"},
    "active-backup": {"miimon": 100, "updelay": 200, "downdelay": 200},
}


def supports_typed_network(version):
    return common.talos_minor(version) >= MIN_TALOS


def plan_node(site, plan, host, problems_out):
    """Return the ``talos`` entry of one node: ``{"machine_type", "patch", "network", "gen_config"}``.

    ``problems_out`` receives plain strings (the caller turns them into Problems with a path).
    """
    cluster = plan["cluster"]
    settings = site["cluster"]["nodes"]
    talos = settings["talos"]
    node = plan["nodes"][host]
    net = common.node_network(plan, host)
    control_plane = node["role"] == "control-plane"
    image = talos.get("image") or DEFAULT_IMAGE % talos["version"]
    patch = [_machine_patch(site, plan, host, net, control_plane, image)]
    patch.extend(_registry_mirrors(settings["registry_mirrors"]))
    network = _network_documents(plan, host, net, control_plane, settings["nameservers"])
    for position, doc in enumerate(patch + network):
        for error in check_document(doc):
            problems_out.append("document %d (%s): %s" % (position + 1, doc.get("kind", "v1alpha1"), error))
    major, minor = common.talos_minor(talos["version"])
    return {
        "machine_type": "controlplane" if control_plane else "worker",
        "version": talos["version"],
        "image": image,
        "patch": patch,
        "network": network,
        "node_ip": net["node_ip"],
        # talosctl gen config arguments; the role adds --with-secrets, the patches and -o
        "gen_config": ["gen", "config", cluster["name"], plan["api"]["endpoint"],
                       "--output-types", "controlplane" if control_plane else "worker",
                       "--kubernetes-version", cluster["kubernetes_version"],
                       "--talos-version", "v%d.%d" % (major, minor),
                       "--with-docs=false", "--with-examples=false"],
    }


def _machine_patch(site, plan, host, net, control_plane, image):
    cluster = plan["cluster"]
    node = plan["nodes"][host]
    networks = plan["networks"]
    settings = site["cluster"]["nodes"]
    labels = dict(sorted(node["labels"].items()))
    if control_plane:
        # the reference lets MetalLB/Cilium announce services from control-plane nodes too
        labels[EXCLUDE_LB_LABEL] = {"$patch": "delete"}
    modules = []
    for module in common.kernel_modules(cluster["variant"], "talos", settings["kernel_modules"]):
        entry = {"name": module["name"]}
        if module["parameters"]:
            entry["parameters"] = module["parameters"]
        modules.append(entry)
    machine = {"type": "controlplane" if control_plane else "worker"}
    if labels:
        machine["nodeLabels"] = labels
    machine.update({
        "kubelet": {"nodeIP": {"validSubnets": [net["node_cidr"]]}, "extraConfig": {"maxPods": MAX_PODS}},
        "sysctls": common.sysctls("talos", settings["sysctls"]),
    })
    if modules:
        machine["kernel"] = {"modules": modules}
    machine.update({
        "certSANs": ["127.0.0.1"],
        "files": [{"content": CRI_CUSTOMIZATION, "path": CRI_CUSTOMIZATION_PATH, "op": "create"}],
        "install": {"disk": node["install_disk"], "image": image},
    })
    cluster_doc = {
        "clusterName": cluster["name"],
        "controlPlane": {"endpoint": plan["api"]["endpoint"]},
        "network": {"cni": {"name": "none"}, "dnsDomain": cluster["dns_domain"],
                    # node podCIDRs for Cilium's kubernetes IPAM: disjoint from Kube-OVN's pool (pitfall 3)
                    "podSubnets": [networks["cluster_cidr"]],
                    "serviceSubnets": [networks["service_cidr"]]},
        # Cilium replaces kube-proxy; variant noop keeps it unless features.kube_proxy says otherwise
        "proxy": {"disabled": not variants.kube_proxy(cluster["variant"], cluster["features"].get("kube_proxy"))},
        # no outside discovery service: air-gapped sites and no KubeSpan
        "discovery": {"enabled": False},
    }
    if control_plane:
        cluster_doc.update({
            "allowSchedulingOnControlPlanes": True,
            "apiServer": {"certSANs": ["127.0.0.1", plan["api"]["vip"]]},
            "controllerManager": {"extraArgs": {
                "bind-address": "0.0.0.0", "allocate-node-cidrs": "true",
                "cluster-cidr": networks["cluster_cidr"],
                "node-cidr-mask-size": str(networks["node_cidr_mask_size"])}},
            "scheduler": {"extraArgs": {"bind-address": "0.0.0.0"}},
            "etcd": {"advertisedSubnets": [net["node_cidr"]],
                     "extraArgs": {"quota-backend-bytes": ETCD_QUOTA_BYTES}},
        })
    return {"machine": machine, "cluster": cluster_doc}


def _registry_mirrors(mirrors):
    docs = []
    for mirror in mirrors:
        doc = {"apiVersion": "v1alpha1", "kind": "RegistryMirrorConfig", "name": mirror["registry"],
               "endpoints": [{"url": url} for url in mirror["endpoints"]]}
        if mirror.get("skip_fallback"):
            doc["skipFallback"] = True
        docs.append(doc)
    return docs


def _network_documents(plan, host, net, control_plane, nameservers):
    docs = [{"apiVersion": "v1alpha1", "kind": "HostnameConfig", "hostname": host, "auto": "off"}]
    if nameservers:
        docs.append({"apiVersion": "v1alpha1", "kind": "ResolverConfig",
                     "nameservers": [{"address": a} for a in nameservers]})
    if net["parent"] is None:
        return docs
    if net["bond"]:
        parent = {"apiVersion": "v1alpha1", "kind": "BondConfig", "name": net["bond"]["name"],
                  "links": list(net["bond"]["members"]), "bondMode": net["bond"]["mode"]}
        parent.update(BOND_OPTIONS[net["bond"]["mode"]])
        parent["mtu"] = net["mtu"]
    else:
        parent = {"apiVersion": "v1alpha1", "kind": "LinkConfig", "name": net["parent"], "mtu": net["mtu"]}
    docs.append(parent)
    for vlan in net["vlans"]:
        if vlan["tagged"]:
            doc = {"apiVersion": "v1alpha1", "kind": "VLANConfig", "name": vlan["link"], "vlanID": vlan["id"],
                   "parent": net["parent"], "mtu": vlan["mtu"]}
            docs.append(doc)
        else:
            # the untagged node VLAN: its address is the parent's own (nodes_common's tagging contract)
            doc = parent
        doc["addresses"] = [{"address": vlan["address"]}]
        if vlan["gateway"]:
            doc["routes"] = [{"gateway": vlan["gateway"]}]
    if control_plane and net["vip_link"]:
        docs.append({"apiVersion": "v1alpha1", "kind": "Layer2VIPConfig", "name": plan["api"]["vip"],
                     "link": net["vip_link"]})
    return docs


# --- structural check ---------------------------------------------------------------------------------
# (required keys, allowed keys) of every typed document this module emits, as in the Talos v1.13 schema.
_COMMON = ("apiVersion", "kind")
_TYPED = {
    "HostnameConfig": ((), ("auto", "hostname")),
    "ResolverConfig": ((), ("nameservers", "searchDomains")),
    "LinkConfig": (("name",), ("name", "up", "mtu", "addresses", "routes", "multicast")),
    "BondConfig": (("name", "links", "bondMode"),
                   ("name", "links", "bondMode", "miimon", "updelay", "downdelay", "lacpRate", "xmitHashPolicy",
                    "up", "mtu", "addresses", "routes", "multicast", "hardwareAddr", "minLinks")),
    "VLANConfig": (("name", "vlanID", "parent"),
                   ("name", "vlanID", "parent", "vlanMode", "up", "mtu", "addresses", "routes", "multicast")),
    "Layer2VIPConfig": (("name",), ("name", "link")),
    "RegistryMirrorConfig": (("name",), ("name", "endpoints", "skipFallback")),
}
_MACHINE_KEYS = ("type", "nodeLabels", "kubelet", "sysctls", "kernel", "certSANs", "files", "install",
                 "features", "nodeAnnotations", "nodeTaints")
_CLUSTER_KEYS = ("clusterName", "controlPlane", "network", "proxy", "discovery", "allowSchedulingOnControlPlanes",
                 "apiServer", "controllerManager", "scheduler", "etcd", "coreDNS")
_PREFIX_RE = re.compile(r"^[0-9a-f.:]+/\d{1,3}$")
_ADDRESS_RE = re.compile(r"^[0-9a-f.:]+$")
_BOND_MODES = ("balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb", "balance-alb")


def strip_patch_directives(value):
    """A copy without strategic-merge ``$patch: delete`` entries (they are not config, they remove config)."""
    if isinstance(value, dict):
        return {k: strip_patch_directives(v) for k, v in value.items()
                if not (isinstance(v, dict) and v.get("$patch") == "delete") and k != "$patch"}
    if isinstance(value, list):
        return [strip_patch_directives(v) for v in value]
    return value


def check_document(doc):
    """Return a list of error strings for one Talos config document (empty when it looks right)."""
    if not isinstance(doc, dict):
        return ["is not a mapping"]
    if "kind" not in doc:
        return _check_v1alpha1(strip_patch_directives(doc))
    errors = []
    kind = doc["kind"]
    if doc.get("apiVersion") != "v1alpha1":
        errors.append("apiVersion must be v1alpha1")
    if kind not in _TYPED:
        return errors + ["unknown kind %r" % kind]
    required, allowed = _TYPED[kind]
    for key in required:
        if key not in doc:
            errors.append("%s: %s is required" % (kind, key))
    for key in doc:
        if key not in _COMMON and key not in allowed:
            errors.append("%s: unknown key %r" % (kind, key))
    if kind == "HostnameConfig" and "hostname" in doc and doc.get("auto") not in (None, "off"):
        errors.append("HostnameConfig: a static hostname needs auto: off")
    if kind == "BondConfig" and doc.get("bondMode") not in _BOND_MODES:
        errors.append("BondConfig: bondMode %r" % doc.get("bondMode"))
    if kind == "VLANConfig" and not (isinstance(doc.get("vlanID"), int) and 1 <= doc["vlanID"] <= 4094):
        errors.append("VLANConfig: vlanID %r is not 1-4094" % doc.get("vlanID"))
    for name in ("name", "link", "parent"):
        if name in doc and kind != "RegistryMirrorConfig" and kind != "Layer2VIPConfig":
            if not isinstance(doc[name], str) or len(doc[name]) > common.IFNAMSIZ:
                errors.append("%s: link name %r is not a string of at most %d characters"
                              % (kind, doc[name], common.IFNAMSIZ))
    if kind == "Layer2VIPConfig" and not _ADDRESS_RE.match(str(doc.get("name", ""))):
        errors.append("Layer2VIPConfig: name must be the VIP address")
    for address in doc.get("addresses", []):
        if not _PREFIX_RE.match(str(address.get("address", ""))):
            errors.append("%s: address %r needs a prefix length" % (kind, address.get("address")))
    for route in doc.get("routes", []):
        if "gateway" in route and not _ADDRESS_RE.match(str(route["gateway"])):
            errors.append("%s: route gateway %r" % (kind, route["gateway"]))
    for endpoint in doc.get("endpoints", []) if kind == "RegistryMirrorConfig" else []:
        if not re.match(r"^https?://", str(endpoint.get("url", ""))):
            errors.append("RegistryMirrorConfig: endpoint url %r" % endpoint.get("url"))
    return errors


def _check_v1alpha1(doc):
    errors = []
    for key in doc:
        if key not in ("version", "debug", "machine", "cluster"):
            errors.append("v1alpha1: unknown top-level key %r" % key)
    machine = doc.get("machine", {})
    cluster = doc.get("cluster", {})
    for key in machine:
        if key not in _MACHINE_KEYS:
            errors.append("machine: key %r is not used by this collection (legacy machine.network / "
                          "machine.registries are typed documents since Talos 1.12)" % key)
    for key in cluster:
        if key not in _CLUSTER_KEYS:
            errors.append("cluster: unknown key %r" % key)
    if machine.get("type") not in (None, "controlplane", "worker"):
        errors.append("machine.type %r" % machine.get("type"))
    for section in (machine.get("sysctls", {}), machine.get("nodeLabels", {})):
        for key, value in section.items():
            if not isinstance(value, str):
                errors.append("machine: %s must be a string, got %r" % (key, value))
    for part in ("controllerManager", "scheduler", "apiServer", "etcd"):
        for key, value in cluster.get(part, {}).get("extraArgs", {}).items():
            if not isinstance(value, str):
                errors.append("cluster.%s.extraArgs.%s must be a string, got %r" % (part, key, value))
    endpoint = cluster.get("controlPlane", {}).get("endpoint")
    if endpoint is not None and not str(endpoint).startswith("https://"):
        errors.append("cluster.controlPlane.endpoint must start with https://")
    cni = cluster.get("network", {}).get("cni", {}).get("name")
    if cni not in (None, "flannel", "custom", "none"):
        errors.append("cluster.network.cni.name %r" % cni)
    return errors
