# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What apply mode of the cluster network needs before it changes anything, and which of it is missing.

``sources(releases, selected, download_dir)`` lists every source the releases to apply read from: the
``helm`` binary (when a Helm release is selected), each chart (a local directory or ``.tgz``, an HTTP(S)
repository or mirror, an OCI registry) and each published manifest bundle (a local file or directory, or a
URL; a copy already downloaded into ``download_dir`` counts as present). ``missing(sources, probe)`` checks
them all and returns one line per problem, so the playbook can fail once, listing everything, before the
first object is applied. ``probe`` does the I/O (the module passes the real one, tests a fake).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

HELM_MAJOR = 3  # kubernetes.core 6.x runs `helm list --all`, which helm 4 no longer has
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


def url_cache_file(download_dir, release):
    """Where release_url.yml keeps the download of a ``url`` release (same name as the role uses)."""
    return os.path.join(download_dir, "%s-%s.yaml" % (release["name"], release["version"]))


def sources(releases, selected=None, download_dir=None):
    """Every source the selected releases (all when ``selected`` is empty) need, in install order."""
    chosen = [r for r in releases if not selected or r["name"] in selected]
    result = []
    if any(r["kind"] == "helm" for r in chosen):
        result.append({"release": None, "type": "helm", "location": None})
    for rel in chosen:
        if rel["kind"] == "helm":
            chart = rel["chart"]
            entry = {"release": rel["name"], "type": "chart_" + chart["type"], "location": chart["chart_ref"],
                     "version": chart.get("version")}
            if chart["type"] == "repo":
                entry["location"] = chart["chart_repo_url"]
                entry["chart"] = chart["chart_ref"]
            result.append(entry)
        elif rel["kind"] == "url":
            if rel.get("path"):
                result.append({"release": rel["name"], "type": "manifest_path", "location": rel["path"]})
            else:
                cached = url_cache_file(download_dir, rel) if download_dir else None
                result.append({"release": rel["name"], "type": "manifest_url", "location": rel["url"],
                               "cached": cached})
    return result


def manifest_files(path):
    """The manifest files of a local source: the file itself, or a directory's YAML/JSON files, sorted."""
    if os.path.isdir(path):
        return sorted(os.path.join(path, name) for name in os.listdir(path)
                      if name.endswith(MANIFEST_SUFFIXES) and os.path.isfile(os.path.join(path, name)))
    return [path]


def _chart_path_problem(path):
    if not os.path.exists(path):
        return "chart %s does not exist on the controller" % path
    if os.path.isdir(path):
        if not os.path.isfile(os.path.join(path, "Chart.yaml")):
            return "chart directory %s has no Chart.yaml" % path
        return None
    if not path.endswith((".tgz", ".tar.gz")):
        return "chart %s is neither a chart directory nor a packaged .tgz" % path
    if not os.access(path, os.R_OK):
        return "chart %s is not readable" % path
    return None


def _manifest_path_problem(path):
    if not os.path.exists(path):
        return "manifest %s does not exist on the controller" % path
    if os.path.isdir(path) and not manifest_files(path):
        return "manifest directory %s has no .yaml/.yml/.json file" % path
    if not os.path.isdir(path) and not os.access(path, os.R_OK):
        return "manifest %s is not readable" % path
    return None


def missing(needed, probe):
    """One line per missing or unreachable source (empty: everything is there)."""
    problems = []
    helm_ok = True
    for source in needed:
        kind, where = source["type"], source["location"]
        label = source["release"]
        if kind == "helm":
            version, reason = probe.helm_version()
            if version is None:
                helm_ok = False
                problems.append("helm: %s" % reason)
            elif not version.lstrip("v").startswith("%d." % HELM_MAJOR):
                helm_ok = False
                problems.append("helm: %s is %s; kubernetes.core 6.x needs helm %d (helm 4 dropped `helm list "
                                "--all`)" % (probe.helm_binary, version, HELM_MAJOR))
            continue
        if kind == "chart_path":
            reason = _chart_path_problem(where)
        elif kind == "chart_repo":
            index = where.rstrip("/") + "/index.yaml"
            reason = probe.http_problem(index)
            reason = reason and "chart repository %s unreachable (%s: %s)" % (where, index, reason)
        elif kind == "chart_oci":
            if not helm_ok:
                reason = "chart %s version %s not checked: no usable helm" % (where, source.get("version"))
            else:
                reason = probe.oci_problem(where, source.get("version"))
                reason = reason and "chart %s version %s unreachable (%s)" % (where, source.get("version"), reason)
        elif kind == "manifest_path":
            reason = _manifest_path_problem(where)
        elif kind == "manifest_url":
            if source.get("cached") and os.path.isfile(source["cached"]):
                reason = None
            else:
                reason = probe.http_problem(where)
                reason = reason and "manifest %s unreachable (%s)" % (where, reason)
        else:
            reason = "unknown source type %s" % kind
        if reason:
            problems.append("%s: %s" % (label, reason))
    return problems


def message(problems):
    """The one failure message: every problem, and where to point each source instead."""
    return ("cluster network preflight: nothing was changed; %d source(s) missing or unreachable:\n  - %s\n"
            "Point charts at a mirror or a local copy with netstack_cluster.components.<component>.repo/path, "
            "manifests with .url/.path (docs/cluster_network.md, 'Air-gapped sites'); helm with "
            "cluster_network_helm_binary or PATH." % (len(problems), "\n  - ".join(problems)))
