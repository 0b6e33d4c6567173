"""Benchmark: the day-2 path of add_tenant.yml against the size of the tenant tree.

Run with `make bench` (or `python tests/bench/bench_day2.py` from the repo root). For 10, 1,000 and 5,000 existing
tenants, side by side (CPU milliseconds, best of several runs):

* `build_tenant_plan` + `render_tenant_bundle`: what `add_tenant.yml -e tenant=<name>` computes (the whole inventory
  validated, one tenant planned and rendered), split into its two parts:
* validation (schema, references, addresses, BGP, `validate_tenants`): the only part that reads every tenant;
* the tenant itself (`plan_one_tenant` + its file): must stay flat;
* for comparison, `build_plan` + the tenants section: what `tenants.yml` computes (every tenant, every area).

The site is small (3 racks, 9 nodes) so the tenant tree is what varies. Collecting hostvars in the plan action is not
included (it reads each group variable once, not per tenant).
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "unit"), os.path.join(HERE, "..", "..", "build", "collections")]

from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core  # noqa: E402
from ansible_collections.netstack.baremetal.plugins.module_utils import tenants as core  # noqa: E402

import sitegen  # noqa: E402

SIZES = (10, 1000, 5000)


def cpu_ms(runs, fn):
    best = None
    for _run in range(runs):
        started = time.process_time()
        fn()
        spent = time.process_time() - started
        best = spent if best is None else min(best, spent)
    return best * 1000


def day2(site, name):
    return plan_core.render_tenant_bundle(plan_core.build_tenant_plan(*site, name=name))


def one_tenant(site, name):
    site_dict, _plan = plan_core._validated_core_plan(*site)
    return lambda: core.render_tenant(core.plan_one_tenant(site_dict, name))


def full(site):
    return plan_core.render_bundle(plan_core.build_plan(*site), ["tenants"])


def main():
    print("netstack.baremetal day-2 benchmark (python %s, %d cores)\n" % (sys.version.split()[0], os.cpu_count()))
    rows = {}
    for size in SIZES:
        site = sitegen.make_site(tenants=size)
        name = "t%d" % (size - 1)                      # the newest tenant, deepest in the tree
        entry = plan_core.build_tenant_plan(*site, name=name)["tenant"]
        rows[size] = {
            "day2": cpu_ms(10 if size < 5000 else 5, lambda: day2(site, name)),
            "validate": cpu_ms(10 if size < 5000 else 5, lambda: plan_core._validated_core_plan(*site)),
            "tenant": cpu_ms(300, one_tenant(site, name)),
            "full": cpu_ms(2 if size < 5000 else 1, lambda: full(site)),
            "objects": len(entry["objects"]),
        }
    print("| %-56s | %s |" % ("CPU ms (best of runs)", " | ".join("%12s" % ("%d tenants" % s) for s in SIZES)))
    print("|%s|%s" % ("-" * 58, "|".join("-" * 14 for _s in SIZES) + "|"))
    for key, label in (("day2", "add_tenant: validate all + plan/render one tenant"),
                       ("validate", "  of which validation (schema, addresses, tenant tree)"),
                       ("tenant", "  of which the tenant (plan_one_tenant + its file)"),
                       ("full", "tenants.yml: build_plan + all tenant files")):
        print("| %-56s | %s |" % (label, " | ".join("%12.2f" % rows[s][key] for s in SIZES)))
    base = rows[SIZES[0]]["tenant"]
    print("\none tenant's part vs 10 tenants: %s (objects per tenant: %s)" % (
        ", ".join("x%.2f" % (rows[s]["tenant"] / base) for s in SIZES), rows[SIZES[-1]]["objects"]))


if __name__ == "__main__":
    main()
