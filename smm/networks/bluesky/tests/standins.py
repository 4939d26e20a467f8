"""Tiny local HTTP servers for the tests: a scripted XRPC stand-in and a web page host."""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: bytes | dict | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False  # close the connection without answering (after reading the request)
    content_type: str = "application/json"


class StandIn:
    """Answers by path: `routes["/xrpc/com.atproto.repo.createRecord"] = Reply(...)` (or a list, one per call)."""

    def __init__(self) -> None:
        self.routes: dict[str, Reply | list[Reply]] = {}
        self.requests: list[tuple[str, str, bytes]] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                stand_in.requests.append((self.command, path, body))
                route = stand_in.routes.get(path, Reply(404, {"error": "MethodNotImplemented", "message": path}))
                reply = (route.pop(0) if len(route) > 1 else route[0]) if isinstance(route, list) else route
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                payload = json.dumps(reply.body).encode() if isinstance(reply.body, dict) else (reply.body or b"")
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", reply.content_type)
                    self.send_header("content-length", str(len(payload)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = _answer
            do_POST = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def paths(self) -> list[str]:
        return [path for _method, path, _body in self.requests]

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def fake_jwt(**claims: Any) -> str:
    """An unsigned JWT: the client only reads exp and scope; only the (stand-in) server would verify."""

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    payload = {"scope": "com.atproto.appPass", "sub": "did:plc:standin", "exp": int(time.time()) + 7200, **claims}
    return f"{part({'typ': 'at+jwt', 'alg': 'HS256'})}.{part(payload)}.c2lnbmF0dXJl"


def stand_in_credentials(url: str, **overrides: Any) -> dict[str, Any]:
    return {
        "identifier": "standin.test",
        "app_password": "aaaa-bbbb-cccc-dddd",
        "pds_url": url,
        "did": "did:plc:standin",
        "access_jwt": fake_jwt(),
        "refresh_jwt": fake_jwt(scope="com.atproto.refresh", exp=int(time.time()) + 86400 * 60),
        **overrides,
    }


def session_body(**overrides: Any) -> dict[str, Any]:
    return {
        "did": "did:plc:standin",
        "handle": "standin.test",
        "accessJwt": fake_jwt(),
        "refreshJwt": fake_jwt(scope="com.atproto.refresh", exp=int(time.time()) + 86400 * 60),
        **overrides,
    }
