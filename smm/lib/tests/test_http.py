"""The SSRF guard: hostile addresses are refused before any connection, allowed ones are pinned.

Nothing here leaves the machine. DNS is a table in the test (`dns`), every socket connect is
recorded and anything but loopback fails the test before a packet is sent (`connections`), and the
servers the requests reach are `http.server`s on 127.0.0.1.
"""

from __future__ import annotations

import datetime
import gzip
import ipaddress
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import requests
from requests.adapters import HTTPAdapter

from smm.lib.http import (
    CheckedURL,
    HostNotFoundError,
    ResponseTooLargeError,
    UnsafeURLError,
    address_refusal_code,
    check_url,
    safe_get,
    safe_httpx_client,
    safe_session,
)

REAL_GETADDRINFO = socket.getaddrinfo
REAL_CONNECT = socket.socket.connect
PUBLIC_V4 = "93.184.215.14"
PUBLIC_V6 = "2606:4700::1111"


# DNS and connection guards ----------------------------------------------------------------------


class FakeDNS:
    """Name -> answers. A list of answer lists is served in turn, the last one repeating."""

    def __init__(self) -> None:
        self.records: dict[str, list[str] | list[list[str]]] = {
            "localhost": ["127.0.0.1", "::1"],
            "localtest.me": ["127.0.0.1"],
            "metadata.google.internal": ["169.254.169.254"],
            "mixed.example": [PUBLIC_V4, "10.0.0.1"],
            "mixed6.example": [PUBLIC_V6, "::1"],
            "mapped.example": ["::ffff:10.0.0.1"],
            "rebind.example": ["10.0.0.1"],
            "mastodon.example": [PUBLIC_V4],
            "dual.example": [PUBLIC_V6, PUBLIC_V4, PUBLIC_V6],
            "xn--bcher-kva.example": [PUBLIC_V4],
            "loopback.test": ["127.0.0.1"],
            "pinned.test": ["127.0.0.1"],
            "wrong.test": ["127.0.0.1"],
        }
        self.lookups: list[str] = []
        self._served: dict[str, int] = {}

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002 (socket's signature)
        if isinstance(host, bytes):
            host = host.decode()
        try:
            ipaddress.ip_address(host.split("%")[0])
        except ValueError:
            pass
        else:
            # Numeric hosts are not DNS: the libraries "resolve" the pinned IP literal this way.
            return REAL_GETADDRINFO(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        self.lookups.append(host)
        answers = self.records.get(host.lower().rstrip("."))
        if answers is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if answers and isinstance(answers[0], list):
            turn = self._served.get(host, 0)
            self._served[host] = turn + 1
            answers = answers[min(turn, len(answers) - 1)]
        port = int(port or 0)
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
            if ":" in address
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in answers
        ]


@pytest.fixture(autouse=True)
def dns(monkeypatch):
    fake = FakeDNS()
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    return fake


@pytest.fixture(autouse=True)
def connections(monkeypatch):
    """Every outgoing connect, in order; connecting anywhere but loopback fails the test at once."""
    attempts: list[tuple[str, int]] = []

    def guarded_connect(sock, address):
        if isinstance(address, tuple):
            attempts.append((address[0], address[1]))
            if not ipaddress.ip_address(address[0].split("%")[0]).is_loopback:
                raise AssertionError(f"a test tried to connect to {address!r}")
        return REAL_CONNECT(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    return attempts


@pytest.fixture(autouse=True)
def loopback_refused(settings):
    """Production's default; the test settings turn loopback on for the network stand-ins."""
    settings.OUTBOUND_ALLOW_LOOPBACK = False


@pytest.fixture
def loopback_allowed(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True


# Local stand-in servers -------------------------------------------------------------------------


class StandInServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), StandInHandler)
        self.seen: list[tuple[str, str | None]] = []
        self.server_names: list[str | None] = []  # TLS SNI, when ssl_context records it here
        self.stopping = threading.Event()
        self.scheme = "https" if ssl_context else "http"
        if ssl_context is not None:
            self.socket = ssl_context.wrap_socket(self.socket, server_side=True)
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def handle_error(self, request, client_address):
        # Clients hanging up on purpose (timeouts, size cuts, failed TLS) are the point of the tests.
        pass

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()


class StandInHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: StandInServer

    def log_message(self, format, *args):  # noqa: A002 (BaseHTTPRequestHandler's signature)
        pass

    def do_HEAD(self):
        self.server.seen.append((self.path, self.headers.get("Host")))
        self.send_response(200)
        self.send_header("Content-Length", "999999999")
        self.end_headers()

    def do_GET(self):
        self.server.seen.append((self.path, self.headers.get("Host")))
        parts = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        route = parts.path.strip("/").split("/")
        if route[0] == "ok":
            self._send(200, b"hello")
        elif route[0] == "api":
            self._send(
                200,
                b'{"uri": "stand-in.example", "title": "Stand-in", "version": "4.2.0"}',
                content_type="application/json",
            )
        elif route[0] == "host":
            self._send(200, (self.headers.get("Host") or "").encode())
        elif route[0] == "redirect":
            self._send(int(query.get("status", "302")), b"", location=query["to"])
        elif route[0] == "chain":
            left = int(route[1])
            if left:
                self._send(302, b"", location=f"/chain/{left - 1}")
            else:
                self._send(200, b"end of chain")
        elif route[0] == "big":
            self._send(200, b"x" * int(query["size"]))
        elif route[0] == "chunked":
            self._send_chunked(b"x" * int(query["size"]))
        elif route[0] == "gzip":
            self._send(200, gzip.compress(b"\0" * int(query["size"])), content_encoding="gzip")
        elif route[0] == "slow":
            self.server.stopping.wait(float(query["seconds"]))
            self._send(200, b"late")
        elif route[0] == "drip":
            self._drip(int(query["count"]), float(query["interval"]))
        else:
            self._send(404, b"not found")

    def _send(
        self,
        status: int,
        body: bytes,
        *,
        location: str | None = None,
        content_encoding: str | None = None,
        content_type: str = "text/plain",
    ):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if location is not None:
            self.send_header("Location", location)
        if content_encoding is not None:
            self.send_header("Content-Encoding", content_encoding)
        self.end_headers()
        self.wfile.write(body)

    def _send_chunked(self, body: bytes):
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for start in range(0, len(body), 1000):
            piece = body[start : start + 1000]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")

    def _drip(self, count: int, interval: float):
        self.send_response(200)
        self.send_header("Content-Length", str(count))
        self.end_headers()
        for _ in range(count):
            if self.server.stopping.wait(interval):
                return
            self.wfile.write(b"x")
            self.wfile.flush()


@pytest.fixture
def server():
    stand_in = StandInServer()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def other_server():
    stand_in = StandInServer()
    yield stand_in
    stand_in.stop()


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """A throwaway CA and a certificate for pinned.test signed by it."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smm test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pinned.test")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("pinned.test")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    ca_path = directory / "ca.pem"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    chain_path = directory / "server.pem"
    chain_path.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_path, chain_path


@pytest.fixture
def tls_server(certificates):
    _ca_path, chain_path = certificates
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain_path)
    server_names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    stand_in = StandInServer(context)
    stand_in.server_names = server_names
    yield stand_in
    stand_in.stop()


@pytest.fixture
def ca_context(certificates):
    return ssl.create_default_context(cafile=str(certificates[0]))


# The hostile corpus -----------------------------------------------------------------------------

HOSTILE = [
    # The server itself, however it is spelled.
    pytest.param("http://127.0.0.1/", "loopback", id="loopback-v4"),
    pytest.param("http://127.255.255.254:8080/admin", "loopback", id="loopback-v4-range"),
    pytest.param("http://[::1]/", "loopback", id="loopback-v6"),
    pytest.param("http://localhost/", "loopback", id="localhost"),
    pytest.param("http://localhost./", "loopback", id="localhost-trailing-dot"),
    pytest.param("http://LocalHost:8000/", "loopback", id="localhost-upper-case"),
    pytest.param("http://localtest.me/", "loopback", id="dns-name-to-127"),
    pytest.param("http://127.0.0.1./", "loopback", id="ip-trailing-dot"),
    pytest.param("http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/", "loopback", id="idn-circled-localhost"),
    pytest.param("http://１２７．０．０．１/", "loopback", id="idn-full-width-digits"),
    pytest.param("http://mixed6.example/", "loopback", id="dns-public-and-loopback-v6"),
    # Unusual number forms that inet_aton and browsers read as 127.0.0.1 or 0.0.0.0.
    pytest.param("http://2130706433/", "number_format", id="decimal"),
    pytest.param("http://0177.0.0.1/", "number_format", id="octal"),
    pytest.param("http://0x7f.1/", "number_format", id="hex-short"),
    pytest.param("http://0x7f000001/", "number_format", id="hex-whole"),
    pytest.param("http://0x7f.0x0.0x0.0x1/", "number_format", id="hex-dotted"),
    pytest.param("http://017700000001/", "number_format", id="octal-whole"),
    pytest.param("http://127.1/", "number_format", id="short"),
    pytest.param("http://0/", "number_format", id="zero"),
    pytest.param("http://%31%32%37.0.0.1/", "number_format", id="percent-encoded"),
    # IPv6 forms that carry an IPv4 address.
    pytest.param("http://[::ffff:127.0.0.1]/", "loopback", id="v4-mapped-dotted"),
    pytest.param("http://[::ffff:7f00:1]/", "loopback", id="v4-mapped-hex"),
    pytest.param("http://[0:0:0:0:0:ffff:127.0.0.1]/", "loopback", id="v4-mapped-long"),
    pytest.param("http://[::127.0.0.1]/", "special", id="v4-compatible"),
    pytest.param("http://[64:ff9b::7f00:1]/", "loopback", id="nat64-loopback"),
    pytest.param("http://[64:ff9b::a00:1]/", "private", id="nat64-private"),
    pytest.param("http://[2002:7f00:1::1]/", "loopback", id="6to4-loopback"),
    pytest.param("http://[2002:c0a8:101::1]/", "private", id="6to4-private"),
    pytest.param("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "special", id="teredo"),
    pytest.param("http://mapped.example/", "private", id="dns-v4-mapped-private"),
    # Private networks.
    pytest.param("http://10.0.0.1/", "private", id="rfc1918-10"),
    pytest.param("http://172.16.0.1/", "private", id="rfc1918-172-16"),
    pytest.param("http://172.31.255.255/", "private", id="rfc1918-172-31"),
    pytest.param("http://192.168.1.1/", "private", id="rfc1918-192-168"),
    pytest.param("http://100.64.0.1/", "private", id="cgnat"),
    pytest.param("http://169.254.1.1/", "private", id="link-local-v4"),
    pytest.param("http://[fe80::1]/", "private", id="link-local-v6"),
    pytest.param("http://[fc00::1]/", "private", id="unique-local-fc"),
    pytest.param("http://[fd12:3456::1]/", "private", id="unique-local-fd"),
    pytest.param("http://[fec0::1]/", "private", id="site-local"),
    pytest.param("http://mixed.example/", "private", id="dns-public-and-private"),
    pytest.param("http://rebind.example/", "private", id="dns-name-to-private"),
    # Cloud metadata services.
    pytest.param("http://169.254.169.254/latest/meta-data/", "metadata", id="metadata-aws"),
    pytest.param("http://[fd00:ec2::254]/", "metadata", id="metadata-aws-v6"),
    pytest.param("http://100.100.100.200/", "metadata", id="metadata-alibaba"),
    pytest.param("http://168.63.129.16/", "metadata", id="metadata-azure-wireserver"),
    pytest.param("http://[::ffff:169.254.169.254]/", "metadata", id="metadata-v4-mapped"),
    pytest.param("http://metadata.google.internal/", "metadata", id="metadata-gcp-name"),
    # Everything else that is not an ordinary public address.
    pytest.param("http://0.0.0.0/", "special", id="unspecified-v4"),
    pytest.param("http://[::]/", "special", id="unspecified-v6"),
    pytest.param("http://255.255.255.255/", "special", id="broadcast"),
    pytest.param("http://240.0.0.1/", "special", id="reserved-v4"),
    pytest.param("http://224.0.0.1/", "special", id="multicast-v4"),
    pytest.param("http://[ff02::1]/", "special", id="multicast-v6"),
    pytest.param("http://198.18.0.1/", "special", id="benchmarking"),
    pytest.param("http://192.0.2.1/", "special", id="documentation-v4"),
    pytest.param("http://203.0.113.5/", "special", id="documentation-v4-3"),
    pytest.param("http://[2001:db8::1]/", "special", id="documentation-v6"),
    pytest.param("http://192.0.0.8/", "special", id="ietf-protocol-assignments"),
    # Schemes, credentials and malformed addresses.
    pytest.param("ftp://example.com/file", "scheme", id="ftp"),
    pytest.param("file:///etc/passwd", "scheme", id="file"),
    pytest.param("gopher://127.0.0.1:6379/_INFO", "scheme", id="gopher"),
    pytest.param("javascript:alert(1)", "scheme", id="javascript"),
    pytest.param("http://user:secret@mastodon.example/", "credentials", id="userinfo"),
    pytest.param("http://mastodon.example@127.0.0.1/", "credentials", id="userinfo-host-confusion"),
    pytest.param("http://127.0.0.1\\@mastodon.example/", "malformed", id="backslash-confusion"),
    pytest.param("http://[fe80::1%25eth0]/", "malformed", id="zone-id"),
    pytest.param("http://10.0.0.1:0/", "malformed", id="port-zero"),
    pytest.param("http:///path", "malformed", id="no-host"),
    pytest.param("http://exa mple.com/", "malformed", id="space"),
]

# Spellings of 127.0.0.1 and ::1 themselves: the only ones OUTBOUND_ALLOW_LOOPBACK lets through.
PLAIN_LOOPBACK_IDS = {
    "loopback-v4",
    "loopback-v4-range",
    "loopback-v6",
    "localhost",
    "localhost-trailing-dot",
    "localhost-upper-case",
    "dns-name-to-127",
    "ip-trailing-dot",
    "idn-circled-localhost",
    "idn-full-width-digits",
    "dns-public-and-loopback-v6",
}


def test_the_corpus_is_large_and_distinct():
    urls = [param.values[0] for param in HOSTILE]
    assert len(urls) >= 35
    assert len(set(urls)) == len(urls)
    assert {param.id for param in HOSTILE} >= PLAIN_LOOPBACK_IDS


@pytest.mark.parametrize(("url", "code"), HOSTILE)
def test_it_refuses_hostile_urls_in_check_url(url, code, connections):
    with pytest.raises(UnsafeURLError) as caught:
        check_url(url)
    assert caught.value.code == code
    assert isinstance(caught.value, ValueError)
    assert connections == []


# The libraries normalize a URL before our transport sees it, so the reason can differ from
# check_url's (requests reads "127.0.0.1\\@host" as 127.0.0.1, httpx as a user name) and a few
# URLs they reject themselves. What matters: refused, and nothing connected.


@pytest.mark.parametrize(("url", "code"), HOSTILE)
def test_it_refuses_hostile_urls_in_a_session_before_connecting(url, code, connections):
    with safe_session() as session, pytest.raises((UnsafeURLError, requests.exceptions.InvalidURL)):
        session.get(url)
    assert connections == []


@pytest.mark.parametrize(("url", "code"), HOSTILE)
def test_it_refuses_hostile_urls_in_httpx_before_connecting(url, code, connections):
    with safe_httpx_client() as client, pytest.raises((UnsafeURLError, httpx.InvalidURL)):
        client.get(url)
    assert connections == []


@pytest.mark.parametrize(
    ("url", "code"),
    [
        param
        for param in HOSTILE
        if param.id in {"decimal", "hex-short", "short", "v4-mapped-hex", "nat64-private", "metadata-aws", "localhost"}
    ],
)
def test_it_gives_the_same_reason_through_the_transports(url, code):
    with safe_session() as session, pytest.raises(UnsafeURLError) as caught:
        session.get(url)
    assert caught.value.code == code
    with safe_httpx_client() as client, pytest.raises(UnsafeURLError) as caught:
        client.get(url)
    assert caught.value.code == code


@pytest.mark.parametrize(("url", "code"), HOSTILE)
def test_it_allows_only_plain_loopback_when_loopback_is_allowed(url, code, request, loopback_allowed):
    if request.node.callspec.id in PLAIN_LOOPBACK_IDS:
        checked = check_url(url)
        assert any(address.is_loopback for address in checked.addresses)
    else:
        with pytest.raises(UnsafeURLError) as caught:
            check_url(url)
        assert caught.value.code == code


def test_its_messages_are_for_people(connections):
    with pytest.raises(UnsafeURLError, match="private network"):
        check_url("http://10.1.2.3/")
    with pytest.raises(UnsafeURLError, match="cloud provider"):
        check_url("http://169.254.169.254/")
    with pytest.raises(UnsafeURLError, match=r"http:// or https://"):
        check_url("ftp://example.com/")


def test_it_treats_an_unknown_host_as_not_found(connections):
    with pytest.raises(HostNotFoundError) as caught:
        check_url("https://nowhere.example/")
    assert caught.value.code == "not_found"
    # The transports report it as a (retryable) connection error, not as an unsafe address.
    with pytest.raises(requests.exceptions.ConnectionError), safe_session() as session:
        session.get("https://nowhere.example/")
    with pytest.raises(httpx.ConnectError), safe_httpx_client() as client:
        client.get("https://nowhere.example/")
    assert connections == []


# Allowed addresses ------------------------------------------------------------------------------


def test_it_allows_a_public_name_and_reports_what_it_checked(dns):
    checked = check_url("https://mastodon.example/@someone?page=2")
    assert checked == CheckedURL(
        url="https://mastodon.example/@someone?page=2",
        scheme="https",
        host="mastodon.example",
        port=443,
        addresses=(ipaddress.ip_address(PUBLIC_V4),),
    )
    assert checked.host_header == "mastodon.example"
    assert dns.lookups == ["mastodon.example"]


def test_it_normalizes_case_trailing_dot_and_ports():
    checked = check_url("HTTP://Mastodon.Example.:8443/")
    assert (checked.scheme, checked.host, checked.port) == ("http", "mastodon.example", 8443)
    assert checked.host_header == "mastodon.example:8443"


def test_it_keeps_every_public_address_once_in_resolver_order():
    checked = check_url("https://dual.example/")
    assert checked.addresses == (ipaddress.ip_address(PUBLIC_V6), ipaddress.ip_address(PUBLIC_V4))
    assert checked.address == ipaddress.ip_address(PUBLIC_V6)


def test_it_encodes_international_names():
    checked = check_url("https://bücher.example/feed")
    assert checked.host == "xn--bcher-kva.example"


@pytest.mark.parametrize(
    "url",
    [
        f"http://{PUBLIC_V4}/",
        f"https://[{PUBLIC_V6}]:8443/",
        "http://[64:ff9b::5db8:d70e]/",  # NAT64 of a public address
        "http://[2002:5db8:d70e::1]/",  # 6to4 of a public address
        "http://8.8.8.8:65535/",
    ],
)
def test_it_allows_public_ip_literals_without_dns(url, dns):
    checked = check_url(url)
    assert len(checked.addresses) == 1
    assert dns.lookups == []


def test_it_allows_ordinary_public_names_in_ipv6_literal_host_headers():
    assert check_url(f"https://[{PUBLIC_V6}]:8443/").host_header == f"[{PUBLIC_V6}]:8443"


@pytest.mark.parametrize(
    ("address", "allow_loopback", "code"),
    [
        ("127.0.0.1", False, "loopback"),
        ("127.0.0.1", True, None),
        ("127.8.9.10", True, None),
        ("::1", True, None),
        ("::ffff:127.0.0.1", True, "loopback"),
        ("64:ff9b::7f00:1", True, "loopback"),
        ("10.0.0.1", True, "private"),
        ("169.254.169.254", True, "metadata"),
        ("fd00:ec2::254", True, "metadata"),
        ("0.0.0.0", True, "special"),  # noqa: S104 (an address to judge, not one to bind)
        ("::", True, "special"),
        ("5f00::1", False, "special"),
        ("3fff::1", False, "special"),
        ("192.88.99.1", False, "special"),
        (PUBLIC_V4, False, None),
        (PUBLIC_V6, False, None),
        ("64:ff9b::5db8:d70e", False, None),
    ],
)
def test_it_classifies_addresses(address, allow_loopback, code):
    assert address_refusal_code(ipaddress.ip_address(address), allow_loopback=allow_loopback) == code


# requests against local servers -----------------------------------------------------------------


def test_it_fetches_from_a_loopback_server_when_allowed(server, loopback_allowed, connections):
    response = safe_get(server.url("/ok"))
    assert response.status_code == 200
    assert response.content == b"hello"
    assert list(response.iter_content(2)) == [b"he", b"ll", b"o"]
    assert connections == [("127.0.0.1", server.port)]


def test_it_refuses_a_loopback_server_by_default(server, connections):
    with pytest.raises(UnsafeURLError) as caught:
        safe_get(server.url("/ok"))
    assert caught.value.code == "loopback"
    assert server.seen == []
    assert connections == []


def test_it_connects_to_the_address_it_checked_and_never_resolves_again(server, loopback_allowed, dns, connections):
    # The first answer is the stand-in server; any later lookup would get a private address.
    dns.records["pinned.test"] = [["127.0.0.1"], ["10.0.0.1"]]
    response = safe_get(server.url("/host", host="pinned.test"))
    assert response.text == f"pinned.test:{server.port}"
    assert dns.lookups == ["pinned.test"]
    assert connections == [("127.0.0.1", server.port)]
    # A request is checked again each time: the next one sees the new answer and is refused.
    with pytest.raises(UnsafeURLError):
        safe_get(server.url("/host", host="pinned.test"))
    assert connections == [("127.0.0.1", server.port)]


def test_it_keeps_the_callers_request_unchanged(server, loopback_allowed):
    with safe_session() as session:
        response = session.get(server.url("/ok", host="loopback.test"))
    assert "Host" not in response.request.headers
    assert response.url == server.url("/ok", host="loopback.test")


@pytest.mark.parametrize(
    ("target", "code"),
    [
        ("http://10.0.0.1/", "private"),
        ("http://[::ffff:169.254.169.254]/latest/meta-data/", "metadata"),
        ("http://rebind.example/", "private"),
        ("//10.0.0.1/scheme-relative", "private"),
        ("http://0x7f.1/", "number_format"),
        ("file:///etc/passwd", "scheme"),
    ],
)
def test_it_checks_every_redirect_target_before_following_it(server, loopback_allowed, connections, target, code):
    with safe_session() as session, pytest.raises(UnsafeURLError) as caught:
        session.get(server.url(f"/redirect?to={target}"))
    assert caught.value.code == code
    assert len(server.seen) == 1
    assert connections == [("127.0.0.1", server.port)]


def test_it_follows_a_redirect_to_a_safe_target(server, other_server, loopback_allowed):
    response = safe_get(server.url(f"/redirect?to={other_server.url('/ok')}&status=307"))
    assert response.content == b"hello"
    assert [hop.status_code for hop in response.history] == [307]


def test_it_follows_five_redirects_but_not_six(server, loopback_allowed):
    assert len(safe_get(server.url("/chain/5")).history) == 5
    with pytest.raises(requests.TooManyRedirects):
        safe_get(server.url("/chain/6"))
    assert len(server.seen) == 6 + 6


def test_it_checks_a_redirect_the_caller_follows_by_hand(server, loopback_allowed, connections):
    with safe_session() as session:
        response = session.get(server.url("/redirect?to=http://10.0.0.1/"), allow_redirects=False)
        assert response.status_code == 302
        assert response.next is not None
        with pytest.raises(UnsafeURLError):
            session.send(response.next)
    assert connections == [("127.0.0.1", server.port)]


def test_it_checks_requests_a_library_prepares_itself(connections):
    prepared = requests.Request("POST", "http://169.254.169.254/latest/api/token", data=b"x").prepare()
    with safe_session() as session, pytest.raises(UnsafeURLError):
        session.send(prepared)
    assert connections == []


def test_it_refuses_to_send_through_an_adapter_mounted_later(server, loopback_allowed, connections):
    with safe_session() as session:
        session.mount("http://", HTTPAdapter())
        with pytest.raises(TypeError):
            session.get(server.url("/ok"))
    assert connections == []


def test_it_refuses_proxies(server, loopback_allowed, connections):
    with safe_session() as session, pytest.raises(ValueError, match="proxies"):
        session.get(server.url("/ok"), proxies={"http": "http://127.0.0.1:9"})
    assert connections == []


def test_it_ignores_proxies_from_the_environment(server, loopback_allowed, monkeypatch, connections):
    monkeypatch.setenv("HTTP_PROXY", "http://10.9.9.9:3128")
    monkeypatch.setenv("http_proxy", "http://10.9.9.9:3128")
    assert safe_get(server.url("/ok")).content == b"hello"
    assert connections == [("127.0.0.1", server.port)]


def test_it_cuts_a_response_that_declares_a_large_size(server, loopback_allowed):
    with pytest.raises(ResponseTooLargeError, match="larger than"):
        safe_get(server.url("/big?size=2000"), max_bytes=1000)


def test_it_accepts_a_response_of_exactly_the_limit(server, loopback_allowed):
    assert len(safe_get(server.url("/big?size=1000"), max_bytes=1000).content) == 1000


def test_it_does_not_count_the_announced_size_of_a_head_response(server, loopback_allowed):
    with safe_session(max_bytes=1000) as session:
        response = session.head(server.url("/big"))
    assert response.status_code == 200
    assert response.content == b""
    with safe_httpx_client(max_bytes=1000) as client:
        assert client.head(server.url("/big")).status_code == 200


def test_it_cuts_a_chunked_response_while_streaming(server, loopback_allowed):
    with pytest.raises(ResponseTooLargeError):
        safe_get(server.url("/chunked?size=50000"), max_bytes=10_000)
    assert len(safe_get(server.url("/chunked?size=5000"), max_bytes=10_000).content) == 5000


def test_it_counts_the_body_after_decompression(server, loopback_allowed):
    with pytest.raises(ResponseTooLargeError):
        safe_get(server.url("/gzip?size=5000000"), max_bytes=100_000)


def test_it_caps_a_library_request_with_stream_true(server, loopback_allowed):
    with safe_session(max_bytes=1000) as session, pytest.raises(ResponseTooLargeError):
        session.get(server.url("/chunked?size=5000"), stream=True)


def test_it_gives_up_on_a_slow_server(server, loopback_allowed):
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        safe_get(server.url("/slow?seconds=5"), timeout=(0.5, 0.5))
    assert time.monotonic() - started < 2


def test_it_caps_a_timeout_the_library_asks_for(server, loopback_allowed):
    started = time.monotonic()
    with safe_session(timeout=(0.5, 0.5)) as session, pytest.raises(requests.exceptions.ReadTimeout):
        session.get(server.url("/slow?seconds=5"), timeout=300)
    assert time.monotonic() - started < 2


def test_it_stops_a_server_that_trickles_past_the_deadline(server, loopback_allowed):
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout, match="longer than"):
        safe_get(server.url("/drip?count=100&interval=0.05"), timeout=(1, 1), deadline=0.5)
    assert time.monotonic() - started < 2


def test_it_keeps_tls_on_the_host_name_while_connecting_to_the_checked_address(
    tls_server, certificates, loopback_allowed, dns, connections
):
    dns.records["pinned.test"] = [["127.0.0.1"], ["10.0.0.1"]]
    with safe_session() as session:
        session.verify = str(certificates[0])
        response = session.get(tls_server.url("/host", host="pinned.test"))
    assert response.text == f"pinned.test:{tls_server.port}"
    assert tls_server.server_names == ["pinned.test"]
    assert dns.lookups == ["pinned.test"]
    assert connections == [("127.0.0.1", tls_server.port)]


def test_it_still_verifies_the_certificate(tls_server, certificates, loopback_allowed):
    with safe_session() as session, pytest.raises(requests.exceptions.SSLError):
        session.verify = str(certificates[0])
        session.get(tls_server.url("/ok", host="wrong.test"))


def test_it_refuses_a_redirect_from_https_to_http(tls_server, server, certificates, loopback_allowed):
    with safe_session() as session:
        session.verify = str(certificates[0])
        with pytest.raises(UnsafeURLError) as caught:
            session.get(tls_server.url(f"/redirect?to={server.url('/ok')}", host="pinned.test"))
        assert caught.value.code == "insecure_redirect"
        # Not following redirects still shows the 3xx.
        response = session.get(
            tls_server.url(f"/redirect?to={server.url('/ok')}", host="pinned.test"), allow_redirects=False
        )
        assert response.status_code == 302
        # An https-to-https redirect on the pinned name is fine.
        response = session.get(tls_server.url("/redirect?to=/host", host="pinned.test"))
        assert response.text == f"pinned.test:{tls_server.port}"
    assert server.seen == []


# httpx ------------------------------------------------------------------------------------------


def test_httpx_fetches_from_a_loopback_server_when_allowed(server, loopback_allowed, connections):
    with safe_httpx_client() as client:
        response = client.get(server.url("/ok"))
    assert response.status_code == 200
    assert response.content == b"hello"
    assert connections == [("127.0.0.1", server.port)]


def test_httpx_refuses_a_loopback_server_by_default(server, connections):
    with safe_httpx_client() as client, pytest.raises(UnsafeURLError):
        client.get(server.url("/ok"))
    assert server.seen == []
    assert connections == []


def test_httpx_connects_to_the_address_it_checked(server, loopback_allowed, dns, connections):
    dns.records["pinned.test"] = [["127.0.0.1"], ["10.0.0.1"]]
    with safe_httpx_client() as client:
        response = client.get(server.url("/host", host="pinned.test"))
    assert response.text == f"pinned.test:{server.port}"
    assert dns.lookups == ["pinned.test"]
    assert connections == [("127.0.0.1", server.port)]


@pytest.mark.parametrize(
    ("target", "code"),
    [
        ("http://10.0.0.1/", "private"),
        ("http://[::ffff:169.254.169.254]/latest/meta-data/", "metadata"),
        ("http://rebind.example/", "private"),
    ],
)
def test_httpx_checks_every_redirect_target(server, loopback_allowed, connections, target, code):
    with safe_httpx_client(follow_redirects=True) as client, pytest.raises(UnsafeURLError) as caught:
        client.get(server.url(f"/redirect?to={target}"))
    assert caught.value.code == code
    assert len(server.seen) == 1
    assert connections == [("127.0.0.1", server.port)]


def test_httpx_checks_a_redirect_the_caller_follows_by_hand(server, loopback_allowed, connections):
    with safe_httpx_client() as client:
        response = client.get(server.url("/redirect?to=http://10.0.0.1/"))
        assert response.status_code == 302
        assert response.next_request is not None
        with pytest.raises(UnsafeURLError):
            client.send(response.next_request)
    assert connections == [("127.0.0.1", server.port)]


def test_httpx_follows_five_redirects_but_not_six(server, loopback_allowed):
    with safe_httpx_client(follow_redirects=True, max_redirects=20) as client:
        assert len(client.get(server.url("/chain/5")).history) == 5
        with pytest.raises(httpx.TooManyRedirects):
            client.get(server.url("/chain/6"))


def test_httpx_cuts_large_and_decompressed_responses(server, loopback_allowed):
    with safe_httpx_client(max_bytes=10_000) as client:
        with pytest.raises(ResponseTooLargeError):
            client.get(server.url("/big?size=20000"))
        with pytest.raises(ResponseTooLargeError):
            client.get(server.url("/chunked?size=50000"))
        with pytest.raises(ResponseTooLargeError):
            client.get(server.url("/gzip?size=5000000"))
        with pytest.raises(ResponseTooLargeError), client.stream("GET", server.url("/chunked?size=50000")) as response:
            response.read()
        assert len(client.get(server.url("/big?size=10000")).content) == 10_000


def test_httpx_gives_up_on_slow_and_trickling_servers(server, loopback_allowed):
    started = time.monotonic()
    with safe_httpx_client(timeout=(0.5, 0.5)) as client, pytest.raises(httpx.ReadTimeout):
        client.get(server.url("/slow?seconds=5"), timeout=300)
    with safe_httpx_client(timeout=(1, 1), deadline=0.5) as client, pytest.raises(httpx.ReadTimeout):
        client.get(server.url("/drip?count=100&interval=0.05"))
    assert time.monotonic() - started < 3


def test_httpx_keeps_tls_on_the_host_name(tls_server, ca_context, loopback_allowed, dns, connections):
    dns.records["pinned.test"] = [["127.0.0.1"], ["10.0.0.1"]]
    with safe_httpx_client(verify=ca_context) as client:
        response = client.get(tls_server.url("/host", host="pinned.test"))
        assert response.text == f"pinned.test:{tls_server.port}"
        with pytest.raises(httpx.ConnectError):
            client.get(tls_server.url("/ok", host="wrong.test"))
    assert "pinned.test" in tls_server.server_names
    assert dns.lookups == ["pinned.test", "wrong.test"]
    assert all(address == "127.0.0.1" for address, _port in connections)


def test_httpx_refuses_a_redirect_from_https_to_http(tls_server, server, ca_context, loopback_allowed):
    with safe_httpx_client(verify=ca_context, follow_redirects=True) as client:
        with pytest.raises(UnsafeURLError) as caught:
            client.get(tls_server.url(f"/redirect?to={server.url('/ok')}", host="pinned.test"))
        assert caught.value.code == "insecure_redirect"
        response = client.get(
            tls_server.url(f"/redirect?to={server.url('/ok')}", host="pinned.test"), follow_redirects=False
        )
        assert response.status_code == 302
    assert server.seen == []


def test_httpx_ignores_proxies_from_the_environment(server, loopback_allowed, monkeypatch, connections):
    monkeypatch.setenv("HTTP_PROXY", "http://10.9.9.9:3128")
    monkeypatch.setenv("ALL_PROXY", "http://10.9.9.9:3128")
    with safe_httpx_client() as client:
        assert client.get(server.url("/ok")).content == b"hello"
    assert connections == [("127.0.0.1", server.port)]


@pytest.mark.parametrize("argument", ["transport", "mounts", "proxy", "trust_env"])
def test_httpx_refuses_arguments_that_bypass_the_checks(argument):
    with pytest.raises(TypeError, match=argument):
        arguments: dict[str, Any] = {argument: None}
        safe_httpx_client(**arguments)


def test_httpx_keeps_event_hooks_working(server, loopback_allowed):
    seen = []
    with safe_httpx_client(event_hooks={"response": [lambda response: seen.append(response.status_code)]}) as client:
        client.get(server.url("/ok"))
    assert seen == [200]


# Libraries ---------------------------------------------------------------------------------------


def test_mastodon_py_sends_through_the_safe_session(server, loopback_allowed, connections):
    from mastodon import Mastodon, MastodonNetworkError

    api = Mastodon(api_base_url=server.url(""), session=safe_session(), version_check_mode="none")
    assert api.instance()["title"] == "Stand-in"
    assert connections == [("127.0.0.1", server.port)]

    with pytest.raises(MastodonNetworkError) as caught:
        Mastodon.create_app("smm", api_base_url="http://169.254.169.254", session=safe_session())
    # Mastodon.py wraps the error; the refusal is its context.
    assert isinstance(caught.value.__context__, UnsafeURLError)
    assert connections == [("127.0.0.1", server.port)]
