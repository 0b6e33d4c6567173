# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pre-change backups of a switch's configuration, as they go into the bundle: secrets masked.

The bundle holds nothing secret (it is meant to be kept in git and handed around), yet a switch's running
configuration holds its BGP passwords (plain on FRR, reversibly "encrypted" on EOS, NX-OS and Junos) and other
credentials. The backup copy therefore replaces the value of every line (or JSON member) that carries one by
``MASK``; the real values are in the vault, which is where a restore takes them from (docs/fabric.md).
Masking is by keyword, not by knowing the values: it also covers credentials the plan never saw (local users,
SNMP communities, TACACS keys). A few lines too many masked only make the backup less complete, never leaky.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

MASK = "<masked: secret, see the vault>"

# keyword, optionally a numeric encryption type (EOS/NX-OS "password 7 ...", "key 7 ..."), then the value up to the
# end of the line. "-" is no word character, so Junos "encrypted-password" and "authentication-key" match too.
_SECRET_LINE = re.compile(
    r"(?i)(\b(?:password|secret|authentication-key|auth-password|pre-shared-key|key|community)\b"
    r"(?:\s+\d{1,2}(?=\s))?\s+)\S.*$", re.M)
# JSON member names (RESTCONF, SONiC): "password", "auth-password", "secret", "key", "community", ...
_SECRET_MEMBER = re.compile(r"(?i)(password|secret|(^|[-_])key$|community|psk)")


def mask_text(text):
    """``text`` (a CLI configuration) with the value of every line carrying a secret replaced by ``MASK``."""
    return _SECRET_LINE.sub(lambda m: m.group(1) + MASK, text or "")


def mask_data(data):
    """A copy of ``data`` (decoded JSON) with every scalar under a secret-looking member name masked."""
    if isinstance(data, dict):
        return dict((key, _masked_member(key, value)) for key, value in data.items())
    if isinstance(data, list):
        return [mask_data(item) for item in data]
    return data


def _masked_member(key, value):
    if isinstance(value, (dict, list)):
        return mask_data(value)
    if value is None or isinstance(value, bool) or not _SECRET_MEMBER.search(str(key)):
        return value
    return MASK


def mask(data):
    """Text is masked line by line, decoded JSON member by member."""
    if isinstance(data, (dict, list)):
        return mask_data(data)
    return mask_text(data)
