# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deterministic, fast YAML and JSON output for bundle artefacts.

The same inventory must give the same bundle byte for byte, so every artefact
goes through these functions.  Keys keep the order the core built them in
(deterministic by construction).  The plan holds only plain data (dict, list,
str, int, float, bool, None), which this small emitter writes about ten times
faster than PyYAML's representer (that matters for 5,000 tenants); strings
that YAML would read as something else are written as JSON strings, which are
valid YAML.  ``tests/unit/test_yamlout.py`` round-trips random data through
``yaml.safe_load``.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

try:
    import yaml
except ImportError:  # PyYAML ships with ansible-core; without it, quote every string the fast path does not accept
    yaml = None

_PLAIN_CANDIDATE = re.compile(r"^[A-Za-z0-9_./][A-Za-z0-9_./@:+=-]*\Z")
# Starts with a letter, no YAML indicator: plain unless it is one of YAML 1.1's words for bool/null.
_PLAIN_FAST = re.compile(r"^[A-Za-z][A-Za-z0-9_./-]*\Z")
_YAML_WORDS = frozenset(("y", "n", "yes", "no", "true", "false", "on", "off", "null"))
_plain_cache = {}


def _is_plain(text):
    """True when ``text`` can be written unquoted and reads back as the same string."""
    if _PLAIN_FAST.match(text):
        return text.lower() not in _YAML_WORDS
    cached = _plain_cache.get(text)
    if cached is None:
        cached = bool(_PLAIN_CANDIDATE.match(text)) and not text.endswith(":") and ": " not in text
        if cached and yaml is None:
            cached = False
        elif cached:
            try:
                cached = yaml.safe_load(text) == text
            except yaml.YAMLError:
                cached = False
        if len(_plain_cache) < 100000:
            _plain_cache[text] = cached
    return cached


def _quote(text):
    """A JSON string (valid YAML) with every non-printable character escaped."""
    quoted = json.dumps(text, ensure_ascii=False)
    if quoted.isprintable():
        return quoted
    return "".join(c if c.isprintable() else ("\\u%04x" % ord(c) if ord(c) < 0x10000 else "\\U%08x" % ord(c))
                   for c in quoted)


def _scalar(value):
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if _is_plain(value):
        return value
    return _quote(value)


def _block_literal(text, indent):
    """A multi-line string as a ``|`` block, when that reads back exactly; else None."""
    if text.endswith("\n\n") or text.startswith((" ", "\n")) or "\r" in text:
        return None
    lines = text.split("\n")
    if any(line != line.rstrip() or not line.isprintable() for line in lines):
        return None
    chomp = "" if text.endswith("\n") else "-"
    if text.endswith("\n"):
        lines = lines[:-1]
    pad = " " * indent
    return "|" + chomp + "\n" + "\n".join((pad + line) if line else "" for line in lines)


def _emit(value, indent, out):
    """Append lines for ``value`` nested at ``indent`` (a mapping or sequence)."""
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            key_text = _scalar(str(key)) if not isinstance(key, (int, bool)) else _scalar(key)
            _emit_item(pad + key_text + ":", item, indent, out)
    else:
        for item in value:
            _emit_item(pad + "-", item, indent, out, in_list=True)


def _emit_item(prefix, item, indent, out, in_list=False):
    if isinstance(item, dict) and item:
        if in_list:
            # first key on the dash line, the rest aligned under it
            sub = []
            _emit(item, indent + 2, sub)
            out.append(prefix + " " + sub[0].lstrip())
            out.extend(sub[1:])
        else:
            out.append(prefix)
            _emit(item, indent + 2, out)
    elif isinstance(item, list) and item:
        out.append(prefix)
        _emit(item, indent + 2, out)
    elif isinstance(item, dict):
        out.append(prefix + " {}")
    elif isinstance(item, list):
        out.append(prefix + " []")
    elif isinstance(item, str) and "\n" in item:
        block = _block_literal(item, indent + 2)
        out.append(prefix + " " + (block if block is not None else _quote(item)))
    else:
        out.append(prefix + " " + _scalar(item))


def dump_yaml(data):
    """One YAML document for plain data."""
    if isinstance(data, (dict, list)) and data:
        out = []
        _emit(data, 0, out)
        return "\n".join(out) + "\n"
    return _scalar(data) if not isinstance(data, (dict, list)) else ("{}" if isinstance(data, dict) else "[]") + "\n"


def dump_yaml_all(documents):
    """A multi-document YAML stream, each document starting with ``---``."""
    return "".join("---\n" + dump_yaml(doc) for doc in documents)


def dump_json(data):
    return json.dumps(data, indent=2, sort_keys=False) + "\n"
