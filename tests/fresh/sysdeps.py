# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The system packages of one bindep.txt profile: list them, report the missing ones, or install them.

Python 3 standard library only, so it runs on a fresh Debian/Ubuntu machine before any venv exists
(`make test` and `make venv` call it). It reads bindep.txt the way bindep does
(https://docs.opendev.org/opendev/bindep/): ``name [selectors] [version]``, where a selector is a
profile (``test``) or a platform (``platform:dpkg``), ``!`` negates one, a line without profile
selectors belongs to every profile, and a line with platform selectors only applies on a matching
platform. Version constraints are not checked (none are used).

Usage (no shebang: run it with the system python3):
  python3 tests/fresh/sysdeps.py list PROFILE      every package of the profile on this platform, one a line
  python3 tests/fresh/sysdeps.py missing PROFILE   the ones not installed (exit 1 if any)
  python3 tests/fresh/sysdeps.py ensure PROFILE    as root: apt-get update once, then install the missing ones;
                                                   not root: print the exact apt-get line and exit 1
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINDEP = os.path.join(ROOT, "bindep.txt")
LINE = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9.+_-]*)\s*(?:\[(?P<sel>[^\]]*)\])?\s*(?P<ver>[<>=!].*)?$")


def parse(path=BINDEP):
    """[(package, [selector, ...], line number)] of a bindep file; ValueError on a line it cannot read."""
    rules = []
    with open(path, encoding="utf-8") as handle:
        for number, raw in enumerate(handle, 1):
            text = raw.split("#", 1)[0].strip()
            if not text:
                continue
            match = LINE.match(text)
            if not match:
                raise ValueError("%s:%d: cannot read %r" % (path, number, raw.rstrip("\n")))
            rules.append((match.group("name"), (match.group("sel") or "").split(), number))
    return rules


def platforms(os_release="/etc/os-release"):
    """The platform labels of this machine, as bindep names them (dpkg, debian, debian-12, bookworm...)."""
    labels = set()
    if os.path.exists("/usr/bin/dpkg") or os.path.exists("/var/lib/dpkg/status"):
        labels.add("dpkg")
    if os.path.exists("/usr/bin/rpm"):
        labels.add("rpm")
    info = {}
    if os.path.exists(os_release):
        with open(os_release, encoding="utf-8") as handle:
            for line in handle:
                key, sep, value = line.strip().partition("=")
                if sep:
                    info[key] = value.strip().strip('"')
    ident = info.get("ID", "").lower()
    if ident:
        labels.add(ident)
        if info.get("VERSION_ID"):
            labels.add("%s-%s" % (ident, info["VERSION_ID"]))
            labels.add("%s%s" % (ident, info["VERSION_ID"].split(".")[0]))
    labels.update(info.get("ID_LIKE", "").lower().split())
    if info.get("VERSION_CODENAME"):
        labels.add(info["VERSION_CODENAME"].lower())
    return labels


def _group_matches(labels, selected):
    """bindep's rule for one group of selectors: no positive label, or one of them selected; no negated one."""
    positive = [label for label in labels if not label.startswith("!")]
    negative = [label[1:] for label in labels if label.startswith("!")]
    if any(label in selected for label in negative):
        return False
    return not positive or any(label in selected for label in positive)


def applies(selectors, profile, platform_labels):
    """Whether a rule with these selectors is part of ``profile`` on a machine with ``platform_labels``."""
    plat, prof = [], []
    for selector in selectors:
        bang, body = ("!", selector[1:]) if selector.startswith("!") else ("", selector)
        if body.startswith("platform:"):
            plat.append(bang + body[len("platform:"):])
        else:
            prof.append(selector)
    return _group_matches(plat, platform_labels) and _group_matches(prof, {profile})


def packages(profile, path=BINDEP, platform_labels=None):
    """The packages of ``profile`` on this platform, in file order, without duplicates."""
    labels = platforms() if platform_labels is None else platform_labels
    seen = []
    for name, selectors, _number in parse(path):
        if applies(selectors, profile, labels) and name not in seen:
            seen.append(name)
    return seen


def installed(names):
    """The subset of ``names`` that dpkg reports as installed, by name or as provided by an installed package.

    A package another one provides counts, as it does for apt: a machine with NodeSource's ``nodejs``
    (``Provides: npm``, ``Conflicts: npm``) has npm, and asking apt for Debian's ``npm`` there fails.
    """
    if not names:
        return set()
    result = subprocess.run(["dpkg-query", "-W", "-f=${Package}\\t${Status}\\t${Provides}\\n"], check=False,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True)
    present = set()
    for line in result.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or parts[1].split()[-3:] != ["install", "ok", "installed"]:
            continue
        present.add(parts[0].split(":")[0])
        # "Provides: foo (= 1.0), bar" -> foo, bar
        present.update(item.split()[0] for item in parts[2].split(",") if item.strip())
    return set(names) & present


def missing(profile, path=BINDEP):
    wanted = packages(profile, path)
    have = installed(wanted)
    return [name for name in wanted if name not in have]


def install_line(names):
    return "apt-get install -y --no-install-recommends " + " ".join(shlex.quote(n) for n in names)


def ensure(profile, path=BINDEP):
    """Install what is missing (root) or say exactly what to run (not root). Returns an exit code."""
    if "dpkg" not in platforms():
        print("sysdeps: not a dpkg system: install the [%s] packages of bindep.txt yourself" % profile,
              file=sys.stderr)
        return 0
    absent = missing(profile, path)
    if not absent:
        print("sysdeps: the %s packages of bindep.txt are installed" % profile)
        return 0
    if os.geteuid() != 0:
        print("sysdeps: missing Debian packages for `%s`: %s\nsysdeps: run as root, then run make again:\n    %s"
              % (profile, " ".join(absent), install_line(absent)), file=sys.stderr)
        return 1
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print("sysdeps: installing Debian packages for `%s`: %s" % (profile, " ".join(absent)), flush=True)
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends"] + absent, check=True, env=env)
    still = missing(profile, path)
    if still:
        print("sysdeps: still missing after apt-get install: %s" % " ".join(still), file=sys.stderr)
        return 1
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("action", choices=["list", "missing", "ensure"])
    parser.add_argument("profile", nargs="?", default="default")
    parser.add_argument("-f", "--file", default=BINDEP, help="bindep file (default: the repository's bindep.txt)")
    args = parser.parse_args(argv)
    if args.action == "list":
        print("\n".join(packages(args.profile, args.file)))
        return 0
    if args.action == "missing":
        absent = missing(args.profile, args.file)
        if absent:
            print("\n".join(absent))
        return 1 if absent else 0
    return ensure(args.profile, args.file)


if __name__ == "__main__":
    sys.exit(main())
