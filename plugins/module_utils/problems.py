# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Problems found in an inventory, and the error that carries all of them.

Every check in the core appends ``Problem`` objects instead of raising on the
first one, so the user sees every mistake in one run.  ``path`` always names
the inventory location (``netstack_fabric.vlans[2].id``,
``hosts.r1-n1.netstack_node.rack``) so the message can be acted on.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import re


class Problem:
    """One thing wrong with the inventory.

    ``blocking``: the value at ``path`` cannot be used, so checks that read it are
    skipped (an unknown key is not blocking: nothing reads it).
    """

    __slots__ = ("path", "message", "hint", "blocking")

    def __init__(self, path, message, hint="", blocking=True):
        self.path = path
        self.message = message
        self.hint = hint
        self.blocking = blocking

    def __eq__(self, other):
        return isinstance(other, Problem) and self.as_tuple() == other.as_tuple()

    def __hash__(self):
        return hash(self.as_tuple())

    def __repr__(self):
        return "Problem(%r, %r, %r)" % self.as_tuple()

    def as_tuple(self):
        return (self.path, self.message, self.hint)

    def as_dict(self):
        return {"path": self.path, "message": self.message, "hint": self.hint}

    def __str__(self):
        text = "%s: %s" % (self.path or "<inventory>", self.message)
        if self.hint:
            text += " (%s)" % self.hint
        return text


class PlanError(Exception):
    """Raised when the inventory has problems; carries all of them."""

    def __init__(self, problems):
        # no de-duplication here: every check runs once (test_validation_stages checks it), a copy is a bug
        self.problems = sorted(problems, key=lambda p: (p.path, p.message))
        super(PlanError, self).__init__(format_problems(self.problems))


def format_problems(problems):
    lines = ["%d problem(s) in the inventory:" % len(problems)]
    lines.extend("  - %s" % p for p in problems)
    return "\n".join(lines)


def did_you_mean(word, choices):
    """Return a 'did you mean' hint for a misspelled key or value, or ''."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    if close:
        return "did you mean '%s'?" % close[0]
    return ""


def join_path(base, key):
    """Build an inventory path: join_path('a.b', 3) -> 'a.b[3]'."""
    if isinstance(key, int):
        return "%s[%d]" % (base, key)
    if not base:
        return str(key)
    return "%s.%s" % (base, key)


def known_or_close(word, choices, limit=8):
    """Hint for a reference to something that does not exist: 'did you mean' or the (first few) known names."""
    close = did_you_mean(word, choices)
    if close or not choices:
        return close
    names = sorted(str(c) for c in choices)
    shown = ", ".join("'%s'" % n for n in names[:limit]) + (", ..." if len(names) > limit else "")
    return "use one of %s" % shown


def free_name(name, taken, separator="-"):
    """A name like ``name`` that is not in ``taken``: r1 -> r2 (or the next free number), nodes -> nodes-2."""
    name = str(name)
    match = re.match(r"^(.*?)(\d+)$", name)
    if match:
        prefix, number = match.group(1), int(match.group(2)) + 1
    else:
        prefix, number = name + separator, 2
    while "%s%d" % (prefix, number) in taken:
        number += 1
    return "%s%d" % (prefix, number)


def next_free(used, start=1, limit=None):
    """The smallest integer >= ``start`` that is not in ``used`` (None past ``limit``)."""
    value = start
    while value in used:
        value += 1
    return value if limit is None or value <= limit else None
