# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""add_node.yml's and add_rack.yml's node part (``--tags nodes``) for a kubeadm node, for real on a fake node (#14).

The node is the kubeadm_nodes scenario's kind of fake node (molecule/kubeadm_nodes/files/fakenodes.sh): an overlay
of a cached Debian bookworm minbase root in its own network namespace, entered with the community.general.chroot
connection, air-gapped (Debian packages and stand-in Kubernetes packages from local mirrors inside it). w2 of
inventories/kubeadm-small is added to a cluster whose first control plane cp1 is this machine (the local
connection) with recording stand-ins for kubeadm and kubectl; on w2 a recording kubeadm (in /usr/local/bin, before
the stand-in package's) keeps the join configuration it is given. The OS preparation runs with the kernel switch on
(no modprobe or systemd in a chroot), the join itself for real (``kubeadm_bootstrap_skip_kernel=false``):

* w2 is prepared: the Kubernetes packages installed from the site's package source and held, containerd and its
  configuration,
  the kubeadm configuration and its network files written;
* ``kubeadm join`` runs on w2 once, with the join configuration of the plan and the token and CA hash that
  ``kubeadm token create --print-join-command`` printed on cp1, which is the only call on cp1 besides the labels;
  the join configuration holding the token is removed afterwards;
* a second run changes nothing: no new token, no second join.

add_rack.yml runs the same roles in plays of its own (grouped from the rack's plan): the same test runs it with w2
moved into a rack of its own (``r2``, with two switches of its own), ``-e rack=r2``.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess
import sys

import pytest
import yaml

from playbook_run import recap, run_playbook
from test_kubeadm_bootstrap_check import KUBEADM
from test_nodes_talos_apply import REPO

FAKENODES = REPO / "molecule" / "kubeadm_nodes" / "files" / "fakenodes.sh"
# on w2: what kubeadm is asked to do, and the join configuration it was given
NODE_KUBEADM = """#!/bin/sh
echo "kubeadm $*" >> /var/log/netstack-kubeadm.log
if [ "$1 $2" = "join --config" ]; then cp "$3" /var/log/netstack-join.yaml; mkdir -p /etc/kubernetes; touch /etc/kubernetes/kubelet.conf; fi
"""
# on cp1: labels a node once, then reports it unchanged (as kubectl label --overwrite does)
KUBECTL = """#!/bin/sh
echo "kubectl $*" >> "$NETSTACK_TEST_LOG/calls.log"
if [ -e "$NETSTACK_TEST_LOG/labeled" ]; then echo "node/w2 not labeled"; else touch "$NETSTACK_TEST_LOG/labeled"; echo "node/w2 labeled"; fi
"""

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(c) for c in ("debootstrap", "zstd", "ip")),
    reason="needs root, debootstrap, zstd and iproute2 (the fake kubeadm node)")


def _move_w2_to_its_own_rack(inventory):
    """w2 in rack r2 with two FRR switches of its own (tor3, tor4: an MLAG pair like r1's)."""
    hosts_file = inventory / "hosts.yml"
    hosts = yaml.safe_load(hosts_file.read_text())
    children = hosts["all"]["children"]
    w2 = children["netstack_nodes"]["children"]["netstack_workers"]["hosts"]["w2"]["netstack_node"]
    w2.update(rack="r2", uplinks=[{"switch": "tor3", "port": "swp1", "nic": "eno1"},
                                  {"switch": "tor4", "port": "swp1", "nic": "eno2"}])
    w2["labels"] = {"topology.kubernetes.io/zone": "r2"}
    children["netstack_switches"]["hosts"].update(
        tor3={"netstack_switch": {"rack": "r2", "index": 1, "router_id": "10.255.0.3", "platform": "frr"}},
        tor4={"netstack_switch": {"rack": "r2", "index": 2, "router_id": "10.255.0.4", "platform": "frr"}})
    hosts_file.write_text(yaml.safe_dump(hosts))
    fabric_file = inventory / "group_vars" / "all" / "fabric.yml"
    fabric = yaml.safe_load(fabric_file.read_text())
    fabric["netstack_fabric"]["racks"].append({"name": "r2", "index": 2, "mlag": {"domain_id": 2, "switches": [
        {"switch": "tor3", "peer_link_ports": ["swp49", "swp50"], "keepalive_address": "192.168.50.13/24"},
        {"switch": "tor4", "peer_link_ports": ["swp49", "swp50"], "keepalive_address": "192.168.50.14/24"}]}})
    fabric_file.write_text(yaml.safe_dump(fabric))


@pytest.mark.parametrize("playbook, target", [("add_node.yml", "node=w2"), ("add_rack.yml", "rack=r2")])
def test_add_node_prepares_and_joins_a_kubeadm_node_once(tmp_path, playbook, target):
    if os.path.exists("/etc/kubernetes"):
        pytest.skip("this machine has /etc/kubernetes: cp1's stand-ins would meet a real control plane")
    work = tmp_path / "fakenodes"
    env = dict(os.environ, NETSTACK_NODES_DIR=str(work))
    env.pop("MOLECULE_EPHEMERAL_DIRECTORY", None)
    inventory = tmp_path / "inventory"
    shutil.copytree(str(REPO / "molecule" / "kubeadm_nodes" / "inventory" / "group_vars"), str(inventory / "group_vars"))
    shutil.copy(str(REPO / "inventories" / "kubeadm-small" / "hosts.yml"), str(inventory / "hosts.yml"))
    if playbook == "add_rack.yml":
        _move_w2_to_its_own_rack(inventory)
    root = work / "nodes" / "w2" / "merged"
    hosts = {"cp1": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
             "w2": {"ansible_connection": "community.general.chroot", "ansible_host": str(root),
                    "ansible_chroot_exe": str(work / "chroot-w2"), "ansible_python_interpreter": "/usr/bin/python3",
                    "ansible_pipelining": True}}
    (inventory / "local.yml").write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("kubeadm", KUBEADM), ("kubectl", KUBECTL)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    run_env = {"PATH": "%s:%s:%s" % (bin_dir, os.path.dirname(sys.executable), os.environ.get("PATH", "")),
               "NETSTACK_TEST_LOG": tmp_path}
    try:
        subprocess.run([str(FAKENODES), "up", "w2"], env=env, check=True)
        # the node's Ansible bootstrap, as the scenario's prepare.yml does it
        subprocess.run([str(work / "chroot-w2"), str(root), "sh", "-c",
                        "apt-get -q update && apt-get -q install -y python3 python3-apt >/dev/null && "
                        "printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d"],
                       check=True, stdout=subprocess.DEVNULL)
        (root / "usr" / "local" / "bin" / "kubeadm").write_text(NODE_KUBEADM)
        (root / "usr" / "local" / "bin" / "kubeadm").chmod(0o755)

        def add(*extra):
            return run_playbook(playbook, [inventory, inventory / "local.yml"], "-e", target, "--tags",
                                "nodes", "-e", "netstack_bundle_dir=%s" % (tmp_path / "bundle"),
                                "-e", "kubeadm_bootstrap_skip_kernel=false", *extra, **run_env)

        rc, out = add()
        assert rc == 0, out[-6000:]
        assert sorted(recap(out)) == ["localhost", "w2"]              # no switch, no other node's play
        # prepared: the packages from the site's package source, containerd, the kubeadm configuration, the network
        status = subprocess.run([str(work / "chroot-w2"), str(root), "dpkg-query", "-W", "-f", "${Package} ${Status}\\n",
                                 "kubeadm", "kubelet", "kubectl", "containerd"], stdout=subprocess.PIPE,
                                universal_newlines=True, check=True).stdout
        assert status.splitlines() == ["containerd install ok installed", "kubeadm hold ok installed",
                                       "kubectl hold ok installed", "kubelet hold ok installed"], status   # held
        assert (root / "etc" / "containerd" / "config.toml").exists()
        config = (root / "etc" / "kubernetes" / "netstack" / "kubeadm.yaml").read_text()
        assert "kind: JoinConfiguration" in config and "<bootstrap token>" in config    # placeholders only, at rest
        assert (root / "etc" / "systemd" / "network" / "10-netstack-bond0.netdev").exists()
        # joined once, with the planned join configuration and the token cp1 printed
        assert (root / "var" / "log" / "netstack-kubeadm.log").read_text().splitlines() == [
            "kubeadm join --config /etc/kubernetes/netstack/join.yaml"]
        join = yaml.safe_load((root / "var" / "log" / "netstack-join.yaml").read_text())
        assert join["kind"] == "JoinConfiguration"
        assert join["discovery"]["bootstrapToken"]["token"] == "abcdef.0123456789abcdef"
        assert join["discovery"]["bootstrapToken"]["caCertHashes"] == ["sha256:" + "0123456789abcdef" * 4]
        assert join["discovery"]["bootstrapToken"]["apiServerEndpoint"] == "10.50.0.5:6443"
        assert join["nodeRegistration"]["name"] == "w2" and "controlPlane" not in join
        assert join["nodeRegistration"]["kubeletExtraArgs"] == [{"name": "node-ip", "value": "10.50.0.13"}]
        assert not (root / "etc" / "kubernetes" / "netstack" / "join.yaml").exists()   # the token is not left behind
        calls = (tmp_path / "calls.log").read_text().splitlines()
        assert [c for c in calls if c.startswith("kubeadm")] == ["kubeadm token create --ttl 15m --print-join-command"]
        assert all(c.startswith("kubectl --kubeconfig /etc/kubernetes/admin.conf label node w2 ") for c in calls[1:]), calls

        rc, out = add()
        assert rc == 0, out[-6000:]
        assert recap(out)["w2"]["changed"] == 0, out[-6000:]
        assert len((root / "var" / "log" / "netstack-kubeadm.log").read_text().splitlines()) == 1    # no second join
        assert sum(c.startswith("kubeadm") for c in (tmp_path / "calls.log").read_text().splitlines()) == 1
    finally:
        subprocess.run([str(FAKENODES), "down"], env=env, check=False)
