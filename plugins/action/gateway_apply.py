# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin behind ``netstack.baremetal.gateway_apply``: runs on the controller.

It takes the gateway section of the plan straight from the plan fact (never through templating or an argument
spec) and hands it to the core (``gateway_apply``) with a client of the API server. This file only moves data in
and out.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.netstack.baremetal.plugins.module_utils import gateway_apply, plan_cache
from ansible_collections.netstack.baremetal.plugins.module_utils.kube.batch import errors_message
from ansible_collections.netstack.baremetal.plugins.module_utils.kube.client import (
    connect, connection_settings, failure_message)

NO_SECTION = ("The plan has no gateway section: run netstack.baremetal.plan with sections [plan, gateway] first "
              "(playbooks/gateway.yml does).")


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _VALID_ARGS = frozenset(("plan_var", "apply", "kubeconfig", "context", "field_manager", "batches",
                             "pending_namespaces", "check_apis", "prune"))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        args = self._task.args
        try:
            plan = plan_cache.from_fact(task_vars.get(args.get("plan_var") or "netstack_plan"), sections=("gateway",))
        except plan_cache.CacheGone as exc:
            result.update(failed=True, msg=to_text(exc))
            return result
        section = plan.get("gateway") if isinstance(plan, dict) else None
        if not isinstance(section, dict) or not isinstance(section.get("apply"), list) \
                or not (section.get("partial") or isinstance(section.get("prune"), dict)):
            result.update(failed=True, msg=NO_SECTION)
            return result
        apply = args.get("apply")
        apply = plan.get("mode") == "apply" if apply is None else boolean(apply, strict=False)
        result["changed"] = False
        if not apply:
            gateways = section.get("gateways") or []
            result["summary"] = "%d tenant Gateway(s) (%s), %d objects in %d batches, see %s/gateway/" % (
                len(gateways), ", ".join(g["namespace"] for g in gateways) or "none",
                sum(len(b["objects"]) for b in section["apply"]), len(section["apply"]), plan.get("bundle_dir"))
            return result

        kubeconfig, context = connection_settings(args.get("kubeconfig"), args.get("context"), plan.get("kubeconfig"),
                                                  os.environ)
        check = bool(self._play_context.check_mode)
        pending = args.get("pending_namespaces")
        if pending is None:
            pending = task_vars.get("tenants_pending_namespaces") or []
        options = dict(check=check, pending=list(pending), only=list(args.get("batches") or []),
                       run_check_apis=boolean(args.get("check_apis", True), strict=False))
        try:
            secrets = gateway_apply.secret_objects(section, lambda name: self._secret_value(task_vars, name))
            outcome = gateway_apply.apply_to_cluster(
                connect(kubeconfig, context), section, args.get("field_manager") or "netstack-gateway",
                with_diff=bool(self._play_context.diff), prune=boolean(args.get("prune", True), strict=False),
                secrets=secrets, **options)
        except gateway_apply.NotReady as exc:
            result.update(failed=True, msg=to_text(exc))
            return result
        except Exception as exc:  # pylint: disable=broad-except
            message = failure_message(exc)
            if message is None:
                raise
            result.update(failed=True, msg=to_text(message))
            return result
        result.update(changed=outcome["changed"], batches=outcome["batches"], pruned=outcome["pruned"],
                      secrets=outcome["secrets"])
        if outcome["changed"]:
            # what the role prints: the batches that changed something or have objects waiting, Secrets by name
            result["report"] = {"batches": [b for b in outcome["batches"] if b["changed"] or b["awaiting_namespace"]],
                                "secrets": outcome["secrets"], "pruned": outcome["pruned"]}
        if self._play_context.diff:
            result["diff"] = outcome["diff"]
        if outcome["errors"]:
            result.update(failed=True, msg=errors_message(outcome["errors"], check,
                                                          "the later batches and the prune were not started"))
        return result

    def _secret_value(self, task_vars, name):
        """The DNS-01 credential from its inventory variable (vault-decrypted by templating); never in a result."""
        if name not in task_vars:
            raise gateway_apply.NotReady("The DNS-01 credential variable %s is not defined (netstack.baremetal.plan "
                                         "names it in gateway.secrets)." % name)
        return to_text(self._templar.template(task_vars[name]))
