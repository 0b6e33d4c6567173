# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kube-OVN port security through playbooks/cluster_network.yml against a real API server (issue 16).

The site is inventories/kubeadm-small in apply mode with ``system_namespaces: [platform-extra]``; only the
releases ``namespaces`` and ``port-security`` are applied (``cluster_network_releases``), so no chart is needed.
The API server evaluates the admission policies and calls (or fails to call) the webhook itself; pods are
created and stay Pending (no kubelet), which is all the annotation needs.

One module walks one site through its life, in file order (each test builds on the previous one):

1. ``kubernetes_version`` = the server's (1.36): the MutatingAdmissionPolicy sets ``"true"`` on a tenant pod,
   also when the pod asked for ``"false"``, and leaves pods in kube-system, a ``cozystack.io/system`` namespace
   and a ``system_namespaces`` entry alone; a running tenant pod cannot switch it off; a second run changes
   nothing.
2. ``features.port_security: false``: everything is removed; pods are left as they ask.
3. ``kubernetes_version: 1.35``: ``--check`` writes nothing; then the reference's webhook lands with its Secret
   and the CA in the ``caBundle``; tenant pods are refused while it does not answer (it fails closed: its pods
   never run here), system pods are not; a second run keeps the certificate; with the webhook configuration
   gone the validating policy still refuses missing or ``"false"`` values.
4. Back on 1.36: the admission policies replace the webhook, whose objects and Secret are deleted.
5. Off again: the server is left without any port-security object (also on failure: a finalizer).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import shutil
import time

import pytest
import yaml
from cryptography import x509

from crds import crd_documents
from playbook_run import REPO, recap, run_playbook

A = "ovn.kubernetes.io/port_security"
NAME = "netstack-port-security"
WEBHOOK = "kubeovn-webhook"
ADMISSION = "admissionregistration.k8s.io/v1"
TENANT, EXTRA, COMPONENT = "tenant-psec", "platform-extra", "cozy-kubeovn"
ONLY = ("-e", "cluster_network_wait=false", "-e", '{"cluster_network_releases": ["namespaces", "port-security"]}')
MANAGER = "netstack-integration-tests"
POLICY_KINDS = ["MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding", "ValidatingAdmissionPolicy",
                "ValidatingAdmissionPolicyBinding"]
WEBHOOK_OBJECTS = [("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", None, WEBHOOK),
                   ("apps/v1", "Deployment", COMPONENT, WEBHOOK), ("v1", "Service", COMPONENT, WEBHOOK),
                   ("v1", "ServiceAccount", COMPONENT, WEBHOOK), ("policy/v1", "PodDisruptionBudget", COMPONENT, WEBHOOK),
                   ("rbac.authorization.k8s.io/v1", "ClusterRole", None, WEBHOOK),
                   ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", None, WEBHOOK),
                   ("cilium.io/v2", "CiliumClusterwideNetworkPolicy", None, "kubeovn-webhook-callers"),
                   ("v1", "Secret", COMPONENT, "kubeovn-webhook-tls")]


# --- fixtures ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dyn(kube_api):
    from kubernetes import dynamic  # pylint: disable=import-outside-toplevel
    client = dynamic.DynamicClient(kube_api.api_client())
    _install_ccnp_crd(client)
    for name in (TENANT, EXTRA):
        client.resources.get(api_version="v1", kind="Namespace").server_side_apply(
            body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}, field_manager=MANAGER)
    yield client
    _cleanup(client)


def _install_ccnp_crd(client):
    """The webhook's caller policy is a Cilium object: its CRD, as cilium-operator installs it."""
    crds = client.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    for doc in crd_documents("cilium.io"):
        if doc["spec"]["names"]["kind"] != "CiliumClusterwideNetworkPolicy":
            continue
        crds.server_side_apply(body=doc, name=doc["metadata"]["name"], field_manager=MANAGER, force_conflicts=True)
        deadline = time.time() + 60
        while not any(c.type == "Established" and c.status == "True"
                      for c in crds.get(name=doc["metadata"]["name"]).status.conditions or []):
            assert time.time() < deadline, "CRD not Established"
            time.sleep(0.2)
    client.resources.invalidate_cache()


def _cleanup(client):
    """No port-security object survives this module (other modules on the same server create pods)."""
    for kind in POLICY_KINDS:
        _delete(client, ADMISSION, kind, None, NAME)
    for api_version, kind, namespace, name in WEBHOOK_OBJECTS:
        _delete(client, api_version, kind, namespace, name)
    for name in (TENANT, EXTRA):
        _delete(client, "v1", "Namespace", None, name)


def _delete(client, api_version, kind, namespace, name):
    from kubernetes.client.exceptions import ApiException  # pylint: disable=import-outside-toplevel
    from kubernetes.dynamic.exceptions import ResourceNotFoundError  # pylint: disable=import-outside-toplevel
    try:
        client.resources.get(api_version=api_version, kind=kind).delete(name=name, namespace=namespace)
    except (ApiException, ResourceNotFoundError):
        pass


@pytest.fixture(scope="module")
def write(tmp_path_factory, kube_api):
    """``write(version, port_security=None)`` -> the inventory directory (rewritten in place)."""
    root = tmp_path_factory.mktemp("port-security")
    inventory = root / "inventory"
    shutil.copytree(os.path.join(REPO, "inventories", "kubeadm-small"), str(inventory))
    cluster_file = inventory / "group_vars" / "all" / "cluster.yml"
    base = yaml.safe_load(cluster_file.read_text())

    def _write(version, port_security=None):
        data = yaml.safe_load(yaml.safe_dump(base))
        data.update(netstack_mode="apply", netstack_kubeconfig=kube_api.kubeconfig,
                    netstack_bundle_dir=str(root / "bundle"))
        cluster = data["netstack_cluster"]
        cluster["kubernetes_version"] = version
        cluster.setdefault("tenancy", {})["system_namespaces"] = [EXTRA]
        if port_security is not None:
            cluster.setdefault("features", {})["port_security"] = port_security
        cluster_file.write_text(yaml.safe_dump(data))
        return inventory
    return _write


@pytest.fixture(scope="module")
def new_version(kube_api):
    version = kube_api.kubernetes_version()
    if int(version.split(".")[1]) < 36:
        pytest.skip("the server is Kubernetes %s: MutatingAdmissionPolicy needs 1.36" % version)
    return version


def _apply(inventory, *extra):
    rc, out = run_playbook("cluster_network.yml", [inventory], *(ONLY + extra))
    assert rc == 0, out
    assert recap(out)["localhost"]["failed"] == 0, out
    return out


# --- helpers -------------------------------------------------------------------------------------------------

def _pod_body(name, annotation=None):
    meta = {"name": name, "labels": {"test": "port-security"}}
    if annotation is not None:
        meta["annotations"] = {A: annotation, "team": "kept"}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"automountServiceAccountToken": False,
                     "containers": [{"name": "app", "image": "registry.example/app:1"}]}}


def _create(dyn, namespace, name, annotation=None, dry_run=False):
    pods = dyn.resources.get(api_version="v1", kind="Pod")
    kwargs = {"dry_run": "All"} if dry_run else {}
    return pods.create(body=_pod_body(name, annotation), namespace=namespace, **kwargs)


def _eventually(check, what, timeout=30):
    """Admission configuration reaches the API server's admission plugins a moment after it is written, and a new
    namespace's ServiceAccount a moment after the namespace: retry until ``check()`` returns a truthy value."""
    from kubernetes.client.exceptions import ApiException  # pylint: disable=import-outside-toplevel
    deadline, last = time.time() + timeout, None
    while time.time() < deadline:
        try:
            result = check()
        except ApiException as exc:
            last = exc
            result = None
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError("%s: not within %d s (last error: %s)" % (what, timeout, getattr(last, "body", last)))


def _annotations(pod):
    return dict(pod.metadata.annotations or {})


def _created_with(dyn, namespace, name, annotation, expected):
    """Create the pod once a dry run shows the expected annotation; returns the live pod's annotations."""
    _eventually(lambda: _annotations(_create(dyn, namespace, name, annotation, dry_run=True)).get(A) == expected,
                "pod %s/%s with %s=%r" % (namespace, name, A, expected))
    return _annotations(_create(dyn, namespace, name, annotation))


def _refused(dyn, namespace, name, annotation, by_webhook=True):
    """The error body once the API server refuses the pod (a dry run; nothing is created). With
    ``by_webhook=False`` a refusal from the webhook call does not count: the API server keeps calling a deleted
    MutatingWebhookConfiguration until its admission plugin sees the deletion."""
    from kubernetes.client.exceptions import ApiException  # pylint: disable=import-outside-toplevel

    def check():
        try:
            _create(dyn, namespace, name, annotation, dry_run=True)
        except ApiException as exc:
            try:
                message = json.loads(exc.body)["message"]
            except (TypeError, ValueError, KeyError):
                message = str(exc.body)
            if "serviceaccount" in message.lower() and "not found" in message.lower():
                return None
            if not by_webhook and "failed calling webhook" in message:
                return None
            return message
        return None
    return _eventually(check, "pod %s/%s refused" % (namespace, name))


def _delete_pods(dyn):
    for namespace in (TENANT, EXTRA, COMPONENT, "kube-system"):
        dyn.resources.get(api_version="v1", kind="Pod").delete(namespace=namespace, label_selector="test=port-security",
                                                               body={"gracePeriodSeconds": 0})


def _exists(dyn, api_version, kind, namespace, name):
    from kubernetes.client.exceptions import ApiException  # pylint: disable=import-outside-toplevel
    try:
        dyn.resources.get(api_version=api_version, kind=kind).get(name=name, namespace=namespace)
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


def _port_security_objects(dyn):
    found = [kind for kind in POLICY_KINDS if _exists(dyn, ADMISSION, kind, None, NAME)]
    found += [kind for api_version, kind, namespace, name in WEBHOOK_OBJECTS
              if _exists(dyn, api_version, kind, namespace, name)]
    return found


# --- 1. Kubernetes 1.36: the API server sets it ---------------------------------------------------------------

def test_admission_policy_sets_true_on_tenant_pods_only(dyn, write, new_version):
    out = _apply(write(new_version))
    assert "Apply release" in out
    assert set(_port_security_objects(dyn)) == set(POLICY_KINDS)
    for kind in POLICY_KINDS:
        live = dyn.resources.get(api_version=ADMISSION, kind=kind).get(name=NAME)
        assert "netstack" in [m.manager for m in live.metadata.managedFields]

    assert _created_with(dyn, TENANT, "plain", None, "true") == {A: "true"}
    # the pod asked for "false": overwritten, its other annotations kept
    assert _created_with(dyn, TENANT, "opt-out", "false", "true") == {A: "true", "team": "kept"}
    # system namespaces: by label (the component namespace), kube-system, and system_namespaces
    for namespace in (COMPONENT, "kube-system", EXTRA):
        assert A not in _created_with(dyn, namespace, "system", None, None), namespace
        assert _created_with(dyn, namespace, "system-false", "false", "false")[A] == "false"


def test_a_running_tenant_pod_cannot_switch_it_off(dyn, new_version):
    from kubernetes.client.exceptions import ApiException  # pylint: disable=import-outside-toplevel
    del new_version
    pods = dyn.resources.get(api_version="v1", kind="Pod")
    with pytest.raises(ApiException) as refused:
        pods.patch(name="plain", namespace=TENANT, body={"metadata": {"annotations": {A: "false"}}},
                   content_type="application/merge-patch+json")
    assert refused.value.status == 422 or refused.value.status == 403, refused.value.body
    assert NAME in refused.value.body and "may only be set to" in refused.value.body
    # other changes to the pod stay possible
    pods.patch(name="plain", namespace=TENANT, body={"metadata": {"labels": {"tier": "web"}}},
               content_type="application/merge-patch+json")
    assert _annotations(pods.get(name="plain", namespace=TENANT))[A] == "true"


def test_second_run_changes_nothing(dyn, write, new_version):
    del dyn
    out = _apply(write(new_version))
    assert recap(out)["localhost"]["changed"] == 0, out


# --- 2. turned off -------------------------------------------------------------------------------------------

def test_turned_off_removes_everything(dyn, write, new_version):
    _delete_pods(dyn)
    _apply(write(new_version, port_security=False))
    assert _port_security_objects(dyn) == []
    assert _created_with(dyn, TENANT, "free", "false", "false")[A] == "false"
    assert A not in _created_with(dyn, TENANT, "bare", None, None)
    _delete_pods(dyn)


# --- 3. older Kubernetes: the reference's webhook ---------------------------------------------------------------

def test_check_mode_writes_no_webhook_and_no_certificate(dyn, write):
    out = _apply(write("1.35.4"), "--check")
    assert "PRIVATE KEY" not in out and "tls.key" not in out
    assert _port_security_objects(dyn) == []


def test_webhook_lands_with_its_certificate(dyn, write):
    out = _apply(write("1.35.4"))
    assert "certificate issued (no certificate yet)" in out, out
    assert "PRIVATE KEY" not in out
    expected = {item[1] for item in WEBHOOK_OBJECTS} | {"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}
    assert set(_port_security_objects(dyn)) == expected
    secret = dyn.resources.get(api_version="v1", kind="Secret").get(name="kubeovn-webhook-tls", namespace=COMPONENT)
    assert secret.type == "kubernetes.io/tls"
    data = {key: base64.b64decode(value).decode() for key, value in secret.data.to_dict().items()}
    assert sorted(data) == ["ca.crt", "ca.key", "tls.crt", "tls.key"]
    leaf = x509.load_pem_x509_certificate(data["tls.crt"].encode())
    leaf.verify_directly_issued_by(x509.load_pem_x509_certificate(data["ca.crt"].encode()))
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName)
    assert names == [WEBHOOK, "%s.%s" % (WEBHOOK, COMPONENT), "%s.%s.svc" % (WEBHOOK, COMPONENT)]
    hook = dyn.resources.get(api_version=ADMISSION, kind="MutatingWebhookConfiguration").get(name=WEBHOOK)
    (entry,) = hook.webhooks
    assert base64.b64decode(entry.clientConfig.caBundle).decode() == data["ca.crt"]
    assert entry.failurePolicy == "Fail"
    deployment = dyn.resources.get(api_version="apps/v1", kind="Deployment").get(name=WEBHOOK, namespace=COMPONENT)
    assert deployment.spec.template.metadata.annotations["netstack.io/tls-checksum"]
    assert [item.key for item in deployment.spec.template.spec.volumes[0].secret["items"]] == ["tls.crt", "tls.key"]


def test_tenant_pods_wait_for_the_webhook_system_pods_do_not(dyn):
    """No webhook pod runs here, as during an outage: tenant pods are refused (fail closed), system pods are not."""
    body = _refused(dyn, TENANT, "blocked", None)
    assert "failed calling webhook" in body and "port-security.kubeovn-webhook.netstack.io" in body, body
    for namespace in (COMPONENT, "kube-system", EXTRA):
        assert A not in _created_with(dyn, namespace, "system", None, None), namespace


def test_second_run_keeps_the_certificate(dyn, write):
    secret = dyn.resources.get(api_version="v1", kind="Secret").get(name="kubeovn-webhook-tls", namespace=COMPONENT)
    out = _apply(write("1.35.4"))
    assert recap(out)["localhost"]["changed"] == 0, out
    assert "certificate issued" not in out
    again = dyn.resources.get(api_version="v1", kind="Secret").get(name="kubeovn-webhook-tls", namespace=COMPONENT)
    assert again.metadata.resourceVersion == secret.metadata.resourceVersion


def test_without_the_webhook_call_the_validating_policy_still_refuses(dyn):
    """As if the webhook let a pod through without the annotation (or the pod asked for "false", which the
    reference's webhook keeps): the validating policy refuses both; "true" is admitted."""
    dyn.resources.get(api_version=ADMISSION, kind="MutatingWebhookConfiguration").delete(name=WEBHOOK)
    assert "is missing, must be" in _refused(dyn, TENANT, "bare", None, by_webhook=False)
    assert 'is "false", must be' in _refused(dyn, TENANT, "opt-out", "false", by_webhook=False)
    assert _created_with(dyn, TENANT, "asked", "true", "true")[A] == "true"
    assert _created_with(dyn, EXTRA, "system-false", "false", "false")[A] == "false"


# --- 4. upgraded to 1.36: the webhook goes ---------------------------------------------------------------------

def test_upgrade_to_1_36_replaces_the_webhook(dyn, write, new_version):
    out = _apply(write(new_version))
    assert set(_port_security_objects(dyn)) == set(POLICY_KINDS)
    assert "Remove what the release no longer installs: port-security" in out
    assert _created_with(dyn, TENANT, "after-upgrade", "false", "true")[A] == "true"


# --- 5. off again --------------------------------------------------------------------------------------------

def test_off_again_leaves_nothing(dyn, write, new_version):
    _delete_pods(dyn)
    _apply(write(new_version, port_security=False))
    assert _port_security_objects(dyn) == []
