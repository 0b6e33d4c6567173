#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cluster_network_preflight
short_description: Check that helm and every chart and manifest source of the cluster network are there
version_added: 0.1.0
description:
  - Run on the controller before the cluster network is applied. Checks, for the releases to apply, that the
    C(helm) binary runs and is helm 3 (kubernetes.core 6.x does not work with helm 4), that each local chart
    (directory with C(Chart.yaml) or packaged C(.tgz)) and each local manifest (file, or directory of
    C(.yaml)/C(.yml)/C(.json) files) exists, that each HTTP(S) chart repository serves C(index.yaml), that each
    OCI chart can be read with C(helm show chart), and that each manifest URL answers (a copy already in
    O(download_dir) counts as present).
  - Fails once, listing everything that is missing, so nothing is changed on the cluster before every source
    is known to be there. Changes nothing itself.
options:
  releases:
    description: The releases of the plan (C(netstack_plan.cluster_network.releases)).
    type: list
    elements: dict
    required: true
  selected:
    description: Check only these releases (by name); empty checks all.
    type: list
    elements: str
    default: []
  helm_binary:
    description: Path of the helm binary; empty looks C(helm) up in C(PATH).
    type: str
    default: ""
  download_dir:
    description: Where manifest downloads are cached on the controller.
    type: path
  timeout:
    description: Seconds to wait for each HTTP(S) source or OCI registry.
    type: int
    default: 15
  validate_certs:
    description: Verify TLS certificates of HTTP(S) sources.
    type: bool
    default: true
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
author:
  - netstack.baremetal contributors (@netstack)
"""

EXAMPLES = r"""
- name: Check helm and every chart and manifest source before changing anything
  netstack.baremetal.cluster_network_preflight:
    releases: "{{ netstack_plan.cluster_network.releases }}"
    helm_binary: /opt/helm/bin/helm
    download_dir: "{{ netstack_plan.bundle_dir }}/cluster_network/downloads"
"""

RETURN = r"""
sources:
  description: Every source checked, in install order.
  returned: always
  type: list
  elements: dict
  sample: [{"release": "cilium", "type": "chart_path", "location": "/srv/charts/cilium-1.19.5.tgz"}]
missing:
  description: One line per missing or unreachable source (empty when everything is there).
  returned: always
  type: list
  elements: str
  sample: ["gateway-api-crds: manifest https://files.example/gateway-api.yaml unreachable (HTTP Error 404)"]
helm_version:
  description: The version the helm binary reports, when a Helm release is selected and helm runs.
  returned: when a Helm release is selected
  type: str
  sample: v3.17.2
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

from ansible_collections.netstack.baremetal.plugins.module_utils import cluster_network_preflight as preflight


class Probe(object):
    """The I/O behind the checks: runs helm, opens URLs."""

    def __init__(self, module):
        self.module = module
        self.timeout = module.params["timeout"]
        self.validate_certs = module.params["validate_certs"]
        self.helm_binary = module.params["helm_binary"] or module.get_bin_path("helm")
        self.version = None

    def helm_version(self):
        if not self.helm_binary:
            return None, "not found in PATH (install helm 3 or set cluster_network_helm_binary)"
        if not (os.path.isfile(self.helm_binary) and os.access(self.helm_binary, os.X_OK)):
            return None, "%s does not exist or is not executable" % self.helm_binary
        rc, out, err = self.module.run_command([self.helm_binary, "version", "--template", "{{.Version}}"])
        if rc != 0:
            return None, "%s does not run: %s" % (self.helm_binary, (err or out).strip() or "rc=%d" % rc)
        self.version = out.strip()
        return self.version, None

    def http_problem(self, url):
        try:
            response = open_url(url, method="GET", timeout=self.timeout, validate_certs=self.validate_certs,
                                follow_redirects="all")
            response.read(1)
            response.close()
        except Exception as exc:  # pylint: disable=broad-except  # every failure is "unreachable", with its text
            return str(exc) or exc.__class__.__name__
        return None

    def oci_problem(self, ref, version):
        argv = [self.helm_binary, "show", "chart", ref]
        if version:
            argv += ["--version", version]
        rc, out, err = self.module.run_command(argv)
        return None if rc == 0 else ((err or out).strip().splitlines() or ["rc=%d" % rc])[-1]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            releases=dict(type="list", elements="dict", required=True),
            selected=dict(type="list", elements="str", default=[]),
            helm_binary=dict(type="str", default=""),
            download_dir=dict(type="path"),
            timeout=dict(type="int", default=15),
            validate_certs=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    needed = preflight.sources(module.params["releases"], module.params["selected"], module.params["download_dir"])
    probe = Probe(module)
    problems = preflight.missing(needed, probe)
    result = dict(changed=False, sources=needed, missing=problems)
    if probe.version:
        result["helm_version"] = probe.version
    if problems:
        module.fail_json(msg=preflight.message(problems), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
