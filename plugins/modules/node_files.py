#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: node_files
short_description: Write many small files computed by the plan in one step
version_added: 0.1.0
description:
  - Writes every file of O(files) whose content or mode differs, creating parent directories (mode 0755),
    atomically (temporary file and rename).
  - One module run instead of one C(copy) per file, because the node preparation writes a dozen
    configuration files per node.
  - Reports the paths it changed in RV(changed_files), so handlers can react to the files they care about.
  - Removes the files matching O(purge) that are not in O(files), so a file the plan no longer has (or
    another renderer's) does not stay behind.
options:
  files:
    description: The files, as computed by the plan.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Absolute path on the node.
        type: path
        required: true
      content:
        description: Full file content.
        type: str
        required: true
      mode:
        description: Octal mode as a string.
        type: str
        default: "0644"
  purge:
    description:
      - Absolute shell-style patterns (C(glob)) of files this collection may have written earlier. Every
        regular file or symbolic link matching one, and not in O(files), is removed.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    support: full
    platforms: posix
author:
  - netstack.baremetal contributors (@netstack)
"""

EXAMPLES = r"""
- name: Write the node's containerd and network files
  netstack.baremetal.node_files:
    files: "{{ netstack_plan.nodes[inventory_hostname].kubeadm.files.containerd }}"
  register: written

- name: Write the node network files, remove the ones the plan no longer has
  netstack.baremetal.node_files:
    files: "{{ netstack_plan.nodes[inventory_hostname].kubeadm.files.network }}"
    purge: "{{ netstack_plan.nodes[inventory_hostname].kubeadm.network_purge }}"
"""

RETURN = r"""
changed_files:
  description: Paths whose content or mode changed, or that were removed (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [/etc/containerd/config.toml]
removed_files:
  description: The paths of RV(changed_files) that were removed (or would be, in check mode) by O(purge).
  returned: always
  type: list
  elements: str
  sample: [/etc/systemd/network/30-netstack-bond0.70.network]
"""

import glob
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text


def _current(path):
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        return data, os.stat(path).st_mode & 0o7777
    except (IOError, OSError):
        return None, None


def _write(path, data, mode):
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    handle, tmp = tempfile.mkstemp(dir=directory, prefix=".netstack-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(tmp, mode)
        os.rename(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main():
    module = AnsibleModule(
        argument_spec={"files": {"type": "list", "elements": "dict", "required": True, "options": {
            "path": {"type": "path", "required": True},
            "content": {"type": "str", "required": True},
            "mode": {"type": "str", "default": "0644"},
        }}, "purge": {"type": "list", "elements": "str", "default": []}},
        supports_check_mode=True,
    )
    changed = []
    diffs = []
    for item in module.params["files"]:
        path = item["path"]
        if not os.path.isabs(path):
            module.fail_json(msg="%s is not an absolute path" % path)
        try:
            mode = int(item["mode"], 8)
        except ValueError:
            module.fail_json(msg="%s: mode %r is not octal" % (path, item["mode"]))
        data = to_bytes(item["content"])
        old, old_mode = _current(path)
        if old == data and old_mode == mode:
            continue
        changed.append(path)
        if module._diff:
            diffs.append({"before_header": path, "after_header": path,
                          "before": to_text(old or b"", errors="replace"), "after": item["content"]})
        if not module.check_mode:
            try:
                _write(path, data, mode)
            except (IOError, OSError) as exc:
                module.fail_json(msg="cannot write %s: %s" % (path, exc), changed_files=changed)
    wanted = set(item["path"] for item in module.params["files"])
    removed = []
    for pattern in module.params["purge"]:
        if not os.path.isabs(pattern):
            module.fail_json(msg="purge pattern %s is not absolute" % pattern)
        for path in sorted(glob.glob(pattern)):
            if path in wanted or path in removed or not (os.path.islink(path) or os.path.isfile(path)):
                continue
            removed.append(path)
            if module._diff:
                old = _current(path)[0]
                diffs.append({"before_header": path, "after_header": "%s (removed)" % path,
                              "before": to_text(old or b"", errors="replace"), "after": ""})
            if not module.check_mode:
                try:
                    os.unlink(path)
                except (IOError, OSError) as exc:
                    module.fail_json(msg="cannot remove %s: %s" % (path, exc), changed_files=changed + removed)
    changed += removed
    result = {"changed": bool(changed), "changed_files": changed, "removed_files": removed}
    if diffs:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
