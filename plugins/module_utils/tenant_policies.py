# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Cilium policies of one tenant, in two isolation modes.

``reference`` reproduces what the reference platform renders per tenant
(``packages/apps/tenant/templates/networkpolicy.yaml``, facts file section 2.3)
object for object, including its two weaknesses (pitfall 9):

* ``allow-external-communication`` admits ingress from the ``cluster`` entity,
  so every in-cluster source whose *egress* is open (a namespace without
  policies, a tenant that adds its own allow-all egress policy) gets in:
  isolation is only enforced on the egress side of tenant pods;
* ``allow-to-apiserver`` carries a peer-less ``toPorts: 6443`` rule that opens
  port 6443 on *any* destination, other tenants' pods included.

It also keeps two quirks of the chart: the ancestor lists are the dash-prefixes
of the parent namespace, which leaves ``tenant-root`` out for tenants at
depth >= 2, and ``<ns>-ingress-ingress`` admits ``fromEndpoints: [{}]``, which
in a cluster-wide policy means every pod of the cluster (pitfall 23).

``strict`` keeps the same object names (switching mode updates objects in
place) and enforces ingress as well: no ``cluster`` entity, ingress from the
own namespace, every ancestor, system namespaces, kube-system, the API server
and the node itself (kubelet probes, node-SNATed load-balancer traffic); the
descendants get in only to the service pods the hierarchy exposes to them
(ingress controller, vminsert, etcd for tenants that use it).  The API rule is
scoped to the ``kube-apiserver`` entity, DNS to port 53.  Every peer selector
of every cluster-wide policy names a namespace or a namespace label.

Input: one tenant entry of the tenant plan (``namespace``,
``parent_namespace``, ``ancestor_namespaces``, ``options``, ``services``) and
the normalised tenancy ``settings`` built by ``tenants.tenancy_settings``.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

CILIUM_API_VERSION = "cilium.io/v2"
CNP_KIND = "CiliumNetworkPolicy"
CCNP_KIND = "CiliumClusterwideNetworkPolicy"

ROOT_NAMESPACE = "tenant-root"

# Cilium identity label keys (see reachability.py for how they are matched).
NS_KEY = "k8s:io.kubernetes.pod.namespace"
NS_LABELS_PREFIX = "k8s:io.cilium.k8s.namespace.labels."

# Labels the reference platform stamps on namespaces and pods.
SYSTEM_NAMESPACE_LABEL = "cozystack.io/system"
SERVICE_LABEL = "cozystack.io/service"
ALLOW_APISERVER_LABEL = "policy.cozystack.io/allow-to-apiserver"
ALLOW_ETCD_LABEL = "policy.cozystack.io/allow-to-etcd"
LOCATOR_PREFIX = "namespace.cozystack.io/"
APP_NAME_KEY = "k8s:app.kubernetes.io/name"
APP_INSTANCE_KEY = "k8s:app.kubernetes.io/instance"
VMINSERT = "vminsert"

DNS_NAMESPACE = "kube-system"
DNS_POD_LABELS = {"k8s-app": "kube-dns"}
KUBEVIRT_NAMESPACE = "cozy-kubevirt"
VIRT_HANDLER_PORT = "8443"

# Ours, on every generated object: lets day-2 code find what belongs to a tenant.
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "netstack.baremetal"
TENANT_LABEL = "netstack.baremetal/tenant"

ISOLATION_MODES = ("strict", "reference")

# Entities a strict tenant pod accepts connections from besides pods:
# world (clients of LoadBalancer Services with a preserved source), host (kubelet
# probes) and remote-node (traffic SNATed by another node's kube-proxy
# replacement for externalTrafficPolicy=Cluster, hostNetwork system agents;
# tenants cannot run hostNetwork pods).  Cilium's Envoy (`ingress` entity) is
# added for tenants that use a Gateway.
STRICT_INGRESS_ENTITIES = ["world", "host", "remote-node"]

# Suffixes of the cluster-wide policies a tenant may own (both modes); the
# removal plan deletes them all (missing ones are skipped).
CLUSTER_POLICY_SUFFIXES = ("egress", "ingress", "ingress-ingress", "ingress-etcd", "ingress-monitoring",
                           "egress-virt-handler")


def cluster_policy_names(namespace):
    """Every CiliumClusterwideNetworkPolicy name a tenant namespace can own."""
    return ["%s-%s" % (namespace, suffix) for suffix in CLUSTER_POLICY_SUFFIXES]


def object_labels(namespace):
    return {MANAGED_BY_LABEL: MANAGED_BY_VALUE, TENANT_LABEL: namespace}


def tenant_label_key(label_domain, namespace):
    """The namespace label every namespace of ``namespace``'s subtree carries."""
    return "%s/%s" % (label_domain, namespace)


def reference_ancestor_namespaces(parent_namespace):
    """The reference chart's ancestor list: dash-prefixes of the parent namespace.

    ``tenant-a-b`` -> ``[tenant-a, tenant-a-b]``; ``tenant-root`` ->
    ``[tenant-root]``.  Note that ``tenant-root`` is only in the list of
    root's direct children (a quirk of the chart, kept in reference mode).
    """
    parts = parent_namespace.split("-")
    return ["-".join(parts[:end]) for end in range(2, len(parts) + 1)]


def tenant_policies(tenant, settings):
    """All Cilium policy objects of one tenant, in a fixed order.

    Returns ``[]`` when no policy engine runs (variant ``noop``).
    """
    if not settings["enforced"]:
        return []
    strict = settings["isolation"] == "strict"
    namespace = tenant["namespace"]
    options = tenant["options"]
    policies = [
        _cnp(namespace, "allow-internal-communication", _internal_spec()),
        _cnp(namespace, "allow-external-communication", _external_spec(tenant, strict)),
        _ccnp(namespace, "egress", _egress_spec(tenant, settings, strict)),
        _ccnp(namespace, "ingress", _ingress_spec(tenant, settings, strict)),
    ]
    if options["ingress"]:
        policies.append(_ccnp(namespace, "ingress-ingress", _ingress_controller_spec(tenant, settings, strict)))
    if options["etcd"]:
        policies.append(_ccnp(namespace, "ingress-etcd", _etcd_spec(namespace)))
    if strict and options["monitoring"]:
        policies.append(_ccnp(namespace, "ingress-monitoring", _monitoring_spec(tenant, settings)))
    policies.append(_cnp(namespace, "allow-to-apiserver", _apiserver_spec(settings["api_port"], strict)))
    policies.append(_cnp(namespace, "allow-to-dns", _dns_spec(strict)))
    for service in settings["shared_services"]:
        policies.append(_cnp(namespace, "allow-to-%s" % service["name"], _shared_service_spec(service)))
    if options["monitoring"]:
        policies.append(_ccnp(namespace, "egress-virt-handler", _virt_handler_spec(namespace)))
    policies.append(_cnp(namespace, "allow-to-ingress", _own_ingress_spec()))
    return policies


# --- object shells ----------------------------------------------------------

def _cnp(namespace, name, spec):
    return {"apiVersion": CILIUM_API_VERSION, "kind": CNP_KIND,
            "metadata": {"name": name, "namespace": namespace, "labels": object_labels(namespace)},
            "spec": spec}


def _ccnp(namespace, suffix, spec):
    return {"apiVersion": CILIUM_API_VERSION, "kind": CCNP_KIND,
            "metadata": {"name": "%s-%s" % (namespace, suffix), "labels": object_labels(namespace)},
            "spec": spec}


# --- selectors --------------------------------------------------------------

def _in_namespace(namespace, **pod_labels):
    labels = dict(pod_labels)
    labels[NS_KEY] = namespace
    return {"matchLabels": labels}


def _namespace_labelled(key, value=""):
    return {"matchLabels": {NS_LABELS_PREFIX + key: value}}


def _subtree_selectors(namespace, label_domain):
    """Pods of ``namespace`` and of every namespace below it.

    Two selectors because ``tenant-root`` does not carry its own tenant label
    (reference behaviour); for other tenants the first is redundant but harmless.
    """
    return [_in_namespace(namespace), _namespace_labelled(tenant_label_key(label_domain, namespace))]


def _pod_subject(namespace, key, value):
    return {"matchLabels": {NS_KEY: namespace, key: value}}


def _ancestors(tenant, strict):
    if tenant["parent_namespace"] is None:
        return []
    if strict:
        return list(tenant["ancestor_namespaces"])
    return reference_ancestor_namespaces(tenant["parent_namespace"])


# --- specs ------------------------------------------------------------------

def _internal_spec():
    # Namespaced policy: the empty selector means "this namespace" (Cilium adds it).
    return {"endpointSelector": {}, "ingress": [{"fromEndpoints": [{}]}], "egress": [{"toEndpoints": [{}]}]}


def _external_spec(tenant, strict):
    if not strict:
        entities = ["world", "cluster"]
    else:
        entities = list(STRICT_INGRESS_ENTITIES)
        if tenant["services"].get("gateway"):
            # Cilium Gateway API proxies through Envoy; its traffic has the `ingress` identity.
            entities.append("ingress")
    return {"endpointSelector": {}, "ingress": [{"fromEntities": entities}], "egress": [{"toEntities": ["world"]}]}


def _egress_spec(tenant, settings, strict):
    namespace = tenant["namespace"]
    egress = [{"toEndpoints": [_namespace_labelled(tenant_label_key(settings["label_domain"], namespace))]}]
    ancestors = _ancestors(tenant, strict)
    if ancestors:
        # One rule per service kind, one selector per ancestor: as the reference writes it.
        egress.append({"toEndpoints": [_in_namespace(a, **{APP_NAME_KEY: VMINSERT}) for a in ancestors]})
        egress.append({"toEndpoints": [_in_namespace(a, **{APP_INSTANCE_KEY: "etcd"}) for a in ancestors]})
        egress.append({"toEndpoints": [_in_namespace(a, **{SERVICE_LABEL: "ingress"}) for a in ancestors]})
    return {"endpointSelector": {"matchLabels": {NS_KEY: namespace}}, "egress": egress}


def _ingress_spec(tenant, settings, strict):
    namespace = tenant["namespace"]
    ingress = [
        {"fromEntities": ["kube-apiserver"]},
        {"fromEndpoints": [_namespace_labelled(SYSTEM_NAMESPACE_LABEL, "true")]},
        {"fromEndpoints": [_in_namespace(DNS_NAMESPACE)]},
    ]
    ancestors = _ancestors(tenant, strict)
    if ancestors:
        ingress.append({"fromEndpoints": [_in_namespace(a) for a in ancestors]})
    if settings["system_namespaces"]:
        ingress.append({"fromEndpoints": [_in_namespace(n) for n in settings["system_namespaces"]]})
    return {"endpointSelector": {"matchLabels": {NS_KEY: namespace}}, "ingress": ingress}


def _ingress_controller_spec(tenant, settings, strict):
    namespace = tenant["namespace"]
    if strict:
        peers = _subtree_selectors(namespace, settings["label_domain"])
    else:
        peers = [{}]  # every pod of the cluster: pitfall 23, kept as the reference has it
    return {"endpointSelector": _pod_subject(namespace, SERVICE_LABEL, "ingress"),
            "ingress": [{"fromEndpoints": peers}]}


def _etcd_spec(namespace):
    client = {"matchLabels": {NS_LABELS_PREFIX + LOCATOR_PREFIX + "etcd": namespace, ALLOW_ETCD_LABEL: "true"}}
    return {"endpointSelector": _pod_subject(namespace, SERVICE_LABEL, "etcd"),
            "ingress": [{"fromEndpoints": [client]}]}


def _monitoring_spec(tenant, settings):
    namespace = tenant["namespace"]
    return {"endpointSelector": _pod_subject(namespace, APP_NAME_KEY, VMINSERT),
            "ingress": [{"fromEndpoints": _subtree_selectors(namespace, settings["label_domain"])}]}


def _port_rule(ports):
    return {"ports": [{"port": str(port), "protocol": protocol} for port, protocol in ports]}


def _apiserver_spec(api_port, strict):
    subject = {"matchLabels": {ALLOW_APISERVER_LABEL: "true"}}
    if strict:
        egress = [{"toEntities": ["kube-apiserver"], "toPorts": [_port_rule([(api_port, "TCP")])]}]
    else:
        # The second rule has no peer: Cilium reads it as "any destination on this port".
        egress = [{"toEntities": ["kube-apiserver"]}, {"toPorts": [_port_rule([(api_port, "TCP")])]}]
    return {"endpointSelector": subject, "egress": egress}


def _dns_spec(strict):
    dns = dict(DNS_POD_LABELS)
    dns[NS_KEY] = DNS_NAMESPACE
    rule = {"toEndpoints": [{"matchLabels": dns}]}
    if strict:
        rule["toPorts"] = [_port_rule([(53, "UDP"), (53, "TCP")])]
    return {"endpointSelector": {}, "egress": [rule]}


def _shared_service_spec(service):
    rule = {"toEndpoints": [_in_namespace(service["namespace"])]}
    if service.get("ports"):
        rule["toPorts"] = [_port_rule([(p["port"], p["protocol"]) for p in service["ports"]])]
    return {"endpointSelector": {}, "egress": [rule]}


def _virt_handler_spec(namespace):
    return {"endpointSelector": _pod_subject(namespace, APP_NAME_KEY, "vmagent"),
            "egress": [{"toEndpoints": [_in_namespace(KUBEVIRT_NAMESPACE, **{"k8s:kubevirt.io": "virt-handler"})],
                        "toPorts": [_port_rule([(VIRT_HANDLER_PORT, "TCP")])]}]}


def _own_ingress_spec():
    # Namespaced, no namespace key: only the tenant's own ingress pods.
    return {"endpointSelector": {}, "egress": [{"toEndpoints": [{"matchLabels": {SERVICE_LABEL: "ingress"}}]}]}
