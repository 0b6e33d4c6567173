# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection as a user gets it: built, installed from the tarball, run from a directory of the user's.

``ansible-galaxy collection build`` of this checkout, ``ansible-galaxy collection install`` of the tarball into
a temporary collections path (``--no-deps``: the dependencies come from the ``ansible`` bundle in the venv, as
for users), a copy of ``inventories/example`` in a temporary "user" directory, and from there
``ansible-playbook -i inventories/example netstack.baremetal.site``: no ansible.cfg of the repository, nothing
of the repository on any path. The bundle must land in the user's directory, never inside the installed
collection, and the Talos schema check must run with what the collection ships.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.dirname(sys.executable)


def _env(collections):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}   # no repo ansible.cfg
    env.update(ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="0",
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default",
               PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    return env


def _run(argv, cwd, env):
    result = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, check=False)
    assert result.returncode == 0, "%s\n%s" % (" ".join(argv), result.stdout[-6000:])
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    top = tmp_path_factory.mktemp("installed")
    collections, user = str(top / "collections"), top / "user"
    env = _env(collections)
    _run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(top), REPO],
         cwd=str(top), env=env)
    tarball, = glob.glob(str(top / "netstack-baremetal-*.tar.gz"))
    _run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--no-deps", tarball], cwd=str(top), env=env)
    root = os.path.join(collections, "ansible_collections", "netstack", "baremetal")
    assert os.path.isfile(os.path.join(root, "playbooks", "site.yml"))
    user.mkdir()
    shutil.copytree(os.path.join(REPO, "inventories", "example"), str(user / "inventories" / "example"))
    return {"root": root, "user": user, "env": env}


def _playbook(installed, *args):
    return _run([os.path.join(BIN, "ansible-playbook"), "-i", "inventories/example"] + list(args),
                cwd=str(installed["user"]), env=installed["env"])


def test_site_renders_into_the_users_directory(installed):
    output = _playbook(installed, "netstack.baremetal.site")
    bundle = installed["user"] / "build" / "lab1"
    for name in ("plan.yaml", "report.md", "report.html", "nodes/README.md"):
        assert (bundle / name).is_file(), name
    assert "bundle in %s," % bundle in output
    # nothing written inside the installed collection
    assert not os.path.exists(os.path.join(installed["root"], "build"))
    assert "did NOT run" not in output


def test_talos_schema_check_runs_from_the_installed_collection(installed):
    shipped = os.path.join(installed["root"], "roles", "talos_nodes", "files", "talos-config.schema.json")
    assert os.path.isfile(shipped)
    # apply mode in check mode with no talosctl: the role checks the documents, then stops (render only)
    output = _playbook(installed, "netstack.baremetal.nodes", "--check", "-e", "netstack_mode=apply",
                       "-e", "talos_nodes_talosctl=/nonexistent/talosctl", "--limit", "localhost,cp1")
    assert "every document matches the Talos schema" in output
    assert "Talos schema check did NOT run" not in output
    assert not os.path.exists(os.path.join(installed["root"], "build"))
