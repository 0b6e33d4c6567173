# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Answer "may pod A open a connection to pod B on port P" by Cilium's rules.

The evaluator reads plain manifests (``cilium.io/v2`` CiliumNetworkPolicy and
CiliumClusterwideNetworkPolicy), namespaces with their labels and endpoints,
and follows Cilium 1.19's policy semantics:

* identities: a pod's labels (source ``k8s``), ``io.kubernetes.pod.namespace``
  and its namespace's labels as ``io.cilium.k8s.namespace.labels.<key>``;
  reserved endpoints (world, host, remote-node, kube-apiserver, ingress, ...)
  carry ``reserved:<entity>``.  Selector keys may name a source
  (``k8s:``, ``reserved:``, ``any:``); without one they match any source.
* selectors: ``matchLabels`` and ``matchExpressions`` (In, NotIn, Exists,
  DoesNotExist; NotIn and DoesNotExist match when the key is absent).
* namespace scoping (``ParseToCiliumRule``/``getEndpointSelector``): a
  namespaced policy's endpointSelector is pinned to its namespace; a peer
  selector without a ``io.kubernetes.pod.namespace`` key is pinned to the
  policy's namespace, unless it selects on namespace labels; in a cluster-wide
  policy such a selector only gets "has a namespace", i.e. it matches pods of
  *every* namespace (pitfall 23).  Selectors on ``reserved:`` labels are left
  alone.
* rules: the L3 peers of one rule are one kind only (Cilium rejects mixing
  fromEndpoints with fromEntities, ...); a rule with ``toPorts`` and no peer
  allows every peer on those ports; a rule with neither allows nothing.
  ``toPorts`` matches port/endPort/protocol (ANY or empty = TCP, UDP, SCTP) and
  named ports of the destination.
* entities: ``all``, ``world`` (``world-ipv4``/``-ipv6``), ``cluster`` (every
  endpoint of the cluster: pods, host, remote-node, kube-apiserver, ingress,
  health, init, unmanaged), and each reserved entity by name.
* default deny per direction: an endpoint denies by default in a direction as
  soon as one policy selecting it has rules (allow or deny) in that direction,
  unless that policy sets ``enableDefaultDeny.<direction>: false``.
* deny rules win over allow rules.  Traffic flows iff the source's egress and
  the destination's ingress both allow it.  Only pods are policed (host
  policies with ``nodeSelector`` are recorded but not evaluated); traffic from
  the local host to a pod is always allowed (Cilium's ``allow-localhost``
  default), which the ``allow_localhost`` argument can switch off.

Not modelled, and refused with ``PolicyError`` rather than guessed: L7 rules,
toFQDNs, toServices, toGroups, fromNodes/toNodes, fromRequires/toRequires,
ICMP rules, mutual authentication, CIDR group references.

The last part builds the probe pods and the reachability matrix of a tenant
plan (used by the plan report and by the property tests).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import itertools

from ansible_collections.netstack.baremetal.plugins.module_utils import tenant_policies as tp

NAMESPACE_KEY = "io.kubernetes.pod.namespace"
NAMESPACE_LABELS_PREFIX = "io.cilium.k8s.namespace.labels."
DIRECTIONS = ("ingress", "egress")
PEER_FIELDS = {
    "ingress": ("fromEndpoints", "fromEntities", "fromCIDR", "fromCIDRSet"),
    "egress": ("toEndpoints", "toEntities", "toCIDR", "toCIDRSet"),
}
UNSUPPORTED_RULE_FIELDS = ("fromNodes", "toNodes", "fromGroups", "toGroups", "fromRequires", "toRequires",
                           "toServices", "toFQDNs", "icmps", "authentication")
KNOWN_ENTITIES = ("all", "world", "world-ipv4", "world-ipv6", "cluster", "host", "remote-node", "kube-apiserver",
                  "ingress", "health", "init", "unmanaged", "none")
CLUSTER_KINDS = ("pod", "host", "remote-node", "kube-apiserver", "ingress", "health", "init", "unmanaged")
PORT_PROTOCOLS = ("TCP", "UDP", "SCTP")


class PolicyError(ValueError):
    """A policy uses something Cilium rejects or this evaluator does not model."""


# --- endpoints --------------------------------------------------------------

class Endpoint:
    """Something that sends or receives traffic: a pod or a reserved identity."""

    __slots__ = ("name", "kind", "namespace", "labels", "ip", "named_ports", "key")

    def __init__(self, name, kind="pod", namespace=None, labels=None, ip=None, named_ports=None):
        if kind == "pod" and not namespace:
            raise ValueError("pod %s needs a namespace" % name)
        self.name = name
        self.kind = kind
        self.namespace = namespace
        self.labels = dict(labels or {})
        self.ip = ipaddress.ip_address(ip) if ip else None
        self.named_ports = dict(named_ports or {})
        self.key = (kind, namespace, name)

    @property
    def entities(self):
        """Entity names that select this endpoint."""
        if self.kind == "world":
            return frozenset(("world", "world-ipv4" if self.ip is None or self.ip.version == 4 else "world-ipv6",
                              "all"))
        names = {self.kind, "all"}
        if self.kind in CLUSTER_KINDS:
            names.add("cluster")
        names.discard("pod")
        return frozenset(names)

    def __repr__(self):
        if self.kind == "pod":
            return "%s/%s" % (self.namespace, self.name)
        return self.name


def pod(namespace, name, labels=None, named_ports=None):
    return Endpoint(name, "pod", namespace, labels, named_ports=named_ports)


def world(ip=None, name="world"):
    return Endpoint(name, "world", ip=ip)


def host():
    """The node the destination pod runs on (kubelet probes, hostNetwork pods there)."""
    return Endpoint("host", "host")


def remote_node():
    """Another node (its hostNetwork pods, traffic it SNATs for NodePort/LoadBalancer Services)."""
    return Endpoint("remote-node", "remote-node")


def kube_apiserver():
    return Endpoint("kube-apiserver", "kube-apiserver")


def cilium_ingress():
    """Cilium's Envoy (Ingress and Gateway API traffic towards backends)."""
    return Endpoint("cilium-ingress", "ingress")


# --- selectors --------------------------------------------------------------

def _split_key(key):
    """'k8s:app' -> ('k8s', 'app'); 'app' -> ('any', 'app').  k8s label keys contain no ':'."""
    if ":" in key:
        source, name = key.split(":", 1)
        return source, name
    return "any", key


class _Selector:
    """A compiled label selector: requirements ANDed; empty matches everything."""

    __slots__ = ("requirements", "uid")

    _uids = itertools.count(1)

    def __init__(self, requirements):
        self.requirements = tuple(requirements)
        self.uid = next(_Selector._uids)  # memo key of selector x peer results

    def has_key(self, name, sources=("k8s", "any")):
        return any(req[1] == name and req[0] in sources for req in self.requirements)

    def has_key_prefix(self, prefix, sources=("k8s", "any")):
        return any(req[1].startswith(prefix) and req[0] in sources for req in self.requirements)

    def has_source(self, source):
        return any(req[0] == source for req in self.requirements)

    def namespace_values(self):
        for source, name, operator, values in self.requirements:
            if name == NAMESPACE_KEY and source in ("k8s", "any") and operator == "In" and len(values) == 1:
                return values
        return None

    def matches(self, identity):
        for source, name, operator, values in self.requirements:
            found = identity.get(name)
            if found is not None and source != "any" and found[0] != source:
                found = None
            if operator == "In":
                if found is None or found[1] not in values:
                    return False
            elif operator == "NotIn":
                if found is not None and found[1] in values:
                    return False
            elif operator == "Exists":
                if found is None:
                    return False
            elif found is not None:  # DoesNotExist
                return False
        return True


def compile_selector(selector, where):
    """Compile a Kubernetes LabelSelector dict (matchLabels, matchExpressions)."""
    if selector is None:
        selector = {}
    if not isinstance(selector, dict):
        raise PolicyError("%s: a selector must be a mapping" % where)
    unknown = set(selector) - {"matchLabels", "matchExpressions"}
    if unknown:
        raise PolicyError("%s: unknown selector field(s) %s" % (where, ", ".join(sorted(unknown))))
    requirements = []
    for key, value in sorted((selector.get("matchLabels") or {}).items()):
        source, name = _split_key(key)
        requirements.append((source, name, "In", frozenset([str(value)])))
    for expression in selector.get("matchExpressions") or []:
        operator = expression.get("operator")
        values = expression.get("values") or []
        if operator in ("In", "NotIn") and not values:
            raise PolicyError("%s: operator %s needs values" % (where, operator))
        if operator in ("Exists", "DoesNotExist") and values:
            raise PolicyError("%s: operator %s takes no values" % (where, operator))
        if operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise PolicyError("%s: unknown operator %r" % (where, operator))
        source, name = _split_key(expression["key"])
        requirements.append((source, name, operator, frozenset(str(v) for v in values)))
    return _Selector(requirements)


def _scoped_peer_selector(selector, policy_namespace, where):
    """Cilium's getEndpointSelector: add the implicit namespace requirement to a peer selector."""
    compiled = compile_selector(selector, where)
    if compiled.has_source("reserved"):
        return compiled
    if compiled.has_key(NAMESPACE_KEY):
        return compiled
    requirements = list(compiled.requirements)
    if policy_namespace is None:
        # Cluster-wide: "any namespace" - only Kubernetes pods, but from every namespace.
        requirements.append(("k8s", NAMESPACE_KEY, "Exists", frozenset()))
    elif not compiled.has_key_prefix(NAMESPACE_LABELS_PREFIX):
        requirements.append(("k8s", NAMESPACE_KEY, "In", frozenset([policy_namespace])))
    return _Selector(requirements)


def _subject_selector(selector, policy_namespace, where):
    """A namespaced policy's endpointSelector: Cilium sets matchLabels[k8s:...namespace] to its namespace."""
    if policy_namespace is not None:
        selector = dict(selector or {})
        labels = dict(selector.get("matchLabels") or {})
        labels["k8s:" + NAMESPACE_KEY] = policy_namespace
        selector["matchLabels"] = labels
    return compile_selector(selector, where)


# --- rules ------------------------------------------------------------------

class _Rule:
    """One allow or deny rule: its peers (None = any peer) and ports (None = any port)."""

    __slots__ = ("policy", "section", "index", "selectors", "entities", "cidrs", "wildcard", "ports",
                 "by_namespace", "unpinned")

    def __init__(self, policy, section, index):
        self.policy = policy
        self.section = section
        self.index = index
        self.selectors = []
        self.entities = frozenset()
        self.cidrs = []
        self.wildcard = False
        self.ports = None
        self.by_namespace = {}
        self.unpinned = ()

    def index_selectors(self):
        """Group the selectors by the one namespace they pin (most do): a peer only meets its own."""
        unpinned = []
        for selector in self.selectors:
            values = selector.namespace_values()
            if values:
                self.by_namespace.setdefault(next(iter(values)), []).append(selector)
            else:
                unpinned.append(selector)
        self.unpinned = tuple(unpinned)

    def candidates(self, namespace):
        pinned = self.by_namespace.get(namespace)
        if pinned:
            return pinned + list(self.unpinned) if self.unpinned else pinned
        return self.unpinned

    def __repr__(self):
        return "%s %s rule %d" % (self.policy, self.section, self.index)


def _compile_ports(port_rules, where, deny):
    ports = []
    for position, port_rule in enumerate(port_rules):
        here = "%s.toPorts[%d]" % (where, position)
        allowed = {"ports"} if deny else {"ports", "rules"}
        unknown = set(port_rule) - allowed
        if unknown:
            raise PolicyError("%s: %s not modelled" % (here, ", ".join(sorted(unknown))))
        if port_rule.get("rules"):
            raise PolicyError("%s: L7 rules are not modelled" % here)
        entries = port_rule.get("ports")
        if not entries:
            ports.append(("ANY", 0, 65535, None))
            continue
        for entry in entries:
            protocol = (entry.get("protocol") or "ANY").upper()
            if protocol not in PORT_PROTOCOLS + ("ANY",):
                raise PolicyError("%s: protocol %s is not modelled" % (here, protocol))
            port = str(entry.get("port", "0"))
            if port.isdigit():
                low = int(port)
                high = int(entry.get("endPort") or low)
                if low == 0:
                    low, high = 0, 65535
                ports.append((protocol, low, high, None))
            else:
                ports.append((protocol, None, None, port))
    return ports


def _compile_rule(rule, direction, policy, index, policy_namespace, deny):
    where = "%s %s%s[%d]" % (policy, direction, "Deny" if deny else "", index)
    if not isinstance(rule, dict):
        raise PolicyError("%s: a rule must be a mapping" % where)
    for field in UNSUPPORTED_RULE_FIELDS:
        if rule.get(field):
            raise PolicyError("%s: %s is not modelled" % (where, field))
    peer_fields = PEER_FIELDS[direction]
    unknown = set(rule) - set(peer_fields) - {"toPorts"} - set(UNSUPPORTED_RULE_FIELDS)
    if unknown:
        raise PolicyError("%s: unknown field(s) %s" % (where, ", ".join(sorted(unknown))))
    present = [f for f in peer_fields if rule.get(f)]
    if len(present) > 1:
        raise PolicyError("%s: combining %s and %s is not supported by Cilium" % (where, present[0], present[1]))
    compiled = _Rule(policy, direction + ("Deny" if deny else ""), index)
    endpoints_field, entities_field, cidr_field, cidr_set_field = peer_fields
    for position, selector in enumerate(rule.get(endpoints_field) or []):
        compiled.selectors.append(_scoped_peer_selector(selector, policy_namespace,
                                                        "%s.%s[%d]" % (where, endpoints_field, position)))
    entities = rule.get(entities_field) or []
    for entity in entities:
        if entity not in KNOWN_ENTITIES:
            raise PolicyError("%s: unknown entity %r" % (where, entity))
    compiled.entities = frozenset(entities)
    for cidr in rule.get(cidr_field) or []:
        compiled.cidrs.append((ipaddress.ip_network(cidr, strict=False), ()))
    for cidr_rule in rule.get(cidr_set_field) or []:
        if "cidrGroupRef" in cidr_rule or "cidrGroupSelector" in cidr_rule:
            raise PolicyError("%s: CIDR groups are not modelled" % where)
        excepts = tuple(ipaddress.ip_network(e, strict=False) for e in cidr_rule.get("except") or [])
        compiled.cidrs.append((ipaddress.ip_network(cidr_rule["cidr"], strict=False), excepts))
    has_ports = bool(rule.get("toPorts"))
    if has_ports:
        compiled.ports = _compile_ports(rule["toPorts"], where, deny)
    # No peer at all: with ports it is an L3 wildcard ("any peer on these ports"),
    # without ports it selects nothing (the `ingress: [{}]` deny-all idiom).
    compiled.wildcard = not present and has_ports
    compiled.index_selectors()
    return compiled


def _port_matches(ports, port, protocol, destination):
    if ports is None:
        return True
    for rule_protocol, low, high, name in ports:
        if rule_protocol != "ANY" and rule_protocol != protocol:
            continue
        if name is not None:
            if destination.named_ports.get(name) == port:
                return True
        elif low <= port <= high:
            return True
    return False


# --- policies ---------------------------------------------------------------

class _Spec:
    """One rule set (``spec`` or an item of ``specs``) of one policy object."""

    __slots__ = ("policy", "subject", "namespace_hint", "allow", "deny", "default_deny")

    def __init__(self, policy):
        self.policy = policy
        self.subject = None
        self.namespace_hint = None
        self.allow = {"ingress": [], "egress": []}
        self.deny = {"ingress": [], "egress": []}
        self.default_deny = {"ingress": False, "egress": False}


SPEC_FIELDS = ("endpointSelector", "nodeSelector", "ingress", "egress", "ingressDeny", "egressDeny",
               "enableDefaultDeny", "description", "labels", "log")


def _compile_spec(spec, policy, namespace):
    unknown = set(spec) - set(SPEC_FIELDS)
    if unknown:
        raise PolicyError("%s: unknown spec field(s) %s" % (policy, ", ".join(sorted(unknown))))
    if "nodeSelector" in spec:
        if namespace is not None:
            raise PolicyError("%s: nodeSelector is only valid in a cluster-wide policy" % policy)
        return None  # a host policy: nodes are not policed in this model
    if "endpointSelector" not in spec:
        raise PolicyError("%s: endpointSelector or nodeSelector is required" % policy)
    compiled = _Spec(policy)
    compiled.subject = _subject_selector(spec["endpointSelector"], namespace, policy + " endpointSelector")
    values = compiled.subject.namespace_values()
    compiled.namespace_hint = next(iter(values)) if values else None
    explicit = spec.get("enableDefaultDeny") or {}
    for direction in DIRECTIONS:
        rules = spec.get(direction) or []
        deny_rules = spec.get(direction + "Deny") or []
        compiled.allow[direction] = [_compile_rule(r, direction, policy, i, namespace, False)
                                     for i, r in enumerate(rules)]
        compiled.deny[direction] = [_compile_rule(r, direction, policy, i, namespace, True)
                                    for i, r in enumerate(deny_rules)]
        has_rules = bool(rules) or bool(deny_rules)
        wanted = explicit.get(direction)
        compiled.default_deny[direction] = has_rules if wanted is None else bool(wanted)
    return compiled


_COMPILED = {}
_COMPILED_MAX = 50000


def compile_policy(obj):
    """Compile one CNP/CCNP manifest into its rule sets (memoised: compiled rules are never mutated)."""
    # repr is a cheap exact fingerprint (equal repr = equal manifest; key order only costs a miss).
    key = repr(obj)
    compiled = _COMPILED.get(key)
    if compiled is None:
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        compiled = _COMPILED[key] = _compile_policy(obj)
    return compiled


def _compile_policy(obj):
    kind = obj.get("kind")
    metadata = obj.get("metadata") or {}
    if obj.get("apiVersion") != tp.CILIUM_API_VERSION or kind not in (tp.CNP_KIND, tp.CCNP_KIND):
        raise PolicyError("%s/%s is not a Cilium v2 network policy" % (obj.get("apiVersion"), kind))
    namespace = metadata.get("namespace") if kind == tp.CNP_KIND else None
    if kind == tp.CNP_KIND and not namespace:
        raise PolicyError("CiliumNetworkPolicy %s has no namespace" % metadata.get("name"))
    name = "%s %s" % (kind, ("%s/%s" % (namespace, metadata.get("name"))) if namespace else metadata.get("name"))
    specs = ([obj["spec"]] if obj.get("spec") else []) + list(obj.get("specs") or [])
    if not specs:
        raise PolicyError("%s: spec or specs must be provided" % name)
    compiled = []
    for spec in specs:
        one = _compile_spec(spec, name, namespace)
        if one is not None:
            compiled.append(one)
    return compiled


def _rule_index(rules):
    """({namespace: rules whose selectors only pin that namespace}, rules that may match anything else)."""
    by_namespace = {}
    general = []
    for rule in rules:
        if rule.wildcard or rule.entities or rule.cidrs or rule.unpinned:
            general.append(rule)
            continue
        for namespace in rule.by_namespace:
            by_namespace.setdefault(namespace, []).append(rule)
    return by_namespace, general


def _candidates(index, namespace):
    pinned = index[0].get(namespace)
    return pinned + index[1] if pinned else index[1]


class Verdict:
    """The answer for one connection, with the reason on each side."""

    __slots__ = ("allowed", "egress", "ingress")

    def __init__(self, egress, ingress):
        self.egress = egress
        self.ingress = ingress
        self.allowed = egress[0] and ingress[0]

    def __bool__(self):
        return self.allowed

    __nonzero__ = __bool__

    def __repr__(self):
        return "Verdict(%s, egress: %s, ingress: %s)" % (self.allowed, self.egress[1], self.ingress[1])


class Evaluator:
    """Policy decisions over a fixed set of namespaces and policy objects."""

    def __init__(self, namespaces, policies, allow_localhost=True):
        self.namespaces = dict((name, dict(labels or {})) for name, labels in namespaces.items())
        self.allow_localhost = allow_localhost
        self._by_namespace = {}
        self._global = []
        for obj in policies:
            for spec in compile_policy(obj):
                if spec.namespace_hint is not None:
                    self._by_namespace.setdefault(spec.namespace_hint, []).append(spec)
                else:
                    self._global.append(spec)
        self._identities = {}
        self._selecting = {}
        self._flattened = {}
        self._candidates = {}
        self._matches = {}

    def identity(self, endpoint):
        """Cilium identity labels: name -> (source, value)."""
        cached = self._identities.get(endpoint.key)
        if cached is not None:
            return cached
        labels = {}
        if endpoint.kind == "pod":
            if endpoint.namespace not in self.namespaces:
                raise ValueError("namespace %s of pod %s is unknown" % (endpoint.namespace, endpoint.name))
            for key, value in endpoint.labels.items():
                labels[key] = ("k8s", str(value))
            labels[NAMESPACE_KEY] = ("k8s", endpoint.namespace)
            for key, value in self.namespaces[endpoint.namespace].items():
                labels[NAMESPACE_LABELS_PREFIX + key] = ("k8s", str(value))
        else:
            for entity in endpoint.entities:
                if entity not in ("all", "cluster"):
                    labels[entity] = ("reserved", "")
        self._identities[endpoint.key] = labels
        return labels

    def _selected_specs(self, endpoint):
        cached = self._selecting.get(endpoint.key)
        if cached is None:
            identity = self.identity(endpoint)
            candidates = self._by_namespace.get(endpoint.namespace, []) + self._global
            cached = [spec for spec in candidates if spec.subject.matches(identity)]
            self._selecting[endpoint.key] = cached
        return cached

    def _selector_matches(self, selector, peer):
        key = (selector.uid, peer.key)
        hit = self._matches.get(key)
        if hit is None:
            hit = self._matches[key] = selector.matches(self.identity(peer))
        return hit

    def _peer_matches(self, rule, peer):
        if rule.wildcard:
            return True
        if rule.entities and rule.entities & peer.entities:
            return True
        for selector in rule.candidates(peer.namespace):
            if self._selector_matches(selector, peer):
                return True
        if rule.cidrs and peer.kind == "world" and peer.ip is not None:
            for network, excepts in rule.cidrs:
                if peer.ip in network and not any(peer.ip in e for e in excepts):
                    return True
        return False

    def _rule_matches(self, rule, peer, port, protocol, destination):
        return self._peer_matches(rule, peer) and _port_matches(rule.ports, port, protocol, destination)

    def side(self, endpoint, peer, direction, port, protocol, destination):
        """(allowed, reason) for ``endpoint``'s ``direction`` towards/from ``peer``."""
        allowed, why, rule = self._decide(endpoint, peer, direction, port, protocol, destination)
        reasons = {
            "unpoliced": "%s is not policed" % endpoint,
            "localhost": "traffic from the local host is always allowed",
            "denied": "denied by %s" % rule,
            "no-default-deny": "no policy puts %s %s in default deny" % (endpoint, direction),
            "allowed": "allowed by %s" % rule,
            "default-deny": "%s default deny" % direction,
        }
        return allowed, reasons[why]

    def _decide(self, endpoint, peer, direction, port, protocol, destination):
        """(allowed, why, deciding rule): the hot path, no strings built."""
        if endpoint.kind != "pod":
            return True, "unpoliced", None
        if direction == "ingress" and self.allow_localhost and peer.kind == "host":
            return True, "localhost", None
        deny_rules, allow_rules, default_deny = self._candidate_rules(endpoint, direction, peer)
        for rule in deny_rules:
            if self._rule_matches(rule, peer, port, protocol, destination):
                return False, "denied", rule
        if not default_deny:
            return True, "no-default-deny", None
        for rule in allow_rules:
            if self._rule_matches(rule, peer, port, protocol, destination):
                return True, "allowed", rule
        return False, "default-deny", None

    def _candidate_rules(self, endpoint, direction, peer):
        """The rules of ``_rules`` that can match ``peer``: those pinning its namespace, and the rest."""
        key = (endpoint.key, direction, peer.namespace)
        cached = self._candidates.get(key)
        if cached is None:
            deny_index, allow_index, default_deny = self._rules(endpoint, direction)
            cached = (_candidates(deny_index, peer.namespace), _candidates(allow_index, peer.namespace),
                      default_deny)
            self._candidates[key] = cached
        return cached

    def _rules(self, endpoint, direction):
        """(deny rules, allow rules, default deny) that apply to ``endpoint`` in ``direction``."""
        key = (endpoint.key, direction)
        cached = self._flattened.get(key)
        if cached is None:
            specs = self._selected_specs(endpoint)
            cached = (_rule_index([rule for spec in specs for rule in spec.deny[direction]]),
                      _rule_index([rule for spec in specs for rule in spec.allow[direction]]),
                      any(spec.default_deny[direction] for spec in specs))
            self._flattened[key] = cached
        return cached

    def verdict(self, src, dst, port, protocol="TCP"):
        protocol = protocol.upper()
        egress = self.side(src, dst, "egress", port, protocol, dst)
        if not egress[0]:
            return Verdict(egress, (None, "not evaluated"))
        return Verdict(egress, self.side(dst, src, "ingress", port, protocol, dst))

    def may_reach(self, src, dst, port, protocol="TCP"):
        """True iff ``src`` may open a connection to ``dst`` on ``port``/``protocol``."""
        protocol = protocol.upper()
        if not self._decide(src, dst, "egress", port, protocol, dst)[0]:
            return False
        return self._decide(dst, src, "ingress", port, protocol, dst)[0]


# --- tenant probes and the reachability matrix ------------------------------

SYSTEM_PROBE_NAMESPACE = "cozy-system"
FOREIGN_NAMESPACE = "default"
APP_PORT = 8080
SERVICE_PROBES = (  # (column label, options key, pod labels, port, client label)
    ("ingress", "ingress", {tp.SERVICE_LABEL: "ingress"}, 443, None),
    ("vminsert", "monitoring", {"app.kubernetes.io/name": tp.VMINSERT}, 8480, None),
    ("etcd", "etcd", {tp.SERVICE_LABEL: "etcd", "app.kubernetes.io/instance": "etcd"}, 2379, tp.ALLOW_ETCD_LABEL),
)


def probe_namespaces(section):
    """Namespaces of a tenant plan plus the platform ones the policies mention."""
    namespaces = {entry["namespace"]: entry["labels"] for entry in section.get("tenants", [])}
    namespaces.setdefault(tp.DNS_NAMESPACE, {})
    namespaces.setdefault(SYSTEM_PROBE_NAMESPACE, {tp.SYSTEM_NAMESPACE_LABEL: "true"})
    namespaces.setdefault(FOREIGN_NAMESPACE, {})
    for service in section.get("shared_services", []):
        namespaces.setdefault(service["namespace"], {tp.SYSTEM_NAMESPACE_LABEL: "true"})
    for namespace in section.get("system_namespaces", []):
        namespaces.setdefault(namespace, {})
    return namespaces


def tenant_evaluator(section, extra_policies=(), allow_localhost=True):
    """An Evaluator over every object of a tenant plan (plus ``extra_policies``)."""
    policies = [obj for entry in section.get("tenants", []) for obj in entry["objects"]
                if obj["apiVersion"] == tp.CILIUM_API_VERSION]
    return Evaluator(probe_namespaces(section), policies + list(extra_policies), allow_localhost)


def tenant_probe(namespace, role="app"):
    """A probe pod of a tenant: ``app`` (no labels), an API client, an etcd client or a service pod."""
    labels = {
        "app": {},
        "api-client": {tp.ALLOW_APISERVER_LABEL: "true"},
        "etcd-client": {tp.ALLOW_ETCD_LABEL: "true"},
    }.get(role)
    if labels is None:
        labels = dict(next(p[2] for p in SERVICE_PROBES if p[0] == role))
    return pod(namespace, role, labels)


def dns_pod():
    return pod(tp.DNS_NAMESPACE, "coredns", tp.DNS_POD_LABELS)


def _matrix_cell(evaluator, src_entry, dst_entry):
    source = tenant_probe(src_entry["namespace"])
    if evaluator.may_reach(source, tenant_probe(dst_entry["namespace"]), APP_PORT):
        return "all"
    reached = []
    for label, option, _labels, port, client_label in SERVICE_PROBES:
        if not dst_entry["options"][option]:
            continue
        client = tenant_probe(src_entry["namespace"], "etcd-client") if client_label else source
        if evaluator.may_reach(client, tenant_probe(dst_entry["namespace"], label), port):
            reached.append(label)
    return ", ".join(reached) or "-"


def tenant_matrix(section):
    """The tenant x tenant matrix and the per-tenant platform checks, as table rows."""
    entries = section.get("tenants", [])
    evaluator = tenant_evaluator(section)
    namespaces = [e["namespace"] for e in entries]
    rows = [[src["namespace"]] + [_matrix_cell(evaluator, src, dst) for dst in entries] for src in entries]
    outsiders = [
        ("unpoliced pod (namespace %s)" % FOREIGN_NAMESPACE, pod(FOREIGN_NAMESPACE, "foreign")),
        ("system pod (%s)" % SYSTEM_PROBE_NAMESPACE, pod(SYSTEM_PROBE_NAMESPACE, "agent")),
        ("kube-system pod", pod(tp.DNS_NAMESPACE, "agent")),
        ("world", world()),
    ]
    for label, source in outsiders:
        rows.append([label] + ["yes" if evaluator.may_reach(source, tenant_probe(n), APP_PORT) else "-"
                               for n in namespaces])
    checks = []
    api = kube_apiserver()
    for entry in entries:
        namespace = entry["namespace"]
        app = tenant_probe(namespace)
        api_client = tenant_probe(namespace, "api-client")
        checks.append([namespace] + ["yes" if ok else "-" for ok in (
            evaluator.may_reach(app, dns_pod(), 53, "UDP"),
            evaluator.may_reach(app, dns_pod(), 8080),
            evaluator.may_reach(api_client, api, section.get("api_port", 6443)),
            evaluator.may_reach(app, api, section.get("api_port", 6443)),
            evaluator.may_reach(api_client, pod(FOREIGN_NAMESPACE, "foreign"), 6443),
            evaluator.may_reach(app, world(), 443),
        )])
    return {
        "headers": ["from \\ to"] + namespaces,
        "rows": rows,
        "check_headers": ["tenant", "DNS 53/UDP", "DNS other port", "API server (labelled pod)",
                          "API server (other pod)", "6443 on a foreign pod (labelled pod)", "world"],
        "checks": checks,
    }
