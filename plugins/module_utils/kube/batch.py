# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Apply or delete a batch of objects with a few parallel requests, and say truthfully what changed.

``Batch(cluster, live, field_manager, dry_run, with_diff, fetch)`` keeps the live objects it was given (by
``client.object_key``) up to date with every answer, so the diffs of a later batch start where the earlier one
left; with ``fetch`` an object it was not given is read (GET by name) before it is sent, else it is taken as
absent (the caller listed every object that may exist). ``apply(objects)`` sends Namespaces (and other cluster-scoped objects) first, then the namespaced ones,
each group in parallel; ``delete(objects)`` in parallel too, in the given order with ``workers = 1``. Failures are collected, the rest of the group still runs,
and ``errors`` lists them: the caller stops before its next phase.

No Ansible imports.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.netstack.baremetal.plugins.module_utils.kube import changes
from ansible_collections.netstack.baremetal.plugins.module_utils.kube.client import KubeError, object_key, object_ref

WORKERS = 8
# A Namespace created a moment ago may still be unknown to the admission of the next request: retried.
NAMESPACE_RETRIES = 5


class Batch(object):

    def __init__(self, cluster, live, field_manager, dry_run=False, with_diff=False, fetch=False, workers=WORKERS):
        self.cluster, self.field_manager, self.dry_run, self.with_diff = cluster, field_manager, dry_run, with_diff
        self.fetch = fetch
        self.workers = workers
        self.live = dict((object_key(obj), obj) for obj in live or [])
        self.changed, self.unchanged, self.errors, self.diff = [], [], [], []

    def _groups(self, objects):
        first = [o for o in objects if not o["metadata"].get("namespace")]
        then = [o for o in objects if o["metadata"].get("namespace")]
        return [group for group in (first, then) if group]

    def _run(self, work, groups):
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for group in groups:
                for obj, outcome in zip(group, pool.map(work, group)):
                    if isinstance(outcome, KubeError):
                        self.errors.append(outcome)
                    else:
                        self._record(obj, *outcome)

    def _record(self, obj, before, after, note=""):
        ref = object_ref(obj)
        if after is not None:
            self.live[object_key(obj)] = after
        else:
            self.live.pop(object_key(obj), None)
        if changes.changed(before, after):
            self.changed.append(ref)
            if self.with_diff:
                self.diff.append(changes.diff_entry(ref, before, after, note))
        else:
            self.unchanged.append(ref)

    def _before(self, obj):
        key = object_key(obj)
        if key in self.live or not self.fetch:
            return self.live.get(key)
        return self.cluster.get(obj)

    def apply(self, objects):
        def work(obj):
            try:
                before = self._before(obj)
            except KubeError as exc:
                return exc
            for attempt in range(NAMESPACE_RETRIES):
                try:
                    return before, self.cluster.apply(obj, self.field_manager, dry_run=self.dry_run)
                except KubeError as exc:
                    waiting = exc.status == 404 and obj["metadata"].get("namespace") and not self.dry_run
                    if not waiting or attempt == NAMESPACE_RETRIES - 1:
                        return exc
                    self.cluster._sleep(0.2 * (attempt + 1))  # pylint: disable=protected-access
            raise AssertionError("not reached")
        self._run(work, self._groups(objects))

    def delete(self, objects):
        def work(obj):
            before = self.live.get(object_key(obj))
            try:
                existed = self.cluster.delete(obj, dry_run=self.dry_run)
            except KubeError as exc:
                return exc
            # gone already: no change, whatever the earlier read said
            return ((before or obj) if existed else None), None
        self._run(work, [objects] if objects else [])

    def announce(self, objects, note):
        """Objects that cannot be sent now (check mode: their namespace is created by this same run), shown as
        changes against nothing."""
        for obj in objects:
            self._record(obj, self.live.get(object_key(obj)), obj, note)


MAX_ERRORS = 20


def errors_message(errors, check, stopped):
    """One message for the failures of a run: how many, what was not started (``stopped``), the first ones."""
    return "%d object(s) could not be %s, %s: %s%s" % (
        len(errors), "dry-run" if check else "applied", stopped, "; ".join(errors[:MAX_ERRORS]),
        " (and %d more)" % (len(errors) - MAX_ERRORS) if len(errors) > MAX_ERRORS else "")
