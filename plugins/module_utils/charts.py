# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place where chart versions, image tags and component sources are pinned.

Every component of the cluster network has a default here; the inventory
(``netstack_cluster.components.<name>``) may override any field, which is how an
air-gapped site points at a mirror repository, an OCI registry or a chart on
local disk.  ``resolve_components(overrides)`` returns the merged view the
planner uses; ``chart_reference(component)`` turns it into the three arguments
``kubernetes.core.helm`` takes (``chart_ref``, ``chart_repo_url``,
``chart_version``).

Versions follow the reference snapshot (``cozystack-facts.md``, "Versions"):
Cilium 1.19.5, Kube-OVN v1.15.10, MetalLB 0.16.1, Gateway API v1.5.1
(experimental channel), Multus v4.3.0 (thick plugin), cozy-proxy v0.3.0,
Cozystack's Kilo build and its kubeovn-webhook (the snapshot's release tag).
Images are the upstream ones where the reference only rebuilt them; Kilo,
cozy-proxy and kubeovn-webhook only exist as Cozystack images.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

# Helm charts: installed with kubernetes.core.helm.
HELM_CHARTS = {
    "cilium": {
        "repo": "https://helm.cilium.io/",
        "chart": "cilium",
        "version": "1.19.5",
        "namespace": "cozy-cilium",
        "release": "cilium",
        "timeout": 600,
    },
    "kube_ovn": {
        "repo": "https://kubeovn.github.io/kube-ovn/",
        "chart": "kube-ovn",
        "version": "v1.15.10",
        "namespace": "cozy-kubeovn",
        "release": "kubeovn",
        "timeout": 900,
    },
    "metallb": {
        "repo": "https://metallb.github.io/metallb",
        "chart": "metallb",
        "version": "0.16.1",
        "namespace": "cozy-metallb",
        "release": "metallb",
        "timeout": 600,
    },
}

# Components whose manifests we generate ourselves (no upstream chart we can pin).
MANIFEST_COMPONENTS = {
    "multus": {
        "image": "ghcr.io/k8snetworkplumbingwg/multus-cni:v4.3.0-thick",
        "namespace": "cozy-multus",
        "timeout": 300,
    },
    "cozy_proxy": {
        "image": "ghcr.io/cozystack/cozystack/cozy-proxy:v0.3.0",
        "namespace": "cozy-system",
        "timeout": 300,
    },
    "kilo": {
        "image": "ghcr.io/cozystack/cozystack/kilo:v1.5.0",
        "namespace": "cozy-kilo",
        "timeout": 300,
    },
    # The reference's port-security webhook (packages/system/kubeovn-webhook): only on clusters older than
    # Kubernetes 1.36, where no MutatingAdmissionPolicy can set the annotation (port_security.py).
    "kubeovn_webhook": {
        "image": "ghcr.io/cozystack/cozystack/kubeovn-webhook:v1.6.0",
        "namespace": "cozy-kubeovn",
        "timeout": 300,
    },
}

# A manifest bundle fetched from a URL (or read from local disk) and applied as is.
GATEWAY_API_CRDS = {
    "version": "v1.5.1",
    "channel": "experimental",
    "url": "https://github.com/kubernetes-sigs/gateway-api/releases/download/{version}/{channel}-install.yaml",
    "path": None,
    "checksum": None,
    "timeout": 120,
}

COMPONENT_NAMES = tuple(sorted(HELM_CHARTS)) + tuple(sorted(MANIFEST_COMPONENTS)) + ("gateway_api_crds",)


def resolve_components(overrides):
    """Merge the inventory's ``netstack_cluster.components`` over the pins.

    Returns ``{name: component}``; Helm components get a ``values`` key (the
    user's extra values, deep-merged later by the planner) and a ``chart``
    reference (see ``chart_reference``); the Gateway API CRDs get their final
    ``url``.
    """
    overrides = overrides or {}
    result = {}
    for name, pins in HELM_CHARTS.items():
        component = copy.deepcopy(pins)
        component.update(_user_fields(overrides.get(name)))
        component.setdefault("values", {})
        component["source"] = chart_reference(component)
        result[name] = component
    for name, pins in MANIFEST_COMPONENTS.items():
        component = copy.deepcopy(pins)
        component.update(_user_fields(overrides.get(name)))
        result[name] = component
    crds = copy.deepcopy(GATEWAY_API_CRDS)
    crds.update(_user_fields(overrides.get("gateway_api_crds")))
    crds["url"] = crds["url"].format(version=crds["version"], channel=crds["channel"])
    result["gateway_api_crds"] = crds
    return result


def _user_fields(override):
    """The keys the user set (schema defaults leave the others out)."""
    return copy.deepcopy({k: v for k, v in (override or {}).items() if v is not None})


def chart_reference(component):
    """Where Helm takes a chart from: ``{"type", "chart_ref", "chart_repo_url", "chart_version"}``.

    * ``path`` set: a chart directory or ``.tgz`` on the controller (the version is the file's);
    * ``repo`` starting with ``oci://``: ``<repo>/<chart>`` at ``version``;
    * otherwise an HTTP(S) chart repository (upstream or a mirror) with ``--repo`` and ``--version``.
    """
    if component.get("path"):
        return {"type": "path", "chart_ref": component["path"], "chart_repo_url": None, "chart_version": None}
    repo = component["repo"]
    if repo.startswith("oci://"):
        return {"type": "oci", "chart_ref": "%s/%s" % (repo.rstrip("/"), component["chart"]),
                "chart_repo_url": None, "chart_version": component["version"]}
    return {"type": "repo", "chart_ref": component["chart"], "chart_repo_url": repo,
            "chart_version": component["version"]}
