"""An in-memory network behind the real Adapter interface, for engine tests that script failures.

Posts are kept by idempotency key, like Mastodon's Idempotency-Key and Bluesky's record key, so a
test can count exactly how many posts the network holds. `script` lists what the next publish
calls do: "ok", "accept_then_timeout" (the network keeps the post, the caller hears nothing), or
an exception to raise without creating anything.

`replies()` finds the published posts (and the other people's posts a test puts in
`remote_posts`) whose reply_to chain leads to a post; `author_created_at()` reads `created_at`.
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

# When an account was created, for authors not in FakeNetwork.created_at.
OLD_ACCOUNT = datetime(2015, 1, 1, tzinfo=UTC)


@dataclass
class FakeNetwork:
    posts: dict[str, PublishedPost] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    drafts: list[PostDraft] = field(default_factory=list)  # every publish call, in order
    script: list[Any] = field(default_factory=list)
    find_script: list[Any] = field(default_factory=list)  # "look" or an exception, per find_post call
    fetch_fails: bool = False
    remote_posts: list[RemotePost] = field(default_factory=list)  # other people's posts, e.g. replies
    created_at: dict[str, datetime] = field(default_factory=dict)  # author id -> account creation
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def create(self, draft: PostDraft) -> PublishedPost:
        if draft.idempotency_key not in self.posts:
            number = next(self._ids)
            self.posts[draft.idempotency_key] = PublishedPost(
                remote_id=str(number), url=f"https://fake.example/@brand/{number}", created_at=datetime.now(UTC)
            )
            self.texts[draft.idempotency_key] = draft.text
        return self.posts[draft.idempotency_key]

    def all_posts(self) -> dict[str, RemotePost]:
        """Every post on the network by remote id: the published ones and `remote_posts`."""
        found = {post.remote_id: post for post in self.remote_posts}
        replied = {draft.idempotency_key: draft.reply_to for draft in self.drafts}
        for key, post in self.posts.items():
            found[post.remote_id] = RemotePost(
                remote_id=post.remote_id,
                url=post.url,
                text=self.texts[key],
                created_at=post.created_at,
                reply_to=replied.get(key),
            )
        return found


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

    def replies(self, remote_id: str, *, limit: int = 500) -> list[RemotePost]:
        posts = self.net.all_posts()
        found = []
        for post in posts.values():
            parent, seen = post.reply_to, {post.remote_id}
            while parent is not None and parent != remote_id and parent not in seen and parent in posts:
                seen.add(parent)
                parent = posts[parent].reply_to
            if parent == remote_id:
                found.append(post)
        found.sort(key=lambda post: (post.created_at or OLD_ACCOUNT, post.remote_id))
        return found[: max(limit, 0)]

    def author_created_at(self, author_id: str) -> datetime | None:
        return self.net.created_at.get(author_id, OLD_ACCOUNT)


def install(monkeypatch: pytest.MonkeyPatch) -> FakeNetwork:
    """Make every adapter the publishing engine asks for talk to one new FakeNetwork."""
    net = FakeNetwork()
    FakeAdapter.net = net
    monkeypatch.setattr(
        "publishing.services.engine.adapter_for", lambda account: FakeAdapter(credentials={}, config={})
    )
    monkeypatch.setattr("publishing.services.engine.adapter_class", lambda network: FakeAdapter)
    return net
