# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ValidatingAdmissionPolicies that stop one tenant from claiming another tenant's hostnames.

Six policies (``admissionregistration.k8s.io/v1``), each with a binding of the
same name that only denies (no ``paramKind``, no ``matchResources``: scoping is
done by ``matchConditions``), as in the reference (facts file section 3.3):

* ``cozystack-gateway-hostname-policy``: every Gateway listener hostname in a
  tenant namespace lies inside the namespace's apex (label
  ``namespace.cozystack.io/host``) or one of the apexes the platform delegated
  to that Gateway (annotation ``netstack.baremetal/gateway-apexes``, set by the
  gateway area for inheriting sub-tenants whose apex is outside the owner's);
* ``cozystack-route-hostname-policy`` (HTTPRoute, GRPCRoute) and
  ``cozystack-route-hostname-policy-tls`` (TLSRoute): every ``spec.hostnames``
  entry inside the same apexes (cert-manager's HTTP-01 solver routes for a
  delegated apex live in the owner's namespace); a route *without* hostnames takes every hostname of
  the listener it attaches to, so it may only attach to Gateways of its own
  namespace;
* ``cozystack-ingress-hostname-policy``: every Ingress rule host and TLS host
  inside the apex; no default backend, no rule without a host;
* ``cozystack-namespace-host-label-policy``: the apex label, the gateway
  locator label, the per-Gateway attach labels and the delegated-apexes
  annotation are set, changed and removed by trusted callers only;
* ``cozystack-tenant-host-policy``: ``spec.host`` of a Cozystack ``Tenant``
  (``apps.cozystack.io``) changes only for trusted callers (harmless where that
  API is not served).

Where they fail closed (see docs/gateway.md): every hostname policy denies in a
tenant namespace that has no apex label (the reference lets Gateways through
there), denies hostnames that are not well-formed DNS names (empty, ``*``,
trailing dot, ``*`` in the middle), compares case-insensitively, and
``failurePolicy: Fail`` turns every evaluation error into a denial.  There is
no trusted-caller bypass on the hostname policies: in the reference platform
tenant workloads are deployed by Flux, a trusted caller, so a bypass would let
any tenant chart claim any name.

Only CEL functions of Kubernetes' base environment are used (the test suite
keeps an allow-list): ``has``, the ``all``/``exists``/``map``/``filter``
macros, ``size``, ``startsWith``, ``endsWith``, ``matches`` and the string
extension functions ``lowerAscii``, ``split`` and ``join``.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

API_VERSION = "admissionregistration.k8s.io/v1"
POLICY_KIND = "ValidatingAdmissionPolicy"
BINDING_KIND = "ValidatingAdmissionPolicyBinding"

TENANT_NAMESPACE_PREFIX = "tenant-"
HOST_LABEL = "namespace.cozystack.io/host"
GATEWAY_LOCATOR_LABEL = "namespace.cozystack.io/gateway"
# namespaces whose routes may attach to the Gateway of tenant namespace <ns> carry <prefix><ns>: "true"
ATTACH_LABEL_PREFIX = "gateway.netstack.baremetal/"
# comma-separated apexes of inheriting sub-tenants outside the owner's apex (set on the owner's namespace)
APEXES_ANNOTATION = "netstack.baremetal/gateway-apexes"

REFERENCE_LABELS = {"internal.cozystack.io/managed-by-cozystack": ""}
MANAGED_BY = {"app.kubernetes.io/managed-by": "netstack.baremetal"}

# A well-formed (lower-cased) hostname, optionally with one leading "*." wildcard label.
HOSTNAME_REGEX = r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"

GATEWAY_POLICY = "cozystack-gateway-hostname-policy"
ROUTE_POLICY = "cozystack-route-hostname-policy"
TLS_ROUTE_POLICY = "cozystack-route-hostname-policy-tls"
INGRESS_POLICY = "cozystack-ingress-hostname-policy"
NAMESPACE_POLICY = "cozystack-namespace-host-label-policy"
TENANT_POLICY = "cozystack-tenant-host-policy"
POLICY_NAMES = (GATEWAY_POLICY, ROUTE_POLICY, TLS_ROUTE_POLICY, INGRESS_POLICY, NAMESPACE_POLICY, TENANT_POLICY)


def _quote(text):
    """A CEL single-quoted string literal."""
    return "'%s'" % text.replace("\\", "\\\\").replace("'", "\\'")


def _list(items):
    return "[%s]" % ", ".join(_quote(i) for i in items)


# --- CEL building blocks ----------------------------------------------------

def _tenant_condition():
    return {"name": "tenant-namespace",
            "expression": "request.namespace.startsWith(%s)" % _quote(TENANT_NAMESPACE_PREFIX)}


def _apex_variable():
    label = _quote(HOST_LABEL)
    return {"name": "apex",
            "expression": "has(namespaceObject.metadata.labels) && %s in namespaceObject.metadata.labels ? "
                          "namespaceObject.metadata.labels[%s].lowerAscii() : ''" % (label, label)}


def _trusted_variable(groups):
    return {"name": "trusted",
            "expression": "has(request.userInfo.groups) && request.userInfo.groups.exists(g, g in %s)"
                          % _list(groups)}


def _inside(var, apexes):
    """CEL: the (lower-cased) hostname ``var`` is well formed and inside one of the list ``apexes``."""
    return ("%s.matches(%s) && %s.exists(a, %s == a || %s.endsWith('.' + a))"
            % (var, _quote(HOSTNAME_REGEX), apexes, var, var))


def _no_apex_validation(what):
    return {"expression": "variables.apex != ''", "reason": "Forbidden",
            "message": "namespace has no %s label: %s in tenant namespaces are refused until the platform sets "
                       "the tenant's apex" % (HOST_LABEL, what)}


def _meta(name):
    labels = dict(REFERENCE_LABELS)
    labels.update(MANAGED_BY)
    return {"name": name, "labels": labels}


def _policy(name, rules, conditions, variables, validations):
    return {
        "apiVersion": API_VERSION, "kind": POLICY_KIND, "metadata": _meta(name),
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {"matchPolicy": "Equivalent", "resourceRules": rules},
            "matchConditions": conditions,
            "variables": variables,
            "validations": validations,
        },
    }


def _binding(name):
    return {"apiVersion": API_VERSION, "kind": BINDING_KIND, "metadata": _meta(name),
            "spec": {"policyName": name, "validationActions": ["Deny"]}}


def _rule(group, versions, resources):
    return {"apiGroups": [group], "apiVersions": list(versions), "operations": ["CREATE", "UPDATE"],
            "resources": list(resources)}


# --- the policies -----------------------------------------------------------

def _apex_variables():
    """``apex`` (the namespace's own), ``delegated`` (apexes of inheriting sub-tenants outside it, set by the
    gateway area on the Gateway owner's namespace) and ``apexes`` (both)."""
    annotation = _quote(APEXES_ANNOTATION)
    return [
        _apex_variable(),
        {"name": "delegated",
         "expression": "has(namespaceObject.metadata.annotations) && %s in namespaceObject.metadata.annotations ? "
                       "namespaceObject.metadata.annotations[%s].lowerAscii().split(',').filter(a, a != '') : []"
                       % (annotation, annotation)},
        {"name": "apexes",
         "expression": "(variables.apex == '' ? [] : [variables.apex]) + variables.delegated"},
    ]


def gateway_hostname_policy():
    variables = _apex_variables() + [
        {"name": "hostnames",
         "expression": "has(object.spec.listeners) ? object.spec.listeners.filter(l, has(l.hostname))"
                       ".map(l, l.hostname.lowerAscii()) : []"},
        {"name": "foreign",
         "expression": "variables.hostnames.filter(h, !(%s))" % _inside("h", "variables.apexes")},
    ]
    validations = [
        _no_apex_validation("Gateways"),
        {"expression": "size(variables.foreign) == 0", "reason": "Forbidden",
         "message": "every Gateway listener hostname must lie inside the namespace's apex",
         "messageExpression": "'listener hostname(s) ' + variables.foreign.join(', ') + ' outside the apex ' + "
                              "variables.apex + ' of namespace ' + request.namespace"},
    ]
    return _policy(GATEWAY_POLICY, [_rule("gateway.networking.k8s.io", ["*"], ["gateways"])],
                   [_tenant_condition()], variables, validations)


def _route_policy(name, resources, kind):
    variables = _apex_variables() + [
        {"name": "hostnames",
         "expression": "has(object.spec.hostnames) ? object.spec.hostnames.map(h, h.lowerAscii()) : []"},
        {"name": "foreign",
         "expression": "variables.hostnames.filter(h, !(%s))" % _inside("h", "variables.apexes")},
        {"name": "localParents",
         "expression": "!has(object.spec.parentRefs) || object.spec.parentRefs.all(p, !has(p.namespace) || "
                       "p.namespace == request.namespace)"},
    ]
    validations = [
        _no_apex_validation("%ss" % kind),
        {"expression": "size(variables.foreign) == 0", "reason": "Forbidden",
         "message": "every %s hostname must lie inside the namespace's apex" % kind,
         "messageExpression": "'hostname(s) ' + variables.foreign.join(', ') + ' outside the apex ' + "
                              "variables.apex + ' of namespace ' + request.namespace"},
        {"expression": "size(variables.hostnames) > 0 || variables.localParents", "reason": "Forbidden",
         "message": "a %s without hostnames takes every hostname of its listener: it may only attach to "
                    "Gateways in its own namespace; list its hostnames" % kind},
    ]
    return _policy(name, [_rule("gateway.networking.k8s.io", ["*"], resources)], [_tenant_condition()],
                   variables, validations)


def route_hostname_policy():
    return _route_policy(ROUTE_POLICY, ["httproutes", "grpcroutes"], "route")


def tls_route_hostname_policy():
    return _route_policy(TLS_ROUTE_POLICY, ["tlsroutes"], "TLSRoute")


def ingress_hostname_policy():
    inside = _inside("h", "[variables.apex]")
    variables = [
        _apex_variable(),
        {"name": "rules", "expression": "has(object.spec.rules) ? object.spec.rules : []"},
        {"name": "hosts",
         "expression": "variables.rules.filter(r, has(r.host)).map(r, r.host.lowerAscii())"},
        {"name": "foreign", "expression": "variables.hosts.filter(h, !(%s))" % inside},
        {"name": "tlsInside",
         "expression": "!has(object.spec.tls) || object.spec.tls.all(t, !has(t.hosts) || "
                       "t.hosts.map(x, x.lowerAscii()).all(h, %s))" % inside},
    ]
    validations = [
        _no_apex_validation("Ingresses"),
        {"expression": "!has(object.spec.defaultBackend)", "reason": "Forbidden",
         "message": "an Ingress default backend takes every hostname: tenant Ingresses must name their hosts"},
        {"expression": "variables.rules.all(r, has(r.host) && r.host != '')", "reason": "Forbidden",
         "message": "every Ingress rule needs a host inside the namespace's apex"},
        {"expression": "size(variables.foreign) == 0", "reason": "Forbidden",
         "message": "every Ingress host must lie inside the namespace's apex",
         "messageExpression": "'host(s) ' + variables.foreign.join(', ') + ' outside the apex ' + variables.apex "
                              "+ ' of namespace ' + request.namespace"},
        {"expression": "variables.tlsInside", "reason": "Forbidden",
         "message": "every Ingress TLS host must lie inside the namespace's apex"},
    ]
    return _policy(INGRESS_POLICY, [_rule("networking.k8s.io", ["v1"], ["ingresses"])], [_tenant_condition()],
                   variables, validations)


def _protected_label(key):
    return "(%s == %s || %s == %s || %s.startsWith(%s))" % (
        key, _quote(HOST_LABEL), key, _quote(GATEWAY_LOCATOR_LABEL), key, _quote(ATTACH_LABEL_PREFIX))


def namespace_label_policy(trusted_groups):
    annotation = _quote(APEXES_ANNOTATION)
    protected = _protected_label("k")

    def carries(obj):
        return ("(has(%s.metadata.labels) && %s.metadata.labels.exists(k, %s)) || "
                "(has(%s.metadata.annotations) && %s in %s.metadata.annotations)"
                % (obj, obj, protected, obj, annotation, obj))
    conditions = [{"name": "protected-keys",
                   "expression": "%s || (oldObject != null && (%s))" % (carries("object"), carries("oldObject"))}]
    variables = [
        _trusted_variable(trusted_groups),
        {"name": "oldLabels",
         "expression": "oldObject != null && has(oldObject.metadata.labels)"},
        {"name": "labelsAddedOrChanged",
         "expression": "has(object.metadata.labels) && object.metadata.labels.exists(k, %s && "
                       "!(variables.oldLabels && k in oldObject.metadata.labels && "
                       "oldObject.metadata.labels[k] == object.metadata.labels[k]))" % protected},
        {"name": "labelsRemoved",
         "expression": "variables.oldLabels && oldObject.metadata.labels.exists(k, %s && "
                       "!(has(object.metadata.labels) && k in object.metadata.labels))" % protected},
        {"name": "newApexes",
         "expression": "has(object.metadata.annotations) && %s in object.metadata.annotations" % annotation},
        {"name": "oldApexes",
         "expression": "oldObject != null && has(oldObject.metadata.annotations) && "
                       "%s in oldObject.metadata.annotations" % annotation},
        {"name": "apexesChanged",
         "expression": "variables.newApexes != variables.oldApexes || (variables.newApexes && "
                       "object.metadata.annotations[%s] != oldObject.metadata.annotations[%s])"
                       % (annotation, annotation)},
    ]
    validations = [
        {"expression": "variables.trusted || !(variables.labelsAddedOrChanged || variables.labelsRemoved || "
                       "variables.apexesChanged)", "reason": "Forbidden",
         "message": "only the platform (groups %s) may set, change or remove the tenant apex label %s, the "
                    "gateway labels %s and %s*, and the annotation %s"
                    % (", ".join(trusted_groups), HOST_LABEL, GATEWAY_LOCATOR_LABEL, ATTACH_LABEL_PREFIX,
                       APEXES_ANNOTATION)},
    ]
    return _policy(NAMESPACE_POLICY, [_rule("", ["v1"], ["namespaces"])], conditions, variables, validations)


def tenant_host_policy(trusted_groups):
    def host(obj):
        return "has(%s.spec) && has(%s.spec.host) ? string(%s.spec.host) : ''" % (obj, obj, obj)
    conditions = [{"name": "host-set",
                   "expression": "(has(object.spec) && has(object.spec.host) && string(object.spec.host) != '') || "
                                 "(oldObject != null && has(oldObject.spec) && has(oldObject.spec.host) && "
                                 "string(oldObject.spec.host) != '')"}]
    variables = [
        _trusted_variable(trusted_groups),
        {"name": "newHost", "expression": host("object")},
        {"name": "oldHost", "expression": "oldObject == null ? '' : (%s)" % host("oldObject")},
    ]
    validations = [
        {"expression": "variables.trusted || variables.newHost == variables.oldHost", "reason": "Forbidden",
         "message": "only the platform (groups %s) may set or change a tenant's host" % ", ".join(trusted_groups)},
    ]
    return _policy(TENANT_POLICY, [_rule("apps.cozystack.io", ["*"], ["tenants"])], conditions, variables,
                   validations)


def admission_objects(trusted_groups):
    """Every policy followed by its binding (the order they are applied in)."""
    policies = [
        gateway_hostname_policy(),
        route_hostname_policy(),
        tls_route_hostname_policy(),
        ingress_hostname_policy(),
        namespace_label_policy(list(trusted_groups)),
        tenant_host_policy(list(trusted_groups)),
    ]
    objects = []
    for policy in policies:
        objects.append(policy)
        objects.append(_binding(policy["metadata"]["name"]))
    return objects


def expressions(policy):
    """Every CEL expression of a policy: ``[(where, expression)]`` (for tests and linting)."""
    spec = policy["spec"]
    found = []
    for item in spec.get("matchConditions", []):
        found.append(("matchConditions.%s" % item["name"], item["expression"]))
    for item in spec.get("variables", []):
        found.append(("variables.%s" % item["name"], item["expression"]))
    for position, item in enumerate(spec.get("validations", [])):
        found.append(("validations[%d]" % position, item["expression"]))
        if "messageExpression" in item:
            found.append(("validations[%d].messageExpression" % position, item["messageExpression"]))
    return found
