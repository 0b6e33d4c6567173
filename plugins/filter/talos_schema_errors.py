# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter ``netstack.baremetal.talos_schema_errors``: check Talos config documents against the Talos JSON schema."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.netstack.baremetal.plugins.module_utils.nodes_talos import strip_patch_directives

try:
    import jsonschema
    HAS_JSONSCHEMA = True
except ImportError:  # pragma: no cover - depends on the controller
    HAS_JSONSCHEMA = False

_VALIDATORS = {}
display = Display()


def talos_schema_errors(documents, schema_path):
    """Return the schema errors of every document (``[]`` when valid), or None when the check cannot run.

    None comes with a warning: a check that did not run must never look like a check that passed.
    """
    if not HAS_JSONSCHEMA or not schema_path or not os.path.isfile(schema_path):
        display.warning("Talos schema check did NOT run: %s" % (
            "the Python package jsonschema is not installed on the controller" if not HAS_JSONSCHEMA
            else "no schema file at %r" % (schema_path,)))
        return None
    if not isinstance(documents, list):
        raise AnsibleFilterError("talos_schema_errors expects a list of documents")
    validator = _VALIDATORS.get(schema_path)
    if validator is None:
        with open(schema_path) as handle:
            validator = _VALIDATORS[schema_path] = jsonschema.Draft202012Validator(json.load(handle))
    errors = []
    for position, doc in enumerate(documents):
        kind = doc.get("kind", "v1alpha1") if isinstance(doc, dict) else "?"
        # strategic-merge `$patch: delete` entries remove config: they are not part of the schema
        for error in validator.iter_errors(strip_patch_directives(doc)):
            where = "/".join(str(p) for p in error.path)
            errors.append("document %d (%s) %s: %s" % (position + 1, kind, where, error.message[:300]))
    return errors


class FilterModule(object):
    def filters(self):
        return {"talos_schema_errors": talos_schema_errors}
