"""Probe a DR stack's public endpoints: does each host resolve, and does it answer over TLS? (EDGE-06)

`groundwork dr drill --endpoint HOST` runs this against a rehearsal DR stack, whose hosts are
`<first label>-dr.<domain>` (`groundwork dr plan --rehearsal`), so production's records and traffic
are never touched. A host "answers" when an HTTPS request to it completes with a certificate valid
for the host and a status below 500 (a 404 from the API's root still proves the path DNS -> load
balancer -> service works). The resolver and the fetcher are parameters so the tests run offline.
"""

from __future__ import annotations

import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

Resolve = Callable[[str], list[str]]
Fetch = Callable[[str], int]  # URL -> HTTP status; raises on TLS or connection failure


def dns_resolve(host: str) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)})


def https_status(url: str, timeout: float = 10.0) -> int:
    request = urllib.request.Request(url, method="GET", headers={"User-Agent": "groundwork-dr-drill"})
    context = ssl.create_default_context()  # verifies the chain and the host name
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:  # an HTTP answer, just not 2xx
        return int(exc.code)


@dataclass(frozen=True)
class Probe:
    host: str
    addresses: tuple[str, ...]
    status: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.addresses) and self.status is not None and self.status < 500 and not self.error

    def render(self) -> str:
        if not self.addresses:
            return f"  endpoint      {self.host}: does not resolve ({self.error})"
        head = f"  endpoint      {self.host} -> {', '.join(self.addresses)}"
        if self.error:
            return f"{head}: no answer ({self.error})"
        return f"{head}: HTTPS {self.status}{'' if self.ok else ' (server error)'}"


def probe(host: str, path: str = "/", *, resolve: Resolve = dns_resolve, fetch: Fetch = https_status) -> Probe:
    try:
        addresses = tuple(resolve(host))
    except OSError as exc:
        return Probe(host, (), None, str(exc) or type(exc).__name__)
    if not addresses:
        return Probe(host, (), None, "no address")
    try:
        return Probe(host, addresses, fetch(f"https://{host}{path}"))
    except (OSError, ssl.SSLError, urllib.error.URLError) as exc:
        return Probe(host, addresses, None, str(getattr(exc, "reason", exc)) or type(exc).__name__)


def rehearsal_host(host: str) -> str:
    """`api.example.com` -> `api-dr.example.com`: in the same zone, distinct from production's name."""
    first, _, rest = host.partition(".")
    return f"{first}-dr.{rest}"
