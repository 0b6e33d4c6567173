# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters ``netstack.baremetal.bundle_yaml`` and ``bundle_yaml_all``: the bundle's YAML emitter in templates.

The plan holds documents as data; roles write them with these filters so a file on a node is byte for byte
the file in the bundle (both go through ``module_utils/yamlout.py``).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.netstack.baremetal.plugins.module_utils.schema_check import plain_copy
from ansible_collections.netstack.baremetal.plugins.module_utils.yamlout import dump_yaml, dump_yaml_all


def bundle_yaml(data):
    """One YAML document, exactly as the bundle writes it."""
    return dump_yaml(plain_copy(data))


def bundle_yaml_all(documents):
    """A multi-document YAML stream (``---`` before each document), exactly as the bundle writes it."""
    if not isinstance(documents, (list, tuple)):
        raise AnsibleFilterError("bundle_yaml_all expects a list of documents")
    return dump_yaml_all(plain_copy(list(documents)))


class FilterModule(object):
    def filters(self):
        return {"bundle_yaml": bundle_yaml, "bundle_yaml_all": bundle_yaml_all}
