"""The example inventories plan cleanly, deterministically, and the report says what the plan holds."""
import subprocess
import sys

import pytest

from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core

from inventory_loader import load_inventory, REPO


@pytest.fixture(scope="module")
def example():
    return load_inventory(REPO / "inventories" / "example")


def test_example_plans(example):
    plan = plan_core.build_plan(*example)
    assert plan["cluster"]["name"] == "lab1"
    assert len(plan["nodes"]) == 9
    assert sum(1 for n in plan["nodes"].values() if n["role"] == "control-plane") == 3
    assert len(plan["switches"]) == 6
    # every node peers with both switches of its rack
    assert len(plan["bgp"]["sessions"]) == 18
    for session in plan["bgp"]["sessions"]:
        assert plan["switches"][session["switch"]]["rack"] == plan["nodes"][session["node"]]["rack"]


def test_example_bundle_is_byte_identical_across_runs(example):
    first = plan_core.render_bundle(plan_core.build_plan(*example), ["plan"])
    second = plan_core.render_bundle(plan_core.build_plan(*load_inventory(REPO / "inventories" / "example")),
                                     ["plan"])
    assert first == second
    assert set(first) >= {"plan.yaml", "report.md", "report.html"}


def test_example_plan_is_deterministic_across_processes():
    """Hash seeds differ between interpreters: a dict/set ordering bug shows up here."""
    code = ("import hashlib, sys; sys.path[:0] = %r; from inventory_loader import load_inventory, REPO; "
            "from ansible_collections.netstack.baremetal.plugins.module_utils import plan as p; "
            "b = p.render_bundle(p.build_plan(*load_inventory(REPO / 'inventories' / 'example')), ['plan']); "
            "print(hashlib.sha256(repr(sorted(b.items())).encode()).hexdigest())" % (sys.path,))
    # the whole sys.path: where the collection sits in it depends on which test modules the worker imported
    digests = {subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                              env={"PYTHONHASHSEED": str(seed), "PATH": "/usr/bin:/bin"}).stdout
               for seed in (1, 2, 3)}
    assert len(digests) == 1


def test_report_tables_match_plan(example):
    plan = plan_core.build_plan(*example)
    report = plan_core.render_bundle(plan, ["plan"])["report.md"]
    for host, node in plan["nodes"].items():
        for vlan, address in node["addresses"].items():
            assert "| %s | %s | %s | %s |" % (host, node["role"], node["rack"], address) in report
    for session in plan["bgp"]["sessions"]:
        assert "| %s | %s | %d | %s | %s | %d |" % (
            session["switch"], session["switch_address"], session["switch_asn"], session["node"],
            session["node_address"], session["node_asn"]) in report
    assert "```mermaid" in report
    html = plan_core.render_bundle(plan, ["plan"])["report.html"]
    separators = sum(1 for line in report.splitlines() if line.startswith("|---"))
    assert html.count("<table>") == separators and '<figure class="diagram">\n<svg' in html


def test_plan_carries_no_secret(example):
    bundle = plan_core.render_bundle(plan_core.build_plan(*example), ["plan"])
    secret = "example-only-not-secret"
    assert all(secret not in text for text in bundle.values())
    assert "vault_netstack_bgp_password" in bundle["plan.yaml"]


def test_unknown_section_is_refused(example):
    with pytest.raises(ValueError, match="unknown bundle section"):
        plan_core.render_bundle(plan_core.build_plan(*example), ["nope"])
