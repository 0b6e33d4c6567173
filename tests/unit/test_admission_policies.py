# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hostname-hijack admission policies, evaluated with cel-python as the API server would.

``Admission`` below runs a ValidatingAdmissionPolicy against a realistic
admission request (``object``, ``oldObject``, ``namespaceObject``,
``request`` with ``userInfo``) in the API server's order: the resource rules,
then ``matchConditions`` (all must hold; an error denies under
``failurePolicy: Fail``), then ``variables`` (in order, each may use the
earlier ones), then ``validations`` (a false result or an error denies; the
message comes from ``messageExpression`` when there is one).

cel-python lacks parts of Kubernetes' CEL environment; the harness emulates them:

* the string extension functions ``lowerAscii``, ``upperAscii``, ``split`` and
  ``join`` (cel-go ``ext.Strings``, in Kubernetes' base environment since 1.27)
  are given as Python functions with the same semantics on ASCII input;
* ``x == null`` / ``x != null`` on a map: cel-go compares heterogeneously
  (Kubernetes' own CEL tests compile ``oldObject == null``), cel-python raises
  "no such overload", so ``_==_`` and ``_!=_`` are wrapped to handle null.

Everything else (``has``, macros, ``matches``, ``in``, ``+`` on lists, ``size``)
is cel-python's own.  ``test_functions_are_kubernetes_cel`` keeps the policies
inside an explicit allow-list of what Kubernetes 1.33 offers, so a function
that only the emulation knows cannot slip in.
"""
from __future__ import absolute_import, division, print_function

import copy
import os
import re
import shutil
import subprocess

import celpy
import pytest
from celpy import celtypes, evaluation
from celpy.celparser import CELParser
from hypothesis import given, settings, strategies as st

from ansible_collections.netstack.baremetal.plugins.module_utils import admission_policies as ap
from ansible_collections.netstack.baremetal.plugins.module_utils import schema
from ansible_collections.netstack.baremetal.plugins.module_utils.yamlout import dump_yaml_all

import k8s_schema

TRUSTED = list(schema.GATEWAY_TRUSTED_GROUPS)
UNTRUSTED_GROUPS = ["system:authenticated", "tenant-alice-admins"]
FLUX_GROUPS = ["system:serviceaccounts", "system:serviceaccounts:cozy-fluxcd", "system:authenticated"]

# --- what Kubernetes 1.33 offers --------------------------------------------

# CEL standard functions and macros, and the cel-go string extension library (ext.Strings) that Kubernetes adds to
# its base environment. Kubernetes also has lists/regex/url/quantity/ip/cidr/semver/authz libraries and optional
# types; the policies need none of them, so they stay off the list and any use fails the test.
KUBERNETES_CEL_FUNCTIONS = frozenset([
    "has", "all", "exists", "exists_one", "map", "filter",                       # macros
    "size", "startsWith", "endsWith", "contains", "matches",                     # standard
    "string", "int", "uint", "double", "bool", "bytes", "type", "duration", "timestamp",
    "lowerAscii", "upperAscii", "split", "join", "indexOf", "lastIndexOf",       # ext.Strings
    "replace", "substring", "trim", "charAt",
])
EMULATED = frozenset(["lowerAscii", "upperAscii", "split", "join"])
MACROS = frozenset(["all", "exists", "exists_one", "map", "filter"])
# Variables a ValidatingAdmissionPolicy expression sees (matchConditions: no namespaceObject, no variables).
POLICY_ROOTS = frozenset(["object", "oldObject", "request", "namespaceObject", "variables"])
CONDITION_ROOTS = frozenset(["object", "oldObject", "request"])


def _str(value):
    return celtypes.StringType(value)


def _null_safe(op):
    def compare(a, b):
        if a is None or b is None:
            same = a is None and b is None
            return celtypes.BoolType(same if op == "==" else not same)
        return (evaluation.bool_eq if op == "==" else evaluation.bool_ne)(a, b)
    return compare


FUNCTIONS = {
    "lowerAscii": lambda s: _str(re.sub(r"[A-Z]+", lambda m: m.group(0).lower(), str(s))),
    "upperAscii": lambda s: _str(re.sub(r"[a-z]+", lambda m: m.group(0).upper(), str(s))),
    "split": lambda s, sep: celtypes.ListType([_str(p) for p in str(s).split(str(sep))]),
    "join": lambda items, sep=_str(""): _str(str(sep).join(str(i) for i in items)),
    "_==_": _null_safe("=="),
    "_!=_": _null_safe("!="),
}

_ENV = celpy.Environment()
_PROGRAMS = {}


def program(expression):
    if expression not in _PROGRAMS:
        _PROGRAMS[expression] = _ENV.program(_ENV.compile(expression), functions=FUNCTIONS)
    return _PROGRAMS[expression]


class Decision:
    def __init__(self, matched, allowed, messages, errors):
        self.matched, self.allowed, self.messages, self.errors = matched, allowed, messages, errors

    def __repr__(self):
        return "Decision(matched=%s, allowed=%s, messages=%r, errors=%r)" % (
            self.matched, self.allowed, self.messages, self.errors)


def _evaluate(expression, activation):
    try:
        result = program(expression).evaluate(activation)
    except Exception as exc:          # celpy raises CELEvalError for runtime errors
        return None, exc
    if isinstance(result, Exception):
        return None, result
    return result, None


def _rule_matches(rule, group, version, resource, operation):
    return ((group in rule["apiGroups"] or "*" in rule["apiGroups"])
            and (version in rule["apiVersions"] or "*" in rule["apiVersions"])
            and (resource in rule["resources"] or "*" in rule["resources"])
            and (operation in rule["operations"] or "*" in rule["operations"]))


RESOURCES = {
    "Gateway": ("gateway.networking.k8s.io", "v1", "gateways"),
    "HTTPRoute": ("gateway.networking.k8s.io", "v1", "httproutes"),
    "GRPCRoute": ("gateway.networking.k8s.io", "v1", "grpcroutes"),
    "TLSRoute": ("gateway.networking.k8s.io", "v1alpha2", "tlsroutes"),
    "Ingress": ("networking.k8s.io", "v1", "ingresses"),
    "Namespace": ("", "v1", "namespaces"),
    "Tenant": ("apps.cozystack.io", "v1alpha1", "tenants"),
}


def admission_request(obj, old=None, operation=None, groups=(), username="jane"):
    """The ``request`` variable of an admission review for ``obj`` (or ``old`` on DELETE)."""
    subject = obj if obj is not None else old
    group, version, resource = RESOURCES[subject["kind"]]
    operation = operation or ("UPDATE" if old is not None else "CREATE")
    metadata = subject.get("metadata") or {}
    request = {
        "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
        "kind": {"group": group, "version": version, "kind": subject["kind"]},
        "resource": {"group": group, "version": version, "resource": resource},
        "requestKind": {"group": group, "version": version, "kind": subject["kind"]},
        "requestResource": {"group": group, "version": version, "resource": resource},
        "name": metadata.get("name", ""),
        "operation": operation,
        "userInfo": {"username": username, "uid": "u-1"},
        "dryRun": False,
    }
    if groups is not None:
        request["userInfo"]["groups"] = list(groups)
    # cluster-scoped Namespaces: the request carries no namespace
    request["namespace"] = "" if subject["kind"] == "Namespace" else metadata.get("namespace", "")
    return request


class Admission:
    """The admission policies of a bundle, evaluated like kube-apiserver does."""

    def __init__(self, objects):
        self.policies = dict((o["metadata"]["name"], o) for o in objects if o["kind"] == ap.POLICY_KIND)
        self.bindings = dict((o["spec"]["policyName"], o) for o in objects if o["kind"] == ap.BINDING_KIND)

    def review(self, obj, old=None, namespace=None, groups=tuple(UNTRUSTED_GROUPS), username="jane",
               operation=None):
        """Every bound policy over one request; ``namespace`` is the Namespace object (namespaceObject)."""
        request = admission_request(obj, old, operation, groups, username)
        decisions = {}
        for name, policy in sorted(self.policies.items()):
            if name not in self.bindings:
                continue
            decision = self.evaluate(policy, request, obj, old, namespace)
            if decision.matched:
                decisions[name] = decision
        return decisions

    def allowed(self, *args, **kwargs):
        decisions = self.review(*args, **kwargs)
        return all(d.allowed for d in decisions.values()), decisions

    @staticmethod
    def evaluate(policy, request, obj, old=None, namespace=None):
        spec = policy["spec"]
        resource = request["resource"]
        if not any(_rule_matches(rule, resource["group"], resource["version"], resource["resource"],
                                 request["operation"]) for rule in spec["matchConstraints"]["resourceRules"]):
            return Decision(False, True, [], [])
        activation = {
            "object": celpy.json_to_cel(obj),
            "oldObject": celpy.json_to_cel(old),
            "request": celpy.json_to_cel(request),
            "namespaceObject": celpy.json_to_cel(namespace),
        }
        errors = []
        condition_activation = dict((k, v) for k, v in activation.items() if k in CONDITION_ROOTS)
        for condition in spec.get("matchConditions", []):
            result, error = _evaluate(condition["expression"], condition_activation)
            if error is not None:
                message = "matchCondition %s failed: %s" % (condition["name"], error)
                return Decision(True, spec.get("failurePolicy") != "Fail", [message], [error])
            if not result:
                return Decision(False, True, [], [])
        variables = {}
        for variable in spec.get("variables", []):
            activation["variables"] = celtypes.MapType(dict((_str(k), v) for k, v in variables.items()))
            result, error = _evaluate(variable["expression"], activation)
            if error is not None:
                errors.append("variable %s: %s" % (variable["name"], error))
                continue
            variables[variable["name"]] = result
        activation["variables"] = celtypes.MapType(dict((_str(k), v) for k, v in variables.items()))
        messages = []
        allowed = True
        for validation in spec["validations"]:
            result, error = _evaluate(validation["expression"], activation)
            if error is not None:
                errors.append("validation %s: %s" % (validation["expression"], error))
                allowed = False
                messages.append("error: %s" % error)
                continue
            if not result:
                allowed = False
                message = validation.get("message", "")
                if "messageExpression" in validation:
                    text, error = _evaluate(validation["messageExpression"], activation)
                    if error is None:
                        message = str(text)
                messages.append(message)
        return Decision(True, allowed, messages, errors)


# --- fixtures: a small cluster ----------------------------------------------

def namespace(name, host=None, labels=None, annotations=None):
    meta = {"name": name, "labels": dict({"kubernetes.io/metadata.name": name}, **(labels or {}))}
    if host is not None:
        meta["labels"][ap.HOST_LABEL] = host
    if annotations:
        meta["annotations"] = dict(annotations)
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


CLUSTER = {
    "tenant-root": namespace("tenant-root", "example.org", {ap.ATTACH_LABEL_PREFIX + "tenant-root": "true",
                                                            ap.GATEWAY_LOCATOR_LABEL: "tenant-root"},
                             {ap.APEXES_ANNOTATION: "bob.example.net"}),
    "tenant-alice": namespace("tenant-alice", "alice.example.org", {ap.GATEWAY_LOCATOR_LABEL: "tenant-alice"}),
    "tenant-alice-dev": namespace("tenant-alice-dev", "dev.alice.example.org",
                                  {ap.GATEWAY_LOCATOR_LABEL: "tenant-alice"}),
    "tenant-bob": namespace("tenant-bob", "bob.example.net", {ap.GATEWAY_LOCATOR_LABEL: "tenant-root"}),
    "tenant-ghost": namespace("tenant-ghost"),               # a tenant-* namespace without the apex label
    "cozy-dashboard": namespace("cozy-dashboard"),
}


def gateway(ns, *hostnames, **extra):
    listeners = [{"name": "http", "port": 80, "protocol": "HTTP"}]
    for position, hostname in enumerate(hostnames):
        listener = {"name": "https-%d" % position, "port": 443, "protocol": "HTTPS", "hostname": hostname}
        listeners.append(listener)
    obj = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
           "metadata": {"name": "cozystack", "namespace": ns},
           "spec": {"gatewayClassName": "cilium", "listeners": listeners}}
    obj["spec"].update(extra)
    return obj


def route(ns, hostnames=None, kind="HTTPRoute", parents=None):
    spec = {"parentRefs": parents if parents is not None else [{"name": "cozystack"}]}
    if hostnames is not None:
        spec["hostnames"] = list(hostnames)
    return {"apiVersion": "gateway.networking.k8s.io/v1alpha2" if kind == "TLSRoute" else
            "gateway.networking.k8s.io/v1", "kind": kind, "metadata": {"name": "app", "namespace": ns},
            "spec": spec}


def ingress(ns, hosts=(), tls_hosts=None, default_backend=False, hostless_rule=False):
    spec = {"rules": [{"host": h, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
        "service": {"name": "app", "port": {"number": 80}}}}]}} for h in hosts]}
    if hostless_rule:
        spec["rules"].append({"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
            "service": {"name": "app", "port": {"number": 80}}}}]}})
    if tls_hosts is not None:
        spec["tls"] = [{"hosts": list(tls_hosts), "secretName": "app-tls"}]
    if default_backend:
        spec["defaultBackend"] = {"service": {"name": "app", "port": {"number": 80}}}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "app", "namespace": ns},
            "spec": spec}


def tenant(name, host, ns="tenant-root"):
    obj = {"apiVersion": "apps.cozystack.io/v1alpha1", "kind": "Tenant", "metadata": {"name": name, "namespace": ns},
           "spec": {}}
    if host is not None:
        obj["spec"]["host"] = host
    return obj


@pytest.fixture(scope="module")
def admission():
    return Admission(ap.admission_objects(TRUSTED))


def decide(admission, obj, old=None, groups=tuple(UNTRUSTED_GROUPS), **kwargs):
    subject = obj if obj is not None else old
    ns = None
    if subject["kind"] != "Namespace":
        ns = CLUSTER.get(subject["metadata"].get("namespace"))
    allowed, decisions = admission.allowed(obj, old, ns, groups, **kwargs)
    for decision in decisions.values():
        # a denial must come from a validation that evaluated to false, never from an evaluation error
        assert not decision.errors, decision
    return allowed, decisions


# --- the objects themselves -------------------------------------------------

def test_objects_are_valid_kubernetes_1_33(admission):
    objects = ap.admission_objects(TRUSTED)
    assert [o["kind"] for o in objects] == [ap.POLICY_KIND, ap.BINDING_KIND] * len(ap.POLICY_NAMES)
    assert sorted(admission.policies) == sorted(ap.POLICY_NAMES)
    for obj in objects:
        assert k8s_schema.validate_manifest(obj, "1.33.0") == [], obj["metadata"]["name"]
        if obj["kind"] == ap.POLICY_KIND:
            assert obj["spec"]["failurePolicy"] == "Fail"
            assert "paramKind" not in obj["spec"]
        else:
            assert obj["spec"] == {"policyName": obj["metadata"]["name"], "validationActions": ["Deny"]}


_VENV_BIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".venv", "bin")
_CLI = shutil.which("kubernetes-validate", path=_VENV_BIN + os.pathsep + os.environ.get("PATH", ""))


@pytest.mark.skipif(_CLI is None, reason="kubernetes-validate CLI not installed")
def test_kubernetes_validate_cli_strict(tmp_path):
    """The same check through the tool's own command line: ``kubernetes-validate -k 1.33.0 --strict``."""
    path = tmp_path / "admission-policies.yaml"
    path.write_text(dump_yaml_all(ap.admission_objects(TRUSTED)))
    tool = _CLI
    result = subprocess.run([tool, "-k", "1.33.0", "--strict", str(path)], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(" passed for resource ") == 2 * len(ap.POLICY_NAMES), result.stdout


# --- the CEL itself ---------------------------------------------------------

def _calls_and_roots(expression):
    """(functions and macros called, root identifiers read) in a CEL expression."""
    tree = CELParser().parse(expression)
    calls, roots, bound = set(), set(), set()
    for node in tree.iter_subtrees():
        if node.data == "ident_arg":
            calls.add(str(node.children[0]))
        elif node.data == "member_dot_arg":
            name = str(node.children[1])
            calls.add(name)
            if name in MACROS:      # the macro's first argument is the variable it binds
                first = node.children[2].children[0]
                bound.update(str(n.children[0]) for n in first.iter_subtrees() if n.data == "ident")
        elif node.data == "ident":
            roots.add(str(node.children[0]))
    # ``has(x.y)`` and the relation/arith tokens are not calls; ``in`` is an operator
    return calls, roots - bound, bound


def _all_expressions():
    for policy in ap.admission_objects(TRUSTED):
        if policy["kind"] == ap.POLICY_KIND:
            for where, expression in ap.expressions(policy):
                yield policy["metadata"]["name"], where, expression


@pytest.mark.parametrize("name,where,expression", list(_all_expressions()),
                         ids=["%s:%s" % (n, w) for n, w, _e in _all_expressions()])
def test_expression_compiles_within_kubernetes_cel(name, where, expression):
    program(expression)   # parses and compiles with cel-python
    calls, roots, _bound = _calls_and_roots(expression)
    assert calls <= KUBERNETES_CEL_FUNCTIONS, "not in Kubernetes' CEL environment: %s" % (
        calls - KUBERNETES_CEL_FUNCTIONS)
    native = set(evaluation.base_functions)
    assert calls - MACROS - {"has"} <= native | EMULATED, "neither cel-python nor the harness knows %s" % (
        calls - MACROS - {"has"} - native - EMULATED)
    allowed_roots = CONDITION_ROOTS if where.startswith("matchConditions") else POLICY_ROOTS
    assert roots <= allowed_roots, "unknown variables %s" % (roots - allowed_roots)


def test_variables_only_use_earlier_variables():
    for policy in ap.admission_objects(TRUSTED):
        if policy["kind"] != ap.POLICY_KIND:
            continue
        defined = []
        for variable in policy["spec"].get("variables", []):
            used = set(re.findall(r"variables\.([A-Za-z_][A-Za-z0-9_]*)", variable["expression"]))
            assert used <= set(defined), (policy["metadata"]["name"], variable["name"], used - set(defined))
            defined.append(variable["name"])
        for validation in policy["spec"]["validations"]:
            text = validation["expression"] + validation.get("messageExpression", "")
            assert set(re.findall(r"variables\.([A-Za-z_][A-Za-z0-9_]*)", text)) <= set(defined)


def test_the_allow_list_rejects_what_kubernetes_lacks():
    """The checker itself: a function Kubernetes 1.33 has no library for is caught."""
    calls, _roots, _bound = _calls_and_roots("object.spec.hostnames.sortBy(h, h).flatten().size() > 0")
    assert {"sortBy", "flatten"} <= calls - KUBERNETES_CEL_FUNCTIONS
    calls, roots, bound = _calls_and_roots("object.spec.x.all(h, h.lowerAscii() == params.y)")
    assert "params" in roots and "h" in bound and "lowerAscii" in calls


def test_emulated_functions_match_kubernetes_semantics():
    def ev(expression):
        return program(expression).evaluate({})
    assert ev("'AbC-Ü'.lowerAscii()") == "abc-Ü"        # ASCII only, as cel-go
    assert ev("'a,,b'.split(',')") == ["a", "", "b"]
    assert ev("['a', 'b'].join(', ')") == "a, b"
    assert ev("[].join(',')") == ""


# --- Gateway listener hostnames ---------------------------------------------

@pytest.mark.parametrize("ns,hostname", [
    ("tenant-alice", "alice.example.org"),
    ("tenant-alice", "app.alice.example.org"),
    ("tenant-alice", "*.alice.example.org"),
    ("tenant-alice", "App.Alice.Example.ORG"),            # DNS is case-insensitive: compared lower-cased
    ("tenant-alice", "x.dev.alice.example.org"),          # a parent owns its sub-tenants' names
    ("tenant-root", "*.example.org"),
    ("tenant-root", "bob.example.net"),                   # delegated: bob inherits root's Gateway
    ("tenant-root", "*.bob.example.net"),
    ("tenant-bob", "shop.bob.example.net"),
])
def test_gateway_listener_inside_apex_is_admitted(admission, ns, hostname):
    allowed, decisions = decide(admission, gateway(ns, hostname))
    assert allowed, decisions
    assert ap.GATEWAY_POLICY in decisions


@pytest.mark.parametrize("ns,hostname", [
    ("tenant-alice", "bob.example.net"),                  # another tenant's apex
    ("tenant-alice", "x.bob.example.net"),
    ("tenant-alice", "example.org"),                      # the parent's apex
    ("tenant-alice", "dashboard.example.org"),
    ("tenant-alice", "evilalice.example.org"),            # suffix trick
    ("tenant-alice", "alice.example.org.evil.com"),
    ("tenant-alice", "*.example.org"),                    # wildcard above the apex
    ("tenant-alice", "*"),
    ("tenant-alice", ""),                                 # empty hostname
    ("tenant-alice", "alice.example.org."),               # trailing dot
    ("tenant-alice", "a.*.alice.example.org"),            # wildcard in the middle
    ("tenant-alice", "BOB.EXAMPLE.NET"),                  # letter case does not help
    ("tenant-alice-dev", "app.alice.example.org"),        # a child claiming its parent's names
    ("tenant-alice-dev", "staging.alice.example.org"),    # ... or a sibling's
    ("tenant-alice", "shop.bob.example.net"),             # delegation belongs to root's namespace only
])
def test_gateway_listener_hijack_is_denied(admission, ns, hostname):
    allowed, decisions = decide(admission, gateway(ns, hostname))
    assert not allowed, decisions
    assert not decisions[ap.GATEWAY_POLICY].allowed


def test_gateway_message_names_the_foreign_hostnames(admission):
    _allowed, decisions = decide(admission, gateway("tenant-alice", "app.alice.example.org", "Bob.Example.Net"))
    assert decisions[ap.GATEWAY_POLICY].messages == [
        "listener hostname(s) bob.example.net outside the apex alice.example.org of namespace tenant-alice"]


def test_gateway_fails_closed_without_host_label(admission):
    """The reference lets Gateways through here; a hostname-less listener catches every name sent to its address."""
    allowed, decisions = decide(admission, gateway("tenant-ghost"))
    assert not allowed
    assert "namespace.cozystack.io/host" in decisions[ap.GATEWAY_POLICY].messages[0]
    assert not decide(admission, gateway("tenant-ghost", "anything.example.org"))[0]


def test_gateway_update_is_checked_like_create(admission):
    old = gateway("tenant-alice", "app.alice.example.org")
    assert decide(admission, gateway("tenant-alice", "app.alice.example.org", "api.example.org"), old)[0] is False
    assert decide(admission, gateway("tenant-alice", "web.alice.example.org"), old)[0] is True


def test_trusted_callers_get_no_hostname_bypass(admission):
    """Flux deploys tenant charts as a trusted service account: a bypass would let any tenant chart claim names."""
    assert not decide(admission, gateway("tenant-alice", "bob.example.net"), groups=FLUX_GROUPS)[0]
    assert not decide(admission, gateway("tenant-alice", "bob.example.net"), groups=["system:masters"])[0]
    assert not decide(admission, route("tenant-alice", ["bob.example.net"]), groups=["system:masters"])[0]


def test_non_tenant_namespaces_are_not_matched(admission):
    allowed, decisions = decide(admission, gateway("cozy-dashboard", "dashboard.example.org"))
    assert allowed and not decisions


# --- routes -----------------------------------------------------------------

@pytest.mark.parametrize("kind", ["HTTPRoute", "GRPCRoute", "TLSRoute"])
def test_route_hostnames(admission, kind):
    policy = ap.TLS_ROUTE_POLICY if kind == "TLSRoute" else ap.ROUTE_POLICY
    ok = [["app.alice.example.org"], ["alice.example.org", "*.alice.example.org"], ["API.Alice.Example.Org"]]
    bad = [["app.bob.example.net"], ["evilalice.example.org"], ["*.example.org"], [""],
           ["app.alice.example.org", "example.org"], ["x.alice.example.org."]]
    for hostnames in ok:
        allowed, decisions = decide(admission, route("tenant-alice", hostnames, kind))
        assert allowed, (hostnames, decisions)
        assert policy in decisions
    for hostnames in bad:
        allowed, decisions = decide(admission, route("tenant-alice", hostnames, kind))
        assert not allowed, hostnames
        assert not decisions[policy].allowed


@pytest.mark.parametrize("kind", ["HTTPRoute", "TLSRoute"])
def test_route_without_hostnames_only_on_own_gateway(admission, kind):
    # the parent's Gateway: an empty hostname list would take every hostname of the listener (all siblings)
    parent = [{"name": "cozystack", "namespace": "tenant-root", "sectionName": "https"}]
    assert not decide(admission, route("tenant-bob", None, kind, parent))[0]
    assert not decide(admission, route("tenant-bob", [], kind, parent))[0]
    mixed = [{"name": "cozystack"}, {"name": "cozystack", "namespace": "tenant-root"}]
    assert not decide(admission, route("tenant-bob", None, kind, mixed))[0]
    # its own Gateway: implicit or explicit own namespace
    assert decide(admission, route("tenant-bob", None, kind, [{"name": "cozystack"}]))[0]
    assert decide(admission, route("tenant-bob", None, kind, [{"name": "cozystack", "namespace": "tenant-bob"}]))[0]
    # with hostnames, attaching to the inherited Gateway is the normal case
    assert decide(admission, route("tenant-bob", ["shop.bob.example.net"], kind, parent))[0]


def test_route_fails_closed_without_host_label(admission):
    assert not decide(admission, route("tenant-ghost", ["app.example.org"]))[0]
    assert not decide(admission, route("tenant-ghost", None))[0]


def test_delegated_apexes_admit_acme_solver_routes_in_the_owner_namespace(admission):
    """cert-manager puts the HTTP-01 solver route for shop.bob.example.net in tenant-root (the owner)."""
    assert decide(admission, route("tenant-root", ["shop.bob.example.net"]),
                  groups=["system:serviceaccounts:cozy-cert-manager"])[0]
    assert not decide(admission, route("tenant-alice", ["shop.bob.example.net"]))[0]


# --- Ingress ----------------------------------------------------------------

def test_ingress(admission):
    assert decide(admission, ingress("tenant-alice", ["app.alice.example.org"], ["app.alice.example.org"]))[0]
    assert decide(admission, ingress("tenant-alice", ["*.alice.example.org", "Web.Alice.Example.Org"]))[0]
    denied = [
        ingress("tenant-alice", ["app.bob.example.net"]),
        ingress("tenant-alice", ["evilalice.example.org"]),
        ingress("tenant-alice", ["*.example.org"]),
        ingress("tenant-alice", [""]),
        ingress("tenant-alice", ["app.alice.example.org"], ["app.bob.example.net"]),
        ingress("tenant-alice", ["app.alice.example.org"], default_backend=True),
        ingress("tenant-alice", ["app.alice.example.org"], hostless_rule=True),
        ingress("tenant-alice", [], default_backend=True),
        ingress("tenant-ghost", ["app.example.org"]),
        ingress("tenant-root", ["shop.bob.example.net"]),   # delegation is for Gateways and routes only
    ]
    for obj in denied:
        allowed, decisions = decide(admission, obj)
        assert not allowed, obj["spec"]
        assert not decisions[ap.INGRESS_POLICY].allowed


# --- namespace labels -------------------------------------------------------

def _relabel(ns, labels=None, drop=(), annotations=None):
    new = copy.deepcopy(CLUSTER[ns])
    new["metadata"]["labels"].update(labels or {})
    for key in drop:
        new["metadata"]["labels"].pop(key, None)
    if annotations is not None:
        new["metadata"]["annotations"] = annotations
    return new


@pytest.mark.parametrize("change", [
    {"labels": {ap.HOST_LABEL: "example.org"}},                                   # take the parent's apex
    {"labels": {ap.HOST_LABEL: "ALICE.example.org"}},                             # even a case change
    {"drop": [ap.HOST_LABEL]},                                                    # remove it
    {"labels": {ap.GATEWAY_LOCATOR_LABEL: "tenant-root"}},                        # switch Gateways
    {"labels": {ap.ATTACH_LABEL_PREFIX + "tenant-root": "true"}},                 # attach to root's Gateway
    {"annotations": {ap.APEXES_ANNOTATION: "bob.example.net"}},                   # delegate itself an apex
])
def test_untrusted_callers_cannot_touch_protected_namespace_keys(admission, change):
    new = _relabel("tenant-alice", **change)
    allowed, decisions = decide(admission, new, CLUSTER["tenant-alice"])
    assert not allowed, change
    assert not decisions[ap.NAMESPACE_POLICY].allowed
    for groups in (["system:masters"], ["system:serviceaccounts:cozy-fluxcd", "system:serviceaccounts"]):
        assert decide(admission, new, CLUSTER["tenant-alice"], groups=groups)[0], groups


def test_namespace_label_policy_other_cases(admission):
    alice = CLUSTER["tenant-alice"]
    # an unrelated label next to the protected ones
    assert decide(admission, _relabel("tenant-alice", {"team": "web"}), alice)[0]
    # the apexes annotation removed or changed
    root = CLUSTER["tenant-root"]
    assert not decide(admission, _relabel("tenant-root", annotations={}), root)[0]
    assert not decide(admission, _relabel("tenant-root", annotations={ap.APEXES_ANNOTATION: "bob.example.net,x.io"}),
                      root)[0]
    assert decide(admission, _relabel("tenant-root", {"team": "ops"}), root)[0]
    # creating a namespace that claims an apex
    fresh = namespace("tenant-mallory", "alice.example.org")
    assert not decide(admission, fresh)[0]
    assert decide(admission, fresh, groups=["system:masters"])[0]
    # a request without groups is not trusted
    assert not decide(admission, fresh, groups=None)[0]
    # namespaces without any protected key are not this policy's business
    allowed, decisions = decide(admission, namespace("scratch", labels={"x": "y"}))
    assert allowed and ap.NAMESPACE_POLICY not in decisions


# --- Tenant apex ------------------------------------------------------------

def test_tenant_host_changes_need_a_trusted_caller(admission):
    old = tenant("alice", "alice.example.org")
    assert not decide(admission, tenant("alice", "example.org"), old)[0]
    assert not decide(admission, tenant("alice", None), old)[0]
    assert not decide(admission, tenant("mallory", "alice.example.org"))[0]
    assert decide(admission, tenant("alice", "example.org"), old, groups=["system:masters"])[0]
    changed = tenant("alice", "alice.example.org")
    changed["spec"]["etcd"] = True
    assert decide(admission, changed, old)[0]
    allowed, decisions = decide(admission, tenant("plain", None))
    assert allowed and ap.TENANT_POLICY not in decisions


# --- property: the CEL agrees with a plain Python reading of the rule ---------

_WELL_FORMED = re.compile(ap.HOSTNAME_REGEX)


def oracle(hostname, apexes):
    name = hostname.lower()
    return bool(_WELL_FORMED.match(name)) and any(name == a or name.endswith("." + a) for a in apexes)


_labels = st.sampled_from(["alice", "ALICE", "evilalice", "bob", "example", "org", "net", "x", "*", "", "dev",
                           "a-b", "-x", "x-"])


@settings(max_examples=100, deadline=None)
@given(st.lists(_labels, min_size=1, max_size=5))
def test_route_policy_matches_the_oracle(admission, labels):
    hostname = ".".join(labels)
    allowed, _decisions = decide(admission, route("tenant-alice", [hostname]))
    assert allowed == oracle(hostname, ["alice.example.org"]), hostname
    allowed, _decisions = decide(admission, gateway("tenant-root", hostname))
    assert allowed == oracle(hostname, ["example.org", "bob.example.net"]), hostname
