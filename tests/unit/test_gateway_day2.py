# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Day 2 of the gateway area: ``plan_gateway_tenant`` gives add_tenant.yml the state site.yml would give.

For a new gateway tenant, a new sub-tenant of a gateway tenant and random trees, every object the day-2 plan
applies equals the full plan's object of the same kind, namespace and name, the files it writes equal the full
render's, and what it leaves out is exactly what the tenant does not change.
"""
from __future__ import absolute_import, division, print_function

import copy

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.netstack.baremetal.plugins.module_utils import gateway as gw
from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core
from ansible_collections.netstack.baremetal.plugins.module_utils import tenants as tenants_mod
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import PlanError

import sitegen
from test_gateway import DNS01, example_tenants, make_site, planned, trees


def _key(obj):
    return (obj["kind"], obj["metadata"].get("namespace") or "", obj["metadata"]["name"])


def _full_objects(section):
    return dict((_key(o), o) for batch in section["apply"] for o in batch["objects"])


def _day2(site, name):
    problems = []
    section = gw.plan_gateway_tenant(site, {}, name, problems)
    assert problems == [], problems
    return section


def _applied(section):
    return [o for batch in section["apply"] for o in batch["objects"]]


def _changed_by(site, name):
    """Keys of the full plan's objects that differ with and without tenant ``name`` (new to the inventory)."""
    without = copy.deepcopy(site)
    del without["tenants"][name]
    before, after = _full_objects(planned(without)), _full_objects(planned(site))
    return sorted(k for k in after if before.get(k) != after[k]), before, after


def _check_against_the_full_plan(site, name):
    full = planned(site)
    full_objects = _full_objects(full)
    section = _day2(site, name)
    applied = _applied(section)
    # every applied object is the full plan's, byte for byte, never an admission policy
    for obj in applied:
        assert full_objects[_key(obj)] == obj, _key(obj)
        assert obj["kind"] not in ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")
    # the files it writes are the full render's
    rendered = gw.render_gateway({"gateway": full})
    for path, text in gw.render_gateway_tenant({"gateway": section}).items():
        assert rendered[path] == text, path
    # the objects of the tenant's own namespace: all of them
    namespace = tenants_mod.plan_one_tenant(site, name)["namespace"]
    own = sorted(k for k in full_objects if k[1] == namespace or (k[0] == "Namespace" and k[2] == namespace))
    assert own and set(own) <= set(_key(o) for o in applied)
    return section, full_objects


def test_new_gateway_tenant_gets_its_own_objects_and_the_attached_label():
    site = make_site(example_tenants(), tls=DNS01)
    site["tenants"]["carol"] = {"parent": "root", "gateway": True, "host": "carol.example.net",
                                "gateway_hostnames": ["www.carol.example.net"]}
    section, _full = _check_against_the_full_plan(site, "carol")
    keys = sorted(_key(o) for o in _applied(section))
    changed, before, after = _changed_by(site, "carol")
    # the full plan's change, and root's objects that depend on carol's membership (had carol been a member of root's
    # Gateway before getting its own, they would change): planned as they are, a no-op on the server for a new tenant
    extra = sorted(set(keys) - set(changed))
    assert set(changed) <= set(keys)
    assert extra == [("Certificate", "tenant-root", "cozystack-gateway-tls"), ("Gateway", "tenant-root", "cozystack"),
                     ("Namespace", "", "tenant-root")]    # carol.example.net: a delegated apex, had it stayed
    assert all(before[k] == after[k] for k in extra)
    keys = changed
    assert ("Gateway", "tenant-carol", "cozystack") in keys and ("Issuer", "tenant-carol", "cozystack-gateway") in keys
    assert ("Certificate", "tenant-carol", "cozystack-gateway-tls") in keys
    assert ("HTTPRoute", "tenant-carol", "cozystack-http-redirect") in keys
    # the attached namespaces now serve one more Gateway; root's and alice's Gateways do not move
    assert ("Namespace", "", "cozy-dashboard") in keys
    assert not [k for k in keys if k[1] in ("tenant-root", "tenant-alice")]
    assert [g["namespace"] for g in section["gateways"]] == ["tenant-carol", "tenant-root"]
    assert section["partial"] is True and section["prune"] == {"namespaces": [], "kinds": []}


def test_new_sub_tenant_gets_a_listener_on_its_parents_gateway():
    site = make_site(example_tenants(), tls=DNS01)
    site["tenants"]["qa"] = {"parent": "alice"}
    section, full = _check_against_the_full_plan(site, "qa")
    keys = sorted(_key(o) for o in _applied(section))
    changed, before, after = _changed_by(site, "qa")
    # exactly what the full plan changes: qa's namespace label, alice's Gateway and its DNS-01 certificate
    assert keys == changed == [("Certificate", "tenant-alice", "cozystack-gateway-tls"),
                               ("Gateway", "tenant-alice", "cozystack"), ("Namespace", "", "tenant-alice-qa")]
    gateway = next(o for o in _applied(section) if o["kind"] == "Gateway")
    assert "*.qa.alice.example.org" in [l.get("hostname") for l in gateway["spec"]["listeners"]]
    patch = next(o for o in _applied(section) if o["kind"] == "Namespace")
    assert patch["metadata"]["labels"] == {"gateway.netstack.baremetal/tenant-alice": "true"}


def test_new_sub_tenant_with_an_outside_apex_delegates_it_on_the_owner_namespace():
    site = make_site(example_tenants(), tls=DNS01)
    site["tenants"]["shop"] = {"parent": "alice", "host": "shop.example.net"}
    section, _full = _check_against_the_full_plan(site, "shop")
    keys = sorted(_key(o) for o in _applied(section))
    assert keys == _changed_by(site, "shop")[0]
    assert ("Namespace", "", "tenant-alice") in keys


def test_http01_sub_tenant_hostnames():
    site = make_site(example_tenants(), tls={"mode": "http01"})
    site["tenants"]["qa"] = {"parent": "alice", "gateway_hostnames": ["www.qa.alice.example.org"]}
    section, _full = _check_against_the_full_plan(site, "qa")
    keys = sorted(_key(o) for o in _applied(section))
    assert keys == _changed_by(site, "qa")[0]
    assert [k[0] for k in keys].count("Certificate") == 1


def test_tenant_without_gateway_gets_its_empty_patch_only():
    tenants = example_tenants()
    tenants["bob"]["gateway"] = False
    tenants["kid"] = {"parent": "bob"}
    site = make_site(tenants, tls=DNS01)
    section = _day2(site, "kid")
    assert [_key(o) for o in _applied(section)] == [("Namespace", "", "tenant-bob-kid")]
    _check_against_the_full_plan(site, "kid")


def test_gateway_api_off_plans_nothing():
    site = make_site(example_tenants(), tls=DNS01, enabled=False)
    for entry in site["tenants"].values():
        entry.pop("gateway", None)
    section = _day2(site, "alice")
    assert section["apply"] == [] and section["files"] == {}


def test_a_pinned_address_another_gateway_holds_is_refused():
    tenants = example_tenants()
    tenants["alice"]["gateway_address"] = "10.30.0.70"
    tenants["carol"] = {"parent": "root", "gateway": True, "gateway_address": "10.30.0.70"}
    problems = []
    gw.plan_gateway_tenant(make_site(tenants, tls=DNS01), {}, "carol", problems)
    assert [p.path for p in problems] == ["netstack_tenants.carol.gateway_address"]


@settings(max_examples=25, deadline=None)
@given(trees(), st.sampled_from(["http01", "dns01"]), st.data())
def test_random_trees_every_tenant_equals_the_full_plan(tenants, mode, data):
    tls = DNS01 if mode == "dns01" else {"mode": "http01"}
    site = make_site(tenants, tls=tls, pools=[{"name": "public", "addresses": ["10.30.0.0/24"]}])
    for entry in tenants_mod.plan_tenants(site)["tenants"]:
        if entry["services"]["gateway"]:
            site["tenants"][entry["name"]]["gateway_hostnames"] = ["www." + entry["host"]]
    leaves = [n for n in tenants if not any((tenants[c] or {}).get("parent") == n for c in tenants)]
    name = data.draw(st.sampled_from(sorted(leaves)))
    section, _full = _check_against_the_full_plan(site, name)
    if name != "root":
        # a leaf new to the inventory: exactly the full plan's change (its parent's Gateway, when it left it,
        # is planned too: applied unchanged, a no-op on the server)
        keys = set(_key(o) for o in _applied(section))
        changed = set(_changed_by(site, name)[0])
        assert changed <= keys
        left = site["tenants"][name].get("gateway") is not None
        assert keys == changed or left, sorted(keys - changed)


def test_day2_reads_only_the_chain_and_the_touched_subtrees(monkeypatch):
    site = make_site(example_tenants(), tls=DNS01)
    for index in range(200):
        site["tenants"]["x%d" % index] = {"parent": "bob", "gateway": index % 2 == 0}
    site["tenants"]["qa"] = {"parent": "alice"}
    seen = []
    original = tenants_mod._tenant_facts
    monkeypatch.setattr(tenants_mod, "_tenant_facts", lambda name, *a: seen.append(name) or original(name, *a))
    monkeypatch.setattr(gw, "plan_gateway", None)
    monkeypatch.setattr(tenants_mod, "plan_tenants", None)
    _day2(site, "qa")
    assert not [n for n in seen if n.startswith("x")], seen


def test_build_tenant_plan_carries_the_gateway_part_and_its_files():
    site = sitegen.make_site(tenants=30)
    inventory_vars = site[0]
    inventory_vars["netstack_tenants"]["t3"]["gateway"] = True
    inventory_vars["netstack_tenants"]["new"] = {"parent": "t3", "gateway_hostnames": ["www.new.t3.example.org"]}
    plan = plan_core.build_tenant_plan(*site, name="new")
    full = plan_core.build_plan(*site)
    full_objects = _full_objects(full["gateway"])
    # HTTP-01 (the default): a listener and a Certificate for the new name on t3's Gateway
    assert [_key(o)[:2] for o in _applied(plan["gateway"])] == [
        ("Namespace", ""), ("Certificate", "tenant-t3"), ("Gateway", "tenant-t3")]
    assert all(full_objects[_key(o)] == o for o in _applied(plan["gateway"]))
    bundle = plan_core.render_tenant_bundle(plan)
    full_bundle = plan_core.render_bundle(full, ["tenants", "gateway"])
    assert sorted(bundle) == ["gateway/tenant-t3-new.yaml", "gateway/tenant-t3.yaml", "tenants/tenant-t3-new.yaml"]
    assert bundle == dict((path, full_bundle[path]) for path in bundle)


def test_build_tenant_plan_reports_gateway_problems():
    site = sitegen.make_site(tenants=5)
    site[0]["netstack_tenants"]["new"] = {"parent": "t1", "gateway": True, "gateway_pool": "nope"}
    with pytest.raises(PlanError, match="gateway_pool"):
        plan_core.build_tenant_plan(*site, name="new")
