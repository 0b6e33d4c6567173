# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Apply mode of playbooks/gateway.yml against a small fake Kubernetes API server.

There is no cluster on the test machines, so ``FakeKube`` answers what
kubernetes.core asks: discovery (``/version``, ``/api``, ``/apis`` and the
resource lists of the groups the role uses), GET of objects and lists, and
server-side apply PATCHes (``application/apply-patch+yaml``; the patch is
merged into the stored object, ``dryRun=All`` stores nothing).  Every request
is logged, so the test checks what the role really sent: the batch order, the
field manager, that missing platform namespaces are skipped rather than
created, that the DNS-01 Secret is built from the inventory variable without
the value reaching the output, that a second run changes nothing, and that
check mode writes nothing.

Day 2: lists honour ``labelSelector`` (``k=v``, ``k==v``, ``k!=v``, ``k``,
``!k``, comma-separated) and DELETE removes the object (``dryRun=All``: only
logged).  One server serves the whole module; ``kube`` resets it per test and
the first apply of the example inventory runs once (``first_apply``) for the
tests that start from it.
"""
from __future__ import absolute_import, division, print_function

import base64
import copy
import json
import os
import re
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

from playbook_run import recap, run_playbook

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SECRET_VALUE = "cf-token-only-in-the-vault-4711"

RESOURCES = {
    ("", "v1"): [("namespaces", "Namespace", False), ("secrets", "Secret", True)],
    ("admissionregistration.k8s.io", "v1"): [
        ("validatingadmissionpolicies", "ValidatingAdmissionPolicy", False),
        ("validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding", False)],
    ("apiextensions.k8s.io", "v1"): [("customresourcedefinitions", "CustomResourceDefinition", False)],
    ("gateway.networking.k8s.io", "v1"): [("gateways", "Gateway", True), ("httproutes", "HTTPRoute", True)],
    ("gateway.networking.k8s.io", "v1alpha2"): [("tlsroutes", "TLSRoute", True)],
    ("cert-manager.io", "v1"): [("issuers", "Issuer", True), ("certificates", "Certificate", True)],
}
EXISTING_NAMESPACES = ["default", "kube-system", "cozy-dashboard", "tenant-root", "tenant-alice", "tenant-alice-dev",
                       "tenant-alice-dev-feature", "tenant-alice-staging", "tenant-bob"]
# What tenants.yml put on the tenant namespaces that the gateway role looks for (gateway.tenants[*].applied_label)
APPLIED = dict([("tenant-root", {"platform.cozystack.io/no-delete": "true"})]
               + [(name, {"tenant.cozystack.io/" + name: ""}) for name in EXISTING_NAMESPACES
                  if name.startswith("tenant-") and name != "tenant-root"])
CRDS = ["gateways.gateway.networking.k8s.io", "httproutes.gateway.networking.k8s.io",
        "tlsroutes.gateway.networking.k8s.io", "issuers.cert-manager.io", "certificates.cert-manager.io"]


def _selected(labels, selector):
    """True when ``labels`` meet the label selector string (the subset of the syntax kubectl users write)."""
    for requirement in filter(None, (part.strip() for part in (selector or "").split(","))):
        if "!=" in requirement:
            key, value = requirement.split("!=", 1)
            if labels.get(key) == value:
                return False
        elif "=" in requirement:
            key, value = requirement.replace("==", "=").split("=", 1)
            if labels.get(key) != value:
                return False
        elif requirement.startswith("!"):
            if requirement[1:] in labels:
                return False
        elif requirement not in labels:
            return False
    return True


def _merge(base, patch):
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


class FakeKube:
    """Just enough of kube-apiserver for kubernetes.core's k8s and k8s_info modules."""

    def __init__(self):
        self.objects = {}
        self.log = []
        self.lock = threading.Lock()
        self.version = 100
        self.reset()

    def reset(self):
        """Back to the initial cluster: the existing namespaces and the CRDs, an empty log."""
        self.objects.clear()
        del self.log[:]
        for name in EXISTING_NAMESPACES:
            self.put("", "namespaces", None, {"apiVersion": "v1", "kind": "Namespace", "metadata": {
                "name": name, "labels": dict({"kubernetes.io/metadata.name": name}, **APPLIED.get(name, {}))}})
        for name in CRDS:
            self.put("apiextensions.k8s.io", "customresourcedefinitions", None, {
                "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": name}})

    def put(self, group, plural, namespace, obj):
        self.version += 1
        obj["metadata"]["resourceVersion"] = str(self.version)
        obj["metadata"].setdefault("uid", "uid-%d" % self.version)
        self.objects[(group, plural, namespace, obj["metadata"]["name"])] = obj

    def applied(self, kind=None):
        return [entry for entry in self.log if entry["verb"] == "apply" and (kind is None or entry["kind"] == kind)]

    def deleted(self, log=None, dry_run=False):
        """(kind, namespace, name) of the DELETE requests in ``log`` (default: all), dry runs or real ones."""
        return [(e["kind"], e["namespace"], e["name"]) for e in (self.log if log is None else log)
                if e["verb"] == "delete" and e["dry_run"] == dry_run]

    # --- HTTP ---------------------------------------------------------------

    def discovery(self, path):
        if path == "/version":
            return {"major": "1", "minor": "33", "gitVersion": "v1.33.0", "platform": "linux/amd64"}
        if path == "/api":
            return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
        if path == "/apis":
            groups = {}
            for group, version in RESOURCES:
                if group:
                    groups.setdefault(group, []).append({"groupVersion": "%s/%s" % (group, version),
                                                         "version": version})
            return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": g, "versions": v, "preferredVersion": v[0]} for g, v in sorted(groups.items())]}
        for (group, version), resources in RESOURCES.items():
            prefix = "/api/%s" % version if not group else "/apis/%s/%s" % (group, version)
            if path == prefix:
                return {"kind": "APIResourceList", "apiVersion": "v1",
                        "groupVersion": version if not group else "%s/%s" % (group, version),
                        "resources": [{"name": plural, "singularName": kind.lower(), "namespaced": namespaced,
                                       "kind": kind, "verbs": ["create", "delete", "get", "list", "patch", "update",
                                                               "watch"]} for plural, kind, namespaced in resources]}
        return None

    def route(self, path):
        """(group, version, plural, kind, namespace, name) of an object or collection URL, or None."""
        for (group, version), resources in RESOURCES.items():
            prefix = "/api/%s/" % version if not group else "/apis/%s/%s/" % (group, version)
            if not path.startswith(prefix):
                continue
            parts = path[len(prefix):].strip("/").split("/")
            namespaced = dict((p, n) for p, _k, n in resources)
            kinds = dict((p, k) for p, k, _n in resources)
            if len(parts) >= 3 and parts[0] == "namespaces" and namespaced.get(parts[2]):
                return group, version, parts[2], kinds[parts[2]], parts[1], parts[3] if len(parts) > 3 else None
            if parts[0] in kinds:
                return group, version, parts[0], kinds[parts[0]], None, parts[1] if len(parts) > 1 else None
        return None

    def handle(self, method, url, body):
        parsed = urlparse(url)
        query = parse_qs(parsed.query)
        with self.lock:
            found = self.discovery(parsed.path)
            if found is not None and method == "GET":
                return 200, found
            target = self.route(parsed.path)
            if target is None:
                return 404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                             "code": 404, "message": "no route %s" % parsed.path}
            group, version, plural, kind, namespace, name = target
            key = (group, plural, namespace, name)
            if method == "GET" and name is None:
                selector = (query.get("labelSelector") or [""])[0]
                self.log.append({"verb": "list", "kind": kind, "namespace": namespace, "selector": selector})
                items = [copy.deepcopy(o) for (g, p, ns, _n), o in sorted(self.objects.items())
                         if g == group and p == plural and (namespace is None or ns == namespace)
                         and _selected(o["metadata"].get("labels") or {}, selector)]
                return 200, {"kind": kind + "List", "apiVersion": version if not group else group + "/" + version,
                             "metadata": {"resourceVersion": str(self.version)}, "items": items}
            if method == "GET":
                if key in self.objects:
                    return 200, copy.deepcopy(self.objects[key])
                return 404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                             "code": 404, "message": "%s %s not found" % (plural, name)}
            if method == "PATCH":
                patch = yaml.safe_load(body)
                dry_run = query.get("dryRun") == ["All"]
                self.log.append({"verb": "apply", "kind": patch.get("kind"), "namespace": namespace, "name": name,
                                 "field_manager": (query.get("fieldManager") or [None])[0],
                                 "force": query.get("force") == ["true"], "dry_run": dry_run, "body": patch})
                current = copy.deepcopy(self.objects.get(key) or {"metadata": {}})
                merged = _merge(copy.deepcopy(current), patch)
                if dry_run:
                    return 200, merged
                if merged != current:
                    self.put(group, plural, namespace, merged)
                return 200, copy.deepcopy(self.objects[key])
            if method == "DELETE" and name is not None:
                dry_run = query.get("dryRun") == ["All"]
                self.log.append({"verb": "delete", "kind": kind, "namespace": namespace, "name": name,
                                 "dry_run": dry_run})
                if key not in self.objects:
                    return 404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                                 "code": 404, "message": "%s %s not found" % (plural, name)}
                gone = copy.deepcopy(self.objects[key])
                if not dry_run:
                    del self.objects[key]
                return 200, gone
            return 405, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 405,
                         "message": "%s not implemented" % method}


def _handler(kube):
    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8") if length else ""
            code, payload = kube.handle(self.command, self.path, body)
            data = json.dumps(payload).encode("utf-8")
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PATCH = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, *args):
            pass
    return Handler


@pytest.fixture(scope="module")
def server():
    """One fake API server for the module (the tests reset or restore its state)."""
    fake = FakeKube()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    fake.url = "http://127.0.0.1:%d" % httpd.server_address[1]
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def kube(server):
    server.reset()
    return server


@pytest.fixture(scope="module")
def first_apply(server, tmp_path_factory):
    """The example inventory applied once to an empty cluster: (inventory, output, log, objects after it)."""
    server.reset()
    tmp_path = tmp_path_factory.mktemp("gateway-apply")
    inventory = _inventory(tmp_path, server)
    output = _run(inventory)
    return {"tmp_path": tmp_path, "inventory": inventory, "output": output, "log": copy.deepcopy(server.log),
            "objects": copy.deepcopy(server.objects)}


def _inventory(tmp_path, kube):
    """The example inventory in apply mode, pointed at the fake API, with a vaulted-style DNS-01 credential."""
    inventory = tmp_path / "inventory"
    shutil.copytree(os.path.join(REPO, "inventories", "example"), str(inventory))
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "fake",
        "clusters": [{"name": "fake", "cluster": {"server": kube.url}}],
        "users": [{"name": "admin", "user": {"token": "not-checked"}}],
        "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "admin"}}]}))
    cluster = inventory / "group_vars" / "all" / "cluster.yml"
    data = yaml.safe_load(cluster.read_text())
    data["netstack_mode"] = "apply"
    data["netstack_kubeconfig"] = str(kubeconfig)
    data["netstack_bundle_dir"] = str(tmp_path / "bundle")
    data["netstack_cluster"]["features"]["gateway_api"]["tls"]["dns01"]["secret_var"] = "vault_cloudflare_token"
    cluster.write_text(yaml.safe_dump(data))
    with open(str(inventory / "group_vars" / "all" / "secrets.yml"), "a") as handle:
        handle.write("vault_cloudflare_token: %s\n" % SECRET_VALUE)
    return inventory


def _run(inventory, *extra, **kwargs):
    rc, output = run_playbook("gateway.yml", [inventory], *extra, K8S_AUTH_KUBECONFIG="")
    if kwargs.get("expect_failure"):
        assert rc != 0, output[-3000:]
    else:
        assert rc == 0, output[-6000:]
    return output


def test_apply_mode_against_a_fake_api_server(first_apply):
    output, log = first_apply["output"], first_apply["log"]
    objects = first_apply["objects"]
    applied = [entry for entry in log if entry["verb"] == "apply"]
    kinds = [entry["kind"] for entry in applied]
    # the Secret first, then the batches in order: policies, tenant namespaces, attached namespaces, gateways
    order = ["Secret", "ValidatingAdmissionPolicy", "Namespace", "Issuer"]
    assert [kinds.index(k) for k in order] == sorted(kinds.index(k) for k in order), kinds
    assert kinds.index("ValidatingAdmissionPolicyBinding") < kinds.index("Namespace") < kinds.index("Gateway")
    assert all(e["field_manager"] == "netstack-gateway" and e["force"] and not e["dry_run"] for e in applied)
    assert kinds.count("ValidatingAdmissionPolicy") == 6 and kinds.count("Gateway") == 2
    # platform namespaces that do not exist are skipped, not created
    namespaces = [e["name"] for e in applied if e["kind"] == "Namespace"]
    assert "cozy-dashboard" in namespaces and "default" in namespaces
    assert "cozy-keycloak" not in namespaces and ("", "namespaces", None, "cozy-keycloak") not in objects
    dashboard = objects[("", "namespaces", None, "cozy-dashboard")]["metadata"]["labels"]
    assert dashboard["gateway.netstack.baremetal/tenant-root"] == "true"
    assert dashboard["gateway.netstack.baremetal/tenant-alice"] == "true"
    # the partial Namespace keeps what others set (the server's name label here)
    bob = objects[("", "namespaces", None, "tenant-bob")]["metadata"]
    assert bob["labels"] == {"kubernetes.io/metadata.name": "tenant-bob", "tenant.cozystack.io/tenant-bob": "",
                             "gateway.netstack.baremetal/tenant-root": "true"}
    # the DNS-01 credential: in the cluster, in both Gateway namespaces, never in the output or the bundle
    for namespace in ("tenant-root", "tenant-alice"):
        secret = objects[("", "secrets", namespace, "cloudflare-api-token")]
        assert base64.b64decode(secret["data"]["api-token"]).decode() == SECRET_VALUE
    assert SECRET_VALUE not in output
    bundle = str(first_apply["tmp_path"] / "bundle")
    assert subprocess.run(["grep", "-rq", SECRET_VALUE, bundle], check=False).returncode == 1
    gateway = objects[("gateway.networking.k8s.io", "gateways", "tenant-root", "cozystack")]
    assert gateway["spec"]["infrastructure"]["annotations"]["metallb.io/address-pool"] == "public"
    assert recap(output)["localhost"]["changed"] > 0
    # the pruning step listed every kind the area owns by its labels, after the last apply, and found nothing
    lists = [i for i, e in enumerate(log) if e["verb"] == "list" and "cozystack.io/gateway" in e["selector"]]
    assert len(lists) == 4 and min(lists) > max(i for i, e in enumerate(log) if e["verb"] == "apply")
    # (the kinds are listed in parallel: any order; the deletes keep the plan's order, test_day2_prune)
    assert sorted(e["kind"] for e in log if e["verb"] == "list" and "managed-by-cozystack" in e["selector"]) == [
        "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"]
    assert not [e for e in log if e["verb"] == "delete"] and re.search(r"^\s+pruned: \[\]$", output, re.M)
    # idempotence (a second run changes nothing) and check mode: test_day2_prune, from this state


# Objects the second inventory must not delete: the reference controller's Gateway (its own labels, not ours),
# a route named like ours in a pruned namespace without our managed-by label, a policy of the reference platform,
# one of our Gateways in a namespace no planned tenant has (a tenant gone from the inventory: the tenant removal's
# job), and the Secrets cert-manager and the role created.
FOREIGN = [
    ("gateway.networking.k8s.io", "gateways", "tenant-bob", {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {
            "name": "cozystack", "namespace": "tenant-bob",
            "labels": {"cozystack.io/gateway": "tenant-bob", "cozystack.io/managed-by": "cozystack-controller"}}}),
    ("gateway.networking.k8s.io", "httproutes", "tenant-alice", {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {
            "name": "cozystack-http-redirect-legacy", "namespace": "tenant-alice",
            "labels": {"cozystack.io/gateway": "tenant-alice"}}}),
    ("admissionregistration.k8s.io", "validatingadmissionpolicies", None, {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy", "metadata": {
            "name": "cozystack-gateway-hostname-policy-old", "labels": {
                "internal.cozystack.io/managed-by-cozystack": ""}}}),
    ("gateway.networking.k8s.io", "gateways", "tenant-carol", {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {
            "name": "cozystack", "namespace": "tenant-carol",
            "labels": {"cozystack.io/gateway": "tenant-carol", "app.kubernetes.io/managed-by": "netstack.baremetal"}}}),
    ("", "secrets", "tenant-alice", {
        "apiVersion": "v1", "kind": "Secret", "metadata": {
            "name": "cozystack-gateway-tls", "namespace": "tenant-alice",
            "labels": {"cozystack.io/gateway": "tenant-alice", "app.kubernetes.io/managed-by": "netstack.baremetal"}}}),
]


def _without_alice_gateway(inventory, tmp_path):
    """A copy of the inventory where alice no longer owns a Gateway (it inherits root's) and the admission
    policies are switched off."""
    copy_dir = tmp_path / "inventory-day2"
    shutil.copytree(str(inventory), str(copy_dir))
    tenants_file = copy_dir / "group_vars" / "all" / "tenants.yml"
    tenants = yaml.safe_load(tenants_file.read_text())
    del tenants["netstack_tenants"]["alice"]["gateway"]
    tenants_file.write_text(yaml.safe_dump(tenants))
    cluster_file = copy_dir / "group_vars" / "all" / "cluster.yml"
    cluster = yaml.safe_load(cluster_file.read_text())
    cluster["netstack_cluster"]["features"]["gateway_api"]["admission_policies"] = False
    cluster_file.write_text(yaml.safe_dump(cluster))
    return copy_dir


def test_day2_prune(first_apply, server, tmp_path):
    """Alice stops owning a Gateway and the policies are switched off: check mode deletes nothing, the apply
    deletes exactly what the plan no longer holds after applying the rest, a further run changes nothing."""
    server.reset()
    server.objects.clear()
    server.objects.update(copy.deepcopy(first_apply["objects"]))
    for group, plural, namespace, obj in FOREIGN:
        server.put(group, plural, namespace, copy.deepcopy(obj))
    inventory = _without_alice_gateway(first_apply["inventory"], tmp_path)
    policies = ["cozystack-gateway-hostname-policy", "cozystack-ingress-hostname-policy",
                "cozystack-namespace-host-label-policy", "cozystack-route-hostname-policy",
                "cozystack-route-hostname-policy-tls", "cozystack-tenant-host-policy"]
    stale = ([("HTTPRoute", "tenant-alice", "cozystack-http-redirect"), ("Gateway", "tenant-alice", "cozystack"),
              ("Certificate", "tenant-alice", "cozystack-gateway-tls"), ("Issuer", "tenant-alice", "cozystack-gateway")]
             + [("ValidatingAdmissionPolicyBinding", None, name) for name in policies]
             + [("ValidatingAdmissionPolicy", None, name) for name in policies])

    root_key = ("gateway.networking.k8s.io", "gateways", "tenant-root", "cozystack")
    assert "*.alice.example.org" not in [l.get("hostname") for l in server.objects[root_key]["spec"]["listeners"]]

    # check mode (--diff): the stale objects are reported and dry-run deleted, nothing is stored or deleted
    before = copy.deepcopy(server.objects)
    output = _run(inventory, "--check", "--diff")
    assert server.objects == before
    assert server.deleted() == [] and server.deleted(dry_run=True) == stale
    pruned = output[output.index("TASK [netstack.baremetal.gateway : Report the change by batch]"):]
    pruned = pruned[pruned.index("pruned:"):]
    assert "- Gateway tenant-alice/cozystack" in pruned and "- ValidatingAdmissionPolicy cozystack-tenant-host-policy" in pruned
    assert "+++ after: Gateway tenant-alice/cozystack (deleted)" in output
    shown = output[output.index("+++ after: Gateway tenant-root/cozystack"):]
    shown = re.split(r"^(?:--- before:|TASK \[)", shown, maxsplit=1, flags=re.M)[0]
    assert "*.alice.example.org" in shown     # root's Gateway takes alice's names

    # apply: root's Gateway takes alice's names first, then the stale objects go, in order, and nothing else
    start = len(server.log)
    output = _run(inventory)
    log = server.log[start:]
    assert server.deleted(log) == stale and server.deleted(log, dry_run=True) == []
    last_apply = max(i for i, e in enumerate(log) if e["verb"] == "apply" and not e["dry_run"])
    assert min(i for i, e in enumerate(log) if e["verb"] == "delete") > last_apply
    assert "*.alice.example.org" in [l.get("hostname") for l in server.objects[root_key]["spec"]["listeners"]]
    for kind, namespace, name in stale:
        assert not [k for k in server.objects if k[2] == namespace and k[3] == name and
                    server.objects[k]["kind"] == kind]
    for group, plural, namespace, obj in FOREIGN:
        assert (group, plural, namespace, obj["metadata"]["name"]) in server.objects, obj
    assert ("", "secrets", "tenant-alice", "cloudflare-api-token") in server.objects
    assert ("", "namespaces", None, "tenant-alice") in server.objects
    assert recap(output)["localhost"]["changed"] > 0

    # idempotence: the same inventory again changes nothing and deletes nothing
    start = len(server.log)
    output = _run(inventory)
    assert recap(output)["localhost"]["changed"] == 0, output[-4000:]
    assert len(server.log) > start and server.deleted(server.log[start:]) == []
    assert "pruned:" not in output          # nothing changed: no report at all


def test_apply_mode_stops_before_sending_anything_without_the_crds(tmp_path, kube):
    inventory = _inventory(tmp_path, kube)
    del kube.objects[("apiextensions.k8s.io", "customresourcedefinitions", None, "tlsroutes.gateway.networking.k8s.io")]
    output = _run(inventory, expect_failure=True)
    assert "Missing CRDs tlsroutes.gateway.networking.k8s.io" in output
    assert kube.applied() == [] and kube.deleted() == []


def test_apply_mode_never_creates_a_tenant_namespace(tmp_path, kube):
    """A tenant added to the inventory but not applied by tenants.yml yet: the partial Namespace would create its
    namespace without the apex label and the isolation policies. The role stops before sending anything."""
    inventory = _inventory(tmp_path, kube)
    del kube.objects[("", "namespaces", None, "tenant-alice-staging")]
    del kube.objects[("", "namespaces", None, "tenant-bob")]
    # and one that exists but was never applied by the tenants area (no tenant label): not labelled either
    kube.objects[("", "namespaces", None, "tenant-alice")]["metadata"]["labels"].pop("tenant.cozystack.io/tenant-alice")
    for check in ((), ("--check",)):
        output = _run(inventory, *check, expect_failure=True)
        assert ("Tenant namespaces not ready for their Gateways: tenant-alice: not applied, tenant-alice-staging: "
                "missing, tenant-bob: missing.") in output
        assert "ansible-playbook playbooks/tenants.yml, or for these tenants only" in output
        assert "playbooks/add_tenant.yml -e tenant=<name> for each of alice, staging, bob (in this order)" in output
        assert ("playbooks/tenants.yml playbooks/gateway.yml --check --diff" in output) is bool(check)
        assert kube.applied() == [] and kube.deleted() == []
    assert ("", "namespaces", None, "tenant-bob") not in kube.objects
