"""Which addresses a webhook may not reach (SSRF): private, loopback, link-local and every
other address that is not globally routable, unless the deployment allows them. Checked
when a subscription is made and again, on the resolved addresses, at each delivery."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit


class Refused(ValueError):
    """Why a URL or an address may not be used for a webhook."""


def forbidden_address(address: str) -> bool:
    """True for any address that is not public: private ranges, loopback, link-local (the
    cloud metadata service lives there), multicast, reserved and unspecified; an IPv4
    address mapped into IPv6 is judged as the IPv4 address it is."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def check_resolved(addresses: Iterable[str], allow_private: bool) -> None:
    found = list(addresses)
    if not found:
        raise Refused("the host does not resolve")
    if allow_private:
        return
    for address in found:
        if forbidden_address(address):
            raise Refused(f"the host resolves to a non-public address ({address})")


def check_url(url: str, require_https: bool, allow_private: bool) -> str:
    """The URL's host, if the URL may be a webhook endpoint; Refused otherwise. An address
    literal is judged here; a name is judged once resolved (check_resolved)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise Refused("must be an http(s) URL")
    if require_https and parts.scheme != "https":
        raise Refused("must be https")
    if parts.username is not None or parts.password is not None:
        raise Refused("must not carry credentials")
    host = parts.hostname
    if not host:
        raise Refused("must name a host")
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError as error:
        raise Refused("has an invalid port") from error
    if not allow_private:
        try:
            literal = forbidden_address(host)
        except ValueError:
            literal = False
            if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
                raise Refused("names a local host") from None
        if literal:
            raise Refused(f"names a non-public address ({host})")
    return host
