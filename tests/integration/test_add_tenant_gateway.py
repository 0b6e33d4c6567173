# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""add_tenant.yml brings a new tenant to the state site.yml would, on a real API server (issue #16).

The example inventory is applied whole (tenants.yml, gateway.yml); then two tenants join the inventory, a gateway
tenant ``carol`` (its own apex outside root's) and ``qa``, a sub-tenant of the gateway tenant ``alice``, and
add_tenant.yml runs for each. Afterwards the full playbooks in check mode (tenants.yml, gateway.yml) find nothing
to change, the live objects equal the full bundle's, and every other object kept its resourceVersion except those
the new tenants change (alice's Gateway and certificate, the attached namespaces' labels).

The module runs its own API server (the kit's ``up``, ports picked free) so the tenant tree it writes never meets
the other modules'; with ``NETSTACK_TEST_KUBECONFIG`` it uses that cluster and deletes what it created.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import subprocess
import tempfile

import pytest

from conftest import KIT, KubeApi, _unavailable
from test_tenants_gateway_api import (
    TENANT_NAMESPACES, WATCHED, _bundle_objects, _clean_up, _contains, _dynamic, _gone, _install_crds, _live, _play,
    _write_inventory)

NEW_NAMESPACES = ["tenant-carol", "tenant-alice-qa"]
ATTACHED = ("cozy-dashboard", "cozy-cert-manager")


@pytest.fixture(scope="module")
def own_api():
    given = os.environ.get("NETSTACK_TEST_KUBECONFIG")
    if given:
        yield KubeApi(os.path.abspath(given))
        return
    up, down = os.path.join(KIT, "up"), os.path.join(KIT, "down")
    if not os.access(up, os.X_OK):
        _unavailable("no NETSTACK_TEST_KUBECONFIG and no %s" % up)
    state = tempfile.mkdtemp(prefix="netstack-kube-api-")
    result = subprocess.run([up, state], stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                            check=False)
    try:
        if result.returncode != 0:
            (_unavailable if result.returncode == 2 else pytest.fail)(
                "%s failed (rc=%d): %s" % (up, result.returncode, result.stderr.strip()[-2000:]))
        yield KubeApi(result.stdout.strip().splitlines()[-1], state_dir=state)
    finally:
        subprocess.run([down, state, "--purge"], check=False)
        shutil.rmtree(state, ignore_errors=True)


def _with_new_tenants(tenants):
    tenants["carol"] = {"parent": "root", "gateway": True, "host": "carol.example.net",
                        "gateway_hostnames": ["www.carol.example.net"]}
    tenants["qa"] = {"parent": "alice"}


def _versions(dyn):
    """{(kind, namespace, name): resourceVersion} of every watched object."""
    result = {}
    for api_version, kind in WATCHED:
        for item in dyn.resources.get(api_version=api_version, kind=kind).get().to_dict()["items"]:
            metadata = item["metadata"]
            result[(kind, metadata.get("namespace"), metadata["name"])] = metadata["resourceVersion"]
    return result


@pytest.fixture(scope="module")
def day2(own_api, tmp_path_factory):
    dyn = _dynamic(own_api.api_client())
    installed = _install_crds(dyn)
    namespaces = dyn.resources.get(api_version="v1", kind="Namespace")
    created = []
    for name in ATTACHED:
        if _gone(dyn, "v1", "Namespace", name):
            namespaces.create(body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
            created.append(name)
    tmp = tmp_path_factory.mktemp("add-tenant-gateway")
    bundle = tmp / "bundle"
    inventory = _write_inventory(tmp / "inventory", own_api.kubeconfig, bundle)
    site = [_play(playbook, inventory) for playbook in ("tenants.yml", "gateway.yml")]
    baseline = _play("gateway.yml", inventory, "--check", "--diff")
    grown = _write_inventory(tmp / "inventory-grown", own_api.kubeconfig, bundle, _with_new_tenants)
    before = _versions(dyn)
    runs = dict((name, _play("add_tenant.yml", grown, "-e", "tenant=" + name)) for name in ("carol", "qa"))
    after = _versions(dyn)
    checks = dict((playbook, _play(playbook, grown, "--check", "--diff"))
                  for playbook in ("tenants.yml", "gateway.yml"))
    full_bundle = tmp / "full-bundle"
    full = _write_inventory(tmp / "inventory-full", own_api.kubeconfig, full_bundle, _with_new_tenants)
    render = _play("gateway.yml", full, "-e", "netstack_mode=render")
    yield {"dyn": dyn, "site": site, "baseline": baseline, "runs": runs, "before": before, "after": after,
           "checks": checks, "bundle": bundle, "full_bundle": full_bundle, "render": render}
    if not own_api.managed:
        _clean_up(dyn, created + TENANT_NAMESPACES + NEW_NAMESPACES, installed)


def test_add_tenant_applies_the_gateway_objects(day2):
    carol_output = day2["runs"]["carol"][1]
    report = carol_output[carol_output.index("TASK [netstack.baremetal.gateway : Report the change by batch]"):]
    assert re.search(r"^\s+name: tenant$", report, re.M), carol_output[-4000:]
    assert "- Gateway tenant-carol/cozystack" in report
    dyn = day2["dyn"]
    for kind, api_version, name in (("Gateway", "gateway.networking.k8s.io/v1", "cozystack"),
                                    ("Issuer", "cert-manager.io/v1", "cozystack-gateway"),
                                    ("Certificate", "cert-manager.io/v1", "cozystack-gateway-tls"),
                                    ("HTTPRoute", "gateway.networking.k8s.io/v1", "cozystack-http-redirect")):
        assert not _gone(dyn, api_version, kind, name, "tenant-carol"), kind
    alice = _live(dyn, {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                        "metadata": {"name": "cozystack", "namespace": "tenant-alice"}})
    assert "*.qa.alice.example.org" in [l.get("hostname") for l in alice["spec"]["listeners"]]
    qa = _live(dyn, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tenant-alice-qa"}})
    assert qa["metadata"]["labels"]["gateway.netstack.baremetal/tenant-alice"] == "true"


def _changed_tasks(output):
    """Names of the tasks that reported ``changed`` (the default callback's ``TASK [...]`` headers)."""
    changed, task = [], None
    for line in output.splitlines():
        if line.startswith("TASK ["):
            task = line[len("TASK ["):line.rindex("]")]
        elif line.startswith("changed:") and task not in changed:
            changed.append(task)
    return changed


def test_full_playbooks_find_nothing_left_to_do(day2):
    """tenants.yml and gateway.yml in check mode change nothing on the server; only their bundle reports
    (plan.yaml, reachability.md, gateway/report.md), which add_tenant.yml leaves to them, would be rewritten."""
    # what gateway.yml --check reports right after the whole site was applied (nothing added yet) is its baseline
    baseline = set(_changed_tasks(day2["baseline"][1]))
    # and that baseline is the bundle write only: a batch whose objects differ from the live ones in managedFields
    # alone (the policy type checker wrote status) is no change in check mode either
    assert [t for t in baseline if "compute the plan and write" not in t] == [], day2["baseline"][1][-6000:]
    for playbook, (recap, output) in day2["checks"].items():
        assert recap["failed"] == 0, output[-6000:]
        changed = [t for t in _changed_tasks(output) if "compute the plan and write" not in t and t not in baseline]
        assert changed == [], (playbook, changed, output[-6000:])


def test_live_objects_equal_the_full_bundle(day2):
    """The bundle add_tenant.yml wrote equals a full render's for its files, and the server holds every object of
    the full render (both areas) for the tenants and the Gateways it touched."""
    dyn = day2["dyn"]
    names = ["tenant-carol.yaml", "tenant-alice-qa.yaml", "tenant-alice.yaml", "tenant-root.yaml"]
    for name in names:
        with open(str(day2["bundle"] / "gateway" / name)) as mine, \
                open(str(day2["full_bundle"] / "gateway" / name)) as full:
            assert mine.read() == full.read(), name
    planned = _bundle_objects(day2["full_bundle"], "gateway", names + ["attached-namespaces.yaml"])
    problems = []
    for obj in planned:
        if obj["kind"] == "Namespace" and _gone(dyn, "v1", "Namespace", obj["metadata"]["name"]):
            continue
        problems += ["%s %s: %s" % (obj["kind"], obj["metadata"]["name"], p) for p in _contains(_live(dyn, obj), obj)]
    assert not problems, "\n".join(problems[:20])


def test_nothing_else_was_touched(day2):
    before, after = day2["before"], day2["after"]
    moved = sorted(key for key in before if after.get(key) != before[key])
    assert moved == sorted([
        ("Certificate", "tenant-alice", "cozystack-gateway-tls"), ("Gateway", "tenant-alice", "cozystack"),
        ("Namespace", None, "cozy-cert-manager"), ("Namespace", None, "cozy-dashboard"),
        ("Namespace", None, "default")]), moved       # the attached namespaces that exist: a label for carol's Gateway
    new = sorted(key for key in after if key not in before)
    assert new and all((key[1] or key[2]) in NEW_NAMESPACES or key[2].startswith(tuple(NEW_NAMESPACES))
                       for key in new), new
