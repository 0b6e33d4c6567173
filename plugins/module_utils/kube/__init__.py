# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Talking to the Kubernetes API from the controller, in one process: ``client`` (REST calls, discovery, lists,
server-side apply, delete) and ``changes`` (what an apply changed, and its diff). Used by the action plugins that
apply many objects at once, where one ``kubernetes.core`` module run per batch, and the plan passing through Ansible
templating, cost more than the work itself (issue 16)."""
