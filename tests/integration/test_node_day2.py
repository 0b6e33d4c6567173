# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""add_node.yml, remove_node.yml, replace_node.yml and add_rack.yml, their Kubernetes part, against a real API server
(issue #14).

The site twin's inventory (molecule/site_twin: MetalLB in BGP mode, node-scope speakers, 2 control planes, 3
workers), apply mode, ``--tags kubernetes`` (the switches are the twin test's, tests/unit/test_node_day2_twin.py).
There is no kubelet: the Node objects and the pods bound to them are created here, their status set by hand.

* add_node: ``--check --diff`` shows the node's two BGPPeers and its label and creates nothing; the run creates
  exactly those (no other node's BGPPeer appears), labels the Node, and a second run changes nothing;
* remove_node: a node still active is refused before anything is read; a pod a PodDisruptionBudget protects stops
  the drain with the node cordoned and nothing deleted; ``force`` deletes it; the Node is deleted after its pods,
  then its BGPPeers, and no other object is touched; the check run before changes nothing;
* add_rack (rack r2: cp2 and w2, one batch): ``--check --diff`` shows the rack's four BGPPeers and cp2's label and
  creates nothing; the run creates exactly those, labels the registered Node (cp2) and says w2 is not registered yet;
  a second run changes nothing;
* a control-plane node whose removal would leave no Ready quorum is refused (force overrides), the last control
  plane is refused by the plan.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

import pytest
import yaml

import crds
from playbook_run import recap, run_playbook

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
INVENTORY = os.path.join(REPO, "molecule", "site_twin", "inventory")
NAMESPACE = "cozy-metallb"
UPLINKS = {"cp1": ("r1", 1, "swp1"), "cp2": ("r2", 2, "swp1"), "w1": ("r1", 3, "swp2"), "w2": ("r2", 4, "swp2"),
           "w3": ("r1", 5, "swp3")}


def _node_vars(name, **extra):
    rack, index, port = UPLINKS[name]
    node = {"rack": rack, "index": index, "install_disk": "/dev/nvme0n1",
            "uplinks": [{"switch": "%s-leaf1" % rack, "port": port, "nic": "enp1s0f0"},
                        {"switch": "%s-leaf2" % rack, "port": port, "nic": "enp1s0f1"}]}
    node.update(extra)
    return {"netstack_node": node}


def _overrides(tmp_path, name, hosts):
    path = tmp_path / ("%s.yml" % name)
    path.write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    return str(path)


def _run(playbook, kube_api, tmp_path, overrides, *extra):
    inventories = [INVENTORY] + ([overrides] if overrides else [])
    return run_playbook(playbook, inventories, "--tags", "kubernetes", "-e", "netstack_kubeconfig=%s" % kube_api.kubeconfig,
                        "-e", "netstack_bundle_dir=%s" % (tmp_path / "bundle"), *extra)


@pytest.fixture(scope="module")
def api(kube_api):
    from kubernetes import client, dynamic  # pylint: disable=import-outside-toplevel
    api_client = kube_api.api_client()
    dyn = dynamic.DynamicClient(api_client)
    crd_api = dyn.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    for document in crds.crd_documents("metallb.io"):
        crd_api.server_side_apply(body=document, field_manager="test", force_conflicts=True)
    core = client.CoreV1Api(api_client)
    try:
        core.create_namespace({"metadata": {"name": NAMESPACE}})
    except client.exceptions.ApiException as exc:
        if exc.status != 409:
            raise
    deadline = time.time() + 60
    while True:
        try:
            dyn = dynamic.DynamicClient(api_client)
            dyn.resources.get(api_version="metallb.io/v1beta2", kind="BGPPeer")
            break
        except Exception:  # pylint: disable=broad-except
            if time.time() > deadline:
                raise
            time.sleep(1)
    return {"core": core, "dyn": dyn, "policy": client.PolicyV1Api(api_client)}


def _peers(api):
    resource = api["dyn"].resources.get(api_version="metallb.io/v1beta2", kind="BGPPeer")
    return sorted(item["metadata"]["name"] for item in resource.get(namespace=NAMESPACE).to_dict()["items"])


def _selecting(api):
    """{host name: [BGPPeer names]} of the BGPPeers that select one node by host name."""
    resource = api["dyn"].resources.get(api_version="metallb.io/v1beta2", kind="BGPPeer")
    found = {}
    for item in resource.get(namespace=NAMESPACE).to_dict()["items"]:
        for selector in item["spec"].get("nodeSelectors") or []:
            host = (selector.get("matchLabels") or {}).get("kubernetes.io/hostname")
            if host and len(selector["matchLabels"]) == 1:
                found.setdefault(host, []).append(item["metadata"]["name"])
    return found


def _make_node(api, name, control_plane=False, ready=True):
    labels = {"kubernetes.io/hostname": name}
    if control_plane:
        labels["node-role.kubernetes.io/control-plane"] = ""
    try:
        api["core"].create_node({"metadata": {"name": name, "labels": labels}})
    except Exception:  # pylint: disable=broad-except
        pass
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    api["core"].patch_node_status(name, {"status": {"conditions": [
        {"type": "Ready", "status": "True" if ready else "False", "reason": "Test", "message": "set by the test",
         "lastHeartbeatTime": now, "lastTransitionTime": now}]}})


def _pod(api, name, node, labels=None, running=False):
    api["core"].create_namespaced_pod("default", {
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"nodeName": node, "terminationGracePeriodSeconds": 0,
                 "containers": [{"name": "c", "image": "registry.invalid/pause:1"}]}})
    if running:
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        api["core"].patch_namespaced_pod_status(name, "default", {"status": {
            "phase": "Running", "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": now}]}})


def _pods_on(api, node):
    return sorted(p.metadata.name for p in api["core"].list_namespaced_pod(
        "default", field_selector="spec.nodeName=%s" % node).items)


def test_add_node_applies_its_peers_and_labels_and_nothing_else(api, kube_api, tmp_path):
    before = _peers(api)
    _make_node(api, "w3")
    labelled = _overrides(tmp_path, "w3", {"w3": _node_vars("w3", labels={"netstack.io/disk": "nvme"})})

    rc, out = _run("add_node.yml", kube_api, tmp_path, labelled, "-e", "node=w3", "--check", "--diff")
    assert rc == 0, out[-3000:]
    assert "BGPPeer %s/r1-leaf1-w3" % NAMESPACE in out and "BGPPeer %s/r1-leaf2-w3" % NAMESPACE in out, out[-3000:]
    assert "netstack.io/disk=nvme" in out
    assert _peers(api) == before
    assert "netstack.io/disk" not in (api["core"].read_node("w3").metadata.labels or {})

    rc, out = _run("add_node.yml", kube_api, tmp_path, labelled, "-e", "node=w3")
    assert rc == 0, out[-3000:]
    assert recap(out)["localhost"]["changed"] >= 1
    assert sorted(set(_peers(api)) - set(before)) == ["r1-leaf1-w3", "r1-leaf2-w3"]
    resource = api["dyn"].resources.get(api_version="metallb.io/v1beta2", kind="BGPPeer")
    peer = resource.get(name="r1-leaf1-w3", namespace=NAMESPACE).to_dict()
    assert peer["spec"]["nodeSelectors"] == [{"matchLabels": {"kubernetes.io/hostname": "w3"}}]
    assert peer["spec"]["peerAddress"] and peer["spec"]["sourceAddress"]
    assert api["core"].read_node("w3").metadata.labels["netstack.io/disk"] == "nvme"

    rc, out = _run("add_node.yml", kube_api, tmp_path, labelled, "-e", "node=w3")
    assert rc == 0, out[-3000:]
    assert recap(out)["localhost"]["changed"] == 0, out[-3000:]


def test_remove_node_refused_while_active_then_drains_deletes_and_cleans(api, kube_api, tmp_path):
    _make_node(api, "w3")
    _make_node(api, "w1")
    rc, out = _run("add_node.yml", kube_api, tmp_path, None, "-e", "node=w3")
    assert rc == 0, out[-3000:]
    peers = _peers(api)
    assert "r1-leaf1-w3" in peers

    rc, out = _run("remove_node.yml", kube_api, tmp_path, None, "-e", "node=w3")
    assert rc != 0
    assert "hosts.w3.netstack_node.state: the node is still active in the inventory" in out, out[-3000:]
    assert not api["core"].read_node("w3").spec.unschedulable

    _pod(api, "plain-w3", "w3")
    _pod(api, "guarded-w3", "w3", labels={"app": "guarded"}, running=True)
    _pod(api, "plain-w1", "w1")
    api["policy"].create_namespaced_pod_disruption_budget("default", {
        "metadata": {"name": "guarded"}, "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "guarded"}}}})
    deadline = time.time() + 30
    while api["policy"].read_namespaced_pod_disruption_budget("guarded", "default").status.current_healthy != 1:
        assert time.time() < deadline, "the disruption controller never counted the guarded pod"
        time.sleep(0.5)
    removed = _overrides(tmp_path, "w3-removed", {"w3": _node_vars("w3", state="removed")})
    selecting = _selecting(api)

    rc, out = _run("remove_node.yml", kube_api, tmp_path, removed, "-e", "node=w3", "--check", "--diff")
    assert rc != 0      # the dry-run eviction of the guarded pod is refused too
    assert "PodDisruptionBudget refuses the eviction of default/guarded-w3" in out, out[-3000:]
    assert not api["core"].read_node("w3").spec.unschedulable
    assert _pods_on(api, "w3") == ["guarded-w3", "plain-w3"]

    rc, out = _run("remove_node.yml", kube_api, tmp_path, removed, "-e", "node=w3")
    assert rc != 0
    assert "PodDisruptionBudget refuses the eviction of default/guarded-w3" in out, out[-3000:]
    assert api["core"].read_node("w3").spec.unschedulable                      # cordoned, and stays so
    assert _pods_on(api, "w3") == ["guarded-w3"]                                 # the other pod was evicted
    assert _peers(api) == peers                                                  # nothing deleted yet

    rc, out = _run("remove_node.yml", kube_api, tmp_path, removed, "-e", "node=w3", "-e", "force=true")
    assert rc == 0, out[-3000:]
    assert "pod default/guarded-w3 deleted" in out
    assert _pods_on(api, "w3") == []
    assert "w3" not in [n.metadata.name for n in api["core"].list_node().items]
    # exactly the BGPPeers that select w3 (on a shared API server, another test's inventory may have its own w3)
    gone = sorted(set(peers) - set(_peers(api)))
    assert {"r1-leaf1-w3", "r1-leaf2-w3"} <= set(gone) and gone == sorted(selecting["w3"]), (gone, selecting)
    assert _pods_on(api, "w1") == ["plain-w1"]                                   # nothing else touched
    assert not api["core"].read_node("w1").spec.unschedulable

    rc, out = _run("remove_node.yml", kube_api, tmp_path, removed, "-e", "node=w3")
    assert rc == 0, out[-3000:]
    assert recap(out)["localhost"]["changed"] == 0, out[-3000:]


def test_control_plane_removal_keeps_the_etcd_quorum(api, kube_api, tmp_path):
    _make_node(api, "cp1", control_plane=True, ready=False)
    _make_node(api, "cp2", control_plane=True)
    removed = _overrides(tmp_path, "cp2-removed", {"cp2": _node_vars("cp2", state="removed")})
    rc, out = _run("remove_node.yml", kube_api, tmp_path, removed, "-e", "node=cp2", "--check")
    assert rc != 0
    assert "removing control-plane node cp2 would break the etcd quorum: 1 member(s) left (cp1), 0 Ready" in out, \
        out[-3000:]
    rc, out = _run("remove_node.yml", kube_api, tmp_path, removed, "-e", "node=cp2", "--check", "-e", "force=true")
    assert rc == 0, out[-3000:]
    assert "(forced)" in out
    assert "cp2" in [n.metadata.name for n in api["core"].list_node().items]     # check mode: still there

    both = _overrides(tmp_path, "both-removed", {"cp1": _node_vars("cp1", state="removed"),
                                                 "cp2": _node_vars("cp2", state="removed")})
    rc, out = _run("remove_node.yml", kube_api, tmp_path, both, "-e", "node=cp2", "-e", "force=true")
    assert rc != 0
    assert "no control-plane node" in out, out[-3000:]


def test_replace_node_deletes_the_old_node_keeps_its_peers_and_leaves_the_new_one(api, kube_api, tmp_path):
    _make_node(api, "w3")
    rc, out = _run("add_node.yml", kube_api, tmp_path, None, "-e", "node=w3")
    assert rc == 0, out[-3000:]
    peers = _peers(api)
    assert "r1-leaf1-w3" in peers and "r1-leaf2-w3" in peers
    _make_node(api, "w3", ready=False)                      # the old machine failed
    _pod(api, "stuck-w3", "w3")
    rc, out = _run("replace_node.yml", kube_api, tmp_path, None, "-e", "node=w3", "--check")
    assert rc == 0, out[-3000:]
    assert "w3" in [n.metadata.name for n in api["core"].list_node().items] and _pods_on(api, "w3") == ["stuck-w3"]

    rc, out = _run("replace_node.yml", kube_api, tmp_path, None, "-e", "node=w3")
    assert rc == 0, out[-3000:]
    assert "w3" not in [n.metadata.name for n in api["core"].list_node().items]
    assert _pods_on(api, "w3") == []
    assert _peers(api) == peers                             # same name and addresses: the same sessions
    assert "Node w3 is not registered yet" in out

    _make_node(api, "w3")                                   # the new hardware joined
    rc, out = _run("replace_node.yml", kube_api, tmp_path, None, "-e", "node=w3")
    assert rc == 0, out[-3000:]
    assert "Node w3 is Ready: taken as the new hardware already joined, not deleted" in out
    assert "w3" in [n.metadata.name for n in api["core"].list_node().items]
    assert recap(out)["localhost"]["changed"] == 0, out[-3000:]


def test_add_rack_applies_its_nodes_peers_in_one_batch_and_their_labels(api, kube_api, tmp_path):
    rack_peers = {"r2-leaf1-cp2", "r2-leaf2-cp2", "r2-leaf1-w2", "r2-leaf2-w2"}
    resource = api["dyn"].resources.get(api_version="metallb.io/v1beta2", kind="BGPPeer")
    for name in sorted(rack_peers & set(_peers(api))):        # a shared API server: start without the rack's
        resource.delete(name=name, namespace=NAMESPACE)
    _make_node(api, "cp2", control_plane=True)
    api["core"].patch_node("cp2", {"metadata": {"labels": {"netstack.io/disk": None}}})
    before = _peers(api)
    labels = {"netstack.io/disk": "nvme"}
    labelled = _overrides(tmp_path, "r2", {"cp2": _node_vars("cp2", labels=labels),
                                           "w2": _node_vars("w2", labels=labels)})

    rc, out = _run("add_rack.yml", kube_api, tmp_path, labelled, "-e", "rack=r2", "--check", "--diff")
    assert rc == 0, out[-3000:]
    assert all("BGPPeer %s/%s" % (NAMESPACE, name) in out for name in rack_peers), out[-3000:]
    assert "netstack.io/disk=nvme" in out
    assert _peers(api) == before
    assert "netstack.io/disk" not in (api["core"].read_node("cp2").metadata.labels or {})

    rc, out = _run("add_rack.yml", kube_api, tmp_path, labelled, "-e", "rack=r2")
    assert rc == 0, out[-3000:]
    assert sorted(recap(out)) == ["localhost"]                                  # no switch, no node contacted
    assert set(_peers(api)) - set(before) == rack_peers
    assert "load-balancer objects: 4 changed, 0 unchanged" in out               # one batch for the whole rack
    assert "Node cp2 labels: set netstack.io/disk" in out and "Node w2 is not registered yet" in out
    assert api["core"].read_node("cp2").metadata.labels["netstack.io/disk"] == "nvme"
    peer = resource.get(name="r2-leaf1-w2", namespace=NAMESPACE).to_dict()
    assert peer["spec"]["nodeSelectors"] == [{"matchLabels": {"kubernetes.io/hostname": "w2"}}]

    rc, out = _run("add_rack.yml", kube_api, tmp_path, labelled, "-e", "rack=r2")
    assert rc == 0, out[-3000:]
    assert recap(out)["localhost"]["changed"] == 0, out[-3000:]
