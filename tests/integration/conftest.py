# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared fixtures for tests against a real Kubernetes API server (``make integration``).

``kube_api`` (session scope) gives an object with ``.kubeconfig`` (a path), found in this order:

1. ``NETSTACK_TEST_KUBECONFIG``: any real cluster (kind, k3s, a lab); nothing is started or stopped.
2. ``../shared/kube-api/up`` beside the clone (resolved from the repository root's parent, as in CI):
   a real kube-apiserver + kube-controller-manager on loopback in a temporary state directory, stopped
   with ``down --purge`` at the end of the session. Pods stay Pending there (no kubelet).
3. Otherwise the tests that use it are skipped, with a message that says why.

Set ``NETSTACK_TEST_REQUIRE_KUBE_API=1`` (CI) to turn that skip into a failure.

``playbook_run`` (``run_playbook``/``recap``/``host_overrides``) lives in tests/unit; it is put on
``sys.path`` here so both test trees run playbooks the same way.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess
import sys
import tempfile

import pytest

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KIT = os.path.join(os.path.dirname(REPO_ROOT), "shared", "kube-api")
UNIT_DIR = os.path.join(REPO_ROOT, "tests", "unit")
COLLECTIONS_DIR = os.path.join(REPO_ROOT, "build", "collections")
LINK = os.path.join(COLLECTIONS_DIR, "ansible_collections", "netstack", "baremetal")

if UNIT_DIR not in sys.path:
    sys.path.append(UNIT_DIR)


def _ensure_collection_link():
    """build/collections/ansible_collections/netstack/baremetal -> repo root (as `make collection-link`)."""
    if os.path.realpath(LINK) == os.path.realpath(REPO_ROOT):
        return
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    if os.path.lexists(LINK):
        os.remove(LINK)
    try:
        os.symlink(os.path.join("..", "..", "..", ".."), LINK)
    except FileExistsError:  # another pytest process created it meanwhile
        pass


_ensure_collection_link()
if COLLECTIONS_DIR not in sys.path:
    sys.path.insert(0, COLLECTIONS_DIR)


class KubeApi(object):
    """A reachable Kubernetes API server: ``.kubeconfig`` (path); ``.managed`` when this session started it."""

    def __init__(self, kubeconfig, state_dir=None):
        self.kubeconfig = kubeconfig
        self.state_dir = state_dir
        self.managed = state_dir is not None

    def api_client(self):
        """A ``kubernetes.client.ApiClient`` for this server (the Python client, no kubectl needed)."""
        from kubernetes import config  # pylint: disable=import-outside-toplevel
        return config.new_client_from_config(config_file=self.kubeconfig)

    def kubernetes_version(self):
        """The server's version as ``netstack_cluster.kubernetes_version`` spells it (``1.36.2``)."""
        return server_version(self.kubeconfig)

    def __repr__(self):
        return "KubeApi(kubeconfig=%r, managed=%r)" % (self.kubeconfig, self.managed)


def server_version(kubeconfig):
    """``x.y.z`` of the API server behind ``kubeconfig`` (a vendor suffix such as ``+k3s1`` dropped), so that an
    inventory written for a test describes the cluster it runs against."""
    from kubernetes import client, config  # pylint: disable=import-outside-toplevel
    info = client.VersionApi(config.new_client_from_config(config_file=kubeconfig)).get_code()
    return info.git_version.lstrip("v").split("+")[0].split("-")[0]


def _unavailable(reason):
    if os.environ.get("NETSTACK_TEST_REQUIRE_KUBE_API") == "1":
        pytest.fail("kube_api: %s (NETSTACK_TEST_REQUIRE_KUBE_API=1)" % reason)
    pytest.skip("kube_api: %s" % reason)


@pytest.fixture(scope="session")
def kube_api():
    """A real Kubernetes API server for the whole session (see the module docstring)."""
    given = os.environ.get("NETSTACK_TEST_KUBECONFIG")
    if given:
        if not os.path.isfile(given):
            pytest.fail("NETSTACK_TEST_KUBECONFIG=%s: no such file" % given)
        yield KubeApi(os.path.abspath(given))
        return
    up, down = os.path.join(KIT, "up"), os.path.join(KIT, "down")
    if not os.access(up, os.X_OK):
        _unavailable("no NETSTACK_TEST_KUBECONFIG and no %s (the test API server kit beside the clone); "
                     "set NETSTACK_TEST_KUBECONFIG to a cluster's kubeconfig to run these tests" % up)
    state = tempfile.mkdtemp(prefix="netstack-kube-api-")
    result = subprocess.run([up, state], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, check=False)
    if result.returncode != 0:
        subprocess.run([down, state, "--purge"], check=False)
        shutil.rmtree(state, ignore_errors=True)
        reason = "%s failed (rc=%d): %s" % (up, result.returncode, result.stderr.strip()[-2000:])
        if result.returncode == 2:  # the kit's "missing etcd/openssl/curl/zstd": a machine without them
            _unavailable(reason)
        pytest.fail(reason)
    kubeconfig = result.stdout.strip().splitlines()[-1]
    try:
        yield KubeApi(kubeconfig, state_dir=state)
    finally:
        subprocess.run([down, state, "--purge"], check=False)
