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
"""
from __future__ import absolute_import, division, print_function

import base64
import copy
import json
import os
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PLAYBOOK = shutil.which("ansible-playbook", path=os.path.join(REPO, ".venv", "bin") + os.pathsep +
                        os.environ.get("PATH", ""))
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
CRDS = ["gateways.gateway.networking.k8s.io", "httproutes.gateway.networking.k8s.io",
        "tlsroutes.gateway.networking.k8s.io", "issuers.cert-manager.io", "certificates.cert-manager.io"]


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
        for name in EXISTING_NAMESPACES:
            self.put("", "namespaces", None, {"apiVersion": "v1", "kind": "Namespace", "metadata": {
                "name": name, "labels": {"kubernetes.io/metadata.name": name}}})
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
                items = [copy.deepcopy(o) for (g, p, ns, _n), o in sorted(self.objects.items())
                         if g == group and p == plural and (namespace is None or ns == namespace)]
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


@pytest.fixture
def kube():
    fake = FakeKube()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = "http://127.0.0.1:%d" % server.server_address[1]
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


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
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_FORCE_COLOR="0",
               PATH=os.path.join(REPO, ".venv", "bin") + os.pathsep + os.environ.get("PATH", ""),
               K8S_AUTH_KUBECONFIG="", ANSIBLE_STDOUT_CALLBACK="default")
    result = subprocess.run([PLAYBOOK, "-i", str(inventory), os.path.join(REPO, "playbooks", "gateway.yml")]
                            + list(extra), cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
                            check=False)
    if kwargs.get("expect_failure"):
        assert result.returncode != 0, result.stdout[-3000:]
    else:
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def _recap_changed(output):
    line = next(l for l in output.splitlines() if l.startswith("localhost") and "changed=" in l)
    return int(line.split("changed=")[1].split()[0])


@pytest.mark.skipif(PLAYBOOK is None, reason="ansible-playbook not installed")
def test_apply_mode_against_a_fake_api_server(tmp_path, kube):
    inventory = _inventory(tmp_path, kube)
    output = _run(inventory)
    applied = kube.applied()
    kinds = [entry["kind"] for entry in applied]
    # the Secret first, then the batches in order: policies, tenant namespaces, attached namespaces, gateways
    order = ["Secret", "ValidatingAdmissionPolicy", "Namespace", "Issuer"]
    assert [kinds.index(k) for k in order] == sorted(kinds.index(k) for k in order), kinds
    assert kinds.index("ValidatingAdmissionPolicyBinding") < kinds.index("Namespace") < kinds.index("Gateway")
    assert all(e["field_manager"] == "netstack-gateway" and e["force"] and not e["dry_run"] for e in applied)
    assert kinds.count("ValidatingAdmissionPolicy") == 6 and kinds.count("Gateway") == 2
    # platform namespaces that do not exist are skipped, not created
    namespaces = [e["name"] for e in kube.applied("Namespace")]
    assert "cozy-dashboard" in namespaces and "default" in namespaces
    assert "cozy-keycloak" not in namespaces and ("", "namespaces", None, "cozy-keycloak") not in kube.objects
    dashboard = kube.objects[("", "namespaces", None, "cozy-dashboard")]["metadata"]["labels"]
    assert dashboard["gateway.netstack.baremetal/tenant-root"] == "true"
    assert dashboard["gateway.netstack.baremetal/tenant-alice"] == "true"
    # the partial Namespace keeps what others set (the server's name label here)
    bob = kube.objects[("", "namespaces", None, "tenant-bob")]["metadata"]
    assert bob["labels"] == {"kubernetes.io/metadata.name": "tenant-bob",
                             "gateway.netstack.baremetal/tenant-root": "true"}
    # the DNS-01 credential: in the cluster, in both Gateway namespaces, never in the output or the bundle
    for namespace in ("tenant-root", "tenant-alice"):
        secret = kube.objects[("", "secrets", namespace, "cloudflare-api-token")]
        assert base64.b64decode(secret["data"]["api-token"]).decode() == SECRET_VALUE
    assert SECRET_VALUE not in output
    assert subprocess.run(["grep", "-rq", SECRET_VALUE, str(tmp_path / "bundle")], check=False).returncode == 1
    gateway = kube.objects[("gateway.networking.k8s.io", "gateways", "tenant-root", "cozystack")]
    assert gateway["spec"]["infrastructure"]["annotations"]["metallb.io/address-pool"] == "public"
    assert _recap_changed(output) > 0

    # idempotence: the same inventory again changes nothing
    count = len(kube.log)
    again = _run(inventory)
    assert _recap_changed(again) == 0, again[-4000:]
    assert len(kube.log) > count

    # check mode with --diff on a fresh API server: every object is looked at, nothing is stored
    kube.objects.clear()
    kube.objects.update(FakeKube().objects)
    before = copy.deepcopy(kube.objects)
    output = _run(inventory, "--check", "--diff")
    assert kube.objects == before
    shown = output[output.index("Show the changes of the batch (--diff), gateways"):]
    assert "kind: Gateway" in shown and "name: cozystack" in shown


@pytest.mark.skipif(PLAYBOOK is None, reason="ansible-playbook not installed")
def test_apply_mode_stops_before_sending_anything_without_the_crds(tmp_path, kube):
    inventory = _inventory(tmp_path, kube)
    del kube.objects[("apiextensions.k8s.io", "customresourcedefinitions", None, "tlsroutes.gateway.networking.k8s.io")]
    output = _run(inventory, expect_failure=True)
    assert "Missing CRDs tlsroutes.gateway.networking.k8s.io" in output
    assert kube.applied() == []
