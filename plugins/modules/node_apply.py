#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: node_apply
short_description: The Kubernetes part of adding or removing one node, or of adding a rack
version_added: 0.3.0
description:
  - Runs on the controller (it is an action plugin). It reads the node's change from the fact
    C(netstack_node_change) that C(netstack.baremetal.plan) with O(netstack.baremetal.plan#module:node) sets (with
    C(add_rack), the fact C(netstack_rack_change) that O(netstack.baremetal.plan#module:rack) sets).
  - C(add) (C(playbooks/add_node.yml)) - server-side applies the load-balancer objects that select the node by host
    name (MetalLB C(BGPPeer)s, Cilium C(CiliumBGPClusterConfig)s in node scope), and, when the Node is registered,
    sets the inventory labels it does not carry yet. Nothing else in the cluster is read or written.
  - C(add_rack) (C(playbooks/add_rack.yml)) - the same for every node of the rack at once - the rack's
    load-balancer objects (selecting its nodes by host name, or the rack by its label) in one batch of server-side
    applies, then the labels of each of its Nodes that is registered.
  - C(remove) (C(playbooks/remove_node.yml)) - refuses, before changing anything, to remove the last control-plane
    node, or one whose removal leaves fewer Ready control planes than an etcd quorum of those left (O(force)
    overrides the quorum check only). Then cordons the Node, evicts its pods through the eviction API (DaemonSet
    and mirror pods are left, as C(kubectl drain --ignore-daemonsets)), waits until they are gone, deletes the
    Node, and deletes the load-balancer objects that select it. A pod whose PodDisruptionBudget refuses the
    eviction stops the removal with the node cordoned, unless O(force) (the pod is then deleted).
  - C(replace) (C(playbooks/replace_node.yml), the node planned as for C(add)) - the same as C(remove) for the old
    Node (refusals, cordon, drain, delete), but its load-balancer objects are kept - the new hardware has the same
    name and addresses, so the same sessions. A Ready Node of that name is taken as the new hardware already joined
    and left alone (a re-run after the join must not delete it), unless O(force).
  - Check mode is a server-side dry run of every write (nothing is waited for); C(--diff) shows each change.
  - Render mode (O(apply=false)) only reports what it would do.
options:
  operation:
    description: C(add), C(add_rack), C(remove) or C(replace).
    type: str
    required: true
    choices: [add, add_rack, remove, replace]
  apply:
    description: Apply to the cluster. Default, true when the plan's mode is C(apply).
    type: bool
  force:
    description:
      - With C(remove) and C(replace), go on when the etcd quorum check refuses, and delete pods whose eviction is
        refused; with C(replace), also delete a Ready Node.
    type: bool
    default: false
  drain_timeout:
    description: With C(remove), seconds to wait for the evicted pods to be gone.
    type: int
    default: 300
  kubeconfig:
    description:
      - Kubeconfig path. Default, the plan's (inventory C(netstack_kubeconfig)); when that is empty,
        C(K8S_AUTH_KUBECONFIG), then C(KUBECONFIG) or C(~/.kube/config).
    type: path
  context:
    description: Kubeconfig context. Default, C(K8S_AUTH_CONTEXT), else the kubeconfig's current context.
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    support: full
    platforms: posix
notes:
  - Needs the C(kubernetes) Python package on the controller (as C(kubernetes.core) does).
author:
  - netstack.baremetal contributors (@netstack)
"""

EXAMPLES = r"""
- name: Cordon, drain and delete the node, then its BGP peers
  netstack.baremetal.node_apply:
    operation: remove
    force: false
"""

RETURN = r"""
steps:
  description: What was done (or, in render mode, would be), in order.
  returned: always
  type: list
  elements: str
decision:
  description: With C(remove), the removal decision (C(allowed), C(forced), C(message), C(control_planes)).
  returned: when removing in apply mode
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(
        operation=dict(type="str", required=True, choices=["add", "add_rack", "remove", "replace"]),
        apply=dict(type="bool"),
        force=dict(type="bool", default=False),
        drain_timeout=dict(type="int", default=300),
        kubeconfig=dict(type="path"),
        context=dict(type="str"),
    ), supports_check_mode=True)
    module.fail_json(msg="netstack.baremetal.node_apply runs on the controller as an action plugin; "
                         "it cannot run as a module on a remote host.")


if __name__ == "__main__":
    main()
