# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one of the collection's playbooks from a test, as a user would, and read its recap.

The repository's ansible.cfg (so ``netstack.baremetal`` resolves to this checkout), the default callback
without colours, and the venv's bin first on PATH (modules and ``ansible-connection`` run from it).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import subprocess
import sys

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.dirname(sys.executable)
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)", re.M)


def run_playbook(playbook, inventories, *extra, **env_extra):
    """(return code, combined output) of ``ansible-playbook playbooks/<playbook> -i <each inventory> <extra>``;
    ``playbook`` may be a list: several playbooks in one run (facts carry over), as ``site.yml`` imports them."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default", ANSIBLE_NOCOLOR="1",
               ANSIBLE_DEPRECATION_WARNINGS="0", PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    env.update({k: str(v) for k, v in env_extra.items()})
    playbooks = [playbook] if isinstance(playbook, str) else list(playbook)
    argv = [os.path.join(BIN, "ansible-playbook")] + [os.path.join(REPO, "playbooks", p) for p in playbooks]
    for inventory in inventories:
        argv += ["-i", str(inventory)]
    result = subprocess.run(argv + [str(e) for e in extra], env=env, cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    return result.returncode, result.stdout


def recap(output):
    """{host: {"ok", "changed", "unreachable", "failed", "skipped"}} from the PLAY RECAP."""
    keys = ("ok", "changed", "unreachable", "failed", "skipped")
    return {m.group(1): dict(zip(keys, (int(v) for v in m.groups()[1:]))) for m in RECAP.finditer(output)}


def host_overrides(path, hostvars):
    """Write an extra inventory setting ``{host: {var: value}}`` (pass it as a second ``-i``); returns the path."""
    path.write_text(yaml.safe_dump({"all": {"hosts": hostvars}}))
    return path
