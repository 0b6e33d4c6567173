"""One run reports every mistake it can find, across the validation stages, and never crashes on YAML types.

Validation runs in stages: schema, references, addresses and BGP, the tenant tree, then each area.
A mistake in one stage used to stop the run, so users fixed, re-ran and fixed again. Now a stage is
skipped only when what it reads is broken (``inventory.CORE_INPUTS``, ``TENANT_INPUTS``); a broken
node or tenant is left out and the rest is still checked, without follow-on noise about what was
left out. Values of the wrong YAML type (``no:`` read as a boolean, ``1.30`` as a number) are reported
with their path and the quoting that fixes them.
"""
import os

import pytest

from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import PlanError

import sitegen
from playbook_run import run_playbook
from test_validation import cluster, node

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "inventories", "example", "hosts.yml")


def problems_of(mutate, build=plan_core.build_plan):
    site = sitegen.make_site()
    mutate(site)
    with pytest.raises(PlanError) as caught:
        build(*site)
    return caught.value.problems


def at(problems, path):
    return [p for p in problems if p.path == path]


def tenants(site):
    return site[0]["netstack_tenants"]


def overlap_service_with_pods(site):
    cluster(site)["networks"]["service_cidr"] = "10.244.128.0/17"


def orphan_tenant(site):
    tenants(site)["orphan"] = {"parent": "nobody"}


SERVICE = "netstack_cluster.networks.service_cidr"
ORPHAN = "netstack_tenants.orphan.parent"


# --- stages --------------------------------------------------------------------------------------------

def test_schema_address_and_tenant_tree_mistakes_in_one_run():
    """The issue's case: three mistakes of three kinds, all reported by the first run."""
    def mutate(site):
        cluster(site)["kubernetes_version"] = "v1.33"          # schema (not read by addresses or tenants)
        overlap_service_with_pods(site)                        # address plan
        orphan_tenant(site)                                    # tenant tree
    problems = problems_of(mutate)
    assert at(problems, "netstack_cluster.kubernetes_version")
    assert any("overlaps pod_cidr" in p.message for p in at(problems, SERVICE))
    assert any("does not exist" in p.message for p in at(problems, ORPHAN))


@pytest.mark.parametrize("build", [plan_core.build_plan, lambda *s: plan_core.build_tenant_plan(*s, name="t1")],
                         ids=["site", "add_tenant"])
def test_a_broken_node_is_left_out_and_the_rest_still_checked(build):
    def mutate(site):
        node(site)["index"] = "abc"                            # schema, on one node
        overlap_service_with_pods(site)
        orphan_tenant(site)
    problems = problems_of(mutate, build)
    assert at(problems, "hosts.r1-n1.netstack_node.index")
    assert at(problems, SERVICE) and at(problems, ORPHAN)
    assert not [p for p in problems if p.path.startswith("hosts.") and not p.path.startswith("hosts.r1-n1.")], \
        "no follow-on problem about other hosts"


def test_the_only_control_plane_broken_gives_no_false_no_control_plane():
    def mutate(site):
        for host, entry in site[1].items():
            entry["role"] = "worker"
        site[1]["r1-n1"]["role"] = "control-plane"
        node(site)["rack"] = None
    problems = problems_of(mutate)
    assert [p.path for p in problems] == ["hosts.r1-n1.netstack_node.rack"]


def test_a_broken_core_input_skips_addresses_but_not_the_tenant_tree():
    def mutate(site):
        site[0]["netstack_fabric"]["vlans"][0]["cidr"] = "10.1.0.0"   # not a CIDR: no address plan possible
        overlap_service_with_pods(site)                                # not checked: needs the VLANs
        orphan_tenant(site)
    problems = problems_of(mutate)
    assert at(problems, "netstack_fabric.vlans[0].cidr")
    assert at(problems, ORPHAN)
    assert not at(problems, SERVICE), "the address stage is skipped, not run on a broken VLAN"


def test_a_broken_tenant_entry_gives_no_follow_on_problem_for_its_children():
    def mutate(site):
        tenants(site)["t1"]["gateway"] = "sure"                        # schema error on the parent
        tenants(site)["child"] = {"parent": "t1"}
        orphan_tenant(site)
    problems = problems_of(mutate)
    assert at(problems, "netstack_tenants.t1.gateway")
    assert at(problems, ORPHAN)
    assert not at(problems, "netstack_tenants.child.parent"), "t1 exists: its entry is broken, not missing"


def test_reference_problems_stop_addresses_only():
    def mutate(site):
        node(site)["rack"] = "r9"                                      # a reference: addresses cannot place it
        orphan_tenant(site)
    problems = problems_of(mutate)
    assert at(problems, "hosts.r1-n1.netstack_node.rack") and at(problems, ORPHAN)


def test_each_problem_is_reported_once():
    def mutate(site):
        overlap_service_with_pods(site)
        orphan_tenant(site)
    problems = problems_of(mutate)
    assert len(problems) == len(set(problems))


# --- YAML types ----------------------------------------------------------------------------------------

YAML_CASES = [
    ("tenant named no", lambda s: tenants(s).update({False: {"parent": "root"}}),
     "netstack_tenants.false", "is a boolean, not a name", 'quote the key, e.g. "no":'),
    ("label key yes", lambda s: node(s).setdefault("labels", {}).update({True: "x"}),
     "hosts.r1-n1.netstack_node.labels.true", "is a boolean", 'quote the key, e.g. "yes":'),
    ("numeric cluster key", lambda s: cluster(s).update({5: 1}), "netstack_cluster.5", "is a number, not a name",
     'quote the key, e.g. "5":'),
    ("parent no", lambda s: tenants(s).update(x={"parent": False}), "netstack_tenants.x.parent",
     "must be string or null, got boolean False", 'quote the word, e.g. "no"'),
    ("Kubernetes version 1.30 read as a number", lambda s: cluster(s).update(kubernetes_version=1.3),
     "netstack_cluster.kubernetes_version", "got number 1.3", 'YAML read a number: quote it'),
    ("VLAN name a number", lambda s: s[0]["netstack_fabric"]["vlans"][0].update(name=10),
     "netstack_fabric.vlans[0].name", "got integer 10", 'quote it, e.g. "10"'),
    ("empty rack", lambda s: node(s).update(rack=None), "hosts.r1-n1.netstack_node.rack", "got null",
     "the value is empty (YAML null)"),
    ("VLAN id quoted", lambda s: s[0]["netstack_fabric"]["vlans"][0].update(id="10"),
     "netstack_fabric.vlans[0].id", "must be integer", "write the number without quotes: 10"),
    ("boolean quoted", lambda s: s[0]["netstack_fabric"]["bgp"].update(bfd="yes"),
     "netstack_fabric.bgp.bfd", "must be boolean", "write true or false, without quotes"),
    ("list where a mapping belongs", lambda s: cluster(s).update(networks=["10.0.0.0/8"]),
     "netstack_cluster.networks", "must be object", "not a list"),
]


@pytest.mark.parametrize("mutate,path,message,hint", [c[1:] for c in YAML_CASES], ids=[c[0] for c in YAML_CASES])
def test_wrong_yaml_types_get_their_path_and_the_quoting_that_fixes_them(mutate, path, message, hint):
    problems = problems_of(mutate)
    found = at(problems, path)
    assert found, "no problem at %s: %s" % (path, [str(p) for p in problems])
    assert any(message in p.message and hint in p.hint for p in found), [str(p) for p in found]


def test_a_boolean_tenant_name_beside_other_mistakes_is_reported_with_them():
    def mutate(site):
        tenants(site)[False] = {"parent": "root"}
        overlap_service_with_pods(site)
        orphan_tenant(site)
    problems = problems_of(mutate)
    assert at(problems, "netstack_tenants.false") and at(problems, SERVICE) and at(problems, ORPHAN)


def test_the_plan_play_reports_a_yaml_boolean_tenant_and_writes_nothing(tmp_path):
    """Through ansible-playbook, as a user meets it: `no:` unquoted in the tenants, YAML 1.1 reads False."""
    extra = tmp_path / "tenants.yml"
    extra.write_text("netstack_tenants:\n  root:\n    host: example.org\n  no:\n    parent: root\n")
    bundle = tmp_path / "bundle"
    rc, output = run_playbook("tenants.yml", [EXAMPLE], "-e", "@%s" % extra, "-e", "netstack_bundle_dir=%s" % bundle)
    assert rc != 0
    assert "netstack_tenants.false: key false is a boolean, not a name" in output, output[-3000:]
    assert 'quote the key, e.g. \\"no\\":' in output or 'quote the key, e.g. "no":' in output
    assert "Traceback" not in output and "not supported between" not in output
    assert not bundle.exists(), "nothing is written when the inventory has problems"
