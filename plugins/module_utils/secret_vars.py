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
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.netstack.baremetal.plugins.module_utils.problems import Problem, did_you_mean

PASSWORD_VAR_PATH = "netstack_fabric.bgp.password_var"
NOT_SHOWN = "the value is not shown: it may be the password itself"
_SHOWN = 5
# Names a user gives a variable holding a password; ansible_* are Ansible's own (connection passwords).
_SECRET_LIKE = re.compile(r"pass|pwd|secret|token|vault", re.I)


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
