"""Fixtures for the Bluesky tests: the real local network (tests.peers.bluesky) and helpers."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import pytest

from smm.lib.http import safe_httpx_client
from tests.peers.bluesky import BlueskyTestAccount


@pytest.fixture(autouse=True)
def allow_loopback(settings):
    # The peer and the stand-ins listen on 127.0.0.1, which the SSRF guard refuses otherwise.
    settings.OUTBOUND_ALLOW_LOOPBACK = True


@dataclass
class RecordingClient:
    """An SSRF-safe httpx client that remembers the XRPC methods it called, in order."""

    client: httpx.Client
    calls: list[str] = field(default_factory=list)

    def count(self, nsid: str) -> int:
        return sum(1 for call in self.calls if call == nsid)


@pytest.fixture
def recording_client():
    made: list[RecordingClient] = []

    def make(**kwargs) -> RecordingClient:
        calls: list[str] = []

        def remember(request: httpx.Request) -> None:
            calls.append(request.url.path.rsplit("/", 1)[-1])

        recording = RecordingClient(safe_httpx_client(event_hooks={"request": [remember]}, **kwargs), calls)
        made.append(recording)
        return recording

    yield make
    for recording in made:
        recording.client.close()


@dataclass
class ConnectedTestAccount:
    account: BlueskyTestAccount
    credentials: dict
    config: dict
    saved: list[dict] = field(default_factory=list)

    def adapter(self, **kwargs):
        from smm.networks.bluesky.adapter import BlueskyAdapter

        return BlueskyAdapter(
            credentials=dict(self.credentials), config=dict(self.config), save_credentials=self.saved.append, **kwargs
        )


@pytest.fixture
def connect_account(bluesky_network):
    """Create an account on the peer and connect it the way the connect form does."""
    from smm.networks.bluesky.client import connect

    def make(name: str = "user") -> ConnectedTestAccount:
        account = bluesky_network.create_account(name)
        credentials, config = connect(account.handle, account.app_password, bluesky_network.pds_url)
        return ConnectedTestAccount(account=account, credentials=credentials, config=config)

    return make
