# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The policy evaluator against Cilium's documented semantics, one rule at a time."""
from __future__ import absolute_import, division, print_function

import pytest

from ansible_collections.netstack.baremetal.plugins.module_utils import reachability as r

NAMESPACES = {"a": {"team": "red", "tenant.cozystack.io/tenant-a": ""}, "b": {"team": "blue"}, "c": {}}
A1 = r.pod("a", "a1", {"app": "web"})
A2 = r.pod("a", "a2", {"app": "db", "tier": "data"}, named_ports={"postgres": 5432})
B1 = r.pod("b", "b1", {"app": "web"})
C1 = r.pod("c", "c1")
WORLD = r.world("203.0.113.7")


def cnp(namespace, spec, name="p"):
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def ccnp(spec, name="c", specs=None):
    obj = {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": name}}
    if spec is not None:
        obj["spec"] = spec
    if specs is not None:
        obj["specs"] = specs
    return obj


def ev(*policies, **kwargs):
    return r.Evaluator(NAMESPACES, list(policies), **kwargs)


def test_without_policies_everything_flows():
    evaluator = ev()
    assert evaluator.may_reach(A1, B1, 80) and evaluator.may_reach(WORLD, C1, 1) and evaluator.may_reach(A1, WORLD, 1)


def test_namespaced_empty_selector_means_the_policy_namespace():
    evaluator = ev(cnp("a", {"endpointSelector": {}, "ingress": [{"fromEndpoints": [{}]}]}))
    assert evaluator.may_reach(A2, A1, 80)
    assert not evaluator.may_reach(B1, A1, 80)
    assert not evaluator.may_reach(WORLD, A1, 80)
    assert evaluator.may_reach(A1, B1, 80)        # b is not selected: still open


def test_cluster_wide_empty_peer_selector_matches_every_namespace_but_not_world():
    """Pitfall 23."""
    evaluator = ev(ccnp({"endpointSelector": {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "a"}},
                         "ingress": [{"fromEndpoints": [{}]}]}))
    assert evaluator.may_reach(B1, A1, 80) and evaluator.may_reach(C1, A1, 80)
    assert not evaluator.may_reach(WORLD, A1, 80)
    assert not evaluator.may_reach(r.remote_node(), A1, 80)


def test_namespaced_policy_cannot_select_subjects_elsewhere():
    evaluator = ev(cnp("a", {"endpointSelector": {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "b"}},
                             "ingress": [{}]}))
    assert not evaluator.may_reach(C1, A1, 80)     # pinned to namespace a
    assert evaluator.may_reach(C1, B1, 80)


def test_peer_selectors_with_an_explicit_namespace_or_namespace_labels():
    evaluator = ev(cnp("a", {"endpointSelector": {}, "ingress": [
        {"fromEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "b"}}]},
        {"fromEndpoints": [{"matchLabels": {"k8s:io.cilium.k8s.namespace.labels.team": "blue"}}]}]}))
    assert evaluator.may_reach(B1, A1, 80)
    assert not evaluator.may_reach(C1, A1, 80)
    # Namespace-label keys lift the implicit namespace scoping (Cilium 1.19 getEndpointSelector).
    evaluator = ev(cnp("a", {"endpointSelector": {}, "ingress": [
        {"fromEndpoints": [{"matchLabels": {"io.cilium.k8s.namespace.labels.team": "blue"}}]}]}))
    assert evaluator.may_reach(B1, A1, 80) and not evaluator.may_reach(C1, A1, 80)


def test_bare_namespace_key_counts_as_a_namespace_key():
    evaluator = ev(cnp("a", {"endpointSelector": {}, "ingress": [
        {"fromEndpoints": [{"matchLabels": {"io.kubernetes.pod.namespace": "c"}}]}]}))
    assert evaluator.may_reach(C1, A1, 80) and not evaluator.may_reach(A2, A1, 80)


@pytest.mark.parametrize("expression,web,db,unlabelled", [
    ({"key": "app", "operator": "In", "values": ["web", "x"]}, True, False, False),
    ({"key": "app", "operator": "NotIn", "values": ["web"]}, False, True, True),
    ({"key": "tier", "operator": "Exists"}, False, True, False),
    ({"key": "tier", "operator": "DoesNotExist"}, True, False, True),
])
def test_match_expressions(expression, web, db, unlabelled):
    evaluator = ev(ccnp({"endpointSelector": {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "b"}},
                         "ingress": [{"fromEndpoints": [{"matchExpressions": [
                             {"key": "k8s:io.kubernetes.pod.namespace", "operator": "In", "values": ["a", "c"]},
                             expression]}]}]}))
    assert evaluator.may_reach(A1, B1, 80) is web
    assert evaluator.may_reach(A2, B1, 80) is db
    assert evaluator.may_reach(C1, B1, 80) is unlabelled


def test_label_sources():
    evaluator = ev(cnp("a", {"endpointSelector": {"matchLabels": {"k8s:app": "web"}},
                             "ingress": [{"fromEndpoints": [{"matchLabels": {"reserved:host": ""}}]}]}),
                   allow_localhost=False)
    assert evaluator.may_reach(r.host(), A1, 80)
    assert not evaluator.may_reach(A2, A1, 80)
    assert evaluator.may_reach(r.host(), A2, 80)   # a2 is app=db: not selected
    evaluator = ev(cnp("a", {"endpointSelector": {"matchLabels": {"any:app": "db"}}, "ingress": [{}]}))
    assert not evaluator.may_reach(A1, A2, 80)
    evaluator = ev(cnp("a", {"endpointSelector": {"matchLabels": {"container:app": "db"}}, "ingress": [{}]}))
    assert evaluator.may_reach(A1, A2, 80)         # no container-source label on the pod


@pytest.mark.parametrize("entity,allowed", [
    ("world", {"world"}), ("cluster", {"pod", "host", "remote-node", "kube-apiserver", "ingress"}),
    ("all", {"world", "pod", "host", "remote-node", "kube-apiserver", "ingress"}), ("host", {"host"}),
    ("remote-node", {"remote-node"}), ("kube-apiserver", {"kube-apiserver"}), ("ingress", {"ingress"}),
    ("none", set()),
])
def test_entities(entity, allowed):
    evaluator = ev(cnp("a", {"endpointSelector": {}, "ingress": [{"fromEntities": [entity]}]}), allow_localhost=False)
    sources = {"world": WORLD, "pod": B1, "host": r.host(), "remote-node": r.remote_node(),
               "kube-apiserver": r.kube_apiserver(), "ingress": r.cilium_ingress()}
    assert {name for name, source in sources.items() if evaluator.may_reach(source, A1, 80)} == allowed


def test_egress_to_entities_and_to_endpoints():
    evaluator = ev(cnp("a", {"endpointSelector": {}, "egress": [{"toEntities": ["kube-apiserver"]},
                                                                {"toEndpoints": [{"matchLabels": {"app": "db"}}]}]}))
    assert evaluator.may_reach(A1, r.kube_apiserver(), 6443)
    assert evaluator.may_reach(A1, A2, 5432)
    assert not evaluator.may_reach(A1, B1, 80)     # app=web, and b is another namespace anyway
    assert not evaluator.may_reach(A1, WORLD, 443)


def test_ports():
    evaluator = ev(cnp("a", {"endpointSelector": {}, "ingress": [
        {"fromEndpoints": [{"matchLabels": {"io.kubernetes.pod.namespace": "b"}}],
         "toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}, {"port": "8000", "endPort": 8010},
                                {"port": "postgres", "protocol": "TCP"}]}]},
        {"fromEndpoints": [{"matchLabels": {"io.kubernetes.pod.namespace": "c"}}],
         "toPorts": [{"ports": [{"port": "0", "protocol": "UDP"}]}]}]}))
    assert evaluator.may_reach(B1, A1, 80) and not evaluator.may_reach(B1, A1, 80, "UDP")
    assert evaluator.may_reach(B1, A1, 8005, "UDP") and evaluator.may_reach(B1, A1, 8005, "SCTP")
    assert not evaluator.may_reach(B1, A1, 8011)
    assert evaluator.may_reach(B1, A2, 5432) and not evaluator.may_reach(B1, A1, 5432)   # named port of a2
    assert evaluator.may_reach(C1, A1, 12345, "UDP") and not evaluator.may_reach(C1, A1, 12345)


def test_a_rule_with_ports_and_no_peer_allows_any_peer():
    """The reference's allow-to-apiserver second rule (pitfall 9)."""
    evaluator = ev(cnp("a", {"endpointSelector": {}, "egress": [{"toPorts": [{"ports": [{"port": "6443",
                                                                                         "protocol": "TCP"}]}]}]}))
    assert evaluator.may_reach(A1, B1, 6443) and evaluator.may_reach(A1, WORLD, 6443)
    assert not evaluator.may_reach(A1, B1, 6444)


def test_an_empty_rule_allows_nothing_but_turns_default_deny_on():
    evaluator = ev(cnp("a", {"endpointSelector": {}, "ingress": [{}]}))
    assert not evaluator.may_reach(A2, A1, 80) and not evaluator.may_reach(WORLD, A1, 80)
    assert evaluator.may_reach(A1, B1, 80)         # egress untouched


def test_default_deny_can_be_switched_off_per_policy():
    allow_b = {"endpointSelector": {}, "ingress": [{"fromEndpoints": [{"matchLabels": {
        "io.kubernetes.pod.namespace": "b"}}]}]}
    soft = dict(allow_b, enableDefaultDeny={"ingress": False})
    assert ev(cnp("a", soft)).may_reach(C1, A1, 80)
    assert not ev(cnp("a", allow_b)).may_reach(C1, A1, 80)
    assert not ev(cnp("a", soft), cnp("a", allow_b, name="q")).may_reach(C1, A1, 80)   # any policy can ask
    assert not ev(cnp("a", {"endpointSelector": {}, "enableDefaultDeny": {"egress": True}})).may_reach(A1, B1, 80)


def test_deny_wins_and_turns_default_deny_on():
    evaluator = ev(cnp("a", {"endpointSelector": {}, "ingress": [{"fromEntities": ["all"]}],
                             "ingressDeny": [{"fromEndpoints": [{"matchLabels": {"io.kubernetes.pod.namespace": "c"}}],
                                              "toPorts": [{"ports": [{"port": "22"}]}]}]}))
    assert not evaluator.may_reach(C1, A1, 22) and evaluator.may_reach(C1, A1, 80)
    assert evaluator.may_reach(B1, A1, 22)
    deny_only = ev(cnp("a", {"endpointSelector": {}, "egressDeny": [{"toEntities": ["world"]}]}))
    assert not deny_only.may_reach(A1, WORLD, 443)
    assert not deny_only.may_reach(A1, B1, 80)     # default deny per the CRD: deny rules count


def test_both_sides_must_agree():
    evaluator = ev(cnp("a", {"endpointSelector": {}, "egress": [{"toEntities": ["cluster"]}]}),
                   cnp("b", {"endpointSelector": {}, "ingress": [{"fromEndpoints": [{}]}]}))
    verdict = evaluator.verdict(A1, B1, 80)
    assert not verdict and verdict.egress[0] and not verdict.ingress[0]
    assert "ingress default deny" in repr(verdict)
    assert evaluator.verdict(A1, C1, 80).allowed
    assert "allowed by CiliumNetworkPolicy a/p egress rule 0" in repr(evaluator.verdict(A1, C1, 80))


def test_local_host_is_always_allowed_unless_switched_off():
    policy = cnp("a", {"endpointSelector": {}, "ingress": [{}]})
    assert ev(policy).may_reach(r.host(), A1, 10250)
    assert not ev(policy, allow_localhost=False).may_reach(r.host(), A1, 10250)
    assert not ev(policy).may_reach(r.remote_node(), A1, 10250)


def test_cidr_rules_match_world_addresses_only():
    evaluator = ev(cnp("a", {"endpointSelector": {}, "egress": [
        {"toCIDRSet": [{"cidr": "203.0.113.0/24", "except": ["203.0.113.128/25"]}]},
        {"toCIDR": ["198.51.100.0/24"]}]}))
    assert evaluator.may_reach(A1, WORLD, 443)
    assert not evaluator.may_reach(A1, r.world("203.0.113.200"), 443)
    assert evaluator.may_reach(A1, r.world("198.51.100.1"), 443)
    assert not evaluator.may_reach(A1, B1, 443)


def test_specs_and_host_policies():
    evaluator = ev(ccnp(None, specs=[
        {"endpointSelector": {"matchLabels": {"io.kubernetes.pod.namespace": "a"}}, "ingress": [{}]},
        {"nodeSelector": {}, "ingress": [{"fromEntities": ["cluster"]}]}]))
    assert not evaluator.may_reach(B1, A1, 80)
    assert evaluator.may_reach(B1, C1, 80)


@pytest.mark.parametrize("policy,message", [
    (cnp("a", {"endpointSelector": {}, "ingress": [{"fromEndpoints": [{}], "fromEntities": ["world"]}]}),
     "combining fromEndpoints and fromEntities is not supported by Cilium"),
    (cnp("a", {"endpointSelector": {}, "egress": [{"toFQDNs": [{"matchName": "x.org"}]}]}), "toFQDNs is not modelled"),
    (cnp("a", {"endpointSelector": {}, "ingress": [{"toPorts": [{"ports": [{"port": "80"}],
                                                                 "rules": {"http": [{}]}}]}]}), "L7 rules"),
    (cnp("a", {"endpointSelector": {}, "ingress": [{"fromEntities": ["galaxy"]}]}), "unknown entity 'galaxy'"),
    (cnp("a", {"endpointSelector": {}, "ingres": []}), "unknown spec field(s) ingres"),
    (cnp("a", {"endpointSelector": {"matchExpressions": [{"key": "x", "operator": "In"}]}}), "needs values"),
    (cnp("a", {"endpointSelector": {"matchExpressions": [{"key": "x", "operator": "Gt", "values": ["1"]}]}}),
     "unknown operator"),
    (cnp("", {"endpointSelector": {}}), "has no namespace"),
    (cnp("a", {"nodeSelector": {}}), "only valid in a cluster-wide policy"),
    (ccnp(None), "spec or specs must be provided"),
    ({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "x"}},
     "is not a Cilium v2 network policy"),
])
def test_refuses_what_it_does_not_model(policy, message):
    with pytest.raises(r.PolicyError) as caught:
        ev(policy)
    assert message in str(caught.value)


def test_unknown_namespace_is_an_error():
    with pytest.raises(ValueError, match="namespace nowhere of pod x is unknown"):
        ev(cnp("a", {"endpointSelector": {}, "ingress": [{}]})).may_reach(r.pod("nowhere", "x"), A1, 80)


def test_endpoint_entities():
    assert r.world().entities == frozenset(["world", "world-ipv4", "all"])
    assert r.world("2001:db8::1").entities == frozenset(["world", "world-ipv6", "all"])
    assert A1.entities == frozenset(["cluster", "all"])
    assert r.kube_apiserver().entities == frozenset(["kube-apiserver", "cluster", "all"])
    with pytest.raises(ValueError):
        r.Endpoint("x")
