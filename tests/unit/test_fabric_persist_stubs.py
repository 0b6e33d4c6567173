# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backup and save on EOS, NX-OS and Junos: the role's apply path against recording stand-ins of the vendor modules.

No EOS, NX-OS or Junos device (nor an offline network_cli/netconf) is available here. So the vendor collections
are shadowed, for this test only (tests/fixtures/fabric_apply_no_bundle.yml: playbooks/fabric.yml without the
bundle, whose in-process render would import the stubs too), by stub collections (arista.eos, cisco.nxos, junipernetworks.junos) placed first
on the collections path, one recording module per module name the role uses (tests/unit/stub_network/stub_module.py:
an idempotent fake switch that remembers what it was given and whether it is saved). playbooks/fabric.yml then
runs in apply mode through the local connection for r1-leaf1 (EOS), r2-leaf1 (NX-OS) and r4-leaf1 (Junos, the
inventory test_fabric_rendered.py builds). What this proves is the role's logic - backup first, masked, into
``<bundle>/backups/<switch>/<timestamp>/``; save last and only when a module reported a change; nothing written
under --check - not that the vendors' modules or devices behave as the stubs do (their own arguments, save_when
and commit semantics are documented in docs/fabric.md).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import re

import pytest
import yaml

from playbook_run import host_overrides, recap, run_playbook
from test_fabric_rendered import REPO, SECRET, make_inventory

STUB = REPO / "tests" / "unit" / "stub_network" / "stub_module.py"
HOSTS = {"r1-leaf1": "arista.eos", "r2-leaf1": "cisco.nxos", "r4-leaf1": "junipernetworks.junos"}
SAVES = {"arista.eos": "eos_config", "cisco.nxos": "nxos_config"}       # Junos commits in each module
RUNNING_SECRET = "running-config-secret-not-for-the-bundle"
RUNNING = {
    "arista.eos": "hostname r1-leaf1\nusername admin secret sha512 $6$abc\nrouter bgp 65101\n"
                  "   neighbor 10.0.0.9 remote-as 65009\n   neighbor 10.0.0.9 password 7 %s\n" % RUNNING_SECRET,
    "cisco.nxos": "hostname r2-leaf1\nrouter bgp 65102\n  neighbor 10.0.0.9\n    remote-as 65009\n"
                  "    password 3 %s\n" % RUNNING_SECRET,
    "junipernetworks.junos": 'set system host-name r4-leaf1\nset protocols bgp group NODES neighbor 10.0.0.9 '
                             'authentication-key "%s"\n' % RUNNING_SECRET,
}


def modules_used():
    """{collection: module names} of every task in the role's platform files."""
    used = {}
    for platform, collection in (("eos", "arista.eos"), ("nxos", "cisco.nxos"), ("junos", "junipernetworks.junos")):
        tasks = [task for name in (platform, "read_" + platform)
                 for task in yaml.safe_load((REPO / "roles" / "fabric" / "tasks" / ("%s.yml" % name)).read_text())]
        used[collection] = sorted({key.rsplit(".", 1)[1] for task in tasks for key in task
                                   if key.startswith(collection + ".")})
    return used


def stub_collections(target):
    # the module's shebang is added here: the source file itself is no module to the collection's sanity tests
    source = "#!/usr/bin/python\n" + STUB.read_text()
    for collection, modules in modules_used().items():
        namespace, name = collection.split(".")
        root = target / "ansible_collections" / namespace / name
        (root / "plugins" / "modules").mkdir(parents=True)
        (root / "galaxy.yml").write_text(yaml.safe_dump({"namespace": namespace, "name": name, "version": "0.0.1",
                                                        "readme": "README.md", "authors": ["test"]}))
        (root / "meta").mkdir()
        (root / "meta" / "runtime.yml").write_text("---\nrequires_ansible: '>=2.15'\n")
        for module in modules:
            (root / "plugins" / "modules" / ("%s.py" % module)).write_text(
                source.replace("@COLLECTION@", collection).replace("@MODULE@", module))
    return target


def run(base, state, bundle, *extra):
    overrides = host_overrides(base / "local.yml", {host: {
        "ansible_connection": "local", "ansible_become": False,
        "ansible_python_interpreter": "{{ ansible_playbook_python }}"} for host in HOSTS})
    rc, output = run_playbook(
        "../tests/fixtures/fabric_apply_no_bundle.yml", [base / "inventory", overrides], "--limit", "localhost," + ",".join(HOSTS), "-v",
        "-e", "netstack_mode=apply", "-e", "netstack_bundle_dir=%s" % bundle, *extra,
        ANSIBLE_COLLECTIONS_PATH="%s:%s" % (base / "stubs", REPO / "build" / "collections"),
        NETSTACK_STUB_DIR=state)
    assert rc == 0, output[-6000:]
    return output


def calls(state, collection):
    """Every call the stub switch saw, the rollout's readings (sessions, ports) marked ``reading``."""
    path = os.path.join(str(state), collection + ".log")
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [json.loads(line) for line in handle]


def changes(run_calls):
    """The calls of a run without the rollout's readings: what the backup and save are ordered against."""
    return [c for c in run_calls if not c["reading"]]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("fabric_persist_stubs")
    make_inventory(base / "inventory")
    stub_collections(base / "stubs")
    result = {"bundle": base / "bundle"}
    for name, extra in (("check", ("--check", "--diff")), ("first", ()), ("second", ())):
        state = base / ("state-" + ("check" if name == "check" else "apply"))
        state.mkdir(exist_ok=True)
        for collection, text in RUNNING.items():
            (state / (collection + ".running")).write_text(text)
        before = {c: len(calls(state, c)) for c in RUNNING}
        bundle = base / ("bundle-check" if name == "check" else "bundle")
        backups = set(glob.glob(os.path.join(str(bundle), "backups", "*", "*", "*")))
        output = run(base, str(state), bundle, *extra)
        result[name] = {"output": output, "bundle": bundle,
                        "backups": sorted(set(glob.glob(os.path.join(str(bundle), "backups", "*", "*", "*")))
                                          - backups),
                        "calls": {c: calls(state, c)[before[c]:] for c in RUNNING}}
    return result


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_the_running_configuration_is_read_first_and_backed_up_masked(runs, host):
    collection = HOSTS[host]
    first = changes(runs["first"]["calls"][collection])
    assert first[0]["module"].endswith("_command") and first[0]["params"]["commands"] in (
        ["show running-config"], ["show configuration"])
    files = [p for p in runs["first"]["backups"] if "/backups/%s/" % host in p]
    assert len(files) == 1 and re.search(r"/backups/%s/\d{8}T\d{6}Z/running-config$" % host, files[0])
    text = open(files[0]).read()
    # the whole configuration is kept, the secret values are not
    assert text.splitlines()[0] == RUNNING[collection].splitlines()[0]
    assert "10.0.0.9" in text and RUNNING_SECRET not in text and "<masked" in text
    assert RUNNING_SECRET not in runs["first"]["output"] and SECRET not in runs["first"]["output"]


def test_one_backup_directory_for_the_whole_run_each_run(runs):
    for name in ("first", "second"):
        assert len(runs[name]["backups"]) == len(HOSTS)
        stamps = {os.path.basename(os.path.dirname(p)) for p in runs[name]["backups"]}
        assert len(stamps) == 1, stamps


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_saved_last_and_only_after_a_change(runs, host):
    collection = HOSTS[host]
    everything = runs["first"]["calls"][collection]
    # the role reads the switch right before the change, and once more after the save
    assert everything[0]["reading"] and everything[-1]["reading"], (everything[:1], everything[-1:])
    first = changes(everything)
    assert any(c["changed"] for c in first)
    saves = [i for i, c in enumerate(first) if "save_when" in c["params"]]
    if collection in SAVES:
        # one save, after every module, and it saved (the switch had unsaved changes)
        assert saves == [len(first) - 1] and first[-1]["module"] == SAVES[collection], first[-3:]
        assert first[-1]["params"]["save_when"] == "modified" and first[-1]["changed"]
    else:
        assert saves == []          # Junos: each module commits
    second = changes(runs["second"]["calls"][collection])
    assert second and not any(c["changed"] for c in second)
    assert not any("save_when" in c["params"] for c in second)       # nothing changed: the save task is skipped
    assert recap(runs["second"]["output"])[host]["changed"] == 0


def test_check_mode_writes_no_backup_and_changes_nothing(runs):
    check = runs["check"]
    assert not os.path.exists(os.path.join(str(check["bundle"]), "backups"))
    for collection, made in check["calls"].items():
        # the rollout's readings run in check mode too (they change nothing; check_mode: false on them)
        assert [c for c in made if c["reading"]] and not any(c["changed"] for c in made if c["reading"])
        made = changes(made)
        assert made and all(c["check_mode"] for c in made)
        assert not any(c["params"].get("commands") for c in made)   # the backup's read is not even made
    # nothing was written by the check run: the real run that followed changed every module it ran
    for host, collection in HOSTS.items():
        assert all(c["changed"] for c in runs["first"]["calls"][collection] if "config" in c["params"])
