# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check mode tells the truth on the fabric: a module that cannot run in check mode is neither a change nor hidden.

arista.eos.eos_route_maps does not support check mode, so Ansible skips it under ``--check``.
* Render mode: rendering is offline (the plan action runs the modules in its helper process, never in check
  mode): ``--check --diff`` after a render reports no change (it used to report the route maps as removed from
  the .cfg).
* Wherever it is skipped, the ``.cfg`` readback says NOT CHECKED with the payload instead of dropping it.
(Apply mode ``--check`` prints a NOT CHECKED line from roles/fabric/tasks/eos.yml; there is no EOS to run it on.)
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shutil

import pytest

from ansible_collections.netstack.baremetal.plugins.module_utils import fabric
from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core
from ansible_collections.netstack.baremetal.plugins.module_utils.fabric import readback

import inventory_loader
from playbook_run import recap, run_playbook

REPO = inventory_loader.REPO
SKIPPED = {"skipped": True, "changed": False,
           "msg": "remote module (arista.eos.eos_route_maps) does not support check mode"}


def _eos_output():
    the_plan = plan_core.build_plan(*inventory_loader.load_inventory(REPO / "inventories" / "example"))
    output = fabric.switch_output(the_plan, "r1-leaf1", omit_passwords=True)
    output.update(switch="r1-leaf1", platform="eos", secrets=[])
    return output


def test_cfg_says_not_checked_instead_of_dropping_the_module():
    output = _eos_output()
    assert "eos_route_maps" in output["modules"]
    text = readback.cfg_text(output, {"eos_route_maps": SKIPPED})
    assert "! --- eos_route_maps NOT CHECKED: remote module (arista.eos.eos_route_maps) does not support check " \
           "mode; the %s payload it would apply:" % output["modules"]["eos_route_maps"]["state"] in text
    assert "NETSTACK-FROM-NODES" in text      # the payload is there, not silently gone
    # a task skipped for another reason (tags, conditions) still leaves nothing behind
    assert "eos_route_maps" not in readback.cfg_text(output, {"eos_route_maps": {"skipped": True,
                                                                                 "skip_reason": "Conditional"}})
    assert readback.skipped_by_check_mode(SKIPPED) and not readback.skipped_by_check_mode({"changed": True})


@pytest.fixture(scope="module")
def eos_rendered(tmp_path_factory):
    base = tmp_path_factory.mktemp("fabric_check")
    inventory = base / "inventory"
    shutil.copytree(str(REPO / "inventories" / "example"), str(inventory))
    bundle = base / "bundle"

    def run(*extra):
        rc, output = run_playbook("fabric.yml", [inventory], "-e", "netstack_bundle_dir=%s" % bundle,
                                  "--limit", "localhost,r1-leaf1", *extra)
        assert rc == 0, output[-6000:]
        return output
    first = run()
    checked = run("--check", "--diff")
    return {"first": first, "checked": checked, "cfg": (bundle / "fabric" / "r1-leaf1.cfg").read_text()}


def test_render_check_diff_reports_no_false_change_on_eos(eos_rendered):
    assert recap(eos_rendered["first"])["localhost"]["changed"] == 1         # the bundle, .cfg files too
    assert recap(eos_rendered["first"])["r1-leaf1"]["changed"] == 0          # render mode: nothing on the switch
    for host in ("localhost", "r1-leaf1"):
        assert recap(eos_rendered["checked"])[host]["changed"] == 0, eos_rendered["checked"][-4000:]
    assert "NOT CHECKED on r1-leaf1" not in eos_rendered["checked"]     # route maps rendered, so checked
    cfg = eos_rendered["cfg"]
    assert "! --- eos_route_maps\n" in cfg and "route-map NETSTACK-FROM-NODES" in cfg
    assert "NOT CHECKED" not in cfg
