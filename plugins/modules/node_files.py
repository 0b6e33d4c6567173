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
"""

RETURN = r"""
changed_files:
  description: Paths whose content or mode changed (or would change in check mode).
  returned: always
  type: list
  elements: str
  sample: [/etc/containerd/config.toml]
"""

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
        }}},
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
    result = {"changed": bool(changed), "changed_files": changed}
    if diffs:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
