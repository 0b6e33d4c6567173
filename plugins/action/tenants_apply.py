# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin behind ``netstack.baremetal.tenants_apply``: runs on the controller.

It takes the tenants section of the plan straight from the plan fact (never through templating or an argument
spec: at 1,000 tenants that alone cost more than the apply) and hands it to the core
(``tenant_day2.apply_to_cluster``) with a client of the API server. This file only moves data in and out.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.netstack.baremetal.plugins.module_utils import tenant_day2, plan_cache
from ansible_collections.netstack.baremetal.plugins.module_utils.kube.batch import errors_message
from ansible_collections.netstack.baremetal.plugins.module_utils.kube.client import (
    connect, connection_settings, failure_message)
from ansible_collections.netstack.baremetal.plugins.module_utils.tenant_removal import ImmutableChangeError

NO_SECTION = ("The plan has no tenants section: run netstack.baremetal.plan with sections [plan, tenants] "
              "(playbooks/tenants.yml) or with tenant=<name> (playbooks/add_tenant.yml) first.")


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _VALID_ARGS = frozenset(("plan_var", "apply", "kubeconfig", "context", "field_manager"))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        args = self._task.args
        try:
            plan = plan_cache.from_fact(task_vars.get(args.get("plan_var") or "netstack_plan"), sections=("tenants",))
        except plan_cache.CacheGone as exc:
            result.update(failed=True, msg=to_text(exc))
            return result
        section = plan.get("tenants") if isinstance(plan, dict) else None
        if not isinstance(section, dict) or not isinstance(section.get("tenants"), list):
            result.update(failed=True, msg=NO_SECTION)
            return result
        apply = args.get("apply")
        apply = plan.get("mode") == "apply" if apply is None else boolean(apply, strict=False)
        result["changed"] = False
        if not apply:
            tenants = section["tenants"]
            result["summary"] = "%d tenant(s) (%s), %d objects, isolation %s: see %s/tenants/" % (
                len(tenants), ", ".join(t["namespace"] for t in tenants), sum(len(t["objects"]) for t in tenants),
                section.get("isolation"), plan.get("bundle_dir"))
            return result

        kubeconfig, context = connection_settings(args.get("kubeconfig"), args.get("context"), plan.get("kubeconfig"),
                                                  os.environ)
        check = bool(self._play_context.check_mode)
        try:
            outcome = tenant_day2.apply_to_cluster(connect(kubeconfig, context), section,
                                                   args.get("field_manager") or "netstack-tenants",
                                                   check=check, with_diff=bool(self._play_context.diff))
        except ImmutableChangeError as exc:
            result.update(failed=True, msg=to_text(exc))
            return result
        except Exception as exc:  # pylint: disable=broad-except
            message = failure_message(exc)
            if message is None:
                raise
            result.update(failed=True, msg=to_text(message))
            return result
        result.update(changed=outcome["changed"], phases=outcome["phases"])
        if self._play_context.diff:
            result["diff"] = outcome["diff"]
        if check:
            earlier = task_vars.get("tenants_pending_namespaces") or []
            result["ansible_facts"] = {
                "tenants_pending_namespaces": sorted(set(earlier) | set(outcome["pending_namespaces"]))}
        if outcome["errors"]:
            result.update(failed=True, msg=errors_message(outcome["errors"], check, "the next phases were not started"))
        return result
