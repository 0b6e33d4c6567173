#!/usr/bin/env bash
# Run `ansible-test sanity` offline on a copy of the working tree.
#
# ansible-test wants the collection at .../ansible_collections/<namespace>/<name>/ and, for
# its file list, a git repository at that directory. The repo root is the collection root but
# is not under such a path, so we copy the working tree (tracked + untracked files that are not
# git-ignored, i.e. what a commit would hold) to
#   build/sanity/ansible_collections/netstack/baremetal
# and `git init` + `git add` there.
#
# Usage: tests/sanity/run.sh [extra ansible-test args]   (run from the repo root)
#   VENV (default .venv) must hold ansible-core.
set -euo pipefail

VENV=${VENV:-.venv}
VENV=$(cd "$VENV" && pwd)
ROOT=$(pwd)
DEST="${ROOT}/build/sanity/ansible_collections/netstack/baremetal"
export PATH="${VENV}/bin:${PATH}"

# Every sanity test ansible-test offers for a collection runs (see `make sanity-list`); none needs
# a host other than PyPI once prepare_offline.sh has seeded the get-pip cache. (shellcheck and
# pslint exist only for ansible-core itself and are never offered for collections.)
# Per-test virtualenvs are cached in ~/.ansible/test/venv: the first run installs them from PyPI.

"${ROOT}/tests/sanity/prepare_offline.sh" "${VENV}/bin/python"

rm -rf "${DEST}"
mkdir -p "${DEST}"
if git -C "${ROOT}" rev-parse --show-toplevel >/dev/null 2>&1 \
        && [ "$(git -C "${ROOT}" rev-parse --show-toplevel)" = "${ROOT}" ]; then
    # tracked and untracked-but-not-ignored files that exist in the working tree
    git -C "${ROOT}" ls-files -z --cached --others --exclude-standard \
        | while IFS= read -r -d '' f; do
              if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
          done \
        | tar -C "${ROOT}" --null --no-recursion -T - -cf - \
        | tar -C "${DEST}" -xf -
else
    # not a git checkout (e.g. an unpacked tarball): copy everything but local state
    tar -C "${ROOT}" --exclude=./.venv --exclude=./build --exclude=./.git \
        --exclude=./tests/output --exclude='__pycache__' -cf - . | tar -C "${DEST}" -xf -
fi

cd "${DEST}"
git init -q .
git add -A

start=$(date +%s)
rc=0
ansible-test sanity --color no --python 3.11 --local "$@" || rc=$?
echo "sanity: ansible-test finished in $(( $(date +%s) - start ))s with rc=${rc}"
exit "${rc}"
