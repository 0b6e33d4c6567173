# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller-side Kubernetes client (plugins/module_utils/kube) against an in-memory stand-in of the API.

What the stand-in cannot show (real server-side apply, admission, dry run) is proven through the playbooks on the
real API server: tests/integration/test_tenants_gateway_api.py. Here: discovery and paths, paging, retries, what
counts as a change, the diff, the order (Namespaces first), failures collected and the next phase not started.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import threading

import pytest

from ansible_collections.netstack.baremetal.plugins.module_utils import tenant_day2
from ansible_collections.netstack.baremetal.plugins.module_utils.kube import changes
from ansible_collections.netstack.baremetal.plugins.module_utils.kube.batch import Batch
from ansible_collections.netstack.baremetal.plugins.module_utils.kube.client import Cluster, KubeError

DISCOVERY = {
    "/api/v1": [("namespaces", "Namespace", False), ("namespaces/status", "Namespace", False),
                ("configmaps", "ConfigMap", True)],
    "/apis/cilium.io/v2": [("ciliumnetworkpolicies", "CiliumNetworkPolicy", True),
                           ("ciliumclusterwidenetworkpolicies", "CiliumClusterwideNetworkPolicy", False)],
}


class FakeApi(object):
    """Objects by path; apply replaces labels and spec (enough to tell a change from none), bumps the resource
    version and rewrites managedFields on every write (as a real server re-sorts them)."""

    def __init__(self, page=2):
        self.objects, self.calls, self.page, self.fail = {}, [], page, {}
        self.version = 0
        self.lock = threading.Lock()

    def request(self, method, path, query, body, content_type):
        with self.lock:
            self.calls.append((method, path, dict(query)))
            if path in self.fail:
                status = self.fail[path].pop(0) if isinstance(self.fail[path], list) else self.fail[path]
                if status:
                    return status, json.dumps({"message": "injected %d" % status, "reason": "Injected"}).encode()
            if path in DISCOVERY:
                return 200, json.dumps({"resources": [{"name": n, "kind": k, "namespaced": ns}
                                                      for n, k, ns in DISCOVERY[path]]}).encode()
            query = dict(query)
            plurals = {n for listing in DISCOVERY.values() for n, _k, _ns in listing}
            if method == "GET" and path in self.objects:
                return 200, json.dumps(self.objects[path]).encode()
            if method == "GET" and path.rsplit("/", 1)[-1] in plurals:
                return self._list(path, query)
            if method == "GET":                         # an absent object, or a group version nobody serves
                return 404, b'{"message": "not found", "reason": "NotFound"}'
            if method == "PATCH":
                assert content_type == "application/apply-patch+yaml" and query["fieldManager"]
                return self._apply(path, body, query.get("dryRun") == "All")
            if method == "DELETE":
                if path not in self.objects:
                    return 404, b'{"message": "not found", "reason": "NotFound"}'
                if query.get("dryRun") != "All":
                    del self.objects[path]
                return 200, b"{}"
        raise AssertionError((method, path))

    def _list(self, path, query):
        items = [o for p, o in sorted(self.objects.items()) if p.rsplit("/", 1)[0] == path
                 or (p.split("/")[-2] == path.split("/")[-1] and "/namespaces/" in p and "/namespaces/" not in path)]
        selector = query.get("labelSelector")
        if selector:
            pairs = [s.split("=") for s in selector.split(",")]
            items = [o for o in items if all(o["metadata"].get("labels", {}).get(k) == v for k, v in pairs)]
        field = query.get("fieldSelector")
        if field:
            assert field.startswith("metadata.name="), field
            items = [o for o in items if o["metadata"]["name"] == field.split("=", 1)[1]]
        start = int(query.get("continue") or 0)
        chunk = items[start:start + self.page]
        more = str(start + self.page) if start + self.page < len(items) else ""
        return 200, json.dumps({"items": [dict((k, v) for k, v in o.items() if k not in ("apiVersion", "kind"))
                                          for o in chunk], "metadata": {"continue": more}}).encode()

    def _apply(self, path, body, dry_run):
        namespace = body["metadata"].get("namespace")
        if namespace and "/api/v1/namespaces/%s" % namespace not in self.objects:
            return 404, json.dumps({"message": 'namespaces "%s" not found' % namespace}).encode()
        live = self.objects.get(path)
        result = copy.deepcopy(live) if live else {"apiVersion": body["apiVersion"], "kind": body["kind"],
                                                   "metadata": {"name": body["metadata"]["name"]}}
        if namespace:
            result["metadata"]["namespace"] = namespace
        for key in ("labels",):
            if key in body["metadata"]:
                result["metadata"][key] = dict(body["metadata"][key])
        for key, value in body.items():
            if key not in ("apiVersion", "kind", "metadata"):
                result[key] = copy.deepcopy(value)
        self.version += 1
        result["metadata"]["managedFields"] = [{"manager": "x", "time": str(self.version)}]
        if live is None or changes.changed(live, result):
            result["metadata"]["resourceVersion"] = str(self.version)
        if not dry_run:
            self.objects[path] = result
        return 200, json.dumps(result).encode()


def _namespace(name, **labels):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def _cnp(namespace, name, rule="a"):
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
            "metadata": {"name": name, "namespace": namespace,
                         "labels": {"app.kubernetes.io/managed-by": "netstack.baremetal",
                                    "netstack.baremetal/tenant": namespace}},
            "spec": {"endpointSelector": {}, "ingress": [{"fromEntities": [rule]}]}}


@pytest.fixture
def api():
    return FakeApi()


@pytest.fixture
def cluster(api):
    return Cluster(api.request, sleep=lambda _s: None)


def test_paths_come_from_one_discovery_call_per_group_version(api, cluster):
    assert cluster.path("v1", "Namespace", name="a") == "/api/v1/namespaces/a"
    assert cluster.path("v1", "ConfigMap", "ns", "c") == "/api/v1/namespaces/ns/configmaps/c"
    assert cluster.path("cilium.io/v2", "CiliumClusterwideNetworkPolicy", "ignored", "p") == \
        "/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies/p"
    assert cluster.path("v1", "Namespace") == "/api/v1/namespaces"
    assert [c[1] for c in api.calls] == ["/api/v1", "/apis/cilium.io/v2"]
    with pytest.raises(KubeError, match="serves no kind Gateway in v1"):
        cluster.path("v1", "Gateway")
    with pytest.raises(KubeError, match="does not serve gateway.networking.k8s.io/v1"):
        cluster.path("gateway.networking.k8s.io/v1", "Gateway")


def test_list_follows_continue_and_sets_kind(api, cluster):
    for name in "abcde":
        cluster.apply(_namespace(name), "m")
    found = cluster.list("v1", "Namespace")
    assert [o["metadata"]["name"] for o in found] == list("abcde")
    assert {(o["apiVersion"], o["kind"]) for o in found} == {("v1", "Namespace")}
    pages = [c for c in api.calls if c[0] == "GET" and c[1] == "/api/v1/namespaces"]
    assert len(pages) == 3 and [p[2].get("continue") for p in pages] == [None, "2", "4"]
    assert not [p for p in pages if "resourceVersion" in p[2]]           # consistent by default
    api.calls[:] = []
    assert [o["metadata"]["name"] for o in cluster.list("v1", "Namespace", cached=True)] == list("abcde")
    # from the watch cache: the first page names version 0, a continued page only its token (the server refuses both)
    assert [p[2].get("resourceVersion") for p in api.calls] == ["0", None, None]


def test_throttling_is_retried_and_other_failures_are_not(api, cluster):
    api.fail["/api/v1/namespaces/a"] = [429, 503, 0]
    assert cluster.get(_namespace("a")) is None           # 404 after two retries: absent
    api.fail["/api/v1/namespaces/b"] = [403]
    with pytest.raises(KubeError) as raised:
        cluster.get(_namespace("b"))
    assert raised.value.status == 403 and "Namespace b: injected 403" in str(raised.value)


def test_a_change_is_what_the_server_holds_differently():
    live = {"apiVersion": "v1", "kind": "Namespace", "status": {"phase": "Active"},
            "metadata": {"name": "a", "resourceVersion": "1", "uid": "u", "managedFields": [{"manager": "x"}],
                         "labels": {"k": "v"}}}
    resorted = copy.deepcopy(live)
    resorted["metadata"].update(managedFields=[{"manager": "y"}], resourceVersion="2")
    resorted["status"] = {"phase": "Terminating"}
    assert not changes.changed(live, resorted)
    relabelled = copy.deepcopy(live)
    relabelled["metadata"]["labels"]["k"] = "w"
    assert changes.changed(live, relabelled) and changes.changed(None, live)
    entry = changes.diff_entry("Namespace a", live, relabelled)
    assert entry["before_header"] == "Namespace a (live)" and entry["after_header"] == "Namespace a"
    assert "k: v" in entry["before"] and "k: w" in entry["after"] and "managedFields" not in entry["after"]
    gone = changes.diff_entry("Namespace a", live, None)
    assert gone["after"] == "" and gone["after_header"].endswith("(deleted)")


def test_batch_sends_namespaces_first_and_reports_only_real_changes(api, cluster):
    cluster.apply(_namespace("t1", a="1"), "m")
    live = cluster.list("v1", "Namespace")
    api.calls[:] = []
    run = Batch(cluster, live, "m", with_diff=True)
    run.apply([_cnp("t2", "p"), _namespace("t1", a="1"), _namespace("t2")])
    writes = [c[1] for c in api.calls if c[0] == "PATCH"]
    assert writes.index("/apis/cilium.io/v2/namespaces/t2/ciliumnetworkpolicies/p") == 2   # after both Namespaces
    assert sorted(run.changed) == ["CiliumNetworkPolicy t2/p", "Namespace t2"]
    assert run.unchanged == ["Namespace t1"]                 # sent again, nothing moved: no change
    assert [d["after_header"] for d in run.diff] == ["Namespace t2", "CiliumNetworkPolicy t2/p"]
    assert run.errors == []


def test_batch_collects_failures_and_dry_run_does_not_wait_for_namespaces(api, cluster):
    run = Batch(cluster, [], "m", dry_run=True)
    run.apply([_cnp("missing", "p")])
    assert [e.status for e in run.errors] == [404]
    assert len([c for c in api.calls if c[0] == "PATCH"]) == 1          # not retried in check mode
    assert api.objects == {}
    api.calls[:] = []
    applied = Batch(cluster, [], "m")
    applied.apply([_cnp("missing", "p")])
    assert len([c for c in api.calls if c[0] == "PATCH"]) == 5 and applied.errors  # waited, then gave up


def _section(objects, partial=False):
    namespaces = sorted({o["metadata"]["name"] for o in objects if o["kind"] == "Namespace"})
    return {"partial": partial, "policies_enforced": True, "variant": "cilium", "label_domain": "tenant.example",
            "tenants": [{"namespace": n, "objects": [o for o in objects if o["metadata"].get("namespace", o[
                "metadata"]["name"]) == n]} for n in namespaces]}


def test_apply_to_cluster_check_mode_sends_no_write_and_shows_what_waits(api, cluster):
    planned = [_namespace("tenant-a"), _cnp("tenant-a", "allow")]
    outcome = tenant_day2.apply_to_cluster(cluster, _section(planned), "netstack-tenants", check=True,
                                           with_diff=True)
    assert api.objects == {} and outcome["changed"]
    assert [c[2].get("dryRun") for c in api.calls if c[0] == "PATCH"] == ["All"]   # the Namespace only
    waiting = [p["awaiting_namespace"] for p in outcome["phases"]]
    assert ["CiliumNetworkPolicy tenant-a/allow"] in waiting
    assert outcome["pending_namespaces"] == ["tenant-a"]
    assert any(d["after_header"] == "CiliumNetworkPolicy tenant-a/allow " + tenant_day2.AWAITING_NOTE
               for d in outcome["diff"])
    reads = [c for c in api.calls if c[0] == "GET" and ("/namespaces" in c[1] or "ciliumclusterwide" in c[1])]
    assert reads and all(c[2].get("resourceVersion") == "0" for c in reads)      # decided from the watch cache
    # applied for real, then run again: nothing sent, nothing changed
    first = tenant_day2.apply_to_cluster(cluster, _section(planned), "netstack-tenants")
    assert first["changed"] and not first["errors"] and len(api.objects) == 2
    api.calls[:] = []
    again = tenant_day2.apply_to_cluster(cluster, _section(planned), "netstack-tenants")
    assert not again["changed"] and again["phases"] == [] and [c for c in api.calls if c[0] != "GET"] == []


def test_apply_to_cluster_stops_after_a_failed_phase(api, cluster):
    planned = [_namespace("tenant-a"), _cnp("tenant-a", "allow")]
    tenant_day2.apply_to_cluster(cluster, _section(planned), "netstack-tenants")
    widened = [_namespace("tenant-a"), _cnp("tenant-a", "allow", rule="cluster")]
    api.fail["/apis/cilium.io/v2/namespaces/tenant-a/ciliumnetworkpolicies/allow"] = 422
    outcome = tenant_day2.apply_to_cluster(cluster, _section(widened), "netstack-tenants")
    assert outcome["errors"] and "injected 422" in outcome["errors"][0]
    assert len(outcome["phases"]) == 1
    assert api.objects["/apis/cilium.io/v2/namespaces/tenant-a/ciliumnetworkpolicies/allow"]["spec"][
        "ingress"] == [{"fromEntities": ["a"]}]


def test_one_tenant_reads_are_scoped_to_it():
    section = {"partial": True, "policies_enforced": True, "variant": "kubeovn-cilium",
               "tenants": [{"namespace": "tenant-x", "objects": []}]}
    reads = tenant_day2.live_reads(section)
    assert reads[0] == ("v1", "Namespace", None, None, ["metadata.name=tenant-x"])
    scoped = reads[1:]
    assert all("netstack.baremetal/tenant=tenant-x" in r[3] for r in scoped)
    assert [r[2] for r in scoped] == ["tenant-x", None, None]        # CNP in its namespace; CCNP, Subnet by label
    whole = tenant_day2.live_reads(dict(section, partial=False, variant="cilium"))
    assert [r[1] for r in whole] == ["Namespace", "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"]
    assert whole[0][4] is None and whole[1][2] is None


def test_one_tenants_gateway_part_reads_only_the_namespaces_its_batches_name(api, cluster):
    from ansible_collections.netstack.baremetal.plugins.module_utils import gateway_apply
    for name in ("tenant-a", "cozy-dashboard", "other"):
        cluster.apply(_namespace(name), "m")
    section = {"partial": True, "apply": [
        {"name": "tenant", "existing_only": False, "objects": [_cnp("tenant-a", "p"), _namespace("tenant-a")]},
        {"name": "attached-namespaces", "existing_only": True,
         "objects": [_namespace("cozy-dashboard"), _namespace("cozy-missing")]}]}
    api.calls[:] = []
    found = gateway_apply.live_namespaces(cluster, section, section["apply"])
    assert sorted(o["metadata"]["name"] for o in found) == ["cozy-dashboard", "tenant-a"]
    assert sorted(c[2]["fieldSelector"] for c in api.calls if c[0] == "GET") == [
        "metadata.name=cozy-dashboard", "metadata.name=cozy-missing", "metadata.name=tenant-a"]
