# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin behind ``netstack.baremetal.node_apply``: runs on the controller.

It takes the node's change from the fact the plan action set and hands it to the core (``node_day2``) with a
client of the API server. This file only moves data in and out.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.netstack.baremetal.plugins.module_utils import node_day2
from ansible_collections.netstack.baremetal.plugins.module_utils.kube.client import (
    connect, connection_settings, failure_message)

NO_CHANGE = ("No node change in this run: run netstack.baremetal.plan with node=<name> (playbooks/add_node.yml, "
             "playbooks/remove_node.yml) first.")
NO_RACK_CHANGE = ("No rack change in this run: run netstack.baremetal.plan with rack=<name> (playbooks/add_rack.yml) "
                  "first.")


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _VALID_ARGS = frozenset(("operation", "apply", "force", "drain_timeout", "kubeconfig", "context"))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        args = self._task.args
        plan = task_vars.get("netstack_plan") or {}
        operation = args.get("operation")
        if operation == "add_rack":
            change, missing = task_vars.get("netstack_rack_change"), NO_RACK_CHANGE
        else:
            change, missing = task_vars.get("netstack_node_change"), NO_CHANGE
        # a replacement, and a rack, are planned as an add
        planned = "add" if operation in ("replace", "add_rack") else operation
        if not isinstance(change, dict) or change.get("operation") != planned:
            result.update(failed=True, msg=missing)
            return result
        apply = args.get("apply")
        apply = plan.get("mode") == "apply" if apply is None else boolean(apply, strict=False)
        result["changed"] = False
        if not apply:
            if operation in ("add", "add_rack"):
                nodes = [n["name"] for n in change["nodes"]] if operation == "add_rack" else [change["name"]]
                result["steps"] = ["would apply %d load-balancer object(s) and label Node(s) %s (render mode)"
                                   % (len(change.get("objects") or []), ", ".join(nodes) or "none")]
            elif operation == "replace":
                result["steps"] = ["would cordon, drain and delete the old Node %s, keeping its load-balancer "
                                   "objects (render mode)" % change["name"]]
            else:
                result["steps"] = ["would cordon, drain and delete Node %s, then delete the load-balancer objects "
                                   "selecting it (render mode)" % change["name"]]
            return result
        kubeconfig, context = connection_settings(args.get("kubeconfig"), args.get("context"), plan.get("kubeconfig"),
                                                  os.environ)
        check = bool(self._play_context.check_mode)
        with_diff = bool(self._play_context.diff)
        try:
            cluster = connect(kubeconfig, context)
            if operation in ("add", "add_rack"):
                outcome = node_day2.add_to_cluster(cluster, change, check=check, with_diff=with_diff)
            elif operation == "replace":
                outcome = node_day2.replace_in_cluster(
                    cluster, change, force=boolean(args.get("force", False), strict=False), check=check,
                    with_diff=with_diff, timeout=int(args.get("drain_timeout") or 300))
                result["decision"] = outcome["decision"]
            else:
                kinds = [tuple(kind) for kind in change.get("object_kinds") or []]
                outcome = node_day2.remove_from_cluster(
                    cluster, change, kinds,
                    force=boolean(args.get("force", False), strict=False), check=check, with_diff=with_diff,
                    timeout=int(args.get("drain_timeout") or 300))
                result["decision"] = outcome["decision"]
        except Exception as exc:  # pylint: disable=broad-except
            message = failure_message(exc)
            if message is None:
                raise
            result.update(failed=True, msg=to_text(message))
            return result
        result.update(changed=outcome["changed"], steps=outcome["steps"])
        if with_diff and outcome["diff"]:
            result["diff"] = outcome["diff"]
        if outcome["errors"]:
            result.update(failed=True, msg="; ".join(outcome["errors"]))
        return result
