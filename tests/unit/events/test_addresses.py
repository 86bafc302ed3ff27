"""Which webhook URLs and resolved addresses are refused (SSRF)."""

from __future__ import annotations

import pytest

from app.domain.events.addresses import Refused, check_resolved, check_url, forbidden_address


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # the cloud metadata service
        "0.0.0.0",
        "100.64.0.1",  # carrier-grade NAT
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "224.0.0.1",
    ],
)
def test_non_public_addresses_are_forbidden(address: str) -> None:
    assert forbidden_address(address)
    with pytest.raises(Refused):
        check_resolved([address], allow_private=False)
    check_resolved([address], allow_private=True)


@pytest.mark.parametrize("address", ["8.8.8.8", "151.101.0.1", "2a00:1450:4009:81f::200e"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert not forbidden_address(address)
    check_resolved([address], allow_private=False)


def test_one_private_address_among_public_ones_refuses_the_host() -> None:
    with pytest.raises(Refused):
        check_resolved(["8.8.8.8", "10.0.0.1"], allow_private=False)


def test_a_host_that_does_not_resolve_is_refused_even_when_private_is_allowed() -> None:
    with pytest.raises(Refused):
        check_resolved([], allow_private=True)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/x", "https"),
        ("ftp://hooks.example.com/x", "http(s)"),
        ("https://user:pw@hooks.example.com/x", "credentials"),
        ("https://127.0.0.1/x", "non-public"),
        ("https://[::1]/x", "non-public"),
        ("https://169.254.169.254/latest", "non-public"),
        ("https://localhost/x", "local"),
        ("https:///x", "host"),
        ("https://hooks.example.com:99999/x", "port"),
    ],
)
def test_urls_refused_when_subscribing(url: str, why: str) -> None:
    with pytest.raises(Refused, match=why.replace("(", r"\(").replace(")", r"\)")):
        check_url(url, require_https=True, allow_private=False)


def test_development_may_allow_http_and_loopback() -> None:
    assert check_url("http://127.0.0.1:9000/h", require_https=False, allow_private=True) == (
        "127.0.0.1"
    )
    assert check_url("https://hooks.example.com/h", True, False) == "hooks.example.com"
