# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nodes area: Talos documents against the real Talos schema, per-node pieces, the bundle."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import ipaddress
import json
import pathlib

import jsonschema
import pytest
import yaml

import sitegen
from inventory_loader import load_inventory

from ansible_collections.netstack.baremetal.plugins.module_utils import nodes_common, nodes_talos
from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_mod
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import PlanError

REPO = pathlib.Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO.parent / "shared" / "schemas" / "talos" / "config.schema.json"


@pytest.fixture(scope="module")
def talos_validator():
    if not SCHEMA_PATH.is_file():
        pytest.skip("Talos schema not found at %s" % SCHEMA_PATH)
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))


@pytest.fixture(scope="module")
def example_plan():
    return plan_mod.build_plan(*load_inventory(REPO / "inventories" / "example"))


def schema_errors(validator, documents):
    errors = []
    for position, doc in enumerate(documents):
        for error in validator.iter_errors(nodes_talos.strip_patch_directives(doc)):
            errors.append("doc %d (%s) %s: %s"
                          % (position, doc.get("kind", "v1alpha1"), list(error.path), error.message[:200]))
    return errors


def site_plan(mutate=None, **kwargs):
    site = sitegen.make_site(**kwargs)
    if mutate:
        mutate(site)
    return plan_mod.build_plan(*site)


def set_cluster(site, **values):
    site[0]["netstack_cluster"].update(values)


def nodes_settings(site):
    return site[0]["netstack_cluster"].setdefault("nodes", {})


# --- Talos: every document of every example node is valid -------------------------------------------------

def test_every_example_node_matches_the_talos_schema(example_plan, talos_validator):
    checked = 0
    for host, node in example_plan["nodes"].items():
        documents = node["talos"]["patch"] + node["talos"]["network"]
        assert schema_errors(talos_validator, documents) == [], host
        assert all(nodes_talos.check_document(doc) == [] for doc in documents), host
        checked += len(documents)
    assert checked == 48   # 9 nodes: 2 patch docs, 3 network docs (hostname, bond with the node VLAN, storage VLAN) (+1 VIP on each of the 3 control planes)


def _task_count(tasks, tasks_dir):
    """Tasks a role file can run: those inside blocks (rescue and always included) and inside the files it
    imports statically, not the blocks or the imports themselves."""
    def one(task):
        if "block" in task:
            return _task_count(task["block"] + task.get("rescue", []) + task.get("always", []), tasks_dir)
        if "ansible.builtin.import_tasks" in task:
            imported = yaml.safe_load((tasks_dir / task["ansible.builtin.import_tasks"]).read_text())
            return _task_count(imported, tasks_dir)
        return 1
    return sum(one(task) for task in tasks)


def test_docs_task_counts_are_the_roles():
    # docs/nodes.md "Preparation tasks" states how many tasks the bootstrap roles run
    text = " ".join((REPO / "docs" / "nodes.md").read_text().split())
    count = {role: _task_count(yaml.safe_load((REPO / "roles" / role / "tasks" / "main.yml").read_text()),
                               REPO / "roles" / role / "tasks")
             for role in ("kubeadm_bootstrap", "talos_nodes")}
    assert ("`roles/kubeadm_bootstrap` runs at most %d (init, join and kubeconfig blocks included), "
            "`roles/talos_nodes` %d." % (count["kubeadm_bootstrap"], count["talos_nodes"])) in text


def test_bundle_text_is_the_planned_documents(example_plan):
    files = plan_mod.render_bundle(example_plan, ["nodes"])
    for host, node in example_plan["nodes"].items():
        assert list(yaml.safe_load_all(files["nodes/%s/talos-patch.yaml" % host])) == node["talos"]["patch"]
        assert list(yaml.safe_load_all(files["nodes/%s/network.yaml" % host])) == node["talos"]["network"]
    assert "talosctl gen config lab1 https://10.10.0.5:6443 --output-types controlplane" in files["nodes/README.md"]
    # the by-hand commands write the full config (it holds the cluster secrets) into the secrets directory
    talos_commands = [line for line in files["nodes/README.md"].splitlines() if "`talosctl gen config" in line]
    assert len(talos_commands) == len(example_plan["nodes"])
    for line in talos_commands:
        host = line.split("|")[1].strip()
        assert line.endswith(" -o <secrets dir>/nodes/%s/config.yaml` |" % host), line


# (a node with no uplink is refused at plan time: test_validation_physical.py)
@pytest.mark.parametrize("shape", ["single-uplink", "active-backup", "long-nic"])
def test_node_shapes_match_the_talos_schema(shape, talos_validator):
    def mutate(site):
        for host, entry in site[1].items():
            node = entry["netstack_node"]
            if shape == "single-uplink":
                node["uplinks"] = node["uplinks"][:1]
            elif shape == "active-backup":
                node["bond_mode"] = "active-backup"
            elif shape == "long-nic":
                node["uplinks"] = [dict(node["uplinks"][0], nic="enp129s0f1np1")]
    plan = site_plan(mutate, racks=1, nodes_per_rack=3, control_planes=1)
    for host, node in plan["nodes"].items():
        network = node["talos"]["network"]
        assert schema_errors(talos_validator, node["talos"]["patch"] + network) == []
        kinds = [d["kind"] for d in network]
        if shape == "active-backup":
            bond = next(d for d in network if d["kind"] == "BondConfig")
            assert bond["bondMode"] == "active-backup" and "lacpRate" not in bond
        else:
            assert "BondConfig" not in kinds and kinds.count("LinkConfig") == 1
        if shape == "long-nic":
            # enp129s0f1np1.20 would pass the kernel's 15-character limit; the node VLAN is the NIC itself
            assert [d["name"] for d in network if d["kind"] == "VLANConfig"] == ["vlan20"]
            link = next(d for d in network if d["kind"] == "LinkConfig")
            assert link["name"] == "enp129s0f1np1" and link["addresses"][0]["address"].startswith("10.")


# --- Talos: the per-node pieces ----------------------------------------------------------------------------

def _docs(plan, host, kind):
    node = plan["nodes"][host]["talos"]
    return [d for d in node["patch"] + node["network"] if d.get("kind", "v1alpha1") == kind]


def test_bond_vlans_addresses_and_default_route(example_plan):
    bond = _docs(example_plan, "w2", "BondConfig")[0]
    assert bond["links"] == ["enp1s0f0", "enp1s0f1"]
    assert (bond["bondMode"], bond["lacpRate"], bond["xmitHashPolicy"], bond["mtu"]) == (
        "802.3ad", "fast", "layer3+4", 9000)
    vlans = {d["vlanID"]: d for d in _docs(example_plan, "w2", "VLANConfig")}
    # the node VLAN (10) is untagged: its address and default route are the bond's own; storage is tagged;
    # external (no node_addresses) is not configured on nodes
    assert sorted(vlans) == [20]
    index = example_plan["nodes"]["w2"]["index"]
    assert bond["addresses"] == [{"address": "10.10.0.%d/24" % (10 + index)}]
    assert bond["routes"] == [{"gateway": "10.10.0.1"}]   # default route: the node VLAN's gateway
    assert vlans[20]["addresses"] == [{"address": "10.20.0.%d/24" % (10 + index)}]
    assert "routes" not in vlans[20]
    assert vlans[20]["parent"] == "bond0" and vlans[20]["mtu"] == 9000


def test_vip_only_on_control_plane_nodes(example_plan):
    for host, node in example_plan["nodes"].items():
        vips = _docs(example_plan, host, "Layer2VIPConfig")
        if node["role"] == "control-plane":
            assert vips == [{"apiVersion": "v1alpha1", "kind": "Layer2VIPConfig", "name": "10.10.0.5",
                             "link": "bond0"}]
        else:
            assert vips == []


def test_control_plane_and_worker_differences(example_plan):
    cp = _docs(example_plan, "cp1", "v1alpha1")[0]
    worker = _docs(example_plan, "w1", "v1alpha1")[0]
    assert cp["machine"]["type"] == "controlplane" and worker["machine"]["type"] == "worker"
    assert cp["machine"]["nodeLabels"] == {nodes_talos.EXCLUDE_LB_LABEL: {"$patch": "delete"}}
    assert "nodeLabels" not in worker["machine"]
    assert cp["cluster"]["allowSchedulingOnControlPlanes"] is True
    assert cp["cluster"]["controllerManager"]["extraArgs"] == {
        "bind-address": "0.0.0.0", "allocate-node-cidrs": "true", "cluster-cidr": "100.65.0.0/16",
        "node-cidr-mask-size": "24"}
    assert cp["cluster"]["etcd"]["advertisedSubnets"] == ["10.10.0.0/24"]
    assert cp["cluster"]["apiServer"]["certSANs"] == ["127.0.0.1", "10.10.0.5"]
    for key in ("allowSchedulingOnControlPlanes", "controllerManager", "etcd", "apiServer", "scheduler"):
        assert key not in worker["cluster"]
    for doc in (cp, worker):
        assert doc["cluster"]["proxy"] == {"disabled": True}
        assert doc["cluster"]["discovery"] == {"enabled": False}
        assert doc["cluster"]["network"]["cni"] == {"name": "none"}
        assert doc["cluster"]["network"]["dnsDomain"] == "cozy.local"
        assert doc["cluster"]["controlPlane"]["endpoint"] == "https://10.10.0.5:6443"
        assert doc["machine"]["kubelet"]["nodeIP"]["validSubnets"] == ["10.10.0.0/24"]
        assert doc["machine"]["install"] == {"disk": "/dev/nvme0n1",
                                             "image": "ghcr.io/cozystack/cozystack/talos:v1.13.6"}
        assert doc["machine"]["files"][0]["path"] == "/etc/cri/conf.d/20-customization.part"
        assert doc["machine"]["files"][0]["op"] == "create"


def test_cluster_cidr_is_the_pod_subnet_and_disjoint_from_kube_ovn(example_plan):
    networks = example_plan["networks"]
    for host in example_plan["nodes"]:
        doc = _docs(example_plan, host, "v1alpha1")[0]
        assert doc["cluster"]["network"]["podSubnets"] == [networks["cluster_cidr"]]
        assert doc["cluster"]["network"]["serviceSubnets"] == [networks["service_cidr"]]
    for other in ("pod_cidr", "join_cidr", "service_cidr"):
        assert not ipaddress.IPv4Network(networks["cluster_cidr"]).overlaps(ipaddress.IPv4Network(networks[other]))

    def same_as_pool(site):
        site[0]["netstack_cluster"]["networks"]["cluster_cidr"] = "10.244.0.0/16"
    with pytest.raises(PlanError) as caught:
        site_plan(same_as_pool, racks=1, nodes_per_rack=2, control_planes=1)
    assert any(p.path == "netstack_cluster.networks.cluster_cidr" for p in caught.value.problems)


@pytest.mark.parametrize("variant,talos_modules,generic_modules", [
    ("kubeovn-cilium", ["openvswitch"], None),
    ("cilium", [], None),
    ("cilium-kilo", [], None),
    ("kubeovn-cilium-generic", None, ["overlay", "br_netfilter", "ip_tables", "iptable_nat", "openvswitch", "geneve"]),
    ("cilium-generic", None, ["overlay", "br_netfilter", "ip_tables", "iptable_nat"]),
])
def test_kernel_modules_per_variant(variant, talos_modules, generic_modules):
    def mutate(site):
        set_cluster(site, variant=variant, node_os="talos" if talos_modules is not None else "kubeadm")
        if variant == "cilium-kilo":
            # cilium-kilo: no Kube-OVN ranges to collide with
            site[0]["netstack_cluster"]["networks"]["kilo_transit_cidr"] = "100.66.0.0/16"
    plan = site_plan(mutate, racks=1, nodes_per_rack=2, control_planes=1)
    node = next(iter(plan["nodes"].values()))
    if talos_modules is not None:
        machine = node["talos"]["patch"][0]["machine"]
        assert [m["name"] for m in machine.get("kernel", {}).get("modules", [])] == talos_modules
    else:
        assert node["kubeadm"]["modules"] == generic_modules


def test_extra_modules_sysctls_and_mirrors(talos_validator):
    def mutate(site):
        nodes_settings(site).update({
            "kernel_modules": [{"name": "drbd", "parameters": ["usermode_helper=disabled"]}, {"name": "openvswitch"}],
            "sysctls": {"net.ipv4.tcp_fin_timeout": "15", "vm.nr_hugepages": "1024"},
            "registry_mirrors": [{"registry": "*", "endpoints": ["https://registry.local"], "skip_fallback": True}],
            "nameservers": ["10.1.0.2"],
            "talos": {"version": "v1.12.6", "image": "registry.local/talos/installer:v1.12.6"},
        })
    plan = site_plan(mutate, racks=1, nodes_per_rack=2, control_planes=1)
    node = next(iter(plan["nodes"].values()))["talos"]
    machine = node["patch"][0]["machine"]
    assert machine["kernel"]["modules"] == [{"name": "openvswitch"},
                                            {"name": "drbd", "parameters": ["usermode_helper=disabled"]}]
    assert machine["sysctls"]["net.ipv4.tcp_fin_timeout"] == "15"
    assert machine["sysctls"]["vm.nr_hugepages"] == "1024"
    assert machine["install"]["image"] == "registry.local/talos/installer:v1.12.6"
    assert node["patch"][1] == {"apiVersion": "v1alpha1", "kind": "RegistryMirrorConfig", "name": "*",
                                "endpoints": [{"url": "https://registry.local"}], "skipFallback": True}
    assert node["network"][1] == {"apiVersion": "v1alpha1", "kind": "ResolverConfig",
                                  "nameservers": [{"address": "10.1.0.2"}]}
    assert "--talos-version" in node["gen_config"] and "v1.12" in node["gen_config"]
    assert schema_errors(talos_validator, node["patch"] + node["network"]) == []


def test_old_talos_is_refused():
    def mutate(site):
        nodes_settings(site)["talos"] = {"version": "v1.11.5"}
    with pytest.raises(PlanError) as caught:
        site_plan(mutate, racks=1, nodes_per_rack=2, control_planes=1)
    assert [p.path for p in caught.value.problems] == ["netstack_cluster.nodes.talos.version"]


def test_structural_check_catches_broken_documents():
    assert nodes_talos.check_document({"apiVersion": "v1alpha1", "kind": "VLANConfig", "name": "bond0.10",
                                       "parent": "bond0", "vlanID": 5000}) == ["VLANConfig: vlanID 5000 is not 1-4094"]
    assert "unknown kind 'Nope'" in nodes_talos.check_document({"apiVersion": "v1alpha1", "kind": "Nope"})[0]
    assert nodes_talos.check_document({"machine": {"network": {}}})[0].startswith("machine: key 'network'")
    assert nodes_talos.check_document({"cluster": {"controllerManager": {"extraArgs": {"a": True}}}}) == [
        "cluster.controllerManager.extraArgs.a must be a string, got True"]
    assert nodes_talos.check_document({"apiVersion": "v1alpha1", "kind": "LinkConfig", "name": "eth0",
                                       "addresses": [{"address": "10.0.0.1"}]}) == [
        "LinkConfig: address '10.0.0.1' needs a prefix length"]


def test_planner_refuses_a_node_whose_documents_fail_the_check(monkeypatch):
    original = nodes_talos._network_documents

    def broken(*args):
        docs = original(*args)
        docs.append({"apiVersion": "v1alpha1", "kind": "VLANConfig", "name": "x", "parent": "bond0", "vlanID": 0})
        return docs
    monkeypatch.setattr(nodes_talos, "_network_documents", broken)
    with pytest.raises(PlanError) as caught:
        site_plan(racks=1, nodes_per_rack=2, control_planes=1)
    assert all("invalid Talos configuration" in p.message for p in caught.value.problems)
    assert len(caught.value.problems) == 2


# --- a full config: the patches merged onto talosctl gen config output are still valid ---------------------

# Shape of `talosctl gen config --talos-version v1.13 --output-types controlplane --with-docs=false
# --with-examples=false` output (secrets replaced by placeholders).
GEN_CONFIG_CONTROLPLANE = """
version: v1alpha1
debug: false
machine:
  type: controlplane
  token: abcdef.0123456789abcdef
  ca: {crt: Q0VSVA==, key: S0VZ}
  certSANs: []
  kubelet:
    image: ghcr.io/siderolabs/kubelet:v1.33.5
    defaultRuntimeSeccompProfileEnabled: true
    disableManifestsDirectory: true
  install:
    disk: /dev/sda
    image: ghcr.io/siderolabs/installer:v1.13.6
    wipe: false
  features:
    diskQuotaSupport: true
    kubePrism: {enabled: true, port: 7445}
    hostDNS: {enabled: true, forwardKubeDNSToHost: true}
  nodeLabels:
    node.kubernetes.io/exclude-from-external-load-balancers: ""
cluster:
  id: Y2x1c3Rlcg==
  secret: c2VjcmV0
  controlPlane: {endpoint: "https://10.10.0.5:6443"}
  clusterName: lab1
  network:
    dnsDomain: cluster.local
    podSubnets: [10.244.0.0/16]
    serviceSubnets: [10.96.0.0/12]
  token: abcdef.0123456789abcdef
  secretboxEncryptionSecret: c2VjcmV0
  ca: {crt: Q0VSVA==, key: S0VZ}
  aggregatorCA: {crt: Q0VSVA==, key: S0VZ}
  serviceAccount: {key: S0VZ}
  apiServer:
    image: registry.k8s.io/kube-apiserver:v1.33.5
    certSANs: [10.10.0.5]
  controllerManager: {image: registry.k8s.io/kube-controller-manager:v1.33.5}
  proxy: {image: registry.k8s.io/kube-proxy:v1.33.5}
  scheduler: {image: registry.k8s.io/kube-scheduler:v1.33.5}
  discovery:
    enabled: true
    registries:
      kubernetes: {disabled: true}
      service: {}
  etcd:
    ca: {crt: Q0VSVA==, key: S0VZ}
---
apiVersion: v1alpha1
kind: HostnameConfig
auto: stable
"""
REPLACED_LISTS = {"podSubnets", "serviceSubnets"}   # Talos replaces these lists instead of appending


def talos_merge(base, patch, key=None):
    """Talos strategic merge: maps merge, `$patch: delete` removes, lists append (a few are replaced)."""
    if isinstance(patch, dict) and patch.get("$patch") == "delete":
        return None
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for k, v in patch.items():
            value = talos_merge(base.get(k), v, k) if k in base else nodes_talos.strip_patch_directives(v)
            if value is None and isinstance(v, dict) and v.get("$patch") == "delete":
                merged.pop(k, None)
            else:
                merged[k] = value
        return merged
    if isinstance(base, list) and isinstance(patch, list) and key not in REPLACED_LISTS:
        return base + [p for p in patch if p not in base]
    return copy.deepcopy(patch)


def merge_documents(base_docs, patch_docs):
    docs = [copy.deepcopy(d) for d in base_docs]
    for patch in patch_docs:
        ident = (patch.get("kind"), patch.get("name"))
        for position, doc in enumerate(docs):
            if (doc.get("kind"), doc.get("name")) == ident:
                docs[position] = talos_merge(doc, patch)
                break
        else:
            docs.append(nodes_talos.strip_patch_directives(patch))
    return docs


def test_patches_on_gen_config_output_make_a_valid_full_config(example_plan, talos_validator):
    base = list(yaml.safe_load_all(GEN_CONFIG_CONTROLPLANE))
    assert schema_errors(talos_validator, base) == []
    node = example_plan["nodes"]["cp1"]["talos"]
    full = merge_documents(base, node["patch"] + node["network"])
    assert schema_errors(talos_validator, full) == []
    machine, cluster = full[0]["machine"], full[0]["cluster"]
    assert "node.kubernetes.io/exclude-from-external-load-balancers" not in machine["nodeLabels"]
    assert cluster["network"]["podSubnets"] == ["100.65.0.0/16"]
    assert cluster["network"]["serviceSubnets"] == ["10.96.0.0/16"]
    assert cluster["network"]["dnsDomain"] == "cozy.local"
    assert cluster["proxy"]["disabled"] is True and cluster["discovery"]["enabled"] is False
    assert machine["features"]["kubePrism"] == {"enabled": True, "port": 7445}   # Cilium's API path on Talos
    assert full[1] == {"apiVersion": "v1alpha1", "kind": "HostnameConfig", "auto": "off", "hostname": "cp1"}


# --- determinism and the common helpers ---------------------------------------------------------------------

def test_rendering_is_deterministic(example_plan):
    again = plan_mod.build_plan(*load_inventory(REPO / "inventories" / "example"))
    assert plan_mod.render_bundle(example_plan, ["nodes"]) == plan_mod.render_bundle(again, ["nodes"])


def test_area_keeps_the_core_node_keys(example_plan):
    for node in example_plan["nodes"].values():
        for key in ("rack", "index", "role", "addresses", "uplinks", "bond_mode", "install_disk", "labels"):
            assert key in node
        assert node["os"] == "talos"


def test_vlan_link_names_fit_the_kernel_limit():
    assert nodes_common.vlan_link_name("bond0", 4094) == "bond0.4094"
    assert nodes_common.vlan_link_name("enp129s0f1np1", 10) == "vlan10"
    assert all(len(nodes_common.vlan_link_name("x" * n, 4094)) <= 15 for n in range(1, 16))
