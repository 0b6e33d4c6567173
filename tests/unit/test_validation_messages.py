"""Every problem tells the user what to type, one mistake gives one problem, and nothing is written but the error.

Runs the catalogue of mistakes (``test_validation.CASES``: one inventory per mistake) through the plan action,
in-process, as a play would: the task fails with the problems, and no bundle file, no plan fact is produced.
Each problem must carry a hint (the fix the user would type); most mistakes give exactly one problem, at the key
the user must change.  Where a hint reads ``set <key>: <value>`` or ``use <value>``, applying it must give a
valid inventory: the suggested value works.
"""
import copy
import os
import re
from unittest import mock

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.netstack.baremetal.plugins.action.plan import ActionModule
from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import PlanError, Problem

import sitegen
from test_validation import CASES, problems_for

SECRET = {"vault_bgp": "not-a-real-password"}   # sitegen's netstack_fabric.bgp.password_var, defined everywhere

# Problems allowed to come without a hint, each with the reason.  Keyed by a fragment of the message.
NO_HINT_YET = {}

# Catalogue cases that may give more than one problem, each with the reason.
SEVERAL_PROBLEMS = {}


def _groups_and_hostvars(site):
    inventory_vars, nodes, switches = site
    groups = {"netstack_control_plane": [], "netstack_workers": [], "netstack_switches": sorted(switches)}
    hostvars = {}
    for host, entry in nodes.items():
        if entry.get("role") in ("control-plane", "both"):
            groups["netstack_control_plane"].append(host)
        if entry.get("role") in ("worker", "both"):
            groups["netstack_workers"].append(host)
        hostvars[host] = dict(inventory_vars, **SECRET)
        if "netstack_node" in entry:
            hostvars[host]["netstack_node"] = entry["netstack_node"]
    for host, entry in switches.items():
        hostvars[host] = dict(inventory_vars, ansible_network_os=entry.get("network_os"), **SECRET)
        if "netstack_switch" in entry:
            hostvars[host]["netstack_switch"] = entry["netstack_switch"]
    return groups, hostvars


def run_plan_action(site, bundle_dir):
    """The ``netstack.baremetal.plan`` task on ``site``, as a play runs it; returns the task result."""
    inventory_vars = site[0]
    groups, hostvars = _groups_and_hostvars(site)
    task_vars = dict(inventory_vars, hostvars=hostvars, groups=groups, **SECRET)
    task = mock.MagicMock(args={"bundle_dir": str(bundle_dir), "sections": ["plan"]}, async_val=0,
                          check_mode=False, diff=False)
    loader = DataLoader()
    action = ActionModule(task, mock.MagicMock(), mock.MagicMock(diff=False, check_mode=False), loader,
                          Templar(loader=loader), mock.MagicMock())
    return action.run(task_vars=task_vars)


def _written(path):
    return sorted(os.path.join(d, f) for d, _dirs, files in os.walk(str(path)) for f in files)


def test_the_valid_site_writes_its_bundle(tmp_path):
    result = run_plan_action(sitegen.make_site(), tmp_path / "bundle")
    assert not result.get("failed"), result.get("msg")
    assert [os.path.basename(p) for p in _written(tmp_path / "bundle")] == ["plan.yaml", "report.html", "report.md"]


@pytest.mark.parametrize("mutate,path,message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_one_inventory_per_mistake_fails_with_only_the_error(tmp_path, mutate, path, message):
    site = sitegen.make_site()
    mutate(site)
    bundle = tmp_path / "bundle"
    result = run_plan_action(site, bundle)
    assert result.get("failed") is True
    problems = result["problems"]
    assert any(p["path"].startswith(path) and message in "%s (%s)" % (p["message"], p["hint"]) for p in problems), \
        result["msg"]
    assert result["msg"].startswith("%d problem(s) in the inventory:" % len(problems))
    # nothing but the error: no bundle file, no plan fact, nothing changed
    assert not os.path.exists(str(bundle)), _written(bundle)
    assert "ansible_facts" not in result and not result.get("changed")


@pytest.mark.parametrize("name,mutate", [c[:2] for c in CASES], ids=[c[0] for c in CASES])
def test_every_problem_has_a_hint(name, mutate):
    for problem in _problems(mutate):
        if any(fragment in problem.message for fragment in NO_HINT_YET):
            continue
        assert problem.hint.strip(), "no hint: %s" % problem


@pytest.mark.parametrize("name,mutate", [c[:2] for c in CASES], ids=[c[0] for c in CASES])
def test_one_mistake_gives_one_problem(name, mutate):
    problems = _problems(mutate)
    if len(problems) > 1 and name in SEVERAL_PROBLEMS:
        pytest.skip(SEVERAL_PROBLEMS[name])
    assert len(problems) == 1, "\n".join(str(p) for p in problems)


def test_exceptions_name_real_cases():
    names = set(c[0] for c in CASES)
    assert set(SEVERAL_PROBLEMS) <= names and set(FORMAT_ONLY) <= names
    assert all(reason for reason in list(NO_HINT_YET.values()) + list(SEVERAL_PROBLEMS.values())
               + list(FORMAT_ONLY.values()))


def test_a_removed_hint_is_caught():
    """The hint check fails when a problem comes without one (it cannot pass vacuously)."""
    original = Problem.__init__

    def without_hint(self, path, message, hint="", *args, **kwargs):
        original(self, path, message, "", *args, **kwargs)

    mutate = dict((c[0], c[1]) for c in CASES)["duplicate VLAN id"]
    with mock.patch.object(Problem, "__init__", without_hint):
        with pytest.raises(AssertionError, match="no hint"):
            test_every_problem_has_a_hint("duplicate VLAN id", mutate)


_problems = problems_for


# --- the suggested value works ---------------------------------------------------------------------------

_SET = re.compile(r"^set ((?:netstack_|hosts\.)[\w.\[\]-]+): (\S+?),?(?: |$)")
_SET_ON_HOST = re.compile(r"^set (netstack_(?:node|switch)\.\w+): (\S+) on ([\w.-]+?),?(?: |$)")
_USE = re.compile(r"^(?:use|write) (\d[\d./-]*\d)(?: |$)")
_SET_HERE = re.compile(r"^set (\w+): (\S+?),?(?: |$)")            # the key at the problem's own path
_EXAMPLE = re.compile(r"\be\.g\. '?([^'\s,()<>{}]+)'?(?:[,)]| or |$)")  # 'rename it, e.g. 'nodes-2''


def _suggestion(problem):
    """(inventory path, value text) a hint suggests, or None."""
    found = _SET_ON_HOST.match(problem.hint)
    if found:
        return "hosts.%s.%s" % (found.group(3), found.group(1)), found.group(2)
    found = _SET.match(problem.hint)
    if found:
        return found.group(1), found.group(2)
    found = _SET_HERE.match(problem.hint)
    if found and problem.path.endswith("." + found.group(1)):
        return problem.path, found.group(2)
    found = _USE.match(problem.hint) or _EXAMPLE.search(problem.hint)
    if found:
        return problem.path, found.group(1)
    return None


def _resolve(site, path):
    """(container, key) of an inventory path in a sitegen site."""
    parts = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path)]
    if parts[0] == "hosts":
        host = parts[1]
        node = site[1].get(host)
        target = node if node is not None else site[2][host]
        parts = parts[2:]
    else:
        target = site[0]
    for part in parts[:-1]:
        target = target[part]
    return target, parts[-1]


def _applied(mutate, problem):
    site = sitegen.make_site()
    mutate(site)
    site = copy.deepcopy(site)      # the catalogue's mutations share their values between runs
    path, text = _suggestion(problem)
    container, key = _resolve(site, path)
    if isinstance(container, dict) and isinstance(container.get(key), list):   # a pool's addresses: its one CIDR
        container, key = container[key], 0
    container[key] = yaml.safe_load(text)
    return site


# Hints whose example only shows the format: the schema cannot know which value fits (the next stage then
# suggests one that does).
FORMAT_ONLY = {"VIP not an address": "an IPv4 example; which address is free on the VLAN is checked (and "
                                     "suggested) once the address is well-formed"}


def _suggesting_cases():
    cases = []
    for name, mutate, _path, _message in CASES:
        if name in FORMAT_ONLY:
            continue
        problems = _problems(mutate)
        if len(problems) == 1 and _suggestion(problems[0]):
            cases.append(pytest.param(mutate, problems[0], id=name))
    return cases


@pytest.mark.parametrize("mutate,problem", _suggesting_cases())
def test_the_suggested_value_makes_the_inventory_valid(mutate, problem):
    site = _applied(mutate, problem)
    try:
        plan_core.build_plan(*site)
    except PlanError as exc:
        pytest.fail("after '%s' at %s:\n%s" % (problem.hint, problem.path, exc))


def test_enough_hints_are_checked_by_applying_them():
    assert len(_suggesting_cases()) >= 30
