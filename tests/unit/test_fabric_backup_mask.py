# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The masking of the fabric role's pre-change backups (plugins/module_utils/fabric/backup.py): every secret-bearing
line of each platform's configuration loses its value and keeps its place; the rest is kept verbatim."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.netstack.baremetal.plugins.module_utils.fabric import backup

M = backup.MASK


@pytest.mark.parametrize("line, masked", [
    # EOS / NX-OS: an encryption type, then the value
    ("   neighbor 10.0.0.9 password 7 AbCd==", "   neighbor 10.0.0.9 password 7 " + M),
    ("    password 3 5b2f8a", "    password 3 " + M),
    ("username admin privilege 15 secret sha512 $6$x", "username admin privilege 15 secret " + M),
    ("tacacs-server host 203.0.113.1 key 7 0822455D0A16", "tacacs-server host 203.0.113.1 key 7 " + M),
    ("snmp-server community s3cret ro", "snmp-server community " + M),
    # FRR: the password in clear
    (" neighbor 10.77.0.11 password netstack-lab-only", " neighbor 10.77.0.11 password " + M),
    # Junos set lines
    ('set protocols bgp group NODES authentication-key "$9$abc"', "set protocols bgp group NODES authentication-key " + M),
    ('set system root-authentication encrypted-password "$6$x"', "set system root-authentication encrypted-password " + M),
])
def test_secret_lines_lose_their_value(line, masked):
    assert backup.mask_text(line) == masked


def test_everything_else_is_kept_verbatim():
    text = ("hostname r1-leaf1\nrouter bgp 65101\n   neighbor 10.0.0.9 remote-as 65009\n"
            "   neighbor 10.0.0.9 description n1\n   maximum-paths 8\n!\n")
    assert backup.mask_text(text) == text


def test_a_whole_configuration_keeps_its_lines():
    text = "router bgp 65101\n neighbor 10.0.0.9 remote-as 65009\n neighbor 10.0.0.9 password s\nexit\n"
    assert backup.mask_text(text).splitlines() == [
        "router bgp 65101", " neighbor 10.0.0.9 remote-as 65009", " neighbor 10.0.0.9 password " + M, "exit"]


def test_restconf_documents_are_masked_member_by_member():
    document = {"neighbor": [{"neighbor-address": "10.0.0.9", "auth-password": {
        "config": {"password": "s", "encrypted": False}}, "config": {"peer-as": 65009, "description": "n1"}}],
        "tacacs": {"key": "k", "keys": ["a"]}, "snmp": {"community": "c"}, "absent": None}
    masked = backup.mask(document)
    neighbor = masked["neighbor"][0]
    assert neighbor["auth-password"]["config"] == {"password": M, "encrypted": False}
    assert neighbor["config"] == {"peer-as": 65009, "description": "n1"}
    assert neighbor["neighbor-address"] == "10.0.0.9"
    assert masked["tacacs"]["key"] == M and masked["snmp"]["community"] == M and masked["absent"] is None
    assert document["neighbor"][0]["auth-password"]["config"]["password"] == "s"      # a copy, not in place
