"""Benchmark: the tenant core at scale.

Run with `make bench` (or `python tests/bench/bench_tenants.py` from the repo root). Prints a table:

* validating, planning and rendering 5,000 tenants (the whole tree);
* rendering one tenant's objects when 5,000 exist (what `add_tenant.yml -e tenant=<name>` does);
* `plan_one_tenant` with 10, 1,000 and 5,000 existing tenants side by side: it reads only the
  tenant's ancestor chain, so the figures must be flat (the note is the CPU ratio to 10 tenants);
* the reachability matrix of a 40-tenant tree (the plan report's largest matrix).
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "unit"), os.path.join(HERE, "..", "..", "build", "collections")]

from ansible_collections.netstack.baremetal.plugins.module_utils import tenants as core  # noqa: E402

from test_tenants import make_site  # noqa: E402

FAN_OUT = 10
DEPTH_PROBE = "probe"


def tree(count):
    """``count`` tenants below root, FAN_OUT children per tenant (depth grows like log10(count)),
    every other one running services, plus the probe tenant three levels down."""
    tenants = {"root": {"host": "example.org", "ingress": True, "etcd": True, "monitoring": True}}
    names = ["t%d" % index for index in range(count - 1)]
    for index, name in enumerate(names):
        parent = "root" if index < FAN_OUT else names[index // FAN_OUT - 1]
        tenants[name] = {"parent": parent, "ingress": index % 2 == 0, "monitoring": index % 3 == 0,
                         "subnet": {} if index % 7 == 0 else None}
    tenants[DEPTH_PROBE] = {"parent": names[min(len(names) - 1, FAN_OUT * FAN_OUT)], "etcd": True, "subnet": {}}
    return make_site(tenants, pool="10.128.0.0/9")


def timed(runs, fn):
    """(best wall seconds, best CPU seconds): CPU time is the figure to trust on a shared machine."""
    wall, cpu = [], []
    for _run in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return min(wall), min(cpu)


def ms(seconds):
    return "%9.3f" % (seconds * 1000)


def row(label, figures, extra=""):
    wall, cpu = figures
    print("| %-58s | %s | %s | %-10s |" % (label, ms(wall), ms(cpu), extra))


def one_tenant(site):
    entry = core.plan_one_tenant(site, DEPTH_PROBE)
    return core.render_tenant(entry)


def main():
    print("netstack.baremetal tenant benchmark (python %s, %d cores)\n" % (sys.version.split()[0], os.cpu_count()))
    big = tree(5000)
    section = core.plan_tenants(big)
    objects = sum(len(e["objects"]) for e in section["tenants"])
    print("tree: %d tenants, %d objects, deepest depth %d\n" % (
        section["count"], objects, max(e["depth"] for e in section["tenants"])))
    print("| %-58s | %9s | %9s | %-10s |" % ("operation", "wall ms", "CPU ms", "note"))
    print("|%s|%s|%s|%s|" % ("-" * 60, "-" * 11, "-" * 11, "-" * 12))
    row("validate 5,000 tenants", timed(3, lambda: core.validate_tenants(big)))
    row("plan 5,000 tenants (objects included)", timed(3, lambda: core.plan_tenants(big)))
    files = list(section["tenants"])
    row("render 5,000 tenant files (YAML)", timed(3, lambda: [core.render_tenant(e) for e in files]))
    row("render_tenants (files + report, matrix skipped)", timed(3, lambda: core.render_tenants(section)))
    row("one tenant's objects + file, 5,000 tenants exist", timed(200, lambda: one_tenant(big)))
    sizes = (10, 1000, 5000)
    sites = {size: tree(size) for size in sizes}
    base = timed(500, lambda: one_tenant(sites[10]))
    for size in sizes:
        figure = timed(500, lambda: one_tenant(sites[size])) if size != 10 else base
        row("plan_one_tenant + render, %5d existing tenants" % size, figure, "x%.2f CPU" % (figure[1] / base[1]))
    matrix_site = tree(core.MATRIX_MAX_TENANTS - 1)  # root + the probe make it exactly the limit
    matrix_section = core.plan_tenants(matrix_site)
    row("reachability matrix, 40 tenants (plan report)", timed(3, lambda: core.report_sections(matrix_section)))


if __name__ == "__main__":
    main()
