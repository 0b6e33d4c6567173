# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tenant tree: naming, labels, per-tenant objects, validation, rendering.

``netstack_tenants`` maps tenant names to options; ``root`` is the root tenant
(namespace ``tenant-root``, its ``host`` is the cluster apex).  Everything a
tenant gets is computed from its *ancestor chain only* (its own options and
those of its ancestors), never from siblings or the size of the tree, so:

* adding a tenant changes no other tenant's objects or bundle file;
* ``plan_one_tenant`` costs O(depth), whatever the number of tenants.

Checks that do need the whole tree (duplicate apexes, overlapping subnets) live
in ``validate_tenants`` and only compare small per-tenant values.

Area contract (see docs/architecture.md): ``validate_tenants(site)``,
``plan_tenants(site, plan=None, problems=None)``, ``render_tenants(plan)``,
``report_sections(plan)``; day 2: ``plan_one_tenant(site, name)``.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
import ipaddress
import re

from ansible_collections.netstack.baremetal.plugins.module_utils import heap, reachability, report
from ansible_collections.netstack.baremetal.plugins.module_utils import tenant_policies as policies
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import (
    Problem, did_you_mean, free_name, join_path)
from ansible_collections.netstack.baremetal.plugins.module_utils.ranges import free_block, interval
from ansible_collections.netstack.baremetal.plugins.module_utils.yamlout import dump_yaml_all

ROOT = "root"
ROOT_NAMESPACE = policies.ROOT_NAMESPACE
NAMESPACE_PREFIX = "tenant-"
TENANTS_PATH = "netstack_tenants"
TENANCY_PATH = "netstack_cluster.tenancy"
POOL_PATH = "netstack_cluster.networks.tenant_subnet_pool"
ATTACHED_PATH = "netstack_cluster.features.gateway_api.attached_namespaces"

# Services a tenant can run for its subtree; the namespace label
# namespace.cozystack.io/<service> names the nearest tenant (itself included) running it.
SERVICES = ("etcd", "ingress", "monitoring", "seaweedfs")
LOCATORS = ("etcd", "ingress", "gateway", "monitoring", "seaweedfs")
HOST_LABEL = policies.LOCATOR_PREFIX + "host"
NO_DELETE_LABEL = "platform.cozystack.io/no-delete"

KUBERNETES_NAME_MAX = 63          # namespace names and label values
SUBNET_API_VERSION = "kubeovn.io/v1"
MATRIX_MAX_TENANTS = 40           # the reachability matrix is n x n: beyond this only a summary

_TENANT_NAME_RE = re.compile(r"^[a-z0-9]+$")
_HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$")
_RESERVED_SERVICE_NAMES = ("apiserver", "dns", "ingress")  # allow-to-<these> are built-in policies

REFERENCE_SHARED_SERVICES = [
    {"name": "dashboard", "namespace": "cozy-dashboard", "ports": []},
    {"name": "linstor-gui", "namespace": "cozy-linstor", "ports": []},
    {"name": "keycloak", "namespace": "cozy-keycloak", "ports": []},
    {"name": "grafana-dashboards", "namespace": "cozy-grafana-operator", "ports": []},
    {"name": "cdi-upload-proxy", "namespace": "cozy-kubevirt-cdi", "ports": []},
]

# --- schema fragments (imported into the inventory schema by schema.py) -----

_DNS_LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"

SHARED_SERVICE_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["name", "namespace"],
    "description": "A platform namespace every tenant pod may open connections to (one `allow-to-<name>` "
                   "CiliumNetworkPolicy per tenant).",
    "properties": {
        "name": {"type": "string", "pattern": _DNS_LABEL, "maxLength": 50,
                 "description": "Suffix of the policy name `allow-to-<name>`."},
        "namespace": {"type": "string", "format": "dns-label", "description": "The platform namespace."},
        "ports": {"type": "array", "default": [],
                  "description": "Ports the tenants may reach there; empty: every port (as the reference).",
                  "items": {"type": "object", "additionalProperties": False, "required": ["port"],
                            "description": "One port.",
                            "properties": {
                                "port": {"type": "integer", "minimum": 1, "maximum": 65535,
                                         "description": "Port number."},
                                "protocol": {"type": "string", "enum": ["TCP", "UDP", "SCTP"], "default": "TCP",
                                             "description": "Transport protocol."}}}},
    },
}

TENANCY_SCHEMA = {
    "type": "object", "additionalProperties": False, "default": {},
    "description": "How tenants are isolated from each other (see docs/tenants.md).",
    "properties": {
        "isolation": {"type": "string", "enum": list(policies.ISOLATION_MODES), "default": "strict",
                      "description": "`strict`: tenant pods refuse connections that the tenant hierarchy does not "
                                     "allow, on ingress as well as egress, and the API-server rule only opens the "
                                     "API server. `reference`: exactly the reference platform's policies, which "
                                     "admit ingress from the whole cluster and rely on the sources' egress rules."},
        "label_domain": {"type": "string", "format": "hostname", "default": "tenant.cozystack.io",
                         "description": "Prefix of the namespace labels `<label_domain>/<ancestor namespace>` that "
                                        "mark every namespace of a subtree; the policies select on them."},
        "system_namespaces": {"type": "array", "default": [], "uniqueItems": True,
                              "items": {"type": "string", "format": "dns-label"},
                              "description": "Extra namespaces whose pods may open connections into every tenant, "
                                             "besides kube-system and namespaces labelled "
                                             "`cozystack.io/system: \"true\"`. Never a tenant namespace."},
        "shared_services": {"type": "array", "items": SHARED_SERVICE_SCHEMA,
                            "default": copy.deepcopy(REFERENCE_SHARED_SERVICES),
                            "description": "Platform namespaces every tenant may reach (dashboard, keycloak, ...). "
                                           "Default: the reference platform's five."},
    },
}

TENANT_SUBNET_SCHEMA = {
    "type": ["object", "null"], "additionalProperties": False, "default": None,
    "description": "Give the tenant its own Kube-OVN Subnet (needs a `kubeovn-*` variant). `{}` asks for a "
                   "slice of `netstack_cluster.networks.tenant_subnet_pool` chosen from the namespace name, so it "
                   "never moves when other tenants come and go.",
    "properties": {
        "cidr": {"type": ["string", "null"], "format": "ipv4-cidr", "default": None,
                 "description": "Pin the subnet to this CIDR (then `prefix_length` is ignored). Use it to resolve "
                                "a collision of two automatic slices, or to keep a range a tenant already has."},
        "prefix_length": {"type": "integer", "minimum": 16, "maximum": 29, "default": 24,
                          "description": "Size of the automatic slice."},
        "nat_outgoing": {"type": "boolean", "default": True,
                         "description": "Masquerade traffic leaving the cluster (Kube-OVN `natOutgoing`)."},
    },
}

TENANT_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "description": "A tenant. Its name must be DNS-label safe without dashes (it becomes part of the namespace "
                   "`tenant-<name>` or `<parent namespace>-<name>`).",
    "properties": {
        "parent": {"type": ["string", "null"], "default": None,
                   "description": "Parent tenant; empty means `root`. The root tenant has none."},
        "host": {"type": ["string", "null"], "format": "hostname", "default": None,
                 "description": "DNS apex of the tenant; default `<name>.<parent apex>`. Required for `root` (the "
                                "cluster apex). A custom apex must not fall inside another tenant's apex unless "
                                "that tenant is an ancestor."},
        "gateway": {"type": ["boolean", "null"], "default": None,
                    "description": "`true`: the tenant runs its own Gateway (needs "
                                   "`netstack_cluster.features.gateway_api.enabled`); empty: use the nearest "
                                   "ancestor's; `false`: no Gateway at all for this tenant."},
        "etcd": {"type": "boolean", "default": False,
                 "description": "The tenant runs an etcd for its subtree (`<ns>-ingress-etcd` policy)."},
        "ingress": {"type": "boolean", "default": False,
                    "description": "The tenant runs an ingress controller for its subtree (`<ns>-ingress-ingress`)."},
        "monitoring": {"type": "boolean", "default": False,
                       "description": "The tenant runs monitoring (vminsert reachable from its subtree, vmagent "
                                      "may scrape virt-handler)."},
        "seaweedfs": {"type": "boolean", "default": False,
                      "description": "The tenant runs SeaweedFS object storage for its subtree (locator label only)."},
        "subnet": TENANT_SUBNET_SCHEMA,
    },
}

TENANTS_SCHEMA = {
    "type": "object", "default": {}, "additionalProperties": TENANT_SCHEMA,
    "description": "The tenant tree: tenant name -> options. `root` is the root tenant (namespace `tenant-root`); "
                   "every other tenant names its `parent`.",
}


def with_tenant_properties(extra_properties):
    """``TENANTS_SCHEMA`` with more per-tenant keys (other areas' options, e.g. the Gateway's ``gateway_*``).

    The tenant schema rejects unknown keys; an area that adds tenant options
    passes them here where the single inventory schema is assembled (this
    module cannot import those areas: they import it).
    """
    tenant = dict(TENANT_SCHEMA, properties=dict(TENANT_SCHEMA["properties"]))
    for key, schema in extra_properties.items():
        if key in tenant["properties"]:
            raise ValueError("tenant option '%s' is already defined" % key)
        tenant["properties"][key] = schema
    return dict(TENANTS_SCHEMA, additionalProperties=tenant)


TENANT_SUBNET_POOL_SCHEMA = {
    "type": ["string", "null"], "format": "ipv4-cidr", "default": None,
    "description": "Pool the per-tenant Kube-OVN Subnets are sliced from (`netstack_tenants.<t>.subnet`). Must not "
                   "overlap `pod_cidr`, `service_cidr`, `join_cidr` or `cluster_cidr`.",
}


def _fill_defaults(schema, value):
    """Fill schema defaults into a copy of ``value`` (objects only).

    The plan engine already does this for the inventory; doing it again here
    keeps the core usable on a partial ``site`` (unit tests, day-2 callers).
    """
    if value is None:
        default = schema.get("default")
        value = copy.deepcopy(default) if isinstance(default, (dict, list)) else default
    if not isinstance(value, dict):
        return value
    value = dict(value)
    for key, sub in schema.get("properties", {}).items():
        if key not in value:
            if "default" in sub:
                value[key] = _fill_defaults(sub, None)
        elif isinstance(value[key], dict):
            value[key] = _fill_defaults(sub, value[key])
    return value


# --- settings ---------------------------------------------------------------

def tenancy_settings(site):
    """The cluster-level inputs of every tenant, normalised (see docs/tenants.md)."""
    cluster = site.get("cluster") or {}
    tenancy = _fill_defaults(TENANCY_SCHEMA, cluster.get("tenancy"))
    variant = cluster.get("variant") or "kubeovn-cilium"
    networks = cluster.get("networks") or {}
    gateway_api = ((cluster.get("features") or {}).get("gateway_api") or {})
    return {
        "isolation": tenancy["isolation"],
        "label_domain": tenancy["label_domain"],
        "system_namespaces": list(tenancy["system_namespaces"]),
        "shared_services": _shared_services(tenancy),
        "api_port": int(((cluster.get("api") or {}).get("port")) or 6443),
        "variant": variant,
        "enforced": variant != "noop",       # noop: no Cilium, so no policy objects at all
        "kubeovn": variant.startswith("kubeovn"),
        "subnet_pool": networks.get("tenant_subnet_pool"),
        "gateway_api": bool(gateway_api.get("enabled", False)),
    }


def _shared_services(tenancy):
    services = []
    for service in tenancy["shared_services"]:
        ports = [{"port": p["port"], "protocol": p.get("protocol", "TCP")} for p in service.get("ports") or []]
        services.append({"name": service["name"], "namespace": service["namespace"], "ports": ports})
    return services


def tenant_options(raw):
    """A tenant's inventory entry with defaults (subnet defaults included)."""
    options = _fill_defaults(TENANT_SCHEMA, raw or {})
    if options.get("subnet") is not None:
        options["subnet"] = _fill_defaults(TENANT_SUBNET_SCHEMA, options["subnet"])
    return options


# --- naming -----------------------------------------------------------------

def namespace_for(name, parent_namespace):
    """Namespace of tenant ``name`` under ``parent_namespace`` (None for root)."""
    if parent_namespace is None:
        return ROOT_NAMESPACE
    if parent_namespace == ROOT_NAMESPACE:
        return NAMESPACE_PREFIX + name
    return "%s-%s" % (parent_namespace, name)


def parent_of(name, options):
    """Parent name: None for root, 'root' when a non-root tenant names none."""
    if name == ROOT:
        return None
    return options.get("parent") or ROOT


class TenantTreeError(ValueError):
    """The tenant tree cannot be walked (unknown tenant or parent, or a cycle)."""


def ancestor_chain(tenants, name):
    """Names from ``root`` down to ``name`` (inclusive); O(depth)."""
    if name not in tenants:
        raise TenantTreeError("tenant '%s' is not in netstack_tenants" % name)
    chain = [name]
    seen = {name}
    current = name
    while current != ROOT:
        parent = parent_of(current, tenants[current] or {})
        if parent not in tenants:
            raise TenantTreeError("tenant '%s' names parent '%s', which is not a tenant" % (current, parent))
        if parent in seen:
            raise TenantTreeError("the parent chain of '%s' loops through '%s'" % (name, parent))
        chain.append(parent)
        seen.add(parent)
        current = parent
    chain.reverse()
    return chain


# --- one tenant -------------------------------------------------------------

def _tenant_facts(name, options, parent, settings):
    """Everything about a tenant except its objects, from its parent's facts."""
    parent_namespace = parent["namespace"] if parent else None
    namespace = namespace_for(name, parent_namespace)
    host = options.get("host")
    inherited = not host
    if inherited:
        host = "%s.%s" % (name, parent["host"]) if parent and parent["host"] else None
    services = {}
    for service in LOCATORS:
        wanted = options.get(service)
        if wanted:
            services[service] = namespace
        elif service == "gateway" and wanted is False:
            services[service] = None  # explicit opt-out: no Gateway for this tenant
        else:
            services[service] = parent["services"][service] if parent else None
    return {
        "name": name,
        "namespace": namespace,
        "parent": parent["name"] if parent else None,
        "parent_namespace": parent_namespace,
        "ancestors": (parent["ancestors"] + [parent["name"]]) if parent else [],
        "ancestor_namespaces": (parent["ancestor_namespaces"] + [parent_namespace]) if parent else [],
        "depth": parent["depth"] + 1 if parent else 0,
        "host": host,
        "host_inherited": inherited and parent is not None,
        "options": {key: options.get(key) for key in ("etcd", "ingress", "monitoring", "seaweedfs", "gateway")},
        "services": services,
    }


def namespace_labels(facts, settings):
    """The labels of a tenant namespace, as the reference sets them (sorted)."""
    labels = {}
    if facts["parent"] is not None:
        # Every ancestor (tenant-root included) and itself: a policy matching an
        # ancestor's label matches the whole subtree.  tenant-root carries none.
        for namespace in facts["ancestor_namespaces"] + [facts["namespace"]]:
            labels[policies.tenant_label_key(settings["label_domain"], namespace)] = ""
    else:
        labels[NO_DELETE_LABEL] = "true"
    for service in LOCATORS:
        if facts["services"][service]:
            labels[policies.LOCATOR_PREFIX + service] = facts["services"][service]
    if facts["host"]:
        labels[HOST_LABEL] = facts["host"]
    return dict(sorted(labels.items()))


def applied_label(entry, label_domain):
    """The label only the tenants area puts on ``entry``'s namespace, with the tenant's other labels and before its
    policies: the root's no-delete label, a sub-tenant's own subtree label.  A namespace without it was not
    applied by tenants.yml / add_tenant.yml (the gateway role refuses to label such a namespace)."""
    if entry.get("parent") is None:
        return NO_DELETE_LABEL
    return policies.tenant_label_key(label_domain, entry["namespace"])


def subnet_allocation(namespace, request, pool):
    """The tenant's subnet: pinned, or a slice of ``pool`` chosen by hashing the namespace.

    Hashing makes the slice a function of the namespace alone: it never moves
    when other tenants are added or removed (Kube-OVN's cidrBlock is immutable).
    Two tenants can hash to the same slice; ``validate_tenants`` reports it and
    one of them pins ``cidr``.
    """
    if request is None:
        return None
    if request.get("cidr"):
        network = ipaddress.IPv4Network(request["cidr"], strict=False)
        allocation = "pinned"
    else:
        if not pool:
            raise ValueError("tenant %s asks for a subnet but no tenant_subnet_pool is set" % namespace)
        pool_net = ipaddress.IPv4Network(pool, strict=False)
        prefix = request.get("prefix_length", 24)
        slots = 2 ** (prefix - pool_net.prefixlen)
        slot = int(hashlib.sha256(namespace.encode("utf-8")).hexdigest(), 16) % slots
        first = int(pool_net.network_address) + slot * 2 ** (32 - prefix)
        network = ipaddress.IPv4Network((first, prefix))
        allocation = "hashed"
    return {"cidr": str(network), "gateway": str(network.network_address + 1), "allocation": allocation,
            "nat_outgoing": bool(request.get("nat_outgoing", True))}


def _namespace_object(facts):
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": facts["namespace"], "labels": dict(facts["labels"])}}


def _subnet_object(facts):
    namespace = facts["namespace"]
    subnet = facts["subnet"]
    return {"apiVersion": SUBNET_API_VERSION, "kind": "Subnet",
            "metadata": {"name": namespace, "labels": policies.object_labels(namespace)},
            "spec": {"protocol": "IPv4", "provider": "ovn", "cidrBlock": subnet["cidr"],
                     "gateway": subnet["gateway"], "excludeIps": [subnet["gateway"]],
                     "gatewayType": "distributed", "natOutgoing": subnet["nat_outgoing"],
                     "namespaces": [namespace]}}


def _finish_tenant(facts, options, settings):
    """Add labels, subnet and objects to a tenant's facts: the tenant's plan entry."""
    entry = dict(facts)
    entry["labels"] = namespace_labels(facts, settings)
    entry["subnet"] = subnet_allocation(facts["namespace"], options.get("subnet"), settings["subnet_pool"]) \
        if settings["kubeovn"] else None
    objects = [_namespace_object(entry)]
    if entry["subnet"]:
        objects.append(_subnet_object(entry))
    objects.extend(policies.tenant_policies(entry, settings))
    entry["objects"] = objects
    entry["file"] = tenant_file(entry["namespace"])
    return entry


def tenant_file(namespace):
    return "tenants/%s.yaml" % namespace


def plan_one_tenant(site, name):
    """One tenant's plan entry (objects included) from its ancestor chain only.

    Cost is O(depth of the tenant): nothing else of the tree is read, so
    ``add_tenant`` stays flat however many tenants exist.  Raises
    ``TenantTreeError`` for an unknown tenant or a broken chain; run
    ``validate_tenants`` for the full checks.
    """
    tenants = site.get("tenants") or {}
    settings = tenancy_settings(site)
    facts = None
    for member in ancestor_chain(tenants, name):
        options = tenant_options(tenants[member])
        facts = _tenant_facts(member, options, facts, settings)
    return _finish_tenant(facts, tenant_options(tenants[name]), settings)


def _all_facts(tenants, settings, options=None):
    """Facts of every tenant, each parent computed once (memoised walk); fills ``options`` too."""
    facts = {}
    options = {} if options is None else options
    for name in sorted(tenants):
        pending = []
        current = name
        while current not in facts:
            pending.append(current)
            if current == ROOT:
                break
            current = parent_of(current, tenants[current] or {})
        for member in reversed(pending):
            options[member] = tenant_options(tenants[member])
            parent = None if member == ROOT else facts[parent_of(member, options[member])]
            facts[member] = _tenant_facts(member, options[member], parent, settings)
    return facts


def plan_tenants(site, plan=None, problems=None):
    """The tenant section of the plan.

    ``plan`` is unused (the tenants need nothing from other areas); when
    ``problems`` is given the tree is validated first and an empty section is
    returned if it has problems (the engine raises PlanError then).
    """
    if problems is not None:
        found = validate_tenants(site)
        problems.extend(found)
        if found:
            return {}
    settings = tenancy_settings(site)
    tenants = site.get("tenants") or {}
    options = {}
    with heap.gc_paused():
        facts = _all_facts(tenants, settings, options)
        entries = [_finish_tenant(facts[name], options[name], settings) for name in facts]
    entries.sort(key=lambda entry: entry["namespace"])
    return {
        "isolation": settings["isolation"],
        "policies_enforced": settings["enforced"],
        "label_domain": settings["label_domain"],
        "variant": settings["variant"],
        "system_namespaces": settings["system_namespaces"],
        "shared_services": settings["shared_services"],
        "api_port": settings["api_port"],
        "count": len(entries),
        "tenants": entries,
    }


# --- rendering --------------------------------------------------------------

def _tenant_section(plan):
    """Accept the whole plan (``plan["tenants"]`` is the section) or the section itself."""
    inner = plan.get("tenants")
    if isinstance(inner, dict):
        return inner
    return plan


def render_tenant(entry):
    """(relative path, multi-document YAML) of one tenant's objects."""
    return entry["file"], dump_yaml_all(entry["objects"])


def render_tenants(plan):
    """Bundle artefacts: one file per tenant (so a new tenant adds one file) and the reachability matrix."""
    section = _tenant_section(plan)
    artefacts = {}
    for entry in section.get("tenants", []):
        path, text = render_tenant(entry)
        artefacts[path] = text
    if section.get("tenants"):
        artefacts["tenants/reachability.md"] = report.to_markdown(report_sections(plan))
    return artefacts


def report_sections(plan):
    """Report blocks: the tenant tree and the reachability matrix computed by the evaluator."""
    section = _tenant_section(plan)
    entries = section.get("tenants", [])
    if not entries:
        return [report.heading(2, "Tenants"), report.paragraph("No tenants (netstack_tenants is empty).")]
    enforced = section.get("policies_enforced", True)
    blocks = [report.heading(2, "Tenants"),
              report.paragraph("%d tenant(s), isolation mode `%s`%s." % (
                  len(entries), section.get("isolation"), "" if enforced else
                  "; **not enforced**: variant `noop` runs no Cilium, so there are no policies and every pod "
                  "reaches every pod"))]
    blocks.append(report.table(["tenant", "namespace", "parent", "apex", "runs", "subnet"], [
        [e["name"], e["namespace"], e["parent"] or "", e["host"] or "",
         ", ".join(s for s in LOCATORS if e["services"][s] == e["namespace"]),
         e["subnet"]["cidr"] if e["subnet"] else ""] for e in entries]))
    if enforced:
        blocks.extend(_matrix_blocks(section))
    return blocks


def _matrix_blocks(section):
    entries = section["tenants"]
    blocks = [report.heading(3, "Reachability")]
    if len(entries) > MATRIX_MAX_TENANTS:
        blocks.append(report.paragraph(
            "%d tenants: the %d x %d matrix is left out (limit %d). The property tests check the rules it would "
            "show on random trees." % (len(entries), len(entries), len(entries), MATRIX_MAX_TENANTS)))
        return blocks
    matrix = reachability.tenant_matrix(section)
    blocks.append(report.paragraph(
        "Computed by the policy evaluator (plugins/module_utils/reachability.py) from the generated objects. "
        "Row = source pod, column = destination tenant. `all`: an ordinary pod reaches an ordinary pod on "
        "TCP/%d; otherwise the service pods it reaches (`ingress` 443, `vminsert` 8480, `etcd` 2379 from a pod "
        "labelled `%s`); `-`: nothing." % (reachability.APP_PORT, policies.ALLOW_ETCD_LABEL)))
    blocks.append(report.table(matrix["headers"], matrix["rows"]))
    blocks.append(report.paragraph("Platform access of each tenant's pods (`%s` is the API-server label):"
                                   % policies.ALLOW_APISERVER_LABEL))
    blocks.append(report.table(matrix["check_headers"], matrix["checks"]))
    return blocks


# --- validation -------------------------------------------------------------

def validate_tenants(site):
    """Cross-field checks of ``netstack_tenants`` and ``netstack_cluster.tenancy``; a list of Problems."""
    problems = []
    settings = tenancy_settings(site)
    tenants = site.get("tenants") or {}
    dropped = site.get("dropped_tenants") or ()   # entries with schema problems, already reported
    if tenants and ROOT not in tenants and ROOT not in dropped:
        problems.append(Problem(TENANTS_PATH, "the root tenant '%s' is missing" % ROOT,
                                "add netstack_tenants.root with host: <cluster apex>"))
    for name in sorted(tenants):
        _check_tenant_name(name, problems)
    walkable = _check_parents(tenants, problems, dropped)
    facts = _walkable_facts(tenants, walkable, settings)
    namespaces = _check_namespaces(facts, problems)
    _check_hosts(tenants, facts, problems)
    _check_gateways(tenants, settings, problems)
    _check_tenancy(site, settings, namespaces, problems)
    _check_subnets(tenants, facts, settings, site, problems)
    return problems


def _tenant_path(name, *keys):
    path = join_path(TENANTS_PATH, name)
    for key in keys:
        path = join_path(path, key)
    return path


def _check_tenant_name(name, problems):
    if _TENANT_NAME_RE.match(name):
        return
    if "-" in name:
        problems.append(Problem(_tenant_path(name), "name '%s' is not allowed: tenant names cannot contain '-'"
                                % name, "namespaces join names with '-', so a dash would be ambiguous; use '%s'"
                                % name.replace("-", "")))
    else:
        problems.append(Problem(_tenant_path(name), "name '%s' is not allowed: tenant names are DNS-label safe"
                                % name, "use lower-case letters and digits only"))


def _check_parents(tenants, problems, dropped=()):
    """Report unknown parents and cycles; return the names whose chain reaches root.

    A chain through a ``dropped`` tenant (its entry is broken) is not walkable, and not reported again."""
    status = {ROOT: True} if ROOT in tenants else {}
    root_options = tenants.get(ROOT) or {}
    if root_options.get("parent"):
        problems.append(Problem(_tenant_path(ROOT, "parent"), "the root tenant has no parent (got '%s')"
                                % root_options["parent"], "remove parent from netstack_tenants.root"))
    for name in sorted(tenants):
        path = []
        current = name
        while current not in status:
            if current in path:
                _report_cycle(path[path.index(current):], problems)
                break
            path.append(current)
            parent = parent_of(current, tenants[current] or {})
            if parent in dropped:
                status[current] = False
                break
            if parent not in tenants:
                hint = did_you_mean(parent, tenants) or "set parent to an existing tenant (e.g. %s) or add " \
                    "netstack_tenants.%s" % (ROOT, parent)
                if parent == ROOT:
                    hint = "add netstack_tenants.root"
                problems.append(Problem(_tenant_path(current, "parent"), "parent '%s' does not exist" % parent,
                                        hint))
                status[current] = False
                break
            current = parent
        ok = status.get(current, False)
        for member in path:
            status.setdefault(member, ok)
    return {name for name, ok in status.items() if ok}


def _report_cycle(cycle, problems):
    """One problem per cycle (one mistake), at the parent of the member that sorts first: changing any
    member's parent breaks it, and the message names them all."""
    first = cycle.index(min(cycle))
    loop = cycle[first:] + cycle[:first] + [cycle[first]]
    others = "" if len(cycle) == 1 else " (or the parent of %s)" % ", ".join(sorted(cycle)[1:])
    problems.append(Problem(_tenant_path(cycle[first], "parent"), "parent chain is a cycle: %s" % " -> ".join(loop),
                            "every chain must end at '%s': set netstack_tenants.%s.parent: %s%s"
                            % (ROOT, cycle[first], ROOT, others)))


def _walkable_facts(tenants, walkable, settings):
    subset = {name: tenants[name] for name in walkable}
    return _all_facts(subset, settings) if ROOT in subset else {}


def _check_namespaces(facts, problems):
    owners = {}
    for name in sorted(facts, key=lambda n: (facts[n]["depth"], n)):
        namespace = facts[name]["namespace"]
        parent = facts[name]["parent_namespace"]
        # a sub-tenant of a tenant whose namespace is already too long: reported once, on that tenant
        if len(namespace) > KUBERNETES_NAME_MAX and not (parent and len(parent) > KUBERNETES_NAME_MAX):
            problems.append(Problem(_tenant_path(name), "namespace '%s' is %d characters, the limit is %d"
                                    % (namespace, len(namespace), KUBERNETES_NAME_MAX),
                                    "use a tenant name at least %d character(s) shorter, or a flatter tree"
                                    % (len(namespace) - KUBERNETES_NAME_MAX)))
        if namespace in owners:
            # names are [a-z0-9]+, so two namespaces only collide through a name with a '-' in it, which
            # _check_tenant_name reports (with the name to use): one problem for that one mistake
            if _TENANT_NAME_RE.match(name) and _TENANT_NAME_RE.match(owners[namespace]):
                problems.append(Problem(_tenant_path(name), "namespace '%s' is also the namespace of tenant '%s'"
                                        % (namespace, owners[namespace]),
                                        "rename one of them, e.g. '%s'" % free_name(name, facts, "")))
        else:
            owners[namespace] = name
    return owners


def _check_hosts(tenants, facts, problems):
    if ROOT in tenants and not (tenants[ROOT] or {}).get("host"):
        problems.append(Problem(_tenant_path(ROOT, "host"), "is required: the root tenant's host is the "
                                "cluster apex domain (e.g. example.org)",
                                "set netstack_tenants.root.host to the cluster's domain, e.g. example.org"))
    apex_owners = {}
    for name in sorted(facts):
        host = facts[name]["host"]
        if host:
            apex_owners.setdefault(host, []).append(name)
    for name in sorted(facts):
        entry = facts[name]
        host = entry["host"]
        if not host:
            continue
        valid = _HOSTNAME_RE.match(host)
        if not valid or len(host) > KUBERNETES_NAME_MAX:
            _check_apex_text(name, entry, host, facts, problems)
        if valid:
            _check_apex_owner(name, entry, host, apex_owners, facts, problems)


def _check_apex_text(name, entry, host, facts, problems):
    """An apex that is not a DNS name or too long for the label; an inherited one only where it first breaks."""
    how = " (inherited: %s.<parent apex>)" % name if entry["host_inherited"] else ""
    above = facts[entry["parent"]]["host"] if entry["host_inherited"] else None
    if not _HOSTNAME_RE.match(host):
        if above is None or _HOSTNAME_RE.match(above):    # else reported where the bad apex is set
            problems.append(Problem(_tenant_path(name, "host"), "apex '%s'%s is not a valid DNS name"
                                    % (host, how), _apex_hint(host)))
    elif above is None or len(above) <= KUBERNETES_NAME_MAX:
        problems.append(Problem(_tenant_path(name, "host"), "apex '%s'%s is %d characters; the label %s "
                                "holds at most %d" % (host, how, len(host), HOST_LABEL, KUBERNETES_NAME_MAX),
                                "set a shorter host on this tenant or an ancestor"))


def _apex_hint(host):
    fixed = re.sub(r"[^a-z0-9.-]+", "-", host.lower())
    fixed = ".".join(label.strip("-") for label in fixed.split(".") if label.strip("-"))
    if _HOSTNAME_RE.match(fixed):
        return "e.g. host: %s" % fixed
    return "use lower-case letters, digits, '-' and dots, e.g. host: example.org"


def _check_apex_owner(name, entry, host, apex_owners, facts, problems):
    """An apex may only be equal to nobody's and inside its ancestors' apexes (no hijacking).

    Each clash is reported once, on the host to change: a sub-tenant that takes (or contains) an ancestor's
    apex, not the ancestor; of two unrelated tenants the one that sets its host rather than inherits it.
    """
    allowed = None
    labels = host.split(".")
    for start in range(len(labels)):
        owners = apex_owners.get(".".join(labels[start:]) if start else host)
        if not owners:
            continue
        if allowed is None:
            allowed = set(entry["ancestors"])
            allowed.add(name)
        if start and not allowed.isdisjoint(owners):
            continue          # inside our own or an ancestor's apex: another tenant taking it is reported on it
        for owner in owners:
            if owner in allowed or name in facts[owner]["ancestors"]:
                continue      # an ancestor's apex is checked below; a descendant reusing ours is reported on it
            _report_apex_clash(name, entry, host, owner, ".".join(labels[start:]), facts, problems)
    if not entry["host_inherited"]:
        # name.<parent apex> always lies inside the parent's apex: only a host set here can take an ancestor's
        for ancestor in reversed(entry["ancestors"]):
            above = facts[ancestor]["host"]
            if above and (above == host or above.endswith("." + host)):
                relation = "its parent" if ancestor == entry["parent"] else "its ancestor"
                if above == host:
                    message = "apex '%s' is also the apex of %s '%s': a sub-tenant's apex lies inside it" % (
                        host, relation, ancestor)
                else:
                    message = "apex '%s' contains the apex '%s' of %s '%s': a sub-tenant's apex lies inside it" % (
                        host, above, relation, ancestor)
                problems.append(Problem(_tenant_path(name, "host"), message, _inherit_hint(name, entry, facts)))
                break


def _inherit_hint(name, entry, facts):
    parent_host = facts[entry["parent"]]["host"] if entry["parent"] else None
    return "remove host to use '%s.%s'" % (name, parent_host) if parent_host else "set another host"


def _report_apex_clash(name, entry, host, owner, suffix, facts, problems):
    if suffix == host:
        other = facts[owner]
        if entry["host_inherited"] and not other["host_inherited"]:
            return        # reported on the tenant that set it
        if entry["host_inherited"] == other["host_inherited"] and name < owner:
            return        # both set it: reported once, on the later name
        message = "apex '%s' is also the apex of tenant '%s'" % (host, owner)
        hint = _inherit_hint(name, entry, facts) if not entry["host_inherited"] else \
            "set a host of its own on it or on tenant '%s'" % owner
    else:
        message = "apex '%s' is inside tenant '%s''s apex '%s', and '%s' is not an ancestor" % (
            host, owner, suffix, owner)
        hint = "set parent: %s to make it a sub-tenant of '%s', or %s" % (
            owner, owner, _inherit_hint(name, entry, facts))
    problems.append(Problem(_tenant_path(name, "host"), message, hint))


def _check_gateways(tenants, settings, problems):
    if settings["gateway_api"]:
        return
    for name in sorted(tenants):
        if (tenants[name] or {}).get("gateway") is True:
            problems.append(Problem(_tenant_path(name, "gateway"), "a tenant Gateway needs "
                                    "netstack_cluster.features.gateway_api.enabled: true",
                                    "the Gateway API is a two-step opt-in: set that too, or remove gateway: true"))


def _check_tenancy(site, settings, namespaces, problems):
    seen = {}
    names = set(s["name"] for s in settings["shared_services"])
    cluster = site.get("cluster") or {}
    for position, service in enumerate(settings["shared_services"]):
        path = join_path(join_path(TENANCY_PATH, "shared_services"), position)
        if service["name"] in _RESERVED_SERVICE_NAMES:
            problems.append(Problem(path + ".name", "name '%s' is reserved: allow-to-%s is a built-in policy"
                                    % (service["name"], service["name"]),
                                    "use another name, e.g. '%s'" % free_name(service["name"], names)))
        if service["name"] in seen:
            problems.append(Problem(path + ".name", "duplicate shared service '%s' (also shared_services[%d])"
                                    % (service["name"], seen[service["name"]]),
                                    "rename it, e.g. '%s', or remove the entry" % free_name(service["name"], names)))
        seen.setdefault(service["name"], position)
        if service["namespace"] in namespaces:
            problems.append(Problem(path + ".namespace", "'%s' is the namespace of tenant '%s'; every tenant "
                                    "could reach it" % (service["namespace"], namespaces[service["namespace"]]),
                                    "use the platform namespace the service runs in (e.g. cozy-%s), or remove "
                                    "the entry" % service["name"]))
    for position, namespace in enumerate(settings["system_namespaces"]):
        if namespace in namespaces or namespace.startswith(NAMESPACE_PREFIX):
            problems.append(Problem(join_path(join_path(TENANCY_PATH, "system_namespaces"), position),
                                    "'%s' is a tenant namespace; a system namespace may enter every tenant"
                                    % namespace, "remove it from %s.system_namespaces" % TENANCY_PATH))
    attached = (((cluster.get("features") or {}).get("gateway_api") or {}).get("attached_namespaces")) or []
    for position, namespace in enumerate(attached):
        if namespace in namespaces:
            problems.append(Problem(join_path(ATTACHED_PATH, position), "'%s' is the namespace of tenant '%s'; "
                                    "its routes would attach to every tenant's Gateway"
                                    % (namespace, namespaces[namespace]),
                                    "remove it from %s: only platform namespaces attach there" % ATTACHED_PATH))


def _cluster_ranges(site):
    networks = ((site.get("cluster") or {}).get("networks") or {})
    ranges = []
    for key in ("pod_cidr", "service_cidr", "join_cidr", "cluster_cidr"):
        if networks.get(key):
            ranges.append((key, ipaddress.IPv4Network(networks[key], strict=False)))
    return ranges


def _check_subnets(tenants, facts, settings, site, problems):
    requests = {name: tenant_options(tenants[name]).get("subnet") for name in sorted(facts)}
    requests = {name: request for name, request in requests.items() if request is not None}
    pool = _check_pool(settings, site, problems)
    if not requests:
        return
    if not settings["kubeovn"]:
        for name in requests:
            problems.append(Problem(_tenant_path(name, "subnet"), "needs Kube-OVN, but variant '%s' has none"
                                    % settings["variant"], "use a kubeovn-cilium variant or remove subnet"))
        return
    allocated = []
    for name, request in sorted(requests.items()):
        subnet = _checked_allocation(name, request, facts[name]["namespace"], pool, site, problems)
        if subnet:
            allocated.append((ipaddress.IPv4Network(subnet["cidr"]), name, subnet["allocation"]))
    _check_overlaps(allocated, pool, problems)


def _check_pool(settings, site, problems):
    if not settings["subnet_pool"]:
        return None
    pool = ipaddress.IPv4Network(settings["subnet_pool"], strict=False)
    for key, network in _cluster_ranges(site):
        if pool.overlaps(network):
            problems.append(Problem(POOL_PATH, "pool %s overlaps %s %s" % (pool, key, network),
                                    _free_range_hint(pool, _cluster_ranges(site))))
    return pool


def _checked_allocation(name, request, namespace, pool, site, problems):
    path = _tenant_path(name, "subnet")
    if request.get("cidr"):
        network = ipaddress.IPv4Network(request["cidr"], strict=False)
        if pool is not None and not network.subnet_of(pool):
            problems.append(Problem(path + ".cidr", "%s is outside the tenant pool %s" % (network, pool),
                                    "remove cidr to get a slice of %s chosen from the namespace, or pin one "
                                    "inside it" % pool))
        for key, other in _cluster_ranges(site):
            if network.overlaps(other):
                problems.append(Problem(path + ".cidr", "%s overlaps %s %s" % (network, key, other),
                                        "remove cidr to get a slice of %s" % pool if pool is not None else
                                        _free_range_hint(network, _cluster_ranges(site))))
    elif pool is None:
        problems.append(Problem(path, "an automatic subnet needs %s" % POOL_PATH,
                                "set %s (e.g. %s) or pin subnet.cidr"
                                % (POOL_PATH, _free_range_hint(ipaddress.IPv4Network("10.200.0.0/16"),
                                                               _cluster_ranges(site), bare=True))))
        return None
    elif request["prefix_length"] < pool.prefixlen:
        problems.append(Problem(path + ".prefix_length", "a /%d slice does not fit in the pool %s"
                                % (request["prefix_length"], pool),
                                "use prefix_length: %d or more (e.g. 24), or a larger pool"
                                % max(pool.prefixlen, 16)))
        return None
    return subnet_allocation(namespace, request, str(pool) if pool else None)


def _check_overlaps(allocated, pool, problems):
    """Sweep the subnets by start address; each one overlapping an earlier one is reported once."""
    allocated.sort(key=lambda item: (int(item[0].network_address), -item[0].prefixlen, item[1]))
    widest = None
    for network, name, allocation in allocated:
        if widest is not None and int(network.network_address) <= int(widest[0].broadcast_address):
            hint = "pin one of them with subnet.cidr"
            free = _free_slice(allocated, pool, network.prefixlen)
            if free:
                hint += "; %s is free" % free
            problems.append(Problem(_tenant_path(name, "subnet"), "%s subnet %s overlaps tenant '%s''s subnet %s"
                                    % (allocation, network, widest[1], widest[0]), hint))
        if widest is None or int(network.broadcast_address) > int(widest[0].broadcast_address):
            widest = (network, name)


_EVERYWHERE = ipaddress.IPv4Network("0.0.0.0/0")


def _free_range_hint(network, ranges, bare=False):
    """'use <a range of the same size disjoint from ranges>' (from the network's own address on)."""
    taken = [interval(other) for _key, other in ranges]
    free = free_block(_EVERYWHERE, network.prefixlen, taken, int(network.network_address))
    if bare:
        return str(free)
    return "use %s or another range disjoint from %s" % (free, ", ".join(key for key, _other in ranges))


def _free_slice(allocated, pool, prefix):
    if pool is None:
        return None
    free = free_block(pool, prefix, [interval(n) for n, _name, _how in allocated])
    return str(free) if free else None
