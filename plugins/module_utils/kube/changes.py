# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an apply changed, told truthfully, and the diff Ansible prints for it.

An object changed when what the server holds afterwards differs from what it held before, once the fields the
server itself moves are left out: ``managedFields`` (re-sorted when a controller writes status), the resource
version, generation, creation time and uid, and ``status`` (never ours). So a server-side apply that only
re-sends the same fields is no change, in apply and in check mode (a dry run answers the same object), and a
change is never reported without a diff.

No Ansible imports.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.netstack.baremetal.plugins.module_utils.yamlout import dump_yaml

SERVER_METADATA = ("managedFields", "resourceVersion", "generation", "creationTimestamp", "uid", "selfLink")
ABSENT = ""


def comparable(obj):
    """``obj`` without what the server moves by itself (see the module's docstring); None stays None."""
    if obj is None:
        return None
    result = copy.deepcopy(obj)
    result.pop("status", None)
    metadata = result.get("metadata") or {}
    for key in SERVER_METADATA:
        metadata.pop(key, None)
    annotations = metadata.get("annotations")
    if annotations is not None and not annotations:
        metadata.pop("annotations")
    return result


def changed(before, after):
    """Whether ``after`` (the server's answer) differs from ``before`` (the live object, or None)."""
    return comparable(before) != comparable(after)


def _sorted(value):
    if isinstance(value, dict):
        return dict((key, _sorted(value[key])) for key in sorted(value))
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def _text(obj):
    """YAML with sorted keys: the diff shows what changed, never an order the two sides happened to have."""
    if obj is None:
        return ABSENT
    return dump_yaml(_sorted(obj))


def diff_entry(ref, before, after, note=""):
    """One entry of an action result's ``diff`` list: the callback prints it as a unified diff headed by
    ``ref`` (``Kind namespace/name``); ``after`` None is a deletion."""
    return {"before": _text(comparable(before)), "after": _text(comparable(after)),
            "before_header": ref + (" (live)" if before is not None else " (absent)"),
            "after_header": ref + ((" " + note) if note else "") + (" (deleted)" if after is None else "")}
