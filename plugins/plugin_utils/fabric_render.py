# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bundle's ``fabric/<switch>.cfg``: every switch rendered offline by the vendors' own resource modules.

Each module's ``main()`` runs with ``state: rendered`` inside one helper process (the way ansible.netcommon
runs modules in its worker, ``import_modules``), instead of one ``ansible-playbook`` task per module per switch
through a persistent ``network_cli`` connection: the same code produces the same lines, with no socket, no
connection and no process per module. The helper is a separate process because some modules order their lines
by set iteration, so the output is only stable under a fixed hash seed (``PYTHONHASHSEED=0``, which the
task path set too); a plan action's process has a random one.

Only the platforms whose modules have a rendered state run modules (EOS, NX-OS, Junos); SONiC's modules have
none and FRR switches have files, so their ``.cfg`` holds the payload (``readback.cfg_text``).

Controller side only (imports ansible-core); the core that decides what each switch gets is
``module_utils/fabric``.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import importlib
import io
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.netstack.baremetal.plugins.module_utils.fabric import readback, switch_output

MAX_HELPERS = 4

# platform -> the collection whose resource modules render it (the apply path uses the same modules)
RENDERED_BY = {"eos": "arista.eos", "nxos": "cisco.nxos", "junos": "junipernetworks.junos"}

# The helper: load the collections from the paths this run uses, then serve the request on stdin.
_HELPER = (
    "import json, sys\n"
    "from ansible.plugins.loader import init_plugin_loader\n"
    "request = json.load(sys.stdin)\n"
    "init_plugin_loader(request['collection_paths'])\n"
    "from ansible_collections.netstack.baremetal.plugins.plugin_utils import fabric_render\n"
    "json.dump(fabric_render.run_jobs(request['jobs']), sys.stdout)\n"
)


class RenderError(Exception):
    """A module refused a switch's arguments, or the helper process failed; the message names the switch."""


def switch_outputs(plan):
    """``{switch: output}``: what ``fabric_switch`` gives the role in render mode (passwords left out)."""
    return dict((host, switch_output(plan, host, omit_passwords=True)) for host in sorted(plan["fabric"]["switches"]))


def jobs_of(outputs):
    """``[[switch, module FQCN, module arguments]]`` in apply order, for the platforms with a rendered state."""
    jobs = []
    for host, output in sorted(outputs.items()):
        collection = RENDERED_BY.get(output["platform"])
        if collection is None:
            continue
        for name, module in output["modules"].items():
            jobs.append([host, "%s.%s" % (collection, name), {"config": module["config"], "state": "rendered"}])
    return jobs


def controller_collection_paths():
    """Where this run finds collections: next to the playbook first (``collections/``), then the configured paths,
    then where this collection is (the helper's loader scans ``sys.path`` too, which holds the ``ansible``
    package's collections)."""
    from ansible.utils.collection_loader import AnsibleCollectionConfig  # pylint: disable=import-outside-toplevel

    try:
        adjacent = [os.path.join(path, "collections") for path in AnsibleCollectionConfig.playbook_paths or []]
        configured = list(AnsibleCollectionConfig.collection_paths or [])
    except NotImplementedError:     # no collection loader in this process (a script, a test)
        adjacent, configured = [], []
    # .../<root>/ansible_collections/netstack/baremetal/plugins/plugin_utils/fabric_render.py -> <root>
    own = os.path.abspath(__file__)
    for _level in range(6):
        own = os.path.dirname(own)
    return [path for path in adjacent if os.path.isdir(path)] + configured + [own]


def render_configs(plan, collection_paths=None, python=None):
    """``{"fabric/<switch>.cfg": text}`` for every switch of the plan; raises RenderError."""
    outputs = switch_outputs(plan)
    jobs = jobs_of(outputs)
    if collection_paths is None:
        collection_paths = controller_collection_paths()
    results = _run_helper(jobs, collection_paths, python or sys.executable) if jobs else []
    rendered = dict((host, {}) for host in outputs)
    problems = []
    for (host, fqcn, _args), result in zip(jobs, results):
        if result.get("failed") or "rendered" not in result:
            problems.append("%s: %s: %s" % (host, fqcn, result.get("msg") or "no rendered configuration"))
        rendered[host][fqcn.rsplit(".", 1)[1]] = result
    if problems:
        raise RenderError("the vendor modules could not render %d module call%s:\n  %s" % (
            len(problems), "" if len(problems) == 1 else "s", "\n  ".join(problems)))
    return dict(("fabric/%s.cfg" % host, readback.cfg_text(output, rendered[host]))
                for host, output in outputs.items() if output["platform"] != "frr")


def _run_helper(jobs, collection_paths, python):
    """The results of ``jobs``, in order, from helper processes run side by side (one per CPU, at most
    ``MAX_HELPERS``), each given whole switches in turn."""
    switches = sorted(set(job[0] for job in jobs))
    count = max(1, min(MAX_HELPERS, os.cpu_count() or 1, len(switches)))
    share = dict((host, number % count) for number, host in enumerate(switches))
    parts = [[index for index, job in enumerate(jobs) if share[job[0]] == number] for number in range(count)]
    env = dict(os.environ, PYTHONHASHSEED="0")

    def run_part(indexes):
        request = json.dumps({"collection_paths": list(collection_paths), "jobs": [jobs[i] for i in indexes]})
        process = subprocess.run([python, "-c", _HELPER], input=request.encode(), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, env=env, check=False)
        if process.returncode != 0:
            tail = process.stderr.decode(errors="replace").strip().splitlines()[-15:]
            raise RenderError("rendering the switch configurations failed (exit %d):\n  %s"
                              % (process.returncode, "\n  ".join(tail)))
        results = json.loads(process.stdout.decode())
        if len(results) != len(indexes):
            raise RenderError("rendering the switch configurations returned %d results for %d module calls"
                              % (len(results), len(indexes)))
        return results

    ordered = [None] * len(jobs)
    with ThreadPoolExecutor(max_workers=count) as pool:
        for indexes, results in zip(parts, pool.map(run_part, parts)):
            for index, result in zip(indexes, results):
                ordered[index] = result
    return ordered


def run_jobs(jobs):
    """In the helper: each module's ``main()`` with its arguments; its result (what the task would register)."""
    return [run_module(fqcn, args) for _host, fqcn, args in jobs]


def run_module(fqcn, args):
    """One resource module's ``main()``, in this process: its arguments given directly (not read from stdin),
    its result recorded instead of printed, anything it prints swallowed. A module that fails, or cannot be
    imported (Junos without jxmlease, say), gives ``{"failed": true, "msg": ...}``."""
    from ansible.module_utils.basic import AnsibleModule  # pylint: disable=import-outside-toplevel

    namespace, collection, name = fqcn.split(".")
    try:
        module = importlib.import_module("ansible_collections.%s.%s.plugins.modules.%s" % (namespace, collection, name))
    except ImportError as exc:
        return {"failed": True, "msg": "cannot import %s: %s" % (fqcn, exc)}
    recorded = {}

    class DirectModule(AnsibleModule):
        params = copy.deepcopy(dict(args, _ansible_no_log=True))   # no_log: no syslog line per call

        def _load_params(self):
            pass

        def _record_module_result(self, o):
            recorded["result"] = o

    module.AnsibleModule = DirectModule
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = io.StringIO()
    try:
        module.main()
    except SystemExit:
        pass
    except Exception as exc:  # pylint: disable=broad-except
        recorded["result"] = {"failed": True, "msg": "%s: %s" % (type(exc).__name__, exc)}
    finally:
        sys.stdout, sys.stderr = stdout, stderr
    return recorded.get("result") or {"failed": True, "msg": "the module returned no result"}
