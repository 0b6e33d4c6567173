# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tenants.yml, add_tenant.yml, remove_tenant.yml and gateway.yml in apply mode against a real API server.

The playbooks run as a user runs them (``ansible-playbook playbooks/<name>.yml -i <inventory>``) on one
inventory: the example's tenant tree in apply mode, with a Kube-OVN subnet for ``dev`` so that every kind the
two areas write is there. The server is ``kube_api`` (``conftest.py``): a real kube-apiserver with the CRDs
rebuilt from the upstream schemas (``crds.py``), so types, enums, unknown fields, CRD defaults and CEL rules are
the server's, and the ValidatingAdmissionPolicies are evaluated by the server itself.

The module walks one site through its life, each stage a module fixture the next builds on (pytest runs them
in this order; a stage's own assertions are in the tests that use it):

0. ``gateway_first``: gateway.yml before tenants.yml (one tenant namespace made by hand, without the tenant's
   labels) is refused, in apply and in check mode, and sends nothing.
1. ``first_apply``: both playbooks twice; the second runs must change nothing. Then a label edited by hand:
   ``tenants.yml --check --diff`` shows it and changes nothing, the apply restores it, the next run changes nothing.
2. ``changed_inventory``: a tenant gets etcd (labels on its subtree, a new policy) and two tenants are added;
   ``--check --diff`` of tenants.yml, add_tenant.yml and of tenants.yml with gateway.yml in one run shows it;
   gateway.yml alone is refused for the tenants not applied yet; the server is unchanged.
3. ``added``: add_tenant.yml applies the two new tenants, nothing else is touched; run again it changes nothing
   and reads only the tenant's namespace; gateway.yml then takes them.
4. the removal: refused, before any request to the server, while the tenant is in the inventory; refused while a
   Pod, a PVC and a sub-tenant exist (nothing deleted), ``--check`` deletes nothing, ``force=true`` removes children
   first and waits until the namespaces are gone.

What a playbook asked the server is recorded by ``api_recorder.ApiRecorder``, a proxy the inventory's
``netstack_kubeconfig`` points at (``recorder``).

The admission tests act as a tenant's ServiceAccount (a token from the TokenRequest API): a hostname hijack is
denied with the policy's own message, the legitimate request is allowed.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os
import re
import shutil
import time

import pytest
import yaml

from api_recorder import ApiRecorder
from crds import crd_documents
from playbook_run import recap, run_playbook

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MANAGER = "netstack-integration-tests"
# The kinds the two areas write (group, kind); the CRDs of those not served yet are installed.
CRD_KINDS = {
    "cilium.io": ["CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"],
    "kubeovn.io": ["Subnet"],
    "gateway.networking.k8s.io": ["Gateway", "HTTPRoute", "TLSRoute", "GatewayClass", "ReferenceGrant"],
    "cert-manager.io": ["Issuer", "Certificate"],
}
# What the snapshots read: every kind the areas own.
WATCHED = [("v1", "Namespace"), ("cilium.io/v2", "CiliumNetworkPolicy"),
           ("cilium.io/v2", "CiliumClusterwideNetworkPolicy"), ("kubeovn.io/v1", "Subnet"),
           ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"),
           ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding"),
           ("gateway.networking.k8s.io/v1", "Gateway"), ("gateway.networking.k8s.io/v1", "HTTPRoute"),
           ("cert-manager.io/v1", "Issuer"), ("cert-manager.io/v1", "Certificate")]
TENANT_NAMESPACES = ["tenant-alice", "tenant-alice-dev", "tenant-alice-dev-feature", "tenant-alice-staging",
                     "tenant-bob", "tenant-root"]


# --- helpers -----------------------------------------------------------------

def _dynamic(api_client):
    from kubernetes import dynamic  # pylint: disable=import-outside-toplevel
    return dynamic.DynamicClient(api_client)


def _error_body(exc):
    return getattr(exc, "body", None) or str(exc)


def _install_crds(dyn):
    """The CRDs the areas need that the server does not serve yet (a real cluster's own CRDs are left alone)."""
    crds = dyn.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    present = {item.metadata.name for item in crds.get().items}
    wanted = [doc for group, kinds in sorted(CRD_KINDS.items()) for doc in crd_documents(group)
              if doc["spec"]["names"]["kind"] in kinds]
    installed = []
    for doc in wanted:
        if doc["metadata"]["name"] in present:
            continue
        crds.server_side_apply(body=doc, name=doc["metadata"]["name"], field_manager=MANAGER,
                               force_conflicts=True)
        installed.append(doc["metadata"]["name"])
    deadline = time.time() + 60
    for doc in wanted:
        while True:
            conditions = (crds.get(name=doc["metadata"]["name"]).to_dict().get("status") or {}).get("conditions")
            if any(c["type"] == "Established" and c["status"] == "True" for c in conditions or []):
                break
            assert time.time() < deadline, "CRD %s not Established after 60 s" % doc["metadata"]["name"]
            time.sleep(0.2)
    dyn.resources.invalidate_cache()
    return installed


def _write_inventory(path, kubeconfig, bundle, change=None):
    """The example inventory in apply mode on the test server, ``dev`` with a Kube-OVN subnet; ``change(tenants)``
    edits the tenant tree."""
    shutil.copytree(os.path.join(REPO, "inventories", "example"), str(path))
    cluster_file = path / "group_vars" / "all" / "cluster.yml"
    cluster = yaml.safe_load(cluster_file.read_text())
    cluster.update(netstack_mode="apply", netstack_kubeconfig=kubeconfig, netstack_bundle_dir=str(bundle))
    cluster["netstack_cluster"]["networks"]["tenant_subnet_pool"] = "10.250.0.0/16"
    cluster_file.write_text(yaml.safe_dump(cluster))
    tenants_file = path / "group_vars" / "all" / "tenants.yml"
    tenants = yaml.safe_load(tenants_file.read_text())
    tenants["netstack_tenants"]["dev"]["subnet"] = {}
    if change:
        change(tenants["netstack_tenants"])
    tenants_file.write_text(yaml.safe_dump(tenants))
    return path


def _play(playbook, inventory, *extra, **kwargs):
    """Run a playbook (or a list of playbooks, in one run); (recap of localhost, output). ``fail=True``: the run
    must fail."""
    rc, output = run_playbook(playbook, [inventory], *extra, K8S_AUTH_KUBECONFIG="")
    if kwargs.get("fail"):
        assert rc != 0, output[-4000:]
    else:
        assert rc == 0, output[-8000:]
    return recap(output).get("localhost", {}), output


def _snapshot(dyn, namespaces=None):
    """{(kind, namespace, name): what the areas manage (labels, annotations, spec)} of every watched object;
    ``namespaces`` limits namespaced objects and Namespaces to those (cluster-wide policies: their tenant label).
    Status and managedFields are left out (the API server's own controllers write them)."""
    result = {}
    for api_version, kind in WATCHED:
        for item in dyn.resources.get(api_version=api_version, kind=kind).get().to_dict()["items"]:
            metadata = item["metadata"]
            scope = metadata.get("namespace") or (metadata["name"] if kind == "Namespace" else
                                                  (metadata.get("labels") or {}).get("netstack.baremetal/tenant"))
            if namespaces is not None and scope not in namespaces:
                continue
            result[(kind, metadata.get("namespace"), metadata["name"])] = {
                "labels": metadata.get("labels") or {}, "annotations": metadata.get("annotations") or {},
                "spec": item.get("spec"), "specs": item.get("specs"), "deleting": "deletionTimestamp" in metadata}
    return result


def _task_blocks(output):
    """[(task title, what the callback printed under it)] of a playbook's output."""
    parts = re.split(r"^TASK \[(.*?)\] \**$", output, flags=re.M)
    return list(zip(parts[1::2], parts[2::2]))


APPLY_TASK = "netstack.baremetal.tenants : Apply the tenants of the plan, phase by phase"
REPORT_TASK = "netstack.baremetal.tenants : Report the change by phase"


def _reported(output):
    """{stage: [refs]} of what the tenants role reported changed, deleted or waiting for a namespace, per phase
    (the task REPORT_TASK, printed only when a phase had something to do)."""
    found = {}
    for title, body in _task_blocks(output):
        if title != REPORT_TASK or "ok: [localhost]" not in body:
            continue
        for entry in re.split(r"^\s*-\s+(?=\w+:)", body, flags=re.M)[1:]:
            stage = re.search(r"stage: (\w+)", entry).group(1)
            found.setdefault(stage, []).extend(re.findall(r"^\s+- (\w+ \S+)$", entry, re.M))
    return found


def _undiffed_changes(output):
    """What the tenants role reported changed (or deleted, or waiting) without a diff of its own in its apply task
    (``--diff``: one diff per object, headed ``+++ after: Kind namespace/name``)."""
    shown = "".join(body for title, body in _task_blocks(output) if title == APPLY_TASK)
    return [ref for refs in _reported(output).values() for ref in refs
            if not re.search(r"^\+\+\+ after: %s( |$)" % re.escape(ref), shown, re.M)]


def _writes(requests):
    return [r for r in requests if r[0] not in ("GET", "HEAD")]


def _bundle_objects(bundle, area, names=None):
    """The objects of an area's bundle files (``names``: only those file names)."""
    objects = []
    for name in sorted(os.listdir(str(bundle / area))):
        if not name.endswith(".yaml") or name in ("crds.yaml",) or name.startswith("removal-"):
            continue
        if names is not None and name not in names:
            continue
        with open(str(bundle / area / name), encoding="utf-8") as handle:
            objects += [doc for doc in yaml.safe_load_all(handle) if doc]
    return objects


def _contains(live, planned, path="$"):
    """Problems where ``live`` does not hold ``planned`` (extra live keys, e.g. CRD defaults, are fine)."""
    if isinstance(planned, dict):
        if not isinstance(live, dict):
            return ["%s: %r is not a mapping" % (path, live)]
        problems = []
        for key, value in planned.items():
            if value == {} and key not in live:  # an empty map is not stored (annotations: {})
                continue
            if key not in live:
                problems.append("%s.%s: missing" % (path, key))
            else:
                problems += _contains(live[key], value, "%s.%s" % (path, key))
        return problems
    if isinstance(planned, list):
        if not isinstance(live, list) or len(live) != len(planned):
            return ["%s: %r != %r" % (path, live, planned)]
        return [p for i, (l, w) in enumerate(zip(live, planned)) for p in _contains(l, w, "%s[%d]" % (path, i))]
    return [] if live == planned else ["%s: %r != %r" % (path, live, planned)]


def _strict_apply_dry_run(dyn, obj):
    """(HTTP status, body) of a server-side apply dry run of ``obj`` with ``fieldValidation=Strict`` (the dynamic
    client has no parameter for it)."""
    resource = dyn.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
    path = resource.path(name=obj["metadata"]["name"], namespace=obj["metadata"].get("namespace"))
    request = dyn.client.param_serialize(
        "PATCH", path, body=obj, auth_settings=["BearerToken"],
        query_params=[("fieldManager", MANAGER), ("force", "true"), ("dryRun", "All"), ("fieldValidation", "Strict")],
        header_params={"Content-Type": "application/apply-patch+yaml", "Accept": "application/json"})
    response = dyn.client.call_api(*request)
    return response.status, response.read().decode("utf-8", "replace")


def _live(dyn, obj):
    resource = dyn.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
    return resource.get(name=obj["metadata"]["name"], namespace=obj["metadata"].get("namespace")).to_dict()


def _gone(dyn, api_version, kind, name, namespace=None):
    from kubernetes.dynamic.exceptions import NotFoundError  # pylint: disable=import-outside-toplevel
    try:
        dyn.resources.get(api_version=api_version, kind=kind).get(name=name, namespace=namespace)
    except NotFoundError:
        return True
    return False


# --- the stages ----------------------------------------------------------------

@pytest.fixture(scope="module")
def site(kube_api, tmp_path_factory):
    """The server with the CRDs, the inventory, the bundle directory and a dynamic client (admin)."""
    api_client = kube_api.api_client()
    dyn = _dynamic(api_client)
    installed = _install_crds(dyn)
    tmp = tmp_path_factory.mktemp("tenants-gateway-api")
    bundle = tmp / "bundle"
    inventory = _write_inventory(tmp / "inventory", kube_api.kubeconfig, bundle)
    # Two platform namespaces the Gateways attach (the others of the list do not exist: skipped, not created).
    namespaces = dyn.resources.get(api_version="v1", kind="Namespace")
    created = []
    for name in ("cozy-dashboard", "cozy-cert-manager"):
        if _gone(dyn, "v1", "Namespace", name):
            namespaces.create(body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
            created.append(name)
    yield {"kube_api": kube_api, "api": api_client, "dyn": dyn, "tmp": tmp, "bundle": bundle,
           "inventory": inventory, "installed": installed}
    if not kube_api.managed:  # a cluster of the user's (NETSTACK_TEST_KUBECONFIG): leave it as it was
        _clean_up(dyn, created + TENANT_NAMESPACES + ["tenant-carol", "tenant-carol-kid"], installed)


def _clean_up(dyn, namespaces, crds):
    """Delete what the module created: the areas' cluster-scoped objects (by their labels), the namespaces, the
    CRDs it installed. The kit's server needs none of this (it is purged)."""
    ours = "app.kubernetes.io/managed-by=netstack.baremetal"
    selectors = {"ValidatingAdmissionPolicyBinding": ours, "ValidatingAdmissionPolicy": ours,
                 "CiliumClusterwideNetworkPolicy": ours, "Subnet": ours}
    for api_version, kind in WATCHED:
        if kind in selectors:
            resource = dyn.resources.get(api_version=api_version, kind=kind)
            for item in resource.get(label_selector=selectors[kind]).items:
                resource.delete(name=item.metadata.name)
    for name in namespaces:
        if not _gone(dyn, "v1", "Namespace", name):
            dyn.resources.get(api_version="v1", kind="Namespace").delete(name=name)
    for name in crds:
        dyn.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition").delete(name=name)


@pytest.fixture(scope="module")
def recorder(site):
    """A recording proxy in front of the server (``api_recorder``); ``recorder.kubeconfig`` points at it."""
    proxy = ApiRecorder(site["api"])
    proxy.kubeconfig_path = proxy.kubeconfig(site["tmp"] / "recorded-kubeconfig")
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def gateway_first(site, recorder):
    """gateway.yml on the empty cluster, before tenants.yml, in check and in apply mode, through the recorder; one
    tenant namespace exists already, made by hand (no tenant labels: tenants.yml never applied it)."""
    dyn = site["dyn"]
    dyn.resources.get(api_version="v1", kind="Namespace").create(
        body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tenant-bob"}})
    inventory = _write_inventory(site["tmp"] / "inventory-gateway-first", recorder.kubeconfig_path, site["bundle"])
    before = _snapshot(dyn)
    runs = {}
    for mode in ("check", "apply"):
        recorder.clear()
        recap_, output = _play("gateway.yml", inventory, *(["--check", "--diff"] if mode == "check" else []),
                               fail=True)
        runs[mode] = (recap_, output, list(recorder.requests))
    return {"before": before, "after": _snapshot(dyn), "runs": runs}


@pytest.fixture(scope="module")
def first_apply(site, gateway_first):
    """tenants.yml then gateway.yml on an empty cluster (after ``gateway_first`` was refused), each twice."""
    assert gateway_first
    runs = {}
    for playbook in ("tenants.yml", "gateway.yml"):
        runs[playbook] = [_play(playbook, site["inventory"]) for run in (1, 2)]
    return runs


def _with_changes(tenants):
    tenants["alice"]["etcd"] = True                  # locator label on alice's subtree, a new etcd policy
    tenants["carol"] = {"parent": "root"}            # a new tenant with a sub-tenant
    tenants["kid"] = {"parent": "carol"}


@pytest.fixture(scope="module")
def changed_inventory(site, first_apply):
    """The inventory with the changes, and its --check --diff runs, with snapshots around them."""
    assert first_apply
    inventory = _write_inventory(site["tmp"] / "inventory-changed", site["kube_api"].kubeconfig,
                                 site["bundle"], _with_changes)
    before = _snapshot(site["dyn"])
    runs = {
        "tenants.yml": _play("tenants.yml", inventory, "--check", "--diff"),
        "add_tenant.yml": _play("add_tenant.yml", inventory, "-e", "tenant=carol", "--check", "--diff"),
        # carol and kid are not applied: gateway.yml alone is refused, as its apply would be
        "gateway.yml": _play("gateway.yml", inventory, "--check", "--diff", fail=True),
        "gateway.yml apply": _play("gateway.yml", inventory, fail=True),
        # in one run the gateway role takes the namespaces the tenants role's dry run would create
        "tenants.yml gateway.yml": _play(["tenants.yml", "gateway.yml"], inventory, "--check", "--diff"),
    }
    return {"inventory": inventory, "runs": runs, "before": before, "after": _snapshot(site["dyn"])}


@pytest.fixture(scope="module")
def recorded_inventory(site, recorder):
    """The changed inventory (carol and kid in it), on the server through the recorder."""
    return _write_inventory(site["tmp"] / "inventory-recorded", recorder.kubeconfig_path, site["bundle"],
                            _with_changes)


@pytest.fixture(scope="module")
def added(site, changed_inventory, recorder, recorded_inventory):
    """add_tenant.yml for the two new tenants (parent first), then carol's again through the recorder, then
    gateway.yml (the tenants are applied now)."""
    inventory = changed_inventory["inventory"]
    others = _snapshot(site["dyn"], TENANT_NAMESPACES)
    runs = [_play("add_tenant.yml", inventory, "-e", "tenant=" + name) for name in ("carol", "kid")]
    others_after = _snapshot(site["dyn"], TENANT_NAMESPACES)
    recorder.clear()
    again = _play("add_tenant.yml", recorded_inventory, "-e", "tenant=carol")
    again_requests = list(recorder.requests)
    gateway = _play("gateway.yml", inventory)
    return {"runs": runs, "others_before": others, "others_after": others_after, "again": again,
            "again_requests": again_requests, "gateway": gateway}


# --- 0. gateway.yml before tenants.yml -----------------------------------------------------

def test_gateway_before_tenants_is_refused_and_sends_nothing(site, gateway_first):
    """The tenant-namespaces batch would create the missing tenant namespaces (and label tenant-bob, made by hand)
    with only the attach label: no tenant labels, no isolation policies. Refused first, naming what to run; check
    mode answers the same (truthful), and pointing at the one-run preview."""
    assert gateway_first["after"] == gateway_first["before"]
    for name in TENANT_NAMESPACES:
        assert _gone(site["dyn"], "v1", "Namespace", name) is (name != "tenant-bob"), name
    bob = _live(site["dyn"], {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tenant-bob"}})
    assert sorted(bob["metadata"]["labels"]) == ["kubernetes.io/metadata.name"]
    for mode, (recap_, output, requests) in gateway_first["runs"].items():
        assert recap_["failed"] == 1 and recap_["changed"] <= 1, (mode, output[-3000:])   # the bundle file only
        assert ("Tenant namespaces not ready for their Gateways: tenant-root: missing, tenant-alice: missing, "
                "tenant-alice-dev: missing, tenant-alice-dev-feature: missing, tenant-alice-staging: missing, "
                "tenant-bob: not applied.") in output, (mode, output[-3000:])
        assert "Apply the tenants first: ansible-playbook playbooks/tenants.yml" in output
        assert "playbooks/add_tenant.yml -e tenant=<name> for each of root, alice, dev, feature, staging, bob" in output
        assert ("ansible-playbook playbooks/tenants.yml playbooks/gateway.yml --check --diff" in output) is (
            mode == "check")
        # read-only up to the refusal: the CRDs, the policy API, the namespaces; no write, not even a dry run
        assert requests and _writes(requests) == [], (mode, _writes(requests))


# --- 1. first apply ----------------------------------------------------------------

def test_first_apply_creates_every_planned_object(site, first_apply):
    """Every object of both bundles is on the server as planned (CRD defaults may add fields)."""
    tenants_recap, tenants_output = first_apply["tenants.yml"][0]
    gateway_recap, gateway_output = first_apply["gateway.yml"][0]
    assert tenants_recap["changed"] > 0 and gateway_recap["changed"] > 0
    for output in (tenants_output, gateway_output):
        assert "unknown field" not in output and "duplicate field" not in output
    dyn = site["dyn"]
    planned = _bundle_objects(site["bundle"], "tenants") + _bundle_objects(site["bundle"], "gateway")
    kinds = {obj["kind"] for obj in planned}
    assert kinds >= {"Namespace", "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "Subnet",
                     "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "Gateway", "HTTPRoute",
                     "Issuer", "Certificate"}, kinds
    problems = []
    for obj in planned:
        if obj["kind"] == "Namespace" and _gone(dyn, "v1", "Namespace", obj["metadata"]["name"]):
            # attached namespaces that do not exist are skipped, never created
            assert obj["metadata"]["name"] not in TENANT_NAMESPACES
            continue
        live = _live(dyn, obj)
        problems += ["%s %s: %s" % (obj["kind"], obj["metadata"]["name"], p) for p in _contains(live, obj)]
    assert not problems, "\n".join(problems[:20])
    assert _gone(dyn, "v1", "Namespace", "cozy-keycloak")
    subnet = _live(dyn, {"apiVersion": "kubeovn.io/v1", "kind": "Subnet", "metadata": {"name": "tenant-alice-dev"}})
    assert subnet["spec"]["namespaces"] == ["tenant-alice-dev"] and subnet["spec"]["cidrBlock"].startswith("10.250.")


def test_planned_objects_pass_strict_field_validation(site, first_apply):
    """The server accepts every planned object under fieldValidation=Strict (a server-side apply dry run), and
    refuses an object with one unknown field for every kind: the check can fail."""
    assert first_apply
    dyn = site["dyn"]
    planned = _bundle_objects(site["bundle"], "tenants") + _bundle_objects(site["bundle"], "gateway")
    refused = []
    for obj in planned:
        status, body = _strict_apply_dry_run(dyn, obj)
        if status not in (200, 201):
            refused.append("%s %s: %s %s" % (obj["kind"], obj["metadata"]["name"], status, body[:400]))
    assert not refused, "\n".join(refused[:10])
    for kind in sorted({obj["kind"] for obj in planned if "spec" in obj}):
        obj = copy.deepcopy(next(o for o in planned if o["kind"] == kind and "spec" in o))
        obj["spec"]["notAField"] = True
        status, body = _strict_apply_dry_run(dyn, obj)
        assert status >= 400 and "notAField" in body, (kind, status, body[:400])


def test_second_runs_change_nothing(first_apply):
    for playbook, runs in first_apply.items():
        (second_recap, output) = runs[1]
        assert second_recap["changed"] == 0 and second_recap["failed"] == 0, (playbook, output[-4000:])
    # the tenants role had no phase to run at all; the gateway role applied and the server kept everything
    assert _reported(first_apply["tenants.yml"][1][1]) == {}
    assert _reported(first_apply["tenants.yml"][0][1]), "the first run reports its phases"


def test_a_label_edited_by_hand_is_shown_by_check_diff_and_restored(site, first_apply):
    """Drift: someone edits tenant-bob's apex label and drops one of its tenant labels. ``tenants.yml --check
    --diff`` reports exactly the changes the apply then makes, each with its diff (no "changed" without one: a
    bridge equal to the live object is not sent), and changes nothing live; the apply restores the labels and the
    next run changes nothing."""
    from kubernetes import client  # pylint: disable=import-outside-toplevel
    assert first_apply
    dyn, core = site["dyn"], client.CoreV1Api(site["api"])
    planned = _snapshot(dyn)
    core.patch_namespace("tenant-bob", {"metadata": {"labels": {
        "namespace.cozystack.io/host": "evil.example.com", "tenant.cozystack.io/tenant-root": None}}})
    drifted = _snapshot(dyn)
    assert drifted != planned
    check_recap, output = _play("tenants.yml", site["inventory"], "--check", "--diff")
    assert check_recap["changed"] > 0 and check_recap["failed"] == 0
    assert _snapshot(dyn) == drifted                      # --check changed nothing live
    # only bob's namespace, in the phases the core orders (the apex label moves through a bridge)
    assert {ref for refs in _reported(output).values() for ref in refs} == {"Namespace tenant-bob"}, output[-6000:]
    assert _undiffed_changes(output) == [], output[-6000:]
    assert re.search(r"^-\s+namespace\.cozystack\.io/host: evil\.example\.com$", output, re.M), output[-4000:]
    assert re.search(r"^\+\s+namespace\.cozystack\.io/host: bob\.example\.net$", output, re.M), output[-4000:]
    assert re.search(r'^\+\s+tenant\.cozystack\.io/tenant-root: ""$', output, re.M), output[-4000:]
    assert "tenant-alice" not in "".join(b for t, b in _task_blocks(output) if t == APPLY_TASK)
    # the apply makes the changes check mode announced, restores the plan's labels, and then there is nothing
    apply_recap, output = _play("tenants.yml", site["inventory"])
    assert apply_recap["changed"] == check_recap["changed"], output[-4000:]
    assert _snapshot(dyn) == planned
    again_recap, output = _play("tenants.yml", site["inventory"])
    assert again_recap["changed"] == 0 and _reported(output) == {}, output[-4000:]


# --- admission policies, through the server ------------------------------------------

@pytest.fixture(scope="module")
def tenant_user(site, first_apply):
    """A ServiceAccount of tenant-bob (not a trusted group) allowed by RBAC to write routes and Gateways in its
    namespace and to patch namespaces: what it may not do is up to the admission policies alone."""
    from kubernetes import client  # pylint: disable=import-outside-toplevel
    assert first_apply
    dyn = site["dyn"]
    objects = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "deployer", "namespace": "tenant-bob"}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
         "metadata": {"name": "routes", "namespace": "tenant-bob"},
         "rules": [{"apiGroups": ["gateway.networking.k8s.io"], "resources": ["gateways", "httproutes"],
                    "verbs": ["get", "list", "create", "update", "patch", "delete"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
         "metadata": {"name": "deployer-routes", "namespace": "tenant-bob"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "routes"},
         "subjects": [{"kind": "ServiceAccount", "name": "deployer", "namespace": "tenant-bob"}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": {"name": "netstack-test-namespace-patcher"},
         "rules": [{"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "patch"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": "netstack-test-namespace-patcher"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                     "name": "netstack-test-namespace-patcher"},
         "subjects": [{"kind": "ServiceAccount", "name": "deployer", "namespace": "tenant-bob"}]},
    ]
    for obj in objects:
        dyn.resources.get(api_version=obj["apiVersion"], kind=obj["kind"]).server_side_apply(
            body=obj, name=obj["metadata"]["name"], namespace=obj["metadata"].get("namespace"),
            field_manager=MANAGER)
    token = client.CoreV1Api(site["api"]).create_namespaced_service_account_token(
        "deployer", "tenant-bob", {"spec": {"expirationSeconds": 3600}}).status.token
    admin = site["api"].configuration
    configuration = client.Configuration()
    configuration.host = admin.host
    configuration.ssl_ca_cert = admin.ssl_ca_cert
    configuration.verify_ssl = admin.verify_ssl
    configuration.api_key = {"authorization": "Bearer " + token}
    user = client.ApiClient(configuration)
    review = client.AuthenticationV1Api(site["api"]).create_token_review({"spec": {"token": token}})
    assert "system:masters" not in review.status.user.groups
    assert review.status.user.username == "system:serviceaccount:tenant-bob:deployer"
    yield _dynamic(user)
    for obj in reversed(objects):
        dyn.resources.get(api_version=obj["apiVersion"], kind=obj["kind"]).delete(
            name=obj["metadata"]["name"], namespace=obj["metadata"].get("namespace"))


def _route(name, hostnames, parent_namespace="tenant-root"):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "tenant-bob"},
            "spec": {"parentRefs": [{"name": "cozystack", "namespace": parent_namespace}], "hostnames": hostnames,
                     "rules": [{"backendRefs": [{"name": "web", "port": 8080}]}]}}


def _gateway(hostname):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": "own", "namespace": "tenant-bob"},
            "spec": {"gatewayClassName": "cilium",
                     "listeners": [{"name": "https", "port": 443, "protocol": "HTTPS", "hostname": hostname,
                                    "tls": {"certificateRefs": [{"name": "own-tls"}]}}]}}


def _create(dyn, obj, **kwargs):
    """(True, created) or (False, the server's answer)."""
    from kubernetes.client.exceptions import ApiException  # pylint: disable=import-outside-toplevel
    resource = dyn.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
    try:
        return True, resource.create(body=obj, namespace=obj["metadata"].get("namespace"), **kwargs)
    except ApiException as exc:
        return False, "%s %s" % (exc.status, _error_body(exc))


def test_policies_deny_a_hostname_hijack_and_allow_the_tenant(site, tenant_user):
    dyn = site["dyn"]
    # another tenant's name on the inherited Gateway, and on a Gateway of its own
    allowed, answer = _create(tenant_user, _route("steal", ["www.alice.example.org"]))
    assert not allowed and "cozystack-route-hostname-policy" in answer, answer
    assert "www.alice.example.org outside the apex bob.example.net of namespace tenant-bob" in answer, answer
    allowed, answer = _create(tenant_user, _gateway("*.alice.example.org"))
    assert not allowed and "cozystack-gateway-hostname-policy" in answer, answer
    assert "*.alice.example.org outside the apex bob.example.net" in answer, answer
    # a route without hostnames on the inherited Gateway would take every name of its listeners
    allowed, answer = _create(tenant_user, _route("everything", []))
    assert not allowed and "may only attach to Gateways in its own namespace" in answer, answer
    # relabelling its namespace to another tenant's apex
    from kubernetes.client.exceptions import ApiException  # pylint: disable=import-outside-toplevel
    namespaces = tenant_user.resources.get(api_version="v1", kind="Namespace")
    with pytest.raises(ApiException) as caught:
        namespaces.patch(name="tenant-bob", body={"metadata": {"labels": {
            "namespace.cozystack.io/host": "alice.example.org"}}}, content_type="application/merge-patch+json")
    assert "cozystack-namespace-host-label-policy" in _error_body(caught.value), _error_body(caught.value)
    # the hostname policies have no bypass: the cluster admin is refused the hijack too
    allowed, answer = _create(dyn, _route("steal", ["www.alice.example.org"]))
    assert not allowed and "cozystack-route-hostname-policy" in answer, answer
    # the legitimate requests: names inside its own apex, on the inherited Gateway and on its own
    try:
        allowed, answer = _create(tenant_user, _route("shop", ["shop.bob.example.net"]))
        assert allowed, answer
        allowed, answer = _create(tenant_user, _gateway("*.bob.example.net"), dry_run="All")
        assert allowed, answer
        # the platform (system:masters) may set the label: a dry run, admission included
        dyn.resources.get(api_version="v1", kind="Namespace").patch(
            name="tenant-bob", body={"metadata": {"labels": {"namespace.cozystack.io/host": "bob.example.net"}}},
            content_type="application/merge-patch+json", dry_run="All")
    finally:
        if not _gone(dyn, "gateway.networking.k8s.io/v1", "HTTPRoute", "shop", "tenant-bob"):
            dyn.resources.get(api_version="gateway.networking.k8s.io/v1", kind="HTTPRoute").delete(
                name="shop", namespace="tenant-bob")
    assert _gone(dyn, "gateway.networking.k8s.io/v1", "HTTPRoute", "steal", "tenant-bob")
    assert _gone(dyn, "gateway.networking.k8s.io/v1", "Gateway", "own", "tenant-bob")


# --- 2. --check --diff after an inventory change ------------------------------------------

def test_check_diff_shows_the_change_and_alters_nothing(changed_inventory):
    before, after = changed_inventory["before"], changed_inventory["after"]
    assert after == before
    assert not [key for key in after if key[2].startswith("tenant-carol") or key[1] == "tenant-carol"]
    # tenants.yml: the new label on alice's subtree, the new etcd policy, the new tenants, all in diffs
    tenants_recap, output = changed_inventory["runs"]["tenants.yml"]
    assert tenants_recap["changed"] > 0 and tenants_recap["failed"] == 0
    assert _undiffed_changes(output) == [], output[-6000:]
    shown = output[output.index(APPLY_TASK):]
    assert "+++ after: Namespace tenant-alice-dev-feature" in shown and "namespace.cozystack.io/etcd: tenant-alice" in shown
    assert "+++ after: Namespace tenant-carol-kid" in shown
    assert "+++ after: CiliumClusterwideNetworkPolicy tenant-alice-ingress-etcd" in output
    # the policies of the new namespaces cannot be dry-run (the namespace is not stored): shown against nothing
    waiting = output[output.index("+++ after: CiliumNetworkPolicy tenant-carol/allow-internal-communication"):]
    assert waiting.splitlines()[0].endswith("(not dry-run: its namespace is created by this run)")
    assert "name: allow-internal-communication" in waiting and "namespace: tenant-carol" in waiting
    assert "CiliumNetworkPolicy tenant-carol/allow-internal-communication" in _reported(output)["widen"]
    # add_tenant.yml: only carol
    add_recap, output = changed_inventory["runs"]["add_tenant.yml"]
    assert add_recap["changed"] > 0
    applied = output[output.index(APPLY_TASK):]
    assert "namespace.cozystack.io/host: carol.example.org" in applied and "tenant-alice" not in applied
    # gateway.yml alone: refused, in check mode as in apply mode, for the two tenants not applied yet
    for run in ("gateway.yml", "gateway.yml apply"):
        output = changed_inventory["runs"][run][1]
        assert ("Tenant namespaces not ready for their Gateways: tenant-carol: missing, tenant-carol-kid: missing."
                in output), (run, output[-3000:])
        assert "playbooks/add_tenant.yml -e tenant=<name> for each of carol, kid (in this order)" in output
    # tenants.yml and gateway.yml in one --check run: root's Gateway and certificate take the new tenants' names
    gateway_recap, output = changed_inventory["runs"]["tenants.yml gateway.yml"]
    assert gateway_recap["changed"] > 0
    shown = output[output.index("+++ after: Gateway tenant-root/cozystack"):]
    assert '"*.carol.example.org"' in re.split(r"^(?:--- before:|TASK \[)", shown, maxsplit=1, flags=re.M)[0]
    assert "+++ after: Certificate tenant-root/cozystack-gateway-tls" in output


# --- 3. add_tenant.yml ---------------------------------------------------------------

def test_add_tenant_creates_only_the_tenant(site, added):
    dyn = site["dyn"]
    first, second = added["runs"]
    assert first[0]["changed"] > 0 and second[0]["changed"] > 0
    # of the other tenants, only root's Gateway and certificate moved: the listener and name for carol's apex (#16)
    gateway_of_root = [("Gateway", "tenant-root", "cozystack"), ("Certificate", "tenant-root", "cozystack-gateway-tls")]
    before, after = added["others_before"], added["others_after"]
    assert sorted(key for key in before if before[key] != after.get(key)) == sorted(gateway_of_root)
    assert sorted(after) == sorted(before)
    carol = _live(dyn, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tenant-carol-kid"}})
    assert carol["metadata"]["labels"]["tenant.cozystack.io/tenant-carol"] == ""
    planned = _bundle_objects(site["bundle"], "tenants", ["tenant-carol.yaml", "tenant-carol-kid.yaml"])
    assert len(planned) > 20
    problems = [p for obj in planned for p in _contains(_live(dyn, obj), obj)]
    assert not problems, problems[:10]
    # add_tenant.yml applied their gateway part too (#16): gateway.yml after it has nothing left to change
    assert added["gateway"][0]["changed"] == 0
    assert carol["metadata"]["labels"]["gateway.netstack.baremetal/tenant-root"] == "true"


def test_add_tenant_converges_and_reads_only_the_tenants_namespace(added):
    """Run again, add_tenant.yml changes nothing and sends nothing; its reads are scoped to the tenant: its Namespace
    by name, its CiliumNetworkPolicies in its namespace, the cluster-scoped kinds by its tenant label. Nothing is
    listed across namespaces, so the reads stay flat however many tenants the cluster has."""
    again_recap, output = added["again"]
    assert again_recap["changed"] == 0 and _reported(output) == {}, output[-4000:]
    requests = added["again_requests"]
    # the tenants part sends nothing; the gateway part (#16) re-sends its few objects as server-side applies of its
    # own field manager, which change nothing (changed=0 above)
    writes = _writes(requests)
    assert len(writes) <= 5 and all(method == "PATCH" and query.get("fieldManager") == ["netstack-gateway"]
                                    for method, _path, query in writes), writes
    # (paging, limit and continue, and the watch cache's version 0 are left out: a page is one read)
    lists = [(path, {k: v for k, v in query.items() if k not in ("limit", "continue", "resourceVersion")})
             for method, path, query in requests if method == "GET"
             and not re.match(r"^/(version|openapi)|^/api(/v1)?$|^/apis(/[^/]+){0,2}$", path)]
    tenant = "netstack.baremetal/tenant=tenant-carol"
    assert ("/api/v1/namespaces", {"fieldSelector": ["metadata.name=tenant-carol"]}) in lists, lists
    assert [(p, q) for p, q in lists if p.endswith("/ciliumnetworkpolicies")] == [
        ("/apis/cilium.io/v2/namespaces/tenant-carol/ciliumnetworkpolicies",
         {"labelSelector": ["app.kubernetes.io/managed-by=netstack.baremetal," + tenant]})], lists
    for path, query in lists:
        if path == "/api/v1/namespaces":
            continue
        # one object by name (the gateway part reads the tenant's Namespace and the ancestor Gateway objects it may
        # change, #16) stays flat; a list must be scoped to the tenant's namespace or label
        if re.search(r"/namespaces/[^/]+/[^/]+/[^/]+$|/namespaces/tenant-carol$", path):
            continue
        assert "/namespaces/tenant-carol/" in path or tenant in ",".join(query.get("labelSelector", [])), path


# --- 4. remove_tenant.yml -------------------------------------------------------------

def test_remove_tenant_refuses_while_in_use_then_force_removes_children_first(
        site, added, changed_inventory, recorder, recorded_inventory):
    from kubernetes import client  # pylint: disable=import-outside-toplevel
    assert added and changed_inventory
    dyn = site["dyn"]
    core = client.CoreV1Api(site["api"])
    core.create_namespaced_pod("tenant-carol", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
        "spec": {"terminationGracePeriodSeconds": 0, "containers": [{"name": "web", "image": "busybox"}]}})
    core.create_namespaced_persistent_volume_claim("tenant-carol-kid", {
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})

    def without_carol(tenants):
        _with_changes(tenants)
        del tenants["carol"], tenants["kid"]
    inventory = _write_inventory(site["tmp"] / "inventory-removed", site["kube_api"].kubeconfig, site["bundle"],
                                 without_carol)
    before = _snapshot(dyn)

    # still in the inventory: refused by the inventory alone, before any request to the server (no namespace list,
    # no pod or PVC list per subtree namespace)
    recorder.clear()
    output = _play("remove_tenant.yml", recorded_inventory, "-e", "tenant=carol", "-e", "force=true", fail=True)[1]
    assert "refusing to remove tenant 'carol' (tenant-carol): it is still in netstack_tenants" in output
    assert recorder.requests == [], recorder.requests
    assert [block[0] for block in _task_blocks(output)][-1] == (
        "Refuse a tenant that is still in the inventory (before reading the cluster)")
    assert ("Namespace", None, "tenant-carol-kid") in before
    assert ("CiliumClusterwideNetworkPolicy", None, "tenant-carol-egress") in before

    # refused, naming every blocker; nothing deleted
    output = _play("remove_tenant.yml", inventory, "-e", "tenant=carol", fail=True)[1]
    assert "refusing to remove tenant-carol" in output
    for blocker in ("sub-tenant namespace tenant-carol-kid", "pod tenant-carol/web",
                    "PersistentVolumeClaim tenant-carol-kid/data"):
        assert blocker in output, blocker
    assert _snapshot(dyn) == before
    assert not _gone(dyn, "v1", "Pod", "web", "tenant-carol")
    assert not _gone(dyn, "v1", "PersistentVolumeClaim", "data", "tenant-carol-kid")

    # forced, in check mode: dry-run deletes only
    check_recap = _play("remove_tenant.yml", inventory, "-e", "tenant=carol", "-e", "force=true", "--check")[0]
    assert check_recap["changed"] > 0
    assert _snapshot(dyn) == before

    # forced: children first, each namespace waited for, then its cluster-wide policies
    output = _play("remove_tenant.yml", inventory, "-e", "tenant=carol", "-e", "force=true")[1]
    assert output.index("namespace tenant-carol-kid]") < output.index("namespace tenant-carol]")
    after = _snapshot(dyn)
    carols = [key for key in before
              if key[2].startswith("tenant-carol") or key[1] in ("tenant-carol", "tenant-carol-kid")]
    assert len(carols) > 20 and not [key for key in after if key in carols]
    assert after == {key: value for key, value in before.items() if key not in carols}
    assert _gone(dyn, "v1", "Namespace", "tenant-carol") and _gone(dyn, "v1", "Namespace", "tenant-carol-kid")
