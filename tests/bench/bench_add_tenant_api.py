"""Benchmark: `ansible-playbook playbooks/add_tenant.yml -e tenant=<new>` against a real API server (issue #16).

Run with `make bench` (or `python tests/bench/bench_add_tenant_api.py [sizes...]` from the repo root). It starts the
kit of `../shared/kube-api` (a real kube-apiserver; or uses `NETSTACK_TEST_KUBECONFIG`), installs the CRDs, and for
each tree size (default 10 and 5,000 tenants) writes the example inventory with that many tenants and puts their
whole state on the server (every object tenants.yml and gateway.yml would apply, server-side applied with the roles'
field managers, from this process: the same objects, minutes faster than the playbooks at 5,000). Then, with a new
sub-tenant of the gateway tenant `alice` added to the inventory, it times add_tenant.yml as a user runs it:

* `add` : the first run (creates the tenant, gives alice's Gateway its listener and certificate name);
* `again`: the same run once more (nothing to change);

wall seconds and the CPU seconds of ansible-playbook and its children, with the ratio to the smallest size, and
the ten slowest tasks of the `add` run at the largest size (ansible.posix.profile_tasks).
Without the kit and without NETSTACK_TEST_KUBECONFIG it says so and exits 0.
"""
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path[:0] = [os.path.join(REPO, "tests", "unit"), os.path.join(REPO, "tests", "integration"),
                os.path.join(REPO, "build", "collections")]

import pathlib  # noqa: E402

from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core  # noqa: E402

from inventory_loader import load_inventory  # noqa: E402
from playbook_run import run_playbook  # noqa: E402

KIT = os.path.join(os.path.dirname(REPO), "shared", "kube-api")
SIZES = tuple(int(a) for a in sys.argv[1:]) or (10, 5000)
NEW = "new%d"          # the new sub-tenant of alice, one per size
FARM = "farm"          # the generated tenants live below it, gateway: false (root's Gateway has 64 listeners max)


def grow(count):
    def change(tenants):
        tenants[FARM] = {"parent": "root", "gateway": False}
        names = []
        for index in range(max(0, count - len(tenants))):
            name = "t%d" % index
            tenants[name] = {"parent": FARM if index < 4 else names[(index - 4) // 4]}
            names.append(name)
    return change


def with_new(count):
    def change(tenants):
        grow(count)(tenants)
        tenants[NEW % count] = {"parent": "alice", "gateway_hostnames": ["www.%s.alice.example.org" % (NEW % count)]}
    return change


def populate(kubeconfig, inventory):
    """Server-side apply every object of the tenants and gateway areas of ``inventory``, as the roles would (their
    field managers), with the collection's own client (plugins/module_utils/kube), 16 requests at a time."""
    from ansible_collections.netstack.baremetal.plugins.module_utils.kube.batch import Batch
    from ansible_collections.netstack.baremetal.plugins.module_utils.kube.client import connect
    the_plan = plan_core.build_plan(*load_inventory(inventory), areas=["tenants", "gateway"])
    cluster = connect(kubeconfig)
    tenants = Batch(cluster, [], "netstack-tenants", workers=16)
    tenants.apply([o for e in the_plan["tenants"]["tenants"] for o in e["objects"]])
    gateway = Batch(cluster, [], "netstack-gateway", workers=16)
    live = set(o["metadata"]["name"] for o in cluster.list("v1", "Namespace"))
    count = len(tenants.changed)
    for batch in the_plan["gateway"]["apply"]:
        gateway.apply([o for o in batch["objects"] if not batch["existing_only"] or o["metadata"]["name"] in live])
    errors = tenants.errors + gateway.errors
    if errors:
        raise SystemExit("populate failed: %s" % "; ".join(str(e) for e in errors[:5]))
    return count + len(gateway.changed) + len(gateway.unchanged)


def timed_play(inventory, name, *extra, **env):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    rc, output = run_playbook("add_tenant.yml", [inventory], "-e", "tenant=" + name, *extra, K8S_AUTH_KUBECONFIG="",
                              **env)
    wall = time.time() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if rc != 0:
        raise SystemExit("add_tenant.yml failed:\n" + output[-4000:])
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), output


def slowest(output, count=10):
    """The profile_tasks lines of the recap: 'task name --- 1.23s'."""
    rows = re.findall(r"^(.+?) -+ (\d+\.\d+)s$", output, re.M)
    return sorted(((float(s), n.strip()) for n, s in rows), reverse=True)[:count]


def server():
    given = os.environ.get("NETSTACK_TEST_KUBECONFIG")
    if given:
        return given, None
    up = os.path.join(KIT, "up")
    if not os.access(up, os.X_OK):
        return None, None
    state = tempfile.mkdtemp(prefix="netstack-bench-api-")
    result = subprocess.run([up, state], stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                            check=False)
    if result.returncode != 0:
        raise SystemExit("%s failed: %s" % (up, result.stderr[-2000:]))
    return result.stdout.strip().splitlines()[-1], state


def main():
    from kubernetes import config
    from test_tenants_gateway_api import _dynamic, _install_crds, _write_inventory
    kubeconfig, state = server()
    if kubeconfig is None:
        print("bench_add_tenant_api: skipped, no NETSTACK_TEST_KUBECONFIG and no %s/up" % KIT)
        return
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="netstack-bench-add-tenant-"))
    rows = {}
    try:
        dyn = _dynamic(config.new_client_from_config(config_file=kubeconfig))
        _install_crds(dyn)
        for size in SIZES:
            base = _write_inventory(tmp / ("base-%d" % size), kubeconfig, tmp / ("bundle-%d" % size), grow(size))
            started = time.time()
            objects = populate(kubeconfig, base)
            setup = time.time() - started
            grown = _write_inventory(tmp / ("new-%d" % size), kubeconfig, tmp / ("bundle-%d" % size), with_new(size))
            add = timed_play(grown, NEW % size, ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks")
            again = timed_play(grown, NEW % size)
            rows[size] = {"add": add, "again": again, "objects": objects, "setup": setup}
            print("%5d tenants: %d objects on the server (%.0f s to put there); add_tenant.yml %.2f s wall "
                  "(%.2f s CPU), again %.2f s wall" % (size, objects, setup, add[0], add[1], again[0]))
            sys.stdout.flush()
    finally:
        if state:
            subprocess.run([os.path.join(KIT, "down"), state, "--purge"], check=False)
            shutil.rmtree(state, ignore_errors=True)
        shutil.rmtree(str(tmp), ignore_errors=True)
    base = SIZES[0]
    print("\n| %-40s | %s |" % (
        "add_tenant.yml, one new sub-tenant", " | ".join("%14s" % ("%d tenants" % s) for s in SIZES)))
    print("|%s|%s" % ("-" * 42, "|".join("-" * 16 for _s in SIZES) + "|"))
    for key, index, label in (("add", 0, "first run, wall s"), ("add", 1, "first run, CPU s (ansible + children)"),
                              ("again", 0, "second run (no change), wall s")):
        print("| %-40s | %s |" % (label, " | ".join("%14.2f" % rows[s][key][index] for s in SIZES)))
    print("\nratio to %d tenants (first run, wall): %s; target: 3 s wall at 5,000" % (
        base, ", ".join("%d: x%.2f" % (s, rows[s]["add"][0] / rows[base]["add"][0]) for s in SIZES)))
    print("\nslowest tasks of the first run at %d tenants:" % SIZES[-1])
    for seconds, name in slowest(rows[SIZES[-1]]["add"][2]):
        print("  %6.2f s  %s" % (seconds, name))


if __name__ == "__main__":
    main()
