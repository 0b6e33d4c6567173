# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin behind ``netstack.baremetal.plan``: runs on the controller.

It gathers the inventory from ``hostvars``, hands it to the pure-Python core
(``module_utils/plan.py``), and writes the bundle sections asked for.  All the
thinking is in the core; this file only moves data in and out.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.action import ActionBase

from ansible_collections.netstack.baremetal.plugins.module_utils import inventory, plan as plan_core
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import PlanError

DIFF_MAX_BYTES = 64 * 1024


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("sections", "bundle_dir", "write_bundle", "profile"))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        args = self._task.args
        sections = args.get("sections") or ["plan"]
        timings = {}

        started = time.time()
        hostvars = task_vars["hostvars"]
        inventory_vars, nodes, switches = inventory.collect_inventory(
            task_vars.get("groups", {}), lambda host: hostvars[host], site_vars=task_vars)
        timings["collect"] = time.time() - started

        started = time.time()
        try:
            the_plan = plan_core.build_plan(inventory_vars, nodes, switches)
        except PlanError as exc:
            result.update(failed=True, msg=str(exc), problems=[p.as_dict() for p in exc.problems])
            return result
        timings["plan"] = time.time() - started

        bundle_dir = args.get("bundle_dir") or the_plan["bundle_dir"] or os.path.join(
            self._default_root(task_vars), "build", the_plan["cluster"]["name"])
        bundle_dir = os.path.abspath(os.path.expanduser(bundle_dir))
        the_plan["bundle_dir"] = bundle_dir
        result["bundle_dir"] = bundle_dir
        result["changed"] = False

        if args.get("write_bundle", True):
            started = time.time()
            try:
                artefacts = plan_core.render_bundle(the_plan, sections)
            except (ValueError, PlanError) as exc:
                raise AnsibleActionFail(to_text(exc))
            changed_files, diffs = self._write(bundle_dir, artefacts)
            timings["bundle"] = time.time() - started
            result["changed"] = bool(changed_files)
            result["files"] = sorted(artefacts)
            result["changed_files"] = changed_files
            if self._play_context.diff and diffs:
                result["diff"] = diffs
        result["ansible_facts"] = {"netstack_plan": the_plan}
        if args.get("profile"):
            result["timings"] = timings
        return result

    def _default_root(self, task_vars):
        """The bundle defaults to build/ next to the playbooks/ directory (the repository root)."""
        playbook_dir = task_vars.get("playbook_dir") or os.getcwd()
        if os.path.basename(os.path.normpath(playbook_dir)) == "playbooks":
            return os.path.dirname(os.path.normpath(playbook_dir))
        return playbook_dir

    def _write(self, bundle_dir, artefacts):
        """Write only the files whose content changed; honour check mode; return (changed, diffs)."""
        changed = []
        diffs = []
        for relative in sorted(artefacts):
            path = os.path.join(bundle_dir, relative)
            new = to_bytes(artefacts[relative])
            old = None
            if os.path.exists(path):
                with open(path, "rb") as handle:
                    old = handle.read()
            if old == new:
                continue
            changed.append(relative)
            if self._play_context.diff:
                diffs.append(_diff(relative, old, new))
            if self._task.check_mode:
                continue
            directory = os.path.dirname(path)
            if not os.path.isdir(directory):
                os.makedirs(directory)
            tmp_path = path + ".netstack-tmp"
            with open(tmp_path, "wb") as handle:
                handle.write(new)
            os.rename(tmp_path, path)
        return changed, diffs


def _diff(relative, old, new):
    if old is not None and len(old) + len(new) > DIFF_MAX_BYTES:
        return {"before_header": relative, "after_header": relative,
                "before": "(%d bytes)\n" % len(old), "after": "(%d bytes, changed)\n" % len(new)}
    return {"before_header": relative, "after_header": relative,
            "before": to_text(old or b""), "after": to_text(new)}
