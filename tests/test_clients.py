"""The client address behind trusted reverse proxies, and never one a client made up."""

from __future__ import annotations

from ipaddress import ip_network
from typing import Any

import pytest

from feedback.api.clients import client_address

TRUSTED = (ip_network("127.0.0.1"), ip_network("10.0.0.0/8"), ip_network("::1"), ip_network("fd00::/8"))


def scope(peer: str | None, *forwarded_for: str) -> dict[str, Any]:
    headers = [(b"host", b"feedback.example.vn")]
    headers += [(b"x-forwarded-for", line.encode("latin-1")) for line in forwarded_for]
    return {"type": "http", "client": None if peer is None else (peer, 50123), "headers": headers}


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        pytest.param("203.0.113.7", [], "203.0.113.7", id="untrusted peer, no header"),
        pytest.param("127.0.0.1", [], "127.0.0.1", id="trusted peer, no header"),
        pytest.param("203.0.113.7", ["198.51.100.1"], "203.0.113.7", id="untrusted peer, spoofed header ignored"),
        pytest.param("203.0.113.7", ["10.0.0.2"], "203.0.113.7", id="untrusted peer, spoofed proxy ignored"),
        pytest.param("127.0.0.1", ["203.0.113.7"], "203.0.113.7", id="one trusted hop"),
        pytest.param(
            "10.0.0.1",
            ["198.51.100.9, 203.0.113.7, 10.0.0.2,10.0.0.3"],
            "203.0.113.7",
            id="chain of trusted proxies, client's own left part ignored",
        ),
        pytest.param(
            "127.0.0.1", ["203.0.113.7, not-an-ip, 10.0.0.2"], "10.0.0.2", id="garbage stops at last trusted hop"
        ),
        pytest.param("127.0.0.1", ["203.0.113.7, garbage"], "127.0.0.1", id="garbage next to the peer"),
        pytest.param("127.0.0.1", ["203.0.113.7, , 10.0.0.2"], "10.0.0.2", id="empty entry is garbage"),
        pytest.param("127.0.0.1", [""], "127.0.0.1", id="empty header"),
        pytest.param("127.0.0.1", ["10.0.0.5, 10.0.0.2"], "10.0.0.5", id="all trusted, leftmost"),
        pytest.param("::1", ["[2001:db8::1]:4711"], "2001:db8::1", id="bracketed IPv6 with port"),
        pytest.param("::1", ["[2001:DB8:0::1]"], "2001:db8::1", id="bracketed IPv6 without port"),
        pytest.param("::1", ["2001:db8::1"], "2001:db8::1", id="bare IPv6"),
        pytest.param("::1", ["203.0.113.7:5678"], "203.0.113.7", id="IPv4 with port"),
        pytest.param("::1", ["203.0.113.7:port"], "::1", id="IPv4 with a bad port is garbage"),
        pytest.param("::1", ["::ffff:203.0.113.7"], "203.0.113.7", id="IPv4-mapped entry"),
        pytest.param("::1", ["203.0.113.7, ::ffff:10.0.0.2"], "203.0.113.7", id="IPv4-mapped trusted proxy"),
        pytest.param("::ffff:127.0.0.1", ["203.0.113.7"], "203.0.113.7", id="IPv4-mapped trusted peer"),
        pytest.param("::ffff:203.0.113.7", [], "203.0.113.7", id="IPv4-mapped untrusted peer"),
        pytest.param("2001:DB8::0:1", [], "2001:db8::1", id="peer normalized"),
        pytest.param("fd00::5", ["203.0.113.7", "10.0.0.2"], "203.0.113.7", id="header lines joined"),
        pytest.param("127.0.0.1", ["198.51.100.1", "203.0.113.7"], "203.0.113.7", id="last header line is rightmost"),
        pytest.param("testclient", ["203.0.113.7"], "testclient", id="peer that is not an address"),
    ],
)
def test_client_address(peer: str, forwarded_for: list[str], client: str) -> None:
    assert client_address(scope(peer, *forwarded_for), TRUSTED) == client


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert client_address(scope("127.0.0.1", "203.0.113.7"), ()) == "127.0.0.1"


def test_no_client_is_none() -> None:
    assert client_address(scope(None, "203.0.113.7"), TRUSTED) is None


@pytest.mark.parametrize(
    ("forwarded_for", "client"),
    [(["203.0.113.7"], "203.0.113.7"), (["203.0.113.7, 10.0.0.2"], "203.0.113.7"), ([], None), (["junk"], None)],
)
def test_behind_a_trusted_unix_socket_the_header_names_the_client(forwarded_for: list[str], client: str | None) -> None:
    assert client_address(scope(None, *forwarded_for), (*TRUSTED, "unix")) == client
