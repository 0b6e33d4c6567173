# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tenant isolation, proven on random tenant trees with the policy evaluator.

For every random tree the plan is built in both isolation modes, and the
evaluator answers "may this probe pod reach that one" against the generated
objects.  The oracle below states the hierarchy in plain words; the two modes
differ only where the docs say they do (docs/tenants.md, "Isolation modes").
"""
from __future__ import absolute_import, division, print_function

from hypothesis import HealthCheck, given, settings

from ansible_collections.netstack.baremetal.plugins.module_utils import reachability as r
from ansible_collections.netstack.baremetal.plugins.module_utils import tenant_policies as tp
from ansible_collections.netstack.baremetal.plugins.module_utils import tenants as core

from test_tenants import make_site, tenant_trees

APP = r.APP_PORT
SERVICES = {  # probe role -> (option that runs it, port, client role)
    "ingress": ("ingress", 443, "app"),
    "vminsert": ("monitoring", 8480, "app"),
    "etcd": ("etcd", 2379, "etcd-client"),
}
ROGUE = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
         "spec": {"endpointSelector": {}, "egress": [{"toEntities": ["all"]}]}}


def _plans(tenants):
    return {mode: core.plan_tenants(make_site(tenants, isolation=mode)) for mode in ("strict", "reference")}


def _descendant_may_use(mode, src, dst, role):
    """May a pod of ``src`` reach ``role`` pods of its ancestor ``dst``?"""
    if mode == "reference":
        # The chart lists the dash-prefixes of the parent namespace: tenant-root only for root's children.
        return dst["namespace"] in tp.reference_ancestor_namespaces(src["parent_namespace"])
    option = SERVICES[role][0]
    if role == "etcd":
        return bool(dst["options"]["etcd"]) and src["services"]["etcd"] == dst["namespace"]
    return bool(dst["options"][option])


def _expected(mode, src, dst, role):
    if src["name"] == dst["name"] or src["name"] in dst["ancestors"]:
        return True                              # own tenant; ancestors reach their whole subtree
    if dst["name"] in src["ancestors"] and role != "app":
        return _descendant_may_use(mode, src, dst, role)
    return False                                 # siblings, cousins, other subtrees; descendants to plain pods


_PROBES = {}


def _probe(namespace, role="app"):
    key = (namespace, role)
    if key not in _PROBES:
        _PROBES[key] = r.tenant_probe(namespace, role)
    return _PROBES[key]


def _check_tree(mode, section, evaluator):
    entries = section["tenants"]
    for src in entries:
        for dst in entries:
            for role in ("app",) + tuple(SERVICES):
                client = _probe(src["namespace"], SERVICES[role][2] if role != "app" else "app")
                port = SERVICES[role][1] if role != "app" else APP
                got = evaluator.may_reach(client, _probe(dst["namespace"], role), port)
                want = _expected(mode, src, dst, role)
                assert got == want, "%s: %s %s -> %s %s:%d: got %s, expected %s (%r)" % (
                    mode, src["namespace"], client.name, dst["namespace"], role, port, got, want,
                    evaluator.verdict(client, r.tenant_probe(dst["namespace"], role), port))


def _check_platform(mode, section, evaluator):
    strict = mode == "strict"
    dns = r.dns_pod()
    api = r.kube_apiserver()
    foreign = r.pod(r.FOREIGN_NAMESPACE, "foreign")
    for entry in section["tenants"]:
        namespace = entry["namespace"]
        app = r.tenant_probe(namespace)
        api_client = r.tenant_probe(namespace, "api-client")
        assert evaluator.may_reach(app, dns, 53, "UDP") and evaluator.may_reach(app, dns, 53, "TCP")
        assert evaluator.may_reach(app, dns, 8080) is not strict           # strict scopes DNS to port 53
        assert evaluator.may_reach(api_client, api, 6443)
        assert not evaluator.may_reach(app, api, 6443)                      # only pods marked for it
        assert evaluator.may_reach(app, r.world(), 443)
        assert evaluator.may_reach(app, r.pod("cozy-dashboard", "ui"), 8080)
        assert not evaluator.may_reach(app, foreign, 8080)                  # egress isolation: both modes
        # The reference's weakness: an unpoliced pod gets in because ingress admits `cluster`
        # (and, pitfall 23, `<ns>-ingress-ingress` admits every pod of the cluster).
        assert evaluator.may_reach(foreign, app, 8080) is not strict
        for role, (_option, port, _client) in SERVICES.items():
            assert evaluator.may_reach(foreign, _probe(namespace, role), port) is not strict, role
        for source in (r.pod(r.SYSTEM_PROBE_NAMESPACE, "agent"), r.pod(tp.DNS_NAMESPACE, "agent"), r.world(),
                       r.remote_node(), r.host()):
            assert evaluator.may_reach(source, app, 8080), source
        via_gateway = evaluator.may_reach(r.cilium_ingress(), app, 8080)
        assert via_gateway is (not strict or bool(entry["services"]["gateway"]))
    # Peer-less 6443 rule: a marked pod reaches port 6443 of any pod it may not otherwise reach.
    by_name = {e["name"]: e for e in section["tenants"]}
    for src in section["tenants"]:
        for dst in section["tenants"]:
            if src["name"] == dst["name"] or src["name"] in dst["ancestors"]:
                continue
            got = evaluator.may_reach(r.tenant_probe(src["namespace"], "api-client"),
                                      r.tenant_probe(dst["namespace"]), 6443)
            assert got is not strict, (mode, src["namespace"], dst["namespace"])
    assert by_name


def _check_rogue_tenants(mode, section):
    """Every tenant opens its own egress to everything (tenants may write policies in their namespace).

    Strict mode: the destinations' ingress rules alone still enforce the whole hierarchy (same oracle).
    Reference mode: every tenant pod, service pods included, is reachable from every other tenant.
    """
    entries = section["tenants"]
    rogues = [dict(ROGUE, metadata={"name": "open-egress", "namespace": e["namespace"]}) for e in entries]
    evaluator = r.tenant_evaluator(section, extra_policies=rogues)
    for src in entries:
        for dst in entries:
            for role in ("app",) + tuple(SERVICES):
                client = _probe(src["namespace"], SERVICES[role][2] if role != "app" else "app")
                port = SERVICES[role][1] if role != "app" else APP
                got = evaluator.may_reach(client, _probe(dst["namespace"], role), port)
                want = _expected(mode, src, dst, role) if mode == "strict" else True
                assert got == want, (mode, src["namespace"], dst["namespace"], role)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tenant_trees())
def test_isolation_holds_on_random_trees(tenants):
    for mode, section in sorted(_plans(tenants).items()):
        evaluator = r.tenant_evaluator(section)
        _check_tree(mode, section, evaluator)
        _check_platform(mode, section, evaluator)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tenant_trees())
def test_only_strict_mode_survives_tenants_opening_their_own_egress(tenants):
    for mode, section in sorted(_plans(tenants).items()):
        _check_rogue_tenants(mode, section)


def test_the_example_tree_in_both_modes():
    from test_tenants import example_tenants
    for mode, section in sorted(_plans(example_tenants()).items()):
        evaluator = r.tenant_evaluator(section)
        _check_tree(mode, section, evaluator)
        _check_platform(mode, section, evaluator)
        _check_rogue_tenants(mode, section)


def test_reference_mode_pins_the_root_quirk():
    """Reference: a grandchild cannot reach root's services (root missing from the chart's ancestor list)."""
    tenants = {"root": {"host": "example.org", "ingress": True}, "a": {"parent": "root"}, "b": {"parent": "a"}}
    plans = _plans(tenants)
    for mode, expected in (("reference", False), ("strict", True)):
        evaluator = r.tenant_evaluator(plans[mode])
        got = evaluator.may_reach(r.tenant_probe("tenant-a-b"), r.tenant_probe("tenant-root", "ingress"), 443)
        assert got is expected, mode


def test_without_allow_localhost_strict_still_admits_the_node():
    section = _plans({"root": {"host": "example.org"}, "a": {}})["strict"]
    evaluator = r.tenant_evaluator(section, allow_localhost=False)
    assert evaluator.may_reach(r.host(), r.tenant_probe("tenant-a"), 8080)
