# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory schema: the single source for validation, defaults and docs.

``INVENTORY_SCHEMA`` covers the group variables (``netstack_*``);
``NODE_SCHEMA`` and ``SWITCH_SCHEMA`` cover the per-host variables.  The
``docs/inventory.md`` reference is generated from these dicts
(``tests/unit/test_docs.py`` fails when it is stale), so every property has a
``description``.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The tenant fragments belong to the tenants core (it owns their semantics).
from ansible_collections.netstack.baremetal.plugins.module_utils.tenants import (
    TENANCY_SCHEMA, TENANT_SUBNET_POOL_SCHEMA, with_tenant_properties)
# The MLAG pair of a rack belongs to its core (mlag.py checks it against the switches and the cabling).
from ansible_collections.netstack.baremetal.plugins.module_utils.mlag import MLAG_SCHEMA

NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
VARIANTS = ["kubeovn-cilium", "kubeovn-cilium-generic", "cilium", "cilium-generic", "cilium-kilo", "noop"]
NODE_OS = ["talos", "kubeadm"]
PLATFORMS = ["eos", "nxos", "junos", "sonic", "frr"]
VLAN_ROLES = ["node", "storage", "external", "management", "other"]
ASN_MAX = 4294967295
# "x-sensitive": true marks a property that names a secret's variable: a secret pasted there by mistake must
# never be echoed, so schema_check reports what is wrong without the value (and with this hint).
VAR_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"    # an Ansible variable's name (the x-sensitive properties)
SECRET_VAR_HINT = ("must be the NAME of a variable that holds the %s (e.g. %s, kept in an "
                   "ansible-vault file), not the secret itself")


def _str(description, **extra):
    extra.update({"type": "string", "description": description})
    return extra


def _int(description, **extra):
    extra.update({"type": "integer", "description": description})
    return extra


def _bool(description, default):
    return {"type": "boolean", "default": default, "description": description}


def _obj(description, properties, required=(), **extra):
    schema = {"type": "object", "description": description, "additionalProperties": False,
              "properties": properties}
    if required:
        schema["required"] = list(required)
    schema.update(extra)
    return schema


def _asn(description, **extra):
    return _int(description, minimum=1, maximum=ASN_MAX, **extra)


NETWORKS_SCHEMA = _obj("Cluster-internal address ranges. They must not overlap each other, any VLAN or any "
                       "load-balancer pool.", {
                           "pod_cidr": _str("Kube-OVN's shared pod pool (`POD_CIDR`); only the Kube-OVN variants give "
                                            "pods addresses from it (the others use `cluster_cidr`).",
                                            format="ipv4-cidr",
                                            default="10.244.0.0/16"),
                           "pod_gateway": _str("Kube-OVN pod gateway (`POD_GATEWAY`); default: the first address "
                                               "of `pod_cidr`.", format="ipv4"),
                           "service_cidr": _str("Kubernetes service CIDR.", format="ipv4-cidr",
                                                default="10.96.0.0/16"),
                           "join_cidr": _str("Kube-OVN join (node-to-pod) CIDR.", format="ipv4-cidr",
                                             default="100.64.0.0/16"),
                           "cluster_cidr": _str("Kubernetes cluster CIDR for per-node `podCIDR` allocation "
                                                "(kube-controller-manager). Cilium carves router and health "
                                                "addresses from it, so it must be disjoint from `pod_cidr` "
                                                "(reference pitfall 3). With the Cilium-only variants "
                                                "(`cilium`, `cilium-generic`, `cilium-kilo`) the pods' "
                                                "addresses come from it too (Cilium IPAM `kubernetes`).",
                                                format="ipv4-cidr",
                                                default="100.65.0.0/16"),
                           "node_cidr_mask_size": _int("Prefix length of each node's `podCIDR` slice of "
                                                       "`cluster_cidr`.", minimum=16, maximum=28, default=24),
                           "kilo_transit_cidr": _str("Kilo's WireGuard transit range (`cilium-kilo` only).",
                                                     format="ipv4-cidr", default="100.66.0.0/16"),
                           "tenant_subnet_pool": TENANT_SUBNET_POOL_SCHEMA,
                       }, default={})

API_SCHEMA = _obj("The Kubernetes API endpoint.", {
    "vip": _str("Virtual IP of the API server, on the node VLAN (Talos Layer2 VIP or kube-vip).",
                format="ipv4"),
    "port": _int("API server port.", minimum=1, maximum=65535, default=6443),
    "vlan": _str("Name of the VLAN the VIP lives on; default: the VLAN with role `node`.", pattern=NAME_PATTERN),
}, required=["vip"])

# Gateway API: owned by the gateway area (module_utils/gateway.py, admission_policies.py). The cluster-wide
# defaults live here; the per-tenant overrides are gateway.GATEWAY_TENANT_OPTIONS (merged into the tenant schema).
GATEWAY_TLS_MODES = ["http01", "dns01", "existing_secret"]
GATEWAY_ACME_ISSUERS = ["letsencrypt-prod", "letsencrypt-stage"]
GATEWAY_DNS01_PROVIDERS = ["cloudflare", "route53", "digitalocean", "rfc2136"]
GATEWAY_PASSTHROUGH_SERVICES = ["api", "vm-exportproxy", "cdi-uploadproxy"]
# The reference's trusted callers (cozystack-basics admission policies).
GATEWAY_TRUSTED_GROUPS = ["system:masters", "system:serviceaccounts:cozy-system",
                          "system:serviceaccounts:cozy-cert-manager", "system:serviceaccounts:cozy-fluxcd",
                          "system:serviceaccounts:kube-system"]
GATEWAY_HOSTNAME_PATTERN = r"^(\*\.)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$"

GATEWAY_DNS01_SCHEMA = _obj("DNS-01 solver of the ACME Issuer. Credentials are only referenced: the Secret lives in "
                            "the tenant namespace (the Issuer is namespaced); with `secret_var`, apply mode creates "
                            "it there from a (vaulted) variable.", {
                                "provider": {"type": "string", "enum": GATEWAY_DNS01_PROVIDERS,
                                             "description": "DNS provider cert-manager updates."},
                                "secret_name": _str("Secret with the provider credential (Cloudflare API token, "
                                                    "AWS secret access key, DigitalOcean token, TSIG secret).",
                                                    pattern=NAME_PATTERN),
                                "secret_key": _str("Key in that Secret; default `api-token` (cloudflare), "
                                                   "`secret-access-key` (route53), `access-token` (digitalocean), "
                                                   "`tsig-secret` (rfc2136).", minLength=1),
                                "secret_var": {"type": ["string", "null"], "pattern": VAR_NAME_PATTERN,
                                               "default": None, "x-sensitive": True, "patternHint":
                                                   SECRET_VAR_HINT % ("credential", "vault_cloudflare_token"),
                                               "description": "Name of the (vaulted) variable holding the "
                                                              "credential; apply mode then creates the Secret in "
                                                              "every namespace whose Issuer uses it. The plan and "
                                                              "the bundle only carry this name."},
                                "region": _str("route53: AWS region (required for route53).", minLength=1),
                                "access_key_id": _str("route53: access key id.", minLength=1),
                                "hosted_zone_id": _str("route53: hosted zone id; default: found by cert-manager.",
                                                       minLength=1),
                                "role": _str("route53: IAM role to assume.", minLength=1),
                                "nameserver": _str("rfc2136: `host:port` of the DNS server taking dynamic updates "
                                                   "(required for rfc2136).", minLength=1),
                                "tsig_key_name": _str("rfc2136: TSIG key name (required for rfc2136).", minLength=1),
                                "tsig_algorithm": {"type": "string",
                                                   "enum": ["HMACMD5", "HMACSHA1", "HMACSHA256", "HMACSHA512"],
                                                   "description": "rfc2136: TSIG algorithm; default HMACSHA512."},
                            }, required=["provider", "secret_name"])


def gateway_tls_schema(description, defaults=True):
    """How a tenant Gateway gets certificates: the cluster default (``defaults``) or a tenant's override (none)."""
    def default(value):
        return {"default": value} if defaults else {}
    return _obj(description, {
        "mode": dict({"type": "string", "enum": GATEWAY_TLS_MODES,
                      "description": "`http01`: one HTTPS listener and certificate per hostname listed in "
                                     "`gateway_hostnames` (ACME HTTP-01 through the Gateway); `dns01`: wildcard "
                                     "listeners `*.<apex>` + `<apex>` (+ one per inheriting sub-tenant) with one "
                                     "certificate from ACME DNS-01; `existing_secret`: the same wildcard listeners "
                                     "with a certificate Secret you provide (`secret`)."}, **default("http01")),
        "issuer": dict({"type": "string", "enum": GATEWAY_ACME_ISSUERS,
                        "description": "Let's Encrypt production or staging ACME directory."},
                       **default("letsencrypt-prod")),
        "server": _str("Another ACME directory URL (e.g. an internal CA); wins over `issuer`.",
                       pattern=r"^https://\S+$"),
        "email": _str("ACME account e-mail (expiry notices).", pattern=r"^[^@\s]+@[^@\s]+$"),
        "dns01": GATEWAY_DNS01_SCHEMA,
        "secret": _str("`existing_secret`: name of the certificate Secret in the tenant namespace (it must cover "
                       "the apex and `*.<apex>`).", pattern=NAME_PATTERN),
    }, **default({}))


# Per-tenant Gateway keys (re-exported as gateway.GATEWAY_TENANT_OPTIONS), added to each tenant's schema below.
_GATEWAY_HOSTNAME_ITEM = {"type": "string", "maxLength": 253, "pattern": GATEWAY_HOSTNAME_PATTERN,
                          "description": "A DNS name (lower case); `*.` wildcards only with TLS mode `dns01`."}
GATEWAY_TENANT_OPTIONS = {
    "gateway_pool": {"type": ["string", "null"], "pattern": NAME_PATTERN, "default": None,
                     "description": "Load-balancer pool the tenant's Gateway takes its address from; default "
                                    "`netstack_cluster.features.gateway_api.default_pool`, else the first pool with "
                                    "`auto_assign`. Only with `gateway: true`."},
    "gateway_address": {"type": ["string", "null"], "format": "ipv4", "default": None,
                        "description": "A fixed address for the Gateway, inside its pool and used by no other "
                                       "Gateway. Only with `gateway: true`."},
    "gateway_tls": gateway_tls_schema("Certificates of this tenant's Gateway; each key set here overrides "
                                      "`netstack_cluster.features.gateway_api.tls`. Only with `gateway: true`.",
                                      defaults=False),
    "gateway_hostnames": {"type": "array", "uniqueItems": True, "default": [], "items": _GATEWAY_HOSTNAME_ITEM,
                          "description": "Hostnames this tenant serves through its Gateway (its own, or the one it "
                                         "inherits), each inside the tenant's apex. TLS mode `http01`: one HTTPS "
                                         "listener and certificate each; `dns01`: names the wildcard listeners do "
                                         "not cover (deeper names) get a listener and join the certificate."},
    "gateway_passthrough": {"type": ["array", "null"], "uniqueItems": True, "default": None,
                            "items": {"type": "string", "format": "dns-label"},
                            "description": "Services reached by TLS passthrough: one listener `tls-<service>` with "
                                           "hostname `<service>.<apex>` each. Default: "
                                           "`netstack_cluster.features.gateway_api.passthrough_services` for the "
                                           "root tenant, none for the others. Only with `gateway: true`."},
}

GATEWAY_API_SCHEMA = _obj("Cilium Gateway API with per-tenant Gateways (two-step opt-in: this, then "
                          "`gateway: true` on a tenant). See docs/gateway.md.", {
                              "enabled": _bool("Install the Gateway API CRDs and let tenants opt in.", False),
                              "http2": _bool("Advertise HTTP/2 with ALPN on HTTPS listeners (Cilium "
                                             "`gatewayAPI.enableAlpn`).", True),
                              "attached_namespaces": {
                                  "type": "array", "items": {"type": "string", "pattern": NAME_PATTERN},
                                  "uniqueItems": True,
                                  "description": "Platform namespaces whose routes may attach to every tenant "
                                                 "Gateway. Must never contain a tenant namespace (nor any "
                                                 "`tenant-*` name).",
                                  "default": ["cozy-cert-manager", "cozy-dashboard", "cozy-keycloak", "cozy-system",
                                              "cozy-harbor", "cozy-bucket", "cozy-kubevirt", "cozy-kubevirt-cdi",
                                              "cozy-monitoring", "cozy-linstor-gui", "default"]},
                              "gateway_class": _str("GatewayClass of the tenant Gateways (Cilium creates "
                                                    "`cilium`).", pattern=NAME_PATTERN, default="cilium"),
                              "default_pool": {"type": ["string", "null"], "pattern": NAME_PATTERN, "default": None,
                                               "description": "Load-balancer pool of tenant Gateways that name none "
                                                              "(`gateway_pool`); default: the first pool with "
                                                              "`auto_assign`."},
                              "tls": gateway_tls_schema("Certificates of tenant Gateways; a tenant's `gateway_tls` "
                                                        "overrides these keys one by one."),
                              "passthrough_services": {
                                  "type": "array", "uniqueItems": True, "items": {"type": "string",
                                                                                  "format": "dns-label"},
                                  "default": list(GATEWAY_PASSTHROUGH_SERVICES),
                                  "description": "TLS-passthrough listeners `tls-<service>` (hostname "
                                                 "`<service>.<apex>`) of the root tenant's Gateway; other tenants "
                                                 "list theirs in `gateway_passthrough`."},
                              "admission_policies": _bool("Install the ValidatingAdmissionPolicies that keep each "
                                                          "tenant's Gateway listeners, routes and Ingress hosts "
                                                          "inside its apex and the namespace host labels "
                                                          "immutable for untrusted callers.", True),
                              "trusted_groups": {
                                  "type": "array", "minItems": 1, "uniqueItems": True,
                                  "items": {"type": "string", "minLength": 1},
                                  "default": list(GATEWAY_TRUSTED_GROUPS),
                                  "description": "Groups allowed to set or change tenant apexes and the namespace "
                                                 "labels the Gateways rely on. The account that applies this "
                                                 "collection must be in one of them."},
                          }, default={})


def _auto_bool(description):
    """A switch whose default (null) the variant decides (``variants.effective_features``)."""
    return {"type": ["boolean", "null"], "default": None, "description": description}


FEATURES_SCHEMA = _obj("Optional parts of the stack.", {
    "hubble": _bool("Hubble flow observability: relay, UI and Prometheus metrics (flows, drops, TCP, ICMP, DNS, "
                    "HTTP) on port 9965 of every node (docs/cluster_network.md). Off by default, as in the "
                    "reference.", False),
    "kube_proxy": _auto_bool("Run kube-proxy (Talos `cluster.proxy`, kubeadm's `addon/kube-proxy` phase). Default: "
                             "off where Cilium replaces it (every variant but `noop`; `true` is refused there), on "
                             "with `noop`. Set `false` with `noop` only when your own CNI replaces kube-proxy."),
    "load_balancer": _auto_bool("Install the load balancer of `netstack_load_balancer` (MetalLB and its objects, or "
                                "Cilium's LB objects). Default: on, except with variant `noop`, which installs "
                                "nothing you did not ask for. The address plan and the switches' BGP sessions "
                                "are configured either way."),
    "multus": _auto_bool("Multus thick plugin for secondary interfaces. Default: on, except with variant `noop`."),
    "cozy_proxy": _auto_bool("cozy-proxy, 1:1 NAT of external IPs into VMs. Default: on, except with variant "
                             "`noop`."),
    "host_firewall": _bool("Cilium host firewall blocking outside access to etcd, kubelet and similar ports on "
                           "every node (reference section 1.9). Ignored (off) for `cilium-kilo`.", True),
    "port_security": _auto_bool("Kube-OVN port security on every pod outside the system namespaces: the pod's "
                                "switch port only passes its own MAC and IP address, so a tenant pod cannot send "
                                "with another pod's (another tenant's) source address. Default: on with the "
                                "Kube-OVN variants (`kubeovn-cilium`, `kubeovn-cilium-generic`), where chained "
                                "Cilium does not check source addresses; ignored with the others (Cilium-only "
                                "variants check them themselves, `noop` has no Kube-OVN). Set by a "
                                "MutatingAdmissionPolicy on Kubernetes 1.36+, by the reference's webhook before "
                                "(docs/cluster_network.md, \"Port security\"). `false` removes it."),
    "gateway_api": GATEWAY_API_SCHEMA,
}, default={})

# Node preparation settings (Talos and kubeadm): owned by the nodes area (module_utils/nodes*.py).
REGISTRY_MIRROR_SCHEMA = _obj("A container registry mirror.", {
    "registry": _str("Registry the mirror serves (`docker.io`, `ghcr.io`, ...; `*` for every registry).",
                     minLength=1),
    "endpoints": {"type": "array", "minItems": 1, "description": "Mirror URLs, tried in order.",
                  "items": {"type": "string", "pattern": r"^https?://"}},
    "skip_fallback": _bool("Never fall back to the registry itself (air-gapped sites).", False),
}, required=["registry", "endpoints"])

KERNEL_MODULE_SCHEMA = _obj("A kernel module to load at boot.", {
    "name": _str("Module name.", pattern=r"^[A-Za-z0-9_-]+$"),
    "parameters": {"type": "array", "items": {"type": "string"}, "default": [],
                   "description": "Module parameters (`key=value`)."},
}, required=["name"])

NODES_SCHEMA = _obj("Settings shared by every node: OS preparation for Talos and kubeadm.", {
    "nameservers": {"type": "array", "items": {"type": "string", "format": "ipv4"}, "default": [],
                    "description": "DNS servers of the nodes; empty keeps what the OS or DHCP provides."},
    "registry_mirrors": {"type": "array", "items": REGISTRY_MIRROR_SCHEMA,
                         "default": [{"registry": "docker.io", "endpoints": ["https://mirror.gcr.io"]}],
                         "description": "Container registry mirrors (Talos `RegistryMirrorConfig`, containerd "
                                        "`certs.d/<registry>/hosts.toml` on kubeadm). The default is the "
                                        "reference's Docker Hub mirror; an air-gapped site lists its own."},
    "kernel_modules": {"type": "array", "items": KERNEL_MODULE_SCHEMA, "default": [],
                       "description": "Extra kernel modules on top of the ones the networking variant needs "
                                      "(e.g. Cozystack's storage modules `drbd`, `zfs`)."},
    "sysctls": {"type": "object", "additionalProperties": {"type": "string"}, "default": {},
                "description": "Extra sysctls; they override the variant's defaults key by key."},
    "talos": _obj("Talos nodes (`node_os: talos`).", {
        "version": _str("Talos version; the typed network documents need v1.12 or newer.",
                        pattern=r"^v1\.[0-9]+\.[0-9]+$", default="v1.13.6"),
        "image": _str("Installer image; default `ghcr.io/cozystack/cozystack/talos:<version>` (Talos with the "
                      "extensions Cozystack needs).", minLength=1),
    }, default={}),
    "kubeadm": _obj("kubeadm nodes (`node_os: kubeadm`, Debian or Ubuntu; systemd-networkd, directly or via netplan).", {
        "package_source": _obj("Where kubelet, kubeadm and kubectl come from (an APT repository).", {
            "url": _str("Repository URL; default the upstream `https://pkgs.k8s.io/core:/stable:/v<minor>/deb/`. "
                        "Point it at a mirror for air-gapped sites.", minLength=1),
            "suite": _str("Suite (`/` for a flat repository like pkgs.k8s.io).", minLength=1, default="/"),
            "components": {"type": "array", "items": {"type": "string"}, "default": [],
                           "description": "Components (empty for a flat repository)."},
            "key_url": _str("URL of the repository's ASCII-armoured signing key; default `<url>Release.key`.",
                            minLength=1),
            "key": _str("The signing key itself (ASCII-armoured), instead of `key_url`.", minLength=1),
            "trusted": _bool("Trust the repository without a signature (a local lab mirror only).", False),
        }, default={}),
        "packages": {"type": "array", "items": {"type": "string"}, "default": [],
                     "description": "Extra OS packages to install on every node."},
        "kube_vip_image": _str("kube-vip image of the API VIP static pod.", minLength=1,
                               default="ghcr.io/kube-vip/kube-vip:v0.9.2"),
        "sandbox_image": _str("containerd's pause image.", minLength=1, default="registry.k8s.io/pause:3.10"),
        "network_renderer": {"type": "string", "enum": ["networkd", "netplan"], "default": "networkd",
                             "description": "How the node network (bond, VLANs, addresses, routes, MTU) is "
                                            "written: `networkd` as systemd-networkd files in "
                                            "`/etc/systemd/network/` (`10-`/`20-`/`30-netstack-*`); `netplan` as "
                                            "one `/etc/netplan/60-netstack.yaml` (mode 0600) applied with "
                                            "`netplan apply`. Choose `netplan` on Ubuntu and wherever "
                                            "cloud-init or netplan configures the NICs: netplan's "
                                            "`/run/systemd/network/10-netplan-*` files sort before and win over "
                                            "the networkd ones. The same network either way (docs/nodes.md)."},
    }, default={}),
}, default={})


# Cluster network components (chart pins and sources, speakers): owned by the cluster_network area
# (module_utils/cluster_network*.py, charts.py). Defaults live in charts.py, the one place of pins.
def _helm_component(description):
    return _obj(description + " Every key overrides the pin in `plugins/module_utils/charts.py` "
                "(table in docs/cluster_network.md).", {
                    "repo": _str("Chart repository: an HTTP(S) Helm repository (e.g. a mirror) or an OCI registry "
                                 "path `oci://registry/path` (the chart name is appended).",
                                 pattern=r"^(https?|oci)://\S+$"),
                    "chart": _str("Chart name in the repository.", pattern=NAME_PATTERN),
                    "version": _str("Chart version.", minLength=1),
                    "path": _str("Chart directory or packaged `.tgz` on the controller (air-gapped sites); wins "
                                 "over `repo` and `version`.", minLength=1),
                    "namespace": _str("Namespace of the release.", pattern=NAME_PATTERN),
                    "release": _str("Helm release name.", pattern=NAME_PATTERN),
                    "timeout": _int("Seconds to wait for the release to become ready.", minimum=30, maximum=7200),
                    "values": {"type": "object", "default": {},
                               "description": "Extra Helm values, deep-merged over the computed ones. Values that "
                                              "break what the variant needs (chaining, API access, policy and "
                                              "load-balancer engines) are refused at plan time."},
                }, default={})


def _manifest_component(description, workload="DaemonSet"):
    return _obj(description + " Every key overrides the pin in `plugins/module_utils/charts.py`.", {
        "image": _str("Container image (a mirror's copy on air-gapped sites).", minLength=1),
        "namespace": _str("Namespace.", pattern=NAME_PATTERN),
        "timeout": _int("Seconds to wait for the %s to be ready." % workload, minimum=30, maximum=7200),
    }, default={})


# Rollout switches of playbooks/nodes.yml (nodes area), plugged into INVENTORY_SCHEMA.
NODES_PLAYBOOK_VARS = {
    "netstack_node_prep_skip_kernel": _bool("Skip the node steps that need a running kernel, systemd or kubelet "
                                            "(modprobe, applying sysctls, swapoff, services, kubeadm init/join) "
                                            "so the preparation can run in a chroot or an image build; the files "
                                            "and configuration are still written (docs/nodes.md).", False),
    "netstack_node_batch": {"type": ["integer", "string"], "pattern": r"^[0-9]+%$", "minimum": 1, "default": "25%",
                            "description": "Batch size (`serial`) of the worker and node-preparation plays of "
                                           "`playbooks/nodes.yml`: a number of nodes or a percentage. Control-plane "
                                           "nodes always go one at a time; any failure stops the rollout."},
}

# Run-time input of playbooks/remove_tenant.yml (tenants area), plugged into INVENTORY_SCHEMA.
TENANTS_PLAYBOOK_VARS = {
    "netstack_recorded_cluster_state": {
        "type": ["string", "null"], "default": None,
        "description": "Path of a recorded cluster state (YAML: raw `k8s_info` Namespace/Pod/PVC objects, or the "
                       "reduced form `namespaces: {<name>: {labels, pods, pvcs}}`) that `playbooks/remove_tenant.yml` "
                       "decides from instead of reading the cluster; for tests and render-mode reviews "
                       "(docs/tenants.md). Usually given with `-e`."},
}

COMPONENTS_SCHEMA = _obj("Where each cluster-network component comes from: chart repositories, versions, images "
                         "and namespaces. Empty means the pinned defaults.", {
                             "cilium": _helm_component("The Cilium chart."),
                             "kube_ovn": _helm_component("The Kube-OVN chart."),
                             "metallb": _helm_component("The MetalLB chart."),
                             "multus": _manifest_component("Multus (thick plugin), generated manifests."),
                             "cozy_proxy": _manifest_component("cozy-proxy, generated manifests."),
                             "kilo": _manifest_component("Kilo (variant `cilium-kilo`), generated manifests."),
                             "kubeovn_webhook": _manifest_component(
                                 "The reference's port-security webhook, generated manifests: only with "
                                 "`features.port_security` on a Kubernetes older than 1.36.", workload="Deployment"),
                             "gateway_api_crds": _obj("The Gateway API CRDs (experimental channel), applied as "
                                                      "published.", {
                                                          "version": _str("Gateway API release.",
                                                                          pattern=r"^v[0-9]+\.[0-9]+\.[0-9]+$"),
                                                          "url": _str("Download URL; `{version}` and `{channel}` are "
                                                                      "filled in. Point it at a mirror for "
                                                                      "air-gapped sites.",
                                                                      pattern=r"^https?://"),
                                                          "path": _str("The manifests on the controller instead of a "
                                                                       "download (air-gapped sites): one file, or a "
                                                                       "directory whose `.yaml`/`.yml`/`.json` files "
                                                                       "are applied in name order. Wins over `url`.",
                                                                       minLength=1),
                                                          "checksum": _str("Checksum of the download, "
                                                                           "`sha256:<hex>`.",
                                                                           pattern=r"^sha(256|512):[0-9a-f]+$"),
                                                          "timeout": _int("Seconds to wait for the CRDs.",
                                                                          minimum=10, maximum=3600),
                                                      }, default={}),
                         }, default={})

BGP_SPEAKERS_SCHEMA = _obj("How the node-side BGP objects (MetalLB BGPPeer, Cilium BGP cluster configs) select "
                           "their nodes.", {
                               "scope": {"type": "string", "enum": ["node", "rack"], "default": "node",
                                         "description": "`node`: one object per session, pinned to its node by "
                                                        "`kubernetes.io/hostname` (node names are the inventory "
                                                        "host names); `rack`: one per rack and switch, selected by "
                                                        "`rack_label` (fewer objects; needs node ASN scheme "
                                                        "`per_rack` or `shared` and the label on every node)."},
                               "rack_label": _str("Node label whose value is the rack name (scope `rack`).",
                                                  minLength=1, default="topology.kubernetes.io/zone"),
                           }, default={})

CLUSTER_SCHEMA = _obj("The cluster: identity, node OS, networking variant, API endpoint and ranges.", {
    "name": _str("Cluster name; also names the bundle directory.", pattern=NAME_PATTERN),
    "node_os": {"type": "string", "enum": NODE_OS, "default": "talos", "description": "Node operating system."},
    "variant": {"type": "string", "enum": VARIANTS,
                "description": "Networking variant; default `kubeovn-cilium` on Talos, `kubeovn-cilium-generic` on "
                               "kubeadm. `cilium-kilo` needs Talos; the `-generic` variants are the kubeadm ones."},
    "kubernetes_version": _str("Kubernetes version (x.y.z).", pattern=r"^1\.[0-9]+\.[0-9]+$", default="1.33.5"),
    "dns_domain": _str("Cluster DNS domain, set at bootstrap.", format="hostname", default="cozy.local"),
    "api": API_SCHEMA,
    "networks": NETWORKS_SCHEMA,
    "features": FEATURES_SCHEMA,
    "tenancy": TENANCY_SCHEMA,
    "nodes": NODES_SCHEMA,
    "components": COMPONENTS_SCHEMA,
    "bgp_speakers": BGP_SPEAKERS_SCHEMA,
}, required=["name", "api"])

VLAN_SCHEMA = _obj("A VLAN of the fabric.", {
    "id": _int("802.1Q VLAN id.", minimum=1, maximum=4094),
    "name": _str("Name used to refer to the VLAN elsewhere in the inventory.", pattern=NAME_PATTERN),
    "cidr": _str("The VLAN's IPv4 subnet.", format="ipv4-cidr"),
    "role": {"type": "string", "enum": VLAN_ROLES, "description": "What the VLAN carries. Exactly one VLAN has "
             "role `node` (Kubernetes node addresses and BGP peering)."},
    "gateway": _str("Gateway address (the switches' shared SVI address); default: the first address.",
                    format="ipv4"),
    "mtu": _int("MTU on the VLAN.", minimum=1280, maximum=9216, default=1500),
    "routed": {"type": "boolean", "description": "Whether the switches route the VLAN (SVI per switch plus the "
               "shared gateway). Default: true for roles node and external, false otherwise."},
    "node_addresses": {"type": "boolean", "description": "Whether every node gets an address on the VLAN. "
                       "Default: true for roles node and storage, false otherwise."},
    "node_offset": _int("A node's address is the network address + node_offset + the node's index.",
                        minimum=1, default=10),
}, required=["id", "name", "cidr", "role"])

RACK_SCHEMA = _obj("A rack (a failure domain with its own top-of-rack switches).", {
    "name": _str("Rack name, referred to by nodes and switches.", pattern=NAME_PATTERN),
    "index": _int("Stable rack number; derives switch ASNs and SVI addresses. Never reuse one.",
                  minimum=1, maximum=250),
    "mlag": MLAG_SCHEMA,
}, required=["name", "index"])

ASN_SCHEME_SCHEMA = _obj("How ASNs are derived.", {
    "switches": _obj("Switch ASNs.", {
        "base": _asn("First switch ASN.", default=65100),
        "scheme": {"type": "string", "enum": ["per_rack", "per_switch", "shared"], "default": "per_rack",
                   "description": "`per_rack`: base + rack index (both ToRs of a rack share it); `per_switch`: "
                                  "base + 4 * (rack index - 1) + switch index; `shared`: base everywhere."},
    }, default={}),
    "nodes": _obj("Node (BGP speaker) ASNs.", {
        "base": _asn("First node ASN.", default=65000),
        "scheme": {"type": "string", "enum": ["shared", "per_rack", "per_node"], "default": "per_rack",
                   "description": "`shared`: base on every node; `per_rack`: base + rack index; `per_node`: "
                                  "base + node index."},
    }, default={}),
}, default={})

BGP_SCHEMA = _obj("BGP between nodes and their top-of-rack switches.", {
    "peering_vlan": _str("VLAN the sessions run on; default: the VLAN with role `node`.", pattern=NAME_PATTERN),
    "keepalive": _int("Keepalive timer in seconds.", minimum=1, maximum=21845, default=3),
    "hold_time": _int("Hold timer in seconds (at least 3 x keepalive).", minimum=3, maximum=65535, default=9),
    "bfd": _bool("Enable BFD on every session.", False),
    "password_var": {"type": ["string", "null"], "pattern": VAR_NAME_PATTERN, "default": None,
                     "x-sensitive": True, "patternHint": SECRET_VAR_HINT % ("password", "vault_netstack_bgp_password"),
                     "description": "Name of the (vaulted) Ansible variable holding the session password. "
                                    "The plan and the bundle only carry this name, never the secret. The plan "
                                    "fails when that variable is not defined on the controller and on every switch "
                                    "with BGP sessions, and warns when it is not vault-encrypted."},
    "send_to_nodes": {"type": "string", "enum": ["nothing", "default_route"], "default": "nothing",
                      "description": "What the switches announce to the nodes."},
    "dynamic_neighbors": _bool("Use listen ranges on the switches instead of one neighbor per node "
                               "(large racks). Needs a node ASN scheme of `shared` or `per_rack`.", False),
    "max_paths": {"type": ["integer", "null"], "minimum": 1, "maximum": 512, "default": None,
                  "description": "ECMP paths on the switches; default: the largest number of nodes in a rack."},
}, default={})

FABRIC_SCHEMA = _obj("The physical network: VLANs, racks, ASNs, BGP options.", {
    "vlans": {"type": "array", "minItems": 1, "items": VLAN_SCHEMA, "description": "Every VLAN of the fabric."},
    "racks": {"type": "array", "minItems": 1, "items": RACK_SCHEMA, "description": "Every rack."},
    "asn": ASN_SCHEME_SCHEMA,
    "bgp": BGP_SCHEMA,
}, required=["vlans", "racks"])

POOL_SCHEMA = _obj("A load-balancer address pool.", {
    "name": _str("Pool name (the MetalLB IPAddressPool / Cilium pool name).", pattern=NAME_PATTERN),
    "addresses": {"type": "array", "minItems": 1, "description": "CIDRs or `first-last` ranges.",
                  "items": {"type": "string", "format": "ipv4-range"}},
    "vlan": _str("VLAN the pool lives on. Required in L2 mode (the nodes answer ARP there); in BGP mode the pool "
                 "may be a routed range outside every VLAN.", pattern=NAME_PATTERN),
    "auto_assign": _bool("Assign from this pool to Services that name no pool.", True),
}, required=["name", "addresses"])

LOAD_BALANCER_SCHEMA = _obj("How LoadBalancer Services get and announce their addresses.", {
    "mode": {"type": "string", "enum": ["l2", "bgp"], "default": "l2",
             "description": "`l2`: ARP from one node per address; `bgp`: every node announces /32s to its ToRs."},
    "implementation": {"type": "string", "enum": ["metallb", "cilium"], "default": "metallb",
                       "description": "MetalLB (reference) or Cilium's LB-IPAM with L2 announcements / BGP "
                                      "control plane."},
    "pools": {"type": "array", "minItems": 1, "items": POOL_SCHEMA, "description": "Address pools."},
}, required=["pools"])

INVENTORY_SCHEMA = _obj("Group variables of a netstack inventory.", {
    "netstack_mode": {"type": "string", "enum": ["render", "apply"], "default": "render",
                      "description": "`render` writes what would be applied into the bundle and touches nothing; "
                                     "`apply` configures switches, nodes and the cluster."},
    "netstack_bundle_dir": _str("Where the bundle is written; default `build/<cluster name>` in the current "
                                "directory (where `ansible-playbook` runs), never inside the installed collection. "
                                "A relative path is taken from the current directory too."),
    "netstack_secrets_dir": _str("Where apply mode keeps, on the controller, what holds cluster credentials and so "
                                 "never goes into the bundle: each Talos node's full machine config "
                                 "(`nodes/<host>/config.yaml`) and the admin kubeconfig the nodes playbook fetches "
                                 "when `netstack_kubeconfig` is unset (`kubeconfig`). Default `<bundle dir>-secrets`, "
                                 "beside the bundle; a relative path is taken from the current directory. Created "
                                 "mode 0700 with a `.gitignore` of `*`, files mode 0600. It may not lie inside the "
                                 "bundle, nor the bundle inside it."),
    "netstack_kubeconfig": _str("Kubeconfig used in apply mode (K8S_AUTH_* environment variables also work); the "
                                "nodes playbook fetches the admin kubeconfig to it (default "
                                "`<netstack_secrets_dir>/kubeconfig`). It may not lie inside the bundle."),
    "netstack_cluster": CLUSTER_SCHEMA,
    "netstack_fabric": FABRIC_SCHEMA,
    "netstack_load_balancer": LOAD_BALANCER_SCHEMA,
    "netstack_tenants": with_tenant_properties(GATEWAY_TENANT_OPTIONS),
    **NODES_PLAYBOOK_VARS,
    **TENANTS_PLAYBOOK_VARS,
}, required=["netstack_cluster", "netstack_fabric", "netstack_load_balancer"])

UPLINK_SCHEMA = _obj("One cable from the node to a switch port.", {
    "switch": _str("Inventory name of the switch.", minLength=1),
    "port": _str("Switch port (e.g. Ethernet1, Ethernet1/1, xe-0/0/1, swp1).", minLength=1),
    "nic": _str("Node interface name (e.g. enp1s0f0).", minLength=1),
}, required=["switch", "port", "nic"])

NODE_SCHEMA = _obj("Per-node host variable `netstack_node`.", {
    "rack": _str("Rack the node stands in.", pattern=NAME_PATTERN),
    "index": _int("Stable node number, unique in the cluster; derives the node's addresses. Never reuse one.",
                  minimum=1, maximum=4000),
    "uplinks": {"type": "array", "items": UPLINK_SCHEMA, "default": [],
                "description": "Cables to the rack's switches: at least one (the node's BGP peers are the "
                               "switches cabled here). Two or more form a bond."},
    "bond_mode": {"type": "string", "enum": ["802.3ad", "active-backup", "balance-xor"], "default": "802.3ad",
                  "description": "Bond mode when the node has several uplinks (802.3ad = LACP, an MLAG port "
                                 "channel on the switches)."},
    "install_disk": _str("Disk Talos installs to / the OS lives on.", default="/dev/sda"),
    "labels": {"type": "object", "default": {}, "additionalProperties": {"type": "string"},
               "description": "Extra Kubernetes node labels."},
    "state": {"type": "string", "enum": ["active", "removed"], "default": "active",
              "description": "`removed`: the node is retired (playbooks/remove_node.yml). It stays in the inventory so "
                             "its index stays reserved and its switch ports are kept shut with their description; "
                             "it has no BGP session, no Kubernetes object and no node configuration."},
}, required=["rack", "index"])

SWITCH_SCHEMA = _obj("Per-switch host variable `netstack_switch`.", {
    "rack": _str("Rack the switch serves.", pattern=NAME_PATTERN),
    "index": _int("Switch number within the rack (1-4).", minimum=1, maximum=4),
    "platform": {"type": "string", "enum": PLATFORMS,
                 "description": "Switch platform; default: derived from `ansible_network_os`."},
    "router_id": _str("BGP router id (usually the loopback).", format="ipv4"),
    "asn": _asn("ASN, when not derived from `netstack_fabric.asn`."),
}, required=["rack", "index", "router_id"])

NETWORK_OS_PLATFORMS = {
    "arista.eos.eos": "eos", "eos": "eos",
    "cisco.nxos.nxos": "nxos", "nxos": "nxos",
    "junipernetworks.junos.junos": "junos", "junos": "junos",
    "dellemc.enterprise_sonic.sonic": "sonic", "sonic": "sonic",
    "frr": "frr", "linux": "frr",
}
