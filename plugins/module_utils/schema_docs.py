# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generate the inventory reference (docs/inventory.md) from the schema.

``python -m ansible_collections.netstack.baremetal.plugins.module_utils.schema_docs > docs/inventory.md``
(``make docs``) rewrites it; a unit test fails when the committed file is stale.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.netstack.baremetal.plugins.module_utils import mlag, physical
from ansible_collections.netstack.baremetal.plugins.module_utils import schema as schema_mod

_INTRO = """# Inventory reference

<!-- Generated from plugins/module_utils/schema.py by `make docs`. Do not edit by hand. -->

One inventory describes the whole site. The group variables below usually live in
`group_vars/all/`; the host variables on each host. Hosts go into three groups:
`netstack_control_plane` and `netstack_workers` (the Kubernetes nodes) and `netstack_switches`.
Unknown keys are errors (with a "did you mean" hint), except keys starting with `_`.
Every problem is reported at once, each with its inventory path, and nothing is applied
while any remains. See `inventories/example/` for a complete site.
"""


def _type_text(schema):
    types = schema.get("type", "any")
    text = " or ".join(types) if isinstance(types, list) else types
    if text == "array" and "items" in schema:
        text = "list of %s" % _type_text(schema["items"])
    if "format" in schema:
        text += " (%s)" % schema["format"]
    return text


def _constraints(schema):
    parts = []
    if "enum" in schema:
        parts.append("one of " + ", ".join("`%s`" % e for e in schema["enum"]))
    if "minimum" in schema or "maximum" in schema:
        parts.append("%s-%s" % (schema.get("minimum", ""), schema.get("maximum", "")))
    if "pattern" in schema:
        parts.append("pattern `%s`" % schema["pattern"])
    if schema.get("x-sensitive"):
        parts.append("sensitive: errors never show the value")
    if schema.get("required"):
        parts.append("requires " + ", ".join("`%s`" % r for r in schema["required"]))
    return "; ".join(parts)


def _default_text(schema):
    if "default" not in schema or isinstance(schema["default"], dict):
        return ""
    return "`%s`" % json.dumps(schema["default"])


def _rows(schema, path, required, rows):
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict) and "properties" in schema["items"]:
        rows.append((path, _type_text(schema), required, _default_text(schema), _constraints(schema),
                     schema.get("description", "")))
        _children(schema["items"], path + "[]", rows)
        return
    rows.append((path, _type_text(schema), required, _default_text(schema), _constraints(schema),
                 schema.get("description", "")))
    _children(schema, path, rows)


def _children(schema, path, rows):
    required = set(schema.get("required", ()))
    for key, sub in schema.get("properties", {}).items():
        _rows(sub, "%s.%s" % (path, key), "yes" if key in required else "", rows)
    for pattern, sub in schema.get("patternProperties", {}).items():
        _rows(sub, "%s.<%s>" % (path, pattern.strip("^$")), "", rows)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) and extra.get("properties"):
        _rows(extra, "%s.<name>" % path, "", rows)


def _table(rows):
    out = ["| key | type | required | default | allowed | description |", "|---|---|---|---|---|---|"]
    for row in rows:
        out.append("| %s |" % " | ".join(("`%s`" % row[0],) + tuple(str(c).replace("|", "\\|") for c in row[1:])))
    return "\n".join(out)


def inventory_reference():
    sections = [_INTRO]
    top = schema_mod.INVENTORY_SCHEMA
    for key, sub in top["properties"].items():
        rows = []
        _rows(sub, key, "yes" if key in top.get("required", ()) else "", rows)
        sections.append("## `%s`\n\n%s\n\n%s\n" % (key, sub.get("description", ""), _table(rows)))
    for var, sub in (("netstack_node", schema_mod.NODE_SCHEMA), ("netstack_switch", schema_mod.SWITCH_SCHEMA)):
        rows = []
        _rows(sub, var, "yes", rows)
        sections.append("## Host variable `%s`\n\n%s\n\n%s\n" % (var, sub.get("description", ""), _table(rows)))
    sections.append("## Switch platforms\n\n`netstack_switch.platform` is derived from `ansible_network_os`:\n\n"
                    + "\n".join("- `%s` -> `%s`" % kv for kv in sorted(schema_mod.NETWORK_OS_PLATFORMS.items()))
                    + "\n")
    sections.append(physical.RULES_DOC)
    sections.append(mlag.RULES_DOC)
    return "\n".join(sections)


if __name__ == "__main__":
    import sys
    sys.stdout.write(inventory_reference())
