"""Outbound HTTP to addresses that users typed: the one SSRF guard every such request goes through.

Mastodon instance URLs, Bluesky PDS URLs, RSS feeds, webhooks and media URLs are all chosen by
users, so a request to one of them must never reach the smm server itself, the private network it
sits in, or a cloud metadata service. Every request made here:

- resolves the host once, refuses the request if ANY resolved address is not public, and then
  connects to the address it checked. The HTTP library never resolves the name a second time, so
  a DNS answer that changes between the check and the connection (DNS rebinding) cannot redirect it.
  TLS still sends the hostname as SNI and verifies the certificate against the hostname, and the
  Host header still names the host;
- accepts only http and https, without a user name or password in the address;
- accepts any port from 1 to 65535: instances and webhook receivers do run on unusual ports, and
  it is the address check, not the port, that keeps requests away from internal services;
- re-checks every redirect target before following it, follows at most 5, and refuses a redirect
  from https to http;
- stops reading a response past `max_bytes` (counted after decompression) and gives up after the
  connect and read timeouts or an overall deadline per request, whichever comes first.

Use `check_url` to validate an address a user typed (a form), `safe_get` for a one-off request,
`safe_session` for libraries built on requests (Mastodon.py takes `session=`) and
`safe_httpx_client` for libraries built on httpx (atproto). Set `OUTBOUND_ALLOW_LOOPBACK = True`
only for tests and local development against stand-in servers on 127.0.0.1 or ::1.

Not suitable for long-lived streams (the Mastodon streaming API): the body is read into memory,
up to `max_bytes`, before the response is returned. Proxies are not supported, because a proxy
would resolve the name itself, after our check.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import ssl
import time
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

import httpcore
import httpx
import idna
import requests
import urllib3.exceptions
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from requests.adapters import BaseAdapter, HTTPAdapter

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 20.0)
DEFAULT_DEADLINE = 60.0
MAX_REDIRECTS = 5

_DEFAULT_PORTS = {"http": 80, "https": 443}
_READ_CHUNK_BYTES = 64 * 1024

# Addresses of instance metadata services. They get their own message because they are the usual
# SSRF target. 168.63.129.16 (Azure's WireServer) sits in public space, so only this list stops it.
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "168.63.129.16", "192.0.0.192")
)
_LOOPBACK_V4 = ipaddress.IPv4Network("127.0.0.0/8")
_LOOPBACK_V6 = ipaddress.IPv6Address("::1")
_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",  # carrier-grade NAT
        "169.254.0.0/16",  # link-local
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated, still routed by some networks)
    )
)
# Listed explicitly rather than trusting `is_global` alone, whose ranges vary between Python
# releases (3.11 calls 192.0.0.0/24 and multicast global, for example).
_SPECIAL_V4_NETWORKS = tuple(
    ipaddress.IPv4Network(network)
    for network in (
        "0.0.0.0/8",  # "this network", including the unspecified 0.0.0.0
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # deprecated 6to4 relay anycast
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, including the broadcast 255.255.255.255
    )
)
# Only 2000::/3 is handed out as public unicast; the rest of the space is reserved, local,
# multicast, or embeds an IPv4 address (::/96 compatible, ::ffff:0:0/96 mapped).
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
_SPECIAL_V6_NETWORKS = tuple(
    ipaddress.IPv6Network(network)
    for network in (
        "2001::/32",  # Teredo: the tunnel endpoint is an IPv4 address we cannot check
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation (RFC 9637)
    )
)
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")

# A host whose last label is a number is an IPv4 address to browsers and to inet_aton, which also
# reads 2130706433, 0177.0.0.1, 0x7f.1 and 127.1 as 127.0.0.1 (WHATWG URL "ends in a number").
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)", re.IGNORECASE)
_DNS_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_FORBIDDEN_URL_CHARACTERS = re.compile(r"[\x00-\x20\x7f\\]")

# A prepared request that must not be sent carries the refusal code under this name: the session
# marks redirects from https to http, and the adapter refuses them before connecting.
_REFUSAL_ATTRIBUTE = "_smm_outbound_refusal"
_CHECKED_ATTRIBUTE = "_smm_outbound_checked"


class UnsafeURLError(ValueError):
    """A URL smm refuses to fetch. The message is written for the person who typed the URL."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class HostNotFoundError(UnsafeURLError):
    """The host name did not resolve. Often temporary, so the transports turn it into a connection error."""


class ResponseTooLargeError(Exception):
    """The response body grew past the size limit and was not read further."""


@dataclass(frozen=True)
class CheckedURL:
    """A URL that passed the checks, with the addresses its host resolved to (all of them public)."""

    url: str
    scheme: str
    host: str  # lower case ASCII (IDNA), no trailing dot, IPv6 without brackets
    port: int
    addresses: tuple[IPAddress, ...]

    @property
    def address(self) -> IPAddress:
        """The address requests connect to: the first one the resolver returned."""
        return self.addresses[0]

    @property
    def host_header(self) -> str:
        """The Host header value a client would send had it connected by name."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


_MESSAGES = {
    "scheme": gettext_lazy("smm can only open web addresses that start with http:// or https://."),
    "malformed": gettext_lazy("That doesn’t look like a complete web address. Check it for typos."),
    "credentials": gettext_lazy(
        "Web addresses with a user name or password in them are not supported. Remove the part before the “@” sign."
    ),
    "number_format": gettext_lazy(
        "That address is a number written in an unusual way, which smm does not accept. Use the site’s name instead."
    ),
    "loopback": gettext_lazy("That address points to the smm server itself, which smm does not contact."),
    "private": gettext_lazy("That address points to a private network, which smm does not contact."),
    "metadata": gettext_lazy("That address points to a cloud provider’s internal service, which smm does not contact."),
    "special": gettext_lazy("That address is not an ordinary public internet address, so smm does not contact it."),
    "not_found": gettext_lazy("smm could not find that website. Check the address for typos."),
    "insecure_redirect": gettext_lazy(
        "That website forwarded smm from a secure (https) address to an insecure (http) one, so smm stopped."
    ),
}


def _refuse(code: str, host: str | None = None) -> UnsafeURLError:
    # Log the host and the reason only: paths and query strings can carry tokens.
    logger.info("Outbound request refused (%s): host=%r", code, host)
    error_class = HostNotFoundError if code == "not_found" else UnsafeURLError
    return error_class(str(_MESSAGES[code]), code=code)


def _loopback_allowed() -> bool:
    return bool(getattr(settings, "OUTBOUND_ALLOW_LOOPBACK", False))


def _refusal_code_v4(address: ipaddress.IPv4Address, *, allow_loopback: bool) -> str | None:
    if address in _METADATA_ADDRESSES:
        return "metadata"
    if address in _LOOPBACK_V4:
        return None if allow_loopback else "loopback"
    if any(address in network for network in _PRIVATE_NETWORKS):
        return "private"
    if not address.is_global or any(address in network for network in _SPECIAL_V4_NETWORKS):
        return "special"
    return None


def _refusal_code_v6(address: ipaddress.IPv6Address, *, allow_loopback: bool) -> str | None:
    if address.scope_id is not None:
        return "special"
    if address in _METADATA_ADDRESSES:
        return "metadata"
    if address == _LOOPBACK_V6:
        return None if allow_loopback else "loopback"
    # Forms that carry an IPv4 address: judge the embedded address, never allowing loopback through
    # them (a NAT64 gateway would connect to its own 127.0.0.1). Mapped and compatible addresses are
    # refused even when the embedded address is public: nobody publishes those in DNS.
    mapped = address.ipv4_mapped
    if mapped is not None:
        return _refusal_code_v4(mapped, allow_loopback=False) or "special"
    if address in _NAT64_WELL_KNOWN:
        embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        return _refusal_code_v4(embedded, allow_loopback=False)
    if address.sixtofour is not None:
        return _refusal_code_v4(address.sixtofour, allow_loopback=False)
    if any(address in network for network in _PRIVATE_NETWORKS):
        return "private"
    if (
        address not in _GLOBAL_UNICAST_V6
        or not address.is_global
        or any(address in network for network in _SPECIAL_V6_NETWORKS)
    ):
        return "special"
    return None


def address_refusal_code(address: IPAddress, *, allow_loopback: bool = False) -> str | None:
    """Why smm refuses to connect to `address` ("loopback", "private", "metadata", "special"), or None."""
    if isinstance(address, ipaddress.IPv4Address):
        return _refusal_code_v4(address, allow_loopback=allow_loopback)
    return _refusal_code_v6(address, allow_loopback=allow_loopback)


def _split(url: str) -> SplitResult:
    if not isinstance(url, str) or not url or _FORBIDDEN_URL_CHARACTERS.search(url):
        raise _refuse("malformed")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise _refuse("malformed") from None
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        raise _refuse("scheme")
    if not parts.netloc:
        raise _refuse("malformed")
    if "@" in parts.netloc:
        raise _refuse("credentials")
    return parts


def _port(parts: SplitResult, scheme: str) -> int:
    try:
        port = parts.port
    except ValueError:
        raise _refuse("malformed", parts.hostname) from None
    if port is None:
        return _DEFAULT_PORTS[scheme]
    if not 1 <= port <= 65535:
        raise _refuse("malformed", parts.hostname)
    return port


def _normalize_host(parts: SplitResult) -> tuple[str, IPAddress | None]:
    """The ASCII host name to resolve, or the IP address the URL names directly."""
    host = parts.hostname or ""
    if parts.netloc.startswith("["):
        # Zone IDs ("%eth0") pick a local interface; no public address needs one.
        if "%" in host:
            raise _refuse("malformed", host)
        try:
            return host, ipaddress.IPv6Address(host)
        except ValueError:
            raise _refuse("malformed", host) from None
    if not host.isascii():
        # The same UTS 46 mapping requests and httpx apply: "ⓛⓞⓒⓐⓛⓗⓞⓢⓣ" and full-width digits
        # become "localhost" and "127.0.0.1" here too, and are judged as such.
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            raise _refuse("malformed", host) from None
    host = host.lower()
    if host.endswith("."):
        host = host[:-1]
    labels = host.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        try:
            # Strict dotted quad only: ipaddress refuses leading zeros, hex and short forms.
            return host, ipaddress.IPv4Address(host)
        except ValueError:
            raise _refuse("number_format", host) from None
    if len(host) > 253 or not all(_DNS_LABEL.fullmatch(label) for label in labels):
        raise _refuse("malformed", host)
    return host, None


def _resolve(host: str, port: int) -> tuple[IPAddress, ...]:
    try:
        # Looked up through the module so tests can stand in for DNS.
        results = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise _refuse("not_found", host) from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canonical_name, sockaddr in results:
        try:
            address = ipaddress.ip_address(sockaddr[0])
        except ValueError:
            # An answer we cannot read (an unknown family) is not one we can vouch for.
            raise _refuse("special", host) from None
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise _refuse("not_found", host)
    return tuple(addresses)


def check_url(url: str) -> CheckedURL:
    """Validate `url` and resolve its host once; raise UnsafeURLError unless every address is public.

    Any resolved address that is not public refuses the whole URL, because the HTTP client could
    pick any of them. With OUTBOUND_ALLOW_LOOPBACK, 127.0.0.0/8 and ::1 count as public.
    """
    parts = _split(url)
    scheme = parts.scheme.lower()
    port = _port(parts, scheme)
    host, literal = _normalize_host(parts)
    addresses = (literal,) if literal is not None else _resolve(host, port)
    allow_loopback = _loopback_allowed()
    for address in addresses:
        code = address_refusal_code(address, allow_loopback=allow_loopback)
        if code is not None:
            raise _refuse(code, host)
    return CheckedURL(url=url, scheme=scheme, host=host, port=port, addresses=addresses)


def _too_large(host: str, max_bytes: int) -> ResponseTooLargeError:
    logger.info("Outbound response cut at %d bytes: host=%r", max_bytes, host)
    return ResponseTooLargeError(
        _("The response from %(host)s was larger than %(limit)s, so smm stopped reading it.")
        % {"host": host, "limit": filesizeformat(max_bytes)}
    )


def _declared_length(method: str | None, status: int, headers: Mapping[str, str]) -> int | None:
    """The body size the server announces, if there is a body (HEAD, 204 and 304 have none)."""
    if method == "HEAD" or status in (204, 304):
        return None
    value = headers.get("Content-Length", "").strip()
    return int(value) if value.isdigit() else None


def _capped_timeouts(requested: object, ceiling: tuple[float, float], remaining: float) -> tuple[float, float]:
    """The caller's (connect, read) timeouts, but never longer than ours or than the time left."""
    if isinstance(requested, tuple) and len(requested) == 2:
        wanted = requested
    elif isinstance(requested, int | float):
        wanted = (requested, requested)
    else:
        # None, or a urllib3 Timeout object a library built: ours apply.
        wanted = ceiling
    connect, read = (
        min(limit, float(value)) if isinstance(value, int | float) else limit
        for value, limit in zip(wanted, ceiling, strict=True)
    )
    return max(0.001, min(connect, remaining)), max(0.001, min(read, remaining))


# requests ---------------------------------------------------------------------------------------


class _PinnedAdapter(HTTPAdapter):
    """Checks every request it sends and connects to the checked address, keeping TLS on the name."""

    def __init__(self, *, max_bytes: int, timeout: tuple[float, float], deadline: float) -> None:
        super().__init__()
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.deadline = deadline

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send one request (redirects are the session's business: it calls this once per hop)."""
        refusal = getattr(request, _REFUSAL_ATTRIBUTE, None)
        if refusal is not None:
            raise _refuse(refusal, urlsplit(request.url or "").hostname)
        if proxies and any(proxies.values()):
            raise ValueError("smm.lib.http does not send requests through proxies: they resolve the host themselves.")
        try:
            checked = check_url(request.url or "")
        except HostNotFoundError as error:
            raise requests.exceptions.ConnectionError(str(error), request=request) from error
        ends_at = time.monotonic() + self.deadline
        connect_timeout, read_timeout = _capped_timeouts(timeout, self.timeout, self.deadline)

        # A copy carries the Host header and the pin, so the caller's request (which requests copies
        # for the next redirect hop) keeps neither.
        pinned = request.copy()
        pinned.headers["Host"] = checked.host_header
        setattr(pinned, _CHECKED_ATTRIBUTE, checked)
        response = super().send(
            pinned, stream=True, timeout=(connect_timeout, read_timeout), verify=verify, cert=cert, proxies=None
        )
        response.request = request
        # Read the body here even for stream=True: a library's plain `session.request(...)` must be
        # capped too, and we only see the response once.
        self._read_body(response, checked.host, ends_at, read_timeout)
        return response

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Point the connection pool at the checked address; TLS keeps verifying the host name."""
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        checked = getattr(request, _CHECKED_ATTRIBUTE, None)
        if not isinstance(checked, CheckedURL):
            # Fail closed: only requests that went through send() may get a connection.
            raise RuntimeError("smm.lib.http: refusing to connect for a request that was not checked.")
        host_params["host"] = str(checked.address)
        if checked.scheme == "https":
            # urllib3 sends server_hostname as SNI and matches the certificate against
            # assert_hostname, instead of the IP address the pool connects to. Both are part of the
            # pool key, so a connection verified for one name is never reused for another.
            pool_kwargs["server_hostname"] = checked.host
            pool_kwargs["assert_hostname"] = checked.host
        return host_params, pool_kwargs

    def _read_body(self, response: requests.Response, host: str, ends_at: float, read_timeout: float) -> None:
        raw = response.raw
        chunks: list[bytes] = []
        size = 0
        deadline_bound = False
        try:
            declared = _declared_length(response.request.method, response.status_code, response.headers)
            if declared is not None and declared > self.max_bytes:
                raise _too_large(host, self.max_bytes)
            while True:
                remaining = ends_at - time.monotonic()
                if remaining <= 0:
                    raise self._past_deadline(response)
                # read1 returns whatever arrived, so a server that trickles bytes cannot hold a read
                # open past the deadline; the socket timeout bounds a read that gets nothing.
                sock = getattr(getattr(raw, "connection", None), "sock", None)
                if sock is not None:
                    deadline_bound = remaining < read_timeout
                    sock.settimeout(min(read_timeout, remaining))
                chunk = raw.read1(_READ_CHUNK_BYTES, decode_content=True)
                if not chunk:
                    break
                size += len(chunk)
                if size > self.max_bytes:
                    raise _too_large(host, self.max_bytes)
                chunks.append(chunk)
        except urllib3.exceptions.ReadTimeoutError as error:
            response.close()
            if deadline_bound:
                raise self._past_deadline(response) from error
            raise requests.exceptions.ReadTimeout(error, request=response.request) from error
        except urllib3.exceptions.ProtocolError as error:
            response.close()
            raise requests.exceptions.ChunkedEncodingError(error, request=response.request) from error
        except urllib3.exceptions.DecodeError as error:
            response.close()
            raise requests.exceptions.ContentDecodingError(error, request=response.request) from error
        except urllib3.exceptions.SSLError as error:
            response.close()
            raise requests.exceptions.SSLError(error, request=response.request) from error
        except BaseException:
            response.close()
            raise
        # What Response.content would have stored; iter_content() and .text then serve from it.
        response._content = b"".join(chunks)
        response._content_consumed = True
        raw.release_conn()

    def _past_deadline(self, response: requests.Response) -> requests.exceptions.ReadTimeout:
        return requests.exceptions.ReadTimeout(
            f"The response took longer than {self.deadline:g} seconds.", request=response.request
        )


class _SafeSession(requests.Session):
    """A Session whose only transport is _PinnedAdapter and which refuses https-to-http redirects."""

    def get_adapter(self, url: str) -> BaseAdapter:
        if not url.lower().startswith(("http://", "https://")):
            raise _refuse("scheme")
        adapter = super().get_adapter(url)
        if not isinstance(adapter, _PinnedAdapter):
            # Someone mounted another adapter on this session; it would skip the checks.
            raise TypeError("smm.lib.http: a safe session only sends through its own adapter.")
        return adapter

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        # Called once per redirect hop, with the previous response, before the hop is sent (or handed
        # back as `response.next` when redirects are not followed). Marking the request rather than
        # raising here keeps `allow_redirects=False` usable; the adapter refuses a marked request.
        super().rebuild_auth(prepared_request, response)
        if _scheme(response.url) == "https" and _scheme(prepared_request.url) == "http":
            setattr(prepared_request, _REFUSAL_ATTRIBUTE, "insecure_redirect")


def _scheme(url: str | None) -> str:
    return urlsplit(url or "").scheme.lower()


def safe_session(
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    deadline: float = DEFAULT_DEADLINE,
) -> requests.Session:
    """A requests Session that checks and pins every request and redirect hop, for smm code and libraries.

    Timeouts a caller passes are capped at `timeout`; `deadline` bounds each hop from sending to the
    last body byte. Errors: UnsafeURLError (permanent), ResponseTooLargeError, requests.TooManyRedirects
    past 5 redirects, and the usual requests exceptions (ConnectionError also when DNS fails).
    """
    session = _SafeSession()
    # trust_env off: no proxies from the environment (they would resolve the host after our check)
    # and no .netrc credentials sent to hosts users typed.
    session.trust_env = False
    session.max_redirects = MAX_REDIRECTS
    adapter = _PinnedAdapter(max_bytes=max_bytes, timeout=timeout, deadline=deadline)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def safe_get(
    url: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    deadline: float = DEFAULT_DEADLINE,
    **kwargs: Any,
) -> requests.Response:
    """GET `url` through a fresh safe_session; other keyword arguments go to `Session.get`."""
    with safe_session(max_bytes=max_bytes, timeout=timeout, deadline=deadline) as session:
        return session.get(url, **kwargs)


# httpx ------------------------------------------------------------------------------------------

# The checked (host, address) of the request the transport is sending in this thread or task. The
# network backend connects only to it: httpcore opens connections inside handle_request, on the
# calling thread, so the pin cannot leak to another request.
_PIN: ContextVar[tuple[str, str] | None] = ContextVar("smm_outbound_pin", default=None)
_REFUSAL_EXTENSION = "smm_outbound_refusal"


class _PinnedBackend(httpcore.NetworkBackend):
    """httpcore's socket backend, but connecting to the pinned address instead of resolving the host."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        pin = _PIN.get()
        if pin is None or pin[0] != host:
            # Fail closed: a connection nobody checked.
            raise httpcore.ConnectError(f"smm.lib.http: refusing an unchecked connection to {host!r}.")
        # The pool later starts TLS with the origin's host name, so SNI and certificate checks use
        # the name while the socket goes to the checked address.
        return self._backend.connect_tcp(pin[1], port, timeout, local_address, socket_options)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("smm.lib.http: Unix sockets are not allowed.")

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _CappedStream(httpx.SyncByteStream):
    """The raw body, cut at the size limit and at the deadline."""

    def __init__(
        self,
        stream: httpx.SyncByteStream,
        *,
        request: httpx.Request,
        host: str,
        max_bytes: int,
        deadline: float,
        ends_at: float,
    ) -> None:
        self._stream = stream
        self._request = request
        self._host = host
        self._max_bytes = max_bytes
        self._deadline = deadline
        self._ends_at = ends_at

    def __iter__(self) -> Iterator[bytes]:
        size = 0
        for chunk in self._stream:
            size += len(chunk)
            if size > self._max_bytes:
                raise _too_large(self._host, self._max_bytes)
            if time.monotonic() > self._ends_at:
                raise httpx.ReadTimeout(
                    f"The response took longer than {self._deadline:g} seconds.", request=self._request
                )
            yield chunk

    def close(self) -> None:
        self._stream.close()


class _CappedResponse(httpx.Response):
    """Counts the body after decompression too, so a small gzip bomb stops at the same limit."""

    def __init__(self, *args: Any, host: str, max_bytes: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._smm_host = host
        self._smm_max_bytes = max_bytes

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        size = 0
        for chunk in super().iter_bytes(chunk_size):
            size += len(chunk)
            if size > self._smm_max_bytes:
                raise _too_large(self._smm_host, self._smm_max_bytes)
            yield chunk


class _PinnedTransport(httpx.HTTPTransport):
    """An httpx transport that checks every request and connects only to the checked address."""

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | str | bool,
        max_bytes: int,
        timeout: tuple[float, float],
        deadline: float,
    ) -> None:
        super().__init__(verify=verify, trust_env=False, retries=0)
        pool = self._pool
        if not isinstance(pool, httpcore.ConnectionPool) or not hasattr(pool, "_network_backend"):
            # Fail at construction, not silently unpinned, if an httpx/httpcore upgrade moves this.
            raise RuntimeError("smm.lib.http: unexpected httpx transport internals; cannot pin connections.")
        pool._network_backend = _PinnedBackend()
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.deadline = deadline

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request (the client calls this once per redirect hop)."""
        refusal = request.extensions.get(_REFUSAL_EXTENSION)
        if refusal is not None:
            raise _refuse(refusal, request.url.host)
        try:
            checked = check_url(str(request.url))
        except HostNotFoundError as error:
            raise httpx.ConnectError(str(error), request=request) from error
        ends_at = time.monotonic() + self.deadline
        requested = request.extensions.get("timeout", {})
        connect, read = _capped_timeouts((requested.get("connect"), requested.get("read")), self.timeout, self.deadline)
        # A new dict: httpx shares one extensions dict between a request and its redirects.
        request.extensions = {
            **request.extensions,
            "timeout": {"connect": connect, "read": read, "write": read, "pool": connect},
        }
        token = _PIN.set((request.url.raw_host.decode("ascii"), str(checked.address)))
        try:
            response = super().handle_request(request)
        finally:
            _PIN.reset(token)
        declared = _declared_length(request.method, response.status_code, response.headers)
        if declared is not None and declared > self.max_bytes:
            response.close()
            raise _too_large(checked.host, self.max_bytes)
        if not isinstance(response.stream, httpx.SyncByteStream):
            raise TypeError("smm.lib.http: HTTPTransport returned an unexpected stream type.")
        return _CappedResponse(
            status_code=response.status_code,
            headers=response.headers,
            stream=_CappedStream(
                response.stream,
                request=request,
                host=checked.host,
                max_bytes=self.max_bytes,
                deadline=self.deadline,
                ends_at=ends_at,
            ),
            extensions=response.extensions,
            host=checked.host,
            max_bytes=self.max_bytes,
        )


class _SafeClient(httpx.Client):
    """An httpx Client that refuses redirects from https to http."""

    def _build_redirect_request(self, request: httpx.Request, response: httpx.Response) -> httpx.Request:
        # httpx builds each hop here whether or not it follows redirects; mark a downgrade so the
        # transport refuses it, and a caller that does not follow can still read the 3xx.
        redirect = super()._build_redirect_request(request, response)
        if request.url.scheme == "https" and redirect.url.scheme == "http":
            redirect.extensions = {**redirect.extensions, _REFUSAL_EXTENSION: "insecure_redirect"}
        return redirect


_FORBIDDEN_CLIENT_ARGUMENTS = frozenset({"transport", "mounts", "proxy", "proxies", "trust_env", "app", "uds"})


def safe_httpx_client(
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    deadline: float = DEFAULT_DEADLINE,
    verify: ssl.SSLContext | str | bool = True,
    **kwargs: Any,
) -> httpx.Client:
    """An httpx Client with the same checks and pinning as safe_session; kwargs go to httpx.Client.

    `follow_redirects` stays the caller's choice (httpx defaults to False); at most 5 are followed.
    Arguments that would bypass the transport (transport, mounts, proxy, trust_env) are refused.
    """
    forbidden = _FORBIDDEN_CLIENT_ARGUMENTS & kwargs.keys()
    if forbidden:
        raise TypeError(f"safe_httpx_client() does not accept {', '.join(sorted(forbidden))}.")
    kwargs["max_redirects"] = min(int(kwargs.get("max_redirects", MAX_REDIRECTS)), MAX_REDIRECTS)
    transport = _PinnedTransport(verify=verify, max_bytes=max_bytes, timeout=timeout, deadline=deadline)
    return _SafeClient(
        transport=transport,
        trust_env=False,
        timeout=httpx.Timeout(connect=timeout[0], read=timeout[1], write=timeout[1], pool=timeout[0]),
        **kwargs,
    )
