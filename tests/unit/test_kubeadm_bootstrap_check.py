# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""roles/kubeadm_bootstrap under ``--check --diff`` on a cluster that does not exist yet (docs/nodes.md promises
check mode): the init and the joins show as changes, what check mode cannot run (the bootstrap token, the labels,
the kubeconfig fetch) is listed as NOT CHECKED, and nothing is written anywhere.

The nodes of inventories/kubeadm-small are this machine through the local connection: check mode only reads
(``stat``); every command is skipped or guarded by ``creates``, so no kubeadm is needed.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess
import sys

import pytest
import yaml

from inventory_loader import REPO
from playbook_run import recap

PLAYBOOK = """
- name: Plan
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Plan with the nodes section
      netstack.baremetal.plan:
        sections: [plan, nodes]

- name: Control plane, then workers, as playbooks/nodes.yml runs them
  hosts: netstack_control_plane:netstack_workers
  gather_facts: false
  serial: 1
  roles:
    - netstack.baremetal.kubeadm_bootstrap
"""


# Stand-ins for the join path for real (test_real_join_uses_the_printed_token): they log their calls, print
# what kubeadm prints, and keep the join configuration they were given.
KUBEADM = """#!/bin/sh
echo "kubeadm $*" >> "$NETSTACK_TEST_LOG/calls.log"
case "$1 $2" in
  "token create") echo "kubeadm join 10.50.0.5:6443 --token abcdef.0123456789abcdef \\
    --discovery-token-ca-cert-hash sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" ;;
  "join --config") cp "$3" "$NETSTACK_TEST_LOG/join.yaml"; touch /etc/kubernetes/kubelet.conf ;;
  "init --config") echo "apiVersion: v1 # admin credentials" > /etc/kubernetes/admin.conf ;;
esac
"""
KUBECTL = """#!/bin/sh
echo "kubectl $*" >> "$NETSTACK_TEST_LOG/calls.log"
echo "node/w1 labeled"
"""


def _run(base, *extra, wrap=()):
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    (base / "local.yml").write_text(yaml.safe_dump({"all": {"hosts": {h: local for h in ("cp1", "w1", "w2")}}}))
    (base / "playbook.yml").write_text(PLAYBOOK)
    bin_dir = os.path.dirname(sys.executable)
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default", ANSIBLE_DEPRECATION_WARNINGS="0",
               NETSTACK_TEST_LOG=str(base), PATH=os.pathsep.join([str(base / "bin"), bin_dir,
                                                                  os.environ.get("PATH", "")]))
    argv = list(wrap) + [os.path.join(bin_dir, "ansible-playbook"), str(base / "playbook.yml"),
                         "-i", str(REPO / "inventories" / "kubeadm-small"), "-i", str(base / "local.yml"),
                         "-e", "netstack_mode=apply", "-e", "netstack_bundle_dir=%s" % (base / "bundle"),
                         "-e", "kubeadm_bootstrap_skip_kernel=false"] + list(extra)
    result = subprocess.run(argv, env=env, cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, check=False)
    return result.returncode, result.stdout


def _run_in_overlay(base, limit):
    """The role for real on ``limit`` with the kubeadm and kubectl stand-ins: /etc is an overlay in a private mount
    namespace (writes land in ``base/upper``)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None or os.path.exists("/etc/kubernetes"):
        pytest.skip("needs root, unshare and no /etc/kubernetes on this machine")
    (base / "bin").mkdir()
    for name, text in (("kubeadm", KUBEADM), ("kubectl", KUBECTL)):
        (base / "bin" / name).write_text(text)
        (base / "bin" / name).chmod(0o755)
    upper, work = base / "upper", base / "work"
    upper.mkdir()
    work.mkdir()
    script = "set -e; mount -t overlay overlay -o lowerdir=/etc,upperdir=%s,workdir=%s /etc; exec \"$@\"" % (upper, work)
    return _run(base, "--limit", limit, wrap=("unshare", "--mount", "--propagation", "private", "sh", "-c", script, "overlay"))


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    if os.path.exists("/etc/kubernetes"):
        pytest.skip("this machine has /etc/kubernetes: the role would see a real node")
    base = tmp_path_factory.mktemp("kubeadm_check")
    rc, output = _run(base, "--check", "--diff")
    return {"rc": rc, "output": output, "base": base}


def test_check_mode_runs_the_join_path(checked):
    output = checked["output"]
    assert checked["rc"] == 0, output[-6000:]
    hosts = recap(output)
    assert all(hosts[h]["failed"] == 0 for h in ("cp1", "w1", "w2"))
    # the init and every join are changes check mode can announce (their commands are guarded by `creates`)
    assert hosts["cp1"]["changed"] >= 1 and hosts["w1"]["changed"] >= 1 and hosts["w2"]["changed"] >= 1
    text = " ".join(output.split())   # the callback wraps long messages
    for host in ("w1", "w2"):
        assert "NOT CHECKED on %s (check mode cannot run them): the bootstrap token for the join" % host in text
    assert "NOT CHECKED on cp1 (check mode cannot run them):" in text and "the fetch of admin.conf" in text
    # nothing written: not on the "nodes" (this machine), not the kubeconfig on the controller
    assert not os.path.exists("/etc/kubernetes")
    assert not (checked["base"] / "bundle" / "kubeconfig").exists()
    assert not (checked["base"] / "bundle-secrets").exists()
    # the placeholders of check mode never reach a file, and no token was ever created
    assert "kubeadm token create" not in output


def test_real_join_uses_the_printed_token(tmp_path):
    """For real, on w1 only: /etc is an overlay in a private mount namespace (writes land in tmp_path)."""
    rc, output = _run_in_overlay(tmp_path, "localhost,w1")
    assert rc == 0, output[-6000:]
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert calls[0].startswith("kubeadm token create --ttl 15m --print-join-command")
    assert calls[1] == "kubeadm join --config /etc/kubernetes/netstack/join.yaml"
    join = yaml.safe_load((tmp_path / "join.yaml").read_text())
    token = join["discovery"]["bootstrapToken"]
    assert token["token"] == "abcdef.0123456789abcdef"
    assert token["caCertHashes"] == ["sha256:" + "0123456789abcdef" * 4]
    upper = tmp_path / "upper"
    assert (upper / "kubernetes" / "kubelet.conf").exists()
    assert not (upper / "kubernetes" / "netstack" / "join.yaml").exists()     # the token is not left behind
    assert not os.path.exists("/etc/kubernetes")                                # nothing outside the overlay


def test_first_control_plane_kubeconfig_goes_to_the_secrets_dir(tmp_path):
    """For real, on cp1 only (the /etc overlay above): admin.conf is fetched into the secrets directory beside
    the bundle (mode 0700, a .gitignore of `*`, the kubeconfig 0600), never into the bundle (docs/nodes.md)."""
    rc, output = _run_in_overlay(tmp_path, "localhost,cp1")
    assert rc == 0, output[-6000:]
    assert (tmp_path / "calls.log").read_text().splitlines()[0].startswith("kubeadm init --config ")
    secrets_dir = tmp_path / "bundle-secrets"
    assert secrets_dir.stat().st_mode & 0o777 == 0o700
    assert (secrets_dir / ".gitignore").read_text().splitlines()[-1] == "*"
    kubeconfig = secrets_dir / "kubeconfig"
    assert kubeconfig.read_text() == "apiVersion: v1 # admin credentials\n"
    assert kubeconfig.stat().st_mode & 0o777 == 0o600
    assert not (tmp_path / "bundle" / "kubeconfig").exists()
    assert not os.path.exists("/etc/kubernetes")                                # nothing outside the overlay
