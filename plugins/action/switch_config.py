# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin behind ``netstack.baremetal.switch_config``: runs on the controller, for one switch.

It takes the plan straight from the plan fact on ``localhost`` (never through templating or an argument spec: with
1,000 nodes, templating the plan for each of 80 switches cost four minutes of a render) and hands it to the core
(``fabric.switch_output``). This file only moves data in and out.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.netstack.baremetal.plugins.module_utils import plan_cache

NO_SECTION = ("'%s' is not a switch of the plan: run netstack.baremetal.plan with sections [plan, fabric] first "
              "(playbooks/fabric.yml does) and keep the host in the netstack_switches group.")


def _run(plan):
    """Where this run's bundle is and when the run started, for the role's pre-change backups
    (``<bundle>/backups/<switch>/<started>``): the plan task records both in the fact (``written``), the same for
    every switch of the run. A plan fact without the record (set by a day-2 task) gets the current time."""
    record = plan.get("written") if isinstance(plan.get("written"), dict) else {}
    return {"bundle_dir": record.get("bundle_dir") or plan.get("bundle_dir"),
            "started": record.get("started") or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())}


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False    # never opens the switch's connection (network_cli would start a process)
    _supports_check_mode = True
    _VALID_ARGS = frozenset(("plan_var", "plan_host", "render"))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        args = self._task.args
        host = task_vars.get("inventory_hostname")
        render = args.get("render")
        render = None if render is None else boolean(render, strict=False)
        if render is None and self._templar.template(task_vars.get("netstack_mode", "render")) == "render":
            # the plan's mode is the inventory's netstack_mode: in render mode the plan is not even read
            # (reading another host's variables costs about a second per switch with 1,000 nodes)
            render = True
        result.update(changed=False, render=bool(render))
        result["ansible_facts"] = {"fabric_switch_render": bool(render)}
        if render:
            return result
        # raw_get: the plan host's variables as they are (a fact of plain data), not templated on the way
        plan = task_vars["hostvars"].raw_get(args.get("plan_host") or "localhost").get(
            args.get("plan_var") or "netstack_plan")
        try:
            switches = plan_cache.part(plan or {}, "fabric", "switches")
        except (KeyError, TypeError):
            switches = {}
        except plan_cache.CacheGone as exc:
            result.update(failed=True, msg=to_text(exc))
            return result
        if host not in switches:
            result.update(failed=True, msg=NO_SECTION % host)
            return result
        if render is None and plan.get("mode") == "render":
            result.update(render=True, ansible_facts={"fabric_switch_render": True})
            return result
        # imported here: each task runs in a fresh worker process, and render mode needs none of the core
        from ansible_collections.netstack.baremetal.plugins.module_utils import fabric  # pylint: disable=import-outside-toplevel
        from ansible_collections.netstack.baremetal.plugins.module_utils.fabric import health  # pylint: disable=import-outside-toplevel

        config = switches[host]
        plan = plan_cache.from_fact(plan, sections=plan_cache.FABRIC_SECTIONS)
        try:
            output = fabric.switch_output(plan, host, secrets=self._secrets(config["secrets"], task_vars))
        except (KeyError, ValueError) as exc:
            result.update(failed=True, msg="%s: %s" % (host, to_text(exc)))
            return result
        result.update(platform=config["platform"], render=False)
        rollout = dict((plan["fabric"].get("rollout") or {}).get(host, {"phase": 1, "peers": []}))
        rollout["planned"] = health.planned(config)
        result["ansible_facts"] = {"fabric_switch_render": False, "fabric_switch": output,
                                   "fabric_switch_rollout": rollout,
                                   "fabric_switch_run": _run(plan)}
        return result

    def _secrets(self, names, task_vars):
        """The values of the variables the plan names (vault-encrypted or not); a missing one says its name only."""
        values = {}
        for name in names:
            if name not in task_vars:
                raise KeyError("the variable '%s' the plan names for this switch's BGP passwords is not defined for "
                               "it (put it in the vault, see docs/fabric.md)" % name)
            values[name] = to_text(self._templar.template(task_vars[name]))
        return values
