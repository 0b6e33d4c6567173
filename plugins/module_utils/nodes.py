# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nodes area: every node's OS configuration, Talos or kubeadm.

``plan_nodes(site, plan, problems)`` returns the new ``plan["nodes"]``: the
core's node entries (rack, index, role, addresses, uplinks, ...) unchanged,
plus per node::

    "os":      "talos" | "kubeadm"
    "network": the OS-neutral link description (nodes_common.node_network)
    "talos":   {"machine_type", "version", "image", "patch": [docs], "network": [docs], "gen_config": [args]}
    "kubeadm": {"role": "init" | "control-plane" | "worker", "config", "files", "modules", "sysctls", ...}

so the areas after this one still find the core keys.  The plan holds the
documents as data; text is made only when it is written (``render_nodes`` for
the bundle, the ``netstack.baremetal.bundle_yaml*`` filters in the roles, both
through ``yamlout``, so a node's file is byte for byte the bundle's).
``render_nodes(plan)`` writes them into the bundle:

* Talos: ``nodes/<host>/talos-patch.yaml``, ``nodes/<host>/network.yaml``
  (config patches for ``talosctl gen config``; the full configs need the
  cluster secrets, which the talos_nodes role adds when it has them, and keeps
  out of the bundle, in the secrets directory);
* kubeadm: ``nodes/<host>/kubeadm.yaml``, ``nodes/<host>/networkd/*`` (or
  ``nodes/<host>/netplan/60-netstack.yaml`` with the netplan renderer),
  ``nodes/<host>/kube-vip.yaml`` (control plane), ``nodes/<host>/files/<path>``
  (every other file the prep role writes, e.g. ``files/etc/containerd/config.toml``);
* ``nodes/README.md``: what each file is and the commands that use it.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath

from ansible_collections.netstack.baremetal.plugins.module_utils import nodes_common as common
from ansible_collections.netstack.baremetal.plugins.module_utils import nodes_kubeadm, nodes_talos
from ansible_collections.netstack.baremetal.plugins.module_utils.inventory import host_path
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import Problem
from ansible_collections.netstack.baremetal.plugins.module_utils.yamlout import dump_yaml, dump_yaml_all


def plan_nodes(site, plan, problems, only=None):
    """Return ``plan["nodes"]`` extended with every node's OS configuration; append problems.

    ``only``: node names (add_node.yml, add_rack.yml): only those nodes get their OS configuration, the others stay as
    they are.
    """
    node_os = plan["cluster"]["node_os"]
    settings = site["cluster"]["nodes"]
    if node_os == "talos" and not nodes_talos.supports_typed_network(settings["talos"]["version"]):
        problems.append(Problem("netstack_cluster.nodes.talos.version", "Talos %s predates the typed network "
                                "documents (v1.12) this collection renders" % settings["talos"]["version"],
                                "use Talos v1.12 or newer"))
        return plan["nodes"]
    home = common.node_vlan(plan)
    init_host = next((h for h, n in plan["nodes"].items() if n["role"] == "control-plane"), None)
    result = {}
    for host, node in plan["nodes"].items():
        entry = dict(node)
        if only is not None and host not in only:
            result[host] = entry
            continue
        entry["os"] = node_os
        if home["name"] not in node["addresses"]:
            problems.append(Problem(host_path(host, "netstack_node"), "has no address on the node VLAN '%s' "
                                    "(kubelet node IP, etcd and the API VIP live there)" % home["name"],
                                    "do not set node_addresses: false on the node VLAN"))
            result[host] = entry
            continue
        entry["network"] = common.node_network(plan, host)
        if node_os == "talos":
            errors = []
            entry["talos"] = nodes_talos.plan_node(site, plan, host, errors)
            entry["talos"]["bootstrap_host"] = init_host
            for error in errors:
                problems.append(Problem(host_path(host, "netstack_node"), "invalid Talos configuration: %s"
                                        % error, "a bug in the nodes area: please report it"))
        else:
            entry["kubeadm"] = nodes_kubeadm.plan_node(site, plan, host, init_host)
        result[host] = entry
    return result


def render_nodes(plan):
    """Return ``{relative path: text}`` of the nodes section."""
    files = {}
    talos_rows = []
    kubeadm_rows = []
    for host, node in plan["nodes"].items():
        base = "nodes/%s/" % host
        if "talos" in node:
            talos = node["talos"]
            files[base + "talos-patch.yaml"] = dump_yaml_all(talos["patch"])
            files[base + "network.yaml"] = dump_yaml_all(talos["network"])
            talos_rows.append("| %s | %s | `talosctl %s --with-secrets secrets.yaml --config-patch @%s "
                              "--config-patch @%s -o <secrets dir>/%sconfig.yaml` |" % (
                                  host, talos["machine_type"], " ".join(talos["gen_config"]),
                                  base + "talos-patch.yaml", base + "network.yaml", base))
        elif "kubeadm" in node:
            kubeadm = node["kubeadm"]
            files[base + "kubeadm.yaml"] = dump_yaml_all(kubeadm["config_documents"])
            for item in kubeadm["files"]["network"]:
                files[base + "%s/%s" % (kubeadm["network_renderer"], posixpath.basename(item["path"]))] = item["content"]
            for group in ("system", "containerd", "apt"):
                for item in kubeadm["files"][group]:
                    files[base + "files" + item["path"]] = item["content"]
            if "kube_vip" in kubeadm:
                files[base + "kube-vip.yaml"] = dump_yaml(kubeadm["kube_vip"])
            kubeadm_rows.append("| %s | %s | %s | %s |" % (
                host, kubeadm["role"], kubeadm["node_ip"], ", ".join(kubeadm["modules"])))
    files["nodes/README.md"] = _readme(plan, talos_rows, kubeadm_rows)
    return files


def _readme(plan, talos_rows, kubeadm_rows):
    cluster = plan["cluster"]
    lines = ["# Nodes of %s (%s, variant %s)" % (cluster["name"], cluster["node_os"], cluster["variant"]), "",
             "API endpoint: %s (VIP on VLAN `%s`). Pod subnet for node podCIDRs: %s; services: %s; DNS "
             "domain: %s." % (plan["api"]["endpoint"], plan["api"]["vlan"], plan["networks"]["cluster_cidr"],
                              plan["networks"]["service_cidr"], cluster["dns_domain"]), ""]
    if talos_rows:
        lines += ["## Talos", "",
                  "`talos-patch.yaml` and `network.yaml` are config patches: the cluster secrets are not in the "
                  "plan. `playbooks/nodes.yml` in apply mode generates the secrets once (vaulted), builds each "
                  "node's full config and applies it; the full configs and the kubeconfig hold cluster "
                  "credentials, so they never come into this bundle: they are kept in the secrets directory "
                  "(`netstack_secrets_dir`, default `<bundle>-secrets`, git-ignored, mode 0700). By hand, into "
                  "the secrets directory too:", "",
                  "| node | type | command |", "| --- | --- | --- |"] + talos_rows + [""]
    if kubeadm_rows:
        lines += ["## kubeadm", "",
                  "`kubeadm.yaml` is the configuration `kubeadm init` (role `init`) or `kubeadm join` uses; the "
                  "join token, CA hash and certificate key are placeholders the bootstrap role fills in at run "
                  "time. `networkd/` goes to `/etc/systemd/network/` (`netplan/` to `/etc/netplan/` with the netplan "
                  "renderer), `files/` mirrors the node's file system, "
                  "`kube-vip.yaml` is the API VIP static pod of control-plane nodes.", "",
                  "| node | role | node IP | kernel modules |", "| --- | --- | --- | --- |"] + kubeadm_rows + [""]
    return "\n".join(lines)
