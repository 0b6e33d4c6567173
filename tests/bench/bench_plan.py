"""Benchmark: validate and plan a large site in-process, and compare with the naive per-host Jinja way.

Run with `make bench`. Prints wall times; the target (documented in docs/architecture.md) is
validation + planning of 1,000 nodes in 40 racks (80 switches) and 5,000 tenants under 1 second.
"""
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "unit"), os.path.join(HERE, "..", "..", "build", "collections")]

from ansible_collections.netstack.baremetal.plugins.module_utils import inventory, plan as plan_core  # noqa: E402
from ansible_collections.netstack.baremetal.plugins.module_utils import consistency  # noqa: E402

import sitegen  # noqa: E402


def best_of(runs, fn):
    times = []
    for dummy in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times)


def naive_jinja(site, node_names):
    """Per-host Jinja with ansible.utils ipaddr filters: what a template-driven role does for each host."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    from ansible_collections.ansible.utils.plugins.filter.ipaddr import FilterModule as IpaddrFilters
    from ansible_collections.ansible.utils.plugins.filter.nthhost import FilterModule as NthFilters
    inventory_vars, nodes = site[0], site[1]
    vlans = inventory_vars["netstack_fabric"]["vlans"]
    template = (
        "{% set out = {} %}"
        "{% for vlan in vlans %}"
        "{% set address = vlan.cidr | ansible.utils.nthhost(10 + node.index) %}"
        "{% if address | ansible.utils.ipaddr(vlan.cidr) %}"
        "{% set _ = out.update({vlan.name: address}) %}"
        "{% endif %}{% endfor %}"
        "{% for other in others %}{% if other.index == node.index and other.name != name %}"
        "{{ 'duplicate' }}{% endif %}{% endfor %}"
        "{{ out }}")
    del IpaddrFilters, NthFilters  # imported to fail fast when ansible.utils is missing
    others = [dict(n["netstack_node"], name=h) for h, n in nodes.items()]
    loader = DataLoader()
    for name in node_names:
        templar = Templar(loader=loader, variables={"vlans": vlans, "node": nodes[name]["netstack_node"],
                                                    "others": others, "name": name})
        templar.template(template)


def main():
    print("netstack.baremetal plan benchmark (python %s, %d cores)" % (sys.version.split()[0], os.cpu_count()))
    site = sitegen.make_site(racks=40, nodes_per_rack=25, switches_per_rack=2, tenants=5000)
    print("site: %d nodes, %d racks, %d switches, %d tenants" % (
        len(site[1]), len(site[0]["netstack_fabric"]["racks"]), len(site[2]), len(site[0]["netstack_tenants"])))
    validate = best_of(5, lambda: inventory.build_site(*sitegen.clone(site)))
    core = best_of(5, lambda: plan_core.build_plan(*sitegen.clone(site), areas=()))
    full = best_of(3, lambda: plan_core.build_plan(*sitegen.clone(site)))
    print("%-44s best %7.3f s  median %7.3f s" % ("validation (schema + references)", *validate))
    print("%-44s best %7.3f s  median %7.3f s  (target < 1 s: %s)" % (
        "validation + address plan + BGP sessions", core[0], core[1], "met" if core[0] < 1 else "MISSED"))
    print("%-44s best %7.3f s  median %7.3f s" % ("... + every area (switch configs, node configs,", *full))
    print("%-44s" % "   values, 5,000 tenants' objects, gateways)")
    the_plan = plan_core.build_plan(*sitegen.clone(site))
    checks = best_of(3, lambda: consistency.check_plan(the_plan))
    print("%-44s best %7.3f s  (%.0f%% of the full plan)" % (
        "   of which consistency checks", checks[0], 100.0 * checks[0] / full[0]))
    artefacts = plan_core.render_bundle(plan_core.build_plan(*sitegen.clone(site)), ["plan"])
    render = best_of(3, lambda: plan_core.render_bundle(plan_core.build_plan(*sitegen.clone(site)), ["plan"]))
    print("%-44s best %7.3f s  (%d files, %d kB)" % ("plan + bundle 'plan' section", render[0], len(artefacts),
                                                     sum(len(v) for v in artefacts.values()) // 1024))

    small = sitegen.make_site(racks=12, nodes_per_rack=25, switches_per_rack=2, tenants=10)
    names = sorted(small[1])
    core = best_of(3, lambda: plan_core.build_plan(*sitegen.clone(small), areas=()))[0]
    started = time.perf_counter()
    naive_jinja(small, names)
    naive = time.perf_counter() - started
    print("%-44s %7.3f s for %d nodes (addresses only)" % ("naive per-host Jinja + ansible.utils", naive, len(names)))
    print("%-44s %7.3f s for %d nodes (addresses, BGP, checks)" % ("core plan", core, len(names)))
    print("%-44s %7.0fx" % ("ratio naive / core", naive / core))


if __name__ == "__main__":
    main()
