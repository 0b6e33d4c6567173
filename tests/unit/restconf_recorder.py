# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A RESTCONF stand-in for Enterprise SONiC on loopback, recording what the modules send.

dellemc.enterprise_sonic has no ``rendered`` state: its modules read the switch's state with GET, compute
requests and send them with PATCH/PUT/POST/DELETE over httpapi.  This server answers GET with a canned
document when the test gave one for that path (the modules that diff against what is there need it) and
with RESTCONF's "Resource not found" 404 otherwise, so the switch looks empty; every write is accepted
with 204 and recorded with its decoded JSON body.  The test then reads the exact payloads the switch would
have received.

A canned value may be a callable ``f(recorder) -> document or None``: it sees the writes so far, so a
module that reads what an earlier task created (BGP neighbors need the BGP instance) gets it.

Plain HTTP on 127.0.0.1 and an ephemeral port: point a host at it with ``hostvars()``.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

NOT_FOUND = {"ietf-restconf:errors": {"error": [{
    "error-type": "application", "error-tag": "invalid-value", "error-message": "Resource not found"}]}}


class Recorded(dict):
    """One request: method, path (URL-decoded, without the query), query and body (decoded JSON or None)."""

    __getattr__ = dict.__getitem__


class RestconfRecorder:
    """``with RestconfRecorder(canned) as rec: ... rec.port ... rec.requests``."""

    def __init__(self, canned=None):
        self.canned = dict(canned or {})
        self.requests = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self):
        return self._server.server_address[1]

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def hostvars(self):
        """Connection variables pointing a SONiC host at this recorder.

        ``ansible_port`` too: the persistent connection is keyed by host, port and user, so two hosts on
        127.0.0.1 with only different ``ansible_httpapi_port`` would share one socket (and one recorder).
        """
        return {"ansible_host": "127.0.0.1", "ansible_httpapi_port": self.port, "ansible_port": self.port,
                "ansible_httpapi_use_ssl": False, "ansible_password": "admin"}

    def writes(self, path_part=""):
        """The recorded writes, in order; only those whose path contains ``path_part`` if given."""
        with self._lock:
            return [r for r in self.requests if r.method != "GET" and path_part in r.path]

    def _record(self, method, raw_path, body):
        path, _sep, query = raw_path.partition("?")
        entry = Recorded(method=method, path=unquote(path), query=query, body=body)
        with self._lock:
            self.requests.append(entry)
        return entry

    def _handler(self):
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):   # keep pytest's output clean
                return

            def _reply(self, status, document=None):
                data = json.dumps(document).encode() if document is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/yang-data+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if data:
                    self.wfile.write(data)

            def do_GET(self):
                entry = recorder._record("GET", self.path, None)
                document = recorder.canned.get(entry.path)
                if callable(document):
                    document = document(recorder)
                if document is None:
                    self._reply(404, NOT_FOUND)
                else:
                    self._reply(200, document)

            def _write(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw.decode()) if raw else None
                recorder._record(self.command, self.path, body)
                self._reply(204)

            do_PATCH = do_PUT = do_POST = do_DELETE = _write

        return Handler
