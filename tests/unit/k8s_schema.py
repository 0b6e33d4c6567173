# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate generated Kubernetes manifests the way the API server would, offline.

``validate_manifest(obj) -> list[str]`` (empty = valid) checks:

* custom resources against the JSON Schemas in ``<repo>/../shared/schemas``
  (``index.json`` maps ``<apiVersion>/<kind>`` to a Draft 7 whole-manifest
  schema): types, enums, patterns, required fields, bounds; **and** unknown
  fields, which those schemas let through (Kubernetes prunes rather than
  rejects) but ``kubectl apply --validate=strict`` refuses: every key must be
  declared where the schema declares ``properties`` without
  ``additionalProperties`` / ``x-kubernetes-preserve-unknown-fields``; plus
  the CRD's CEL rules (``x-kubernetes-validations``) that cel-python can
  evaluate (rules on ``oldSelf`` are transition rules and are skipped);
* core kinds (Namespace, ConfigMap, ...) against kubernetes-validate's strict
  schemas for ``KUBERNETES_VERSION`` (validators are built once per kind and
  cached, so thousands of objects stay fast);
* ObjectMeta rules every kind shares: the name is a DNS-1123 subdomain (a DNS
  label for namespaces), label keys and values and annotation keys are well
  formed.

The schema folder can be moved with ``NETSTACK_SCHEMAS_DIR``.  Run as a script
to check YAML files: ``python tests/unit/k8s_schema.py bundle/tenants/*.yaml``.
"""
from __future__ import absolute_import, division, print_function

import json
import os
import re
import sys

import jsonschema

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCHEMAS_DIR = os.environ.get("NETSTACK_SCHEMAS_DIR") or os.path.join(os.path.dirname(REPO_ROOT), "shared",
                                                                     "schemas")
KUBERNETES_VERSION = "1.33.0"

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

_index = {}
_crd_validators = {}
_core_validators = {}
_cel_programs = {}


# Gateway API channel: "standard" uses index.json; "experimental" merges index.gateway-experimental.json over it
# (what a cluster with the experimental CRDs installed, as ours, serves).
CHANNEL_INDEXES = {"standard": ("index.json",), "experimental": ("index.json", "index.gateway-experimental.json")}


def _load_index(channel="standard"):
    if channel not in _index:
        merged = {}
        for name in CHANNEL_INDEXES[channel]:
            with open(os.path.join(SCHEMAS_DIR, name)) as handle:
                merged.update(json.load(handle))
        _index[channel] = merged
    return _index[channel]


def _crd_entry(api_version, kind, channel="standard"):
    key = (channel, "%s/%s" % (api_version, kind))
    if key not in _crd_validators:
        path = _load_index(channel).get(key[1])
        if path is None:
            _crd_validators[key] = None
        else:
            with open(os.path.join(SCHEMAS_DIR, path)) as handle:
                schema = json.load(handle)
            _crd_validators[key] = (schema, jsonschema.Draft7Validator(schema))
    return _crd_validators[key]


def crd_schema(api_version, kind, channel="standard"):
    """The whole-manifest schema for a custom resource, or None when the channel's index has none."""
    entry = _crd_entry(api_version, kind, channel)
    return entry[0] if entry else None


def crd_errors(obj, channel="standard"):
    """Errors of a custom resource against its CRD schema (unknown fields and CEL rules included); [] for kinds
    the channel's index does not know (core kinds)."""
    entry = _crd_entry(obj["apiVersion"], obj["kind"], channel)
    if entry is None:
        return []
    schema, validator = entry
    errors = ["%s: %s" % (e.json_path, e.message) for e in validator.iter_errors(obj)]
    errors.extend(unknown_fields(schema, obj))
    errors.extend(_cel_errors(schema, obj))
    return errors


# --- unknown fields ---------------------------------------------------------

def _branches(schema):
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key) or []:
            if isinstance(sub, dict):
                yield sub


def _declared(schema):
    """(properties, additionalProperties, preserve) of a schema node, merged over allOf/anyOf/oneOf."""
    properties = dict(schema.get("properties") or {})
    additional = schema.get("additionalProperties")
    preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
    for sub in _branches(schema):
        sub_props, sub_additional, sub_preserve = _declared(sub)
        for name, value in sub_props.items():
            properties.setdefault(name, value)
        if additional is None:
            additional = sub_additional
        preserve = preserve or sub_preserve
    return properties, additional, preserve


def unknown_fields(schema, value, path=""):
    """Paths of keys the schema does not declare (what kubectl's strict validation rejects)."""
    errors = []
    _walk_unknown(schema, value, path, errors)
    return errors


def _walk_unknown(schema, value, path, errors):
    if not isinstance(schema, dict):
        return
    if isinstance(value, dict):
        properties, additional, preserve = _declared(schema)
        for key, item in value.items():
            child = "%s.%s" % (path, key)
            if key in properties:
                _walk_unknown(properties[key], item, child, errors)
            elif isinstance(additional, dict):
                _walk_unknown(additional, item, child, errors)
            elif additional is True or preserve:
                continue
            elif properties or additional is False:
                errors.append("%s: unknown field %r" % (child or ".", key))
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for position, item in enumerate(value):
                _walk_unknown(items, item, "%s[%d]" % (path, position), errors)


# --- CEL rules --------------------------------------------------------------

def _cel_rules(schema, value, path, out):
    """Collect (rule, message, node value, path) for every x-kubernetes-validations on the value's path."""
    if not isinstance(schema, dict):
        return
    for rule in schema.get("x-kubernetes-validations") or []:
        out.append((rule, value, path))
    if isinstance(value, dict):
        properties, additional, _preserve = _declared(schema)
        for key, item in value.items():
            sub = properties.get(key, additional if isinstance(additional, dict) else None)
            _cel_rules(sub, item, "%s.%s" % (path, key), out)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for position, item in enumerate(value):
            _cel_rules(schema["items"], item, "%s[%d]" % (path, position), out)


def _cel_errors(schema, obj):
    try:
        import celpy
    except ImportError:  # cel-python is optional: without it the CEL rules are not checked
        return []
    found = []
    _cel_rules(schema, obj, "", found)
    errors = []
    for rule, value, path in found:
        text = rule.get("rule", "")
        if "oldSelf" in text:
            continue
        program = _cel_programs.get(text)
        if program is None:
            try:
                environment = celpy.Environment()
                program = environment.program(environment.compile(text))
            except Exception:  # Kubernetes CEL extensions cel-python lacks: not checkable here
                program = False
            _cel_programs[text] = program
        if program is False:
            continue
        try:
            result = program.evaluate({"self": celpy.json_to_cel(value)})
        except Exception:
            continue
        if isinstance(result, Exception):  # celpy returns evaluation errors as values
            continue
        if not bool(result):
            errors.append("%s: %s" % (path or ".", rule.get("message") or "failed rule %s" % text))
    return errors


# --- core kinds (kubernetes-validate) ---------------------------------------

def _core_validator(api_version, kind, version):
    key = (api_version, kind, version)
    if key not in _core_validators:
        from kubernetes_validate import utils
        from referencing import Registry, Resource
        group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
        folder = "kubernetes-json-schema/v%s-local-strict" % version
        try:
            schema = utils.schema_contents("%s/%s-%s.json" % (folder, kind.lower(), group_version), version)
        except (IOError, OSError):
            _core_validators[key] = None
            return None
        definitions = utils.schema_contents("%s/_definitions.json" % folder, version)
        registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
        _core_validators[key] = jsonschema.Draft202012Validator(schema, registry=registry)
    return _core_validators[key]


# --- ObjectMeta -------------------------------------------------------------

def _qualified_key_errors(key, what):
    prefix, name = key.rpartition("/")[::2]
    errors = []
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        errors.append("%s key %r: prefix must be a DNS subdomain" % (what, key))
    if not name or len(name) > 63 or not _QUALIFIED_NAME.match(name):
        errors.append("%s key %r: name part must be 1-63 alphanumerics, '-', '_' or '.'" % (what, key))
    return errors


def object_meta_errors(obj):
    metadata = obj.get("metadata") or {}
    errors = []
    name = metadata.get("name")
    pattern, limit = (_DNS_LABEL, 63) if obj.get("kind") == "Namespace" else (_DNS_SUBDOMAIN, 253)
    if not isinstance(name, str) or len(name) > limit or not pattern.match(name):
        errors.append(".metadata.name: %r is not a valid name (%s, at most %d characters)"
                      % (name, "DNS label" if limit == 63 else "DNS subdomain", limit))
    namespace = metadata.get("namespace")
    if namespace is not None and (len(namespace) > 63 or not _DNS_LABEL.match(namespace)):
        errors.append(".metadata.namespace: %r is not a valid namespace name" % namespace)
    for key, value in (metadata.get("labels") or {}).items():
        errors.extend(".metadata.labels: " + e for e in _qualified_key_errors(key, "label"))
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
            errors.append(".metadata.labels.%s: value %r is not a valid label value" % (key, value))
    for key in (metadata.get("annotations") or {}):
        errors.extend(".metadata.annotations: " + e for e in _qualified_key_errors(key, "annotation"))
    return errors


# --- entry points -----------------------------------------------------------

def validate_manifest(obj, kubernetes_version=KUBERNETES_VERSION):
    """Every reason the API server (with strict field validation) would refuse ``obj``; [] when valid."""
    if not isinstance(obj, dict) or "apiVersion" not in obj or "kind" not in obj:
        return ["not a Kubernetes object (apiVersion and kind are required)"]
    api_version, kind = obj["apiVersion"], obj["kind"]
    errors = object_meta_errors(obj)
    if crd_schema(api_version, kind) is not None:
        return errors + crd_errors(obj)
    validator = _core_validator(api_version, kind, kubernetes_version)
    if validator is None:
        return errors + ["no schema for %s/%s (neither a known CRD nor a core kind of Kubernetes %s)"
                         % (api_version, kind, kubernetes_version)]
    errors.extend("%s: %s" % (e.json_path, e.message) for e in validator.iter_errors(obj))
    return errors


def validate_manifests(objects, kubernetes_version=KUBERNETES_VERSION):
    """``["<kind> <namespace/name>: <error>", ...]`` over many objects."""
    errors = []
    for obj in objects:
        metadata = (obj or {}).get("metadata") or {}
        label = "%s %s" % ((obj or {}).get("kind"), "/".join(p for p in (metadata.get("namespace"),
                                                                         metadata.get("name")) if p))
        errors.extend("%s: %s" % (label, e) for e in validate_manifest(obj, kubernetes_version))
    return errors


def main(paths):
    import yaml
    failed = False
    for path in paths:
        with open(path) as handle:
            for document in yaml.safe_load_all(handle):
                if not document:
                    continue
                for error in validate_manifests([document]):
                    failed = True
                    print("%s: %s" % (path, error))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
