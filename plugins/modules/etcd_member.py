#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: etcd_member
short_description: Remove a replaced control plane's old etcd member, through a surviving control plane
version_added: 0.1.0
description:
  - Reads the etcd member list and which members are healthy with the cluster's own tool, C(etcdctl) (kubeadm,
    run on a surviving control plane) or C(talosctl) (Talos, run on the controller), and removes the member whose
    name is O(name) by its member id.
  - Nothing to do when no member has that name (already removed).
  - A member of that name that is healthy is left alone (it is the new hardware already joined, or the old machine
    still running) unless O(force).
  - Refused when the members left would have fewer healthy members than their quorum, unless O(force).
  - The decision is C(etcd_member.removal) of the collection's module_utils (replace_node.yml, docs/nodes.md).
options:
  name:
    description: The member's name, the node's name (case-insensitive).
    type: str
    required: true
  tool:
    description: How etcd is reached.
    type: str
    required: true
    choices: [etcdctl, talosctl]
  command:
    description:
      - The tool and its connection options, without a subcommand.
      - C(etcdctl) with C(--endpoints) and the client certificate options; C(talosctl) with C(--talosconfig) and
        C(--endpoints).
    type: list
    elements: str
    required: true
  nodes:
    description:
      - C(talosctl) only, required there; the surviving control planes' addresses. The member list is read
        from the first, the health (C(etcd status)) from every one.
    type: list
    elements: str
    default: []
  force:
    description: Remove a healthy member of that name, or one whose removal breaks the quorum.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The member list and the health are read in check mode too; only the removal is not done.
  diff_mode:
    support: full
    details: The member list before and after, one member a line (id and name).
  platform:
    support: full
    platforms: posix
author:
  - netstack.baremetal contributors (@netstack)
"""

EXAMPLES = r"""
- name: Remove cp2's old etcd member through this control plane (kubeadm)
  netstack.baremetal.etcd_member:
    name: cp2
    tool: etcdctl
    command: [etcdctl, --endpoints, "https://127.0.0.1:2379", --cacert, /etc/kubernetes/pki/etcd/ca.crt,
              --cert, /etc/kubernetes/pki/apiserver-etcd-client.crt, --key, /etc/kubernetes/pki/apiserver-etcd-client.key]
"""

RETURN = r"""
removed:
  description: The ids of the members removed (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [8e9e05c52164694d]
members:
  description: The member list read before the removal.
  returned: always
  type: list
  elements: dict
healthy:
  description: The names of the other members found healthy.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.netstack.baremetal.plugins.module_utils import etcd_member


def main():
    module = AnsibleModule(
        argument_spec={"name": {"type": "str", "required": True},
                       "tool": {"type": "str", "required": True, "choices": ["etcdctl", "talosctl"]},
                       "command": {"type": "list", "elements": "str", "required": True},
                       "nodes": {"type": "list", "elements": "str", "default": []},
                       "force": {"type": "bool", "default": False}},
        required_if=[("tool", "talosctl", ("nodes",))],
        supports_check_mode=True,
    )
    params = module.params
    command = list(params["command"])

    def run(args, fail=True):
        rc, out, err = module.run_command(command + args)
        if rc != 0 and fail:
            module.fail_json(msg="%s failed (rc %d): %s" % (" ".join(command[:1] + args), rc, (err or out).strip()))
        return out

    if params["tool"] == "etcdctl":
        members = etcd_member.etcdctl_members(run(["member", "list", "-w", "json"]))
        # exits 1 when a member is unhealthy (the old one is): what it printed is what counts
        healthy = etcd_member.etcdctl_healthy(members, run(["endpoint", "health", "--cluster", "-w", "json"], False))
        remove = ["member", "remove"]
    else:
        members = etcd_member.talos_members(run(["--nodes", params["nodes"][0], "etcd", "members"]))
        healthy = etcd_member.talos_healthy(run(["--nodes", ",".join(params["nodes"]), "etcd", "status"], False))
        remove = ["--nodes", params["nodes"][0], "etcd", "remove-member"]
    outcome = etcd_member.removal(params["name"], members, healthy, force=params["force"])
    result = {"changed": bool(outcome["remove"]), "removed": outcome["remove"], "members": members,
              "healthy": outcome["healthy"], "msg": outcome["message"]}
    if outcome["remove"]:
        listed = ["%s %s\n" % (m["id"], m["name"]) for m in members]
        result["diff"] = {"before_header": "etcd members", "after_header": "etcd members", "before": "".join(listed),
                          "after": "".join(line for line in listed if line.split()[0] not in outcome["remove"])}
    if not outcome["allowed"]:
        module.fail_json(**result)
    if not module.check_mode:
        for member_id in outcome["remove"]:
            run(remove + [member_id])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
