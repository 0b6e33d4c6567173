# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Variables that hold secrets: checked by name at plan time, never read here.

The plan only carries the NAME of the variable holding the BGP password
(``netstack_fabric.bgp.password_var``).  In apply mode the fabric role reads
that variable on each switch, and the cluster_network role on the controller
(the host the plan runs on) for the node speakers' password Secret.  The plan
action tells the core which variables are defined where, never their values,
so a variable that does not exist (or a password pasted in place of its name)
fails the plan in render and in apply mode alike, before any bundle file is
written.  No message here ever contains the value of ``password_var``: it may
be the password itself.

``defined_vars`` (``build_plan``'s argument; ``None`` skips the check)::

    {"controller": names defined where the plan runs,
     "switches": {switch: names defined for that switch}}

A "names" value only needs ``in`` (and iteration, for the controller's, to
suggest a name); a switch missing from ``switches`` is not checked.

The last line of defence, ``bundle_leaks``: every property the schema marks
``x-sensitive`` names a variable holding a secret (``sensitive_var_names``
finds them in the inventory); the plan action reads those variables' values on
the controller and hands them here with the bundle files it is about to
write, and the plan fails, naming the file and the variable, never the value,
when one of them holds a secret.  This is the only place the core ever sees a
secret value, and it only ever compares it.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.netstack.baremetal.plugins.module_utils import schema as schema_mod
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import Problem, did_you_mean

PASSWORD_VAR_PATH = "netstack_fabric.bgp.password_var"
NOT_SHOWN = "the value is not shown: it may be the password itself"
_SHOWN = 5
_NAME = re.compile(schema_mod.VAR_NAME_PATTERN)
# Names a user gives a variable holding a password; ansible_* are Ansible's own (connection passwords).
_SECRET_LIKE = re.compile(r"pass|pwd|secret|token|vault", re.I)
# A secret value shorter than this is not looked for in the bundle: it would match ordinary text.
MIN_CHECKED_LENGTH = 6


def bgp_password_vars(plan):
    """Names of the variables the plan's BGP sessions read their password from (apply mode)."""
    return sorted({s["password_ref"] for s in plan.get("bgp", {}).get("sessions", ()) if s.get("password_ref")})


def check_defined(bgp_plan, defined_vars):
    """Problems for a BGP password variable that is not defined where apply mode reads it; [] when it is.

    ``bgp_plan``: ``bgp.plan_bgp``'s result; ``defined_vars``: see the module docstring.
    """
    if defined_vars is None:
        return []
    sessions = [s for s in bgp_plan.get("sessions", ()) if s.get("password_ref")]
    controller = defined_vars.get("controller")
    per_switch = defined_vars.get("switches") or {}
    problems = []
    for name in sorted({s["password_ref"] for s in sessions}):
        switches = sorted({s["switch"] for s in sessions if s["password_ref"] == name})
        missing = [host for host in switches if host in per_switch and name not in per_switch[host]]
        where = []
        if controller is not None and name not in controller:
            where.append("on the controller (where the plan runs)")
        if missing:
            shown = ", ".join(missing[:_SHOWN])
            if len(missing) > _SHOWN:
                shown += " and %d more" % (len(missing) - _SHOWN)
            where.append("for switch%s %s" % ("es" if len(missing) > 1 else "", shown))
        if not where:
            continue
        problems.append(Problem(PASSWORD_VAR_PATH, "names a variable that is not defined %s: apply mode reads "
                                "the BGP password from it there (%s)" % (" nor ".join(where), NOT_SHOWN),
                                _hint(name, controller)))
    return problems


def _hint(name, controller):
    fix = ("put the password in a variable in group_vars/all (vault-encrypted), so the controller and every "
           "switch see it, and its NAME here")
    candidates = sorted(n for n in (controller or ()) if isinstance(n, str) and _SECRET_LIKE.search(n)
                        and not n.startswith("ansible_"))
    close = did_you_mean(name, candidates)
    if close:
        return "%s Otherwise %s" % (close, fix)
    if candidates:
        return "defined variables that look like passwords: %s; %s" % (", ".join(candidates[:_SHOWN]), fix)
    return fix


def plaintext_warning(name):
    """The warning for a BGP password variable that is not vault-encrypted (its name only, never its value)."""
    return ("%s: the BGP password variable '%s' is not vault-encrypted: encrypt the file that defines it "
            "(ansible-vault encrypt) or its value (ansible-vault encrypt_string)" % (PASSWORD_VAR_PATH, name))


# --- nothing secret in the bundle ---------------------------------------------------------------------------

def sensitive_paths(schema=None):
    """Schema paths of every property marked ``x-sensitive`` (``<name>`` for a mapping key, ``[]`` for items)."""
    found = []

    def walk(node, path):
        if not isinstance(node, dict):
            return
        if node.get("x-sensitive"):
            found.append(path)
        for key, sub in node.get("properties", {}).items():
            walk(sub, "%s.%s" % (path, key) if path else key)
        for sub in node.get("patternProperties", {}).values():
            walk(sub, path + ".<name>")
        if isinstance(node.get("additionalProperties"), dict):
            walk(node["additionalProperties"], path + ".<name>")
        if isinstance(node.get("items"), dict):
            walk(node["items"], path + "[]")
    walk(schema or schema_mod.INVENTORY_SCHEMA, "")
    return found


def sensitive_var_names(inventory_vars, schema=None):
    """Names of the variables the inventory says hold secrets: the values of its ``x-sensitive`` properties.

    ``inventory_vars``: the raw ``netstack_*`` group variables (as ``build_site`` takes them). A value that is
    not a variable name (a pasted secret) is skipped: the schema check already fails the plan on it.
    """
    names = set()

    def walk(node, value):
        if not isinstance(node, dict):
            return
        if node.get("x-sensitive"):
            if isinstance(value, str) and _NAME.match(value):
                names.add(value)
            return
        if isinstance(value, dict):
            properties = node.get("properties", {})
            patterns = node.get("patternProperties", {})
            extra = node.get("additionalProperties")
            for key, sub_value in value.items():
                if key in properties:
                    walk(properties[key], sub_value)
                    continue
                matched = [sub for pattern, sub in patterns.items() if isinstance(key, str) and re.search(pattern, key)]
                for sub in matched:
                    walk(sub, sub_value)
                if not matched and isinstance(extra, dict):
                    walk(extra, sub_value)
        elif isinstance(value, list) and isinstance(node.get("items"), dict):
            for item in value:
                walk(node["items"], item)
    walk(schema or schema_mod.INVENTORY_SCHEMA, inventory_vars)
    return sorted(names)


def bundle_leaks(artefacts, secrets):
    """``[(relative path, variable name)]`` for each bundle file that holds the value of a secret variable.

    ``artefacts``: ``{relative path: text}`` about to be written; ``secrets``: ``{variable name: value}``.
    Values shorter than ``MIN_CHECKED_LENGTH`` are not looked for. The result never carries a value.
    """
    wanted = [(name, str(value)) for name, value in sorted(secrets.items())
              if value is not None and not isinstance(value, bool) and len(str(value)) >= MIN_CHECKED_LENGTH]
    leaks = []
    for path in sorted(artefacts):
        text = artefacts[path]
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        leaks.extend((path, name) for name, value in wanted if value in text)
    return leaks


def leak_message(leaks):
    """The failure for ``bundle_leaks``' result: files and variable names, never a value."""
    names = sorted({name for _path, name in leaks})
    files = sorted({path for path, _name in leaks})
    shown = ", ".join(files[:_SHOWN]) + (" and %d more" % (len(files) - _SHOWN) if len(files) > _SHOWN else "")
    return ("the bundle would hold the value of secret variable%s %s (in %s; %s). Nothing was written: the "
            "bundle is meant to be reviewed and committed. The plan carries variable names only, so the secret most "
            "likely equals text the bundle holds anyway (a name, a host name, a label...): give it a value of its "
            "own; if it does not, please report a bug"
            % ("s" if len(names) > 1 else "", ", ".join("'%s'" % n for n in names), shown, NOT_SHOWN))
