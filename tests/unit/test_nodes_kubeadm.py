# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kubeadm half of the nodes area, on inventories/kubeadm-small and synthetic sites."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import configparser
import pathlib

import pytest
import yaml

import sitegen
from inventory_loader import load_inventory

from ansible_collections.netstack.baremetal.plugins.module_utils import nodes_kubeadm
from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_mod
from ansible_collections.netstack.baremetal.plugins.filter.bundle_yaml import bundle_yaml, bundle_yaml_all

REPO = pathlib.Path(__file__).resolve().parents[2]

try:
    import kubernetes_validate
except ImportError:  # pragma: no cover
    kubernetes_validate = None


@pytest.fixture(scope="module")
def small():
    return plan_mod.build_plan(*load_inventory(REPO / "inventories" / "kubeadm-small"))


@pytest.fixture(scope="module")
def bundle(small):
    return plan_mod.render_bundle(small, ["nodes"])


def kubeadm_docs(bundle, host):
    return list(yaml.safe_load_all(bundle["nodes/%s/kubeadm.yaml" % host]))


def ini(text):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    # networkd allows repeated keys (VLAN=): keep the last, the tests read repeated keys from the text
    parser.read_string(text)
    return parser


def test_small_inventory_is_a_kubeadm_site(small):
    assert small["cluster"]["node_os"] == "kubeadm"
    assert small["cluster"]["variant"] == "kubeovn-cilium-generic"
    assert small["load_balancer"]["mode"] == "l2"
    assert [(h, n["role"]) for h, n in small["nodes"].items()] == [
        ("cp1", "control-plane"), ("w1", "worker"), ("w2", "worker")]
    assert sorted(small["switches"]) == ["tor1", "tor2"]
    assert {n["kubeadm"]["role"] for n in small["nodes"].values()} == {"init", "worker"}


def test_init_configuration_skips_kube_proxy(bundle):
    init, cluster, kubelet = kubeadm_docs(bundle, "cp1")
    assert (init["apiVersion"], init["kind"]) == ("kubeadm.k8s.io/v1beta4", "InitConfiguration")
    assert init["skipPhases"] == ["addon/kube-proxy"]
    assert init["localAPIEndpoint"] == {"advertiseAddress": "10.50.0.11", "bindPort": 6443}
    assert init["nodeRegistration"]["kubeletExtraArgs"] == [{"name": "node-ip", "value": "10.50.0.11"}]
    assert init["nodeRegistration"]["taints"] == []
    assert (cluster["kind"], kubelet["kind"]) == ("ClusterConfiguration", "KubeletConfiguration")
    assert kubelet["cgroupDriver"] == "systemd"


def test_cluster_configuration_subnets_and_endpoint(bundle, small):
    cluster = kubeadm_docs(bundle, "cp1")[1]
    assert cluster["controlPlaneEndpoint"] == "10.50.0.5:6443"
    assert cluster["networking"] == {"dnsDomain": "cozy.local", "podSubnet": "100.65.0.0/16",
                                     "serviceSubnet": "10.96.0.0/16"}
    assert cluster["networking"]["podSubnet"] != small["networks"]["pod_cidr"]   # pitfall 3
    assert cluster["kubernetesVersion"] == "v1.33.5"
    assert {"name": "cluster-cidr", "value": "100.65.0.0/16"} in cluster["controllerManager"]["extraArgs"]
    assert {"name": "node-cidr-mask-size", "value": "24"} in cluster["controllerManager"]["extraArgs"]
    assert cluster["apiServer"]["certSANs"] == ["10.50.0.5", "127.0.0.1"]


def test_workers_join_through_the_vip_with_placeholders_only(bundle, small):
    for host in ("w1", "w2"):
        docs = kubeadm_docs(bundle, host)
        assert len(docs) == 1
        join = docs[0]
        assert join["kind"] == "JoinConfiguration"
        token = join["discovery"]["bootstrapToken"]
        assert token["apiServerEndpoint"] == "10.50.0.5:6443"
        assert token["token"] == nodes_kubeadm.TOKEN_PLACEHOLDER   # secrets only at join time
        assert "controlPlane" not in join and "taints" not in join["nodeRegistration"]
        assert join["nodeRegistration"]["kubeletExtraArgs"] == [
            {"name": "node-ip", "value": small["nodes"][host]["addresses"]["nodes"]}]
        assert small["nodes"][host]["kubeadm"]["join"] == join
        # what the bootstrap role writes is byte for byte the bundle file
        assert bundle_yaml_all(small["nodes"][host]["kubeadm"]["config_documents"]) == bundle["nodes/%s/kubeadm.yaml" % host]


def test_second_control_plane_joins_as_control_plane():
    plan = plan_mod.build_plan(*_kubeadm_site(control_planes=3))
    roles = [n["kubeadm"]["role"] for n in plan["nodes"].values()]
    assert roles[:3] == ["init", "control-plane", "control-plane"]
    join = plan["nodes"]["r1-n2"]["kubeadm"]["join"]
    assert join["controlPlane"] == {"localAPIEndpoint": {"advertiseAddress": "10.1.0.12", "bindPort": 6443},
                                    "certificateKey": nodes_kubeadm.CERT_KEY_PLACEHOLDER}
    assert join["nodeRegistration"]["taints"] == []
    # every control-plane node runs kube-vip with admin.conf, only the init node has the bootstrap variant
    assert all("kube_vip" in n["kubeadm"] for n in list(plan["nodes"].values())[:3])
    assert ["kube_vip_bootstrap" in n["kubeadm"] for n in list(plan["nodes"].values())[:3]] == [True, False, False]


def _kubeadm_site(**kwargs):
    site = sitegen.make_site(racks=1, nodes_per_rack=4, **kwargs)
    site[0]["netstack_cluster"].update(node_os="kubeadm", variant="kubeovn-cilium-generic")
    return site


def test_kube_vip_only_on_control_plane_and_valid(bundle, small):
    assert "nodes/cp1/kube-vip.yaml" in bundle
    assert not any(k.startswith("nodes/w") and k.endswith("kube-vip.yaml") for k in bundle)
    pod = yaml.safe_load(bundle["nodes/cp1/kube-vip.yaml"])
    env = {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}
    assert env["address"] == "10.50.0.5" and env["vip_interface"] == "bond0" and env["port"] == "6443"
    assert env["cp_enable"] == "true" and env["svc_enable"] == "false" and env["vip_arp"] == "true"
    assert pod["spec"]["volumes"][0]["hostPath"]["path"] == "/etc/kubernetes/admin.conf"
    bootstrap = small["nodes"]["cp1"]["kubeadm"]["kube_vip_bootstrap"]
    assert yaml.safe_load(bundle_yaml(bootstrap)) == bootstrap
    assert bootstrap["spec"]["volumes"][0]["hostPath"]["path"] == "/etc/kubernetes/super-admin.conf"
    if kubernetes_validate is None:
        pytest.skip("kubernetes-validate not installed")
    for manifest in (pod, bootstrap):
        kubernetes_validate.validate(manifest, "1.33.0", strict=True)   # raises when invalid


def test_networkd_bond_vlans_addresses(bundle):
    netdev = ini(bundle["nodes/w2/networkd/10-netstack-bond0.netdev"])
    assert dict(netdev["NetDev"]) == {"Name": "bond0", "Kind": "bond", "MTUBytes": "9000"}
    assert netdev["Bond"]["Mode"] == "802.3ad" and netdev["Bond"]["LACPTransmitRate"] == "fast"
    for nic in ("eno1", "eno2"):
        member = ini(bundle["nodes/w2/networkd/10-netstack-%s.network" % nic])
        assert member["Match"]["Name"] == nic and member["Network"]["Bond"] == "bond0"
    trunk = bundle["nodes/w2/networkd/20-netstack-bond0.network"]
    # the node VLAN (50) is untagged: its address, default route and DNS are the bond's own
    assert [line for line in trunk.splitlines() if line.startswith("VLAN=")] == ["VLAN=bond0.60", "VLAN=bond0.70"]
    assert "nodes/w2/networkd/30-netstack-bond0.50.network" not in bundle
    node_vlan = ini(trunk)
    assert node_vlan["Network"]["Address"] == "10.50.0.13/24"
    assert node_vlan["Network"]["Gateway"] == "10.50.0.1"
    assert node_vlan["Network"]["DNS"] == "10.50.0.1"
    external = ini(bundle["nodes/w2/networkd/30-netstack-bond0.70.network"])
    assert external["Network"]["Address"] == "10.70.0.13/24"
    assert "Gateway" not in external["Network"]   # one default route only
    assert ini(bundle["nodes/w2/networkd/30-netstack-bond0.60.netdev"])["VLAN"]["Id"] == "60"


def test_single_uplink_has_no_bond():
    site = _kubeadm_site(control_planes=1)
    for entry in site[1].values():
        entry["netstack_node"]["uplinks"] = entry["netstack_node"]["uplinks"][:1]
    plan = plan_mod.build_plan(*site)
    files = plan_mod.render_bundle(plan, ["nodes"])
    names = sorted(k.rsplit("/", 1)[1] for k in files if k.startswith("nodes/r1-n1/networkd/"))
    # the node VLAN (10) is the NIC's own address; only VLAN 20 is a sub-interface
    assert names == ["20-netstack-eth0.network", "30-netstack-eth0.20.netdev", "30-netstack-eth0.20.network"]
    assert "Address=10." in files["nodes/r1-n1/networkd/20-netstack-eth0.network"]


def test_os_preparation_data(small, bundle):
    node = small["nodes"]["w1"]["kubeadm"]
    assert node["modules"] == ["overlay", "br_netfilter", "ip_tables", "iptable_nat", "openvswitch", "geneve"]
    for key, value in [("net.ipv4.ip_forward", "1"), ("net.bridge.bridge-nf-call-iptables", "1"),
                       ("net.bridge.bridge-nf-call-ip6tables", "1"), ("fs.inotify.max_user_watches", "524288"),
                       ("vm.swappiness", "1"), ("net.ipv6.conf.all.forwarding", "1")]:
        assert node["sysctls"][key] == value
    assert "containerd" in node["packages"] and "conntrack" in node["packages"]
    # etcdctl where replace_node/remove_node run it (a control plane's etcd member), nowhere else
    control_planes = [h for h, n in small["nodes"].items() if n["role"] == "control-plane"]
    assert control_planes and "w1" not in control_planes
    assert all("etcd-client" in small["nodes"][h]["kubeadm"]["packages"] for h in control_planes)
    assert "etcd-client" not in node["packages"]
    assert node["kubernetes_packages"] == ["kubelet=1.33.5-*", "kubeadm=1.33.5-*", "kubectl=1.33.5-*"]
    config = bundle["nodes/w1/files/etc/containerd/config.toml"]
    assert "SystemdCgroup = true" in config and "version = 2" in config
    assert 'config_path = "/etc/containerd/certs.d"' in config
    hosts = bundle["nodes/w1/files/etc/containerd/certs.d/docker.io/hosts.toml"]
    assert 'server = "https://registry-1.docker.io"' in hosts and '[host."https://mirror.gcr.io"]' in hosts
    # kubeadm's own control-plane="" is what the Kube-OVN values select: no relabelling (pitfall 6)
    assert node["labels"] == {} and small["nodes"]["cp1"]["kubeadm"]["labels"] == {}
    assert small["nodes"]["w2"]["kubeadm"]["label_args"] == ["topology.kubernetes.io/zone=r1"]
    assert [f["path"] for f in node["files"]["apt"]] == ["/etc/apt/sources.list.d/netstack-kubernetes.sources"]
    assert node["init_host"] == "cp1"


def test_package_source_upstream_mirror_and_inline_key():
    upstream = nodes_kubeadm.package_source("1.33.5", {"suite": "/"})
    assert "URIs: https://pkgs.k8s.io/core:/stable:/v1.33/deb/" in upstream["sources"]
    assert "Signed-By: /etc/apt/keyrings/netstack-kubernetes.asc" in upstream["sources"]
    assert upstream["key_url"] == "https://pkgs.k8s.io/core:/stable:/v1.33/deb/Release.key"
    mirror = nodes_kubeadm.package_source("1.34.1", {"url": "https://mirror.local/k8s", "suite": "stable",
                                                     "components": ["main"], "key": "-----BEGIN PGP"})
    assert "URIs: https://mirror.local/k8s" in mirror["sources"] and "Components: main" in mirror["sources"]
    assert mirror["key_url"] is None and mirror["key"] == "-----BEGIN PGP"
    lab = nodes_kubeadm.package_source("1.33.5", {"url": "file:/srv/mirror/", "suite": "/", "trusted": True})
    assert "Trusted: yes" in lab["sources"] and lab["key_path"] is None and lab["key_url"] is None


def test_skip_fallback_mirror_for_every_registry():
    files = nodes_kubeadm.containerd_files(
        [{"registry": "*", "endpoints": ["https://registry.local"], "skip_fallback": True}], "pause:3.10")
    hosts = next(f for f in files if f["path"] == "/etc/containerd/certs.d/_default/hosts.toml")
    assert 'server = "https://registry.local"' in hosts["content"]


def test_cilium_generic_variant_has_no_kube_ovn_modules_or_labels():
    site = _kubeadm_site(control_planes=1)
    site[0]["netstack_cluster"]["variant"] = "cilium-generic"
    plan = plan_mod.build_plan(*site)
    first = plan["nodes"]["r1-n1"]["kubeadm"]
    assert "openvswitch" not in first["modules"] and "geneve" not in first["modules"]
    assert first["labels"] == {}


def _run_node_files(tmp_path, files, check=False, purge=None):
    import json
    import subprocess
    import sys
    args = tmp_path / "args.json"
    module_args = {"files": files, "_ansible_check_mode": check, "_ansible_diff": True}
    if purge is not None:
        module_args["purge"] = purge
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": module_args}))
    out = subprocess.run([sys.executable, str(REPO / "plugins" / "modules" / "node_files.py"), str(args)],
                         capture_output=True, text=True, check=False)
    return json.loads(out.stdout)


def test_node_files_module_writes_only_what_changed(tmp_path):
    files = [{"path": str(tmp_path / "etc" / "a.conf"), "content": "a\n", "mode": "0644"},
             {"path": str(tmp_path / "etc" / "deep" / "b.yaml"), "content": "b: 1\n", "mode": "0600"}]
    checked = _run_node_files(tmp_path, files, check=True)
    assert checked["changed"] and not (tmp_path / "etc").exists()   # check mode writes nothing
    first = _run_node_files(tmp_path, files)
    assert first["changed_files"] == [f["path"] for f in files]
    assert (tmp_path / "etc" / "deep" / "b.yaml").read_text() == "b: 1\n"
    assert oct((tmp_path / "etc" / "deep" / "b.yaml").stat().st_mode & 0o777) == "0o600"
    assert _run_node_files(tmp_path, files) == {"changed": False, "changed_files": [], "removed_files": [],
                                                "invocation": first["invocation"]}
    files[0]["mode"] = "0640"
    again = _run_node_files(tmp_path, files)
    assert again["changed_files"] == [files[0]["path"]] and again["diff"][0]["before"] == "a\n"


def test_node_files_module_purges_what_the_plan_no_longer_has(tmp_path):
    """A VLAN taken out of the inventory, or the other renderer's files: removed, in check mode only reported."""
    network = tmp_path / "etc" / "systemd" / "network"
    network.mkdir(parents=True)
    for name in ("10-netstack-bond0.netdev", "30-netstack-bond0.70.network", "10-netplan-bond0.network",
                 "99-local.network"):
        (network / name).write_text(name + "\n")
    (network / "40-netstack-dir.network").mkdir()   # not a file: never removed
    keep = {"path": str(network / "10-netstack-bond0.netdev"), "content": "10-netstack-bond0.netdev\n"}
    purge = [str(network / "[0-9][0-9]-netstack-*.network"), str(network / "[0-9][0-9]-netstack-*.netdev"),
             str(tmp_path / "etc" / "netplan" / "60-netstack.yaml")]
    stale = str(network / "30-netstack-bond0.70.network")
    checked = _run_node_files(tmp_path, [keep], check=True, purge=purge)
    assert checked["changed"] and checked["removed_files"] == [stale] and (network / "30-netstack-bond0.70.network").exists()
    assert checked["diff"][0]["before"] == "30-netstack-bond0.70.network\n" and checked["diff"][0]["after"] == ""
    done = _run_node_files(tmp_path, [keep], purge=purge)
    assert done["changed_files"] == [stale] and done["removed_files"] == [stale]
    assert sorted(p.name for p in network.iterdir()) == [
        "10-netplan-bond0.network", "10-netstack-bond0.netdev", "40-netstack-dir.network", "99-local.network"]
    assert not _run_node_files(tmp_path, [keep], purge=purge)["changed"]
