"""Rule 14: what a record keeps of the visitor is reduced before it is stored."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consent_sdk.privacy import browser_family, truncate_ip


@pytest.mark.parametrize(
    ("address", "kept"),
    [
        ("203.0.113.77", "203.0.113.0"),
        ("10.1.2.255", "10.1.2.0"),
        ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::"),
        ("::ffff:198.51.100.9", "198.51.100.0"),
        ("  192.0.2.1 ", "192.0.2.0"),
        ("not-an-ip", None),
        ("", None),
        (None, None),
    ],
)
def test_rule_14_ip_addresses_are_truncated(address: str | None, kept: str | None) -> None:
    assert truncate_ip(address) == kept


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.ip_addresses(v=4) | st.ip_addresses(v=6) | st.ip_addresses(v=4).map(lambda a: f"::ffff:{a}")
)
def test_any_address_keeps_exactly_its_network(address: object) -> None:
    ip = ipaddress.ip_address(str(address))
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    network = ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
    assert truncate_ip(str(address)) == str(network.network_address)


@pytest.mark.parametrize(
    ("agent", "family"),
    [
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/156.0.0.0 Safari/537.36",
            "Chrome",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0",
            "Firefox",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
            "Mobile Safari",
        ),
        ("curl/8.5.0", "curl"),
        ("", None),
        (None, None),
    ],
)
def test_rule_14_user_agent_is_reduced_to_browser_family(
    agent: str | None, family: str | None
) -> None:
    assert browser_family(agent) == family
