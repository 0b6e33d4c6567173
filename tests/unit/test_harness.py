# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The unit-test harness itself: the collection's core code imports by its FQCN path."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.netstack.baremetal.plugins.module_utils import problems


def test_module_utils_import_from_the_checkout():
    here = os.path.dirname(os.path.abspath(__file__))
    repo_root = os.path.dirname(os.path.dirname(here))
    assert os.path.realpath(problems.__file__).startswith(os.path.realpath(repo_root) + os.sep)


def test_did_you_mean_names_the_close_match():
    assert "vlans" in problems.did_you_mean("vlnas", ["vlans"])
