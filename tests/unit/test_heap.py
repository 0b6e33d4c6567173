# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cyclic GC pause around plan building: off inside, back on after (also on an error), nested pauses leave it
to the outermost, and a collector the caller turned off stays off."""
from __future__ import absolute_import, division, print_function

import gc

import pytest

from ansible_collections.netstack.baremetal.plugins.module_utils import heap
from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import PlanError


def test_the_collector_is_off_while_a_plan_is_built_and_on_after(example, monkeypatch):
    seen = []
    real = plan_core.inventory.build_site

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)
    monkeypatch.setattr(plan_core.inventory, "build_site", spy)
    assert gc.isenabled()
    plan_core.build_node_plan(*example, name="w1")
    assert seen == [False] and gc.isenabled()
    with pytest.raises(PlanError):
        plan_core.build_node_plan(*example, name="nope")
    assert seen == [False, False] and gc.isenabled()


def test_nested_pauses_leave_the_collector_to_the_outermost():
    with heap.gc_paused():
        with heap.gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with heap.gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
