# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/cluster_network.yml in apply mode against a real Kubernetes API server, with a real helm.

The site is inventories/kubeadm-small (Kube-OVN + Cilium chained, MetalLB L2) with the Gateway API on.
Upstream charts and the Gateway API CRDs cannot be downloaded here, so every source goes through the
inventory keys an air-gapped site uses (``netstack_cluster.components.<component>.path``): the charts are
the project's stand-in chart (tests/fixtures/charts/standin: a ConfigMap with the values Helm received, a
DaemonSet and a Deployment), the Gateway API CRDs a local directory. Cilium's stand-in carries the
``cilium.io`` CRDs (cilium-operator installs them on a real cluster) and MetalLB's the ``metallb.io`` ones (as
its chart does), rebuilt from the upstream schemas (crds.py), so the server validates our objects against
the real CRD schemas. Pods never run on this server: readiness waits are off (``cluster_network_wait=false``).
The inventories say the server's own Kubernetes version (on the kit's 1.36, port security is a
MutatingAdmissionPolicy; the webhook of older versions is tested in test_port_security_apply.py).

In file order (one module, one server): the preflight refuses a site whose sources are missing and
changes nothing; the first apply installs everything; every object passes strict field validation; a
second run changes nothing; ``--check --diff`` after an inventory change shows it and alters nothing.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import functools
import glob
import os
import shutil
import socket
import subprocess
import sys

import pytest
import yaml

import crds
from conftest import server_version
from playbook_run import REPO, recap, run_playbook

BIN = os.path.dirname(sys.executable)
STANDIN = os.path.join(REPO, "tests", "fixtures", "charts", "standin")
INSTALL_HELM = os.path.join(REPO, "tests", "tools", "install_helm.sh")
NO_WAIT = ("-e", "cluster_network_wait=false")
RELEASES = {"cilium": "cozy-cilium", "kubeovn": "cozy-kubeovn", "metallb": "cozy-metallb"}


@pytest.fixture(scope="module")
def helm():
    """The pinned helm 3 in the venv (tests/tools/install_helm.sh; `make integration` runs it first)."""
    path = os.path.join(BIN, "helm")
    result = subprocess.run([INSTALL_HELM, os.path.dirname(BIN)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, check=False)
    if result.returncode != 0:
        if os.environ.get("NETSTACK_TEST_REQUIRE_KUBE_API") == "1":
            pytest.fail("helm: %s" % result.stdout)
        pytest.skip("no helm 3 in the venv and tests/tools/install_helm.sh failed: %s" % result.stdout.strip())
    return path


# one API call per server, however many sites the module writes
_server_version = functools.lru_cache(maxsize=None)(server_version)


def _write_site(root, kubeconfig, components, pools=None, base="kubeadm-small"):
    """inventories/<base> in apply mode against ``kubeconfig``, with these component sources and the server's
    Kubernetes version (it decides how port security is installed: docs/cluster_network.md)."""
    inventory = root / "inventory"
    if inventory.exists():
        shutil.rmtree(str(inventory))
    shutil.copytree(os.path.join(REPO, "inventories", base), str(inventory))
    cluster_file = inventory / "group_vars" / "all" / "cluster.yml"
    data = yaml.safe_load(cluster_file.read_text())
    data.update(netstack_mode="apply", netstack_kubeconfig=kubeconfig, netstack_bundle_dir=str(root / "bundle"))
    cluster = data["netstack_cluster"]
    cluster["kubernetes_version"] = _server_version(kubeconfig)
    cluster.setdefault("features", {}).setdefault("gateway_api", {})["enabled"] = True
    cluster["components"] = components
    cluster_file.write_text(yaml.safe_dump(data))
    if pools:
        lb_file = inventory / "group_vars" / "all" / "load_balancer.yml"
        lb = yaml.safe_load(lb_file.read_text())
        lb["netstack_load_balancer"]["pools"] = pools
        lb_file.write_text(yaml.safe_dump(lb))
    return inventory


def _chart_with_crds(target, groups):
    shutil.copytree(STANDIN, str(target))
    (target / "crds").mkdir()
    for group in groups:
        (target / "crds" / (group + ".yaml")).write_text(yaml.safe_dump_all(crds.crd_documents(group)))
    return str(target)


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """Local copies of every source, as an air-gapped site keeps them; returns the components block."""
    root = tmp_path_factory.mktemp("sources")
    gateway = root / "gateway-api"
    gateway.mkdir()
    documents = crds.crd_documents("gateway.networking.k8s.io")
    half = len(documents) // 2  # a directory of several files: every one is applied
    (gateway / "10-gateway-api.yaml").write_text(yaml.safe_dump_all(documents[:half]))
    (gateway / "20-gateway-api.yml").write_text(yaml.safe_dump_all(documents[half:]))
    (gateway / "README.txt").write_text("not a manifest: ignored")
    return {
        "cilium": {"path": _chart_with_crds(root / "cilium", ["cilium.io"])},
        "kube_ovn": {"path": STANDIN},
        "metallb": {"path": _chart_with_crds(root / "metallb", ["metallb.io"])},
        "gateway_api_crds": {"path": str(gateway)},
    }


@pytest.fixture(scope="module")
def dynamic(kube_api):
    from kubernetes import dynamic as dynamic_client  # pylint: disable=import-outside-toplevel
    return dynamic_client.DynamicClient(kube_api.api_client())


@pytest.fixture(scope="module")
def site(tmp_path_factory, kube_api, sources):
    root = tmp_path_factory.mktemp("site")
    return root, _write_site(root, kube_api.kubeconfig, sources)


# What the cluster network owns: only these are compared, so tests of other areas sharing the server (tenant
# namespaces being finalized, say) cannot make this file flaky.
OWN_CRD_GROUPS = (".gateway.networking.k8s.io", ".metallb.io", ".cilium.io", ".k8s.cni.cncf.io", ".kilo.squat.ai")


def _version(item):
    """What changes when someone writes the object: its generation (spec changes bump it; status updates by the
    controller manager, e.g. a Deployment's progress deadline, do not) with its labels and annotations where it
    has one, else its resourceVersion."""
    if not item.metadata.generation:
        return ("rv", item.metadata.resourceVersion)
    meta = item.to_dict()["metadata"]
    return ("generation", item.metadata.generation, sorted((meta.get("labels") or {}).items()),
            sorted((meta.get("annotations") or {}).items()))


def _state(dynamic):
    """What the playbook could have touched: the cozy-* namespaces and the objects of the kinds it applies there,
    the CRDs of the groups it installs or uses, its cluster-wide policy."""
    state = {}
    for item in dynamic.resources.get(api_version="v1", kind="Namespace").get().items:
        if item.metadata.name.startswith("cozy-"):
            state[("Namespace", item.metadata.name)] = _version(item)
    for item in dynamic.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition").get().items:
        if item.metadata.name.endswith(OWN_CRD_GROUPS):
            state[("CustomResourceDefinition", item.metadata.name)] = _version(item)
    for api_version, kind in (("v1", "Secret"), ("v1", "ConfigMap"), ("apps/v1", "DaemonSet"),
                              ("apps/v1", "Deployment"), ("metallb.io/v1beta1", "IPAddressPool"),
                              ("metallb.io/v1beta1", "L2Advertisement"),
                              ("cilium.io/v2", "CiliumClusterwideNetworkPolicy")):
        try:
            items = dynamic.resources.get(api_version=api_version, kind=kind).get().items
        except Exception:  # pylint: disable=broad-except  # its CRD is not there (yet): nothing to compare
            continue
        for item in items:
            namespace = item.metadata.namespace
            if namespace is None or namespace.startswith("cozy-"):
                state[(kind, namespace, item.metadata.name)] = _version(item)
    return state


def _bundle_objects(bundle):
    objects = []
    for path in sorted(glob.glob(os.path.join(str(bundle), "cluster_network", "manifests", "*.yaml"))):
        with open(path) as handle:
            objects.extend(doc for doc in yaml.safe_load_all(handle) if doc)
    return objects


def _get(dynamic, obj):
    resource = dynamic.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
    return resource.get(name=obj["metadata"]["name"], namespace=obj["metadata"].get("namespace"))


def _closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_preflight_refuses_missing_sources_and_changes_nothing(tmp_path, kube_api, dynamic, helm):
    del helm
    missing = tmp_path / "missing"
    port = _closed_port()
    inventory = _write_site(tmp_path, kube_api.kubeconfig, {
        "cilium": {"path": str(missing / "cilium-1.19.5.tgz")},
        "kube_ovn": {"repo": "http://127.0.0.1:%d/charts" % port},
        "metallb": {"path": str(tmp_path)},  # a directory, but no chart in it
        "gateway_api_crds": {"url": "http://127.0.0.1:%d/gateway-api/{version}/{channel}-install.yaml" % port},
    })
    before = _state(dynamic)
    rc, out = run_playbook("cluster_network.yml", [inventory], *NO_WAIT,
                           "-e", "cluster_network_helm_binary=%s" % (tmp_path / "no-helm"))
    assert rc != 0, out
    assert recap(out)["localhost"]["failed"] == 1, out
    assert out.count("fatal:") == 1, out  # one failing task, one message listing all five
    assert "cluster network preflight: nothing was changed; 5 source(s) missing or unreachable" in out, out
    for expected in ("helm: %s does not exist or is not executable" % (tmp_path / "no-helm"),
                     "cilium: chart %s does not exist" % (missing / "cilium-1.19.5.tgz"),
                     "kube-ovn: chart repository http://127.0.0.1:%d/charts unreachable" % port,
                     "metallb: chart directory %s has no Chart.yaml" % tmp_path,
                     "gateway-api-crds: manifest http://127.0.0.1:%d/gateway-api/v1.5.1/experimental-install.yaml "
                     "unreachable" % port):
        assert expected in out, (expected, out)
    assert "Apply release" not in out
    assert _state(dynamic) == before


def test_preflight_refuses_helm_4(tmp_path, kube_api, sources, helm):
    """kubernetes.core 6.x calls `helm list --all`, gone in helm 4: refused up front, not mid-rollout."""
    del helm
    fake = tmp_path / "helm"
    fake.write_text("#!/bin/sh\nprintf v4.1.4\n")
    fake.chmod(0o755)
    inventory = _write_site(tmp_path, kube_api.kubeconfig, sources)
    rc, out = run_playbook("cluster_network.yml", [inventory], *NO_WAIT, "-e", "cluster_network_helm_binary=%s" % fake,
                           "-e", '{"cluster_network_releases": ["cilium"]}')
    assert rc != 0, out
    assert "1 source(s) missing" in out and "helm: %s is v4.1.4; kubernetes.core 6.x needs helm 3" % fake in out, out


def test_first_apply_installs_every_release(site, dynamic, helm):
    root, inventory = site
    rc, out = run_playbook("cluster_network.yml", [inventory], *NO_WAIT)
    assert rc == 0, out
    assert recap(out)["localhost"]["failed"] == 0 and recap(out)["localhost"]["changed"] > 0, out
    assert "unknown field" not in out.lower(), out  # the server's warnings for fields it would drop
    objects = _bundle_objects(root / "bundle")
    kinds = set(obj["kind"] for obj in objects)
    assert {"Namespace", "ConfigMap", "CiliumClusterwideNetworkPolicy", "IPAddressPool", "L2Advertisement",
            "DaemonSet", "CustomResourceDefinition"} <= kinds, kinds
    for obj in objects:
        live = _get(dynamic, obj)
        assert live.metadata.name == obj["metadata"]["name"]
        managers = [entry.manager for entry in live.metadata.managedFields or []]
        assert "netstack" in managers, (obj["kind"], obj["metadata"]["name"], managers)
    # Every Gateway API CRD of the local directory is there and Established.
    for document in crds.crd_documents("gateway.networking.k8s.io"):
        live = _get(dynamic, document)
        assert {(c.type, c.status) for c in live.status.conditions} >= {("Established", "True")}
    # Helm got exactly the values of the bundle: the stand-in chart stored them in a ConfigMap.
    for release, namespace in RELEASES.items():
        name = {"kubeovn": "kube-ovn"}.get(release, release)
        with open(str(root / "bundle" / "cluster_network" / "values" / ("%s.yaml" % name))) as handle:
            wanted = yaml.safe_load(handle)
        live = dynamic.resources.get(api_version="v1", kind="ConfigMap").get(name=release + "-values",
                                                                             namespace=namespace)
        received = yaml.safe_load(live.data["values.yaml"])
        received.pop("standinImage")
        assert received == wanted, release
        status = subprocess.run([helm, "status", release, "-n", namespace, "-o", "json", "--kubeconfig",
                                 str(inventory_kubeconfig(inventory))], stdout=subprocess.PIPE,
                                universal_newlines=True, check=True).stdout
        assert '"status":"deployed"' in status.replace(" ", ""), status


def inventory_kubeconfig(inventory):
    data = yaml.safe_load((inventory / "group_vars" / "all" / "cluster.yml").read_text())
    return data["netstack_kubeconfig"]


def test_every_object_passes_strict_field_validation(site, dynamic, helm):
    """Each object we generate, each one Helm rendered and each CRD, re-sent as a server-side dry run with
    fieldValidation=Strict: an unknown or duplicated field would be an error, not a dropped field."""
    root, inventory = site
    objects = _bundle_objects(root / "bundle")
    for release, namespace in RELEASES.items():
        manifest = subprocess.run([helm, "get", "manifest", release, "-n", namespace, "--kubeconfig",
                                   inventory_kubeconfig(inventory)], stdout=subprocess.PIPE,
                                  universal_newlines=True, check=True).stdout
        rendered = [doc for doc in yaml.safe_load_all(manifest) if doc]
        assert {"ConfigMap", "DaemonSet", "Deployment"} <= set(doc["kind"] for doc in rendered)
        for doc in rendered:
            doc["metadata"].setdefault("namespace", namespace)
        objects.extend(rendered)
    objects.extend(crds.crd_documents("gateway.networking.k8s.io"))
    strict = [("fieldValidation", "Strict")]
    for obj in objects:
        resource = dynamic.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
        resource.server_side_apply(body=obj, field_manager="netstack", dry_run="All", force_conflicts=True,
                                   query_params=list(strict))
    # The check has teeth: the same server refuses an unknown field under Strict.
    from kubernetes.client.exceptions import ApiException  # pylint: disable=import-outside-toplevel
    pool = next(obj for obj in objects if obj["kind"] == "IPAddressPool")
    bad = dict(pool, spec=dict(pool["spec"], autoAssing=True))
    resource = dynamic.resources.get(api_version=pool["apiVersion"], kind=pool["kind"])
    with pytest.raises(ApiException) as refused:
        resource.server_side_apply(body=bad, field_manager="netstack", dry_run="All", force_conflicts=True,
                                   query_params=list(strict))
    assert "autoAssing" in str(refused.value.body)


def test_second_run_changes_nothing(site, dynamic, helm):
    del helm
    _root, inventory = site
    before = _state(dynamic)
    rc, out = run_playbook("cluster_network.yml", [inventory], *NO_WAIT)
    assert rc == 0, out
    assert recap(out)["localhost"]["changed"] == 0, out
    assert _state(dynamic) == before


def test_check_diff_after_an_inventory_change_shows_it_and_alters_nothing(tmp_path, kube_api, sources, site,
                                                                          dynamic, helm):
    del helm
    root, _inventory = site
    changed = _write_site(tmp_path, kube_api.kubeconfig, dict(sources, cilium=dict(
        sources["cilium"], values={"operator": {"replicas": 2}})),
        pools=[{"name": "public", "addresses": ["10.70.0.100-10.70.0.120"], "vlan": "external"}])
    # Same bundle directory as the applied site: --check must not rewrite it either.
    data = yaml.safe_load((changed / "group_vars" / "all" / "cluster.yml").read_text())
    data["netstack_bundle_dir"] = str(root / "bundle")
    (changed / "group_vars" / "all" / "cluster.yml").write_text(yaml.safe_dump(data))
    bundle_before = {path: open(path).read() for path in glob.glob(str(root / "bundle" / "**" / "*"), recursive=True)
                     if os.path.isfile(path)}
    pool = {"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
            "metadata": {"name": "public", "namespace": "cozy-metallb"}}
    values = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cilium-values", "namespace": "cozy-cilium"}}
    pool_before, values_before = _get(dynamic, pool).to_dict(), _get(dynamic, values).to_dict()
    state_before = _state(dynamic)

    rc, out = run_playbook("cluster_network.yml", [changed], *NO_WAIT, "--check", "--diff")
    assert rc == 0, out
    counts = recap(out)["localhost"]
    assert counts["failed"] == 0 and counts["changed"] >= 2, out
    assert "10.70.0.100-10.70.0.120" in out, out          # the pool's new range in the object diff
    assert "changed: [localhost]" in out.split("Install or upgrade Helm release cozy-cilium/cilium")[1][:400], out

    assert _get(dynamic, pool).to_dict() == pool_before
    assert _get(dynamic, values).to_dict() == values_before
    assert pool_before["spec"]["addresses"] == ["10.70.0.100-10.70.0.150"]
    assert "replicas: 2" not in values_before["data"]["values.yaml"].split("operator:")[1][:80]
    assert _state(dynamic) == state_before
    bundle_after = {path: open(path).read() for path in glob.glob(str(root / "bundle" / "**" / "*"), recursive=True)
                    if os.path.isfile(path)}
    assert bundle_after == bundle_before


def test_example_site_bgp_peers_bfd_and_the_password_secret(tmp_path, kube_api, sources, dynamic, helm):
    """inventories/example (Talos, MetalLB BGP with BFD and a session password) on the same server: the BGPPeers,
    the BFD profile and the Secret built from the inventory variable land, strictly valid; the password is in the
    Secret and nowhere in the output."""
    del helm
    inventory = _write_site(tmp_path, kube_api.kubeconfig, sources, base="example")
    secrets = yaml.safe_load((inventory / "group_vars" / "all" / "secrets.yml").read_text())
    password = secrets["vault_netstack_bgp_password"]
    rc, out = run_playbook("cluster_network.yml", [inventory], *NO_WAIT)
    assert rc == 0, out
    assert password not in out
    objects = _bundle_objects(tmp_path / "bundle")
    peers = [obj for obj in objects if obj["kind"] == "BGPPeer"]
    assert peers and all(p["spec"]["passwordSecret"]["name"] == "netstack-bgp-password" for p in peers)
    assert any(obj["kind"] == "BFDProfile" for obj in objects)
    strict = [("fieldValidation", "Strict")]
    for obj in objects:
        live = _get(dynamic, obj)
        assert "netstack" in [entry.manager for entry in live.metadata.managedFields or []]
        resource = dynamic.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
        resource.server_side_apply(body=obj, field_manager="netstack", dry_run="All", force_conflicts=True,
                                   query_params=list(strict))
    secret = dynamic.resources.get(api_version="v1", kind="Secret").get(name="netstack-bgp-password",
                                                                        namespace="cozy-metallb")
    assert secret.type == "kubernetes.io/basic-auth"
    assert base64.b64decode(secret.data["password"]).decode() == password
