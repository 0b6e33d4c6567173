# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small Kubernetes REST client: discovery, list, get, server-side apply, delete.

``Cluster(request)`` takes a transport ``request(method, path, query, body, content_type) -> (status, bytes)``;
``connect(kubeconfig, context)`` builds one from a kubeconfig with the ``kubernetes`` package (its loader handles
client certificates, tokens and exec plugins; its urllib3 pool is thread-safe). Objects are plain dicts, answers
are parsed with ``json`` only: no model classes, which is most of what ``kubernetes.dynamic`` costs on large lists.

No Ansible imports.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import threading
import time

try:
    from urllib.parse import quote, urlencode
except ImportError:  # pragma: no cover - Python 2 is not supported by the collection
    from urllib import quote, urlencode

APPLY_PATCH = "application/apply-patch+yaml"    # JSON is YAML: the body is sent as JSON
LIST_PAGE = 500
# Answers worth one more try: throttled, the server busy, and a namespace created a moment ago that the
# NamespaceLifecycle admission of another API server replica has not seen yet.
RETRIED = (429, 500, 503, 504)
RETRIES = 5


class KubeError(Exception):
    """An API answer that is not a success: ``status`` (HTTP), ``reason`` and the server's ``message``."""

    def __init__(self, status, reason, message, what=""):
        self.status, self.reason, self.message, self.what = status, reason, message, what
        super(KubeError, self).__init__("%s%s (HTTP %s %s)" % ((what + ": ") if what else "", message, status, reason))


def object_ref(obj):
    """``Kind namespace/name`` (``Kind name`` when cluster-scoped): how an object is named in messages and diffs."""
    metadata = obj.get("metadata") or {}
    name = metadata.get("name", "?")
    if metadata.get("namespace"):
        name = "%s/%s" % (metadata["namespace"], name)
    return "%s %s" % (obj.get("kind"), name)


def object_key(obj):
    """``(group, kind, namespace, name)``: the identity of an object whatever version it was read or written in."""
    metadata = obj.get("metadata") or {}
    group = obj.get("apiVersion", "").rpartition("/")[0]
    return (group, obj.get("kind"), metadata.get("namespace") or "", metadata.get("name"))


class Cluster(object):
    """One API server. Thread-safe: discovery is cached under a lock, the transport must be thread-safe."""

    def __init__(self, request, sleep=time.sleep):
        self._request = request
        self._sleep = sleep
        self._resources = {}
        self._lock = threading.Lock()

    # --- transport -----------------------------------------------------------------------------------------

    def call(self, method, path, query=None, body=None, content_type="application/json", what=""):
        """The parsed JSON answer; ``KubeError`` on a failure (retried a few times when worth it)."""
        for attempt in range(RETRIES):
            status, data = self._request(method, path, query or [], body, content_type)
            if status < 400:
                return json.loads(data) if data else {}
            if status not in RETRIED or attempt == RETRIES - 1:
                raise _error(status, data, what)
            self._sleep(0.2 * (attempt + 1))
        raise AssertionError("not reached")

    # --- discovery -----------------------------------------------------------------------------------------

    def resource(self, api_version, kind):
        """``(plural, namespaced)`` of ``kind`` in ``api_version``; one discovery call per group version."""
        with self._lock:
            if api_version not in self._resources:
                base = "/api/v1" if api_version == "v1" else "/apis/%s" % api_version
                try:
                    listing = self.call("GET", base, what="discovery of %s" % api_version)
                except KubeError as exc:
                    if exc.status == 404:
                        raise KubeError(404, "NotFound", "the API server does not serve %s (is its CRD installed?)"
                                        % api_version, kind)
                    raise
                self._resources[api_version] = {
                    r["kind"]: (r["name"], r.get("namespaced", False))
                    for r in listing.get("resources", []) if "/" not in r["name"]}
            found = self._resources[api_version].get(kind)
        if found is None:
            raise KubeError(404, "NotFound", "the API server serves no kind %s in %s (is its CRD installed?)"
                            % (kind, api_version), kind)
        return found

    def path(self, api_version, kind, namespace=None, name=None):
        plural, namespaced = self.resource(api_version, kind)
        base = "/api/v1" if api_version == "v1" else "/apis/%s" % api_version
        if namespaced and namespace:
            base += "/namespaces/%s" % quote(namespace, safe="")
        base += "/" + plural
        if name:
            base += "/" + quote(name, safe="")
        return base

    def namespaced(self, api_version, kind):
        return self.resource(api_version, kind)[1]

    # --- reads ---------------------------------------------------------------------------------------------

    def list(self, api_version, kind, namespace=None, label_selector=None, field_selector=None, cached=False):
        """Every object of ``kind`` (in ``namespace``, or all), as dicts with ``apiVersion`` and ``kind`` set.

        ``cached``: from the API server's watch cache (``resourceVersion=0``, possibly a few milliseconds old)
        instead of a consistent read, which a server without a consistent cache serves from etcd: every object of
        the kind read and decoded to return the few a label selects (0.8 s for 10,000 policies, against 0.02 s).
        For reads that decide what to send: a server-side apply of an object that is already as planned changes
        nothing, and a change made during those milliseconds is found by the next run."""
        query = [("resourceVersion", "0")] if cached else []
        if label_selector:
            query.append(("labelSelector", ",".join(label_selector) if isinstance(label_selector, (list, tuple))
                          else label_selector))
        if field_selector:
            query.append(("fieldSelector", ",".join(field_selector) if isinstance(field_selector, (list, tuple))
                          else field_selector))
        path = self.path(api_version, kind, namespace)
        items, token = [], None
        while True:
            # a continued page names no version (the server refuses both): the token carries it
            page = ([q for q in query if q[0] != "resourceVersion"] + [("continue", token)] if token else query) \
                + [("limit", str(LIST_PAGE))]
            answer = self.call("GET", path, page, what="list %s" % kind)
            for item in answer.get("items") or []:
                item["apiVersion"], item["kind"] = api_version, kind
                items.append(item)
            token = (answer.get("metadata") or {}).get("continue")
            if not token:
                return items

    def get(self, obj):
        """The live object, or None when it does not exist."""
        metadata = obj["metadata"]
        try:
            return self.call("GET", self.path(obj["apiVersion"], obj["kind"], metadata.get("namespace"),
                                              metadata["name"]), what=object_ref(obj))
        except KubeError as exc:
            if exc.status == 404:
                return None
            raise

    # --- writes --------------------------------------------------------------------------------------------

    def apply(self, obj, field_manager, force=True, dry_run=False):
        """Server-side apply of ``obj``; the object the server holds (or would hold, ``dry_run``) afterwards."""
        metadata = obj["metadata"]
        query = [("fieldManager", field_manager)] + ([("force", "true")] if force else []) \
            + ([("dryRun", "All")] if dry_run else [])
        return self.call("PATCH", self.path(obj["apiVersion"], obj["kind"], metadata.get("namespace"),
                                            metadata["name"]), query, obj, APPLY_PATCH, what=object_ref(obj))

    def delete(self, obj, dry_run=False):
        """Delete ``obj`` (background propagation); False when it was already gone."""
        metadata = obj["metadata"]
        query = [("propagationPolicy", "Background")] + ([("dryRun", "All")] if dry_run else [])
        try:
            self.call("DELETE", self.path(obj["apiVersion"], obj["kind"], metadata.get("namespace"),
                                          metadata["name"]), query, what=object_ref(obj))
        except KubeError as exc:
            if exc.status == 404:
                return False
            raise
        return True


def _error(status, data, what):
    try:
        answer = json.loads(data)
    except (TypeError, ValueError):
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    message = answer.get("message") or (data[:500].decode("utf-8", "replace") if isinstance(data, bytes)
                                        else str(data)[:500])
    return KubeError(status, answer.get("reason", ""), message, what)


def connect(kubeconfig=None, context=None, timeout=60):
    """A ``Cluster`` for ``kubeconfig`` (a path; None: ``KUBECONFIG`` or ``~/.kube/config``) and ``context``."""
    from kubernetes import config as kube_config  # pylint: disable=import-outside-toplevel

    api = kube_config.new_client_from_config(config_file=kubeconfig or None, context=context or None)
    configuration = api.configuration
    pool = api.rest_client.pool_manager
    host = configuration.host.rstrip("/")

    def request(method, path, query, body, content_type):
        headers = {"Accept": "application/json", "User-Agent": "netstack.baremetal"}
        token = configuration.get_api_key_with_prefix("authorization") if configuration.api_key else None
        if token:
            headers["Authorization"] = token
        payload = None
        if body is not None:
            headers["Content-Type"] = content_type
            payload = json.dumps(body)
        url = host + path + ("?" + urlencode(query) if query else "")
        answer = pool.request(method, url, body=payload, headers=headers, timeout=timeout, preload_content=True)
        return answer.status, answer.data

    return Cluster(request)


def connection_settings(kubeconfig, context, plan_kubeconfig, environ):
    """``(kubeconfig, context)`` for ``connect``: the task's, else the plan's (inventory ``netstack_kubeconfig``),
    else ``K8S_AUTH_KUBECONFIG`` / ``K8S_AUTH_CONTEXT`` (as kubernetes.core), else the client's own default."""
    if kubeconfig is None:
        kubeconfig = plan_kubeconfig
    return (kubeconfig or environ.get("K8S_AUTH_KUBECONFIG") or None,
            context or environ.get("K8S_AUTH_CONTEXT") or None)


def failure_message(exc):
    """The message for an error of the API or of the client (None: not one of theirs, let it raise)."""
    if isinstance(exc, KubeError):
        return "Kubernetes API: %s" % exc
    if type(exc).__module__.split(".")[0] in ("kubernetes", "urllib3"):
        # the kubeconfig loader's and the connection's errors (no file, unknown context, refused)
        return "Kubernetes API not reachable or kubeconfig not usable: %s" % exc
    return None
