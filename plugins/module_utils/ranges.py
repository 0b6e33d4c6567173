# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Free address blocks, for the hints that suggest a range that fits (addresses, pools, tenant subnets)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress


def free_block(within, prefix, taken, start=None):
    """The first /``prefix`` inside ``within`` (from ``start``) that overlaps no (low, high) of ``taken``, or None."""
    if prefix < within.prefixlen:
        return None
    size = 2 ** (32 - prefix)
    first = int(within.network_address) if start is None else max(start, int(within.network_address))
    candidate = ((first + size - 1) // size) * size
    for low, high in sorted(taken):
        if candidate + size - 1 < low:
            break
        if high >= candidate:
            candidate = ((high + 1 + size - 1) // size) * size
    if candidate + size - 1 > int(within.broadcast_address):
        return None
    return ipaddress.IPv4Network((candidate, prefix))
