"""Benchmark: add_node (issue #14) on the 1,000-node site against a 10-node one, both measured in this run.

Run with `make bench` (or `python tests/bench/bench_add_node.py` from the repo root). It writes two inventories with
tests/bench/big_site.py, the same tenants (NETSTACK_BENCH_ADD_NODE_TENANTS, default 5,000) and the same platforms:
40 racks of 25 nodes (80 switches, 1,000 nodes) and 1 rack of 10 nodes (2 switches). For a worker of rack 1
(EOS switches) it measures:

* `plan + render`: what the plan task of add_node.yml does, in-process - the whole inventory collected from Ansible's
  inventory (not timed: Ansible does it before the task), validated, the node's plan (`build_node_plan`), its bundle
  files and its two switches' `.cfg` rendered by the vendors' modules (`render_configs`); the best of 3 runs, and the
  planning part alone;
* `add_node.yml`: the whole playbook in render mode (`ansible-playbook`, wall seconds, once), inventory parsing by
  Ansible included.

Target (issue #14): the 1,000-node figure within 20% of the 10-node one.
"""
import os
import pathlib
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path[:0] = [HERE, os.path.join(REPO, "tests", "unit"), os.path.join(REPO, "build", "collections")]

from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core  # noqa: E402
from ansible_collections.netstack.baremetal.plugins.plugin_utils import fabric_render  # noqa: E402

import big_site  # noqa: E402
from inventory_loader import load_inventory  # noqa: E402
from playbook_run import run_playbook  # noqa: E402

TENANTS = int(os.environ.get("NETSTACK_BENCH_ADD_NODE_TENANTS", "5000"))
NODE = "r1-n5"
RUNS = 3


def in_process(collected):
    """(planning seconds, planning + render seconds) of one add_node plan task, without Ansible around it."""
    started = time.time()
    the_plan = plan_core.build_node_plan(*collected, name=NODE)
    planned = time.time() - started
    files = plan_core.render_node_bundle(the_plan)
    files.update(fabric_render.render_configs(the_plan))
    assert sorted(p for p in files if p.endswith(".cfg")) == ["fabric/r1-leaf1.cfg", "fabric/r1-leaf2.cfg"], files
    return planned, time.time() - started


def main():
    work = pathlib.Path(tempfile.mkdtemp(prefix="netstack-bench-add-node-"))
    try:
        sites = {"10 nodes": big_site.write_site(work / "small", racks=1, nodes_per_rack=10, tenants=TENANTS),
                 "1,000 nodes": big_site.write_site(work / "big", racks=40, nodes_per_rack=25, tenants=TENANTS)}
        rows = {}
        for label, inventory in sites.items():
            collected = load_inventory(inventory)
            runs = [in_process(collected) for _run in range(RUNS)]
            started = time.time()
            rc, output = run_playbook("add_node.yml", [inventory], "-e", "node=%s" % NODE, "-e", "netstack_mode=render",
                                      "-e", "netstack_bundle_dir=%s" % (work / ("bundle-" + label[:2].strip(","))))
            wall = time.time() - started
            if rc != 0:
                raise SystemExit("add_node.yml failed on the %s site:\n%s" % (label, output[-4000:]))
            rows[label] = (min(r[0] for r in runs), min(r[1] for r in runs), wall)
        small, big = rows["10 nodes"], rows["1,000 nodes"]
        print("add_node of %s, %d tenants in both inventories (best of %d in-process runs; the playbook once)"
              % (NODE, TENANTS, RUNS))
        print("%-28s %12s %12s %8s" % ("", "10 nodes", "1,000 nodes", "ratio"))
        for position, name in enumerate(("planning", "plan + render (the task)", "add_node.yml, render mode")):
            print("%-28s %11.2fs %11.2fs %7.2fx" % (name, small[position], big[position], big[position] / small[position]))
        verdict = big[1] <= 1.2 * small[1]
        print("target (1,000 nodes within 20%% of 10 nodes, plan + render): %s" % ("met" if verdict else "NOT met"))
    finally:
        shutil.rmtree(str(work), ignore_errors=True)


if __name__ == "__main__":
    main()
