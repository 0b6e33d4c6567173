#!/usr/bin/env bash
# Pre-seed ansible-test's cache so `ansible-test sanity` works without reaching the host that
# serves ansible-test's get-pip bootstrap script (unreachable here; PyPI itself is reachable).
#
# ansible-test bootstraps pip into each per-test virtualenv by running
# ~/.ansible/test/cache/get_pip_<ver>.py, which it downloads on first use. We write that file
# ourselves: it puts a pip wheel fetched from PyPI on sys.path and runs pip from it.
#
# Usage: tests/sanity/prepare_offline.sh [PYTHON]
#   PYTHON: the interpreter that has ansible-test (ansible-core) installed, default .venv/bin/python
set -euo pipefail

PY=${1:-.venv/bin/python}
CACHE="${HOME}/.ansible/test/cache"
mkdir -p "$CACHE"

# The pip version ansible-test bootstraps is in get_venv_packages()
# (ansible_test/_internal/python_requirements.py): 24.2 for ansible-core 2.19.
PIP_VERSION=$("$PY" - <<'PYCODE'
import os, re
import ansible_test
src = os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")
with open(src) as f:
    m = re.search(r"pip='([0-9.]+)'", f.read())
print(m.group(1) if m else "24.2")
PYCODE
)
WHEEL="pip-${PIP_VERSION}-py3-none-any.whl"
SCRIPT="${CACHE}/get_pip_${PIP_VERSION//./_}.py"

if [ ! -f "${CACHE}/${WHEEL}" ]; then
    "$PY" -m pip download --quiet --no-deps --only-binary=:all: -d "$CACHE" "pip==${PIP_VERSION}"
fi

cat > "${SCRIPT}.tmp" <<PYCODE
"""Offline stand-in for get-pip.py, written by tests/sanity/prepare_offline.sh.

Installs pip from the wheel cached beside this file, as get-pip.py would.
"""
import os
import sys

WHEEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "${WHEEL}")


def main():
    sys.path.insert(0, WHEEL)
    from pip._internal.cli.main import main as pip_main

    args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
    return pip_main(["install", "--upgrade", "--force-reinstall"] + args)


if __name__ == "__main__":
    sys.exit(main())
PYCODE
mv "${SCRIPT}.tmp" "$SCRIPT"
echo "ansible-test pip bootstrap cached: ${SCRIPT} (${WHEEL})"
