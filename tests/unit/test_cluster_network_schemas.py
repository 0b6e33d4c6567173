# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every values file against its chart's schema, every manifest against ../shared/schemas, for every variant.

Values schemas describe the *merged* values (chart defaults plus ours), so:

* Cilium (chart 1.20.0 schema; its schema requires nothing, so ours alone is a
  fair input): we validate the values we set as they are, and separately check
  that every key we set is declared by the schema, apart from a short list of
  keys Cilium 1.19 (the version we pin) still has and 1.20 dropped;
* MetalLB (chart 0.16.1 schema; it requires ``controller``/``speaker`` with
  ``image``, ``serviceAccount`` and ``speaker.tolerateMaster``, which the
  chart's defaults fill): we merge our values over a copy of exactly those
  defaults (``METALLB_DEFAULTS_WE_RELY_ON``) and validate the result;
* Kube-OVN publishes no values schema: its values are pinned by the invariant
  tests instead.

Manifests go through ``tests/unit/k8s_schema.py`` (CRDs from ../shared/schemas with
unknown fields rejected, core kinds with kubernetes-validate's strict schemas).
The Gateway API CRDs are applied as published, not generated, so nothing to check.
"""
from __future__ import absolute_import, division, print_function

import functools
import json

import jsonschema
import pytest
import yaml

import k8s_schema
from test_cluster_network_fixtures import (ALLOWED, BOTH_LB, build, declared_in_schema, helm_schema, release,
                                           render, set_paths)

from ansible_collections.netstack.baremetal.plugins.module_utils.helm_values import deep_merge

# Keys of Cilium 1.19 (the pinned chart, and the reference's values.yaml) absent from the 1.20 schema we have.
CILIUM_1_19_ONLY = {("externalIPs", "enabled"), ("nodePort", "enabled"), ("loadBalancer", "algorithm"),
                    ("enableIdentityMark",)}
# The MetalLB 0.16.1 chart defaults the schema requires (values.yaml of the chart).
METALLB_DEFAULTS_WE_RELY_ON = {
    "controller": {"image": {"repository": "quay.io/metallb/controller", "tag": None, "pullPolicy": None},
                   "serviceAccount": {"create": True, "name": ""}},
    "speaker": {"image": {"repository": "quay.io/metallb/speaker", "tag": None, "pullPolicy": None},
                "serviceAccount": {"create": True, "name": ""}, "tolerateMaster": True},
}
ALL_CASES = [(node_os, variant, impl, mode) for node_os, variant in ALLOWED for impl, mode in BOTH_LB
             if not (variant == "noop" and impl == "cilium")]


def _case_id(case):
    return "-".join(case)


@functools.lru_cache(maxsize=None)
def _validate(text):
    """Validate one manifest (as canonical JSON): the variants share most objects."""
    return k8s_schema.validate_manifest(json.loads(text))


@pytest.mark.parametrize("case", ALL_CASES, ids=_case_id)
def test_every_manifest_is_valid_with_unknown_fields_rejected(case):
    node_os, variant, implementation, mode = case
    files = render(build(node_os, variant, implementation=implementation, mode=mode))
    checked = 0
    for path, text in sorted(files.items()):
        if "/manifests/" not in path:
            continue
        for obj in yaml.safe_load_all(text):
            errors = _validate(json.dumps(obj, sort_keys=True))
            assert errors == [], "%s %s/%s: %s" % (path, obj["kind"], obj["metadata"]["name"], errors)
            checked += 1
    assert checked >= 10


def test_the_validator_rejects_unknown_fields_in_our_kinds():
    plan = build()
    peer = dict(next(o for o in release(plan, "metallb-config")["objects"] if o["kind"] == "BGPPeer"))
    peer["spec"] = dict(peer["spec"], peerAdress="10.0.0.1")
    assert k8s_schema.validate_manifest(peer)
    multus = next(o for o in release(plan, "multus")["objects"] if o["kind"] == "DaemonSet")
    broken = yaml.safe_load(yaml.safe_dump(multus))
    broken["spec"]["template"]["spec"]["hostNetwrok"] = True
    assert k8s_schema.validate_manifest(broken)


@pytest.mark.parametrize("case", ALL_CASES, ids=_case_id)
def test_cilium_values_match_the_chart_schema(case):
    node_os, variant, implementation, mode = case
    rel = release(build(node_os, variant, implementation=implementation, mode=mode), "cilium")
    if rel is None:
        assert variant == "noop"
        return
    schema = helm_schema("cilium")
    values = yaml.safe_load(render(build(node_os, variant, implementation=implementation, mode=mode))
                            ["cluster_network/values/cilium.yaml"])
    errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(values)]
    assert errors == []
    undeclared = [p for p in set_paths(values) if not declared_in_schema(schema, p) and p not in CILIUM_1_19_ONLY]
    assert undeclared == []


def test_the_cilium_schema_check_catches_a_wrong_type_and_a_typo():
    schema = helm_schema("cilium")
    values = dict(release(build(), "cilium")["values"])
    assert list(jsonschema.Draft7Validator(schema).iter_errors(dict(values, kubeProxyReplacement=[1])))
    assert not declared_in_schema(schema, ("hostFirewal", "enabled"))
    assert not declared_in_schema(schema, ("cni", "chainingMod"))


@pytest.mark.parametrize("case", [c for c in ALL_CASES if c[2] == "metallb"], ids=_case_id)
def test_metallb_values_match_the_chart_schema(case):
    node_os, variant, implementation, mode = case
    files = render(build(node_os, variant, implementation=implementation, mode=mode))
    if variant == "noop":
        # noop installs no load balancer unless features.load_balancer asks for it
        assert "cluster_network/values/metallb.yaml" not in files
        return
    values = yaml.safe_load(files["cluster_network/values/metallb.yaml"])
    schema = helm_schema("metallb")
    merged = deep_merge(METALLB_DEFAULTS_WE_RELY_ON, values)
    errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(merged)]
    assert errors == []
    # the frr-k8s subchart's values are not in MetalLB's schema (test_cluster_network_reference_values.py)
    undeclared = [p for p in set_paths(values) if not declared_in_schema(schema, p) and p[0] != "frr-k8s"]
    assert undeclared == []


def test_the_metallb_schema_check_is_not_vacuous():
    schema = helm_schema("metallb")
    merged = deep_merge(METALLB_DEFAULTS_WE_RELY_ON, {"speaker": {"tolerateMaster": "yes"}})
    assert list(jsonschema.Draft7Validator(schema).iter_errors(merged))
    assert list(jsonschema.Draft7Validator(schema).iter_errors({"crds": {"enabled": True}}))  # defaults missing
    assert not declared_in_schema(schema, ("speaker", "resource"))
    assert declared_in_schema(schema, ("speaker", "resources", "limits", "memory"))
