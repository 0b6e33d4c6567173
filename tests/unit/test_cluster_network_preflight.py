# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster network preflight: which sources the releases need, and one line for each that is missing.

The I/O (helm, HTTP) goes through a fake probe here; tests/integration runs the real module through the
playbook (a missing helm, chart path, directory without a chart, unreachable repository and URL, helm 4).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import yaml

from ansible_collections.netstack.baremetal.plugins.module_utils import charts
from ansible_collections.netstack.baremetal.plugins.module_utils import cluster_network_preflight as preflight


def _helm(name, component):
    source = charts.chart_reference(component)
    return {"name": name, "kind": "helm", "chart": {"type": source["type"], "chart_ref": source["chart_ref"],
                                                    "chart_repo_url": source["chart_repo_url"],
                                                    "version": source["chart_version"]}}


def _url(path=None, url="https://mirror.example/gateway-api/v1.5.1/experimental-install.yaml"):
    return {"name": "gateway-api-crds", "kind": "url", "version": "v1.5.1", "path": path, "url": url}


class FakeProbe(object):
    helm_binary = "/usr/local/bin/helm"

    def __init__(self, helm="v3.17.2", down=(), oci_down=()):
        self.helm, self.down, self.oci_down = helm, set(down), set(oci_down)
        self.http_calls, self.oci_calls = [], []

    def helm_version(self):
        return (self.helm, None) if self.helm else (None, "not found in PATH")

    def http_problem(self, url):
        self.http_calls.append(url)
        return "Connection refused" if url in self.down else None

    def oci_problem(self, ref, version):
        self.oci_calls.append((ref, version))
        return "not found" if ref in self.oci_down else None


def _chart_dir(tmp_path, name):
    path = tmp_path / name
    path.mkdir()
    (path / "Chart.yaml").write_text(yaml.safe_dump({"apiVersion": "v2", "name": name, "version": "0.1.0"}))
    return str(path)


def test_every_source_kind_is_listed_in_install_order():
    releases = [{"name": "namespaces", "kind": "manifests"}, _url(),
                _helm("cilium", dict(charts.HELM_CHARTS["cilium"], path="/srv/cilium.tgz")),
                _helm("kube-ovn", dict(charts.HELM_CHARTS["kube_ovn"], repo="oci://registry.example/charts")),
                _helm("metallb", dict(charts.HELM_CHARTS["metallb"], repo="https://charts.mirror.example/metallb"))]
    needed = preflight.sources(releases, download_dir="/b/downloads")
    assert [(s["release"], s["type"], s["location"]) for s in needed] == [
        (None, "helm", None),
        ("gateway-api-crds", "manifest_url", "https://mirror.example/gateway-api/v1.5.1/experimental-install.yaml"),
        ("cilium", "chart_path", "/srv/cilium.tgz"),
        ("kube-ovn", "chart_oci", "oci://registry.example/charts/kube-ovn"),
        ("metallb", "chart_repo", "https://charts.mirror.example/metallb")]
    assert needed[1]["cached"] == "/b/downloads/gateway-api-crds-v1.5.1.yaml"


def test_only_the_selected_releases_and_no_helm_without_a_helm_release():
    releases = [_url(path="/srv/gw.yaml"), _helm("cilium", charts.HELM_CHARTS["cilium"])]
    assert preflight.sources(releases, selected=["gateway-api-crds"]) == [
        {"release": "gateway-api-crds", "type": "manifest_path", "location": "/srv/gw.yaml"}]
    assert preflight.sources(releases, selected=["metallb-config"]) == []


def test_everything_present_means_no_problem(tmp_path):
    manifests = tmp_path / "gw"
    manifests.mkdir()
    (manifests / "crds.yaml").write_text("{}")
    releases = [_url(path=str(manifests)),
                _helm("cilium", dict(charts.HELM_CHARTS["cilium"], path=_chart_dir(tmp_path, "cilium"))),
                _helm("metallb", charts.HELM_CHARTS["metallb"]),
                _helm("kube-ovn", dict(charts.HELM_CHARTS["kube_ovn"], repo="oci://registry.example/charts"))]
    probe = FakeProbe()
    assert preflight.missing(preflight.sources(releases), probe) == []
    assert probe.http_calls == ["https://metallb.github.io/metallb/index.yaml"]
    assert probe.oci_calls == [("oci://registry.example/charts/kube-ovn", "v1.15.10")]


def test_every_missing_source_is_one_line_of_one_message(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    releases = [_url(),
                _helm("cilium", dict(charts.HELM_CHARTS["cilium"], path=str(tmp_path / "nope.tgz"))),
                _helm("metallb", dict(charts.HELM_CHARTS["metallb"], path=str(empty))),
                _helm("kube-ovn", dict(charts.HELM_CHARTS["kube_ovn"], repo="oci://registry.example/charts"))]
    probe = FakeProbe(helm=None, down={releases[0]["url"]})
    problems = preflight.missing(preflight.sources(releases), probe)
    assert problems == [
        "helm: not found in PATH",
        "gateway-api-crds: manifest %s unreachable (Connection refused)" % releases[0]["url"],
        "cilium: chart %s does not exist on the controller" % (tmp_path / "nope.tgz"),
        "metallb: chart directory %s has no Chart.yaml" % empty,
        "kube-ovn: chart oci://registry.example/charts/kube-ovn version v1.15.10 not checked: no usable helm"]
    text = preflight.message(problems)
    assert text.startswith("cluster network preflight: nothing was changed; 5 source(s) missing or unreachable")
    assert all(problem in text for problem in problems)


def test_helm_4_is_refused():
    releases = [_helm("cilium", charts.HELM_CHARTS["cilium"])]
    problems = preflight.missing(preflight.sources(releases), FakeProbe(helm="v4.1.4"))
    assert problems == ["helm: /usr/local/bin/helm is v4.1.4; kubernetes.core 6.x needs helm 3 (helm 4 dropped "
                        "`helm list --all`)"]


def test_a_downloaded_copy_stands_for_an_unreachable_url(tmp_path):
    release = _url()
    cached = tmp_path / "gateway-api-crds-v1.5.1.yaml"
    cached.write_text("{}")
    probe = FakeProbe(down={release["url"]})
    assert preflight.missing(preflight.sources([release], download_dir=str(tmp_path)), probe) == []
    assert probe.http_calls == []


def test_manifest_directory_files_sorted_and_empty_directory_refused(tmp_path):
    for name in ("20-b.yml", "10-a.yaml", "notes.txt", "30-c.json"):
        (tmp_path / name).write_text("{}")
    names = [os.path.basename(p) for p in preflight.manifest_files(str(tmp_path))]
    assert names == ["10-a.yaml", "20-b.yml", "30-c.json"]
    empty = tmp_path / "empty"
    empty.mkdir()
    problems = preflight.missing(preflight.sources([_url(path=str(empty))]), FakeProbe())
    assert problems == ["gateway-api-crds: manifest directory %s has no .yaml/.yml/.json file" % empty]
