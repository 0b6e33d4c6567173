#!/usr/bin/env bash
# The README's promise, proven: on a clean Debian 12 root that holds only what the README asks for
# (python3, make, git), run as root the two set-up commands `make site` and `make test`.
#
# Usage (as root, from anywhere): tests/fresh/chroot_check.sh [WORKDIR]
#   WORKDIR   default /var/tmp/netstack-fresh; holds root/ (the Debian root) and logs/
#   STEPS     default "site test": the make targets run inside, in order, each timed
#   SOURCE    default: this repository; cloned with `git clone --branch $BRANCH` (committed work only)
#   BRANCH    default main
#   SHARED    default SOURCE/../shared: the tests' ../shared folder (API server kit, CRD schemas),
#             copied beside the clone as CI has it; empty to leave it out
#   MIRROR    default http://deb.debian.org/debian
#   REUSE=1   keep an existing WORKDIR/root (else it is rebuilt from scratch)
#
# How: `debootstrap --variant=minbase --include=python3,make,git,ca-certificates bookworm` (minbase
# has no python3: the three the README names are added, ca-certificates because a fresh Debian 12
# has it; nothing else), the repository cloned to /work/main inside and ../shared copied to
# /work/shared, then in a private mount namespace (so every mount, ours and the tests', is gone
# when it ends): the root bound onto itself (so it is a mount point, as / is on a real machine), the
# host's /proc, /sys and /dev bound in (rbind, rslave), a fresh tmpfs on /run
# (`ip netns` keeps /run/netns there), and `chroot ROOT make -C /work/main <step>` with a clean
# environment (HOME=/root, a standard PATH, LANG=C.UTF-8).
# Inside the root: /usr/sbin/policy-rc.d answers 101, as in every chroot or container image, so the
# Debian packages `make test` installs (frr, etcd-server) do not start host-wide services from their
# postinst scripts; and when the host reaches the internet through a TLS-inspecting proxy, its extra CA
# certificates (/usr/local/share/ca-certificates) are copied in and PIP_CERT/REQUESTS_CA_BUNDLE/
# SSL_CERT_FILE point at the system bundle. Neither is part of what the README's commands need.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
WORKDIR=${1:-/var/tmp/netstack-fresh}
STEPS=${STEPS:-site test}
SOURCE=${SOURCE:-$(cd "$HERE/../.." && pwd)}
BRANCH=${BRANCH:-main}
SHARED=${SHARED-$(dirname "$SOURCE")/shared}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
ROOT=$WORKDIR/root
LOGS=$WORKDIR/logs

log() { printf '%s chroot_check: %s\n' "$(date -u +%H:%M:%S)" "$*"; }

if [ "$(id -u)" -ne 0 ]; then echo "chroot_check: run as root (debootstrap, mounts, chroot)" >&2; exit 2; fi
for tool in debootstrap unshare chroot git; do
  command -v "$tool" >/dev/null || { echo "chroot_check: missing $tool (apt-get install debootstrap util-linux git)" >&2; exit 2; }
done

# --- inside the private mount namespace: mount, run the steps, unmount -------------------------------
if [ "${_CHROOT_CHECK_INNER:-}" = 1 ]; then
  mounts=()
  # shellcheck disable=SC2317  # called by the EXIT trap
  cleanup() {
    local i
    for (( i=${#mounts[@]}-1; i>=0; i-- )); do umount -R -l "${mounts[$i]}" 2>/dev/null || true; done
  }
  trap cleanup EXIT
  # the root a mount point of its own, as / is on a real machine (`unshare --propagation private`, which the
  # netplan tests run, fails with EINVAL on a root that is not one)
  mount --bind "$ROOT" "$ROOT"; mounts+=("$ROOT")
  for fs in proc sys dev; do
    mount --rbind "/$fs" "$ROOT/$fs"; mount --make-rslave "$ROOT/$fs"; mounts+=("$ROOT/$fs")
  done
  mount -t tmpfs -o mode=0755 tmpfs "$ROOT/run"; mounts+=("$ROOT/run")
  mkdir -p "$ROOT/run/lock"
  env_args=(HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM=dumb)
  if [ -n "$(ls "$ROOT/usr/local/share/ca-certificates/" 2>/dev/null)" ]; then
    bundle=/etc/ssl/certs/ca-certificates.crt
    env_args+=("PIP_CERT=$bundle" "REQUESTS_CA_BUNDLE=$bundle" "SSL_CERT_FILE=$bundle" "CURL_CA_BUNDLE=$bundle")
  fi
  rc=0
  for step in $STEPS; do
    log "make $step (log: $LOGS/$step.log)"
    start=$(date +%s)
    src=0
    chroot "$ROOT" /usr/bin/env -i "${env_args[@]}" make -C /work/main "$step" >"$LOGS/$step.log" 2>&1 || src=$?
    secs=$(( $(date +%s) - start ))
    printf '%s rc=%s seconds=%s\n' "$step" "$src" "$secs" >> "$LOGS/summary"
    if [ "$src" -ne 0 ]; then
      log "make $step FAILED (rc=$src) after ${secs}s; last lines:"; tail -25 "$LOGS/$step.log"; rc=$src; break
    fi
    log "make $step passed in ${secs}s"
  done
  exit "$rc"
fi

# --- outside: build the clean root, copy the project in, re-enter in a private mount namespace -------
mkdir -p "$WORKDIR"
if [ -z "${REUSE:-}" ] || [ ! -x "$ROOT/usr/bin/python3" ]; then
  if [ -d "$ROOT" ]; then
    if grep -q " $ROOT/" /proc/mounts; then echo "chroot_check: something is mounted under $ROOT; not removing it" >&2; exit 2; fi
    rm -rf "$ROOT"
  fi
  log "debootstrap bookworm minbase + python3 make git ca-certificates into $ROOT"
  start=$(date +%s)
  mkdir -p "$LOGS"
  debootstrap --variant=minbase --include=python3,make,git,ca-certificates bookworm "$ROOT" "$MIRROR" \
    >"$LOGS/debootstrap.log" 2>&1 || { tail -20 "$LOGS/debootstrap.log" >&2; exit 1; }
  log "debootstrap done in $(( $(date +%s) - start ))s"
fi
rm -rf "$LOGS"; mkdir -p "$LOGS"
printf '#!/bin/sh\nexit 101\n' > "$ROOT/usr/sbin/policy-rc.d"; chmod 0755 "$ROOT/usr/sbin/policy-rc.d"
if [ -n "$(ls /usr/local/share/ca-certificates/ 2>/dev/null)" ]; then
  cp -a /usr/local/share/ca-certificates/. "$ROOT/usr/local/share/ca-certificates/"
  chroot "$ROOT" update-ca-certificates >/dev/null
fi
rm -rf "$ROOT/work"; mkdir -p "$ROOT/work"
git clone -q --branch "$BRANCH" "$SOURCE" "$ROOT/work/main"
log "cloned $SOURCE ($BRANCH, $(git -C "$ROOT/work/main" log -1 --format='%h %s' | cut -c1-70))"
if [ -n "$SHARED" ]; then cp -a "$SHARED" "$ROOT/work/shared"; fi

# shellcheck disable=SC2016  # ${Package} is dpkg-query's, not the shell's
log "root: $(chroot "$ROOT" dpkg-query -W -f='${Package}\n' | wc -l) packages; python3 $(chroot "$ROOT" python3 -c 'import platform; print(platform.python_version())')"
export _CHROOT_CHECK_INNER=1 WORKDIR ROOT LOGS STEPS
exec unshare --mount --propagation private "$0" "$WORKDIR"
