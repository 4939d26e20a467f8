"""Mastodon test fixtures: adapters wired to the stand-ins (tests.peers.mastodon, loaded by tests.fixtures)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from smm.networks.mastodon import client
from smm.networks.mastodon.adapter import MastodonAdapter
from tests.peers.contract import ContractRecorder
from tests.peers.mastodon import MastodonMockServer, MockUser

MakeAdapter = Callable[..., MastodonAdapter]


@pytest.fixture(autouse=True)
def _loopback_allowed(settings: Any) -> None:
    # Every stand-in listens on 127.0.0.1, which the SSRF guard refuses unless this is on.
    settings.OUTBOUND_ALLOW_LOOPBACK = True


@pytest.fixture
def contract_session(mastodon_contract: ContractRecorder) -> Callable[[], requests.Session]:
    """SSRF-safe sessions whose every exchange the contract recorder checks."""
    return lambda: mastodon_contract.attach(client.new_session())


@pytest.fixture
def make_adapter(mastodon_server: MastodonMockServer, contract_session: Callable[[], requests.Session]) -> MakeAdapter:
    def make(user: MockUser, **config: Any) -> MastodonAdapter:
        return MastodonAdapter(
            credentials={"access_token": user.access_token},
            config={"instance_url": mastodon_server.base_url, "account_id": user.id, **config},
            session=contract_session(),
        )

    return make
