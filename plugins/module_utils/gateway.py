# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-tenant Gateway API: Gateways, ACME Issuers, Certificates, redirects, admission policies.

The reference platform renders a ``TenantGateway`` custom resource and lets a
controller build the Gateway, Issuer and Certificates (facts file section 3.2,
pitfall 12).  Here the collection computes the same objects itself from the
inventory, so nothing but Cilium's own Gateway controller and cert-manager
runs in the cluster:

* two-step opt-in: ``netstack_cluster.features.gateway_api.enabled``, then
  ``gateway: true`` on a tenant; a tenant that does not opt in uses its nearest
  ancestor's Gateway (the tenants area computes that owner: the
  ``namespace.cozystack.io/gateway`` locator);
* per owning tenant: a Gateway ``cozystack`` (GatewayClass ``cilium``) with an
  ``http`` listener on 80, HTTPS listeners on 443 (one per hostname for
  HTTP-01; ``*.<apex>``, ``<apex>`` and one per inheriting sub-tenant apex for
  DNS-01 or an existing certificate), one TLS-passthrough listener
  ``tls-<service>`` per passthrough service; the HTTP->HTTPS redirect route; an
  Issuer with its own ACME account; the Certificates; the Gateway's address
  from the tenant's load-balancer pool;
* every listener admits routes by namespace only: ``http`` the owner and the
  cluster's attached namespaces (by name, a label the API server sets), the
  443 listeners the namespaces labelled ``gateway.netstack.baremetal/<owner
  namespace>`` (the owner, its inheriting sub-tenants, the attached
  namespaces; a label per Gateway, so an attached namespace can serve several
  Gateways, unlike the reference's single-valued locator label).  Those
  labels are written by this area as partial Namespace objects (server-side
  apply with its own field manager) and guarded by the admission policies.

Area contract: ``plan_gateway(site, plan, problems)`` -> ``plan["gateway"]``,
``render_gateway(plan)`` -> ``{path: text}``.  The objects are stored once, in
``apply`` (the batches in the order the role applies them); the bundle groups
them per tenant (``gateway/<tenant namespace>.yaml``).  Day 2: ``prune``
describes, per kind this area owns, the label selector and what the plan
keeps; ``stale_objects(prune, listed)`` turns what the cluster listed into the
objects the role deletes after the batches.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
import ipaddress
import re

from ansible_collections.netstack.baremetal.plugins.module_utils import admission_policies as admission
from ansible_collections.netstack.baremetal.plugins.module_utils import charts, schema, schema_check
from ansible_collections.netstack.baremetal.plugins.module_utils import tenant_policies
from ansible_collections.netstack.baremetal.plugins.module_utils import tenants as tenants_mod
from ansible_collections.netstack.baremetal.plugins.module_utils.addressing import pool_networks
from ansible_collections.netstack.baremetal.plugins.module_utils.lb_objects import POOL_LABEL
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import (
    Problem, join_path, known_or_close)
from ansible_collections.netstack.baremetal.plugins.module_utils.yamlout import dump_yaml, dump_yaml_all

SECTION = "gateway"
FEATURE_PATH = "netstack_cluster.features.gateway_api"
CRDS_PATH = "netstack_cluster.components.gateway_api_crds"
TENANTS_PATH = "netstack_tenants"

GATEWAY_API = "gateway.networking.k8s.io"
GATEWAY_API_VERSION = GATEWAY_API + "/v1"
CERT_MANAGER_API_VERSION = "cert-manager.io/v1"

# Names the reference's controller gives the objects (facts 3.2); one Gateway per tenant namespace.
GATEWAY_NAME = "cozystack"
ISSUER_NAME = GATEWAY_NAME + "-gateway"
ACME_ACCOUNT_SECRET = GATEWAY_NAME + "-acme-account"
WILDCARD_CERTIFICATE = GATEWAY_NAME + "-gateway-tls"
REDIRECT_ROUTE = GATEWAY_NAME + "-http-redirect"
GATEWAY_OWNER_LABEL = "cozystack.io/gateway"
PER_LISTENER_CERT_LABEL = "cozystack.io/per-listener-cert"
METADATA_NAME_LABEL = "kubernetes.io/metadata.name"

ACME_SERVERS = {
    "letsencrypt-prod": "https://acme-v02.api.letsencrypt.org/directory",
    "letsencrypt-stage": "https://acme-staging-v02.api.letsencrypt.org/directory",
}
DNS01_SECRET_KEYS = {"cloudflare": "api-token", "route53": "secret-access-key", "digitalocean": "access-token",
                     "rfc2136": "tsig-secret"}
DNS01_REQUIRED = {"route53": ("region",), "rfc2136": ("nameserver", "tsig_key_name")}
DNS01_EXAMPLES = {"region": "us-east-1", "nameserver": "192.0.2.53:53", "tsig_key_name": "acme-key"}

METALLB_POOL_ANNOTATION = "metallb.io/address-pool"
METALLB_IPS_ANNOTATION = "metallb.io/loadBalancerIPs"

LISTENER_LIMIT = 64            # Gateway API: spec.listeners maxItems
ACME_NAMES_LIMIT = 100         # Let's Encrypt: names per certificate
FIELD_MANAGER = "netstack-gateway"

# Per-tenant keys: defined next to GATEWAY_API_SCHEMA in schema.py (which assembles the tenant schema with
# tenants.with_tenant_properties; this module imports schema.py, so the constant cannot live here).
GATEWAY_TENANT_OPTIONS = schema.GATEWAY_TENANT_OPTIONS
_OWNER_ONLY_KEYS = ("gateway_pool", "gateway_address", "gateway_tls", "gateway_passthrough")
_TENANT_OPTIONS_SCHEMA = {"type": "object", "properties": GATEWAY_TENANT_OPTIONS}

_LABEL_RE = re.compile(r"[^a-z0-9-]+")


# --- settings ---------------------------------------------------------------

def gateway_settings(site, problems=None):
    """``netstack_cluster.features.gateway_api`` with defaults filled in."""
    raw = (((site.get("cluster") or {}).get("features") or {}).get("gateway_api")) or {}
    return schema_check.validate(schema.GATEWAY_API_SCHEMA, raw, FEATURE_PATH,
                                 problems if problems is not None else [])[0]


def gateway_api_crds(site, problems=None):
    """Where the Gateway API CRDs come from: the experimental channel (TLSRoute), installed before Cilium.

    The cluster network area installs them (release ``gateway-api-crds``, first
    after the namespaces); this returns the same reference, resolved from
    ``charts.GATEWAY_API_CRDS`` and ``netstack_cluster.components.gateway_api_crds``
    (``version``, ``url`` or a local ``path``), and appends a Problem when the
    override would install the standard channel (no TLSRoute) or a release
    without ``Gateway.spec.infrastructure`` (before v1.1).
    """
    components = charts.resolve_components((site.get("cluster") or {}).get("components"))
    crds = components["gateway_api_crds"]
    reference = {
        "version": crds["version"], "channel": crds["channel"], "url": crds["url"], "path": crds.get("path"),
        "checksum": crds.get("checksum"), "timeout": crds["timeout"],
        "installed_by": "cluster_network release gateway-api-crds, before Cilium",
        "required_kinds": ["GatewayClass", "Gateway", "HTTPRoute", "GRPCRoute", "TLSRoute", "ReferenceGrant"],
    }
    if problems is not None:
        source = crds.get("path") or crds["url"]
        if crds["channel"] != "experimental" or "standard-install" in source:
            problems.append(Problem(CRDS_PATH, "'%s' is the standard channel: TLS passthrough needs TLSRoute, which "
                                    "only the experimental channel installs" % source,
                                    "use the experimental-install.yaml of the release"))
        match = re.match(r"^v(\d+)\.(\d+)\.", crds["version"])
        if match and (int(match.group(1)), int(match.group(2))) < (1, 1):
            problems.append(Problem(CRDS_PATH + ".version", "Gateway API %s has no Gateway spec.infrastructure, "
                                    "which selects the Gateways' load-balancer pool" % crds["version"],
                                    "use v1.1.0 or newer (the reference pins %s)"
                                    % charts.GATEWAY_API_CRDS["version"]))
    return reference


def _add(problems, problem, path_once=False):
    """Append unless already reported; ``path_once``: unless anything at that path was (the tenants area checks
    some of the same things with other words)."""
    if path_once:
        if not any(p.path == problem.path for p in problems):
            problems.append(problem)
    elif problem not in problems:
        problems.append(problem)


def _tenant_path(name, *keys):
    path = join_path(TENANTS_PATH, name)
    for key in keys:
        path = join_path(path, key)
    return path


def _tenant_options(name, raw, problems):
    """The tenant's gateway_* keys with defaults, validated here too so the core works on a partial site (unit
    tests, day-2 callers); through the plan engine the inventory schema has already checked them."""
    subset = dict((k, v) for k, v in (raw or {}).items() if k in GATEWAY_TENANT_OPTIONS)
    if all(v is None or (v == [] and k != "gateway_passthrough") for k, v in subset.items()):
        # the common case, thousands of times: nothing set (or only the defaults the schema filled in)
        return {"gateway_pool": None, "gateway_address": None, "gateway_hostnames": [],
                "gateway_passthrough": None}, True
    found = []
    options = schema_check.validate(_TENANT_OPTIONS_SCHEMA, subset, _tenant_path(name), found)[0]
    for problem in found:
        _add(problems, problem)
    return options, not found


def _tenant_section(site, plan, problems):
    """``plan["tenants"]`` when the tenants area ran, else computed here (validated first)."""
    section = plan.get("tenants") if isinstance(plan, dict) else None
    if isinstance(section, dict) and "tenants" in section:
        return section
    if isinstance(section, dict):      # the tenants area ran and found problems
        return None
    found = tenants_mod.validate_tenants(site)
    if found:
        for problem in found:
            _add(problems, problem, path_once=True)
        return None
    return tenants_mod.plan_tenants(site)


# --- hostnames --------------------------------------------------------------

def inside(hostname, apex):
    """True when ``hostname`` (a ``*.`` wildcard included) lies inside ``apex`` (case-insensitive)."""
    hostname, apex = hostname.lower(), apex.lower()
    return hostname == apex or hostname.endswith("." + apex)


def _hash8(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def _first_label(hostname):
    """The first label of the name (after a ``*.`` wildcard), for listener names."""
    if hostname.startswith("*."):
        hostname = hostname[2:]
    label = _LABEL_RE.sub("-", hostname.split(".", 1)[0]).strip("-")
    return label[:40] or "host"


def listener_name(prefix, hostname):
    """``<prefix>-<first label>-<8 hex of sha256(hostname)>``, the reference's listener naming."""
    return "%s-%s-%s" % (prefix, _first_label(hostname), _hash8(hostname))


def _parent_domain(hostname):
    return hostname.split(".", 1)[1] if "." in hostname else ""


# --- objects ----------------------------------------------------------------

def _labels(namespace, extra=None):
    labels = {GATEWAY_OWNER_LABEL: namespace}
    labels.update(tenant_policies.object_labels(namespace))
    labels.update(extra or {})
    return labels


def _meta(name, namespace, extra_labels=None):
    return {"name": name, "namespace": namespace, "labels": _labels(namespace, extra_labels)}


def attach_label(owner_namespace):
    """The namespace label that lets routes of a namespace attach to ``owner_namespace``'s Gateway."""
    return admission.ATTACH_LABEL_PREFIX + owner_namespace


def _route_kinds():
    return [{"group": GATEWAY_API, "kind": "HTTPRoute"}, {"group": GATEWAY_API, "kind": "TLSRoute"}]


def http_listener(namespace, attached):
    """Port 80: the redirect and the ACME HTTP-01 solver routes, from the owner and the attached namespaces."""
    return {"name": "http", "port": 80, "protocol": "HTTP",
            "allowedRoutes": {"kinds": [{"group": GATEWAY_API, "kind": "HTTPRoute"}],
                              "namespaces": {"from": "Selector", "selector": {"matchExpressions": [
                                  {"key": METADATA_NAME_LABEL, "operator": "In",
                                   "values": [namespace] + list(attached)}]}}}}


def _allowed_443(namespace):
    # Both kinds on every 443 listener, as the reference (cilium#45559); Cilium 1.19 then reports a cosmetic
    # ResolvedRefs=False/InvalidRouteKinds on the HTTPS listeners.
    return {"kinds": _route_kinds(),
            "namespaces": {"from": "Selector", "selector": {"matchLabels": {attach_label(namespace): "true"}}}}


def https_listener(name, hostname, namespace, secret):
    return {"name": name, "hostname": hostname, "port": 443, "protocol": "HTTPS",
            "tls": {"mode": "Terminate", "certificateRefs": [{"group": "", "kind": "Secret", "name": secret}]},
            "allowedRoutes": _allowed_443(namespace)}


def passthrough_listener(service, apex, namespace):
    return {"name": "tls-%s" % service, "hostname": "%s.%s" % (service, apex), "port": 443, "protocol": "TLS",
            "tls": {"mode": "Passthrough"}, "allowedRoutes": _allowed_443(namespace)}


def build_gateway(namespace, listeners, gateway_class="cilium", address=None, infrastructure=None):
    """The tenant Gateway ``cozystack`` in ``namespace``."""
    spec = {"gatewayClassName": gateway_class}
    if address:
        spec["addresses"] = [{"type": "IPAddress", "value": address}]
    if infrastructure:
        spec["infrastructure"] = infrastructure
    spec["listeners"] = listeners
    return {"apiVersion": GATEWAY_API_VERSION, "kind": "Gateway", "metadata": _meta(GATEWAY_NAME, namespace),
            "spec": spec}


def pool_selection(implementation, pool, address=None):
    """(``spec.addresses`` value, ``spec.infrastructure``) steering the Gateway's Service to ``pool``.

    MetalLB reads its annotations on the Service (Cilium copies
    ``spec.infrastructure`` there); Cilium LB-IPAM honours ``spec.addresses``
    and selects non-auto-assign pools by the ``netstack.io/lb-pool`` label
    (lb_objects.py puts that serviceSelector on them).
    """
    if implementation == "cilium":
        return address, {"labels": {POOL_LABEL: pool}}
    annotations = {METALLB_POOL_ANNOTATION: pool}
    if address:
        annotations[METALLB_IPS_ANNOTATION] = address
    return None, {"annotations": annotations}


def _secret_ref(dns01):
    provider = dns01["provider"]
    return {"name": dns01["secret_name"], "key": dns01.get("secret_key") or DNS01_SECRET_KEYS[provider]}


def dns01_solver(dns01):
    """The cert-manager DNS-01 solver block of a provider; credentials by Secret reference only."""
    provider = dns01["provider"]
    ref = _secret_ref(dns01)
    if provider == "cloudflare":
        body = {"apiTokenSecretRef": ref}
    elif provider == "digitalocean":
        body = {"tokenSecretRef": ref}
    elif provider == "route53":
        body = {"region": dns01.get("region", "")}
        for key, field in (("access_key_id", "accessKeyID"), ("hosted_zone_id", "hostedZoneID"), ("role", "role")):
            if dns01.get(key):
                body[field] = dns01[key]
        body["secretAccessKeySecretRef"] = ref
    elif provider == "rfc2136":
        body = {"nameserver": dns01.get("nameserver", ""), "tsigKeyName": dns01.get("tsig_key_name", ""),
                "tsigAlgorithm": dns01.get("tsig_algorithm") or "HMACSHA512", "tsigSecretSecretRef": ref}
    else:
        raise ValueError("unknown DNS-01 provider %r" % provider)
    return {"dns01": {provider: body}}


def http01_solver(namespace):
    """HTTP-01 through the tenant's own Gateway (its ``http`` listener)."""
    return {"http01": {"gatewayHTTPRoute": {"parentRefs": [
        {"group": GATEWAY_API, "kind": "Gateway", "name": GATEWAY_NAME, "namespace": namespace,
         "sectionName": "http"}]}}}


def build_issuer(namespace, tls):
    """The tenant's ACME Issuer with its own account key (``cozystack-acme-account`` in its namespace)."""
    acme = {"server": tls.get("server") or ACME_SERVERS[tls["issuer"]]}
    if tls.get("email"):
        acme["email"] = tls["email"]
    acme["privateKeySecretRef"] = {"name": ACME_ACCOUNT_SECRET}
    acme["solvers"] = [dns01_solver(tls["dns01"]) if tls["mode"] == "dns01" else http01_solver(namespace)]
    return {"apiVersion": CERT_MANAGER_API_VERSION, "kind": "Issuer", "metadata": _meta(ISSUER_NAME, namespace),
            "spec": {"acme": acme}}


def build_certificate(namespace, name, dns_names, per_listener=False):
    extra = {PER_LISTENER_CERT_LABEL: "true"} if per_listener else None
    return {"apiVersion": CERT_MANAGER_API_VERSION, "kind": "Certificate",
            "metadata": _meta(name, namespace, extra),
            "spec": {"secretName": name, "dnsNames": list(dns_names),
                     "issuerRef": {"group": "cert-manager.io", "kind": "Issuer", "name": ISSUER_NAME}}}


def build_redirect_route(namespace):
    """HTTP -> HTTPS (301) for every hostname on the Gateway's ``http`` listener."""
    return {"apiVersion": GATEWAY_API_VERSION, "kind": "HTTPRoute", "metadata": _meta(REDIRECT_ROUTE, namespace),
            "spec": {"parentRefs": [{"group": GATEWAY_API, "kind": "Gateway", "name": GATEWAY_NAME,
                                     "sectionName": "http"}],
                     "rules": [{"filters": [{"type": "RequestRedirect",
                                             "requestRedirect": {"scheme": "https", "statusCode": 301}}]}]}}


def namespace_patch(namespace, labels, annotations=None):
    """A partial Namespace: only the keys this area owns (server-side apply, field manager netstack-gateway)."""
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": namespace, "labels": dict(sorted(labels.items())),
                         "annotations": dict(sorted((annotations or {}).items()))}}


def tenant_listeners(namespace, apex, tls, hostnames, members, passthrough, attached):
    """(listeners, certificates, names every certificate must cover) of one owner's Gateway.

    ``hostnames``: [(hostname, declaring tenant)] served through this Gateway;
    ``members``: [(namespace, apex)] of the inheriting sub-tenants.
    """
    listeners = [http_listener(namespace, attached)]
    certificates = []
    seen = set()
    if tls["mode"] == "http01":
        for hostname, _tenant in hostnames:
            if hostname in seen:
                continue
            seen.add(hostname)
            name = listener_name("https", hostname)
            secret = "%s-%s-tls" % (GATEWAY_NAME, name[len("https-"):])
            listeners.append(https_listener(name, hostname, namespace, secret))
            certificates.append(build_certificate(namespace, secret, [hostname], per_listener=True))
        covered = sorted(seen)
    else:
        secret = WILDCARD_CERTIFICATE if tls["mode"] == "dns01" else tls["secret"]
        names = []

        def add(name, hostname):
            if hostname in seen:
                return
            seen.add(hostname)
            names.append(hostname)
            listeners.append(https_listener(name, hostname, namespace, secret))
        add("https", "*." + apex)
        add("https-apex", apex)
        bases = {apex} | set(member_apex for _ns, member_apex in members)
        for _member_ns, member_apex in members:
            add(listener_name("https-child", "*." + member_apex), "*." + member_apex)
            if _parent_domain(member_apex) not in bases:
                add(listener_name("https-child-apex", member_apex), member_apex)
        for hostname, _tenant in hostnames:
            wildcard = hostname.startswith("*.")
            if (wildcard and hostname[2:] in bases) or (not wildcard and _parent_domain(hostname) in bases):
                continue
            add(listener_name("https-host", hostname), hostname)
        covered = names
        if tls["mode"] == "dns01":
            certificates.append(build_certificate(namespace, WILDCARD_CERTIFICATE, names))
    for service in passthrough:
        listeners.append(passthrough_listener(service, apex, namespace))
    return listeners, certificates, covered


# --- planning ---------------------------------------------------------------

def _effective_tls(settings, tenant_tls):
    tls = copy.deepcopy(settings["tls"])
    tls.update(copy.deepcopy(tenant_tls or {}))
    return tls


def _check_tls(name, tls, from_tenant, problems):
    path = _tenant_path(name, "gateway_tls") if from_tenant else FEATURE_PATH + ".tls"
    if tls["mode"] == "dns01":
        dns01 = tls.get("dns01")
        if not dns01:
            _add(problems, Problem(path + ".dns01", "TLS mode dns01 needs a DNS-01 provider",
                                   "set dns01.provider and dns01.secret_name"))
            return False
        for key in DNS01_REQUIRED.get(dns01["provider"], ()):
            if not dns01.get(key):
                _add(problems, Problem(path + ".dns01." + key, "is required for provider %s" % dns01["provider"],
                                       "add %s: %s" % (key, DNS01_EXAMPLES.get(key, "..."))))
                return False
    elif tls["mode"] == "existing_secret" and not tls.get("secret"):
        _add(problems, Problem(path + ".secret", "TLS mode existing_secret needs the name of the certificate "
                               "Secret in the tenant namespace", "add secret: <Secret name>, e.g. wildcard-tls"))
        return False
    return True


def _pools(site, plan):
    pools = plan.get("pools") if isinstance(plan, dict) else None
    if pools is None:
        pools = []
        for pool in (site.get("load_balancer") or {}).get("pools") or []:
            networks = pool_networks(pool["addresses"])
            pools.append({"name": pool["name"], "auto_assign": pool.get("auto_assign", True),
                          "cidrs": [str(n) for n in networks], "size": sum(n.num_addresses for n in networks)})
    return pools


def _implementation(site, plan):
    lb = (plan.get("load_balancer") if isinstance(plan, dict) else None) or site.get("load_balancer") or {}
    return lb.get("implementation") or "metallb"


def _choose_pool(name, options, settings, pools, problems):
    by_name = dict((p["name"], p) for p in pools)
    wanted = options.get("gateway_pool") or settings.get("default_pool")
    if wanted:
        if wanted not in by_name:
            path = _tenant_path(name, "gateway_pool") if options.get("gateway_pool") else FEATURE_PATH + ".default_pool"
            _add(problems, Problem(path, "pool '%s' does not exist" % wanted, known_or_close(wanted, by_name)))
            return None
        return by_name[wanted]
    for pool in pools:
        if pool.get("auto_assign", True):
            return pool
    _add(problems, Problem(_tenant_path(name, "gateway_pool"), "no load-balancer pool has auto_assign, so the "
                           "Gateway needs one named", "set gateway_pool or %s.default_pool" % FEATURE_PATH))
    return None


def _check_address(name, address, pool, taken, problems):
    path = _tenant_path(name, "gateway_address")
    value = ipaddress.IPv4Address(address)
    if not any(value in ipaddress.IPv4Network(cidr) for cidr in pool["cidrs"]):
        _add(problems, Problem(path, "%s is outside pool '%s' (%s)"
                               % (address, pool["name"], ", ".join(pool["cidrs"])), _free_address_hint(pool, taken)))
    elif address in taken:
        _add(problems, Problem(path, "%s is already the address of tenant '%s''s Gateway; two Gateways cannot share "
                               "an address (both listen on 443)" % (address, taken[address]),
                               _free_address_hint(pool, taken)))
    taken.setdefault(address, name)


def _free_address_hint(pool, taken, limit=4096):
    for cidr in pool["cidrs"]:
        network = ipaddress.IPv4Network(cidr)
        for number, address in enumerate(network):
            if number >= limit:
                break
            if str(address) not in taken and (network.prefixlen >= 31 or address not in (
                    network.network_address, network.broadcast_address)):
                return "use a free address of pool '%s', e.g. %s, or leave gateway_address out" % (
                    pool["name"], address)
    return "leave gateway_address out to get any free address of pool '%s'" % pool["name"]


def _check_attached(settings, entries, problems):
    namespaces = dict((e["namespace"], e["name"]) for e in entries)
    for position, namespace in enumerate(settings["attached_namespaces"]):
        path = join_path(FEATURE_PATH + ".attached_namespaces", position)
        if namespace in namespaces:
            _add(problems, Problem(path, "'%s' is the namespace of tenant '%s': its routes would attach to every "
                                   "tenant's Gateway" % (namespace, namespaces[namespace]),
                                   "remove it: attached namespaces are platform namespaces only"), path_once=True)
        elif namespace.startswith(admission.TENANT_NAMESPACE_PREFIX):
            _add(problems, Problem(path, "'%s' is a tenant-style namespace name: a tenant created later would get "
                                   "its routes onto every Gateway, and the admission policies treat it as a tenant "
                                   "namespace" % namespace, "remove it: attached namespaces are platform namespaces "
                                   "only (e.g. cozy-%s)" % namespace[len(admission.TENANT_NAMESPACE_PREFIX):]),
                 path_once=True)


def _check_passthrough(name, apex, services, hostnames, problems):
    names = set(h for h, _t in hostnames)
    for service in services:
        hostname = "%s.%s" % (service, apex)
        if hostname in names:
            _add(problems, Problem(_tenant_path(name, "gateway_passthrough"), "'%s' is both a TLS-passthrough "
                                   "hostname and an HTTPS hostname on port 443" % hostname,
                                   "remove it from gateway_hostnames"))


def _collect_hostnames(owner, members, options_of, tls, problems):
    """[(hostname, tenant)] declared by the owner and its inheriting sub-tenants, each inside its declarer's apex."""
    result = []
    for entry in [owner] + members:
        for position, hostname in enumerate(options_of[entry["name"]]["gateway_hostnames"]):
            path = join_path(_tenant_path(entry["name"], "gateway_hostnames"), position)
            hostname = hostname.lower()
            if not inside(hostname, entry["host"]):
                _add(problems, Problem(path, "'%s' is outside the tenant's apex '%s'" % (hostname, entry["host"]),
                                       "a tenant only serves names under its own apex: e.g. '%s.%s'"
                                       % (hostname.lstrip("*.").split(".")[0] or "www", entry["host"])))
                continue
            if hostname.startswith("*.") and tls["mode"] == "http01":
                _add(problems, Problem(path, "'%s': ACME HTTP-01 cannot issue wildcard certificates" % hostname,
                                       "use TLS mode dns01 or list the names"))
                continue
            result.append((hostname, entry["name"]))
    return result


def _plan_owner(owner, members, options_of, settings, pools, implementation, taken, problems):
    name, namespace, apex = owner["name"], owner["namespace"], owner["host"]
    options = options_of[name]
    tls = _effective_tls(settings, options.get("gateway_tls"))
    tls_ok = _check_tls(name, tls, bool(options.get("gateway_tls")), problems)
    pool = _choose_pool(name, options, settings, pools, problems)
    address = options.get("gateway_address")
    if pool and address:
        _check_address(name, address, pool, taken, problems)
    hostnames = _collect_hostnames(owner, members, options_of, tls, problems)
    passthrough = options.get("gateway_passthrough")
    if passthrough is None:
        passthrough = list(settings["passthrough_services"]) if owner["parent"] is None else []
    _check_passthrough(name, apex, passthrough, hostnames, problems)
    member_apexes = [(m["namespace"], m["host"]) for m in members if m["host"]]
    outside = set(a for _ns, a in member_apexes if not inside(a, apex))
    # the outermost ones only: shop.bob.example.net is inside a delegated bob.example.net already
    delegated = sorted(a for a in outside if not any(a != b and inside(a, b) for b in outside))
    entry = {"tenant": name, "namespace": namespace, "apex": apex, "members": [m["namespace"] for m in members],
             "delegated_apexes": delegated, "pool": pool["name"] if pool else None, "address": address,
             "tls": _public_tls(tls), "hostnames": [h for h, _t in hostnames], "passthrough": passthrough,
             "listeners": [], "certificates": [], "certificate_names": []}
    if not (tls_ok and pool):
        return entry, []
    listeners, certificates, covered = tenant_listeners(namespace, apex, tls, hostnames, member_apexes,
                                                        passthrough, settings["attached_namespaces"])
    if len(listeners) > LISTENER_LIMIT:
        _add(problems, Problem(_tenant_path(name, "gateway"), "the Gateway would have %d listeners; Gateway API "
                               "allows %d" % (len(listeners), LISTENER_LIMIT),
                               "use TLS mode dns01 (one wildcard listener per sub-tenant), fewer gateway_hostnames, "
                               "or give some sub-tenants their own Gateway"))
    for certificate in certificates:
        if len(certificate["spec"]["dnsNames"]) > ACME_NAMES_LIMIT:
            _add(problems, Problem(_tenant_path(name, "gateway"), "certificate %s would carry %d names; Let's Encrypt "
                                   "issues at most %d" % (certificate["metadata"]["name"],
                                                          len(certificate["spec"]["dnsNames"]), ACME_NAMES_LIMIT),
                                   "give some sub-tenants their own Gateway"))
    spec_address, infrastructure = pool_selection(implementation, pool["name"], address)
    objects = []
    if tls["mode"] != "existing_secret":
        objects.append(build_issuer(namespace, tls))
    objects.extend(certificates)
    objects.append(build_gateway(namespace, listeners, settings["gateway_class"], spec_address, infrastructure))
    objects.append(build_redirect_route(namespace))
    entry["listeners"] = [dict((k, l[k]) for k in ("name", "hostname", "port", "protocol") if k in l)
                          for l in listeners]
    entry["certificates"] = [c["metadata"]["name"] for c in certificates]
    entry["certificate_names"] = covered
    return entry, objects


def _public_tls(tls):
    """The TLS settings without anything secret (there is none: credentials are Secret references)."""
    public = {"mode": tls["mode"], "issuer": tls.get("issuer"), "server": tls.get("server") or
              (ACME_SERVERS.get(tls.get("issuer")) if tls["mode"] != "existing_secret" else None)}
    if tls["mode"] == "dns01" and tls.get("dns01"):
        dns01 = tls["dns01"]
        public["dns01"] = {"provider": dns01["provider"], "secret": _secret_ref(dns01)}
    if tls["mode"] == "existing_secret":
        public["secret"] = tls.get("secret")
    return public


def _secrets(gateways, options_of, settings):
    """Secrets apply mode creates from inventory variables (DNS-01 credentials with ``secret_var``)."""
    secrets = []
    for gateway in gateways:
        tls = _effective_tls(settings, options_of[gateway["tenant"]].get("gateway_tls"))
        dns01 = tls.get("dns01") if tls["mode"] == "dns01" else None
        if dns01 and dns01.get("secret_var"):
            ref = _secret_ref(dns01)
            secrets.append({"namespace": gateway["namespace"], "name": ref["name"], "key": ref["key"],
                            "variable": dns01["secret_var"], "type": "Opaque"})
    return secrets


def _check_pool_sizes(gateways, pools, problems):
    counts = {}
    for gateway in gateways:
        if gateway["pool"]:
            counts.setdefault(gateway["pool"], []).append(gateway["tenant"])
    usage = []
    for position, pool in enumerate(pools):
        owners = counts.get(pool["name"], [])
        if owners and len(owners) > pool["size"]:
            problems.append(Problem("netstack_load_balancer.pools[%d].addresses" % position, "pool '%s' has %d "
                                    "address(es) but %d tenant Gateways need one each (%s)"
                                    % (pool["name"], pool["size"], len(owners), _sample(sorted(owners))),
                                    "grow the pool or point some tenants at another with gateway_pool"))
        if owners:
            usage.append({"pool": pool["name"], "size": pool["size"], "gateways": len(owners)})
    return usage


def _sample(names, limit=8):
    if len(names) <= limit:
        return ", ".join(names)
    return "%s and %d more" % (", ".join(names[:limit]), len(names) - limit)


def _misplaced_options(entries, options_of, problems):
    for entry in entries:
        options = options_of[entry["name"]]
        owner = entry["services"].get("gateway")
        for key in _OWNER_ONLY_KEYS:
            if options.get(key) is not None and owner != entry["namespace"]:
                _add(problems, Problem(_tenant_path(entry["name"], key), "has no effect: the tenant does not run its "
                                       "own Gateway", "set gateway: true or remove it"))
        if options["gateway_hostnames"] and not owner:
            _add(problems, Problem(_tenant_path(entry["name"], "gateway_hostnames"), "the tenant uses no Gateway "
                                   "(gateway: false here or on the ancestor it would inherit from)",
                                   "set gateway: true on the tenant, or remove gateway_hostnames"))


def _disabled_gateways(site, tenant_entries, problems):
    for entry in tenant_entries:
        if ((site.get("tenants") or {}).get(entry["name"]) or {}).get("gateway") is True:
            _add(problems, Problem(_tenant_path(entry["name"], "gateway"), "a tenant Gateway needs %s.enabled: true"
                                   % FEATURE_PATH, "the Gateway API is a two-step opt-in: set that too, or remove "
                                   "gateway: true"), path_once=True)


def plan_gateway(site, plan, problems):
    """Compute ``plan["gateway"]``; append a Problem (with its inventory path) for every input that cannot work."""
    settings = gateway_settings(site, problems)
    crds = gateway_api_crds(site, problems if settings["enabled"] else None)
    section = {"enabled": bool(settings["enabled"]), "gateway_class": settings["gateway_class"],
               "http2": settings["http2"], "attached_namespaces": list(settings["attached_namespaces"]),
               "admission_policies": bool(settings["admission_policies"]),
               "trusted_groups": list(settings["trusted_groups"]), "field_manager": FIELD_MANAGER,
               "crds": crds, "load_balancer": _implementation(site, plan), "gateways": [], "tenants": [],
               "pools": [], "secrets": [], "notes": [], "apply": []}
    tenant_section = _tenant_section(site, plan, problems)
    entries = (tenant_section or {}).get("tenants") or []
    # day 2: stale objects are looked for in the planned tenants' namespaces only (a tenant gone from the
    # inventory keeps its objects until the tenant removal deletes its namespace)
    scope = [e["namespace"] for e in entries]
    batches = []
    if settings["admission_policies"] and entries:
        batches.append(_batch("admission-policies", admission.admission_objects(settings["trusted_groups"])))
    section["prune"] = prune_plan(batches, scope)
    if not settings["enabled"]:
        _disabled_gateways(site, entries, problems)
        section["apply"] = batches
        return section
    _check_attached(settings, entries, problems)
    options_of = {}
    valid = True
    for entry in entries:
        options_of[entry["name"]], ok = _tenant_options(entry["name"], (site.get("tenants") or {}).get(entry["name"]),
                                                        problems)
        valid = valid and ok
    if not valid or not entries:
        section["apply"] = batches
        return section
    _misplaced_options(entries, options_of, problems)
    pools = _pools(site, plan)
    implementation = section["load_balancer"]
    by_owner = {}
    for entry in entries:
        owner = entry["services"].get("gateway")
        if owner and owner != entry["namespace"]:
            by_owner.setdefault(owner, []).append(entry)
    owners = [e for e in entries if e["services"].get("gateway") == e["namespace"]]
    taken = {}
    gateway_objects = []
    for owner in owners:
        members = sorted(by_owner.get(owner["namespace"], []), key=lambda e: e["namespace"])
        gateway, objects = _plan_owner(owner, members, options_of, settings, pools, implementation, taken, problems)
        gateway["file"] = tenant_file(owner["namespace"])
        section["gateways"].append(gateway)
        gateway_objects.extend(objects)
    section["pools"] = _check_pool_sizes(section["gateways"], pools, problems)
    section["secrets"] = _secrets(section["gateways"], options_of, settings)
    delegated = dict((g["namespace"], g["delegated_apexes"]) for g in section["gateways"])
    patches = []
    for entry in entries:
        owner = entry["services"].get("gateway")
        labels = {attach_label(owner): "true"} if owner else {}
        annotations = {}
        if delegated.get(entry["namespace"]):
            annotations[admission.APEXES_ANNOTATION] = ",".join(delegated[entry["namespace"]])
        patches.append(namespace_patch(entry["namespace"], labels, annotations))
        section["tenants"].append({"tenant": entry["name"], "namespace": entry["namespace"], "gateway": owner,
                                   "file": tenant_file(entry["namespace"]),
                                   "applied_label": tenants_mod.applied_label(entry, tenant_section["label_domain"])})
    attached = [namespace_patch(ns, dict((attach_label(g["namespace"]), "true") for g in section["gateways"]))
                for ns in settings["attached_namespaces"]]
    batches.append(_batch("tenant-namespaces", patches))
    batches.append(_batch("attached-namespaces", attached, existing_only=True))
    batches.append(_batch("gateways", gateway_objects))
    section["apply"] = batches
    section["prune"] = prune_plan(batches, scope)
    section["notes"] = _notes(section, pools, implementation)
    return section


# --- day 2: one tenant's chain ---------------------------------------------------

def _chain_facts(site, name):
    """The tenants area's facts (name, namespace, host, parent, services) of root .. ``name``; O(depth)."""
    tenants = site.get("tenants") or {}
    settings = tenants_mod.tenancy_settings(site)
    facts, chain = None, []
    for member in tenants_mod.ancestor_chain(tenants, name):
        facts = tenants_mod._tenant_facts(member, tenants_mod.tenant_options(tenants[member]), facts, settings)
        chain.append(facts)
    return chain, settings


def _children_index(tenants):
    """``{parent name: [child names]}``: one pass over the inventory's keys, nothing planned."""
    children = {}
    for child, raw in tenants.items():
        if child != tenants_mod.ROOT:
            children.setdefault(tenants_mod.parent_of(child, raw or {}), []).append(child)
    return children


def _owner_members(tenants, owner, children, settings):
    """Facts of the tenants that use ``owner``'s Gateway, sorted by namespace (as ``plan_gateway``'s members).

    Walks the owner's subtree only, and below a sub-tenant only while that sub-tenant still uses the owner's
    Gateway (one with its own Gateway, or opted out, takes its subtree with it).
    """
    members, stack = [], [owner]
    while stack:
        parent = stack.pop()
        for child in children.get(parent["name"], ()):
            facts = tenants_mod._tenant_facts(child, tenants_mod.tenant_options(tenants[child]), parent, settings)
            if facts["services"].get("gateway") == owner["namespace"]:
                members.append(facts)
                stack.append(facts)
    return sorted(members, key=lambda m: m["namespace"])


def _owner_namespaces(tenants):
    """Namespaces of every tenant with ``gateway: true`` (the attached namespaces carry a label per Gateway);
    each from its ancestor chain, a chain shared by several owners computed once."""
    namespaces, memo = [], {}

    def namespace_of(name):
        if name not in memo:
            parent = tenants_mod.parent_of(name, tenants[name] or {})
            memo[name] = tenants_mod.namespace_for(name, None if parent is None else namespace_of(parent))
        return memo[name]
    for name, raw in tenants.items():
        if isinstance(raw, dict) and raw.get("gateway") is True:
            namespaces.append(namespace_of(name))
    return sorted(namespaces)


def _object_key(obj):
    metadata = obj["metadata"]
    return (obj["kind"], metadata.get("namespace") or "", metadata["name"])


def _owner_patch(gateway):
    annotations = {admission.APEXES_ANNOTATION: ",".join(gateway["delegated_apexes"])} \
        if gateway["delegated_apexes"] else {}
    return namespace_patch(gateway["namespace"], {attach_label(gateway["namespace"]): "true"}, annotations)


def plan_gateway_tenant(site, plan, name, problems):
    """Day 2 (``add_tenant.yml``): the gateway area's objects that tenant ``name`` brings, nothing else.

    Same shape as ``plan_gateway``'s section (``partial: true``), computed from
    ``name``'s ancestor chain and the subtrees of the Gateways it touches, never
    from the whole tree:

    ``apply``: the batch ``tenant`` (the namespace patches, then the objects) and, for a new Gateway,
    ``attached-namespaces``.

    * the tenant's own objects: its namespace patch (the attach label of the
      Gateway it uses) and, when it runs its own Gateway, the Issuer,
      Certificates, Gateway and redirect route, and the attached namespaces'
      labels (one more Gateway);
    * of the Gateway it uses (an ancestor's), and of the one its parent uses
      when that is another (the tenant left it, for its own or none), exactly
      the objects whose content depends on the tenant: each owner is planned
      with and without the tenant among its members, and the objects that
      differ are applied (typically the Gateway gaining a listener, the
      DNS-01 certificate gaining names, the owner namespace's delegated apexes).

    Every object equals the one ``plan_gateway`` computes for the whole
    inventory.  ``files``: the full bundle files of the tenants planned
    (``gateway/<namespace>.yaml``, ``attached-namespaces.yaml``), as
    ``render_gateway`` writes them.  The admission policies are cluster-wide,
    not per tenant: never part of it.  Checks that need every Gateway (pool
    sizes) run with ``gateway.yml``; a pinned address already taken by another
    Gateway is reported.
    """
    settings = gateway_settings(site, problems)
    section = {"enabled": bool(settings["enabled"]), "partial": True, "tenant": name,
               "gateway_class": settings["gateway_class"], "http2": settings["http2"],
               "attached_namespaces": list(settings["attached_namespaces"]),
               "admission_policies": bool(settings["admission_policies"]),
               "trusted_groups": list(settings["trusted_groups"]), "field_manager": FIELD_MANAGER,
               "crds": None, "load_balancer": _implementation(site, plan), "gateways": [], "tenants": [],
               "pools": [], "secrets": [], "notes": [], "apply": [], "files": {},
               "prune": {"namespaces": [], "kinds": []}}
    if not settings["enabled"]:
        return section
    tenants = site.get("tenants") or {}
    chain, tenancy = _chain_facts(site, name)
    target = chain[-1]
    by_namespace = dict((f["namespace"], f) for f in chain)
    _check_attached(settings, chain, problems)
    options_of = {}

    def options(entry):
        if entry["name"] not in options_of:
            options_of[entry["name"]] = _tenant_options(entry["name"], tenants.get(entry["name"]), problems)[0]
        return options_of[entry["name"]]
    options(target)
    if problems:
        return section
    _misplaced_options([target], options_of, problems)
    pools = _pools(site, plan)
    implementation = section["load_balancer"]
    owner_ns = target["services"].get("gateway")
    parent_ns = chain[-2]["services"].get("gateway") if len(chain) > 1 else None
    # pinned addresses of the other Gateways, so a new one cannot take theirs
    taken = {}
    for other, raw in tenants.items():
        if isinstance(raw, dict) and raw.get("gateway") is True and raw.get("gateway_address") \
                and other != name:
            taken.setdefault(raw["gateway_address"], other)
    children = _children_index(tenants)
    applied, files, gateways, secrets = [], {}, [], []
    patches = []
    for namespace in [ns for ns in (owner_ns, parent_ns) if ns]:
        if any(g["namespace"] == namespace for g in gateways):
            continue
        owner = by_namespace[namespace]
        members = _owner_members(tenants, owner, children, tenancy)
        for entry in [owner] + members:
            options(entry)
        if problems:
            return section
        gateway, objects = _plan_owner(owner, members, options_of, settings, pools, implementation,
                                       taken if owner is target else {}, problems)
        gateway["file"] = tenant_file(namespace)
        gateways.append(gateway)
        full = [_owner_patch(gateway)] + objects
        if owner is target:
            patches.append(full[0])
            applied.extend(objects)
            secrets.extend(_secrets([gateway], options_of, settings))
        else:
            # the same Gateway had the tenant not been a member (or, the parent's, had it stayed one)
            if any(m["name"] == name for m in members):
                other = [m for m in members if m["name"] != name]
            else:
                member = dict(target, services=dict(target["services"], gateway=namespace))
                other = sorted(members + [member], key=lambda m: m["namespace"])
            scratch = []
            other_gateway, other_objects = _plan_owner(owner, other, options_of, settings, pools, implementation,
                                                       {}, scratch)
            before = dict((_object_key(o), o) for o in [_owner_patch(other_gateway)] + other_objects)
            changed = [o for o in full if before.get(_object_key(o)) != o]
            patches.extend(o for o in changed if o["kind"] == "Namespace")
            applied.extend(o for o in changed if o["kind"] != "Namespace")
        files[tenant_file(namespace)] = full
    if owner_ns != target["namespace"]:
        patch = namespace_patch(target["namespace"], {attach_label(owner_ns): "true"} if owner_ns else {})
        patches.insert(0, patch)
        files[tenant_file(target["namespace"])] = [patch]
    # One batch for the namespace patches and the objects (one module run less: the tenant's namespace exists, the
    # tenants role of the same play created it; patches first, as gateway.yml's batch order)
    batches = [_batch("tenant", patches + applied)]
    if owner_ns == target["namespace"] and settings["attached_namespaces"]:
        owners = _owner_namespaces(tenants)
        attached = [namespace_patch(ns, dict((attach_label(o), "true") for o in owners))
                    for ns in settings["attached_namespaces"]]
        batches.append(_batch("attached-namespaces", attached, existing_only=True))
        files[SECTION + "/attached-namespaces.yaml"] = attached
    section["pools"] = _check_pool_sizes(gateways, pools, [])
    section.update(gateways=gateways, secrets=secrets, apply=[b for b in batches if b["objects"]], files=files,
                   tenants=[{"tenant": g["tenant"], "namespace": g["namespace"], "gateway": g["namespace"],
                             "file": g["file"]} for g in gateways])
    if owner_ns != target["namespace"]:
        section["tenants"].insert(0, {"tenant": name, "namespace": target["namespace"], "gateway": owner_ns,
                                      "file": tenant_file(target["namespace"])})
    return section


def render_gateway_tenant(plan):
    """Bundle files of a ``plan_gateway_tenant`` section: the planned tenants' files, whole, as
    ``render_gateway`` writes them (gateway/report.md is refreshed by gateway.yml)."""
    section = _section(plan)
    return dict((path, dump_yaml_all(objects)) for path, objects in (section.get("files") or {}).items())


def _batch(name, objects, existing_only=False):
    """One apply step of the role: a list definition, server-side applied in one task."""
    return {"name": name, "existing_only": existing_only, "objects": objects}


# --- before applying: the tenant namespaces must be the tenants area's ----------

def unready_tenant_namespaces(tenants, live, pending=None):
    """The planned tenant namespaces the role must not send anything for: missing (the ``tenant-namespaces``
    batch would create it with only this area's labels, and no isolation policies), being deleted, or present
    without the tenants area's ``applied_label`` (not applied by tenants.yml / add_tenant.yml yet).

    ``tenants``: the plan's ``gateway.tenants``; ``live``: the listed Namespaces (``k8s_info`` resources, or its
    registered result); ``pending``: namespaces the tenants role of this same run would create or complete, in
    check mode (their dry run stored nothing), taken as ready.  Returns ``[{tenant, namespace, reason}]``, parents
    first, ``reason`` one of ``missing``, ``being deleted``, ``not applied``.
    """
    labels_of, deleting = {}, set()
    for obj in _listed_objects(live):
        metadata = obj.get("metadata") or {}
        if metadata.get("name"):
            labels_of[metadata["name"]] = metadata.get("labels") or {}
            if metadata.get("deletionTimestamp"):
                deleting.add(metadata["name"])
    pending = set(pending or [])
    unready = []
    # parents first (the order to add them in): the root, then by namespace (a child's extends its parent's)
    for entry in sorted(tenants or [], key=lambda e: (e["namespace"] != tenant_policies.ROOT_NAMESPACE,
                                                      e["namespace"])):
        namespace = entry["namespace"]
        if namespace in pending:
            continue
        if namespace not in labels_of:
            reason = "missing"
        elif namespace in deleting:
            reason = "being deleted"
        elif entry.get("applied_label") and entry["applied_label"] not in labels_of[namespace]:
            reason = "not applied"
        else:
            continue
        unready.append({"tenant": entry.get("tenant"), "namespace": namespace, "reason": reason})
    return unready


# --- day 2: what the plan no longer holds -------------------------------------

# The kinds this area creates as whole objects, in the order stale ones are deleted (a route before its Gateway,
# Certificates before their Issuer, bindings before their policies), with the batch that applies them and the label
# that marks them as this area's besides app.kubernetes.io/managed-by.  Never pruned: Namespaces (only patched) and
# Secrets (DNS-01 credentials from the inventory, cert-manager's certificates and ACME account keys).
# The policies carry the reference's label (admission_policies.REFERENCE_LABELS) instead of cozystack.io/gateway.
_POLICY_LABEL = "internal.cozystack.io/managed-by-cozystack"
_PRUNED_KINDS = (
    (GATEWAY_API_VERSION, "HTTPRoute", True, "gateways", GATEWAY_OWNER_LABEL),
    (GATEWAY_API_VERSION, "Gateway", True, "gateways", GATEWAY_OWNER_LABEL),
    (CERT_MANAGER_API_VERSION, "Certificate", True, "gateways", GATEWAY_OWNER_LABEL),
    (CERT_MANAGER_API_VERSION, "Issuer", True, "gateways", GATEWAY_OWNER_LABEL),
    (admission.API_VERSION, admission.BINDING_KIND, False, "admission-policies", _POLICY_LABEL),
    (admission.API_VERSION, admission.POLICY_KIND, False, "admission-policies", _POLICY_LABEL),
)


def prune_plan(batches, namespaces):
    """What apply mode deletes after the batches: ``{"namespaces": [...], "kinds": [...]}``.

    ``kinds``: per kind this area owns, in deletion order, ``api_version``,
    ``kind``, ``namespaced``, ``batch`` (the batch that applies it: a run
    limited to other batches leaves it alone), ``label_selectors`` (what
    ``kubernetes.core.k8s_info`` lists: ``app.kubernetes.io/managed-by=
    netstack.baremetal`` and the area's own label key) and ``keep``, the
    sorted ``[namespace, name]`` pairs the plan holds (namespace ``""`` for
    cluster-scoped kinds).  ``namespaces``: where namespaced stale objects
    are looked for (the planned tenants' namespaces).
    """
    kinds = []
    for api_version, kind, namespaced, batch_name, area_label in _PRUNED_KINDS:
        keep = set()
        for batch in batches:
            if batch["name"] != batch_name:
                continue
            for obj in batch["objects"]:
                if obj["kind"] == kind and _group(obj["apiVersion"]) == _group(api_version):
                    keep.add((obj["metadata"].get("namespace") or "", obj["metadata"]["name"]))
        kinds.append({"api_version": api_version, "kind": kind, "namespaced": namespaced, "batch": batch_name,
                      "label_selectors": ["%s=%s" % (tenant_policies.MANAGED_BY_LABEL,
                                                     tenant_policies.MANAGED_BY_VALUE), area_label],
                      "keep": [list(pair) for pair in sorted(keep)]})
    return {"namespaces": sorted(set(namespaces)), "kinds": kinds}


def _group(api_version):
    return api_version.rsplit("/", 1)[0] if "/" in (api_version or "") else ""


def _requirement(selector):
    """One label selector requirement -> (key, operator, value); ``=``, ``==``, ``!=``, ``key`` and ``!key``."""
    selector = selector.strip()
    for operator in ("!=", "==", "="):
        if operator in selector:
            key, value = selector.split(operator, 1)
            return key.strip(), "!=" if operator == "!=" else "=", value.strip()
    if selector.startswith("!"):
        return selector[1:].strip(), "!", None
    return selector, "exists", None


def selector_matches(label_selectors, labels):
    """True when ``labels`` meet every requirement of ``label_selectors`` (a list of comma-separated strings)."""
    for selector in label_selectors:
        for part in selector.split(","):
            if not part.strip():
                continue
            key, operator, value = _requirement(part)
            if operator == "exists" and key not in labels:
                return False
            if operator == "!" and key in labels:
                return False
            if operator == "=" and labels.get(key) != value:
                return False
            if operator == "!=" and labels.get(key) == value:
                return False
    return True


def _listed_objects(listed):
    """Objects from a list of objects, ``k8s_info`` results (``resources``) or a looped register (``results``)."""
    if isinstance(listed, dict):
        listed = listed.get("results", [listed])
    for item in listed or []:
        if not isinstance(item, dict):
            continue
        if "resources" in item and "metadata" not in item:
            for obj in item.get("resources") or []:
                if isinstance(obj, dict):
                    yield obj
        elif "metadata" in item:
            yield item


def stale_objects(prune, listed):
    """The objects to delete: listed, of a kind in ``prune``, carrying the kind's labels, in the scope (namespaced
    kinds: a planned tenant namespace), not being deleted already, and not held by the plan.

    ``listed``: what the cluster returned (see ``_listed_objects``).  Returns
    ``[{apiVersion, kind, metadata: {name[, namespace]}}]`` (the shape
    ``kubernetes.core.k8s`` deletes with ``state: absent``), in deletion
    order: kind as in ``prune["kinds"]``, then namespace, then name.
    """
    scope = set(prune.get("namespaces") or [])
    kinds = {}
    for position, entry in enumerate(prune.get("kinds") or []):
        keep = set((ns or "", name) for ns, name in entry.get("keep") or [])
        kinds[(_group(entry["api_version"]), entry["kind"])] = (position, entry, keep)
    stale = {}
    for obj in _listed_objects(listed):
        found = kinds.get((_group(obj.get("apiVersion")), obj.get("kind")))
        metadata = obj.get("metadata") or {}
        if found is None or not metadata.get("name") or metadata.get("deletionTimestamp"):
            continue
        position, entry, keep = found
        namespace, name = metadata.get("namespace") or "", metadata["name"]
        if not selector_matches(entry["label_selectors"], metadata.get("labels") or {}):
            continue
        in_scope = namespace in scope if entry["namespaced"] else not namespace
        if not in_scope:
            continue
        if (namespace, name) in keep:
            continue
        ref = {"apiVersion": obj.get("apiVersion") or entry["api_version"], "kind": entry["kind"],
               "metadata": {"name": name}}
        if namespace:
            ref["metadata"]["namespace"] = namespace
        stale[(position, namespace, name)] = ref
    return [stale[key] for key in sorted(stale)]


def _notes(section, pools, implementation):
    notes = ["Issuers and Certificates need cert-manager (CRDs cert-manager.io/v1) in the cluster"]
    auto = [p["name"] for p in pools if p.get("auto_assign", True)]
    if implementation == "cilium" and len(auto) > 1:
        for gateway in section["gateways"]:
            if gateway["pool"] in auto and not gateway["address"]:
                notes.append("Cilium LB-IPAM may give tenant '%s''s Gateway an address from any auto-assign pool "
                             "(%s): pin gateway_address to keep it in '%s'"
                             % (gateway["tenant"], ", ".join(auto), gateway["pool"]))
    for gateway in section["gateways"]:
        if gateway["tls"]["mode"] == "dns01" and gateway["delegated_apexes"]:
            notes.append("tenant '%s': the DNS-01 certificate also covers %s, outside %s: the %s credentials must "
                         "be able to update those zones too"
                         % (gateway["tenant"], ", ".join(gateway["delegated_apexes"]), gateway["apex"],
                            gateway["tls"]["dns01"]["provider"]))
        if gateway["tls"]["mode"] == "existing_secret":
            notes.append("tenant '%s': Secret %s must hold a certificate for %s"
                         % (gateway["tenant"], gateway["tls"]["secret"], ", ".join(gateway["certificate_names"])))
        elif gateway["tls"]["mode"] == "http01" and not gateway["hostnames"]:
            notes.append("tenant '%s': TLS mode http01 and no gateway_hostnames, so the Gateway has no HTTPS "
                         "listener" % gateway["tenant"])
    return notes


# --- rendering --------------------------------------------------------------

def tenant_file(namespace):
    return "%s/%s.yaml" % (SECTION, namespace)


def _section(plan):
    inner = plan.get(SECTION)
    return inner if isinstance(inner, dict) else plan


def objects_by_file(section):
    """``{relative path: [objects]}``: each tenant's objects, the attached namespaces, the policies."""
    files = {}
    tenant_files = dict((t["namespace"], t["file"]) for t in section.get("tenants", []))
    for batch in section.get("apply", []):
        if batch["name"] == "admission-policies":
            files.setdefault(SECTION + "/admission-policies.yaml", []).extend(batch["objects"])
            continue
        if batch["name"] == "attached-namespaces":
            files.setdefault(SECTION + "/attached-namespaces.yaml", []).extend(batch["objects"])
            continue
        for obj in batch["objects"]:
            metadata = obj["metadata"]
            namespace = metadata["name"] if obj["kind"] == "Namespace" else metadata.get("namespace")
            files.setdefault(tenant_files.get(namespace, tenant_file(namespace)), []).append(obj)
    return files


def render_gateway(plan):
    """Bundle files: ``gateway/<tenant namespace>.yaml`` per tenant, the attached namespaces, the admission
    policies, the CRD reference and a report."""
    section = _section(plan)
    if not section.get("enabled") and not section.get("apply"):
        return {}
    artefacts = dict((path, dump_yaml_all(objects)) for path, objects in objects_by_file(section).items())
    artefacts[SECTION + "/crds.yaml"] = dump_yaml({
        "comment": "Gateway API CRDs (experimental channel: TLSRoute), applied by the cluster_network area before "
                   "Cilium (release gateway-api-crds); the gateway area only relies on them.",
        "gateway_api_crds": section["crds"]})
    artefacts[SECTION + "/report.md"] = _report(section)
    return artefacts


def _report(section):
    from ansible_collections.netstack.baremetal.plugins.module_utils import report
    blocks = [report.heading(2, "Tenant Gateways")]
    if not section.get("enabled"):
        blocks.append(report.paragraph("The Gateway API is off (netstack_cluster.features.gateway_api.enabled); "
                                       "only the admission policies are installed."))
        return report.to_markdown(blocks)
    blocks.append(report.paragraph("%d Gateway(s), class `%s`, load balancer `%s`. Attached namespaces: %s."
                                   % (len(section["gateways"]), section["gateway_class"], section["load_balancer"],
                                      ", ".join(section["attached_namespaces"]) or "none")))
    blocks.append(report.table(
        ["tenant", "namespace", "apex", "TLS", "pool", "address", "listeners", "inheriting namespaces"],
        [[g["tenant"], g["namespace"], g["apex"], g["tls"]["mode"], g["pool"] or "", g["address"] or "(from pool)",
          str(len(g["listeners"])), ", ".join(g["members"]) or "-"] for g in section["gateways"]]))
    for gateway in section["gateways"]:
        blocks.append(report.heading(3, "%s (%s)" % (gateway["namespace"], gateway["apex"])))
        blocks.append(report.table(["listener", "hostname", "port", "protocol"],
                                   [[l["name"], l.get("hostname", "*"), str(l["port"]), l["protocol"]]
                                    for l in gateway["listeners"]]))
    blocks.append(report.heading(3, "Which Gateway each tenant uses"))
    blocks.append(report.table(["tenant", "namespace", "Gateway of"],
                               [[t["tenant"], t["namespace"], t["gateway"] or "none"] for t in section["tenants"]]))
    if section["notes"]:
        blocks.append(report.heading(3, "Notes"))
        blocks.append(report.paragraph("\n".join("- " + n for n in section["notes"])))
    return report.to_markdown(blocks)
