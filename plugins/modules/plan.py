#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: plan
short_description: Validate the inventory, compute the network plan and write the bundle
version_added: 0.1.0
description:
  - Runs on the controller (it is an action plugin). It reads the whole inventory from C(hostvars)
    (the C(netstack_*) group variables, every host of the C(netstack_control_plane), C(netstack_workers)
    and C(netstack_switches) groups), validates it against the collection's schema and cross-field rules,
    and computes the plan (addresses, BGP sessions, tenants, values and manifests).
  - When anything is wrong it fails with B(every) problem, each naming its inventory path, and nothing else
    runs.
  - It writes the requested bundle sections into O(bundle_dir), touching only files whose content changed,
    so a second run reports no change. Check mode reports what would change without writing; C(--diff)
    shows the changes.
  - The plan is returned as the fact C(netstack_plan) for the roles that apply it.
options:
  sections:
    description:
      - Bundle sections to write. C(plan) writes C(plan.yaml), C(report.md) and C(report.html).
      - Other sections are added by the fabric, cluster networking, nodes, tenants and gateway parts.
    type: list
    elements: str
    default: [plan]
  bundle_dir:
    description:
      - Directory of the bundle. Default is C(netstack_bundle_dir), else C(build/<cluster name>) in the current
        directory (where C(ansible-playbook) runs), so an installed collection never writes into itself.
      - A relative path is taken from the current directory.
    type: path
  write_bundle:
    description: Whether to write the bundle at all (C(false) only computes the plan).
    type: bool
    default: true
  profile:
    description: Return the time spent collecting, planning and writing, in seconds, as RV(timings).
    type: bool
    default: false
  tenant:
    description:
      - Day 2, one tenant (C(playbooks/add_tenant.yml)). The whole inventory is still validated, but only this
        tenant of C(netstack_tenants) is planned (from its ancestor chain; no other tenant, no other area) and
        only its file C(tenants/<namespace>.yaml) is written; O(sections) is ignored, so C(plan.yaml) and the
        reachability matrix keep the last full run's content.
      - The fact C(netstack_plan) then holds the core plan and a C(tenants) section with this tenant only
        (C(partial=true)); C(netstack_tenant) holds its name, namespace, objects and ordered apply steps.
      - Fails naming the problem (with a did-you-mean) when the tenant is empty or not in the inventory.
      - With O(remove), the tenant to remove (C(playbooks/remove_tenant.yml)), as a tenant name or a namespace.
    type: str
  node:
    description:
      - Day 2, one node (C(playbooks/add_node.yml), with O(remove) C(playbooks/remove_node.yml)). The whole
        inventory is validated, but only what the node touches is planned and written - the configuration of the
        switches it is (was) cabled to (C(fabric/<switch>.*)), and, added, its own files (C(nodes/<node>/)) and the
        cluster network (for its load-balancer objects). O(sections) is ignored.
      - The fact C(netstack_plan) holds that partial plan (C(fabric.partial=true)), C(netstack_node_change) the
        node's switches, ports, BGP sessions, load-balancer objects, labels and the control planes left
        (docs/nodes.md, "Adding and removing nodes"). A second call of the same run with the same inventory,
        node and operation reuses the fact.
      - Fails naming the problem, with a did-you-mean and the inventory groups, for a missing or unknown node,
        for O(remove) of a node not marked C(netstack_node.state=removed), and for an add of one that is.
    type: str
  rack:
    description:
      - Day 2, one rack (C(playbooks/add_rack.yml)). The whole inventory is validated, then only what the rack
        changes is planned and written - the configuration of its switches and of any other switch whose
        configuration the rack changes (found by planning the fabric with and without the rack and comparing each
        switch's), its nodes' own files (C(nodes/<node>/)) and the cluster network (for its load-balancer objects).
        O(sections) is ignored.
      - The fact C(netstack_plan) holds that partial plan (C(fabric.partial=true)), C(netstack_rack_change) the
        switches to change in rollout order (C(rack_switches), C(other_switches)), each node's change (as for
        O(node)), the rack's load-balancer objects and sessions (docs/nodes.md, "Adding a rack").
      - Fails naming C(netstack_fabric.racks) for a missing or unknown rack (with a did-you-mean), a rack without a
        switch, and a rack the site does not plan without; a rack colliding with another is refused as by
        C(site.yml).
    type: str
  remove:
    description:
      - With O(node), plan the removal of that node (it must be marked C(state=removed) in the inventory).
      - With O(tenant), decide the removal of that tenant from O(cluster_state) instead of planning it.
        Refuses (fails, naming every blocker) while its namespace or a sub-tenant namespace holds pods or
        PersistentVolumeClaims or sub-tenant namespaces exist, unless O(force); always refuses C(tenant-root)
        and a tenant still in C(netstack_tenants) (the inventory is the source of truth, see docs/tenants.md).
      - When allowed, writes C(tenants/removal-<namespace>.yaml) and deletes C(tenants/<namespace>.yaml) from
        the bundle, and sets the fact C(netstack_tenant_removal) (the ordered deletions, children first).
    type: bool
    default: false
  force:
    description: With O(remove), remove despite pods, PVCs and sub-tenants (children first).
    type: bool
    default: false
  cluster_state:
    description:
      - With O(remove), the cluster state the decision is made from. Either raw C(kubernetes.core.k8s_info)
        resources (C(namespaces), C(pods), C(pvcs), each a list of API objects) or the reduced form
        (C(namespaces) mapping each namespace to C(labels), C(pods), C(pvcs)).
      - Omitted, only what the inventory decides is decided, before the cluster is read - a tenant still in
        C(netstack_tenants) and C(tenant-root) are refused; otherwise the task succeeds with C(removal.decided=false),
        writes nothing and sets no fact (C(playbooks/remove_tenant.yml) reads the cluster next).
    type: dict
attributes:
  check_mode:
    description: Reports the files that would change without writing them.
    support: full
  diff_mode:
    description: Shows the content changes of the bundle files.
    support: full
  action:
    description: Runs on the controller as an action plugin.
    support: full
notes:
  - Secrets never enter the plan or the bundle. BGP passwords are carried as the name of the variable
    that holds them.
  - Before writing, the bundle files are searched for the value of every variable an C(x-sensitive) inventory
    property names (C(netstack_fabric.bgp.password_var), the gateway C(dns01.secret_var)s); a hit fails the
    task, naming the file and the variable, and nothing is written. Values shorter than 6 characters are not
    looked for.
  - The secrets directory (RV(secrets_dir)) is where the roles keep what holds cluster credentials (Talos
    machine configs, the fetched kubeconfig). The plan fails when it, or C(netstack_kubeconfig), lies inside
    the bundle, and warns about such files an earlier version left in the bundle.
  - The plan fails, in render and in apply mode and before writing anything, when that variable is not defined
    on the controller and on every switch with BGP sessions; errors never show what C(password_var) holds. It
    warns, with the variable's name only, when the variable is not vault-encrypted.
author:
  - netstack.baremetal contributors (@netstack-baremetal)
"""

EXAMPLES = r"""
- name: Validate the inventory, compute the plan and write the bundle
  netstack.baremetal.plan:
    sections: [plan]
  run_once: true
  delegate_to: localhost

- name: Plan and write one tenant only (day 2)
  netstack.baremetal.plan:
    tenant: dev

- name: Plan and write one new rack only (day 2)
  netstack.baremetal.plan:
    rack: r3

- name: Decide the removal of a tenant from recorded cluster state
  netstack.baremetal.plan:
    tenant: carol
    remove: true
    cluster_state: "{{ lookup('ansible.builtin.file', 'state.yaml') | from_yaml }}"

- name: Only validate (CI for inventories)
  netstack.baremetal.plan:
    write_bundle: false
"""

RETURN = r"""
bundle_dir:
  description: Absolute path of the bundle.
  returned: success
  type: str
  sample: /home/me/netstack/build/lab1
secrets_dir:
  description:
    - Absolute path of the secrets directory, C(netstack_secrets_dir), default RV(bundle_dir) followed by
      C(-secrets). The plan writes nothing there; the nodes roles do in apply mode (mode 0700, a C(.gitignore)
      of C(*), files 0600).
  returned: success
  type: str
  sample: /home/me/netstack/build/lab1-secrets
files:
  description: Bundle files of the requested sections, relative to RV(bundle_dir).
  returned: when the bundle is written
  type: list
  elements: str
  sample: [plan.yaml, report.html, report.md]
changed_files:
  description: The files whose content changed (or would change in check mode).
  returned: when the bundle is written
  type: list
  elements: str
problems:
  description: Every problem found in the inventory, each with its inventory path and a hint.
  returned: failure
  type: list
  elements: dict
  sample:
    - path: netstack_fabric.vlans[1].id
      message: duplicate VLAN id 10 (also netstack_fabric.vlans[0])
      hint: ""
removed_files:
  description: Bundle files deleted by a tenant removal (or that would be, in check mode).
  returned: when O(remove=true) and the bundle is written
  type: list
  elements: str
removal:
  description: The removal decision (also when refused), see C(netstack_tenant_removal).
  returned: when O(remove=true)
  type: dict
blockers:
  description: What blocks a refused removal, each with C(kind), C(namespace) and C(name).
  returned: when a removal is refused
  type: list
  elements: dict
timings:
  description: Seconds spent collecting the inventory, planning and writing the bundle.
  returned: when O(profile=true)
  type: dict
ansible_facts:
  description: Facts set by the module.
  returned: success
  type: complex
  contains:
    netstack_plan:
      description:
        - The whole plan, see docs/architecture.md (with O(tenant), the core plan and that tenant).
        - Without the lists that grow with the tenants (C(tenants.tenants), C(gateway.apply), C(gateway.tenants),
          C(gateway.prune)), each replaced by C(<key>_count); they are in the JSON file C(cache) names, in the run's
          local temporary directory, which the apply actions read (Ansible processes every fact on every task).
      type: dict
      returned: success
    netstack_rack_change:
      description: >-
        The rack planned with O(rack) - C(name), C(rack_switches), C(other_switches), C(switches) (in rollout order),
        C(nodes) (each node's change), C(objects), C(sessions).
      type: dict
      returned: when O(rack) is set
    netstack_tenant:
      description: The tenant planned with O(tenant) - C(name), C(namespace), C(file), C(objects), C(steps), C(batches).
      type: dict
      returned: when O(tenant) is set and O(remove=false)
    netstack_tenant_removal:
      description: >-
        The allowed removal - C(tenant), C(namespace), C(blockers), C(message), C(steps) and C(rounds) (per namespace,
        children first, the Namespace delete then its cluster-wide leftovers).
      type: dict
      returned: when O(remove=true) and the removal is allowed
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(
        sections=dict(type="list", elements="str", default=["plan"]),
        bundle_dir=dict(type="path"),
        write_bundle=dict(type="bool", default=True),
        profile=dict(type="bool", default=False),
        tenant=dict(type="str"),
        node=dict(type="str"),
        rack=dict(type="str"),
        remove=dict(type="bool", default=False),
        force=dict(type="bool", default=False),
        cluster_state=dict(type="dict"),
    ), supports_check_mode=True)
    module.fail_json(msg="netstack.baremetal.plan runs on the controller as an action plugin; "
                         "it cannot run as a module on a remote host.")


if __name__ == "__main__":
    main()
