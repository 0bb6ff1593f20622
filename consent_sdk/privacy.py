"""Data minimisation for consent records: truncated IP addresses and browser families."""

from __future__ import annotations

import ipaddress
from functools import lru_cache


def truncate_ip(address: str | None) -> str | None:
    """Keep the network part only: IPv4 /24, IPv6 /48 (rule 14). Unparseable input gives None."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # The network address of its /24 or /48, by masking the host bits off the integer: what
    # ``ip_network(f"{ip}/24", strict=False).network_address`` gives, at a third of the cost
    # (it runs on every decision).
    host_bits = ip.max_prefixlen - (24 if ip.version == 4 else 48)
    return str(type(ip)(int(ip) >> host_bits << host_bits))


@lru_cache(maxsize=512)
def browser_family(user_agent: str | None) -> str | None:
    """The browser's family ("Firefox", "Chrome Mobile") instead of the raw user agent.

    ua-parser holds the maintained regexes; a raw user agent string is a fingerprinting aid
    that the record does not need (rule 14).
    """
    if not user_agent:
        return None
    from ua_parser import parse_user_agent

    parsed = parse_user_agent(user_agent[:512])
    return parsed.family if parsed is not None else "Other"
