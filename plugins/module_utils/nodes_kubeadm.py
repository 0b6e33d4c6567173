# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kubeadm nodes: OS preparation data, node network files, kubeadm configuration, kube-vip.

Everything a kubeadm node needs is computed here once and carried by the plan
as plain data and finished file contents; the kubeadm_prep and
kubeadm_bootstrap roles only copy files and run commands.

* OS preparation: kernel modules (``/etc/modules-load.d``), sysctls, OS
  packages (containerd from the distribution), the Kubernetes APT source
  (upstream pkgs.k8s.io or a mirror), containerd's ``config.toml`` with the
  systemd cgroup driver and ``certs.d`` registry mirrors.
* Node network: the bond, one 802.1Q VLAN per VLAN the node has an address
  on, the default route through the node VLAN's gateway; written either as
  systemd-networkd ``.netdev``/``.network`` files (renderer ``networkd``, the
  default) or as one netplan file (renderer ``netplan``: Ubuntu and hosts
  where cloud-init/netplan configures the NICs, whose generated
  ``10-netplan-*`` files would otherwise win over ours). Both describe the
  same network (``tests/unit/test_nodes_netplan.py``).
* kubeadm (``kubeadm.k8s.io/v1beta4``): the first control-plane node gets
  Init + Cluster + Kubelet configuration, the others a JoinConfiguration whose
  token, CA hash and certificate key the bootstrap role fills in at run time
  (secrets never enter the plan); kube-proxy is skipped where Cilium replaces
  it (every variant but ``noop``, unless ``features.kube_proxy`` says otherwise).
* API VIP: a kube-vip static pod (ARP mode, control-plane only) on every
  control-plane node.  The first one starts with ``super-admin.conf`` because
  ``admin.conf`` has no rights before ``kubeadm init`` finishes (Kubernetes
  1.29+), and is switched to ``admin.conf`` after init.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netstack.baremetal.plugins.module_utils import nodes_common as common
from ansible_collections.netstack.baremetal.plugins.module_utils import variants
from ansible_collections.netstack.baremetal.plugins.module_utils.yamlout import dump_yaml

KUBEADM_API = "kubeadm.k8s.io/v1beta4"
CRI_SOCKET = "unix:///run/containerd/containerd.sock"
MAX_PODS = 220   # the reference's generic (k3s) setting
ETCD_QUOTA_BYTES = "8589934592"
KUBERNETES_PACKAGES = ("kubelet", "kubeadm", "kubectl")
OS_PACKAGES = ("containerd", "conntrack", "socat", "ethtool", "iptables", "iproute2", "kmod", "procps",
               "ca-certificates")
CONFIG_PATH = "/etc/kubernetes/netstack/kubeadm.yaml"
KUBE_VIP_PATH = "/etc/kubernetes/manifests/kube-vip.yaml"
NETWORKD_DIR = "/etc/systemd/network"
NETPLAN_DIR = "/etc/netplan"
# After cloud-init's 50-cloud-init.yaml: netplan merges by interface id and the later file's keys win.
NETPLAN_PATH = NETPLAN_DIR + "/60-netstack.yaml"
NETPLAN_PACKAGE = "netplan.io"
# etcdctl on the control planes: replace_node.yml and remove_node.yml remove a control plane's etcd member with it
# (kubeadm_bootstrap etcd_member.yml), and kubeadm ships no etcdctl (Debian and Ubuntu: etcd-client).
ETCD_CLIENT_PACKAGE = "etcd-client"
# Every node network file this collection may have written (either renderer): the prep role removes the
# ones the plan no longer has (a VLAN taken out of the inventory, the other renderer's).
NETWORK_PURGE = (NETWORKD_DIR + "/[0-9][0-9]-netstack-*.netdev", NETWORKD_DIR + "/[0-9][0-9]-netstack-*.network",
                 NETPLAN_PATH)
# Bond timers and hashing, shared by both renderers.
BOND_MIIMON = "100ms"
BOND_UPDELAY = "200ms"
BOND_DOWNDELAY = "200ms"
BOND_HASH = "layer3+4"
MODULES_LOAD_PATH = "/etc/modules-load.d/netstack.conf"
SYSCTL_PATH = "/etc/sysctl.d/90-netstack.conf"
APT_SOURCE_PATH = "/etc/apt/sources.list.d/netstack-kubernetes.sources"
APT_KEY_PATH = "/etc/apt/keyrings/netstack-kubernetes.asc"
CONTAINERD_CONFIG_PATH = "/etc/containerd/config.toml"
CERTS_D = "/etc/containerd/certs.d"
UPSTREAM_REPO = "https://pkgs.k8s.io/core:/stable:/v%s/deb/"
HEADER = "# Managed by netstack.baremetal (nodes area): local changes are overwritten.\n"
# Placeholders the bootstrap role replaces at run time (never stored anywhere).
TOKEN_PLACEHOLDER = "<bootstrap token>"
CA_HASH_PLACEHOLDER = "<sha256 CA hash>"
CERT_KEY_PLACEHOLDER = "<certificate key>"
REGISTRY_SERVERS = {"docker.io": "https://registry-1.docker.io"}
EXCLUDE_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"


def plan_node(site, plan, host, init_host):
    """Return the ``kubeadm`` entry of one node (see the module docstring)."""
    cluster = plan["cluster"]
    settings = site["cluster"]["nodes"]
    kubeadm = settings["kubeadm"]
    renderer = kubeadm["network_renderer"]
    node = plan["nodes"][host]
    net = common.node_network(plan, host)
    control_plane = node["role"] == "control-plane"
    role = "init" if host == init_host else ("control-plane" if control_plane else "worker")
    modules = common.kernel_modules(cluster["variant"], "kubeadm", settings["kernel_modules"])
    source = package_source(cluster["kubernetes_version"], kubeadm["package_source"])
    documents = kubeadm_documents(plan, host, net, role)
    sysctl_values = common.sysctls("kubeadm", settings["sysctls"])
    entry = {
        "role": role,
        "node_ip": net["node_ip"],
        "modules": [m["name"] for m in modules],
        "sysctls": sysctl_values,
        "sysctl_path": SYSCTL_PATH,
        "packages": sorted(set(OS_PACKAGES) | set(kubeadm["packages"])
                           | ({NETPLAN_PACKAGE} if renderer == "netplan" else set())
                           | ({ETCD_CLIENT_PACKAGE} if control_plane else set())),
        "kubernetes_packages": ["%s=%s-*" % (name, cluster["kubernetes_version"]) for name in KUBERNETES_PACKAGES],
        "hold": list(KUBERNETES_PACKAGES),
        "apt": source,
        "config_path": CONFIG_PATH,
        "config_documents": documents,
        "labels": node_labels(plan, host),
        "label_args": label_args(plan, host),
        "files": {
            # system: kernel modules at boot, sysctls (applied with `sysctl -p` by the prep role)
            "system": ([_file(MODULES_LOAD_PATH, HEADER + "".join("%s\n" % m["name"] for m in modules)),
                        _file(SYSCTL_PATH, HEADER + "".join("%s = %s\n" % kv for kv in sysctl_values.items()))]
                       + _module_options(modules)),
            "containerd": containerd_files(settings["registry_mirrors"], kubeadm["sandbox_image"]),
            # the node network: networkd files, or the one netplan file (see network_renderer)
            "network": network_files(net, settings["nameservers"], renderer),
            # the APT source (and the signing key when the inventory carries it)
            "apt": [_file(source["sources_path"], source["sources"])] + (
                [_file(source["key_path"], source["key"])] if source["key"] else []),
        },
    }
    entry["network_renderer"] = renderer
    # the uplink NICs (bond members or the single uplink): no other netplan file may give them addresses
    entry["network_nics"] = list(net["bond"]["members"]) if net["bond"] else ([net["parent"]] if net["parent"] else [])
    entry["network_purge"] = list(NETWORK_PURGE)
    entry["init_host"] = init_host
    if role != "init":
        entry["join"] = documents[0]
    if control_plane and net["vip_link"]:
        entry["kube_vip"] = kube_vip_manifest(plan, net["vip_link"], kubeadm["kube_vip_image"],
                                              "/etc/kubernetes/admin.conf")
        if role == "init":
            entry["kube_vip_bootstrap"] = kube_vip_manifest(plan, net["vip_link"], kubeadm["kube_vip_image"],
                                                            "/etc/kubernetes/super-admin.conf")
    return entry


def _file(path, content, mode="0644"):
    return {"path": path, "content": content, "mode": mode}


def _module_options(modules):
    lines = ["options %s %s\n" % (m["name"], " ".join(m["parameters"])) for m in modules if m["parameters"]]
    if not lines:
        return []
    return [_file("/etc/modprobe.d/netstack.conf", HEADER + "".join(lines))]


def node_labels(plan, host):
    """Labels the bootstrap role sets with ``kubectl label --overwrite``: the inventory's, nothing more.

    kubeadm labels control planes ``node-role.kubernetes.io/control-plane=""``, exactly what the rendered
    Kube-OVN values select (``MASTER_NODES_LABEL`` as a bare key, see ``cluster_network``).  The reference's
    generic bundle relabels to ``=true`` (k3s semantics, reference pitfall 6); doing that here left
    ``ovn-central`` with no node to run on, so the label is left as kubeadm sets it.
    """
    return dict(sorted(plan["nodes"][host]["labels"].items()))


def label_args(plan, host):
    """``kubectl label --overwrite`` arguments: the inventory's labels, and on control planes the removal of
    kubeadm's ``node.kubernetes.io/exclude-from-external-load-balancers`` (MetalLB announces nothing from a
    node carrying it; Talos control planes drop it too), unless the inventory sets it."""
    labels = node_labels(plan, host)
    args = ["%s=%s" % kv for kv in labels.items()]
    if plan["nodes"][host]["role"] == "control-plane" and EXCLUDE_LB_LABEL not in labels:
        args.append(EXCLUDE_LB_LABEL + "-")
    return args


def package_source(kubernetes_version, source):
    """The APT source of the Kubernetes packages, as a deb822 ``.sources`` file and a key to fetch."""
    url = source.get("url") or UPSTREAM_REPO % common.kubernetes_minor(kubernetes_version)
    trusted = bool(source.get("trusted"))
    key = source.get("key")
    key_url = None
    if not trusted and not key:
        key_url = source.get("key_url") or (url if url.endswith("/") else url + "/") + "Release.key"
    lines = [HEADER.rstrip("\n"), "Types: deb", "URIs: %s" % url, "Suites: %s" % source.get("suite", "/")]
    if source.get("components"):
        lines.append("Components: %s" % " ".join(source["components"]))
    if trusted:
        lines.append("Trusted: yes")
    else:
        lines.append("Signed-By: %s" % APT_KEY_PATH)
    return {"sources_path": APT_SOURCE_PATH, "sources": "\n".join(lines) + "\n",
            "key_path": None if trusted else APT_KEY_PATH, "key_url": key_url,
            "key": key if not trusted else None}


def containerd_files(mirrors, sandbox_image):
    """containerd 1.6/1.7 ``config.toml`` (version 2, also read by 2.x) and one ``hosts.toml`` per mirror."""
    config = HEADER + "\n".join([
        "version = 2",
        "",
        "[plugins.\"io.containerd.grpc.v1.cri\"]",
        "  sandbox_image = \"%s\"" % sandbox_image,
        "  device_ownership_from_security_context = true",
        "  [plugins.\"io.containerd.grpc.v1.cri\".containerd]",
        "    default_runtime_name = \"runc\"",
        "    [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]",
        "      runtime_type = \"io.containerd.runc.v2\"",
        "      [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]",
        "        SystemdCgroup = true",
        "  [plugins.\"io.containerd.grpc.v1.cri\".registry]",
        "    config_path = \"%s\"" % CERTS_D,
        "",
    ])
    files = [_file(CONTAINERD_CONFIG_PATH, config)]
    for mirror in mirrors:
        registry = mirror["registry"]
        directory = "_default" if registry == "*" else registry
        if mirror.get("skip_fallback"):
            server = mirror["endpoints"][0]
        else:
            server = REGISTRY_SERVERS.get(registry, "https://%s" % registry) if registry != "*" else None
        lines = [HEADER.rstrip("\n")]
        if server:
            lines.append("server = \"%s\"" % server)
        for endpoint in mirror["endpoints"]:
            lines += ["", "[host.\"%s\"]" % endpoint, "  capabilities = [\"pull\", \"resolve\"]"]
        files.append(_file("%s/%s/hosts.toml" % (CERTS_D, directory), "\n".join(lines) + "\n"))
    files.append(_file("/etc/crictl.yaml", "runtime-endpoint: %s\nimage-endpoint: %s\n" % (CRI_SOCKET, CRI_SOCKET)))
    return files


def network_files(net, nameservers, renderer="networkd"):
    """The node network files of ``renderer`` (``networkd`` or ``netplan``); none without uplinks."""
    if renderer == "netplan":
        return netplan_files(net, nameservers)
    return networkd_files(net, nameservers)


def _bond_options(mode):
    """``[(networkd key, netplan key, value)]`` of a bond mode: the same settings in both renderers."""
    options = [("MIIMonitorSec", "mii-monitor-interval", BOND_MIIMON), ("UpDelaySec", "up-delay", BOND_UPDELAY),
               ("DownDelaySec", "down-delay", BOND_DOWNDELAY)]
    if mode == "802.3ad":
        options += [("LACPTransmitRate", "lacp-rate", "fast"), ("TransmitHashPolicy", "transmit-hash-policy", BOND_HASH)]
    elif mode == "balance-xor":
        options.append(("TransmitHashPolicy", "transmit-hash-policy", BOND_HASH))
    return options


def networkd_files(net, nameservers):
    """systemd-networkd files: ``10-`` bond and members, ``20-`` the trunk, ``30-`` one VLAN each."""
    if net["parent"] is None:
        return []
    files = []
    parent = net["parent"]
    if net["bond"]:
        bond = net["bond"]
        options = ["Mode=%s" % bond["mode"]] + ["%s=%s" % (key, value) for key, unused, value in _bond_options(bond["mode"])]
        files.append(_file("%s/10-netstack-%s.netdev" % (NETWORKD_DIR, parent), _ini([
            ("NetDev", ["Name=%s" % parent, "Kind=bond", "MTUBytes=%d" % net["mtu"]]),
            ("Bond", options)])))
        for member in bond["members"]:
            files.append(_file("%s/10-netstack-%s.network" % (NETWORKD_DIR, member), _ini([
                ("Match", ["Name=%s" % member]),
                ("Network", ["Bond=%s" % parent])])))
    tagged = [v for v in net["vlans"] if v["tagged"]]
    # the untagged node VLAN's address is the trunk's own (nodes_common's tagging contract)
    native = [line for v in net["vlans"] if not v["tagged"] for line in _address_lines(v, nameservers)]
    files.append(_file("%s/20-netstack-%s.network" % (NETWORKD_DIR, parent), _ini([
        ("Match", ["Name=%s" % parent]),
        ("Link", ["MTUBytes=%d" % net["mtu"]]),
        ("Network", native + ["LinkLocalAddressing=no", "LLDP=yes", "EmitLLDP=nearest-bridge"]
         + ["VLAN=%s" % v["link"] for v in tagged])])))
    for vlan in tagged:
        files.append(_file("%s/30-netstack-%s.netdev" % (NETWORKD_DIR, vlan["link"]), _ini([
            ("NetDev", ["Name=%s" % vlan["link"], "Kind=vlan", "MTUBytes=%d" % vlan["mtu"]]),
            ("VLAN", ["Id=%d" % vlan["id"]])])))
        files.append(_file("%s/30-netstack-%s.network" % (NETWORKD_DIR, vlan["link"]), _ini([
            ("Match", ["Name=%s" % vlan["link"]]),
            ("Link", ["MTUBytes=%d" % vlan["mtu"]]),
            ("Network", _address_lines(vlan, nameservers) + ["LinkLocalAddressing=no"])])))
    return files


def _address_lines(vlan, nameservers):
    """``[Network]`` lines of one VLAN's address: the address, and the default route and DNS on the node VLAN."""
    lines = ["Address=%s" % vlan["address"]]
    if vlan["gateway"]:
        lines.append("Gateway=%s" % vlan["gateway"])
        lines += ["DNS=%s" % a for a in nameservers]
    return lines


def netplan_config(net, nameservers):
    """The netplan (version 2) document of the node network, or ``None`` without uplinks.

    The same network as ``networkd_files``: the NICs as ``ethernets`` (no DHCP, matched by the name the
    inventory gives them), the bond with the same mode, timers and LACP settings, one VLAN each with the
    same id, MTU, address, default route and DNS.  Two differences netplan imposes: it has no LLDP keys
    for bonds, so LLDP is emitted from each uplink NIC (what the switch sees per port; networkd's files
    set it on the bond); and bond members carry the bond's MTU explicitly (the kernel gives it to them
    anyway), so an MTU another netplan file sets on the NIC (cloud-init's ``50-cloud-init.yaml``) loses.
    """
    if net["parent"] is None:
        return None
    parent = net["parent"]
    bond = net["bond"]
    ethernets = {}
    for nic in (bond["members"] if bond else [parent]):
        ethernets[nic] = {"match": {"name": nic}, "dhcp4": False, "dhcp6": False, "mtu": net["mtu"],
                          "emit-lldp": True}
        if not bond:
            ethernets[nic]["link-local"] = []
    config = {"version": 2, "renderer": "networkd", "ethernets": ethernets}
    if bond:
        parameters = {"mode": bond["mode"]}
        parameters.update((key, value) for unused, key, value in _bond_options(bond["mode"]))
        config["bonds"] = {parent: {"interfaces": list(bond["members"]), "mtu": net["mtu"], "link-local": [],
                                    "parameters": parameters}}
    vlans = {}
    for vlan in net["vlans"]:
        if vlan["tagged"]:
            item = {"id": vlan["id"], "link": parent, "mtu": vlan["mtu"], "link-local": []}
            vlans[vlan["link"]] = item
        else:
            # the untagged node VLAN's address is the trunk's own (nodes_common's tagging contract)
            item = config["bonds"][parent] if bond else ethernets[parent]
        item["addresses"] = [vlan["address"]]
        if vlan["gateway"]:
            item["routes"] = [{"to": "default", "via": vlan["gateway"]}]
            if nameservers:
                item["nameservers"] = {"addresses": list(nameservers)}
    if vlans:
        config["vlans"] = vlans
    return {"network": config}


def netplan_files(net, nameservers):
    """``/etc/netplan/60-netstack.yaml`` (mode 0600: netplan warns about readable files), or none."""
    config = netplan_config(net, nameservers)
    if config is None:
        return []
    return [_file(NETPLAN_PATH, HEADER + dump_yaml(config), mode="0600")]


def _ini(sections):
    out = [HEADER.rstrip("\n")]
    for name, lines in sections:
        out += ["", "[%s]" % name] + lines
    return "\n".join(out) + "\n"


def _args(pairs):
    """kubeadm v1beta4 extra arguments: a list of ``{name, value}``."""
    return [{"name": k, "value": v} for k, v in pairs]


def kubeadm_documents(plan, host, net, role):
    """The kubeadm configuration documents of one node (first: the one ``kubeadm`` acts on)."""
    cluster = plan["cluster"]
    networks = plan["networks"]
    api = plan["api"]
    control_plane = role in ("init", "control-plane")
    registration = {
        "name": host,
        "criSocket": CRI_SOCKET,
        "kubeletExtraArgs": _args([("node-ip", net["node_ip"])]),
    }
    if control_plane:
        registration["taints"] = []   # control-plane nodes run workloads, as allowSchedulingOnControlPlanes
    endpoint = {"advertiseAddress": net["node_ip"], "bindPort": api["port"]}
    if role != "init":
        join = {"apiVersion": KUBEADM_API, "kind": "JoinConfiguration",
                "discovery": {"bootstrapToken": {"apiServerEndpoint": "%s:%d" % (api["vip"], api["port"]),
                                                 "token": TOKEN_PLACEHOLDER,
                                                 "caCertHashes": [CA_HASH_PLACEHOLDER]}},
                "nodeRegistration": registration}
        if control_plane:
            join["controlPlane"] = {"localAPIEndpoint": endpoint, "certificateKey": CERT_KEY_PLACEHOLDER}
        return [join]
    init = {"apiVersion": KUBEADM_API, "kind": "InitConfiguration"}
    if not variants.kube_proxy(cluster["variant"], cluster["features"].get("kube_proxy")):
        init["skipPhases"] = ["addon/kube-proxy"]   # Cilium replaces it; noop keeps it unless told otherwise
    init.update(localAPIEndpoint=endpoint, nodeRegistration=registration)
    cluster_config = {
        "apiVersion": KUBEADM_API, "kind": "ClusterConfiguration",
        "clusterName": cluster["name"],
        "kubernetesVersion": "v%s" % cluster["kubernetes_version"],
        "controlPlaneEndpoint": "%s:%d" % (api["vip"], api["port"]),
        "networking": {"dnsDomain": cluster["dns_domain"],
                       # node podCIDRs (Cilium kubernetes IPAM): disjoint from Kube-OVN's pool (pitfall 3)
                       "podSubnet": networks["cluster_cidr"],
                       "serviceSubnet": networks["service_cidr"]},
        "apiServer": {"certSANs": [api["vip"], "127.0.0.1"]},
        "controllerManager": {"extraArgs": _args([
            ("bind-address", "0.0.0.0"), ("allocate-node-cidrs", "true"),
            ("cluster-cidr", networks["cluster_cidr"]),
            ("node-cidr-mask-size", str(networks["node_cidr_mask_size"]))])},
        "scheduler": {"extraArgs": _args([("bind-address", "0.0.0.0")])},
        "etcd": {"local": {"extraArgs": _args([("quota-backend-bytes", ETCD_QUOTA_BYTES)])}},
    }
    kubelet = {"apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration",
               "cgroupDriver": "systemd", "maxPods": MAX_PODS, "failSwapOn": True}
    return [init, cluster_config, kubelet]


def kube_vip_manifest(plan, interface, image, kubeconfig):
    """kube-vip static pod: ARP leader election on the control-plane nodes, control plane only."""
    api = plan["api"]
    env = [
        ("vip_arp", "true"), ("port", str(api["port"])), ("vip_interface", interface), ("vip_subnet", "32"),
        ("dns_mode", "first"), ("cp_enable", "true"), ("cp_namespace", "kube-system"),
        ("svc_enable", "false"),   # Services get their addresses from MetalLB / Cilium
        ("vip_leaderelection", "true"), ("vip_leasename", "plndr-cp-lock"), ("vip_leaseduration", "5"),
        ("vip_renewdeadline", "3"), ("vip_retryperiod", "1"), ("address", api["vip"]),
        ("prometheus_server", ":2112"),
    ]
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "kube-vip", "namespace": "kube-system"},
        "spec": {
            "containers": [{
                "name": "kube-vip", "image": image, "imagePullPolicy": "IfNotPresent",
                "args": ["manager"],
                "env": [{"name": k, "value": v} for k, v in env],
                "securityContext": {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}},
                "volumeMounts": [{"mountPath": "/etc/kubernetes/admin.conf", "name": "kubeconfig"}],
            }],
            "hostAliases": [{"hostnames": ["kubernetes"], "ip": "127.0.0.1"}],
            "hostNetwork": True,
            "volumes": [{"name": "kubeconfig", "hostPath": {"path": kubeconfig}}],
        },
    }
