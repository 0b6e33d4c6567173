# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Free address blocks, for the hints that suggest a range that fits (addresses, pools, tenant subnets)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress


def interval(network):
    """``(low, high)`` of ``network`` as integers: the form ``free_block`` takes its ``taken`` ranges in."""
    return int(network.network_address), int(network.broadcast_address)


def free_block(within, prefix, taken, start=None):
    """The first /``prefix`` inside ``within`` that overlaps no (low, high) of ``taken``, or None.

    With ``start`` (an integer address), the first one from there, else (wrapping around) from the beginning.
    """
    if prefix < within.prefixlen:
        return None
    if start is not None:
        return _first_free(within, prefix, taken, max(start, int(within.network_address))) or \
            _first_free(within, prefix, taken, int(within.network_address))
    return _first_free(within, prefix, taken, int(within.network_address))


def _first_free(within, prefix, taken, first):
    size = 2 ** (32 - prefix)
    candidate = ((first + size - 1) // size) * size
    for low, high in sorted(taken):
        if candidate + size - 1 < low:
            break
        if high >= candidate:
            candidate = ((high + 1 + size - 1) // size) * size
    if candidate + size - 1 > int(within.broadcast_address):
        return None
    return ipaddress.IPv4Network((candidate, prefix))
