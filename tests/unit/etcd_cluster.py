# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real etcd cluster on loopback for tests: ``with etcd_cluster(base, names) as cluster:``.

Debian's etcd-server (``/usr/bin/etcd``), one member per name, each on free 127.0.0.1 ports, its data in ``base``.
Clients speak TLS with certificates laid out as kubeadm lays them out under ``base/pki`` (``etcd/ca.crt``,
``apiserver-etcd-client.crt`` and ``.key``: what kubeadm's own etcd client uses), made with openssl; the peers speak
plain HTTP. Every member is stopped on the way out, even after a failure.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json
import os
import socket
import subprocess
import time

ETCD = "/usr/bin/etcd"
ETCDCTL = "/usr/bin/etcdctl"


def available():
    return os.path.exists(ETCD) and os.path.exists(ETCDCTL)


def _free_ports(count):
    sockets = [socket.socket() for dummy in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_pki(pki):
    """The CA, a server certificate for 127.0.0.1 and kubeadm's etcd client certificate, under ``pki``."""
    etcd = pki / "etcd"
    etcd.mkdir(parents=True)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=etcd-ca",
             "-keyout", str(etcd / "ca.key"), "-out", str(etcd / "ca.crt"))
    server = "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth"
    for name, subject, ext in (("etcd/server", "/CN=127.0.0.1", server),
                               ("apiserver-etcd-client", "/O=system:masters/CN=kube-apiserver-etcd-client",
                                "extendedKeyUsage=clientAuth")):
        (pki / (name + ".ext")).write_text(ext + "\n")
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", str(pki / (name + ".key")),
                 "-out", str(pki / (name + ".csr")))
        _openssl("x509", "-req", "-in", str(pki / (name + ".csr")), "-CA", str(etcd / "ca.crt"), "-CAkey",
                 str(etcd / "ca.key"), "-CAcreateserial", "-days", "1", "-extfile", str(pki / (name + ".ext")),
                 "-out", str(pki / (name + ".crt")))


class Cluster(object):
    def __init__(self, base, names):
        self.base = base
        self.pki = base / "pki"
        ports = _free_ports(2 * len(names))
        self.members = dict((name, {"client": "https://127.0.0.1:%d" % ports[2 * i],
                                    "peer": "http://127.0.0.1:%d" % ports[2 * i + 1]})
                            for i, name in enumerate(names))
        self.procs = {}

    def start(self, name, state="new"):
        member = self.members[name]
        initial = ",".join("%s=%s" % (n, m["peer"]) for n, m in sorted(self.members.items()))
        log = open(str(self.base / ("%s.log" % name)), "ab")
        self.procs[name] = subprocess.Popen(
            [ETCD, "--name", name, "--data-dir", str(self.base / name),
             "--listen-client-urls", member["client"], "--advertise-client-urls", member["client"],
             "--listen-peer-urls", member["peer"], "--initial-advertise-peer-urls", member["peer"],
             "--initial-cluster", initial, "--initial-cluster-state", state, "--initial-cluster-token", "netstack-test",
             "--cert-file", str(self.pki / "etcd" / "server.crt"), "--key-file", str(self.pki / "etcd" / "server.key"),
             "--trusted-ca-file", str(self.pki / "etcd" / "ca.crt"), "--client-cert-auth"],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def stop(self, name):
        proc = self.procs.pop(name, None)
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def etcdctl_argv(self, name):
        """etcdctl with kubeadm's client certificate, talking to member ``name``."""
        return [ETCDCTL, "--endpoints", self.members[name]["client"], "--cacert", str(self.pki / "etcd" / "ca.crt"),
                "--cert", str(self.pki / "apiserver-etcd-client.crt"),
                "--key", str(self.pki / "apiserver-etcd-client.key")]

    def etcdctl(self, name, *args):
        result = subprocess.run(self.etcdctl_argv(name) + list(args), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, universal_newlines=True, check=False)
        return result.returncode, result.stdout

    def member_names(self, via):
        rc, out = self.etcdctl(via, "member", "list", "-w", "json")
        assert rc == 0, out
        return sorted(m.get("name", "") for m in json.loads(out)["members"])

    def healthy(self, name):
        return self.etcdctl(name, "endpoint", "health")[0] == 0

    def wait_healthy(self, names, timeout=30):
        deadline = time.time() + timeout
        while not all(self.healthy(n) for n in names):
            assert time.time() < deadline, "etcd members %s not healthy after %d s" % (names, timeout)
            time.sleep(0.5)


@contextlib.contextmanager
def etcd_cluster(base, names):
    cluster = Cluster(base, names)
    try:
        make_pki(cluster.pki)
        for name in names:
            cluster.start(name)
        cluster.wait_healthy(names)
        yield cluster
    finally:
        for name in list(cluster.procs):
            cluster.stop(name)
