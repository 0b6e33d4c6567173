#!/usr/bin/env bash
# Fake kubeadm nodes for the kubeadm_nodes molecule scenario: one overlayfs per node over a cached Debian
# bookworm minbase root file system, each node in its own network namespace, reached with Ansible's
# community.general.chroot connection through a wrapper that enters the namespace first.
#
#   fakenodes.sh rootfs            build (or reuse) the cached rootfs tarball and the Debian package cache
#   fakenodes.sh up HOST...        extract the rootfs, build the local mirrors, one overlay + netns per HOST
#   fakenodes.sh down              unmount every overlay, delete every namespace, remove the work dir
#
# The nodes are air-gapped (a namespace has only a loopback): Debian packages come from a local flat
# repository of real Debian .debs downloaded once on the host (file:/srv/debian-mirror), the Kubernetes
# packages from a local mirror of stand-in packages (file:/srv/kubernetes-mirror): the package-source
# override of the kubeadm_prep role is exercised the way an air-gapped site uses it.
#
# Environment: NETSTACK_TEST_CACHE (default /var/cache/netstack-test), NETSTACK_NODES_DIR (default
# $MOLECULE_EPHEMERAL_DIRECTORY/fakenodes, else /tmp/netstack-kubeadm-nodes), NETSTACK_DEBIAN_MIRROR (default
# http://deb.debian.org/debian). Namespaces are named after the work directory, so two checkouts can run
# the scenario at the same time.
set -euo pipefail

CACHE=${NETSTACK_TEST_CACHE:-/var/cache/netstack-test}
if [ -n "${MOLECULE_EPHEMERAL_DIRECTORY:-}" ]; then
  WORK=${NETSTACK_NODES_DIR:-$MOLECULE_EPHEMERAL_DIRECTORY/fakenodes}
else
  WORK=${NETSTACK_NODES_DIR:-/tmp/netstack-kubeadm-nodes}
fi
MIRROR=${NETSTACK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
TARBALL=$CACHE/bookworm-minbase.tar.zst
DEBS=$CACHE/bookworm-debs
NS_PREFIX=nsk$(printf '%s' "$WORK" | sha256sum | cut -c1-6)-
# What the nodes install from Debian: python3 (Ansible bootstrap) and what kubeadm_prep installs.
PACKAGES=(python3 python3-apt containerd runc conntrack socat ethtool iptables iproute2 kmod procps ca-certificates
          etcd-client)
# Stand-in Kubernetes packages (the real ones come from pkgs.k8s.io or a site mirror).
KUBE_VERSION=${NETSTACK_FAKE_KUBE_VERSION:-1.33.5-1.1}

log() { printf '[fakenodes] %s\n' "$*" >&2; }

# A flat repository index of every .deb in the current directory (dpkg-deb only, no dpkg-dev needed).
write_packages_index() {
  local deb
  for deb in *.deb; do
    dpkg-deb -f "$deb"
    printf 'Filename: ./%s\nSize: %s\nSHA256: %s\n\n' "$deb" "$(stat -c %s "$deb")" \
      "$(sha256sum "$deb" | cut -d' ' -f1)"
  done >Packages
}

build_rootfs() {
  mkdir -p "$CACHE"
  if [ ! -s "$TARBALL" ]; then
    local tmp
    tmp=$(mktemp -d "$CACHE/build.XXXXXX")
    trap 'rm -rf "$tmp"' RETURN
    log "debootstrap bookworm minbase (first run only, about a minute)"
    debootstrap --variant=minbase bookworm "$tmp/root" "$MIRROR" >"$tmp/debootstrap.log" 2>&1 \
      || { tail -20 "$tmp/debootstrap.log" >&2; return 1; }
    tar -C "$tmp/root" --zstd -cpf "$TARBALL.tmp" . && mv "$TARBALL.tmp" "$TARBALL"
  fi
}

extract_lower() {
  local lower=$WORK/lower
  if [ ! -e "$lower/.netstack-ready" ]; then
    rm -rf "$lower"
    mkdir -p "$lower"
    tar -C "$lower" --zstd -xpf "$TARBALL"
    touch "$lower/.netstack-ready"
  fi
}

# Download the Debian packages the nodes need once, into the cache (re-run when the list changes).
seed_debs() {
  local lower=$WORK/lower stamp
  stamp=$(printf '%s' "${PACKAGES[*]}" | sha256sum | cut -c1-16)
  mkdir -p "$DEBS"
  if [ -e "$DEBS/.stamp-$stamp" ]; then
    return 0
  fi
  log "downloading Debian packages for the nodes: ${PACKAGES[*]}"
  cp /etc/resolv.conf "$lower/etc/resolv.conf"
  mkdir -p "$lower/var/cache/apt/archives"
  mount --bind "$DEBS" "$lower/var/cache/apt/archives"
  local rc=0
  { chroot "$lower" apt-get -q update && chroot "$lower" apt-get -q install -y --download-only "${PACKAGES[@]}"; } \
    >"$WORK/seed.log" 2>&1 || rc=$?
  umount "$lower/var/cache/apt/archives"
  if [ "$rc" -ne 0 ]; then tail -20 "$WORK/seed.log" >&2; return "$rc"; fi
  touch "$DEBS/.stamp-$stamp"
}

fake_kube_package() {
  local name=$1 dir=$2 pkg
  pkg=$(mktemp -d)
  mkdir -p "$pkg/DEBIAN" "$pkg/usr/bin"
  cat >"$pkg/DEBIAN/control" <<CONTROL
Package: $name
Version: $KUBE_VERSION
Architecture: all
Maintainer: netstack test harness <netstack@example.invalid>
Description: stand-in for $name (molecule kubeadm_nodes scenario only)
CONTROL
  printf '#!/bin/sh\necho "%s stand-in %s"\n' "$name" "$KUBE_VERSION" >"$pkg/usr/bin/$name"
  chmod 0755 "$pkg/usr/bin/$name"
  dpkg-deb --root-owner-group -b "$pkg" "$dir/${name}_${KUBE_VERSION}_all.deb" >/dev/null
  rm -rf "$pkg"
}

build_mirrors() {
  local lower=$WORK/lower
  # Debian: a flat repository of the real .debs
  rm -rf "$lower/srv/debian-mirror" "$lower/srv/kubernetes-mirror"
  mkdir -p "$lower/srv/debian-mirror" "$lower/srv/kubernetes-mirror"
  cp -l "$DEBS"/*.deb "$lower/srv/debian-mirror/" 2>/dev/null || cp "$DEBS"/*.deb "$lower/srv/debian-mirror/"
  (cd "$lower/srv/debian-mirror" && write_packages_index)
  for name in kubelet kubeadm kubectl; do fake_kube_package "$name" "$lower/srv/kubernetes-mirror"; done
  (cd "$lower/srv/kubernetes-mirror" && write_packages_index)
  printf 'deb [trusted=yes] file:/srv/debian-mirror ./\n' >"$lower/etc/apt/sources.list"
  rm -rf "$lower/var/lib/apt/lists/"*
  mkdir -p "$lower/var/lib/apt/lists/partial"
  rm -f "$lower/etc/resolv.conf"
  : >"$lower/etc/resolv.conf"
}

node_up() {
  local host=$1 dir=$WORK/nodes/$1 ns=$NS_PREFIX$1
  mkdir -p "$dir/upper" "$dir/work" "$dir/merged"
  mountpoint -q "$dir/merged" || mount -t overlay overlay \
    -o "lowerdir=$WORK/lower,upperdir=$dir/upper,workdir=$dir/work" "$dir/merged"
  echo "$host" >"$dir/merged/etc/hostname"
  ip netns list | grep -qx "$ns\( .*\)\?" || ip netns add "$ns"
  ip -n "$ns" link set lo up
  cat >"$WORK/chroot-$host" <<WRAP
#!/bin/sh
exec ip netns exec $ns /usr/sbin/chroot "\$@"
WRAP
  chmod 0755 "$WORK/chroot-$host"
  log "node $host: $dir/merged in netns $ns"
}

down() {
  local dir
  if [ -d "$WORK/nodes" ]; then
    for dir in "$WORK"/nodes/*; do
      [ -d "$dir" ] || continue
      mountpoint -q "$dir/merged" && umount -l "$dir/merged"
      ip netns delete "$NS_PREFIX$(basename "$dir")" 2>/dev/null || true
    done
  fi
  # a namespace left by an interrupted run whose node directory is already gone
  for ns in $(ip netns list | awk '{print $1}' | grep "^$NS_PREFIX" || true); do ip netns delete "$ns" || true; done
  mountpoint -q "$WORK/lower/var/cache/apt/archives" && umount -l "$WORK/lower/var/cache/apt/archives"
  rm -rf "$WORK"
}

case "${1:-}" in
  rootfs) build_rootfs; mkdir -p "$WORK"; extract_lower; seed_debs ;;
  up)
    shift
    build_rootfs; mkdir -p "$WORK"; extract_lower; seed_debs; build_mirrors
    for host in "$@"; do node_up "$host"; done ;;
  down) down ;;
  *) echo "usage: $0 rootfs | up HOST... | down" >&2; exit 2 ;;
esac
