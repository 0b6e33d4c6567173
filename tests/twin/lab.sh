#!/usr/bin/env bash
# The network twin by hand (`make lab` calls `tests/twin/lab.sh up`).
#
#   tests/twin/lab.sh up       build the twin of inventories/lab in network namespaces, configure the switch with
#                              playbooks/fabric.yml (apply mode, roles/fabric), then run playbooks/verify.yml
#   tests/twin/lab.sh status   BGP sessions and kernel routes of the switch
#   tests/twin/lab.sh down     stop the twin's FRR daemons and delete its namespaces
#
# Look around while it is up:
#   vtysh --vty_socket /run/netstack-twin/tor1 -c 'show bgp summary'
#   ip netns exec nst-tor1 ip route        (ECMP /32s from the nodes)
#   ip netns exec nst-n1 ip route          (the default route the switch sends)
#   .venv/bin/python tests/twin/twin.py node-stop n3 / node-start n3
#
# Needs root, iproute2 and FRR (apt-get install -y frr). Run from anywhere; VENV (default <repo>/.venv) must hold
# ansible. INVENTORY (default <repo>/inventories/lab) picks another twin inventory.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=${VENV:-${REPO}/.venv}
INVENTORY=${INVENTORY:-${REPO}/inventories/lab}
PY="${VENV}/bin/python"
TWIN="${REPO}/tests/twin/twin.py"
export PATH="${VENV}/bin:${PATH}"
export ANSIBLE_CONFIG="${REPO}/ansible.cfg"

collection_link() {
    local link="${REPO}/build/collections/ansible_collections/netstack/baremetal"
    if [ ! -e "${link}" ]; then
        mkdir -p "$(dirname "${link}")"
        ln -sfn "${REPO}" "${link}"
    fi
}

case "${1:-}" in
    up)
        collection_link
        # a half-built twin is torn down on any failure
        trap '"${PY}" "${TWIN}" down >/dev/null 2>&1 || true; echo "lab: failed, twin removed" >&2' ERR
        "${PY}" "${TWIN}" up -i "${INVENTORY}"
        ansible-playbook "${REPO}/playbooks/fabric.yml" -i "${INVENTORY}"
        "${PY}" "${TWIN}" wait-established -t 60
        ansible-playbook "${REPO}/playbooks/verify.yml" -i "${INVENTORY}"
        trap - ERR
        echo "lab: up. 'tests/twin/lab.sh status' to look, 'tests/twin/lab.sh down' to remove it."
        ;;
    down)
        "${PY}" "${TWIN}" down
        ;;
    status)
        collection_link
        "${PY}" "${TWIN}" status
        ;;
    *)
        echo "usage: $0 up|down|status" >&2
        exit 2
        ;;
esac
