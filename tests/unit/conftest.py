# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make the checkout importable as ``ansible_collections.netstack.baremetal``.

The repository root is the collection root, so tests import the core code as
``ansible_collections.netstack.baremetal.plugins.module_utils.<name>``, exactly as modules do.
That needs ``build/collections/ansible_collections/netstack/baremetal`` -> repo root (the same
symlink ``make`` creates for ansible.cfg's ``collections_path``) on ``sys.path``; this file
creates the link when it is missing, so plain ``pytest tests/unit`` works too.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

import pytest

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COLLECTIONS_DIR = os.path.join(REPO_ROOT, "build", "collections")
LINK = os.path.join(COLLECTIONS_DIR, "ansible_collections", "netstack", "baremetal")


def _ensure_link():
    if os.path.realpath(LINK) == os.path.realpath(REPO_ROOT):
        return
    parent = os.path.dirname(LINK)
    if not os.path.isdir(parent):
        os.makedirs(parent)
    if os.path.lexists(LINK):
        os.remove(LINK)
    try:
        os.symlink(os.path.join("..", "..", "..", ".."), LINK)
    except FileExistsError:  # another pytest process created it meanwhile
        pass


def _inside_collection_tree():
    """True when the repo itself already sits at .../ansible_collections/netstack/baremetal."""
    parts = REPO_ROOT.split(os.sep)
    return parts[-3:] == ["ansible_collections", "netstack", "baremetal"]


if _inside_collection_tree():
    _root = os.path.dirname(os.path.dirname(os.path.dirname(REPO_ROOT)))
else:
    _ensure_link()
    _root = COLLECTIONS_DIR
if _root not in sys.path:
    sys.path.insert(0, _root)


# The example inventory and its whole plan, shared by the day-2 tests (tenants, nodes, racks) that compare a partial
# plan with it. Module scope, as before they moved here: a test that changes a plan changes only its file's copy.
@pytest.fixture(scope="module")
def example():
    from inventory_loader import load_inventory, REPO  # pylint: disable=import-outside-toplevel
    return load_inventory(REPO / "inventories" / "example")


@pytest.fixture(scope="module")
def full_plan(example):  # pylint: disable=redefined-outer-name
    from ansible_collections.netstack.baremetal.plugins.module_utils import plan  # pylint: disable=import-outside-toplevel
    return plan.build_plan(*example)
