# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The in-process renderer (plugins/plugin_utils/fabric_render.py) on its own: what it writes, how it fails.

Byte-identity with the modules run as Ansible tasks is proven in test_fabric_rendered.py; here the renderer is
called as the plan action calls it, without ansible-playbook.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core
from ansible_collections.netstack.baremetal.plugins.plugin_utils import fabric_render

import inventory_loader
from test_fabric_rendered import GOLDEN, make_inventory


@pytest.fixture(scope="module")
def four_platforms(tmp_path_factory):
    inventory = make_inventory(tmp_path_factory.mktemp("fabric_render") / "inventory")
    return plan_core.build_plan(*inventory_loader.load_inventory(inventory))


def test_every_switch_as_the_golden_files_whatever_the_callers_hash_seed(four_platforms, monkeypatch):
    golden = dict(("fabric/%s" % p.name, p.read_text()) for p in GOLDEN.glob("*.cfg"))
    assert fabric_render.render_configs(four_platforms) == golden
    # the helpers always run with PYTHONHASHSEED=0: the caller's seed (the plan action's is random) does not matter
    monkeypatch.setenv("PYTHONHASHSEED", "1")
    assert fabric_render.render_configs(four_platforms) == golden


def test_module_jobs_only_for_platforms_with_a_rendered_state(four_platforms):
    jobs = fabric_render.jobs_of(fabric_render.switch_outputs(four_platforms))
    platforms = set(four_platforms["fabric"]["switches"][host]["platform"] for host, _fqcn, _args in jobs)
    assert platforms == {"eos", "nxos", "junos"}
    assert all(args["state"] == "rendered" for _host, _fqcn, args in jobs)
    assert ("r1-leaf1", "arista.eos.eos_vlans") in [(host, fqcn) for host, fqcn, _args in jobs]


def test_a_module_refusing_its_arguments_names_the_switch_and_the_module(four_platforms, monkeypatch):
    real = fabric_render.jobs_of

    def broken(outputs):
        jobs = real(outputs)
        jobs[0][2] = {"config": [{"vlan_id": "not-a-number"}], "state": "rendered"}
        return jobs
    monkeypatch.setattr(fabric_render, "jobs_of", broken)
    with pytest.raises(fabric_render.RenderError) as caught:
        fabric_render.render_configs(four_platforms)
    message = str(caught.value)
    assert "could not render 1 module call" in message
    assert "r1-leaf1: arista.eos.eos_vlans:" in message and "vlan_id" in message


def test_a_module_that_cannot_be_imported_is_a_failure_not_a_crash():
    result = fabric_render.run_module("arista.eos.eos_no_such_module", {"config": [], "state": "rendered"})
    assert result["failed"] and "cannot import arista.eos.eos_no_such_module" in result["msg"]


def test_a_helper_that_dies_says_so(four_platforms):
    with pytest.raises(fabric_render.RenderError) as caught:
        fabric_render.render_configs(four_platforms, python=os.path.join(os.sep, "bin", "false"))
    assert "rendering the switch configurations failed (exit 1)" in str(caught.value)


def test_the_collections_are_found_without_a_collection_loader():
    paths = fabric_render.controller_collection_paths()
    assert os.path.isdir(os.path.join(paths[-1], "ansible_collections", "netstack", "baremetal", "plugins"))
