# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tenant model: naming, labels, plan_one_tenant, determinism, stability, schema, validation.

The helpers at the top (``make_site``, ``example_tenants``, ``tenant_trees``) are shared by the
other tenant test modules.
"""
from __future__ import absolute_import, division, print_function

import copy
import ipaddress
import random
import time

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.netstack.baremetal.plugins.module_utils import schema_check
from ansible_collections.netstack.baremetal.plugins.module_utils import tenants as core


def make_site(tenants, isolation="strict", variant="kubeovn-cilium", pool="10.200.0.0/16", **tenancy):
    tenancy = dict(tenancy, isolation=isolation)
    return {
        "cluster": {
            "variant": variant,
            "api": {"port": 6443},
            "features": {"gateway_api": {"enabled": True, "attached_namespaces": ["cozy-dashboard"]}},
            "networks": {"pod_cidr": "10.244.0.0/16", "service_cidr": "10.96.0.0/16", "join_cidr": "100.64.0.0/16",
                         "cluster_cidr": "100.65.0.0/16", "tenant_subnet_pool": pool},
            "tenancy": tenancy,
        },
        "tenants": copy.deepcopy(tenants),
    }


def example_tenants():
    """The example inventory's tree, with services switched on at the root."""
    return {
        "root": {"host": "example.org", "gateway": True, "ingress": True, "etcd": True, "monitoring": True},
        "alice": {"parent": "root", "gateway": True, "ingress": True},
        "dev": {"parent": "alice", "etcd": True},
        "feature": {"parent": "dev"},
        "staging": {"parent": "alice", "monitoring": True},
        "bob": {"parent": "root", "host": "bob.example.net"},
    }


NAME_POOL = ("a", "b", "dev", "prod", "x1", "9z", "team", "qa", "ab", "c", "stage", "ops")


def _service_flags(bits):
    return {"ingress": bool(bits & 1), "etcd": bool(bits & 2), "monitoring": bool(bits & 4)}


@st.composite
def tenant_trees(draw, max_tenants=6):
    """A random tree below root: shape, names, services and gateway choice (few draws: they are slow)."""
    names = draw(st.permutations(NAME_POOL))[:draw(st.integers(min_value=1, max_value=max_tenants))]
    tenants = {"root": dict(host="example.org", **_service_flags(draw(st.integers(0, 7))))}
    placed = ["root"]
    for name in names:
        options = dict(parent=placed[draw(st.integers(0, len(placed) - 1))],
                       **_service_flags(draw(st.integers(0, 7))))
        gateway = (None, True, False)[draw(st.integers(0, 2))]
        if gateway is not None:
            options["gateway"] = gateway
        tenants[name] = options
        placed.append(name)
    return tenants


# --- tests ------------------------------------------------------------------


def _plan(tenants, **kwargs):
    return core.plan_tenants(make_site(tenants, **kwargs))


def _entries(section):
    return {e["name"]: e for e in section["tenants"]}


def _messages(problems):
    return "\n".join(str(p) for p in problems)


# naming and labels

@pytest.mark.parametrize("name,parent_namespace,expected", [
    ("root", None, "tenant-root"),
    ("alice", "tenant-root", "tenant-alice"),
    ("dev", "tenant-alice", "tenant-alice-dev"),
    ("feature", "tenant-alice-dev", "tenant-alice-dev-feature"),
])
def test_namespace_naming(name, parent_namespace, expected):
    assert core.namespace_for(name, parent_namespace) == expected


def test_example_tree_namespaces_depths_and_order():
    section = _plan(example_tenants())
    assert [e["namespace"] for e in section["tenants"]] == [
        "tenant-alice", "tenant-alice-dev", "tenant-alice-dev-feature", "tenant-alice-staging", "tenant-bob",
        "tenant-root"]
    feature = _entries(section)["feature"]
    assert feature["ancestors"] == ["root", "alice", "dev"]
    assert feature["ancestor_namespaces"] == ["tenant-root", "tenant-alice", "tenant-alice-dev"]
    assert feature["depth"] == 3 and feature["parent"] == "dev" and feature["parent_namespace"] == "tenant-alice-dev"


def test_labels_of_a_deep_tenant_are_the_reference_labels():
    feature = _entries(_plan(example_tenants()))["feature"]
    assert feature["labels"] == {
        "namespace.cozystack.io/etcd": "tenant-alice-dev",        # nearest ancestor running etcd
        "namespace.cozystack.io/gateway": "tenant-alice",
        "namespace.cozystack.io/host": "feature.dev.alice.example.org",
        "namespace.cozystack.io/ingress": "tenant-alice",
        "namespace.cozystack.io/monitoring": "tenant-root",
        "tenant.cozystack.io/tenant-alice": "",
        "tenant.cozystack.io/tenant-alice-dev": "",
        "tenant.cozystack.io/tenant-alice-dev-feature": "",
        "tenant.cozystack.io/tenant-root": "",
    }
    namespace = feature["objects"][0]
    assert namespace == {"apiVersion": "v1", "kind": "Namespace",
                         "metadata": {"name": "tenant-alice-dev-feature", "labels": feature["labels"]}}


def test_root_carries_no_tenant_label():
    root = _entries(_plan(example_tenants()))["root"]
    assert not [k for k in root["labels"] if k.startswith("tenant.cozystack.io/")]
    assert root["labels"]["namespace.cozystack.io/host"] == "example.org"
    assert root["labels"]["platform.cozystack.io/no-delete"] == "true"


def test_label_domain_is_configurable():
    section = _plan({"root": {"host": "example.org"}, "a": {}}, label_domain="tenants.example.com")
    a = _entries(section)["a"]
    assert "tenants.example.com/tenant-a" in a["labels"] and "tenants.example.com/tenant-root" in a["labels"]
    egress = [o for o in a["objects"] if o["metadata"]["name"] == "tenant-a-egress"][0]
    assert egress["spec"]["egress"][0]["toEndpoints"][0]["matchLabels"] == {
        "k8s:io.cilium.k8s.namespace.labels.tenants.example.com/tenant-a": ""}


def test_host_apex_is_inherited_unless_set():
    tenants = example_tenants()
    tenants["shop"] = {"parent": "bob"}
    entries = _entries(_plan(tenants))
    assert entries["dev"]["host"] == "dev.alice.example.org" and entries["dev"]["host_inherited"]
    assert entries["bob"]["host"] == "bob.example.net" and not entries["bob"]["host_inherited"]
    assert entries["shop"]["host"] == "shop.bob.example.net"


def test_parent_defaults_to_root():
    entries = _entries(_plan({"root": {"host": "example.org"}, "a": {}, "b": {"parent": None}}))
    assert entries["a"]["parent"] == "root" and entries["b"]["namespace"] == "tenant-b"


def test_gateway_is_tri_state():
    tenants = {"root": {"host": "example.org", "gateway": True}, "own": {"gateway": True},
               "inherit": {"parent": "own"}, "none": {"parent": "own", "gateway": False},
               "below": {"parent": "none"}}
    entries = _entries(_plan(tenants))
    assert entries["own"]["services"]["gateway"] == "tenant-own"
    assert entries["inherit"]["services"]["gateway"] == "tenant-own"
    assert entries["none"]["services"]["gateway"] is None
    assert "namespace.cozystack.io/gateway" not in entries["none"]["labels"]
    assert entries["below"]["services"]["gateway"] is None


def test_locators_point_at_the_nearest_ancestor_running_the_service():
    tenants = {"root": {"host": "example.org", "etcd": True, "seaweedfs": True}, "a": {"etcd": True},
               "b": {"parent": "a"}, "c": {}}
    entries = _entries(_plan(tenants))
    assert entries["b"]["services"]["etcd"] == "tenant-a"
    assert entries["c"]["services"]["etcd"] == "tenant-root"
    assert entries["b"]["services"]["seaweedfs"] == "tenant-root"
    assert entries["b"]["services"]["ingress"] is None


# plan_one_tenant

class _RecordingDict(dict):
    """A mapping that remembers which keys were read."""

    def __init__(self, *args):
        super(_RecordingDict, self).__init__(*args)
        self.read = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super(_RecordingDict, self).__getitem__(key)

    def get(self, key, default=None):
        self.read.add(key)
        return super(_RecordingDict, self).get(key, default)

    def __iter__(self):
        raise AssertionError("plan_one_tenant must not iterate over all tenants")

    def keys(self):
        raise AssertionError("plan_one_tenant must not list all tenants")

    def items(self):
        raise AssertionError("plan_one_tenant must not list all tenants")


def test_plan_one_tenant_reads_only_the_ancestor_chain():
    tenants = example_tenants()
    for index in range(200):
        tenants["filler%d" % index] = {"parent": "bob"}
    site = make_site(tenants)
    site["tenants"] = _RecordingDict(site["tenants"])
    entry = core.plan_one_tenant(site, "feature")
    assert site["tenants"].read == {"feature", "dev", "alice", "root"}
    assert entry["namespace"] == "tenant-alice-dev-feature"


def test_plan_one_tenant_rejects_unknown_and_broken_chains():
    with pytest.raises(core.TenantTreeError, match="not in netstack_tenants"):
        core.plan_one_tenant(make_site(example_tenants()), "nobody")
    with pytest.raises(core.TenantTreeError, match="names parent 'ghost'"):
        core.plan_one_tenant(make_site({"root": {"host": "example.org"}, "a": {"parent": "ghost"}}), "a")
    with pytest.raises(core.TenantTreeError, match="loops"):
        core.plan_one_tenant(make_site({"root": {"host": "example.org"}, "a": {"parent": "b"},
                                        "b": {"parent": "a"}}), "a")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tenant_trees())
def test_plan_one_tenant_equals_the_full_plan(tenants):
    site = make_site(tenants)
    for entry in core.plan_tenants(site)["tenants"]:
        assert core.plan_one_tenant(site, entry["name"]) == entry


# determinism and stability

def _shuffled(tenants, seed):
    names = list(tenants)
    random.Random(seed).shuffle(names)
    return {name: tenants[name] for name in names}


def test_rendering_is_deterministic():
    first = core.render_tenants(_plan(example_tenants()))
    again = core.render_tenants(_plan(example_tenants()))
    shuffled = core.render_tenants(_plan(_shuffled(example_tenants(), 7)))
    assert first == again == shuffled
    assert sorted(first) == ["tenants/reachability.md", "tenants/tenant-alice-dev-feature.yaml",
                             "tenants/tenant-alice-dev.yaml", "tenants/tenant-alice-staging.yaml",
                             "tenants/tenant-alice.yaml", "tenants/tenant-bob.yaml", "tenants/tenant-root.yaml"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tenant_trees(max_tenants=5))
def test_adding_a_tenant_changes_no_other_tenants_file(tenants):
    before = core.render_tenants(_plan(tenants))
    grown = dict(tenants)
    parent = sorted(tenants)[len(tenants) // 2]
    grown["newcomer"] = {"parent": parent, "ingress": True, "etcd": True, "subnet": {}}
    after = core.render_tenants(_plan(grown))
    changed = sorted(path for path in after if before.get(path) != after[path])
    new_file = core.tenant_file(core.plan_one_tenant(make_site(grown), "newcomer")["namespace"])
    assert changed == sorted([new_file, "tenants/reachability.md"])
    assert set(before) <= set(after)


def test_stable_output_bytes_for_the_example():
    text = core.render_tenants(_plan(example_tenants()))["tenants/tenant-bob.yaml"]
    assert text.startswith("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: tenant-bob\n")


# modes and variants

def test_noop_variant_renders_namespaces_only():
    section = _plan(example_tenants(), variant="noop")
    assert section["policies_enforced"] is False
    assert all([o["kind"] for o in e["objects"]] == ["Namespace"] for e in section["tenants"])
    report = core.render_tenants(section)["tenants/reachability.md"]
    assert "not enforced" in report and "Reachability" not in report


def test_subnet_slices_are_stable_and_inside_the_pool():
    tenants = {"root": {"host": "example.org"}, "a": {"subnet": {}}, "b": {"subnet": {"prefix_length": 26}},
               "c": {"subnet": {"cidr": "10.200.255.0/24", "nat_outgoing": False}}}
    entries = _entries(_plan(tenants))
    pool = ipaddress.ip_network("10.200.0.0/16")
    for name in ("a", "b", "c"):
        assert ipaddress.ip_network(entries[name]["subnet"]["cidr"]).subnet_of(pool)
    assert entries["b"]["subnet"]["cidr"].endswith("/26")
    assert entries["c"]["subnet"] == {"cidr": "10.200.255.0/24", "gateway": "10.200.255.1",
                                      "allocation": "pinned", "nat_outgoing": False}
    tenants.update({"d%d" % i: {"subnet": {}} for i in range(10)})
    assert _entries(_plan(tenants))["a"]["subnet"] == entries["a"]["subnet"]
    subnet = [o for o in entries["a"]["objects"] if o["kind"] == "Subnet"][0]
    assert subnet["spec"]["namespaces"] == ["tenant-a"] and subnet["spec"]["excludeIps"] == [
        entries["a"]["subnet"]["gateway"]]
    assert entries["a"]["objects"][1]["kind"] == "Subnet"


def test_render_accepts_the_whole_plan_or_the_section():
    section = _plan(example_tenants())
    assert core.render_tenants({"format": 1, "tenants": section}) == core.render_tenants(section)


def test_report_matrix_is_skipped_for_large_trees():
    tenants = {"root": {"host": "example.org"}}
    tenants.update({"t%d" % i: {} for i in range(core.MATRIX_MAX_TENANTS + 1)})
    text = core.render_tenants(_plan(tenants))["tenants/reachability.md"]
    assert "matrix is left out" in text


def test_report_matrix_for_the_example_shows_the_hierarchy():
    text = core.render_tenants(_plan(example_tenants()))["tenants/reachability.md"]
    assert "| tenant-alice-staging | ingress | - | - | all | - | ingress, vminsert, etcd |" in text
    # dev runs its own etcd, so its subtree uses dev's etcd and not root's
    assert "| tenant-alice-dev-feature | ingress | etcd | all | - | - | ingress, vminsert |" in text
    assert "| unpoliced pod (namespace default) | - | - | - | - | - | - |" in text
    reference = core.render_tenants(_plan(example_tenants(), isolation="reference"))["tenants/reachability.md"]
    assert "| unpoliced pod (namespace default) | yes | yes | yes | yes | yes | yes |" in reference


# schema fragments

def _walk_properties(schema, path="netstack_tenants"):
    for key, sub in (schema.get("properties") or {}).items():
        yield "%s.%s" % (path, key), sub
        yield from _walk_properties(sub, "%s.%s" % (path, key))
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _walk_properties(schema[key], "%s.<%s>" % (path, key))


@pytest.mark.parametrize("schema", [core.TENANTS_SCHEMA, core.TENANCY_SCHEMA, core.TENANT_SUBNET_POOL_SCHEMA],
                         ids=["tenants", "tenancy", "pool"])
def test_schema_fragments_are_documented_and_valid(schema):
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema.get("description")
    missing = [path for path, sub in _walk_properties(schema) if not sub.get("description")]
    assert not missing


def test_schema_fragment_fills_defaults_with_the_core_validator():
    checked, problems = schema_check.validate(core.TENANTS_SCHEMA, {"root": {"host": "example.org"},
                                                                    "a": {"subnet": {}}}, "netstack_tenants")
    assert not problems
    assert checked["a"] == {"subnet": {"cidr": None, "prefix_length": 24, "nat_outgoing": True},
                            "parent": None, "host": None, "gateway": None, "etcd": False, "ingress": False,
                            "monitoring": False, "seaweedfs": False}
    tenancy, problems = schema_check.validate(core.TENANCY_SCHEMA, {}, "netstack_cluster.tenancy")
    assert not problems and tenancy["isolation"] == "strict" and len(tenancy["shared_services"]) == 5
    problems = schema_check.validate(core.TENANTS_SCHEMA, {"a": {"parnet": "root"}}, "netstack_tenants")[1]
    assert [str(p) for p in problems] == ["netstack_tenants.a.parnet: unknown key 'parnet' (did you mean 'parent'?)"]


# validation

def _site_with(mutate):
    site = make_site(example_tenants())
    mutate(site)
    return site


def _tenant(name, **options):
    return lambda site: site["tenants"].__setitem__(name, options)


def _tenancy(**options):
    return lambda site: site["cluster"]["tenancy"].update(options)


def _collide_two_names():
    """Two tenant names whose automatic /24 slices of a /22 collide (found by search: hashing is fixed)."""
    seen = {}
    for index in range(1000):
        name = "n%d" % index
        slot = core.subnet_allocation("tenant-" + name, {"prefix_length": 24}, "10.200.0.0/22")["cidr"]
        if slot in seen:
            return seen[slot], name
        seen[slot] = name
    raise AssertionError("no collision among 1000 names")


_A, _B = _collide_two_names()

VALIDATION_CASES = [
    ("root missing", lambda s: s["tenants"].pop("root"), "netstack_tenants",
     "the root tenant 'root' is missing (add netstack_tenants.root with host: <cluster apex>)"),
    ("root with a parent", lambda s: s["tenants"]["root"].update(parent="alice"), "netstack_tenants.root.parent",
     "the root tenant has no parent (got 'alice')"),
    ("root without host", lambda s: s["tenants"]["root"].pop("host"), "netstack_tenants.root.host",
     "is required: the root tenant's host is the cluster apex domain"),
    ("name with a dash", _tenant("a-b"), "netstack_tenants.a-b",
     "name 'a-b' is not allowed: tenant names cannot contain '-'"),
    ("name with upper case", _tenant("Carol"), "netstack_tenants.Carol",
     "name 'Carol' is not allowed: tenant names are DNS-label safe"),
    ("unknown parent", _tenant("carol", parent="alcie"), "netstack_tenants.carol.parent",
     "parent 'alcie' does not exist (did you mean 'alice'?)"),
    ("namespace too long", lambda s: s["tenants"].update(
        {"x" * 25: {"parent": "alice"}, "y" * 25: {"parent": "x" * 25}}), "netstack_tenants." + "y" * 25,
     "namespace 'tenant-alice-%s-%s' is 64 characters, the limit is 63" % ("x" * 25, "y" * 25)),
    # 'alice-dev' would share alice/dev's namespace tenant-alice-dev: reported once, as the name to change
    ("duplicate namespace", lambda s: s["tenants"].update({"alice-dev": {}}), "netstack_tenants.alice-dev",
     "name 'alice-dev' is not allowed: tenant names cannot contain '-' (namespaces join names with '-', so a "
     "dash would be ambiguous; use 'alicedev')"),
    ("host not a DNS name", _tenant("carol", host="bad_host.example"), "netstack_tenants.carol.host",
     "apex 'bad_host.example' is not a valid DNS name"),
    ("apex too long for a label", lambda s: s["tenants"]["root"].update(host="a" * 50 + ".example.org"),
     "netstack_tenants.alice.host", "(inherited: alice.<parent apex>) is 68 characters; the label "
     "namespace.cozystack.io/host holds at most 63"),
    ("duplicate apex", _tenant("carol", host="alice.example.org"), "netstack_tenants.carol.host",
     "apex 'alice.example.org' is also the apex of tenant 'alice'"),
    ("apex inside a non-ancestor's apex", _tenant("carol", host="shop.alice.example.org"),
     "netstack_tenants.carol.host", "apex 'shop.alice.example.org' is inside tenant 'alice''s apex "
     "'alice.example.org', and 'alice' is not an ancestor (set parent: alice to make it a sub-tenant of 'alice', "
     "or remove host to use 'carol.example.org')"),
    ("sub-tenant reuses its parent's apex", _tenant("carol", parent="bob", host="bob.example.net"),
     "netstack_tenants.carol.host", "apex 'bob.example.net' is also the apex of its parent 'bob': a sub-tenant's "
     "apex lies inside it (remove host to use 'carol.bob.example.net')"),
    ("sub-tenant reuses an ancestor's apex", _tenant("carol", parent="dev", host="alice.example.org"),
     "netstack_tenants.carol.host", "contains the apex 'dev.alice.example.org' of its parent 'dev'"),
    ("gateway without the Gateway API", lambda s: s["cluster"]["features"]["gateway_api"].update(enabled=False),
     "netstack_tenants.alice.gateway", "a tenant Gateway needs netstack_cluster.features.gateway_api.enabled: true"),
    ("shared service with a reserved name", _tenancy(shared_services=[{"name": "dns", "namespace": "cozy-x"}]),
     "netstack_cluster.tenancy.shared_services[0].name", "name 'dns' is reserved: allow-to-dns is a built-in"),
    ("duplicate shared service", _tenancy(shared_services=[{"name": "ui", "namespace": "cozy-a"},
                                                           {"name": "ui", "namespace": "cozy-b"}]),
     "netstack_cluster.tenancy.shared_services[1].name", "duplicate shared service 'ui' (also shared_services[0])"),
    ("shared service in a tenant", _tenancy(shared_services=[{"name": "x", "namespace": "tenant-bob"}]),
     "netstack_cluster.tenancy.shared_services[0].namespace", "'tenant-bob' is the namespace of tenant 'bob'"),
    ("tenant as system namespace", _tenancy(system_namespaces=["tenant-bob"]),
     "netstack_cluster.tenancy.system_namespaces[0]", "'tenant-bob' is a tenant namespace"),
    ("tenant attached to every Gateway",
     lambda s: s["cluster"]["features"]["gateway_api"].update(attached_namespaces=["cozy-x", "tenant-alice"]),
     "netstack_cluster.features.gateway_api.attached_namespaces[1]",
     "'tenant-alice' is the namespace of tenant 'alice'; its routes would attach to every tenant's Gateway"),
    ("subnet without Kube-OVN", lambda s: (s["cluster"].update(variant="cilium"),
                                           s["tenants"]["bob"].update(subnet={})),
     "netstack_tenants.bob.subnet", "needs Kube-OVN, but variant 'cilium' has none"),
    ("subnet without a pool", lambda s: (s["cluster"]["networks"].pop("tenant_subnet_pool"),
                                         s["tenants"]["bob"].update(subnet={})),
     "netstack_tenants.bob.subnet", "an automatic subnet needs netstack_cluster.networks.tenant_subnet_pool"),
    ("pinned subnet outside the pool", lambda s: s["tenants"]["bob"].update(subnet={"cidr": "10.201.0.0/24"}),
     "netstack_tenants.bob.subnet.cidr", "10.201.0.0/24 is outside the tenant pool 10.200.0.0/16"),
    ("pinned subnet in the pod pool", lambda s: s["tenants"]["bob"].update(subnet={"cidr": "10.244.7.0/24"}),
     "netstack_tenants.bob.subnet.cidr", "10.244.7.0/24 overlaps pod_cidr 10.244.0.0/16"),
    ("pool overlapping the services", lambda s: s["cluster"]["networks"].update(tenant_subnet_pool="10.96.0.0/12"),
     "netstack_cluster.networks.tenant_subnet_pool", "pool 10.96.0.0/12 overlaps service_cidr 10.96.0.0/16"),
    ("slice larger than the pool", lambda s: (s["cluster"]["networks"].update(tenant_subnet_pool="10.200.0.0/20"),
                                              s["tenants"]["bob"].update(subnet={"prefix_length": 18})),
     "netstack_tenants.bob.subnet.prefix_length", "a /18 slice does not fit in the pool 10.200.0.0/20"),
    ("two pinned subnets overlap", lambda s: (s["tenants"]["bob"].update(subnet={"cidr": "10.200.0.0/23"}),
                                              s["tenants"]["alice"].update(subnet={"cidr": "10.200.1.0/24"})),
     "netstack_tenants.alice.subnet", "pinned subnet 10.200.1.0/24 overlaps tenant 'bob''s subnet 10.200.0.0/23"),
    ("automatic slices collide", lambda s: (
        s["cluster"]["networks"].update(tenant_subnet_pool="10.200.0.0/22"),
        s["tenants"].update({_A: {"subnet": {}}, _B: {"subnet": {}}})),
     "netstack_tenants.%s" % max(_A, _B, key=lambda n: ("tenant-" + n)),
     "hashed subnet"),
]


@pytest.mark.parametrize("mutate,path,message", [c[1:] for c in VALIDATION_CASES],
                         ids=[c[0] for c in VALIDATION_CASES])
def test_validation_reports_path_and_message(mutate, path, message):
    problems = core.validate_tenants(_site_with(mutate))
    matching = [p for p in problems if p.path.startswith(path) and message in str(p)]
    assert matching, "expected %s: %s, got:\n%s" % (path, message, _messages(problems))


def test_collision_hint_names_a_free_slice():
    site = _site_with(lambda s: (s["cluster"]["networks"].update(tenant_subnet_pool="10.200.0.0/22"),
                                 s["tenants"].update({_A: {"subnet": {}}, _B: {"subnet": {}}})))
    problems = core.validate_tenants(site)
    assert len(problems) == 1 and problems[0].hint.startswith("pin one of them with subnet.cidr; ")
    assert problems[0].hint.endswith(" is free")


@pytest.mark.parametrize("tenants,expected", [
    ({"a": {"parent": "b"}, "b": {"parent": "a"}},
     ("netstack_tenants.a.parent", "parent chain is a cycle: a -> b -> a",
      "every chain must end at 'root': set netstack_tenants.a.parent: root (or the parent of b)")),
    ({"a": {"parent": "a"}}, ("netstack_tenants.a.parent", "parent chain is a cycle: a -> a",
                              "every chain must end at 'root': set netstack_tenants.a.parent: root")),
    ({"a": {"parent": "b"}, "b": {"parent": "c"}, "c": {"parent": "b"}},
     ("netstack_tenants.b.parent", "parent chain is a cycle: b -> c -> b",
      "every chain must end at 'root': set netstack_tenants.b.parent: root (or the parent of c)")),
], ids=["two", "self", "tail into a cycle"])
def test_a_cycle_is_one_problem_naming_every_member(tenants, expected):
    site = make_site(dict({"root": {"host": "example.org"}}, **tenants))
    problems = core.validate_tenants(site)
    assert [p.as_tuple() for p in problems] == [expected]


def test_valid_trees_have_no_problems():
    assert core.validate_tenants(make_site(example_tenants())) == []
    assert core.validate_tenants(make_site({})) == []


def test_many_problems_are_reported_in_one_run():
    site = _site_with(lambda s: s["tenants"].update({"a-b": {}, "carol": {"parent": "ghost"},
                                                     "dave": {"host": "alice.example.org"}}))
    paths = {p.path for p in core.validate_tenants(site)}
    assert {"netstack_tenants.a-b", "netstack_tenants.carol.parent", "netstack_tenants.dave.host"} <= paths


def test_plan_tenants_with_problems_returns_nothing_and_reports():
    problems = []
    section = core.plan_tenants(make_site({"root": {"host": "example.org"}, "a": {"parent": "x"}}), {}, problems)
    assert section == {} and [p.path for p in problems] == ["netstack_tenants.a.parent"]


def test_validation_is_fast_for_5000_tenants():
    tenants = {"root": {"host": "example.org"}}
    for index in range(5000):
        tenants["t%d" % index] = {"parent": "root" if index < 50 else "t%d" % (index // 50 - 1)}
    started = time.process_time()
    assert core.validate_tenants(make_site(tenants)) == []
    assert time.process_time() - started < 5


def test_other_areas_can_add_tenant_options():
    extra = {"gateway_pool": {"type": ["string", "null"], "default": None, "description": "Pool."}}
    schema = core.with_tenant_properties(extra)
    checked, problems = schema_check.validate(schema, {"root": {"host": "example.org", "gateway_pool": "x"},
                                                       "a": {}}, "netstack_tenants")
    assert not problems and checked["a"]["gateway_pool"] is None and checked["root"]["gateway_pool"] == "x"
    assert "gateway_pool" not in core.TENANT_SCHEMA["properties"]
    with pytest.raises(ValueError, match="already defined"):
        core.with_tenant_properties({"host": {}})


# --- one mistake, one problem, on the key to change (issue #13) ----------------------------------------

@pytest.mark.parametrize("mutate,path,message", [
    # the child reuses its parent's apex: the child's host is what to change, the parent is fine
    (_tenant("carol", parent="bob", host="bob.example.net"), "netstack_tenants.carol.host",
     "apex 'bob.example.net' is also the apex of its parent 'bob': a sub-tenant's apex lies inside it"),
    (_tenant("carol", parent="alice", host="example.org"), "netstack_tenants.carol.host",
     "apex 'example.org' contains the apex 'alice.example.org' of its parent 'alice': a sub-tenant's apex lies "
     "inside it"),
    # an unrelated tenant takes an inherited apex: reported on the one that set it, not on alice
    (_tenant("carol", host="alice.example.org"), "netstack_tenants.carol.host",
     "apex 'alice.example.org' is also the apex of tenant 'alice'"),
    # two tenants set the same apex: once, on the later name
    (lambda s: s["tenants"].update(carol={"host": "shop.example.com"}, dave={"host": "shop.example.com"}),
     "netstack_tenants.dave.host", "apex 'shop.example.com' is also the apex of tenant 'carol'"),
    # a dash in a name: the name, not a namespace clash as well
    (lambda s: s["tenants"].update({"alice-dev": {}}), "netstack_tenants.alice-dev", "name 'alice-dev' is not allowed"),
    # a bad root apex is inherited by every tenant: reported where it is set
    (lambda s: s["tenants"]["root"].update(host="Example_Org"), "netstack_tenants.root.host",
     "apex 'Example_Org' is not a valid DNS name"),
    # an apex that overflows the label is inherited by the sub-tenants: reported on the first tenant only
    (lambda s: s["tenants"]["bob"].update(host="b" * 52 + ".example.net"), "netstack_tenants.bob.host",
     "is 64 characters"),
])
def test_one_mistake_gives_one_problem_at_the_key_to_change(mutate, path, message):
    problems = core.validate_tenants(_site_with(mutate))
    assert [(p.path, message in p.message) for p in problems] == [(path, True)], _messages(problems)
    assert problems[0].hint, problems[0]


def test_child_apex_hint_is_a_value_that_works():
    site = _site_with(_tenant("carol", parent="bob", host="bob.example.net"))
    problem, = core.validate_tenants(site)
    assert problem.hint == "remove host to use 'carol.bob.example.net'"
    site["tenants"]["carol"].pop("host")
    assert core.validate_tenants(site) == []


def test_namespace_too_long_is_reported_once_per_subtree():
    site = _site_with(lambda s: s["tenants"].update({"x" * 60: {"parent": "alice"}, "y": {"parent": "x" * 60}}))
    problems = [p for p in core.validate_tenants(site) if not p.path.endswith(".host")]
    assert [p.path for p in problems] == ["netstack_tenants." + "x" * 60]
    assert problems[0].hint.startswith("use a tenant name at least ")
