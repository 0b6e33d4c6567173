# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A later plan task of the same run (site.yml, then each imported playbook's own) does not redo what is done.

When the inventory is the same (fingerprint) and every section it asks for is already in the bundle it asks for,
written by this run, it leaves the plan fact as it is and writes nothing (with 1,000 nodes, setting the fact
again cost Ansible seconds per play). Anything else - another bundle directory, a section not written yet - is
planned and written as before.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import shutil

import pytest

import inventory_loader
from playbook_run import run_playbook

REPO = inventory_loader.REPO
PLAYBOOK = str(REPO / "tests" / "fixtures" / "plan_twice.yml")


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    target = tmp_path_factory.mktemp("plan_reuse") / "inventory"
    shutil.copytree(str(REPO / "inventories" / "example"), str(target))
    return target


def _run(inventory, bundle, *extra):
    """The two plan results and the fact's record of what this run wrote, from the json callback's output."""
    rc, output = run_playbook(PLAYBOOK, [inventory], "-e", "netstack_bundle_dir=%s" % bundle, *extra,
                              ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    assert rc == 0, output[-4000:]
    tasks = json.loads(output[output.index("{"):])["plays"][0]["tasks"]
    return json.loads(tasks[2]["hosts"]["localhost"]["msg"])


def test_a_later_play_with_the_sections_written_leaves_everything_as_it_is(inventory, tmp_path):
    bundle = tmp_path / "bundle"
    shown = _run(inventory, bundle, "-e", '{"second_sections": ["plan", "fabric"]}')
    first, second = shown["first"], shown["second"]
    assert first["plan_reused"] is False and first["changed"] is True
    assert "fabric/r1-leaf1.cfg" in first["files"] and "tenants/tenant-alice.yaml" in first["files"]
    assert second["plan_reused"] is True and second["changed"] is False
    assert second["files"] == [] and "ansible_facts" not in second
    assert second["bundle_dir"] == str(bundle)
    assert sorted(shown["written"]["sections"]) == sorted(["plan", "fabric", "nodes", "cluster_network", "tenants",
                                                          "gateway"])


def test_another_bundle_directory_is_written(inventory, tmp_path):
    other = tmp_path / "other"
    shown = _run(inventory, tmp_path / "bundle", "-e", '{"second_sections": ["plan", "fabric"]}',
                 "-e", "second_bundle_dir=%s" % other)
    second = shown["second"]
    assert second["plan_reused"] is True and second["changed"] is True     # the plan reused, the files written
    assert "fabric/r1-leaf1.cfg" in second["files"]
    assert (other / "fabric" / "r1-leaf1.cfg").read_text() == (tmp_path / "bundle" / "fabric" / "r1-leaf1.cfg").read_text()
    assert shown["written"]["bundle_dir"] == str(other) and shown["written"]["sections"] == ["fabric", "plan"]
