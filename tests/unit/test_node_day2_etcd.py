# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""replace_node.yml's etcd step (``--tags etcd``): a replaced control plane's old etcd member removed through a
surviving control plane (issue #14; docs/nodes.md, "Replacing a node").

* the decision (``etcd_member.removal``) and the readings of etcdctl's and talosctl's output;
* kubeadm, for real: a 3-member etcd cluster on loopback (Debian's etcd-server, TLS clients with certificates laid
  out as kubeadm's), one member named like the node being replaced (cp2). The playbook runs etcdctl with kubeadm's
  client certificate on the surviving control plane cp1 (this machine, the local connection): while cp2 is
  healthy it is left alone; once stopped (the old machine failed), ``--check`` removes nothing, the run removes it
  and only it, the two left are healthy, a second run changes nothing;
* Talos, against the recording stand-in for talosctl of test_nodes_talos_apply.py: ``--check --diff`` shows the
  member that would go and removes nothing; the member is removed by id
  through a surviving control plane, with a talosconfig made from the vaulted secrets; the removal is refused when
  the members left would lose their quorum, forced it goes on; a second run changes nothing.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from ansible_collections.netstack.baremetal.plugins.module_utils import etcd_member

import etcd_cluster
from playbook_run import recap, run_playbook
from test_nodes_talos_apply import REPO, fake_talos

MEMBERS = [{"id": "a1", "name": "cp1", "client_urls": ["https://a:2379"]},
           {"id": "b2", "name": "cp2", "client_urls": ["https://b:2379"]},
           {"id": "c3", "name": "cp3", "client_urls": ["https://c:2379"]}]


@pytest.mark.parametrize("healthy, force, remove, allowed, says", [
    ({"a1", "c3"}, False, ["b2"], True, "etcd member cp2 (b2) removed; 2 left (cp1, cp3), 2 healthy"),
    ({"a1", "b2", "c3"}, False, [], True, "etcd member cp2 (b2) is healthy: taken as the new hardware"),
    ({"a1", "b2", "c3"}, True, ["b2"], True, "removed"),
    ({"a1"}, False, [], False, "removing etcd member cp2 would break the etcd quorum: 2 member(s) left (cp1, cp3), "
                               "1 healthy (cp1), a quorum needs 2; mend the others first, or -e force=true"),
    ({"a1"}, True, ["b2"], True, "(forced)"),
])
def test_removal_decision(healthy, force, remove, allowed, says):
    outcome = etcd_member.removal("CP2", MEMBERS, healthy, force=force)
    assert (outcome["remove"], outcome["allowed"]) == (remove, allowed), outcome
    assert says in outcome["message"]


def test_a_member_already_gone_is_nothing_to_do():
    outcome = etcd_member.removal("cp2", [m for m in MEMBERS if m["name"] != "cp2"], {"a1", "c3"})
    assert outcome["remove"] == [] and outcome["allowed"]
    assert outcome["message"] == "etcd member cp2 is not in the cluster: nothing to remove"


def test_readings_of_etcdctl_and_talosctl():
    listing = json.dumps({"header": {}, "members": [
        {"ID": 0xbf06a74e0a8d48b7, "name": "cp2", "peerURLs": ["http://p"], "clientURLs": ["https://b:2379"]},
        {"ID": 0x4af0e5c9e4f3f63c, "name": "cp1", "clientURLs": ["https://a:2379"]},
        {"ID": 17, "peerURLs": ["http://new"]}]})            # a member added, not started yet: no name
    members = etcd_member.etcdctl_members(listing)   # ids in hex, as `member remove` takes them
    assert [(m["id"], m["name"]) for m in members] == [("bf06a74e0a8d48b7", "cp2"), ("4af0e5c9e4f3f63c", "cp1"),
                                                       ("11", "")]
    health = json.dumps([{"endpoint": "https://a:2379", "health": True},
                         {"endpoint": "https://b:2379", "health": False, "error": "context deadline exceeded"}])
    assert etcd_member.etcdctl_healthy(members, health) == {"4af0e5c9e4f3f63c"}
    table = ("NODE         ID                 HOSTNAME   PEER URLS                CLIENT URLS              LEARNER\n"
             "10.10.0.11   3a5b1a3e6f4ee0a7   cp1        https://10.10.0.11:2380  https://10.10.0.11:2379  false\n"
             "10.10.0.11   8e9e05c52164694d   cp2        https://10.10.0.12:2380  https://10.10.0.12:2379  false\n")
    assert [(m["id"], m["name"]) for m in etcd_member.talos_members(table)] == [
        ("3a5b1a3e6f4ee0a7", "cp1"), ("8e9e05c52164694d", "cp2")]
    status = ("NODE         MEMBER             DB SIZE   IN USE   LEADER             ERRORS\n"
              "10.10.0.11   3a5b1a3e6f4ee0a7   2.1 MB    1.9 MB   3a5b1a3e6f4ee0a7\n")
    assert etcd_member.talos_healthy(status) == {"3a5b1a3e6f4ee0a7"}


# ------------------------------------------------------------------------------------------ kubeadm, real etcd


def _kubeadm_inventory(tmp_path):
    """inventories/kubeadm-small with three control planes (cp2 and cp3 added), apply mode."""
    inventory = tmp_path / "inventory"
    shutil.copytree(str(REPO / "inventories" / "kubeadm-small"), str(inventory))
    hosts = yaml.safe_load((inventory / "hosts.yml").read_text())
    control = hosts["all"]["children"]["netstack_nodes"]["children"]["netstack_control_plane"]["hosts"]
    for name, index in (("cp2", 4), ("cp3", 5)):
        control[name] = {"netstack_node": {"rack": "r1", "index": index, "install_disk": "/dev/sda", "uplinks": [
            {"switch": "tor1", "port": "swp%d" % index, "nic": "eno1"},
            {"switch": "tor2", "port": "swp%d" % index, "nic": "eno2"}]}}
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts))
    return inventory


@pytest.mark.skipif(not etcd_cluster.available() or not shutil.which("openssl"),
                    reason="needs etcd-server, etcd-client and openssl (apt-get install etcd-server etcd-client openssl)")
def test_kubeadm_old_member_removed_through_a_survivor_on_a_real_etcd(tmp_path):
    inventory = _kubeadm_inventory(tmp_path)
    with etcd_cluster.etcd_cluster(tmp_path / "etcd", ["cp1", "cp2", "cp3"]) as cluster:
        # cp1, the surviving control plane, is this machine: etcdctl with kubeadm's certificate layout
        survivor = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                    "kubeadm_bootstrap_etcdctl": etcd_cluster.ETCDCTL,
                    "kubeadm_bootstrap_etcd_endpoints": cluster.members["cp1"]["client"],
                    "kubeadm_bootstrap_pki_dir": str(cluster.pki)}
        local = tmp_path / "local.yml"
        local.write_text(yaml.safe_dump({"all": {"hosts": {"cp1": survivor}}}))

        def replace(*extra):
            return run_playbook("replace_node.yml", [inventory, local], "-e", "node=cp2", "--tags", "etcd",
                                "-e", "netstack_mode=apply", "-e", "netstack_bundle_dir=%s" % (tmp_path / "bundle"),
                                *extra)

        # cp2 still answers: the new hardware already joined, or the old machine still running: left alone
        rc, out = replace()
        assert rc == 0, out[-4000:]
        assert sorted(recap(out)) == ["cp1", "localhost"]
        assert recap(out)["cp1"]["changed"] == 0 and "etcd member cp2" in out and "is healthy" in out, out[-4000:]
        assert cluster.member_names("cp1") == ["cp1", "cp2", "cp3"]

        cluster.stop("cp2")                                     # the old machine failed
        rc, out = replace("--check")
        assert rc == 0, out[-4000:]
        assert recap(out)["cp1"]["changed"] == 1, out[-4000:]
        assert cluster.member_names("cp1") == ["cp1", "cp2", "cp3"]

        rc, out = replace()
        assert rc == 0, out[-4000:]
        assert recap(out)["cp1"]["changed"] == 1, out[-4000:]
        assert "etcd member cp2" in out and "removed; 2 left (cp1, cp3), 2 healthy" in out, out[-4000:]
        assert cluster.member_names("cp1") == ["cp1", "cp3"] == cluster.member_names("cp3")
        assert cluster.healthy("cp1") and cluster.healthy("cp3")
        rc, status = cluster.etcdctl("cp3", "endpoint", "health", "--cluster")
        assert rc == 0, status

        rc, out = replace()
        assert rc == 0, out[-4000:]
        assert recap(out)["cp1"]["changed"] == 0, out[-4000:]
        assert "etcd member cp2 is not in the cluster: nothing to remove" in out


# ------------------------------------------------------------------------------------------ Talos, stand-in


def test_talos_old_member_removed_through_a_survivor(tmp_path):
    inventory = tmp_path / "inventory"
    shutil.copytree(str(REPO / "inventories" / "example"), str(inventory))
    env, state = fake_talos(tmp_path)
    (tmp_path / "secrets.yaml").write_text("cluster: {id: fake}\n")
    subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-vault"), "encrypt", "--output",
                    str(inventory / "talos-secrets.vault.yaml"), str(tmp_path / "secrets.yaml")],
                   env=dict(os.environ, **{k: str(v) for k, v in env.items()}), check=True)

    def replace(*extra):
        return run_playbook("replace_node.yml", [inventory], "-e", "node=cp2", "--tags", "etcd", "-e",
                            "netstack_mode=apply", "-e", "netstack_bundle_dir=%s" % (tmp_path / "bundle"), *extra,
                            **env)

    def members():
        return [line.split()[1] for line in (state / "etcd").read_text().splitlines()]

    (state / "etcd").write_text("3a5b1a3e6f4ee0a7 cp1 up\n8e9e05c52164694d cp2 down\nc0ffee0000000003 cp3 down\n")
    rc, out = replace()
    assert rc != 0
    assert "removing etcd member cp2 would break the etcd quorum: 2 member(s) left (cp1, cp3), 1 healthy" in out, \
        out[-4000:]
    assert members() == ["cp1", "cp2", "cp3"]

    (state / "etcd").write_text("3a5b1a3e6f4ee0a7 cp1 up\n8e9e05c52164694d cp2 down\nc0ffee0000000003 cp3 up\n")
    rc, out = replace("--check", "--diff")
    assert rc == 0, out[-4000:]
    assert recap(out)["cp2"]["changed"] == 1 and members() == ["cp1", "cp2", "cp3"], out[-4000:]
    assert "-8e9e05c52164694d cp2" in out, out[-4000:]                          # the diff: the member that would go

    rc, out = replace()
    assert rc == 0, out[-4000:]
    assert sorted(recap(out)) == ["cp2", "localhost"] and recap(out)["cp2"]["changed"] == 1, out[-4000:]
    assert members() == ["cp1", "cp3"]
    calls = (state / "calls.log").read_text().splitlines()
    removal = [c for c in calls if "remove-member" in c]
    talosconfig = removal[0].split()[1]
    assert removal == ["--talosconfig %s --endpoints 10.10.0.11 --nodes 10.10.0.11 etcd remove-member "
                       "8e9e05c52164694d" % talosconfig]
    assert talosconfig.endswith("/talosconfig") and not os.path.exists(talosconfig)     # the work directory is gone
    assert any("--nodes 10.10.0.11,10.10.0.13 etcd status" in c for c in calls), calls
    assert not any("gen secrets" in c or "apply-config" in c for c in calls)   # the cluster's secrets; no node touched

    rc, out = replace()
    assert rc == 0, out[-4000:]
    assert recap(out)["cp2"]["changed"] == 0 and "etcd member cp2 is not in the cluster" in out, out[-4000:]

    # forced while the members left lack a quorum (cp3 down too): removed anyway
    (state / "etcd").write_text("3a5b1a3e6f4ee0a7 cp1 up\n8e9e05c52164694d cp2 down\nc0ffee0000000003 cp3 down\n")
    rc, out = replace("-e", "force=true")
    assert rc == 0, out[-4000:]
    assert "(forced)" in out and members() == ["cp1", "cp3"]
