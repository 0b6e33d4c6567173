# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filters' way to the plan behind the ``netstack_plan`` fact (plugins/module_utils/plan_cache.py): a missing
cache becomes a filter error that names the filter."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.netstack.baremetal.plugins.module_utils import plan_cache


def fabric_plan(fact, filter_name):
    """The plan with the sections the fabric reads (nodes, fabric, BGP) read back from the fact's cache."""
    try:
        return plan_cache.from_fact(fact, sections=plan_cache.FABRIC_SECTIONS)
    except plan_cache.CacheGone as exc:
        raise AnsibleFilterError("%s: %s" % (filter_name, exc))


def plan_part(fact, section, key=None):
    """``plan_cache.part`` with filter errors."""
    try:
        return plan_cache.part(fact, section, key)
    except plan_cache.CacheGone as exc:
        raise AnsibleFilterError("plan_part: %s" % exc)
    except (KeyError, TypeError):
        raise AnsibleFilterError("plan_part: the plan has no %s" % (
            section if key is None else "%s '%s'" % (section, key)))
