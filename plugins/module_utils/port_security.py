# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kube-OVN port security on every pod outside the system namespaces (the Kube-OVN variants).

In the chained variants Cilium runs with source IP verification off (the
reference's ``values-kubeovn.yaml``), so nothing stops a pod from sending with
another pod's, or another tenant's, IP or MAC address: the tenant policies are
enforced on identities Cilium derives from the *claimed* source address.  Kube-OVN
closes that hole per pod: with the annotation ``ovn.kubernetes.io/port_security:
"true"`` the pod's OVN logical switch port only admits frames from the pod's own
MAC and IP address.  The reference deploys a mutating webhook of its own
(``kubeovn-webhook``, facts file section 1.6) that adds the annotation to every
pod created outside the system namespaces.

Here the annotation is set by the API server itself where it can:

* ``admission-policy`` (Kubernetes 1.36 and newer, where MutatingAdmissionPolicy
  is GA and served by default): a ``MutatingAdmissionPolicy`` sets the annotation
  to ``"true"`` on every Pod CREATE, overwriting whatever the pod asked for; no
  Deployment, no certificate, no endpoint a pod could call, nothing that can be
  down when a pod is created;
* ``webhook`` (older clusters): the reference's webhook (image
  ``kubeovn-webhook``, ``--port-security=true``), a ``MutatingWebhookConfiguration``
  that fails closed, a certificate the role issues in apply mode (never in the
  bundle) and a CiliumClusterwideNetworkPolicy that keeps pods from calling the
  webhook (the reference's advisory GHSA-g883-q79m-8225).

Both come with a ``ValidatingAdmissionPolicy`` (GA since 1.30) that checks the
final pod after every mutation: CREATE needs ``"true"``, UPDATE may not change the
annotation to anything else.  The reference's webhook keeps a value the pod set
itself (a pod could opt out with ``"false"``); this policy refuses that.

Scope (as the reference): every namespace except ``kube-system``, namespaces
labelled ``cozystack.io/system: "true"`` (the component namespaces this
collection creates carry it) and ``netstack_cluster.tenancy.system_namespaces``.

``port_security_plan(...)`` returns what the cluster network release needs:
the objects to apply, the objects to delete (the other mechanism's, or all of
them when the feature is off) and, for the webhook, what the role's certificate
step needs.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

ANNOTATION = "ovn.kubernetes.io/port_security"
SYSTEM_LABEL = "cozystack.io/system"
NAME_LABEL = "kubernetes.io/metadata.name"
ALWAYS_EXCLUDED = ("kube-system",)
MANAGED_BY = {"app.kubernetes.io/managed-by": "netstack"}   # as lb_objects'

ADMISSION_API = "admissionregistration.k8s.io/v1"
POLICY_NAME = "netstack-port-security"
# MutatingAdmissionPolicy: alpha in 1.32, beta (off by default) in 1.34, GA and on by default in 1.36 (KEP-3962).
MUTATING_POLICY_MINOR = 36
ADMISSION_POLICY = "admission-policy"
WEBHOOK = "webhook"

WEBHOOK_NAME = "kubeovn-webhook"
WEBHOOK_TLS_SECRET = "kubeovn-webhook-tls"
WEBHOOK_PORT = 8443
WEBHOOK_PATH = "/mutate-pods"
WEBHOOK_ENTRY = "port-security.kubeovn-webhook.netstack.io"
WEBHOOK_CALLERS_POLICY = "kubeovn-webhook-callers"
TLS_CHECKSUM_ANNOTATION = "netstack.io/tls-checksum"
WEBHOOK_LABELS = {"app.kubernetes.io/name": WEBHOOK_NAME, "app.kubernetes.io/component": "port-security"}


def _quote(text):
    """A CEL single-quoted string literal."""
    return "'%s'" % text.replace("\\", "\\\\").replace("'", "\\'")


def kubernetes_minor(version):
    """``"1.36.2"`` -> 36."""
    return int(str(version).split(".")[1])


def mechanism(kubernetes_version):
    """How the annotation is set on a cluster of this version: ``admission-policy`` or ``webhook``."""
    return ADMISSION_POLICY if kubernetes_minor(kubernetes_version) >= MUTATING_POLICY_MINOR else WEBHOOK


def excluded_namespaces(system_namespaces):
    """Namespaces left alone by name (besides those labelled ``cozystack.io/system: "true"``)."""
    return sorted(set(ALWAYS_EXCLUDED) | set(system_namespaces or ()))


def namespace_selector(excluded):
    """Every namespace but the system ones (by label, and by name through ``kubernetes.io/metadata.name``)."""
    return {"matchExpressions": [
        {"key": SYSTEM_LABEL, "operator": "NotIn", "values": ["true"]},
        {"key": NAME_LABEL, "operator": "NotIn", "values": list(excluded)},
    ]}


def meta(name, namespace=None, labels=None):
    """Object metadata with the ``managed-by`` label; also the cluster network manifests' (this module imports
    nothing of the collection, so ``report`` can import it without a cycle)."""
    result = {"name": name}
    if namespace:
        result["namespace"] = namespace
    result["labels"] = dict(MANAGED_BY, **(labels or {}))
    return result


def _pod_rule(operations):
    return {"apiGroups": [""], "apiVersions": ["v1"], "operations": list(operations), "resources": ["pods"]}


def _annotation_of(obj):
    key = _quote(ANNOTATION)
    return ("has(%s.metadata.annotations) && %s in %s.metadata.annotations ? %s.metadata.annotations[%s] : ''"
            % (obj, key, obj, obj, key))


# --- the admission policies ----------------------------------------------------------------------------

def mutating_policy(excluded):
    """MutatingAdmissionPolicy: ``port_security: "true"`` on every Pod CREATE in scope, whatever the pod set."""
    key = _quote(ANNOTATION)
    return {
        "apiVersion": ADMISSION_API, "kind": "MutatingAdmissionPolicy", "metadata": meta(POLICY_NAME),
        "spec": {
            "failurePolicy": "Fail",
            # a later mutating webhook that touches the pod makes the API server run this policy again
            "reinvocationPolicy": "IfNeeded",
            "matchConstraints": {"matchPolicy": "Equivalent", "namespaceSelector": namespace_selector(excluded),
                                 "resourceRules": [_pod_rule(["CREATE"])]},
            # only when there is something to change: a pod that already says "true" is left as it is
            "matchConditions": [{"name": "not-yet-true",
                                 "expression": "!has(object.metadata.annotations) || "
                                               "!(%s in object.metadata.annotations) || "
                                               "object.metadata.annotations[%s] != 'true'" % (key, key)}],
            "mutations": [{"patchType": "ApplyConfiguration", "applyConfiguration": {
                "expression": "Object{metadata: Object.metadata{annotations: {%s: 'true'}}}" % key}}],
        },
    }


def mutating_binding():
    return {"apiVersion": ADMISSION_API, "kind": "MutatingAdmissionPolicyBinding", "metadata": meta(POLICY_NAME),
            "spec": {"policyName": POLICY_NAME}}


def validating_policy(excluded):
    """ValidatingAdmissionPolicy on the final pod: CREATE needs "true", UPDATE may only keep it or set "true"."""
    return {
        "apiVersion": ADMISSION_API, "kind": "ValidatingAdmissionPolicy", "metadata": meta(POLICY_NAME),
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {"matchPolicy": "Equivalent", "namespaceSelector": namespace_selector(excluded),
                                 "resourceRules": [_pod_rule(["CREATE", "UPDATE"])]},
            "variables": [
                {"name": "value", "expression": _annotation_of("object")},
                {"name": "oldValue",
                 "expression": "oldObject == null ? '' : (%s)" % _annotation_of("oldObject")},
            ],
            "validations": [
                {"expression": "request.operation != 'CREATE' || variables.value == 'true'", "reason": "Forbidden",
                 "message": "pods outside the system namespaces run with Kube-OVN port security: annotation %s "
                            "must be \"true\" (set by the platform; a pod cannot opt out)" % ANNOTATION,
                 "messageExpression": "'annotation %s is ' + (variables.value == '' ? 'missing' : '\"' + "
                                      "variables.value + '\"') + ', must be \"true\": pods in namespace ' + "
                                      "request.namespace + ' run with Kube-OVN port security (a pod cannot opt "
                                      "out)'" % ANNOTATION},
                {"expression": "request.operation != 'UPDATE' || variables.value == 'true' || "
                               "variables.value == variables.oldValue", "reason": "Forbidden",
                 "message": "annotation %s may only be set to \"true\": a running pod cannot turn Kube-OVN port "
                            "security off" % ANNOTATION},
            ],
        },
    }


def validating_binding():
    return {"apiVersion": ADMISSION_API, "kind": "ValidatingAdmissionPolicyBinding", "metadata": meta(POLICY_NAME),
            "spec": {"policyName": POLICY_NAME, "validationActions": ["Deny"]}}


# --- the reference's webhook (clusters older than 1.36) ---------------------------------------------------

def webhook_dns_names(namespace):
    return [WEBHOOK_NAME, "%s.%s" % (WEBHOOK_NAME, namespace), "%s.%s.svc" % (WEBHOOK_NAME, namespace)]


def webhook_objects(component, excluded):
    """The reference's kubeovn-webhook: RBAC, Service, Deployment, PDB, webhook configuration, caller policy.

    The TLS Secret is not here: the role issues it in apply mode (``webhook_tls``), fills the configuration's
    ``caBundle`` and stamps the Deployment's pod template with the certificate's checksum.
    """
    namespace = component["namespace"]
    labels = dict(WEBHOOK_LABELS)
    selector = {"app.kubernetes.io/name": WEBHOOK_NAME}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(WEBHOOK_NAME, namespace, labels)},
        # the webhook reads the pod's Namespace (a namespace annotation may carry a default, reference code)
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": meta(WEBHOOK_NAME),
         "rules": [{"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": meta(WEBHOOK_NAME),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": WEBHOOK_NAME},
         "subjects": [{"kind": "ServiceAccount", "name": WEBHOOK_NAME, "namespace": namespace}]},
        {"apiVersion": "v1", "kind": "Service", "metadata": meta(WEBHOOK_NAME, namespace, labels),
         "spec": {"selector": dict(selector),
                  "ports": [{"name": "https", "port": 443, "targetPort": WEBHOOK_PORT, "protocol": "TCP"}]}},
        _webhook_deployment(component, labels, selector),
        {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta(WEBHOOK_NAME, namespace, labels),
         "spec": {"minAvailable": 1, "selector": {"matchLabels": dict(selector)}}},
        {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
         "metadata": meta(WEBHOOK_NAME),
         "webhooks": [{
             "name": WEBHOOK_ENTRY,
             "admissionReviewVersions": ["v1"],
             "clientConfig": {"service": {"namespace": namespace, "name": WEBHOOK_NAME, "path": WEBHOOK_PATH,
                                          "port": 443}},
             "rules": [dict(_pod_rule(["CREATE"]), scope="Namespaced")],
             "namespaceSelector": namespace_selector(excluded),
             "matchPolicy": "Equivalent",
             "failurePolicy": "Fail",
             "sideEffects": "None",
             "timeoutSeconds": 5,
             "reinvocationPolicy": "Never",
         }]},
        webhook_callers_policy(namespace),
    ]


def _webhook_deployment(component, labels, selector):
    """Two replicas of the reference's webhook, with the serving pair of its Secret mounted."""
    container = {
        "name": WEBHOOK_NAME,
        "image": component["image"],
        "imagePullPolicy": "IfNotPresent",
        "args": ["--tls-cert-file=/etc/webhook/certs/tls.crt", "--tls-key-file=/etc/webhook/certs/tls.key",
                 "--port-security=true", "--routes="],
        "ports": [{"containerPort": WEBHOOK_PORT, "name": "https"}],
        "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"cpu": "100m", "memory": "128Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "webhook-certs", "mountPath": "/etc/webhook/certs", "readOnly": True}],
    }
    pod_spec = {
        "serviceAccountName": WEBHOOK_NAME,
        # it fails closed: pods outside the system namespaces cannot be created while it is down
        "priorityClassName": "system-cluster-critical",
        "securityContext": {"runAsNonRoot": True, "runAsUser": 65534, "fsGroup": 65534,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100, "podAffinityTerm": {"labelSelector": {"matchLabels": dict(selector)},
                                                "topologyKey": "kubernetes.io/hostname"}}]}},
        "containers": [container],
        "tolerations": [{"effect": "NoSchedule", "operator": "Exists"}, {"effect": "NoExecute", "operator": "Exists"},
                        {"key": "CriticalAddonsOnly", "operator": "Exists"}],
        # only the serving pair: the CA key in the same Secret stays out of the pod
        "volumes": [{"name": "webhook-certs", "secret": {
            "secretName": WEBHOOK_TLS_SECRET, "defaultMode": 0o400,
            "items": [{"key": "tls.crt", "path": "tls.crt"}, {"key": "tls.key", "path": "tls.key"}]}}],
    }
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": meta(WEBHOOK_NAME, component["namespace"], labels),
            "spec": {"replicas": 2, "selector": {"matchLabels": dict(selector)},
                     "template": {"metadata": {"labels": dict(labels)}, "spec": pod_spec}}}


def webhook_callers_policy(namespace):
    """Only the API server may call the webhook: deny every pod and the world on its port (deny-only, at the
    webhook's end, so it holds whoever does the Service DNAT). The API server comes as ``host`` or
    ``kube-apiserver``/``remote-node``, which carry no pod namespace label and are not matched."""
    ports = [{"ports": [{"port": str(WEBHOOK_PORT), "protocol": "TCP"}]}]
    return {
        "apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",
        "metadata": meta(WEBHOOK_CALLERS_POLICY),
        "spec": {
            "description": "Only the API server calls the port-security webhook: pods and the world may not.",
            "endpointSelector": {"matchLabels": {"k8s:io.kubernetes.pod.namespace": namespace,
                                                 "app.kubernetes.io/name": WEBHOOK_NAME}},
            "enableDefaultDeny": {"ingress": False, "egress": False},
            "ingressDeny": [
                {"fromEndpoints": [{"matchExpressions": [{"key": "k8s:io.kubernetes.pod.namespace",
                                                          "operator": "Exists"}]}],
                 "toPorts": ports},
                {"fromEntities": ["world"], "toPorts": ports},
            ],
        },
    }


def _reference(obj):
    """What identifies ``obj``, shaped as an object: the role deletes the whole list in one ``k8s`` task."""
    metadata = {"name": obj["metadata"]["name"]}
    if obj["metadata"].get("namespace"):
        metadata["namespace"] = obj["metadata"]["namespace"]
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": metadata}


def _webhook_references(component):
    objects = webhook_objects(component, ())
    objects.append({"apiVersion": "v1", "kind": "Secret", "metadata": meta(WEBHOOK_TLS_SECRET, component["namespace"])})
    # the configuration first: the API server stops calling the webhook before it goes away
    return sorted((_reference(obj) for obj in objects), key=lambda ref: ref["kind"] != "MutatingWebhookConfiguration")


# --- the plan ------------------------------------------------------------------------------------------

def port_security_plan(enabled, kubernetes_version, system_namespaces, component):
    """``{"enabled", "mechanism", "excluded_namespaces", "objects", "remove", "webhook_tls"}``.

    ``remove`` lists what an earlier run may have left that this one does not want: the webhook once the cluster
    serves MutatingAdmissionPolicy, everything when the feature is off (MutatingAdmissionPolicy objects only on
    clusters that serve them, so deleting never asks for a kind the server does not know).
    """
    excluded = excluded_namespaces(system_namespaces)
    how = mechanism(kubernetes_version)
    mutating = [mutating_policy(excluded), mutating_binding()]
    validating = [validating_policy(excluded), validating_binding()]
    result = {"enabled": bool(enabled), "mechanism": how if enabled else None, "excluded_namespaces": excluded,
              "objects": [], "remove": [], "webhook_tls": None}
    if not enabled:
        # the validating policy first: with it gone no pod can be refused while the rest is removed
        result["remove"] = [_reference(o) for o in validating]
        if how == ADMISSION_POLICY:
            result["remove"] += [_reference(o) for o in mutating]
        result["remove"] += _webhook_references(component)
        return result
    if how == ADMISSION_POLICY:
        result["objects"] = mutating + validating
        result["remove"] = _webhook_references(component)
    else:
        result["objects"] = webhook_objects(component, excluded) + validating
        namespace = component["namespace"]
        result["webhook_tls"] = {"namespace": namespace, "secret": WEBHOOK_TLS_SECRET, "service": WEBHOOK_NAME,
                                 "dns_names": webhook_dns_names(namespace), "configuration": WEBHOOK_NAME,
                                 "webhook": WEBHOOK_ENTRY, "deployment": WEBHOOK_NAME,
                                 "checksum_annotation": TLS_CHECKSUM_ANNOTATION,
                                 "labels": meta(WEBHOOK_TLS_SECRET)["labels"]}
    return result
