"""Benchmark: the fabric rendered for a 40-rack site (issue #12), in-process against one Ansible task per module.

Run with `make bench` (or `python tests/bench/bench_fabric.py` from the repo root). It writes the example inventory
grown to 40 racks of two switches (EOS, NX-OS, SONiC, Junos and FRR racks in turn: 80 switches), 1,000 nodes and
5,000 tenants (tests/bench/big_site.py), then measures, in this run:

* `80 switches rendered`: the plan action's renderer (plugins/plugin_utils/fabric_render.py, the vendors' modules in
  helper processes) for all 80 switches, against the path before it - one `ansible-playbook` task per resource
  module per switch through a network_cli connection (tests/fixtures/fabric_render_with_modules.yml, the fabric
  role's own tasks with state: rendered). That path is timed on the first five racks (10 switches, one rack of each
  platform; minutes per rack) and scaled to 80; its output must equal the new one byte for byte.
* `20 renders`: the renderer 20 times in a row on the 80 switches; every render must succeed and equal the first.
* `site.yml`: in render mode on the 40-rack site and on the 9-node example, wall seconds and their ratio, and beside
  them the lower bound of a render of the 40-rack site: Ansible alone on its inventory (tests/bench/ansible_floor.yml)
  plus the plan task's own work in-process (plan, bundle, switch renders).

Targets (issue #12): 80 switches in at most 10 s; site.yml of the 40-rack site in at most 90 s and at most twice
the example; no failure in 20 renders. NETSTACK_BENCH_FABRIC_BASELINE_RACKS sets how many racks the task path
renders (default 5, 0 skips it).
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

RACKS, NODES_PER_RACK, TENANTS = 40, 25, 5000
RENDERS = 20
BASELINE_RACKS = int(os.environ.get("NETSTACK_BENCH_FABRIC_BASELINE_RACKS", "5"))


def timed(function, *args):
    started = time.time()
    value = function(*args)
    return time.time() - started, value


def render_with_tasks(inventory, target, racks):
    """The path before the in-process renderer, on the switches of the first ``racks`` racks: ``(wall, {switch:
    text})``."""
    (target / "fabric").mkdir(parents=True)
    limit = ",".join(["localhost"] + ["r%d-leaf1,r%d-leaf2" % (rack, rack) for rack in range(1, racks + 1)])
    started = time.time()
    rc, output = run_playbook(os.path.join(REPO, "tests", "fixtures", "fabric_render_with_modules.yml"), [inventory],
                              "-e", "render_check_dir=%s" % target, "--limit", limit)
    wall = time.time() - started
    if rc != 0:
        raise SystemExit("the task path failed:\n" + output[-4000:])
    return wall, dict(("fabric/%s.cfg" % p.stem, p.read_text()) for p in (target / "fabric").glob("*.cfg"))


def site_render(inventory, bundle, playbook="site.yml"):
    started = time.time()
    rc, output = run_playbook(playbook, [inventory], "-e", "netstack_bundle_dir=%s" % bundle)
    wall = time.time() - started
    if rc != 0:
        raise SystemExit("site.yml failed on %s:\n%s" % (inventory, output[-4000:]))
    return wall


def main():
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="netstack-bench-fabric-"))
    try:
        inventory = big_site.write_site(tmp / "big", racks=RACKS, nodes_per_rack=NODES_PER_RACK, tenants=TENANTS)
        collected = load_inventory(inventory)
        plan_wall, the_plan = timed(plan_core.build_plan, *collected)
        bundle_wall, _artefacts = timed(plan_core.render_bundle, the_plan, list(plan_core.SECTIONS))
        del _artefacts
        switches = len(the_plan["fabric"]["switches"])
        nodes = len(the_plan["nodes"])
        print("site: %d racks, %d switches, %d nodes, %d tenants" % (RACKS, switches, nodes, TENANTS))

        new_wall, first = timed(fabric_render.render_configs, the_plan)
        print("in-process render of %d switches: %.2f s (%d .cfg files; FRR switches have frr.conf instead)"
              % (switches, new_wall, len(first)))
        sys.stdout.flush()

        old_scaled = None
        if BASELINE_RACKS:
            old_wall, by_tasks = render_with_tasks(inventory, tmp / "by_tasks", BASELINE_RACKS)
            differing = sorted(name for name in by_tasks if by_tasks[name] != first.get(name))
            if differing or not by_tasks:
                raise SystemExit("the in-process render differs from the task path: %s" % ", ".join(differing))
            old_scaled = old_wall * switches / (2.0 * BASELINE_RACKS)
            print("task path on %d switches: %.1f s wall, byte-identical to the in-process render; scaled to %d "
                  "switches: %.0f s" % (2 * BASELINE_RACKS, old_wall, switches, old_scaled))
            sys.stdout.flush()

        failures, walls = [], []
        for number in range(RENDERS):
            try:
                wall, again = timed(fabric_render.render_configs, the_plan)
            except fabric_render.RenderError as exc:
                failures.append("render %d: %s" % (number + 1, exc))
                continue
            walls.append(wall)
            if again != first:
                failures.append("render %d differs from the first" % (number + 1))
        print("%d consecutive renders of %d switches: %d failed; %.2f-%.2f s each"
              % (RENDERS, switches, len(failures), min(walls or [0]), max(walls or [0])))
        for failure in failures:
            print("  " + failure)
        sys.stdout.flush()

        big_wall = site_render(inventory, tmp / "bundle-big")
        example = tmp / "example"
        shutil.copytree(os.path.join(REPO, "inventories", "example"), str(example))
        example_wall = site_render(example, tmp / "bundle-example")
        floor_wall = site_render(inventory, tmp / "bundle-floor", os.path.join(HERE, "ansible_floor.yml"))

        print()
        print("| fabric render, %d switches                 | wall s | ratio |" % switches)
        print("|--------------------------------------------|--------|-------|")
        if old_scaled:
            print("| one task per module (before), scaled       | %6.0f | x1.00 |" % old_scaled)
            print("| in-process (plan action)                   | %6.2f | x%.3f |" % (new_wall, new_wall / old_scaled))
        else:
            print("| in-process (plan action)                   | %6.2f |       |" % new_wall)
        print()
        print("| site.yml, render mode                      | wall s | ratio |")
        print("|--------------------------------------------|--------|-------|")
        print("| 9-node example                             | %6.1f | x1.00 |" % example_wall)
        print("| %d racks, %d switches, %d nodes, %d tenants | %6.1f | x%.1f |" % (
            RACKS, switches, nodes, TENANTS, big_wall, big_wall / example_wall))
        # the least a site.yml render of the 40-rack site can take: Ansible on its inventory and the plan task's own
        # work in-process (plan, every section of the bundle, the switches' vendor renders), nothing else
        lower = floor_wall + plan_wall + bundle_wall + new_wall
        print("| Ansible alone on the %d-rack inventory      | %6.1f | x%.1f |" % (
            RACKS, floor_wall, floor_wall / example_wall))
        print("| + plan %.1f s, bundle %.1f s, switches %.1f s | %6.1f | x%.1f |" % (
            plan_wall, bundle_wall, new_wall, lower, lower / example_wall))
        print("  (tests/bench/ansible_floor.yml: one task on the controller and on every switch, as site.yml in render")
        print("  mode; plus the plan task's work in-process, the bundle not written: the lower bound of a render)")
        print()
        print("targets: 80 switches <= 10 s (%s); site.yml <= 90 s (%s); %d renders without a failure (%s); "
              "site.yml <= x2 the example (%s)" % (
                  "met" if new_wall <= 10 else "NOT met", "met" if big_wall <= 90 else "NOT met", RENDERS,
                  "met" if not failures else "NOT met", "met" if big_wall <= 2 * example_wall else "NOT met"))
        if failures:
            raise SystemExit(1)
    finally:
        shutil.rmtree(str(tmp), ignore_errors=True)


if __name__ == "__main__":
    main()
