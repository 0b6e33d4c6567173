# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster network area: CNI variant, load balancer and add-ons as an ordered install plan.

``plan_cluster_network(site, plan, problems)`` returns ``plan["cluster_network"]``:
the effective variant and features, how Cilium reaches the API, notes, and
``releases``: every install step in order, each one of

* ``helm``: a chart (reference from ``charts.py``, overridable for air-gapped
  sites) with its computed values (``helm_values.py``);
* ``manifests``: objects we generate ourselves (``cluster_network_manifests.py``,
  ``lb_objects.py``), applied with server-side apply, plus the Secrets the role
  fills from inventory variables in apply mode (only their names are here);
* ``url``: a manifest bundle applied as published (the Gateway API CRDs).

A ``manifests`` release may also list objects to delete (``remove``: what an
earlier run installed that this plan no longer wants) and, for the
port-security webhook, what the role's certificate step needs
(``webhook_tls``: the role issues the certificate in apply mode, the bundle
never holds it).

The order is the reference's: Gateway API CRDs, Cilium (after the chained CNI
ConfigMap it reads), the host firewall policy, Kube-OVN, then port security
(``port_security.py``, Kube-OVN variants), Kilo, MetalLB and its objects (or
Cilium's LB objects), Multus, cozy-proxy.  Namespaces come first.

``render_cluster_network(plan)`` writes ``cluster_network/releases.yaml``,
``cluster_network/values/<release>.yaml`` and
``cluster_network/manifests/<NN>-<release>.yaml``.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netstack.baremetal.plugins.module_utils import bgp as bgp_mod
from ansible_collections.netstack.baremetal.plugins.module_utils import charts, helm_values, lb_objects, variants
from ansible_collections.netstack.baremetal.plugins.module_utils import port_security as port_security_mod
from ansible_collections.netstack.baremetal.plugins.module_utils import tenants as tenants_core
from ansible_collections.netstack.baremetal.plugins.module_utils import cluster_network_manifests as manifests
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import Problem
from ansible_collections.netstack.baremetal.plugins.module_utils.yamlout import dump_yaml, dump_yaml_all

SECTION = "cluster_network"
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
DEFAULT_SPEAKERS = {"scope": "node", "rack_label": "topology.kubernetes.io/zone"}
GATEWAY_API_PROBE_CRD = "gateways.gateway.networking.k8s.io"
FEATURES_PATH = "netstack_cluster.features"
COMPONENTS_PATH = "netstack_cluster.components"


def plan_cluster_network(site, plan, problems):
    """Compute ``plan["cluster_network"]``; append a Problem for every inventory choice that cannot work."""
    ctx = _context(site, plan)
    _check_choices(ctx, site, plan, problems)
    row = ctx["variant"]
    releases = [_manifests_release("namespaces", manifests.namespaces(ctx["namespaces"]), 60)]
    if ctx["gateway_api"]:
        releases.append(_gateway_api_crds(ctx))
    if row["cilium"]:
        if row["chained"]:
            releases.append(_manifests_release("cilium-cni-configuration", manifests.cni_configuration(ctx), 60))
        releases.append(_cilium_release(ctx))
        if ctx["host_firewall"]:
            releases.append(_manifests_release("cilium-networkpolicy", manifests.host_firewall_policy(ctx["hubble"]),
                                               60))
    if row["kube_ovn"]:
        releases.append(_kube_ovn_release(ctx))
        releases.append(_port_security_release(ctx))
    if row["kilo"]:
        releases.append(_manifests_release("kilo", manifests.kilo(ctx), ctx["components"]["kilo"]["timeout"],
                                           wait_for=[_daemonset(ctx["components"]["kilo"]["namespace"], "kilo")]))
    lb_release = _load_balancer_releases(ctx, plan, problems)
    releases.extend(lb_release)
    if ctx["multus"]:
        multus = ctx["components"]["multus"]
        releases.append(_manifests_release("multus", manifests.multus(ctx), multus["timeout"],
                                           wait_for=[_daemonset(multus["namespace"], "cozy-multus")]))
    if ctx["cozy_proxy"]:
        proxy = ctx["components"]["cozy_proxy"]
        releases.append(_manifests_release("cozy-proxy", manifests.cozy_proxy(ctx), proxy["timeout"],
                                           wait_for=[_daemonset(proxy["namespace"], "cozy-proxy")]))
    for position, release in enumerate(releases):
        release["order"] = position
        if release["kind"] == "manifests":
            release["manifest_file"] = "manifests/%02d-%s.yaml" % (position, release["name"])
    result = {
        "variant": ctx["variant_name"],
        "node_os": ctx["node_os"],
        "cni": row["cni"],
        "chained": row["chained"],
        "api_access": ctx["api_access"],
        "reference_cilium_layers": list(row["cilium_layers"]),
        "features": {key: ctx[key] for key in ("cilium", "host_firewall", "hubble", "gateway_api", "multus",
                                               "cozy_proxy", "kube_proxy", "port_security")},
        "port_security": {key: ctx["port_security_plan"][key]
                          for key in ("enabled", "mechanism", "excluded_namespaces")},
        "load_balancer": {"implementation": ctx["load_balancer"]["implementation"],
                          "mode": ctx["load_balancer"]["mode"], "installed": ctx["load_balancer_installed"],
                          "speakers": dict(ctx["speakers"])},
        "multus_master": ctx["multus_master"],
        "control_plane_ips": list(ctx["control_plane_ips"]),
        "notes": ctx["notes"],
        "releases": releases,
    }
    problems.extend(invariant_problems(result))
    return result


def _context(site, plan):
    """Everything the builders read, computed once."""
    cluster = plan["cluster"]
    name = cluster["variant"]
    row = variants.variant(name)
    features = cluster["features"]
    effective = variants.effective_features(name, features)
    components = charts.resolve_components(site["cluster"].get("components"))
    speakers = dict(DEFAULT_SPEAKERS, **(site["cluster"].get("bgp_speakers") or {}))
    node_vlan = next((v["name"] for v in plan["vlans"] if v["role"] == "node"), None)
    control_planes = [host for host, node in plan["nodes"].items() if node["role"] == "control-plane"]
    ctx = {
        "variant_name": name,
        "variant": row,
        "node_os": cluster["node_os"],
        "kubernetes_version": cluster["kubernetes_version"],
        "features": features,
        "networks": plan["networks"],
        "load_balancer": plan["load_balancer"],
        "components": components,
        "speakers": speakers,
        "api_access": variants.api_access(cluster["node_os"], plan["api"]),
        "control_plane_ips": [plan["nodes"][h]["addresses"][node_vlan] for h in control_planes
                              if node_vlan in plan["nodes"][h]["addresses"]],
        "master_nodes_label": _master_nodes_label(plan, control_planes),
        "cilium": row["cilium"],
        "host_firewall": bool(features["host_firewall"] and row["host_firewall"]),
        "hubble": bool(features["hubble"] and row["cilium"]),
        # The CRDs need no CNI: with noop they are still installed for the tenants' Gateways.
        "gateway_api": bool(features["gateway_api"]["enabled"]),
        "multus": effective["multus"],
        "cozy_proxy": effective["cozy_proxy"],
        "load_balancer_installed": effective["load_balancer"],
        "kube_proxy": effective["kube_proxy"],
        "port_security": effective["port_security"],
        "multus_master": variants.multus_master(name),
        "notes": [],
    }
    namespaces = []
    if row["cilium"]:
        namespaces.append(components["cilium"]["namespace"])
    if row["kube_ovn"]:
        namespaces.append(components["kube_ovn"]["namespace"])
    ctx["port_security_plan"] = port_security_mod.port_security_plan(
        ctx["port_security"], cluster["kubernetes_version"],
        tenants_core.tenancy_settings(site)["system_namespaces"], components["kubeovn_webhook"])
    if ctx["port_security_plan"]["webhook_tls"]:
        namespaces.append(components["kubeovn_webhook"]["namespace"])
    if row["kilo"]:
        namespaces.append(components["kilo"]["namespace"])
    if ctx["load_balancer_installed"] and plan["load_balancer"]["implementation"] == "metallb":
        namespaces.append(components["metallb"]["namespace"])
    if ctx["multus"]:
        namespaces.append(components["multus"]["namespace"])
    if ctx["cozy_proxy"]:
        namespaces.append(components["cozy_proxy"]["namespace"])
    ctx["namespaces"] = sorted(set(namespaces))
    return ctx


def _master_nodes_label(plan, control_planes):
    """``MASTER_NODES_LABEL`` for Kube-OVN.

    Talos and kubeadm both label control planes ``node-role.kubernetes.io/control-plane=""``; the
    chart reads a bare key as "value empty", so the bare key matches both (the reference's generic
    bundle uses ``=true``, k3s semantics, which matches nothing on kubeadm: pitfall 6).  When the
    inventory gives every control plane the same non-empty value for that label, use it.
    """
    values = {plan["nodes"][h].get("labels", {}).get(CONTROL_PLANE_LABEL) for h in control_planes}
    if len(values) == 1:
        value = values.pop()
        if value:
            return "%s=%s" % (CONTROL_PLANE_LABEL, value)
    return CONTROL_PLANE_LABEL


def _check_choices(ctx, site, plan, problems):
    """Inventory choices that cannot work with the variant, and notes for the ones that are only ignored."""
    row = ctx["variant"]
    features = ctx["features"]
    notes = ctx["notes"]
    lb = ctx["load_balancer"]
    if not row["cilium"]:
        notes.extend(variants.left_to_user(ctx["variant_name"], features, lb["implementation"]))
        if features["gateway_api"]["enabled"]:
            notes.append("features.gateway_api with variant noop: the Gateway API CRDs are installed, the Gateway "
                         "controller (GatewayClass 'cilium') must come with your own CNI")
        if lb["implementation"] == "cilium" and ctx["load_balancer_installed"]:
            problems.append(Problem("netstack_load_balancer.implementation", "'cilium' needs Cilium, which "
                                    "variant 'noop' does not install", "use 'metallb'"))
        for feature in ("hubble", "host_firewall"):
            if features[feature]:
                notes.append("features.%s is ignored: variant noop has no Cilium" % feature)
        if features.get("port_security"):
            notes.append("features.port_security is ignored: variant noop installs no Kube-OVN; keeping pods from "
                         "sending with other pods' addresses is up to your CNI")
    else:
        if features["host_firewall"] and not row["host_firewall"]:
            notes.append("features.host_firewall is ignored: the reference runs cilium-kilo without the host "
                         "firewall")
        if ctx["kube_proxy"]:
            problems.append(Problem(FEATURES_PATH + ".kube_proxy", "Cilium replaces kube-proxy in variant %s "
                                    "(kubeProxyReplacement: true): running both programs every Service twice"
                                    % ctx["variant_name"], "leave it out (or false); only variant noop keeps "
                                    "kube-proxy"))
        if not ctx["load_balancer_installed"]:
            notes.append("features.load_balancer is off: no %s objects are installed; LoadBalancer Services get "
                         "no address until your own load balancer runs (the switches' side is configured "
                         "anyway)" % lb["implementation"])
    _port_security_notes(ctx)
    if row["kube_ovn"] and ctx["node_os"] == "kubeadm":
        notes.append("Kube-OVN does not load kernel modules (DISABLE_MODULES_MANAGEMENT): the nodes must load "
                     "openvswitch and geneve")
    if ctx["node_os"] == "talos" and row["cilium"]:
        notes.append("Cilium reaches the API through Talos KubePrism (localhost:7445): keep KubePrism enabled")
    if lb["implementation"] == "cilium" and row["cilium"]:
        if lb["mode"] == "bgp" and any(s["bfd"] for s in plan["bgp"]["sessions"]):
            problems.append(Problem("netstack_fabric.bgp.bfd", "Cilium's BGP control plane has no BFD, so the "
                                    "switches' BFD sessions would never come up",
                                    "set it to false, or use implementation 'metallb'"))
            ctx["bgp_refused"] = True
    speakers = ctx["speakers"]
    if lb["mode"] == "bgp" and speakers["scope"] == "rack":
        if site["fabric"]["asn"]["nodes"]["scheme"] == "per_node":
            problems.append(Problem("netstack_cluster.bgp_speakers.scope", "'rack' gives all nodes of a rack one "
                                    "peer object, but node ASNs are per node",
                                    "use scope 'node' or node ASN scheme 'per_rack'/'shared'"))
        for host, node in plan["nodes"].items():
            label = node.get("labels", {}).get(speakers["rack_label"])
            if label is not None and label != node["rack"]:
                problems.append(Problem("hosts.%s.netstack_node.labels" % host, "label %s=%s contradicts the "
                                        "node's rack '%s', which selects its BGP peers"
                                        % (speakers["rack_label"], label, node["rack"]),
                                        "remove the label (the plan sets it to the rack) or set it to %s"
                                        % node["rack"]))
        if _check_rack_peers(plan, problems):
            ctx["bgp_refused"] = True     # the rack's peer objects would be wrong: not read back as well
        notes.append("BGP peers select nodes by label %s=<rack>: every node must carry it"
                     % speakers["rack_label"])


def _port_security_notes(ctx):
    row, notes = ctx["variant"], ctx["notes"]
    planned = ctx["port_security_plan"]
    if row["cilium"] and not row["kube_ovn"]:
        if ctx["features"].get("port_security"):
            notes.append("features.port_security is ignored: variant %s has no Kube-OVN; Cilium itself drops what a "
                         "pod sends from an address that is not its own (source IP verification)"
                         % ctx["variant_name"])
        return
    if not row["kube_ovn"]:
        return
    if not planned["enabled"]:
        notes.append("features.port_security is off: a pod can send with another pod's (another tenant's) IP or MAC "
                     "address, which chained Cilium does not check; the objects of an earlier run are removed")
    elif planned["mechanism"] == port_security_mod.WEBHOOK:
        notes.append("port security through the reference's webhook (Kubernetes %s has no MutatingAdmissionPolicy; "
                     "1.36 and newer need no webhook): it fails closed, so pods outside the system namespaces "
                     "cannot be created while it is down; its certificate is issued in apply mode (Secret %s/%s, "
                     "never in the bundle) and renewed by later runs"
                     % (ctx["kubernetes_version"], planned["webhook_tls"]["namespace"],
                        planned["webhook_tls"]["secret"]))


def _check_rack_peers(plan, problems):
    """Scope 'rack' gives a rack's nodes one set of peers: each node must be cabled to the same switches.

    The sessions follow the cabling (``bgp``); a node cabled to fewer (or other) switches than the rest of
    its rack would be selected by a peer its switch refuses. The rack's most common set is the reference.
    Returns whether a problem was found.
    """
    found = len(problems)
    peers = {}
    for session in plan["bgp"]["sessions"]:
        peers.setdefault(session["node"], []).append(session["switch"])
    racks = {}
    for host in sorted(peers):
        racks.setdefault(plan["nodes"][host]["rack"], []).append((host, tuple(sorted(peers[host]))))
    for rack, members in sorted(racks.items()):
        counts = {}
        for _host, switches in members:
            counts[switches] = counts.get(switches, 0) + 1
        usual = max(sorted(counts), key=counts.get)
        for host, switches in members:
            if switches != usual:
                problems.append(Problem(
                    "hosts.%s.netstack_node.uplinks" % host,
                    "bgp_speakers scope 'rack' gives every node of rack '%s' the same BGP peers (%s), but this "
                    "node is cabled to %s" % (rack, ", ".join(usual), ", ".join(switches)),
                    "cable it to %s too, or set netstack_cluster.bgp_speakers.scope: node"
                    % ", ".join(s for s in usual if s not in switches) if set(usual) - set(switches) else
                    "cable it like the rest of rack '%s' (%s), or set netstack_cluster.bgp_speakers.scope: node"
                    % (rack, ", ".join(usual))))
    return len(problems) > found


def _gateway_api_crds(ctx):
    crds = ctx["components"]["gateway_api_crds"]
    return {
        "name": "gateway-api-crds", "kind": "url",
        "version": crds["version"], "channel": crds["channel"],
        "url": crds["url"], "path": crds.get("path"), "checksum": crds.get("checksum"),
        "wait_for": [{"api_version": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                      "namespace": None, "name": GATEWAY_API_PROBE_CRD,
                      "condition": {"type": "Established", "status": "True"}}],
        "timeout": crds["timeout"],
    }


def _cilium_release(ctx):
    namespace = ctx["components"]["cilium"]["namespace"]
    wait_for = [_daemonset(namespace, "cilium"), _deployment(namespace, "cilium-operator")]
    # Chained: Cilium comes up before Kube-OVN; pods on the pod network (Hubble relay/UI) wait for Kube-OVN,
    # so Helm must not wait for them here: wait for the agent and the operator only.
    release = _helm_release("cilium", ctx["components"]["cilium"], helm_values.cilium_values(ctx),
                            helm_wait=not ctx["variant"]["chained"], wait_for=wait_for)
    release["layers"] = [name for name, _layer in helm_values.cilium_layers(ctx)]
    return release


def _kube_ovn_release(ctx):
    wait_for = []
    if ctx["hubble"]:
        namespace = ctx["components"]["cilium"]["namespace"]
        wait_for = [_deployment(namespace, "hubble-relay"), _deployment(namespace, "hubble-ui")]
    return _helm_release("kube-ovn", ctx["components"]["kube_ovn"], helm_values.kube_ovn_values(ctx),
                         helm_wait=True, wait_for=wait_for)


def _port_security_release(ctx):
    planned = ctx["port_security_plan"]
    wait_for = []
    if planned["webhook_tls"]:
        wait_for = [_deployment(planned["webhook_tls"]["namespace"], planned["webhook_tls"]["deployment"])]
    return _manifests_release("port-security", planned["objects"], ctx["components"]["kubeovn_webhook"]["timeout"],
                              wait_for=wait_for, remove=planned["remove"], webhook_tls=planned["webhook_tls"])


def _load_balancer_releases(ctx, plan, problems):
    lb = ctx["load_balancer"]
    if not ctx["load_balancer_installed"]:
        return []
    if lb["implementation"] == "metallb":
        component = ctx["components"]["metallb"]
        objects, secrets = lb_objects.metallb_objects(ctx, plan)
        releases = [_helm_release("metallb", component, helm_values.metallb_values(ctx), helm_wait=True),
                    _manifests_release("metallb-config", objects, 120, secrets=secrets)]
    elif ctx["cilium"]:
        objects, secrets = lb_objects.cilium_objects(ctx, plan)
        releases = [_manifests_release("cilium-lb-config", objects, 120, secrets=secrets)]
    else:
        return []
    if lb["mode"] == "bgp" and not ctx.get("bgp_refused"):
        rebuilt = lb_objects.node_view(objects, plan, secrets, rack_label=ctx["speakers"]["rack_label"])
        for problem in bgp_mod.check_consistency(bgp_mod.switch_side(plan["bgp"]["sessions"]), rebuilt):
            problems.append(Problem(problem.path, "generated %s peers disagree with the switches: %s"
                                    % (lb["implementation"], problem.message),
                                    "the peers and the switches are rendered from one session list, so this is "
                                    "a bug: please report it"))
        if secrets:
            ctx["notes"].append("Secret %s/%s is created from variable %s in apply mode (never in the bundle)"
                                % (secrets[0]["namespace"], secrets[0]["name"], secrets[0]["variable"]))
    return releases


def _helm_release(name, component, values, helm_wait, wait_for=()):
    source = component["source"]
    return {
        "name": name, "kind": "helm",
        "namespace": component["namespace"], "release": component["release"],
        "chart": {"type": source["type"], "name": component["chart"], "version": source["chart_version"],
                  "chart_ref": source["chart_ref"], "chart_repo_url": source["chart_repo_url"]},
        "values": values, "values_file": "values/%s.yaml" % name,
        "helm_wait": helm_wait, "wait_for": list(wait_for), "timeout": component["timeout"],
    }


def _manifests_release(name, objects, timeout, wait_for=(), secrets=(), remove=(), webhook_tls=None):
    return {"name": name, "kind": "manifests", "objects": objects, "secrets": list(secrets),
            "remove": list(remove), "webhook_tls": webhook_tls, "wait_for": list(wait_for), "timeout": timeout}


def _daemonset(namespace, name):
    return {"api_version": "apps/v1", "kind": "DaemonSet", "namespace": namespace, "name": name, "condition": None}


def _deployment(namespace, name):
    return {"api_version": "apps/v1", "kind": "Deployment", "namespace": namespace, "name": name, "condition": None}


def release(cluster_network, name):
    """The release called ``name``, or None."""
    return next((r for r in cluster_network["releases"] if r["name"] == name), None)


def _yaml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def invariant_problems(cluster_network):
    """The properties the stack needs, checked on the final values (a ``values`` override can break them)."""
    problems = []
    cilium = release(cluster_network, "cilium")
    kube_ovn = release(cluster_network, "kube-ovn")
    access = cluster_network["api_access"]

    def expect(rel, component, path, wanted):
        node = rel["values"]
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if node != wanted:
            problems.append(Problem("%s.%s.values.%s" % (COMPONENTS_PATH, component, ".".join(path)),
                                    "must be %r for variant %s, is %r"
                                    % (wanted, cluster_network["variant"], node),
                                    "remove this values override (the plan sets %s: %s)"
                                    % (path[-1], _yaml_value(wanted))))

    if cilium is not None:
        expect(cilium, "cilium", ["kubeProxyReplacement"], True)
        expect(cilium, "cilium", ["k8sServiceHost"], access["host"])
        expect(cilium, "cilium", ["k8sServicePort"], access["port"])
        expect(cilium, "cilium", ["hostFirewall", "enabled"], cluster_network["features"]["host_firewall"])
        expect(cilium, "cilium", ["hubble", "enabled"], cluster_network["features"]["hubble"])
        if cluster_network["chained"]:
            for path, wanted in (
                    (["cni", "chainingMode"], "generic-veth"), (["cni", "chainingTarget"], "kube-ovn"),
                    (["cni", "customConf"], True), (["cni", "configMap"], helm_values.CNI_CONFIGMAP),
                    (["routingMode"], "native"), (["bpf", "masquerade"], False),
                    (["enableIPv4Masquerade"], False), (["devices"], helm_values.KUBEOVN_DEVICES)):
                expect(cilium, "cilium", path, wanted)
        else:
            if cluster_network["features"]["multus"]:
                expect(cilium, "cilium", ["cni", "exclusive"], False)
            # Without Kube-OVN nothing else stops a pod from sending with another pod's address.
            daemon = cilium["values"].get("daemon")
            if isinstance(daemon, dict) and daemon.get("enableSourceIPVerification") is False:
                problems.append(Problem("%s.cilium.values.daemon.enableSourceIPVerification" % COMPONENTS_PATH,
                                        "turns off Cilium's source address check: in variant %s nothing else stops "
                                        "a pod from sending with another pod's (another tenant's) address"
                                        % cluster_network["variant"],
                                        "remove this values override (the chart's default keeps the check on)"))
    if kube_ovn is not None:
        expect(kube_ovn, "kube_ovn", ["func", "ENABLE_NP"], False)
        expect(kube_ovn, "kube_ovn", ["func", "ENABLE_LB"], False)
        expect(kube_ovn, "kube_ovn", ["MASTER_NODES"], ",".join(cluster_network["control_plane_ips"]))
    return problems


# ---------------------------------------------------------------------------------------------- rendering

def render_cluster_network(plan):
    """Bundle files of the area: ``{relative path: text}``."""
    area = plan[SECTION]
    files = {}
    summary = []
    for rel in area["releases"]:
        entry = {"order": rel["order"], "name": rel["name"], "kind": rel["kind"]}
        if rel["kind"] == "helm":
            entry.update(namespace=rel["namespace"], release=rel["release"], chart=rel["chart"],
                         values_file=rel["values_file"], helm_wait=rel["helm_wait"])
            if "layers" in rel:
                entry["layers"] = rel["layers"]
            files["%s/%s" % (SECTION, rel["values_file"])] = _values_text(plan, rel)
        elif rel["kind"] == "manifests":
            entry.update(manifest_file=rel["manifest_file"], objects=len(rel["objects"]),
                         kinds=_kind_counts(rel["objects"]))
            if rel["secrets"]:
                entry["secrets_from_inventory"] = [
                    {"namespace": s["namespace"], "name": s["name"], "key": s["key"], "variable": s["variable"]}
                    for s in rel["secrets"]]
            if rel["webhook_tls"]:
                tls = rel["webhook_tls"]
                entry["certificate_issued_in_apply_mode"] = {
                    "secret": "%s/%s" % (tls["namespace"], tls["secret"]), "dns_names": tls["dns_names"],
                    "ca_bundle_of": "MutatingWebhookConfiguration %s" % tls["configuration"]}
            if rel["remove"]:
                entry["removed_if_present"] = [
                    "%s %s" % (r["kind"], "/".join(filter(None, (r["metadata"].get("namespace"), r["metadata"]["name"]))))
                    for r in rel["remove"]]
            files["%s/%s" % (SECTION, rel["manifest_file"])] = dump_yaml_all(rel["objects"])
        else:
            entry.update(version=rel["version"], channel=rel["channel"], url=rel["url"], path=rel["path"])
        entry.update(wait_for=rel["wait_for"], timeout_seconds=rel["timeout"])
        summary.append(entry)
    document = {
        "cluster": plan["cluster"]["name"],
        "variant": area["variant"],
        "node_os": area["node_os"],
        "cni": area["cni"],
        "api_access": area["api_access"],
        "features": area["features"],
        "load_balancer": area["load_balancer"],
        "port_security": area["port_security"],
        "notes": area["notes"],
        "releases": summary,
    }
    files["%s/releases.yaml" % SECTION] = (
        "# Install plan of the cluster network, in order (netstack.baremetal; do not edit).\n"
        "# helm: kubernetes.core.helm with values/<name>.yaml; manifests: server-side apply of manifests/;\n"
        "# url: a published manifest bundle applied as is.\n" + dump_yaml(document))
    return files


def _values_text(plan, rel):
    chart = rel["chart"]
    if chart["type"] == "repo":
        source = "%s from %s" % (chart["name"], chart["chart_repo_url"])
    else:
        source = chart["chart_ref"]
    header = ["# Helm values of release %s/%s: chart %s%s (netstack.baremetal; do not edit)."
              % (rel["namespace"], rel["release"], source,
                 " version %s" % chart["version"] if chart["version"] else "")]
    if rel.get("layers"):
        header.append("# Layers, in merge order: %s." % ", ".join(rel["layers"]))
    return "\n".join(header) + "\n" + dump_yaml(rel["values"])


def _kind_counts(objects):
    counts = {}
    for obj in objects:
        counts[obj["kind"]] = counts.get(obj["kind"], 0) + 1
    return counts
