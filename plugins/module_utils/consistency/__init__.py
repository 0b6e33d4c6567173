# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan-time checks that two parts of the stack, rendered by different areas, agree.

Each area renders its own artefacts from the plan and is tested on its own;
these checks read the artefacts back *as rendered*, in each consumer's own
vocabulary, and compare the two ends, the way ``bgp.check_consistency``
compares both ends of every BGP session:

* ``links``: both ends of every cabled node port, the switch side read from
  each platform's renderer output (resource-module arguments, CLI blocks,
  ifupdown2 text) and the node side from the Talos documents or the kubeadm
  networkd/netplan files: untagged and tagged VLANs, MTU, bond and LAG;
* ``labels``: the labels the nodes will carry (what the node OS, the kubelet
  and our own bootstrap set) against every node selector in the rendered Helm
  values and load-balancer objects.

``check_plan(plan)`` runs what the plan has the areas for and returns
Problems (``problems.Problem``) naming both ends.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netstack.baremetal.plugins.module_utils.consistency import labels, links


def check_plan(plan):
    """Every consistency problem of a computed plan (areas it lacks are skipped)."""
    problems = []
    if "fabric" in plan and links.has_node_configs(plan):
        problems.extend(links.check_links(plan))
    if "cluster_network" in plan and links.has_node_configs(plan):
        problems.extend(labels.check_labels(plan))
    return problems
