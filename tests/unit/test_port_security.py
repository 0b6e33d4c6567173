# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kube-OVN port security on pods outside the system namespaces (issue 16; docs/cluster_network.md).

What the plan puts in the ``port-security`` release for every variant and Kubernetes version, which namespaces
the objects select (the example's real tenant namespaces against the component namespaces, kube-system and
``system_namespaces``), the validating policy and the mutating policy's condition evaluated with cel-python
(the harness of test_admission_policies.py), the objects against the Kubernetes schemas of the version they are
for, what the bundle shows and never holds, and the webhook certificate logic. The API server's own verdict
(the mutation really happens, the pods really are refused) is in tests/integration/test_port_security_apply.py.
"""
from __future__ import absolute_import, division, print_function

import base64
import copy
import datetime
import functools
import json

import celpy
import pytest
import yaml
from cryptography import x509

import k8s_schema
from test_admission_policies import (CONDITION_ROOTS, KUBERNETES_CEL_FUNCTIONS, POLICY_ROOTS, Admission,
                                     _calls_and_roots, _evaluate)
from test_cluster_network_fixtures import CHAINED, WITH_CILIUM, build, problems, release, render

from ansible_collections.netstack.baremetal.plugins.module_utils import port_security as ps
from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_mod
from ansible_collections.netstack.baremetal.plugins.module_utils import webhook_tls

ANNOTATION = ps.ANNOTATION
OLD, NEW = "1.33.5", "1.36.2"
CILIUM_ONLY = [combo for combo in WITH_CILIUM if combo not in CHAINED]


def _edit(version=None, port_security="unset", system_namespaces=None, cilium_values=None):
    def edit(inventory_vars, nodes, switches):
        cluster = inventory_vars["netstack_cluster"]
        if version:
            cluster["kubernetes_version"] = version
        if port_security != "unset":
            cluster.setdefault("features", {})["port_security"] = port_security
        if system_namespaces is not None:
            cluster.setdefault("tenancy", {})["system_namespaces"] = system_namespaces
        if cilium_values is not None:
            cluster.setdefault("components", {})["cilium"] = {"values": cilium_values}
    return edit


def _plan(node_os="talos", variant="kubeovn-cilium", **kwargs):
    return build(node_os, variant, edit=_edit(**kwargs))


def _kinds(objects):
    return [(o["kind"], o["metadata"]["name"]) for o in objects]


def _by_kind(objects, kind):
    (found,) = [o for o in objects if o["kind"] == kind]
    return found


@functools.lru_cache(maxsize=None)
def _bundled(version):
    """The port-security objects as the bundle holds them (the manifest file releases.yaml names)."""
    files = render(_plan(version=version))
    (entry,) = [r for r in yaml.safe_load(files["cluster_network/releases.yaml"])["releases"]
                if r["name"] == "port-security"]
    return tuple(yaml.safe_load_all(files["cluster_network/" + entry["manifest_file"]]))


def _bundled_policy(kind, version=NEW):
    return copy.deepcopy(_by_kind(_bundled(version), kind))


# --- what the plan installs -----------------------------------------------------------------------------

@pytest.mark.parametrize("node_os,variant", CHAINED)
def test_kubernetes_1_36_gets_admission_policies_and_drops_the_webhook(node_os, variant):
    plan = _plan(node_os, variant, version=NEW)
    names = [r["name"] for r in plan["cluster_network"]["releases"]]
    assert names.index("port-security") == names.index("kube-ovn") + 1
    rel = release(plan, "port-security")
    assert _kinds(rel["objects"]) == [("MutatingAdmissionPolicy", ps.POLICY_NAME),
                                      ("MutatingAdmissionPolicyBinding", ps.POLICY_NAME),
                                      ("ValidatingAdmissionPolicy", ps.POLICY_NAME),
                                      ("ValidatingAdmissionPolicyBinding", ps.POLICY_NAME)]
    assert rel["webhook_tls"] is None and rel["wait_for"] == [] and rel["secrets"] == []
    removed = [(r["kind"], r["metadata"]["name"]) for r in rel["remove"]]
    assert removed[0] == ("MutatingWebhookConfiguration", ps.WEBHOOK_NAME)  # stop calling it before it goes
    assert set(removed) >= {("Deployment", ps.WEBHOOK_NAME), ("Secret", ps.WEBHOOK_TLS_SECRET),
                            ("CiliumClusterwideNetworkPolicy", ps.WEBHOOK_CALLERS_POLICY)}
    assert plan["cluster_network"]["port_security"] == {"enabled": True, "mechanism": "admission-policy",
                                                        "excluded_namespaces": ["kube-system"]}
    assert plan["cluster_network"]["features"]["port_security"] is True
    assert not [n for n in plan["cluster_network"]["notes"] if "port" in n]


@pytest.mark.parametrize("node_os,variant", CHAINED)
def test_older_kubernetes_gets_the_reference_webhook(node_os, variant):
    plan = _plan(node_os, variant, version=OLD)
    rel = release(plan, "port-security")
    assert _kinds(rel["objects"]) == [
        ("ServiceAccount", ps.WEBHOOK_NAME), ("ClusterRole", ps.WEBHOOK_NAME), ("ClusterRoleBinding", ps.WEBHOOK_NAME),
        ("Service", ps.WEBHOOK_NAME), ("Deployment", ps.WEBHOOK_NAME), ("PodDisruptionBudget", ps.WEBHOOK_NAME),
        ("MutatingWebhookConfiguration", ps.WEBHOOK_NAME),
        ("CiliumClusterwideNetworkPolicy", ps.WEBHOOK_CALLERS_POLICY),
        ("ValidatingAdmissionPolicy", ps.POLICY_NAME), ("ValidatingAdmissionPolicyBinding", ps.POLICY_NAME)]
    # nothing to remove: MutatingAdmissionPolicy is not served before 1.36, so it cannot be there
    assert rel["remove"] == []
    assert rel["wait_for"] == [{"api_version": "apps/v1", "kind": "Deployment", "namespace": "cozy-kubeovn",
                                "name": ps.WEBHOOK_NAME, "condition": None}]
    assert rel["webhook_tls"]["dns_names"] == ["kubeovn-webhook", "kubeovn-webhook.cozy-kubeovn",
                                               "kubeovn-webhook.cozy-kubeovn.svc"]
    note = " ".join(plan["cluster_network"]["notes"])
    assert "reference's webhook" in note and "fails closed" in note and "1.36" in note
    deployment = _by_kind(rel["objects"], "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "ghcr.io/cozystack/cozystack/kubeovn-webhook:v1.6.0"
    assert "--port-security=true" in container["args"]
    volume = deployment["spec"]["template"]["spec"]["volumes"][0]["secret"]
    assert [item["key"] for item in volume["items"]] == ["tls.crt", "tls.key"]  # the CA key stays out
    hook = _by_kind(rel["objects"], "MutatingWebhookConfiguration")["webhooks"][0]
    assert hook["failurePolicy"] == "Fail" and hook["sideEffects"] == "None"
    assert hook["rules"][0]["operations"] == ["CREATE"] and hook["rules"][0]["resources"] == ["pods"]
    assert "caBundle" not in hook["clientConfig"]       # filled in apply mode
    # docs/cluster_network.md: two replicas, system-cluster-critical, anti-affinity, a PodDisruptionBudget
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["template"]["spec"]["priorityClassName"] == "system-cluster-critical"
    (spread,) = deployment["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"][
        "preferredDuringSchedulingIgnoredDuringExecution"]
    assert spread["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert spread["podAffinityTerm"]["labelSelector"]["matchLabels"].items() <= pod_labels.items()
    budget = _by_kind(rel["objects"], "PodDisruptionBudget")["spec"]
    assert budget["minAvailable"] == 1 and budget["selector"]["matchLabels"].items() <= pod_labels.items()
    # only the API server calls it: every pod and the world are denied on the webhook's port, host is not
    callers = _by_kind(rel["objects"], "CiliumClusterwideNetworkPolicy")["spec"]
    assert callers["endpointSelector"]["matchLabels"] == {"k8s:io.kubernetes.pod.namespace": "cozy-kubeovn",
                                                          "app.kubernetes.io/name": ps.WEBHOOK_NAME}
    assert [rule.get("fromEntities") for rule in callers["ingressDeny"]] == [None, ["world"]]
    assert callers["ingressDeny"][0]["fromEndpoints"] == [{"matchExpressions": [
        {"key": "k8s:io.kubernetes.pod.namespace", "operator": "Exists"}]}]
    service = _by_kind(rel["objects"], "Service")["spec"]
    (target,) = {p["targetPort"] for p in service["ports"]}
    for rule in callers["ingressDeny"]:
        assert rule["toPorts"] == [{"ports": [{"port": str(target), "protocol": "TCP"}]}]
    assert "ingress" not in callers    # deny-only: nothing else about the webhook's pods changes


def test_the_webhook_namespace_is_a_system_namespace_even_when_moved():
    def edit(inventory_vars, nodes, switches):
        inventory_vars["netstack_cluster"]["kubernetes_version"] = OLD
        inventory_vars["netstack_cluster"]["components"] = {"kubeovn_webhook": {"namespace": "cozy-port-security",
                                                                                "image": "registry.example/w:1"}}
    plan = build("talos", "kubeovn-cilium", edit=edit)
    (namespace,) = [o for o in release(plan, "namespaces")["objects"] if o["metadata"]["name"] == "cozy-port-security"]
    assert namespace["metadata"]["labels"][ps.SYSTEM_LABEL] == "true"
    deployment = _by_kind(release(plan, "port-security")["objects"], "Deployment")
    assert deployment["metadata"]["namespace"] == "cozy-port-security"
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example/w:1"


@pytest.mark.parametrize("version,mutating_removed", [(OLD, False), (NEW, True)])
def test_turned_off_removes_everything_validating_policy_first(version, mutating_removed):
    plan = _plan(version=version, port_security=False)
    rel = release(plan, "port-security")
    assert rel["objects"] == [] and rel["webhook_tls"] is None
    removed = [(r["kind"], r["metadata"]["name"]) for r in rel["remove"]]
    assert removed[:2] == [("ValidatingAdmissionPolicy", ps.POLICY_NAME),
                           ("ValidatingAdmissionPolicyBinding", ps.POLICY_NAME)]
    assert (("MutatingAdmissionPolicy", ps.POLICY_NAME) in removed) is mutating_removed
    assert ("MutatingWebhookConfiguration", ps.WEBHOOK_NAME) in removed
    assert plan["cluster_network"]["port_security"]["enabled"] is False
    assert any("features.port_security is off" in n for n in plan["cluster_network"]["notes"])


@pytest.mark.parametrize("node_os,variant", CILIUM_ONLY + [("talos", "noop"), ("kubeadm", "noop")])
def test_no_port_security_without_kube_ovn(node_os, variant):
    plan = _plan(node_os, variant, version=NEW)
    assert release(plan, "port-security") is None
    assert plan["cluster_network"]["features"]["port_security"] is False
    assert not any(o["metadata"]["name"] in (ps.POLICY_NAME, ps.WEBHOOK_NAME)
                   for r in plan["cluster_network"]["releases"] for o in r.get("objects", ()))
    # asked for anyway: said to be ignored, and why
    notes = _plan(node_os, variant, version=NEW, port_security=True)["cluster_network"]["notes"]
    (note,) = [n for n in notes if "port_security" in n]
    assert "ignored" in note
    assert ("source IP verification" in note) if variant != "noop" else ("your CNI" in note)


@pytest.mark.parametrize("node_os,variant", CILIUM_ONLY)
def test_cilium_only_keeps_its_source_address_check(node_os, variant):
    values = release(_plan(node_os, variant), "cilium")["values"]
    assert values.get("daemon", {}).get("enableSourceIPVerification") is not False
    found = problems(node_os, variant, edit=_edit(cilium_values={"daemon": {"enableSourceIPVerification": False}}))
    assert [p.path for p in found] == ["netstack_cluster.components.cilium.values.daemon.enableSourceIPVerification"]
    assert "spoof" not in found[0].message and "another pod's" in found[0].message


def test_chained_variants_keep_the_reference_value_and_are_not_refused():
    plan = _plan()
    assert release(plan, "cilium")["values"]["daemon"]["enableSourceIPVerification"] is False


# --- scope: which namespaces -----------------------------------------------------------------------------

def _selects(selector, namespace):
    labels = dict(namespace["metadata"].get("labels") or {}, **{ps.NAME_LABEL: namespace["metadata"]["name"]})
    for expression in selector["matchExpressions"]:
        assert expression["operator"] == "NotIn"
        if labels.get(expression["key"]) in expression["values"]:
            return False
    return True


def _namespace(name, labels=None):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": dict(labels or {})}}


@pytest.mark.parametrize("version", [OLD, NEW])
def test_every_tenant_namespace_is_in_scope_and_no_system_namespace(version):
    plan = _plan(version=version, system_namespaces=["monitoring-agents"])
    objects = release(plan, "port-security")["objects"]
    selectors = [o["spec"]["matchConstraints"]["namespaceSelector"] for o in objects
                 if o["kind"] in ("MutatingAdmissionPolicy", "ValidatingAdmissionPolicy")]
    selectors += [h["namespaceSelector"] for o in objects if o["kind"] == "MutatingWebhookConfiguration"
                  for h in o["webhooks"]]
    assert len(selectors) == 2
    tenants = [_namespace(t["namespace"], t["labels"]) for t in plan["tenants"]["tenants"]]
    assert len(tenants) >= 5 and "tenant-root" in [t["metadata"]["name"] for t in tenants]
    system = list(release(plan, "namespaces")["objects"])        # every component namespace, webhook's included
    system += [_namespace("kube-system"), _namespace("monitoring-agents"),
               _namespace("cozy-dashboard", {ps.SYSTEM_LABEL: "true"})]
    others = [_namespace("default"), _namespace("cozy-unlabelled"), _namespace("kube-public")]
    for selector in selectors:
        assert all(_selects(selector, ns) for ns in tenants + others)
        assert not any(_selects(selector, ns) for ns in system), [
            ns["metadata"]["name"] for ns in system if _selects(selector, ns)]


# --- the policies, evaluated --------------------------------------------------------------------------------

def _pod(name, annotation=None, namespace="tenant-alice"):
    meta = {"name": name, "namespace": namespace}
    if annotation is not None:
        meta["annotations"] = {ANNOTATION: annotation, "other": "kept"}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"containers": [{"name": "app", "image": "registry.example/app:1"}]}}


def _request(pod, operation):
    resource = {"group": "", "version": "v1", "resource": "pods"}
    return {"uid": "u", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "resource": resource,
            "requestKind": {"group": "", "version": "v1", "kind": "Pod"}, "requestResource": resource,
            "name": pod["metadata"]["name"], "namespace": pod["metadata"]["namespace"], "operation": operation,
            "userInfo": {"username": "system:serviceaccount:tenant-alice:deployer", "groups": ["tenant-admins"]},
            "dryRun": False}


@pytest.fixture(scope="module")
def validating():
    return _bundled_policy("ValidatingAdmissionPolicy")


@pytest.mark.parametrize("annotation,allowed", [("true", True), (None, False), ("false", False), ("", False),
                                                ("True", False)])
def test_create_needs_true(validating, annotation, allowed):
    pod = _pod("p", annotation)
    decision = Admission.evaluate(validating, _request(pod, "CREATE"), pod,
                                  namespace=_namespace("tenant-alice"))
    assert decision.matched and decision.allowed is allowed, decision
    if not allowed:
        assert "must be \"true\"" in decision.messages[0] and "tenant-alice" in decision.messages[0]
        shown = "missing" if not annotation else '"%s"' % annotation
        assert ("is %s," % shown) in decision.messages[0], decision.messages


@pytest.mark.parametrize("old,new,allowed", [
    ("true", "true", True), ("true", "false", False), ("true", None, False), (None, None, True),
    (None, "true", True), (None, "false", False), ("false", "false", True), ("false", "true", True)])
def test_update_may_only_keep_it_or_set_true(validating, old, new, allowed):
    """A running pod cannot switch it off; pods older than the policy (no annotation) stay updatable."""
    before, after = _pod("p", old), _pod("p", new)
    decision = Admission.evaluate(validating, _request(after, "UPDATE"), after, old=before,
                                  namespace=_namespace("tenant-alice"))
    assert decision.matched and decision.allowed is allowed, decision
    assert decision.errors == []


def test_delete_is_not_matched(validating):
    pod = _pod("p", "false")
    assert not Admission.evaluate(validating, _request(pod, "DELETE"), pod).matched


@pytest.mark.parametrize("annotation,mutated", [(None, True), ("false", True), ("", True), ("true", False)])
def test_mutating_policy_only_acts_when_the_value_is_not_true(annotation, mutated):
    policy = _bundled_policy("MutatingAdmissionPolicy")
    (condition,) = policy["spec"]["matchConditions"]
    activation = {"object": celpy.json_to_cel(_pod("p", annotation)), "oldObject": celpy.json_to_cel(None),
                  "request": celpy.json_to_cel(_request(_pod("p"), "CREATE"))}
    result, error = _evaluate(condition["expression"], activation)
    assert error is None and bool(result) is mutated
    (mutation,) = policy["spec"]["mutations"]
    # server-side-apply merge of one map key: the pod's other annotations stay, "false" becomes "true"
    assert mutation == {"patchType": "ApplyConfiguration", "applyConfiguration": {
        "expression": "Object{metadata: Object.metadata{annotations: {'%s': 'true'}}}" % ANNOTATION}}
    assert policy["spec"]["matchConstraints"]["resourceRules"] == [
        {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}]
    assert policy["spec"]["failurePolicy"] == "Fail" and policy["spec"]["reinvocationPolicy"] == "IfNeeded"


def _expressions():
    validating = _bundled_policy("ValidatingAdmissionPolicy")
    found = [("validating", "variables.%s" % v["name"], v["expression"]) for v in validating["spec"]["variables"]]
    for position, item in enumerate(validating["spec"]["validations"]):
        found.append(("validating", "validations[%d]" % position, item["expression"]))
        if "messageExpression" in item:
            found.append(("validating", "validations[%d].messageExpression" % position, item["messageExpression"]))
    for item in _bundled_policy("MutatingAdmissionPolicy")["spec"]["matchConditions"]:
        found.append(("mutating", "matchConditions.%s" % item["name"], item["expression"]))
    return found


@pytest.mark.parametrize("policy,where,expression", _expressions(), ids=["%s:%s" % e[:2] for e in _expressions()])
def test_expressions_stay_within_kubernetes_cel(policy, where, expression):
    calls, roots, _bound = _calls_and_roots(expression)
    assert calls <= KUBERNETES_CEL_FUNCTIONS, calls - KUBERNETES_CEL_FUNCTIONS
    assert roots <= (CONDITION_ROOTS if where.startswith("matchConditions") else POLICY_ROOTS), roots


# --- schemas and the bundle ------------------------------------------------------------------------------

@pytest.mark.parametrize("version,schema_version", [(OLD, "1.33.0"), (NEW, "1.36.0")])
def test_objects_are_valid_for_the_kubernetes_they_are_for(version, schema_version):
    for obj in release(_plan(version=version), "port-security")["objects"]:
        assert k8s_schema.validate_manifest(obj, schema_version) == [], _kinds([obj])


def test_mutating_admission_policy_is_unknown_before_1_36():
    """Why older clusters get the webhook: the schemas of 1.33 have no v1 MutatingAdmissionPolicy."""
    policy = ps.mutating_policy(["kube-system"])
    assert k8s_schema.validate_manifest(policy, "1.36.0") == []
    assert any("no schema" in e for e in k8s_schema.validate_manifest(policy, "1.33.0"))


@pytest.mark.parametrize("version", [OLD, NEW])
def test_bundle_shows_removals_and_the_certificate_but_holds_no_key(version):
    plan = _plan(version=version)
    files = render(plan)
    document = yaml.safe_load(files["cluster_network/releases.yaml"])
    (entry,) = [r for r in document["releases"] if r["name"] == "port-security"]
    assert document["port_security"]["mechanism"] == ("webhook" if version == OLD else "admission-policy")
    text = files["cluster_network/" + entry["manifest_file"]]
    assert "PRIVATE KEY" not in text and "caBundle" not in text and "kind: Secret" not in text
    if version == OLD:
        assert entry["certificate_issued_in_apply_mode"] == {
            "secret": "cozy-kubeovn/kubeovn-webhook-tls", "dns_names": ps.webhook_dns_names("cozy-kubeovn"),
            "ca_bundle_of": "MutatingWebhookConfiguration kubeovn-webhook"}
        assert "removed_if_present" not in entry
    else:
        assert "certificate_issued_in_apply_mode" not in entry
        assert "MutatingWebhookConfiguration kubeovn-webhook" in entry["removed_if_present"]
        assert "Secret cozy-kubeovn/kubeovn-webhook-tls" in entry["removed_if_present"]


def test_the_report_says_who_checks_source_addresses():
    """The row "pod source addresses" of the rendered report (report.md)."""
    def text(variant, **kwargs):
        node_os = "kubeadm" if variant.endswith("-generic") else "talos"
        plan = _plan(node_os, variant, version=kwargs.get("version", NEW),
                     port_security=kwargs.get("port_security", "unset"))
        rendered = plan_mod.render_bundle(plan, ["plan"])["report.md"]
        (row,) = [line for line in rendered.splitlines() if line.startswith("| pod source addresses |")]
        return row.split("|")[2].strip()
    assert "MutatingAdmissionPolicy" in text("kubeovn-cilium")
    assert "webhook" in text("kubeovn-cilium-generic", version=OLD)
    assert text("kubeovn-cilium", port_security=False).startswith("NOT checked")
    assert "Cilium" in text("cilium-kilo", port_security=True)
    assert text("noop") == "your CNI's job"


# --- the webhook certificate -----------------------------------------------------------------------------

NAMES = ps.webhook_dns_names("cozy-kubeovn")
NOW = datetime.datetime(2026, 12, 5, tzinfo=datetime.timezone.utc)


def _cert(pem):
    return x509.load_pem_x509_certificate(pem.encode())


def test_a_new_certificate_is_sound_and_named_for_the_service():
    pems, reason = webhook_tls.keep_or_issue({}, NAMES, "kubeovn-webhook-ca", NOW)
    assert reason == "no certificate yet" and sorted(pems) == sorted(webhook_tls.KEYS)
    ca, leaf = _cert(pems["ca.crt"]), _cert(pems["tls.crt"])
    leaf.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == NAMES
    assert leaf.not_valid_after_utc <= ca.not_valid_after_utc
    assert (leaf.not_valid_after_utc - NOW).days >= 1800


def test_a_sound_certificate_is_kept_byte_for_byte():
    pems, _reason = webhook_tls.keep_or_issue({}, NAMES, "ca", NOW)
    stored = webhook_tls.decode_secret_data(webhook_tls.encode_secret_data(pems))
    kept, reason = webhook_tls.keep_or_issue(stored, NAMES, "ca", NOW + datetime.timedelta(days=900))
    assert reason is None and kept == pems


def test_a_certificate_near_its_end_is_renewed_under_the_same_ca():
    pems, _reason = webhook_tls.keep_or_issue({}, NAMES, "ca", NOW)
    later = NOW + datetime.timedelta(days=webhook_tls.LEAF_DAYS - 200)
    renewed, reason = webhook_tls.keep_or_issue(pems, NAMES, "ca", later)
    assert reason.startswith("the certificate ends on")
    assert renewed["ca.crt"] == pems["ca.crt"] and renewed["tls.crt"] != pems["tls.crt"]
    assert webhook_tls.checksum(renewed) != webhook_tls.checksum(pems)   # the pods roll onto it


@pytest.mark.parametrize("damage,expected,same_ca", [
    (lambda p: dict(p, **{"tls.key": webhook_tls.issue_ca("x")["ca.key"]}), "key does not match", True),
    (lambda p: dict(p, **webhook_tls.issue_leaf(webhook_tls.issue_ca("other"), NAMES)), "not signed by the CA",
     True),
    (lambda p: dict(p, **{"ca.crt": "garbage"}), "CA does not parse", False),
    (lambda p: dict((k, v) for k, v in p.items() if k != "ca.key"), "missing ca.key", False),
])
def test_anything_unsound_is_reissued(damage, expected, same_ca):
    pems, _reason = webhook_tls.keep_or_issue({}, NAMES, "ca", NOW)
    fixed, reason = webhook_tls.keep_or_issue(damage(pems), NAMES, "ca", NOW)
    assert expected in reason, reason
    assert (fixed["ca.crt"] == pems["ca.crt"]) is same_ca
    _cert(fixed["tls.crt"]).verify_directly_issued_by(_cert(fixed["ca.crt"]))


def test_other_names_or_a_dying_ca_are_reissued():
    pems, _reason = webhook_tls.keep_or_issue({}, NAMES, "ca", NOW)
    moved = ps.webhook_dns_names("cozy-elsewhere")
    fixed, reason = webhook_tls.keep_or_issue(pems, moved, "ca", NOW)
    assert "not kubeovn-webhook" in reason and fixed["ca.crt"] == pems["ca.crt"]
    late = NOW + datetime.timedelta(days=webhook_tls.CA_DAYS - 100)
    fixed, reason = webhook_tls.keep_or_issue(pems, NAMES, "ca", late)
    assert reason.startswith("the CA ends on") and fixed["ca.crt"] != pems["ca.crt"]


def test_inject_fills_the_ca_bundle_and_the_checksum_only():
    plan = _plan(version=OLD)
    rel = release(plan, "port-security")
    tls = rel["webhook_tls"]
    pems, _reason = webhook_tls.keep_or_issue({}, tls["dns_names"], "ca", NOW)
    objects = webhook_tls.inject(rel["objects"], pems, tls["configuration"], tls["webhook"], tls["deployment"],
                                 tls["checksum_annotation"])
    hook = _by_kind(objects, "MutatingWebhookConfiguration")["webhooks"][0]
    assert base64.b64decode(hook["clientConfig"]["caBundle"]).decode() == pems["ca.crt"]
    template = _by_kind(objects, "Deployment")["spec"]["template"]["metadata"]
    assert template["annotations"] == {ps.TLS_CHECKSUM_ANNOTATION: webhook_tls.checksum(pems)}
    assert "caBundle" not in json.dumps(rel["objects"])                  # the plan's copy is untouched
    for obj in objects:
        assert k8s_schema.validate_manifest(obj, "1.33.0") == [], _kinds([obj])
    with pytest.raises(ValueError, match="no configuration"):
        webhook_tls.inject([o for o in rel["objects"] if o["kind"] != "MutatingWebhookConfiguration"], pems,
                           tls["configuration"], tls["webhook"], tls["deployment"], tls["checksum_annotation"])
