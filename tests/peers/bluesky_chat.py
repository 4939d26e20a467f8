"""A strict local stand-in of Bluesky's chat service (chat.bsky.convo.*), for the DM tests.

Bluesky's chat service is not open source and @atproto/dev-env has none, so this is built from
what is public: the lexicons (request and response shapes, limits, declared errors; as in
@atproto/api 0.19 and the atproto 0.0.73 models) and the PDS that routes chat calls
(@atproto/pds 0.5.35 `pipethrough.ts`, `auth-verifier.ts`, the version tests/peers/bluesky runs).
What it refuses, it refuses with the status, error name and message those sources give.

It plays one of two roles (`BlueskyChatStandIn(role=...)`):

* ``"pds"`` (the fast tests): the account's PDS and the chat service in one. It serves
  com.atproto.server.createSession / refreshSession and com.atproto.identity.resolveHandle for the
  accounts added with `add_account()`, issuing HS256-signed tokens whose scope is
  com.atproto.appPassPrivileged (an app password "with access to your direct messages") or
  com.atproto.appPass (without), and routes chat.bsky.* calls as the PDS's proxy handler does,
  in its order:

  1. the `atproto-proxy` header: malformed → 400 InvalidRequest ("no service id specified in
     proxy header", ...); a DID it cannot resolve → 400 "could not resolve proxy did"; a DID
     without that service → 400 "could not resolve proxy did service url". Only
     `did:web:api.bsky.chat#bsky_chat` resolves. Without the header the call goes to the
     AppView, which has no chat.bsky methods (step 4).
  2. the token: none → 401 AuthMissing "Authentication Required"; not Bearer → 400 InvalidToken;
     bad signature, or a refresh token (typ is not at+jwt) → 400 InvalidToken "Token could not be
     verified"; expired → 400 ExpiredToken "Token has expired"; a scope that is not an access
     scope → 400 InvalidToken "Bad token scope".
  3. an app password without DM access → 400 InvalidToken "Bad token method" (PRIVILEGED_METHODS).
  4. no proxy header → 501 MethodNotImplemented "Method Not Implemented" (the AppView's answer).

  Of the AppView it serves app.bsky.notification.listNotifications only (always empty), so the
  inbox's notification stream has something to read. The answers to a missing token, a header
  without a service id, an app password without DM access and a missing header (with an AppView)
  are checked against the real PDS of tests/peers/bluesky (bluesky/tests/test_chat_peer.py).

* ``"service"`` (the slow test behind the real dev-env PDS): the chat service alone, as
  `did:web:localhost%3A<port>` with a `#bsky_chat` service in its DID document, which the PDS
  resolves and forwards to. It accepts only the service-auth JWT the PDS signs with the account's
  key: issuer resolved through the PLC, audience its own DID, `lxm` the method called
  (@atproto/xrpc-server verifyServiceJwt's errors). Profiles come from `add_profile()`.

The chat itself (both roles): one-to-one conversations made by getConvoForMembers (status
"request" for the member who did not start it until they send a message), messages with ids and
revs that are TIDs from one clock, listConvos by latest activity (rev, newest first, cursor =
the last rev), getMessages newest first (cursor = the oldest rev returned), sendMessage (text at
most 1000 graphemes / 10000 characters; a member of the conversation only: otherwise 400
InvalidConvo), updateRead (unreadCount per member), getConvo. Other chat methods (getLog, group
conversations, reactions) answer 501 MethodNotImplemented. Where the lexicons say nothing
(ordering, the wording of InvalidConvo), the choice is the one noted here; code against the
lexicon, not against these choices.

Failures on demand: `fail_next[nsid]` = an XrpcFailure (answered once instead), "drop" (a chat
procedure is carried out and the connection closed without an answer) or "lost" (the connection
closed before anything is done).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import regex

CHAT_DID = "did:web:api.bsky.chat"
CHAT_SERVICE_ID = "bsky_chat"
PDS_DID = "did:web:pds.standin.test"
ACCESS_SCOPES = ("com.atproto.access", "com.atproto.appPassPrivileged", "com.atproto.appPass")
PRIVILEGED_SCOPES = ("com.atproto.access", "com.atproto.appPassPrivileged")
QUERIES = {
    "chat.bsky.convo.listConvos",
    "chat.bsky.convo.getConvo",
    "chat.bsky.convo.getConvoForMembers",
    "chat.bsky.convo.getMessages",
    "chat.bsky.convo.getLog",
    "com.atproto.identity.resolveHandle",
    "app.bsky.notification.listNotifications",
}
PROCEDURES = {
    "chat.bsky.convo.sendMessage",
    "chat.bsky.convo.updateRead",
    "com.atproto.server.createSession",
    "com.atproto.server.refreshSession",
}
# @atproto/pds pipethrough.ts PRIVILEGED_METHODS (the chat part).
PRIVILEGED_METHODS = {
    "chat.bsky.actor.deleteAccount",
    "chat.bsky.actor.exportAccountData",
    "chat.bsky.convo.deleteMessageForSelf",
    "chat.bsky.convo.getConvo",
    "chat.bsky.convo.getConvoForMembers",
    "chat.bsky.convo.getLog",
    "chat.bsky.convo.getMessages",
    "chat.bsky.convo.leaveConvo",
    "chat.bsky.convo.listConvos",
    "chat.bsky.convo.muteConvo",
    "chat.bsky.convo.sendMessage",
    "chat.bsky.convo.sendMessageBatch",
    "chat.bsky.convo.unmuteConvo",
    "chat.bsky.convo.updateRead",
}
ACCESS_TTL = 2 * 60 * 60
REFRESH_TTL = 90 * 24 * 60 * 60
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


class XrpcFailure(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class ChatAccount:
    did: str
    handle: str
    display_name: str = ""
    app_password: str = ""
    dm_access: bool = True  # the app password was made with "Allow access to your direct messages"


@dataclass
class Message:
    id: str
    rev: str
    sender: str
    text: str
    sent_at: str
    facets: list[Any] | None = None


@dataclass
class Convo:
    id: str
    members: tuple[str, str]
    rev: str
    messages: list[Message] = field(default_factory=list)  # oldest first
    accepted: set[str] = field(default_factory=set)
    last_read: dict[str, str] = field(default_factory=dict)  # member -> rev read up to


class BlueskyChatStandIn:
    """See the module docstring. Use as a context manager; `url` is where it listens."""

    def __init__(self, *, role: str = "pds", plc_url: str | None = None) -> None:
        if role not in ("pds", "service"):
            raise ValueError(role)
        self.role = role
        self.plc_url = plc_url
        self.accounts: dict[str, ChatAccount] = {}  # did -> account
        self.convos: dict[str, Convo] = {}
        self.requests: list[dict[str, Any]] = []  # every call: nsid, method, proxy header, status
        # nsid -> a failure to answer once, "drop" (carried out, the answer lost) or "lost" (never arrived)
        self.fail_next: dict[str, XrpcFailure | str] = {}
        self._secret = secrets.token_bytes(32)
        self._revoked: set[str] = set()
        self._lock = threading.RLock()
        self._last_tid = 0
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes: without this, Nagle + delayed ACK cost 40 ms a call.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                stand_in._handle(self, "GET")

            def do_POST(self) -> None:
                stand_in._handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        # The service's own DID (role "service"): the PDS resolves it over http://localhost.
        self.did = f"did:web:localhost%3A{self.port}" if role == "service" else CHAT_DID
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> BlueskyChatStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # Test set-up (no HTTP) ------------------------------------------------------------------------
    def tid(self) -> str:
        with self._lock:
            micros = max(time.time_ns() // 1000, self._last_tid + 1)
            self._last_tid = micros
        value = (micros << 10) | secrets.randbelow(1024)
        return "".join(_TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5))

    def add_account(self, handle: str, *, display_name: str = "", dm_access: bool = True) -> ChatAccount:
        """An account (role "pds": with an app password, with or without DM access)."""
        did = f"did:plc:{hashlib.sha256(handle.encode()).hexdigest()[:24]}"
        password = "-".join(secrets.token_hex(2) for _ in range(4))
        account = ChatAccount(did, handle, display_name, password, dm_access)
        with self._lock:
            self.accounts[did] = account
        return account

    def add_profile(self, did: str, handle: str, display_name: str = "") -> ChatAccount:
        """A member known by DID (role "service": the accounts live on the real PDS)."""
        account = ChatAccount(did, handle, display_name)
        with self._lock:
            self.accounts[did] = account
        return account

    def convo_for(self, starter: str, other: str) -> Convo:
        """The one-to-one conversation of two members (made by `starter` when there is none)."""
        with self._lock:
            for convo in self.convos.values():
                if set(convo.members) == {starter, other}:
                    return convo
            convo = Convo(id=self.tid(), members=(starter, other), rev=self.tid(), accepted={starter})
            self.convos[convo.id] = convo
            return convo

    def send(self, sender: str, convo_id: str, text: str, facets: list[Any] | None = None) -> Message:
        with self._lock:
            convo = self.convos[convo_id]
            message = Message(
                id=self.tid(), rev=self.tid(), sender=sender, text=text, sent_at=_now_iso(), facets=facets
            )
            convo.messages.append(message)
            convo.rev = message.rev
            convo.accepted.add(sender)  # answering a request accepts it
            convo.last_read[sender] = message.rev
            return message

    def dm(self, sender: str, recipient: str, text: str) -> tuple[Convo, Message]:
        """`sender` writes `recipient` (in their conversation, started if need be)."""
        convo = self.convo_for(sender, recipient)
        return convo, self.send(sender, convo.id, text)

    # Tokens (role "pds") ----------------------------------------------------------------------
    def _jwt(self, header: dict[str, Any], payload: dict[str, Any]) -> str:
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
        signature = hmac.new(self._secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(signature)}"

    def session_tokens(self, account: ChatAccount) -> dict[str, str]:
        now = int(time.time())
        scope = "com.atproto.appPassPrivileged" if account.dm_access else "com.atproto.appPass"
        access = self._jwt(
            {"typ": "at+jwt", "alg": "HS256"},
            {"scope": scope, "sub": account.did, "aud": PDS_DID, "iat": now, "exp": now + ACCESS_TTL},
        )
        refresh = self._jwt(
            {"typ": "refresh+jwt", "alg": "HS256"},
            {
                "scope": "com.atproto.refresh",
                "sub": account.did,
                "aud": PDS_DID,
                "jti": secrets.token_hex(16),
                "iat": now,
                "exp": now + REFRESH_TTL,
                "app_pass": scope,
            },
        )
        return {"accessJwt": access, "refreshJwt": refresh}

    def expired_token(self, account: ChatAccount) -> str:
        now = int(time.time())
        return self._jwt(
            {"typ": "at+jwt", "alg": "HS256"},
            {"scope": "com.atproto.appPassPrivileged", "sub": account.did, "aud": PDS_DID, "exp": now - 60},
        )

    def _verify(self, token: str, *, typ: str) -> dict[str, Any]:
        try:
            head, body, signature = token.split(".")
            header = json.loads(_unb64(head))
            payload = json.loads(_unb64(body))
            expected = hmac.new(self._secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
            good = hmac.compare_digest(expected, _unb64(signature)) and header.get("typ") == typ
        except (ValueError, json.JSONDecodeError):
            good = False
        if not good:
            raise XrpcFailure(400, "InvalidToken", "Token could not be verified")
        if int(payload.get("exp") or 0) <= time.time():
            raise XrpcFailure(400, "ExpiredToken", "Token has expired")
        return payload

    def _bearer(self, headers: Any) -> str:
        authorization = headers.get("authorization")
        if not authorization:
            raise XrpcFailure(401, "AuthMissing", "Authentication Required")
        parts = authorization.split(" ")
        if len(parts) != 2:
            raise XrpcFailure(400, "InvalidToken", "Malformed authorization header")
        if parts[0].upper() not in ("BEARER", "DPOP", "BASIC"):
            raise XrpcFailure(400, "InvalidToken", f"Unsupported authorization type: {parts[0]}")
        if parts[0].upper() != "BEARER":
            raise XrpcFailure(400, "InvalidToken", "Unexpected authorization type")
        return parts[1]

    def _access(self, headers: Any) -> dict[str, Any]:
        payload = self._verify(self._bearer(headers), typ="at+jwt")
        if payload.get("scope") not in ACCESS_SCOPES:
            raise XrpcFailure(400, "InvalidToken", "Bad token scope")
        return payload

    # Service auth (role "service") ------------------------------------------------------------------
    def _service_caller(self, headers: Any, nsid: str) -> str:
        from atproto_identity.did.resolver import DidResolver
        from atproto_server.auth import jwt as service_jwt

        authorization = headers.get("authorization") or ""
        if not authorization.startswith("Bearer "):
            raise XrpcFailure(401, "AuthenticationRequired", "missing jwt")
        token = authorization.removeprefix("Bearer ")
        try:
            payload = service_jwt.get_jwt_payload(token)
        except Exception as error:
            raise XrpcFailure(401, "BadJwt", "poorly formatted jwt") from error
        if payload.exp is None or payload.exp <= time.time():
            raise XrpcFailure(401, "JwtExpired", "jwt expired")
        if payload.aud != self.did:
            raise XrpcFailure(401, "BadJwtAudience", "jwt audience does not match service did")
        if getattr(payload, "lxm", None) != nsid:
            raise XrpcFailure(401, "BadJwtLexiconMethod", f'bad jwt lexicon method ("lxm"). must match: {nsid}')
        resolver = DidResolver(plc_url=self.plc_url, timeout=5)
        try:
            service_jwt.verify_jwt(token, lambda did, fresh: resolver.resolve_atproto_key(did, fresh), self.did)
        except Exception as error:
            raise XrpcFailure(401, "BadJwtSignature", "jwt signature does not match jwt issuer") from error
        return str(payload.iss)

    # HTTP ---------------------------------------------------------------------------------------
    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(request.path)
        length = int(request.headers.get("content-length") or 0)
        raw = request.rfile.read(length) if length else b""
        record: dict[str, Any] = {
            "method": method,
            "path": url.path,
            "nsid": url.path.removeprefix("/xrpc/"),
            "proxy": request.headers.get("atproto-proxy"),
            "authorization": request.headers.get("authorization"),
            "body": raw,
        }
        self.requests.append(record)
        planned = self.fail_next.pop(record["nsid"], None)
        if planned == "lost":  # the connection breaks before the request arrives
            request.close_connection = True
            request.connection.shutdown(socket.SHUT_RDWR)
            return
        if planned == "drop":
            if record["nsid"] in PROCEDURES and record["nsid"].startswith("chat."):
                # The request reached the service and was carried out; only the answer is lost.
                with self._lock, suppress(XrpcFailure):
                    self._route(record["nsid"], method, parse_qs(url.query), raw, request.headers)
            request.close_connection = True
            request.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            if isinstance(planned, XrpcFailure):
                raise planned
            if url.path == "/.well-known/did.json" and self.role == "service":
                status, body = 200, self._did_document()
            elif not url.path.startswith("/xrpc/"):
                raise XrpcFailure(404, "NotFound", "Not Found")
            else:
                with self._lock:
                    status, body = 200, self._route(record["nsid"], method, parse_qs(url.query), raw, request.headers)
        except XrpcFailure as failure:
            status, body = failure.status, {"error": failure.error, "message": failure.message}
        record["status"] = status
        payload = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("content-type", "application/json; charset=utf-8")
        request.send_header("content-length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    def _did_document(self) -> dict[str, Any]:
        return {
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": self.did,
            "service": [{"id": f"#{CHAT_SERVICE_ID}", "type": "BskyChatService", "serviceEndpoint": self.url}],
        }

    def _route(self, nsid: str, method: str, query: dict[str, list[str]], raw: bytes, headers: Any) -> dict[str, Any]:
        known = nsid in QUERIES or nsid in PROCEDURES
        expected = "GET" if nsid in QUERIES else "POST"
        if known and method != expected:
            raise XrpcFailure(400, "InvalidRequest", f"Incorrect HTTP method ({method}) expected {expected}")
        body: dict[str, Any] = {}
        if method == "POST" and known:
            content_type = (headers.get("content-type") or "").split(";")[0].strip()
            if content_type != "application/json":
                raise XrpcFailure(400, "InvalidRequest", f"Wrong request encoding (Content-Type): {content_type}")
            try:
                body = json.loads(raw or b"null")
            except json.JSONDecodeError as error:
                raise XrpcFailure(400, "InvalidRequest", "Request body is not valid JSON") from error
            if not isinstance(body, dict):
                raise XrpcFailure(400, "InvalidRequest", "Input must be an object")
        if self.role == "pds":
            if nsid == "com.atproto.server.createSession":
                return self._create_session(body)
            if nsid == "com.atproto.server.refreshSession":
                return self._refresh_session(headers)
            if nsid == "com.atproto.identity.resolveHandle":
                return self._resolve_handle(query)
            if nsid == "app.bsky.notification.listNotifications":
                self._access(headers)
                return {"notifications": []}  # the AppView part: nobody posts here
            if not nsid.startswith("chat.bsky."):
                raise XrpcFailure(501, "MethodNotImplemented", "Method Not Implemented")
            proxy = headers.get("atproto-proxy")
            if proxy is not None:
                self._check_proxy(proxy)
            viewer = str(self._access(headers)["sub"])
            account = self.accounts.get(viewer)
            if nsid in PRIVILEGED_METHODS and self._scope(headers) not in PRIVILEGED_SCOPES:
                raise XrpcFailure(400, "InvalidToken", "Bad token method")
            if proxy is None or account is None:
                raise XrpcFailure(501, "MethodNotImplemented", "Method Not Implemented")  # the AppView
        else:
            viewer = self._service_caller(headers, nsid)
        return self._chat(nsid, viewer, query, body)

    def _scope(self, headers: Any) -> str:
        return str(self._access(headers).get("scope"))

    def _check_proxy(self, proxy: str) -> None:
        """@atproto/pds parseProxyHeader: the checks in its order, with its messages."""
        index = proxy.find("#")
        if index == 0:
            raise XrpcFailure(400, "InvalidRequest", "no did specified in proxy header")
        if index == -1 or index == len(proxy) - 1:
            raise XrpcFailure(400, "InvalidRequest", "no service id specified in proxy header")
        if proxy.find("#", index + 1) != -1:
            raise XrpcFailure(400, "InvalidRequest", "invalid proxy header format")
        if " " in proxy:
            raise XrpcFailure(400, "InvalidRequest", "proxy header cannot contain spaces")
        did, service = proxy[:index], proxy[index + 1 :]
        if did != CHAT_DID:
            raise XrpcFailure(400, "InvalidRequest", "could not resolve proxy did")
        if service != CHAT_SERVICE_ID:
            raise XrpcFailure(400, "InvalidRequest", "could not resolve proxy did service url")

    def _create_session(self, body: dict[str, Any]) -> dict[str, Any]:
        identifier, password = body.get("identifier"), body.get("password")
        if not isinstance(identifier, str) or not isinstance(password, str):
            raise XrpcFailure(400, "InvalidRequest", 'Input must have the property "identifier"')
        account = next((item for item in self.accounts.values() if identifier.lower() in (item.handle, item.did)), None)
        if account is None or not account.app_password or password != account.app_password:
            raise XrpcFailure(401, "AuthenticationRequired", "Invalid identifier or password")
        return {"did": account.did, "handle": account.handle, "active": True, **self.session_tokens(account)}

    def _refresh_session(self, headers: Any) -> dict[str, Any]:
        payload = self._verify(self._bearer(headers), typ="refresh+jwt")
        if payload.get("jti") in self._revoked:
            raise XrpcFailure(400, "ExpiredToken", "Token has been revoked")
        self._revoked.add(str(payload.get("jti")))
        account = self.accounts[str(payload["sub"])]
        return {"did": account.did, "handle": account.handle, "active": True, **self.session_tokens(account)}

    def _resolve_handle(self, query: dict[str, list[str]]) -> dict[str, Any]:
        handle = (query.get("handle") or [""])[0].lower()
        for account in self.accounts.values():
            if account.handle == handle:
                return {"did": account.did}
        raise XrpcFailure(400, "InvalidRequest", "Unable to resolve handle")

    # Chat -----------------------------------------------------------------------------------------
    @staticmethod
    def _param(query: dict[str, list[str]], name: str, *, required: bool = False) -> str | None:
        values = query.get(name)
        if not values:
            if required:
                raise XrpcFailure(400, "InvalidRequest", f'Params must have the property "{name}"')
            return None
        return values[0]

    def _limit(self, query: dict[str, list[str]], default: int = 50) -> int:
        value = self._param(query, "limit")
        if value is None:
            return default
        if not value.lstrip("-").isdigit():
            raise XrpcFailure(400, "InvalidRequest", "limit must be an integer")
        limit = int(value)
        if limit < 1:
            raise XrpcFailure(400, "InvalidRequest", "limit can not be less than 1")
        if limit > 100:
            raise XrpcFailure(400, "InvalidRequest", "limit can not be greater than 100")
        return limit

    def _convo(self, convo_id: Any, viewer: str) -> Convo:
        convo = self.convos.get(str(convo_id))
        if convo is None or viewer not in convo.members:
            raise XrpcFailure(400, "InvalidConvo", "Convo not found")
        return convo

    def _profile(self, did: str) -> dict[str, Any]:
        account = self.accounts.get(did)
        view: dict[str, Any] = {
            "$type": "chat.bsky.actor.defs#profileViewBasic",
            "did": did,
            "handle": account.handle if account else "handle.invalid",
            "kind": {"$type": "chat.bsky.actor.defs#directConvoMember"},
        }
        if account and account.display_name:
            view["displayName"] = account.display_name
        return view

    @staticmethod
    def _message_view(message: Message) -> dict[str, Any]:
        view: dict[str, Any] = {
            "$type": "chat.bsky.convo.defs#messageView",
            "id": message.id,
            "rev": message.rev,
            "text": message.text,
            "sender": {"did": message.sender},
            "sentAt": message.sent_at,
        }
        if message.facets:
            view["facets"] = message.facets
        return view

    def _convo_view(self, convo: Convo, viewer: str) -> dict[str, Any]:
        read = convo.last_read.get(viewer, "")
        unread = sum(1 for message in convo.messages if message.sender != viewer and message.rev > read)
        view: dict[str, Any] = {
            "$type": "chat.bsky.convo.defs#convoView",
            "id": convo.id,
            "rev": convo.rev,
            "members": [self._profile(member) for member in convo.members],
            "muted": False,
            "status": "accepted" if viewer in convo.accepted else "request",
            "unreadCount": unread,
            "kind": {"$type": "chat.bsky.convo.defs#directConvo"},
        }
        if convo.messages:
            view["lastMessage"] = self._message_view(convo.messages[-1])
        return view

    def _chat(self, nsid: str, viewer: str, query: dict[str, list[str]], body: dict[str, Any]) -> dict[str, Any]:
        if nsid == "chat.bsky.convo.listConvos":
            limit = self._limit(query)
            cursor = self._param(query, "cursor")
            status = self._param(query, "status")
            mine = sorted(
                (convo for convo in self.convos.values() if viewer in convo.members),
                key=lambda convo: convo.rev,
                reverse=True,
            )
            if status is not None:
                mine = [convo for convo in mine if ("accepted" if viewer in convo.accepted else "request") == status]
            if self._param(query, "readState") == "unread":
                mine = [convo for convo in mine if self._convo_view(convo, viewer)["unreadCount"] > 0]
            if self._param(query, "kind") == "group":
                mine = []
            if cursor:
                mine = [convo for convo in mine if convo.rev < cursor]
            page = mine[:limit]
            output: dict[str, Any] = {"convos": [self._convo_view(convo, viewer) for convo in page]}
            if len(mine) > limit:
                output["cursor"] = page[-1].rev
            return output
        if nsid == "chat.bsky.convo.getConvo":
            convo = self._convo(self._param(query, "convoId", required=True), viewer)
            return {"convo": self._convo_view(convo, viewer)}
        if nsid == "chat.bsky.convo.getConvoForMembers":
            members = set(query.get("members") or [])
            if not members or len(members) > 10:
                raise XrpcFailure(400, "InvalidRequest", 'Params must have the property "members"')
            others = members - {viewer}
            if len(others) != 1:
                raise XrpcFailure(400, "InvalidRequest", "A direct conversation has two members")
            other = others.pop()
            if other not in self.accounts:
                raise XrpcFailure(400, "RecipientNotFound", "Recipient not found")
            return {"convo": self._convo_view(self.convo_for(viewer, other), viewer)}
        if nsid == "chat.bsky.convo.getMessages":
            convo = self._convo(self._param(query, "convoId", required=True), viewer)
            limit = self._limit(query)
            cursor = self._param(query, "cursor")
            newest_first = [message for message in reversed(convo.messages) if not cursor or message.rev < cursor]
            messages = newest_first[:limit]
            output = {
                "messages": [self._message_view(message) for message in messages],
                "relatedProfiles": [self._profile(did) for did in sorted({message.sender for message in messages})],
            }
            if len(newest_first) > limit:
                output["cursor"] = messages[-1].rev
            return output
        if nsid == "chat.bsky.convo.sendMessage":
            convo = self._convo(self._required(body, "convoId"), viewer)
            message = body.get("message")
            if not isinstance(message, dict) or not isinstance(message.get("text"), str):
                raise XrpcFailure(400, "InvalidRequest", 'Input/message must have the property "text"')
            text = message["text"]
            if len(text) > 10_000:
                raise XrpcFailure(400, "InvalidRequest", "Input/message/text must not be longer than 10000 characters")
            if len(regex.findall(r"\X", text)) > 1000:
                raise XrpcFailure(400, "InvalidRequest", "Input/message/text must not be longer than 1000 graphemes")
            facets = message.get("facets")
            if facets is not None and not isinstance(facets, list):
                raise XrpcFailure(400, "InvalidRequest", "Input/message/facets must be an array")
            return self._message_view(self.send(viewer, convo.id, text, facets))
        if nsid == "chat.bsky.convo.updateRead":
            convo = self._convo(self._required(body, "convoId"), viewer)
            message_id = body.get("messageId")
            if message_id is None:
                convo.last_read[viewer] = convo.rev
            else:
                found = next((message for message in convo.messages if message.id == message_id), None)
                if found is None:
                    raise XrpcFailure(400, "InvalidRequest", "Message not found")
                convo.last_read[viewer] = max(found.rev, convo.last_read.get(viewer, ""))
            return {"convo": self._convo_view(convo, viewer)}
        raise XrpcFailure(501, "MethodNotImplemented", "Method Not Implemented")

    @staticmethod
    def _required(body: dict[str, Any], name: str) -> str:
        value = body.get(name)
        if not isinstance(value, str):
            raise XrpcFailure(400, "InvalidRequest", f'Input must have the property "{name}"')
        return value


@contextmanager
def chat_stand_in(**kwargs: Any) -> Iterator[BlueskyChatStandIn]:
    with BlueskyChatStandIn(**kwargs) as stand_in:
        yield stand_in
