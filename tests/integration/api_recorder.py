# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A recording reverse proxy in front of a real API server: what a playbook asked the server, request by request.

``ApiRecorder(api_client)`` listens on a loopback port (plain HTTP) and forwards every request to the server of
``api_client`` (a ``kubernetes.client.ApiClient``) with that client's credentials (client certificate, CA, bearer
token), returning the server's answer unchanged. ``kubeconfig(path)`` writes a kubeconfig that points at the proxy,
for the inventory's ``netstack_kubeconfig``; ``requests`` lists ``(method, path, query)`` of every request since
the last ``clear()``, ``query`` a dict of lists; ``calls()`` leaves out discovery (``/api``, ``/apis/<group>``,
``/version``, ``/openapi``).

Answers are read whole before they are returned: no watches (``wait: true``) through it.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import yaml

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
               "host", "content-length"}


def _discovery(path):
    """``/version``, ``/openapi/...``, ``/api``, ``/api/v1``, ``/apis``, ``/apis/<group>[/<version>]``."""
    segments = path.strip("/").split("/")
    return segments[0] in ("version", "openapi") or (segments[0] == "api" and len(segments) <= 2) \
        or (segments[0] == "apis" and len(segments) <= 3)


class ApiRecorder(object):

    def __init__(self, api_client):
        configuration = api_client.configuration
        self._upstream = configuration.host.rstrip("/")
        self._pool = api_client.rest_client.pool_manager
        self._auth = dict((setting["key"], setting["value"]) for setting in configuration.auth_settings().values()
                          if setting.get("in") == "header" and setting.get("value"))
        self.requests = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self._server.server_address[1]

    def kubeconfig(self, path):
        """Write a kubeconfig for the proxy (no credentials: the proxy adds them) at ``path``; returns the path."""
        path.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "recorded",
            "clusters": [{"name": "recorded", "cluster": {"server": self.url}}],
            "users": [{"name": "recorded", "user": {}}],
            "contexts": [{"name": "recorded", "context": {"cluster": "recorded", "user": "recorded"}}]}))
        return str(path)

    def clear(self):
        with self._lock:
            del self.requests[:]

    def calls(self):
        """The recorded requests to resources (discovery left out): ``[(method, path, query)]``."""
        with self._lock:
            return [r for r in self.requests if not _discovery(r[1])]

    def close(self):
        self._server.shutdown()
        self._server.server_close()

    def _record(self, method, target):
        parts = urlsplit(target)
        with self._lock:
            self.requests.append((method, parts.path, parse_qs(parts.query)))

    def _handler(self):
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _forward(self):
                recorder._record(self.command, self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = dict((k, v) for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP)
                headers.update(recorder._auth)
                answer = recorder._pool.request(self.command, recorder._upstream + self.path, body=body,
                                                headers=headers, preload_content=True, redirect=False,
                                                retries=False)
                data = answer.data or b""
                self.send_response(answer.status)
                for key, value in answer.headers.items():
                    if key.lower() not in _HOP_BY_HOP and key.lower() != "content-encoding":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward

        return Handler
