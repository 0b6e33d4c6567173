# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deterministic YAML and JSON output for bundle artefacts.

The same inventory must give the same bundle byte for byte, so every artefact
goes through these two functions: keys keep the order the core built them in
(which is deterministic), strings that look like other types are quoted.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import yaml


class _Dumper(yaml.SafeDumper):
    """SafeDumper that indents lists under their key and never emits aliases."""

    def increase_indent(self, flow=False, indentless=False):
        return super(_Dumper, self).increase_indent(flow, False)

    def ignore_aliases(self, data):
        return True


def _str_representer(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_representer)


def dump_yaml(data):
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=1000)


def dump_yaml_all(documents):
    return yaml.dump_all(list(documents), Dumper=_Dumper, sort_keys=False,
                         default_flow_style=False, width=1000, explicit_start=True)


def dump_json(data):
    return json.dumps(data, indent=2, sort_keys=False) + "\n"
