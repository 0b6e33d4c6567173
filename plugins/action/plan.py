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

from ansible import constants as C
from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

try:
    from ansible.parsing.vault import VaultHelper, is_encrypted_file
    from ansible._internal._datatag._tags import Origin
except ImportError:  # not the ansible-core 2.19+ meta/runtime.yml requires: the vault warning is skipped
    VaultHelper = is_encrypted_file = Origin = None

from ansible_collections.netstack.baremetal.plugins.module_utils import inventory, plan as plan_core, plan_cache, secret_vars
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import PlanError
from ansible_collections.netstack.baremetal.plugins.module_utils.schema_check import plain_copy
from ansible_collections.netstack.baremetal.plugins.plugin_utils import fabric_render

DIFF_MAX_BYTES = 64 * 1024
WRITTEN_KEY = "written"     # in the fact: the sections of this plan this run already wrote, and where


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("sections", "bundle_dir", "write_bundle", "profile", "tenant", "remove", "force",
                             "cluster_state", "node", "rack"))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        args = self._task.args
        sections = args.get("sections") or ["plan"]
        timings = {}

        started = time.time()
        hostvars = task_vars["hostvars"]
        # hostvars[host] templates on access; the play's own variables must be templated here.
        site_vars = dict((key, self._templar.template(task_vars[key])) for key in task_vars
                         if inventory.is_inventory_var(key))
        inventory_vars, nodes, switches = inventory.collect_inventory(
            task_vars.get("groups", {}), lambda host: hostvars[host], site_vars=site_vars)
        timings["collect"] = time.time() - started

        if args.get("node") is not None:
            return self._node(result, args, task_vars, (inventory_vars, nodes, switches), timings)
        if args.get("rack") is not None:
            return self._rack(result, args, task_vars, (inventory_vars, nodes, switches), timings)
        if args.get("tenant") is not None or args.get("remove"):
            return self._day2(result, args, task_vars, (inventory_vars, nodes, switches), timings)

        started = time.time()
        fingerprint = plan_core.inventory_fingerprint(inventory_vars, nodes, switches)
        previous = task_vars.get("netstack_plan")
        reusable = None
        if isinstance(previous, dict) and previous.get("fingerprint") == fingerprint \
                and previous.get("format") == plan_core.PLAN_FORMAT:
            if self._already_written(args, previous, sections):
                # An earlier play of this run (site.yml) planned this inventory and wrote these sections: the fact
                # stays as it is (setting a plan fact of 1,000 nodes again costs Ansible seconds).
                result.update(changed=False, plan_reused=True, bundle_dir=previous["bundle_dir"],
                              secrets_dir=previous.get("secrets_dir"), files=[], changed_files=[])
                if args.get("profile"):
                    result["timings"] = timings
                return result
            try:
                reusable = plan_cache.from_fact(previous)
            except plan_cache.CacheGone:
                reusable = None     # a fact kept from another run: plan again
        if reusable is not None:
            # An earlier play of this run (site.yml) planned the same inventory: reuse, do not recompute.
            the_plan = plain_copy(reusable)
            the_plan.pop(WRITTEN_KEY, None)
            result["plan_reused"] = True
        else:
            try:
                the_plan = plan_core.build_plan(inventory_vars, nodes, switches,
                                                defined_vars=_defined_vars(task_vars, hostvars, switches))
            except PlanError as exc:
                result.update(failed=True, msg=str(exc), problems=[p.as_dict() for p in exc.problems])
                return result
            result["plan_reused"] = False
            warnings = [secret_vars.plaintext_warning(name) for name in secret_vars.bgp_password_vars(the_plan)
                        if self._vaulted(task_vars, name) is False]
            warnings += (the_plan.get("fabric") or {}).get("warnings", [])
            if warnings:
                result.setdefault("warnings", []).extend(warnings)
        timings["plan"] = time.time() - started

        problems = self._local_dirs(args, the_plan)
        if problems:
            result.update(failed=True, msg=str(PlanError(problems)), problems=[p.as_dict() for p in problems])
            return result
        bundle_dir = the_plan["bundle_dir"]
        result["bundle_dir"] = bundle_dir
        result["secrets_dir"] = the_plan["secrets_dir"]
        result["changed"] = False
        self._warn_stale_secrets(result, bundle_dir)

        written = _written_sections(previous, the_plan) if reusable is not None else []
        if args.get("write_bundle", True):
            started = time.time()
            # An earlier play of this run wrote these sections of this plan (site.yml, then each part's own play):
            # the files are there, as they would be rendered again.
            sections_to_write = [name for name in sections if name not in written]
            try:
                artefacts = plan_core.render_bundle(the_plan, sections_to_write)
                if "fabric" in sections_to_write:
                    artefacts.update(fabric_render.render_configs(the_plan))
            except (ValueError, PlanError, fabric_render.RenderError) as exc:
                raise AnsibleActionFail(to_text(exc))
            leaks = self._leaks(task_vars, inventory_vars, artefacts)
            if leaks:
                result.update(failed=True, msg=secret_vars.leak_message(leaks))
                return result
            changed_files, diffs = self._write(bundle_dir, artefacts)
            timings["bundle"] = time.time() - started
            result["changed"] = bool(changed_files)
            result["files"] = sorted(artefacts)
            result["changed_files"] = changed_files
            if self._play_context.diff and diffs:
                result["diff"] = diffs
            written = sorted(set(written) | set(sections))
        fact = plan_cache.to_fact(the_plan, C.DEFAULT_LOCAL_TMP)
        fact[WRITTEN_KEY] = {"run": C.DEFAULT_LOCAL_TMP, "bundle_dir": the_plan["bundle_dir"], "sections": written,
                             "started": _run_started(previous)}
        result["ansible_facts"] = {"netstack_plan": fact}
        if args.get("profile"):
            result["timings"] = timings
        return result

    @staticmethod
    def _already_written(args, fact, sections):
        """Whether the fact's plan, from this run, has every section asked for already in the bundle asked for."""
        if not args.get("write_bundle", True) or not fact.get("bundle_dir"):
            return False
        wanted = args.get("bundle_dir")
        if wanted and os.path.abspath(os.path.expanduser(wanted)) != fact["bundle_dir"]:
            return False
        return set(sections) <= set(_written_sections(fact, fact))

    def _day2(self, result, args, task_vars, collected, timings):
        """``tenant``: validate everything, plan and write only that tenant; with ``remove``: its removal plan."""
        name = args.get("tenant")
        remove = boolean(args.get("remove", False), strict=False)
        defined = _defined_vars(task_vars, task_vars["hostvars"], collected[2])
        started = time.time()
        try:
            if remove:
                the_plan = plan_core.build_tenant_removal(*collected, name=name,
                                                          cluster_state=args.get("cluster_state"),
                                                          force=boolean(args.get("force", False), strict=False),
                                                          defined_vars=defined)
            else:
                the_plan = plan_core.build_tenant_plan(*collected, name=name, defined_vars=defined)
        except PlanError as exc:
            result.update(failed=True, msg=str(exc), problems=[p.as_dict() for p in exc.problems])
            return result
        except ValueError as exc:
            raise AnsibleActionFail(to_text(exc))
        timings["plan"] = time.time() - started
        problems = self._local_dirs(args, the_plan)
        if problems:
            result.update(failed=True, msg=str(PlanError(problems)), problems=[p.as_dict() for p in problems])
            return result
        bundle_dir = the_plan["bundle_dir"]
        result.update(bundle_dir=bundle_dir, secrets_dir=the_plan["secrets_dir"], changed=False)
        facts = {"netstack_plan": plan_cache.to_fact(the_plan, C.DEFAULT_LOCAL_TMP)}
        obsolete = []
        if remove:
            removal = the_plan["tenant_removal"]
            result["removal"] = removal
            if removal.get("decided") is False:
                # No cluster_state: nothing the inventory alone refuses; the caller reads the cluster next.
                return result
            if not removal["allowed"]:
                result.update(failed=True, msg=removal["message"], blockers=removal["blockers"])
                return result
            artefacts = plan_core.render_removal(the_plan)
            if not removal.get("in_inventory"):
                # Gone from the inventory (the source of truth): its file leaves the bundle too.
                obsolete.append("tenants/%s.yaml" % removal["namespace"])
            facts["netstack_tenant_removal"] = removal
        else:
            artefacts = plan_core.render_tenant_bundle(the_plan)
            facts["netstack_tenant"] = the_plan["tenant"]
        if args.get("write_bundle", True):
            leaks = self._leaks(task_vars, collected[0], artefacts)
            if leaks:
                result.update(failed=True, msg=secret_vars.leak_message(leaks))
                return result
            started = time.time()
            changed_files, diffs = self._write(bundle_dir, artefacts)
            removed_files, removed_diffs = self._remove(bundle_dir, obsolete)
            timings["bundle"] = time.time() - started
            result["changed"] = bool(changed_files or removed_files)
            result["files"] = sorted(artefacts)
            result["changed_files"] = changed_files
            result["removed_files"] = removed_files
            if self._play_context.diff and (diffs or removed_diffs):
                result["diff"] = diffs + removed_diffs
        result["ansible_facts"] = facts
        if args.get("profile"):
            result["timings"] = timings
        return result

    def _node(self, result, args, task_vars, collected, timings):
        """``node``: validate everything, plan only what that node touches (``remove``: its removal), write the
        files of its switches (and, added, its own), once per run: a later task of the same run with the same
        inventory reuses the fact."""
        name = args.get("node")
        operation = "remove" if boolean(args.get("remove", False), strict=False) else "add"
        return self._partial(result, args, task_vars, collected, timings, key=[name, operation],
                             build=lambda defined: plan_core.build_node_plan(*collected, name=name,
                                                                             operation=operation,
                                                                             defined_vars=defined),
                             render=plan_core.render_node_bundle, change="node_change")

    def _rack(self, result, args, task_vars, collected, timings):
        """``rack``: validate everything, plan only what that rack changes (its switches, and any other switch whose
        configuration it changes, its nodes), write their files; once per run, as ``_node``."""
        name = args.get("rack")
        return self._partial(result, args, task_vars, collected, timings, key=[name, "add-rack"],
                             build=lambda defined: plan_core.build_rack_plan(*collected, name=name,
                                                                             defined_vars=defined),
                             render=plan_core.render_rack_bundle, change="rack_change")

    def _partial(self, result, args, task_vars, collected, timings, key, build, render, change):
        """A day-2 plan of part of the site (``build(defined_vars)``), its files (``render(plan)``) written; the
        fact ``netstack_plan`` holds the partial plan, ``netstack_<change>`` what the part changes. A second call of
        the same run, same inventory and same ``key`` reuses the fact."""
        started = time.time()
        fingerprint = plan_core.inventory_fingerprint(*collected)
        previous = task_vars.get("netstack_plan")
        if isinstance(previous, dict) and previous.get("partial_fingerprint") == [fingerprint] + key:
            result.update(changed=False, plan_reused=True, bundle_dir=previous["bundle_dir"], files=[],
                          changed_files=[])
            return result
        defined = _defined_vars(task_vars, task_vars["hostvars"], collected[2])
        try:
            the_plan = build(defined)
        except PlanError as exc:
            result.update(failed=True, msg=str(exc), problems=[p.as_dict() for p in exc.problems])
            return result
        timings["plan"] = time.time() - started
        problems = self._local_dirs(args, the_plan)
        if problems:
            result.update(failed=True, msg=str(PlanError(problems)), problems=[p.as_dict() for p in problems])
            return result
        result.update(bundle_dir=the_plan["bundle_dir"], secrets_dir=the_plan["secrets_dir"], changed=False,
                      plan_reused=False)
        result[change] = the_plan[change]
        if args.get("write_bundle", True):
            started = time.time()
            try:
                artefacts = render(the_plan)
                artefacts.update(fabric_render.render_configs(the_plan))
            except (ValueError, PlanError, fabric_render.RenderError) as exc:
                raise AnsibleActionFail(to_text(exc))
            leaks = self._leaks(task_vars, collected[0], artefacts)
            if leaks:
                result.update(failed=True, msg=secret_vars.leak_message(leaks))
                return result
            changed_files, diffs = self._write(the_plan["bundle_dir"], artefacts)
            timings["bundle"] = time.time() - started
            result.update(changed=bool(changed_files), files=sorted(artefacts), changed_files=changed_files)
            if self._play_context.diff and diffs:
                result["diff"] = diffs
        the_plan["partial_fingerprint"] = [fingerprint] + key
        result["ansible_facts"] = {"netstack_plan": plan_cache.to_fact(the_plan, C.DEFAULT_LOCAL_TMP),
                                   "netstack_%s" % change: the_plan[change]}
        if args.get("profile"):
            result["timings"] = timings
        return result

    def _local_dirs(self, args, the_plan):
        """Resolve the bundle and secrets directories into the plan (absolute); problems when secrets would land
        in the bundle (``plan_core.local_path_problems``)."""
        bundle_dir = args.get("bundle_dir") or the_plan["bundle_dir"] or os.path.join(
            self._default_root(), "build", the_plan["cluster"]["name"])
        bundle_dir = os.path.abspath(os.path.expanduser(bundle_dir))
        secrets_dir = the_plan.get("secrets_dir") or plan_core.default_secrets_dir(bundle_dir)
        secrets_dir = os.path.abspath(os.path.expanduser(secrets_dir))
        the_plan["bundle_dir"] = bundle_dir
        the_plan["secrets_dir"] = secrets_dir
        kubeconfig = the_plan.get("kubeconfig")
        kubeconfig = os.path.realpath(os.path.expanduser(kubeconfig)) if kubeconfig else None
        return plan_core.local_path_problems(os.path.realpath(bundle_dir), os.path.realpath(secrets_dir), kubeconfig)

    def _leaks(self, task_vars, inventory_vars, artefacts):
        """``secret_vars.bundle_leaks`` of the files about to be written, with the values of the inventory's secret
        variables as the controller sees them. A variable that is not defined, or cannot be read here (a vault
        without its password), is not looked for: nothing about it is ever said."""
        values = {}
        for name in secret_vars.sensitive_var_names(inventory_vars):
            if name not in task_vars:
                continue
            try:
                value = self._templar.template(task_vars[name])
            except AnsibleError:  # its message may quote the value: say nothing
                continue
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                values[name] = to_text(value)
        return secret_vars.bundle_leaks(artefacts, values)

    @staticmethod
    def _warn_stale_secrets(result, bundle_dir):
        """Files an earlier version kept in the bundle that hold cluster credentials: never rewritten there now."""
        stale = [name for name in ("kubeconfig",) if os.path.isfile(os.path.join(bundle_dir, name))]
        nodes = os.path.join(bundle_dir, "nodes")
        if os.path.isdir(nodes):
            stale.extend("nodes/%s/config.yaml" % host for host in sorted(os.listdir(nodes))
                         if os.path.isfile(os.path.join(nodes, host, "config.yaml")))
        if stale:
            result.setdefault("warnings", []).append(
                "%s: %s hold%s cluster credentials, written there by an earlier version of this collection; they now "
                "go to the secrets directory (netstack_secrets_dir). Move or delete them, and purge them from Git if "
                "they were ever committed" % (bundle_dir, ", ".join(stale), "s" if len(stale) == 1 else ""))

    def _remove(self, bundle_dir, relatives):
        """Delete bundle files that no longer belong there; honour check mode; return (removed, diffs)."""
        removed, diffs = [], []
        for relative in relatives:
            path = os.path.join(bundle_dir, relative)
            if not os.path.exists(path):
                continue
            removed.append(relative)
            if self._play_context.diff:
                with open(path, "rb") as handle:
                    diffs.append(_diff(relative, handle.read(), b""))
            if not self._task.check_mode:
                os.remove(path)
        return removed, diffs

    def _vaulted(self, task_vars, name):
        """Whether variable ``name`` comes from ansible-vault (True/False; None: cannot tell). Never shows it.

        Inline ``!vault`` values carry their ciphertext; a value read from a vault-encrypted file carries the
        file as its origin. A template (``"{{ vault_x }}"``) is followed to the value it names.
        """
        if VaultHelper is None or name not in task_vars:
            return None
        value = task_vars[name]
        if not VaultHelper.get_ciphertext(value, with_tags=False):
            try:
                value = self._templar.template(value)
            except AnsibleError:  # its message may quote the value: say nothing, the failure shows elsewhere
                return None
        if VaultHelper.get_ciphertext(value, with_tags=False):
            return True
        origin = Origin.get_tag(value)
        if origin is None or not origin.path or not os.path.isfile(origin.path):
            return None  # extra vars, a fact, a computed value: no file to tell from
        with open(origin.path, "rb") as handle:
            return is_encrypted_file(handle)

    def _default_root(self):
        """The bundle defaults to build/ in the current directory (where ansible-playbook runs).

        Not next to the playbooks: as an installed collection (``netstack.baremetal.site``) they live inside
        ``ansible_collections/netstack/baremetal/``, which the user does not own and must not find a bundle in.
        The current directory is also where a relative ``netstack_bundle_dir`` resolves, and in this repository
        (``make site``) it is the repository root, so ``build/<cluster>`` stays where it always was.
        """
        return os.getcwd()

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


class _VariableNames:
    """The names of the variables a host has, for the core: ``in`` and iteration give names, never values."""

    __slots__ = ("_variables",)

    def __init__(self, variables):
        self._variables = variables

    def __contains__(self, name):
        return name in self._variables

    def __iter__(self):
        return iter(list(self._variables))


def _defined_vars(task_vars, hostvars, switches):
    """``secret_vars``' view of which variables are defined: on the controller (where the plan, and the
    cluster_network role that creates the speakers' password Secret, run) and on each switch."""
    return {"controller": _VariableNames(task_vars),
            "switches": dict((host, _VariableNames(hostvars[host])) for host in switches)}


def _run_started(fact):
    """When this run planned first (UTC, 20261206T013000Z): kept by every later plan task of the same run, so the
    fabric role's backups of one run share one directory name on every switch (docs/fabric.md, backups)."""
    record = (fact or {}).get(WRITTEN_KEY) if isinstance(fact, dict) else None
    if isinstance(record, dict) and record.get("run") == C.DEFAULT_LOCAL_TMP and record.get("started"):
        return record["started"]
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())


def _written_sections(fact, the_plan):
    """The sections the fact says an earlier play of this run (not a fact kept from another run: the run's
    temporary directory is in the record) wrote into this plan's bundle directory."""
    record = fact.get(WRITTEN_KEY)
    if not isinstance(record, dict) or record.get("run") != C.DEFAULT_LOCAL_TMP \
            or record.get("bundle_dir") != the_plan["bundle_dir"]:
        return []
    return list(record.get("sections") or [])


def _diff(relative, old, new):
    if old is not None and len(old) + len(new) > DIFF_MAX_BYTES:
        return {"before_header": relative, "after_header": relative,
                "before": "(%d bytes)\n" % len(old), "after": "(%d bytes, changed)\n" % len(new)}
    return {"before_header": relative, "after_header": relative,
            "before": to_text(old or b""), "after": to_text(new)}
