"""Outbound-request safety: which URLs and addresses tracker may fetch.

Link checking fetches URLs that people typed, from a server inside the
newsroom. By default it refuses every address that is not public (loopback,
private, link-local such as 169.254.169.254, multicast, reserved, unspecified,
for IPv4 and IPv6), every scheme but http/https, URLs with credentials, and
ports other than 80 and 443.

The check happens twice: on the URL before any request (and on every redirect
hop, see :mod:`tracker.links`), and on the address actually connected to, by
:class:`GuardedBackend`, which resolves the name itself, refuses the
connection if any resolved address is not allowed, and connects to the
address it checked. TLS still verifies the certificate against the host name.

Host names made only of numbers (``0177.0.0.1``, ``0x7f.1``, ``2130706433``)
are refused rather than guessed at: resolvers read them as octal, hex or
short IPv4 forms, and libraries disagree on which.

``TRACKER_LINKCHECK_ALLOW`` (comma-separated CIDRs and host names) or
``allow_private=True`` opens this deliberately, e.g. for tests and intranet
sources; hosts and networks in the allow list may also use any port.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
import socket
import ssl
import typing
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import anyio
import httpcore
import httpx

from ..errors import UnsafeURL

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
DEFAULT_PORTS = frozenset({80, 443})
MAX_URL_CHARS = 8192  # what common servers accept; httpx itself stops at 65536
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*\.?$", re.IGNORECASE)


def shown(value: str, width: int = 100) -> str:
    """``value`` quoted for a one-line message, shortened when long."""
    if len(value) <= width:
        return repr(value)
    return f"{value[:width]!r}... ({len(value):,} characters)"


class BlockedAddress(UnsafeURL):
    """A host resolved to an address the policy refuses."""


class ResolutionFailed(Exception):
    """The host name did not resolve (error class ``dns``)."""


def _is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        return _is_public(ip.ipv4_mapped)
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


@dataclass(frozen=True)
class LinkPolicy:
    """What the link checker may reach."""

    allow_private: bool = False
    allow_networks: tuple[IPNetwork, ...] = ()
    allow_hosts: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_env(cls, *, allow_private: bool = False, extra: str | None = None) -> LinkPolicy:
        spec = ",".join(filter(None, [os.environ.get("TRACKER_LINKCHECK_ALLOW", ""), extra or ""]))
        return cls.parse(spec, allow_private=allow_private)

    @classmethod
    def parse(cls, spec: str, *, allow_private: bool = False) -> LinkPolicy:
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        for item in (part.strip() for part in spec.split(",")):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item.strip("[]"), strict=False))
            except ValueError:
                hosts.add(item.lower().rstrip("."))
        return cls(allow_private, tuple(networks), frozenset(hosts))

    def host_listed(self, host: str) -> bool:
        host = host.lower().rstrip(".").strip("[]")
        if host in self.allow_hosts:
            return True
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(ip in net for net in self.allow_networks)

    def check_address(self, host: str, address: str) -> None:
        """Refuse ``address`` (resolved from ``host``) unless it is public or allowed."""
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if self.allow_private or _is_public(ip):
            return
        if host.lower().rstrip(".") in self.allow_hosts:
            return
        if any(ip in net for net in self.allow_networks):
            return
        where = f"{ip} is" if host.strip("[]") == address else f"{host} resolves to {ip},"
        raise BlockedAddress(
            f"{where} a non-public address "
            f"({_kind(ip)}); link checking refuses it unless TRACKER_LINKCHECK_ALLOW lists it"
        )

    def check_url(self, url: str) -> tuple[str, int]:
        """Static checks before any request: scheme, credentials, port, literal IPs."""
        if len(url) > MAX_URL_CHARS:
            raise UnsafeURL(f"{shown(url)}: URLs longer than {MAX_URL_CHARS:,} are not fetched")
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError as exc:
            raise UnsafeURL(f"{shown(url)}: malformed URL ({exc})") from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise UnsafeURL(
                f"{shown(url)}: only http and https URLs are checked, not {scheme or 'none'}"
            )
        if parts.username is not None or parts.password is not None:
            raise UnsafeURL(f"{shown(url)}: URLs with credentials are not fetched")
        if not host:
            raise UnsafeURL(f"{shown(url)}: no host")
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            raise UnsafeURL(f"{shown(url)}: invalid port") from None
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        if literal is not None:
            self.check_address(host, str(literal))
        elif _NUMERIC_HOST.match(host):
            raise UnsafeURL(
                f"{shown(url)}: host {host!r} is not a plain IP address (octal, hex and "
                "short IPv4 forms are refused); write it as four decimal numbers"
            )
        listed = self.allow_private or self.host_listed(host)
        if port not in DEFAULT_PORTS and not listed:
            raise UnsafeURL(f"{shown(url)}: port {port} is not allowed (only 80 and 443)")
        return host, port


def _kind(ip: IPAddress) -> str:
    for name in ("loopback", "link_local", "private", "multicast", "reserved", "unspecified"):
        if getattr(ip, f"is_{name}"):
            return name.replace("_", "-")
    return "not global"


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks and connects to the checked address; never to another."""

    def __init__(self, policy: LinkPolicy) -> None:
        self.policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise ResolutionFailed(f"{host}: {exc.strerror or exc}") from exc
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        addresses = [str(info[4][0]) for info in infos]
        if not addresses:
            raise ResolutionFailed(f"{host}: no addresses")
        for address in addresses:  # every address, so a rebinding answer cannot slip through
            self.policy.check_address(host, address)
        return await self._inner.connect_tcp(
            addresses[0],
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise UnsafeURL("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for all checker clients (loading CA files is slow)."""
    return httpx.create_ssl_context(trust_env=False)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """An httpx transport whose every connection goes through :class:`GuardedBackend`."""

    def __init__(self, policy: LinkPolicy, *, max_connections: int = 100) -> None:
        super().__init__(verify=_ssl_context(), trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(policy),
        )


def guarded_client(
    policy: LinkPolicy, *, timeout: float, user_agent: str, max_connections: int = 100
) -> httpx.AsyncClient:
    """An AsyncClient for user-supplied URLs: no env proxies, no automatic redirects."""
    return httpx.AsyncClient(
        transport=GuardedTransport(policy, max_connections=max_connections),
        timeout=timeout,
        follow_redirects=False,
        headers={"User-Agent": user_agent},
        trust_env=False,
    )
