# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan engine's public surface.

Three functions, in the order a play uses them:

* ``build_plan(inventory_vars, nodes, switches)`` validates the whole inventory
  and computes the plan, or raises ``PlanError`` carrying every problem;
* ``render_bundle(plan, sections)`` returns the bundle artefacts
  ``{relative path: text}`` of the sections asked for;
* ``SECTIONS`` names the sections a playbook may ask for.

The plan is plain data (dicts, lists, strings, ints), deterministic for a given
inventory, and is what every role applies.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os

from ansible_collections.netstack.baremetal.plugins.module_utils import addressing, bgp, inventory, report
from ansible_collections.netstack.baremetal.plugins.module_utils import consistency, heap, mlag
from ansible_collections.netstack.baremetal.plugins.module_utils.fabric import plan_fabric, render_fabric
from ansible_collections.netstack.baremetal.plugins.module_utils.nodes import plan_nodes, render_nodes
from ansible_collections.netstack.baremetal.plugins.module_utils.cluster_network import (
    plan_cluster_network, render_cluster_network)
from ansible_collections.netstack.baremetal.plugins.module_utils.gateway import plan_gateway, render_gateway
from ansible_collections.netstack.baremetal.plugins.module_utils.gateway import (
    plan_gateway_tenant, render_gateway_tenant)
from ansible_collections.netstack.baremetal.plugins.module_utils.tenants import plan_tenants, render_tenants
from ansible_collections.netstack.baremetal.plugins.module_utils.tenants import report_sections as tenants_report_sections
from ansible_collections.netstack.baremetal.plugins.module_utils import node_day2, rack_day2, secret_vars, tenant_day2
from ansible_collections.netstack.baremetal.plugins.module_utils import tenant_removal
from ansible_collections.netstack.baremetal.plugins.module_utils.inventory import host_path
from ansible_collections.netstack.baremetal.plugins.module_utils import tenants as tenants_core
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import PlanError, Problem, did_you_mean
from ansible_collections.netstack.baremetal.plugins.module_utils.yamlout import dump_yaml

PLAN_FORMAT = 1


def inventory_fingerprint(inventory_vars, nodes, switches):
    """A digest of everything the plan is computed from: equal digests give equal plans."""
    try:
        text = json.dumps([inventory_vars, nodes, switches], sort_keys=True, default=str, separators=(",", ":"))
    except TypeError:
        # a key YAML read as a boolean or number beside string keys (validation reports it): digest the text
        text = json.dumps(_string_keys([inventory_vars, nodes, switches]), sort_keys=True, default=str,
                          separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _string_keys(value):
    if isinstance(value, dict):
        return dict(("%s:%s" % (type(k).__name__, k), _string_keys(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_string_keys(v) for v in value]
    return value


@heap.without_gc
def build_plan(inventory_vars, nodes, switches, areas=None, defined_vars=None):
    """Validate the inventory and compute the plan; raise PlanError with every problem.

    ``areas``: names of the AREAS to compute (default: all); the core (addresses, BGP) always is.
    ``defined_vars``: which variables are defined where (names only, ``secret_vars``): the BGP password
    variable must be; ``None`` skips that check (the plan action always passes it).
    """
    fingerprint = inventory_fingerprint(inventory_vars, nodes, switches)
    site, problems, addresses, sessions = _validate_core(inventory_vars, nodes, switches, defined_vars)
    if problems:
        raise PlanError(problems)
    plan = _core_plan(site, addresses, sessions)
    plan["fingerprint"] = fingerprint
    for name, planner, _renderer in AREAS:
        if areas is None or name in areas:
            plan[name] = planner(site, plan, problems)
    if not problems:
        # both ends of every node link, node labels against selectors: read back from the rendered artefacts
        problems.extend(consistency.check_plan(plan))
    if problems:
        raise PlanError(problems)
    return plan


def _validate_core(inventory_vars, nodes, switches, defined_vars=None):
    """Schema, references, addresses and BGP: ``(site, problems, addresses, sessions)``.

    Every stage whose inputs are sound runs, so one run reports every mistake that can be found:
    a schema problem skips only the stages that read the broken part (``inventory.CORE_INPUTS``,
    ``TENANT_INPUTS``; a broken node is left out, not the core). When anything is wrong, the tenant
    tree is checked here too, since the areas (where it is checked otherwise) need a sound core.
    """
    site, problems = inventory.build_site(inventory_vars, nodes, switches)
    addresses = sessions = None
    if site["stages"]["addresses"]:
        addresses = addressing.plan_addresses(site, problems)
        sessions = bgp.plan_bgp(site, addresses, problems)
        problems.extend(secret_vars.check_defined(sessions, defined_vars))
    if problems and site["stages"]["tenants"]:
        problems.extend(tenants_core.validate_tenants(site))
    return site, problems, addresses, sessions


def _core_plan(site, addresses, sessions):
    cluster = site["cluster"]
    plan = {
        "format": PLAN_FORMAT,
        "mode": site["mode"],
        "bundle_dir": site["bundle_dir"],
        "secrets_dir": site["secrets_dir"],
        "kubeconfig": site["kubeconfig"],
        "cluster": {key: cluster[key] for key in ("name", "node_os", "variant", "kubernetes_version", "dns_domain",
                                                  "features")},
        "load_balancer": {"mode": site["load_balancer"]["mode"],
                          "implementation": site["load_balancer"]["implementation"]},
        "networks": addresses["networks"],
        "api": addresses["api"],
        "vlans": addresses["vlans"],
        "nodes": _node_entries(site, addresses),
        "switches": addresses["switches"],
        "removed_nodes": _removed_entries(site),
        "pools": addresses["pools"],
        "bgp": sessions,
        # the racks' MLAG pairs (mlag.py): physical (peer-link cabling) and domain settings, per rack
        "mlag": mlag.plan_domains(site),
    }
    return plan


def _node_entries(site, addresses):
    nodes = {}
    for host, entry in addresses["nodes"].items():
        node = site["nodes"][host]
        entry = dict(entry)
        entry.update(uplinks=node["uplinks"], bond_mode=node["bond_mode"], install_disk=node["install_disk"],
                     labels=node["labels"])
        nodes[host] = entry
    return nodes


def _removed_entries(site):
    """The retired nodes (``state: removed``): what still holds their index and switch ports, nothing more."""
    removed = site.get("removed_nodes") or {}
    return dict((host, {"rack": node["rack"], "index": node["index"], "role": node["role"],
                        "uplinks": [dict(u) for u in node["uplinks"]]})
                for host, node in sorted(removed.items(), key=lambda kv: kv[1]["index"]))


# Keys that depend on where the playbook runs, not on the inventory: kept out of plan.yaml so the
# bundle is the same on every machine.
_LOCAL_KEYS = ("bundle_dir", "secrets_dir", "kubeconfig")


def default_secrets_dir(bundle_dir):
    """Where secrets go when ``netstack_secrets_dir`` is unset: ``<bundle dir>-secrets``, beside the bundle."""
    return os.path.normpath(bundle_dir) + "-secrets"


def local_path_problems(bundle_dir, secrets_dir, kubeconfig):
    """Problems when something holding cluster credentials would land in the bundle.

    The bundle is meant to be reviewed and committed; the secrets directory (Talos machine configs, the
    fetched kubeconfig) and the kubeconfig must stay out of it. Paths are absolute (the plan action resolves
    them, symlinks included); ``kubeconfig`` may be None.
    """
    problems = []
    bundle_dir, secrets_dir = os.path.normpath(bundle_dir), os.path.normpath(secrets_dir)
    if _inside(secrets_dir, bundle_dir):
        problems.append(Problem("netstack_secrets_dir", "lies inside the bundle %s: the Talos machine configs and "
                                "the kubeconfig kept there hold cluster credentials" % bundle_dir,
                                "put it beside the bundle (default `<bundle dir>-secrets`) or outside the "
                                "repository, e.g. ~/.netstack/<cluster>"))
    elif _inside(bundle_dir, secrets_dir):
        problems.append(Problem("netstack_secrets_dir", "contains the bundle %s: its `.gitignore` (`*`) would hide "
                                "the bundle from Git" % bundle_dir,
                                "unset it (default `<bundle dir>-secrets`) or point it elsewhere"))
    if kubeconfig and _inside(os.path.normpath(kubeconfig), bundle_dir):
        problems.append(Problem("netstack_kubeconfig", "lies inside the bundle %s: a kubeconfig holds cluster "
                                "credentials" % bundle_dir,
                                "unset it (the nodes playbook then fetches it to <netstack_secrets_dir>/kubeconfig) "
                                "or point it outside the bundle"))
    return problems


def _inside(path, root):
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


_CORE_NODE_KEYS = ("rack", "index", "role", "addresses", "uplinks", "bond_mode", "install_disk", "labels")


def _core_view(plan):
    """The plan as plan.yaml shows it: the core only. Each area's output has its own folder in the bundle,
    so plan.yaml stays small and readable however many tenants there are."""
    area_names = set(name for name, _planner, _renderer in AREAS)
    view = dict((k, v) for k, v in plan.items() if k not in _LOCAL_KEYS and (k not in area_names or k == "nodes"))
    view["nodes"] = dict((host, dict((k, node[k]) for k in _CORE_NODE_KEYS if k in node))
                         for host, node in plan["nodes"].items())
    return view


def _render_plan_section(plan):
    blocks = report.core_sections(plan)
    if "tenants" in plan:
        blocks.extend(tenants_report_sections(plan))
        blocks.extend(report.tenant_diagram(plan["tenants"].get("tenants", [])))
    portable = _core_view(plan)
    title = "Network plan: %s" % plan["cluster"]["name"]
    return {
        "plan.yaml": dump_yaml(portable),
        "report.md": report.to_markdown(blocks),
        "report.html": report.to_html(blocks, title),
    }


# Each area of the stack: (plan key and bundle section name, planner, renderer).
#   planner(site, plan, problems) -> dict   stored as plan[name]; append Problems for bad input
#   renderer(plan) -> {relative path: text}  the area's bundle files (under a folder named after it)
# Areas run in this order and may read what earlier areas put in the plan.
AREAS = [
    ("fabric", plan_fabric, render_fabric),
    ("nodes", plan_nodes, render_nodes),
    ("cluster_network", plan_cluster_network, render_cluster_network),
    ("tenants", plan_tenants, render_tenants),
    ("gateway", plan_gateway, render_gateway),
]

SECTIONS = {"plan": _render_plan_section}
SECTIONS.update((name, renderer) for name, _planner, renderer in AREAS)


def render_bundle(plan, sections):
    """Return ``{relative path: text}`` for the sections asked for."""
    artefacts = {}
    for name in sections:
        if name not in SECTIONS:
            raise ValueError("unknown bundle section '%s' (known: %s)" % (name, ", ".join(sorted(SECTIONS))))
        artefacts.update(SECTIONS[name](plan))
    return artefacts


# --- day 2: one tenant ------------------------------------------------------

def _validated_core_plan(inventory_vars, nodes, switches, defined_vars=None):
    """The whole inventory validated (schema, references, addresses, BGP, tenant tree); ``(site, core plan)``.

    Other areas' own cross-field checks run with their plays; nothing here
    grows with the number of tenants except ``validate_tenants``.
    """
    site, problems, addresses, sessions = _validate_core(inventory_vars, nodes, switches, defined_vars)
    if not problems:
        problems.extend(tenants_core.validate_tenants(site))
    if problems:
        raise PlanError(problems)
    plan = _core_plan(site, addresses, sessions)
    plan["fingerprint"] = None  # a partial plan: never reused as the whole plan by a later play
    return site, plan


@heap.without_gc
def build_tenant_plan(inventory_vars, nodes, switches, name, defined_vars=None):
    """Day 2: validate the whole inventory, then plan only tenant ``name`` (its ancestor chain, nothing else).

    Returns the core plan with a ``tenants`` section holding that one tenant
    (same shape as the full section, ``partial: true``) and ``tenant``: its
    name, namespace, bundle file, objects and the ordered apply steps for a
    cluster that does not have them yet (``batches`` groups them per phase;
    the tenants role recomputes them against the live objects in apply mode).
    ``gateway``: the gateway area's objects the tenant brings (its own, and the
    changed objects of the ancestor Gateways it uses or left), see
    ``gateway.plan_gateway_tenant``; the gateway role applies its batches.
    Raises PlanError for a missing or unknown tenant, with a did-you-mean.
    ``defined_vars``: as for ``build_plan``.
    """
    site, plan = _validated_core_plan(inventory_vars, nodes, switches, defined_vars)
    tenants = site.get("tenants") or {}
    if not name or name not in tenants:
        hint = did_you_mean(name, tenants) or "known tenants: %s" % ", ".join(sorted(tenants)[:20])
        message = "tenant '%s' is not in netstack_tenants" % name if name else "no tenant given (-e tenant=<name>)"
        raise PlanError([Problem(tenants_core.TENANTS_PATH, message, hint)])
    entry = tenants_core.plan_one_tenant(site, name)
    settings = tenants_core.tenancy_settings(site)
    plan["tenants"] = {
        "isolation": settings["isolation"], "policies_enforced": settings["enforced"],
        "label_domain": settings["label_domain"], "variant": settings["variant"],
        "system_namespaces": settings["system_namespaces"], "shared_services": settings["shared_services"],
        "api_port": settings["api_port"], "count": 1, "partial": True, "tenants": [entry],
    }
    problems = []
    plan["gateway"] = plan_gateway_tenant(site, plan, name, problems)
    if problems:
        raise PlanError(problems)
    steps = tenant_removal.order_policy_changes([], entry["objects"])
    plan["tenant"] = {"name": name, "namespace": entry["namespace"], "file": entry["file"],
                      "objects": entry["objects"], "steps": steps, "batches": tenant_removal.batches(steps)}
    return plan


@heap.without_gc
def build_node_plan(inventory_vars, nodes, switches, name, operation="add", defined_vars=None):
    """Day 2 for one node (add_node.yml, remove_node.yml): validate the whole inventory, then plan only what the
    node touches.

    ``operation``: ``add`` (the node is active in the inventory) or ``remove`` (it is marked ``state: removed``).
    Returns the core plan with ``fabric`` holding only the switches the node is (was) cabled to (their whole
    configuration, with the rollout of the whole fabric), for ``add`` ``nodes`` holding only that node's OS
    configuration and ``cluster_network`` (whose load-balancer objects ``node_day2.node_objects`` picks the node's
    from), and ``node_change`` (``node_day2.node_change``). Raises PlanError for a missing or unknown node, with a
    did-you-mean naming the inventory groups, and for a node in the wrong state for ``operation``.
    """
    site, plan = _validated_core_plan(inventory_vars, nodes, switches, defined_vars)
    active, removed = site["nodes"], site.get("removed_nodes") or {}
    known = sorted(set(active) | set(removed))
    script = "playbooks/%s_node.yml" % operation
    if not name or name not in known:
        hint = did_you_mean(name, known) or "known nodes: %s" % ", ".join(known[:20])
        message = ("node '%s' is not in the inventory (groups netstack_control_plane, netstack_workers)" % name
                   if name else "no node given (ansible-playbook %s -e node=<name>)" % script)
        raise PlanError([Problem("hosts", message, hint)])
    if operation == "add" and name in removed:
        raise PlanError([Problem(host_path(name, "netstack_node", "state"), "is 'removed': the node is retired",
                                 "set state: active (or drop the key) to bring it back, then run %s" % script)])
    if operation == "remove" and name in active:
        raise PlanError([Problem(host_path(name, "netstack_node", "state"),
                                 "the node is still active in the inventory",
                                 "set netstack_node.state: removed in its host variables first (the inventory is the "
                                 "source of truth; its index and switch ports stay reserved), then run %s" % script)])
    problems = []
    wanted = set(node_day2.node_switches(plan, name))
    fabric = plan_fabric(site, plan, problems, only=wanted)
    fabric["nodes"] = dict((host, view) for host, view in fabric["nodes"].items() if host == name)
    fabric["partial"] = True
    plan["fabric"] = fabric
    if operation == "add":
        plan["nodes"] = plan_nodes(site, plan, problems, only=[name])
        plan["cluster_network"] = plan_cluster_network(site, plan, problems)
    if problems:
        raise PlanError(problems)
    plan["node_change"] = node_day2.node_change(plan, name, operation)
    return plan


@heap.without_gc
def build_rack_plan(inventory_vars, nodes, switches, name, defined_vars=None):
    """Day 2 for one rack (add_rack.yml): validate the whole inventory, then plan only what the rack changes.

    The fabric is planned twice, with and without the rack (``rack_day2.without_rack``): the switches it changes are
    the rack's and every other whose structured configuration differs (``rack_day2.changed_switches``), each with
    its whole configuration and the rollout of the whole fabric. ``nodes`` holds the rack's nodes' OS configuration,
    ``cluster_network`` the objects ``rack_day2.rack_objects`` picks the rack's from, and ``rack_change``
    (``rack_day2.rack_change``) what the rack owns. Raises PlanError, naming ``netstack_fabric.racks``, for a missing
    or unknown rack (with a did-you-mean), a rack without a switch, and a rack the site cannot be planned without
    (it holds every control plane: that is a new site, site.yml); a rack that collides with another (name, index,
    addresses, ports, router ids) is refused by the validation, as by site.yml.
    """
    site, plan = _validated_core_plan(inventory_vars, nodes, switches, defined_vars)
    racks = site["racks"]
    if not name or name not in racks:
        hint = did_you_mean(name, racks) or "known racks: %s" % ", ".join(sorted(racks)[:20])
        message = ("rack '%s' is not in netstack_fabric.racks" % name if name
                   else "no rack given (ansible-playbook playbooks/add_rack.yml -e rack=<name>)")
        raise PlanError([Problem("netstack_fabric.racks", message, hint)])
    path = "netstack_fabric.racks[%d]" % next(i for i, r in enumerate(site["fabric"]["racks"]) if r["name"] == name)
    if not rack_day2.rack_switches(plan, name):
        raise PlanError([Problem(path, "rack '%s' has no switch in netstack_switches" % name,
                                 "add its switches (netstack_switch.rack: %s) to the inventory first" % name)])
    problems = []
    fabric = plan_fabric(site, plan, problems)
    before = _fabric_without_rack(inventory_vars, nodes, switches, name, path)
    others = rack_day2.changed_switches(before, fabric["switches"])
    plan["fabric"] = fabric
    wanted = set(rack_day2.rack_switches(plan, name) + others)
    members = rack_day2.rack_nodes(plan, name)
    fabric["switches"] = dict((host, config) for host, config in fabric["switches"].items() if host in wanted)
    fabric["nodes"] = dict((host, view) for host, view in fabric["nodes"].items() if host in members)
    fabric["partial"] = True
    plan["nodes"] = plan_nodes(site, plan, problems, only=members)
    plan["cluster_network"] = plan_cluster_network(site, plan, problems)
    if problems:
        raise PlanError(problems)
    plan["rack_change"] = rack_day2.rack_change(plan, name, others)
    return plan


def _fabric_without_rack(inventory_vars, nodes, switches, name, path):
    """The switches' structured configurations of the site as it was before rack ``name`` (the comparison
    ``build_rack_plan`` makes). The rest of the inventory was validated with the rack; the BGP password variable
    is not looked for again."""
    site, problems, addresses, sessions = _validate_core(*rack_day2.without_rack(inventory_vars, nodes, switches,
                                                                                 name))
    if not problems:
        before = _core_plan(site, addresses, sessions)
        switches_before = plan_fabric(site, before, problems)["switches"]
    if problems:
        raise PlanError([Problem(path, "the site does not plan without rack '%s' (%s: %s): adding it is not a "
                                 "day-2 change" % (name, problems[0].path, problems[0].message),
                                 "plan and apply the whole site with playbooks/site.yml")])
    return switches_before


def render_node_bundle(plan):
    """``{relative path: text}`` of a ``build_node_plan`` plan: the fabric files of the node's switches and, when
    added, the node's own files (``nodes/<node>/``)."""
    change = plan["node_change"]
    return _partial_bundle(plan, [change["name"]] if change["operation"] == "add" else [])


def render_rack_bundle(plan):
    """``{relative path: text}`` of a ``build_rack_plan`` plan: the fabric files of the switches it changes (the
    rack's, and any other the rack changes) and its nodes' own files (``nodes/<node>/``)."""
    return _partial_bundle(plan, [node["name"] for node in plan["rack_change"]["nodes"]])


def _partial_bundle(plan, nodes):
    """The per-switch fabric files of the plan's (partial) fabric and the own files of ``nodes``: nothing that
    describes the whole site (``fabric/sessions.md``, plan.yaml) is written from a partial plan."""
    artefacts = dict((path, text) for path, text in render_fabric(plan).items()
                     if path.startswith("fabric/") and path.count("/") == 1 and path != "fabric/sessions.md")
    if nodes:
        prefixes = tuple("nodes/%s/" % name for name in nodes)
        artefacts.update((path, text) for path, text in render_nodes(plan).items() if path.startswith(prefixes))
    return artefacts


def render_tenant_bundle(plan):
    """``{relative path: text}`` of a ``build_tenant_plan`` plan: the tenant's own file, and the gateway files of
    the tenants whose gateway objects it changes (whole, as ``render_gateway`` writes them)."""
    path, text = tenants_core.render_tenant(plan["tenants"]["tenants"][0])
    artefacts = render_gateway_tenant(plan) if "gateway" in plan else {}
    artefacts[path] = text
    return artefacts


@heap.without_gc
def build_tenant_removal(inventory_vars, nodes, switches, name, cluster_state, force=False, defined_vars=None):
    """Day 2: validate the whole inventory, then decide the removal of tenant ``name`` from ``cluster_state``.

    ``cluster_state``: recorded or live, raw ``k8s_info`` objects or the reduced
    form (``tenant_day2.read_cluster_state``); None before the cluster is read:
    only the refusals the inventory decides (a tenant still in it, the root),
    else ``decided`` false (``tenant_day2.tenant_removal``).  Returns the core plan with
    ``tenant_removal`` (see ``tenant_day2.tenant_removal``); the caller refuses
    when ``allowed`` is false.  ``defined_vars``: as for ``build_plan``.
    """
    site, plan = _validated_core_plan(inventory_vars, nodes, switches, defined_vars)
    state = None if cluster_state is None else tenant_day2.read_cluster_state(cluster_state)
    plan["tenant_removal"] = tenant_day2.tenant_removal(site, name, state, force=force)
    return plan


def render_removal(plan):
    """The removal plan as a bundle file ``tenants/removal-<namespace>.yaml``."""
    removal = plan["tenant_removal"]
    keys = ("tenant", "namespace", "in_inventory", "allowed", "forced", "message", "blockers", "steps")
    return {removal["file"]: dump_yaml(dict((k, removal[k]) for k in keys if k in removal))}
