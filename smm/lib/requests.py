"""Facts about the HTTP request that services record (the audit log's IP address)."""

from __future__ import annotations

from django.http import HttpRequest


def client_ip(request: HttpRequest | None) -> str | None:
    """REMOTE_ADDR; behind a proxy, set it from X-Forwarded-For in the proxy, not here."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None
