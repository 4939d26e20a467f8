"""An in-memory network behind the real Adapter interface, for engine tests that script failures.

Posts are kept by idempotency key, like Mastodon's Idempotency-Key and Bluesky's record key, so a
test can count exactly how many posts the network holds. `script` lists what the next publish
calls do: "ok", "accept_then_timeout" (the network keeps the post, the caller hears nothing), or
an exception to raise without creating anything.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest

from smm.networks.base import (
    Adapter,
    Limits,
    NetworkError,
    PermanentError,
    PostDraft,
    PublishedPost,
    RemotePost,
    UnknownOutcomeError,
)
from smm.networks.mastodon.adapter import MastodonAdapter


@dataclass
class FakeNetwork:
    posts: dict[str, PublishedPost] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    drafts: list[PostDraft] = field(default_factory=list)  # every publish call, in order
    script: list[Any] = field(default_factory=list)
    find_script: list[Any] = field(default_factory=list)  # "look" or an exception, per find_post call
    fetch_fails: bool = False
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def create(self, draft: PostDraft) -> PublishedPost:
        if draft.idempotency_key not in self.posts:
            number = next(self._ids)
            self.posts[draft.idempotency_key] = PublishedPost(
                remote_id=str(number), url=f"https://fake.example/@brand/{number}", created_at=datetime.now(UTC)
            )
            self.texts[draft.idempotency_key] = draft.text
        return self.posts[draft.idempotency_key]


class FakeAdapter(Adapter):
    network = "mastodon"
    label = "Fake"
    capabilities = MastodonAdapter.capabilities
    idempotent_publish: ClassVar[bool] = True
    net: ClassVar[FakeNetwork]

    @classmethod
    def default_limits(cls) -> Limits:
        return Limits(max_characters=500, counting="mastodon")

    def limits(self) -> Limits:
        return self.default_limits()

    def publish(self, draft: PostDraft) -> PublishedPost:
        self.net.drafts.append(draft)
        behaviour = self.net.script.pop(0) if self.net.script else "ok"
        if behaviour == "ok":
            return self.net.create(draft)
        if behaviour == "accept_then_timeout":
            self.net.create(draft)
            raise UnknownOutcomeError("The network did not answer in time.")
        if isinstance(behaviour, BaseException):
            raise behaviour
        raise ValueError(f"unknown scripted behaviour {behaviour!r}")

    def find_post(self, *, idempotency_key: str, text: str, sent_at: datetime) -> PublishedPost | None:
        behaviour = self.net.find_script.pop(0) if self.net.find_script else "look"
        if isinstance(behaviour, NetworkError):
            raise behaviour
        return self.net.posts.get(idempotency_key)

    def fetch_post(self, remote_id: str) -> RemotePost:
        if self.net.fetch_fails:
            raise PermanentError("not found", status=404)
        for key, post in self.net.posts.items():
            if post.remote_id == remote_id:
                return RemotePost(remote_id=remote_id, url=post.url, text=self.net.texts[key], created_at=None)
        raise PermanentError("not found", status=404)


def install(monkeypatch: pytest.MonkeyPatch) -> FakeNetwork:
    """Make every adapter the publishing engine asks for talk to one new FakeNetwork."""
    net = FakeNetwork()
    FakeAdapter.net = net
    monkeypatch.setattr(
        "publishing.services.engine.adapter_for", lambda account: FakeAdapter(credentials={}, config={})
    )
    monkeypatch.setattr("publishing.services.engine.adapter_class", lambda network: FakeAdapter)
    return net
