# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A recording stand-in for a vendor network module (test only; tests/unit/test_fabric_persist_stubs.py).

tests/unit/test_fabric_persist_stubs.py copies this file under every module name roles/fabric uses
(arista.eos.eos_vlans, cisco.nxos.nxos_config, junipernetworks.junos.junos_command, ...) into a collections
directory placed before the real ones, so the role's apply path runs for real - task order, conditions, check
mode, registered results - against a fake switch kept in ``$NETSTACK_STUB_DIR/<collection>.json``:

* a resource module, or a config module with ``lines``, changes the switch once: the same arguments again
  change nothing (what an idempotent module does); the switch then has unsaved changes;
* the config module with ``save_when: modified`` saves when there are unsaved changes (changed), else nothing;
* the command module answers ``show running-config`` / ``show configuration`` with
  ``$NETSTACK_STUB_DIR/<collection>.running`` (a configuration with passwords in it), and the readings of the
  rolling rollout (BGP summary, interfaces; ``READINGS``) as a switch with no session and no port.

Every call is appended to ``$NETSTACK_STUB_DIR/<collection>.log`` (module, arguments, check mode, changed).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible.module_utils.basic import AnsibleModule

# the route maps module of EOS cannot run in check mode (the role says so): the stub neither
NO_CHECK_MODE = ("eos_route_maps",)
# set by the test for each copy
COLLECTION = "@COLLECTION@"
MODULE = "@MODULE@"


# what the role's read_<platform>.yml tasks ask (the platform's own JSON shapes, nothing in them)
READINGS = {
    "show ip bgp summary": {"arista.eos": {"vrfs": {"default": {"peers": {}}}},
                            "cisco.nxos": {"TABLE_vrf": {"ROW_vrf": []}}},
    "show interfaces status": {"arista.eos": {"interfaceStatuses": {}}},
    "show interface brief": {"cisco.nxos": {"TABLE_interface": {"ROW_interface": []}}},
    "get-bgp-summary-information": {"junipernetworks.junos": {"bgp-information": [{}]}},
    "get-interface-information": {"junipernetworks.junos": {"interface-information": [{}]}},
}


def main():
    module = AnsibleModule(argument_spec=dict(
        config=dict(type="raw"), state=dict(type="str"), lines=dict(type="list", elements="raw"),
        parents=dict(type="list", elements="str"), save_when=dict(type="str"),
        commands=dict(type="list", elements="raw"), display=dict(type="str"), rpcs=dict(type="list", elements="str"),
    ), supports_check_mode=MODULE not in NO_CHECK_MODE)
    collection = COLLECTION
    directory = os.environ["NETSTACK_STUB_DIR"]
    state_path = os.path.join(directory, collection + ".json")
    device = {"applied": [], "unsaved": False, "saves": 0}
    if os.path.exists(state_path):
        with open(state_path) as handle:
            device = json.load(handle)
    params = dict((k, v) for k, v in module.params.items() if v is not None)
    module_name = MODULE
    result = {"changed": False}
    asked = [c.get("command") if isinstance(c, dict) else c for c in params.get("commands", [])] + params.get("rpcs", [])
    if asked and all(a in READINGS for a in asked):
        result["stdout"] = [READINGS[a][collection] for a in asked]
        result["stdout_lines"] = [[json.dumps(doc)] for doc in result["stdout"]]
    elif "commands" in params:
        with open(os.path.join(directory, collection + ".running")) as handle:
            result["stdout"] = [handle.read()]
        result["stdout_lines"] = [result["stdout"][0].splitlines()]      # as the vendors' command modules
    elif "save_when" in params:
        result["changed"] = device["unsaved"]
        if device["unsaved"] and not module.check_mode:
            device.update(unsaved=False, saves=device["saves"] + 1)
    else:
        key = json.dumps([module_name, params], sort_keys=True)
        if key not in device["applied"]:
            result["changed"] = True
            if not module.check_mode:
                device["applied"].append(key)
                device["unsaved"] = True
    with open(state_path, "w") as handle:
        json.dump(device, handle)
    with open(os.path.join(directory, collection + ".log"), "a") as handle:
        handle.write(json.dumps({"module": module_name, "params": params, "check_mode": module.check_mode,
                                 "changed": result["changed"], "reading": bool(asked) and asked[0] in READINGS},
                                sort_keys=True) + "\n")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
