"""An in-memory network for inbox tests: scripted notifications, threads, replies and moderation.

Every `post()` is kept in `posts`, so `replies()` finds the ones below a post through their
reply_to chains; `author_created_at()` reads `created_at` (OLD_ACCOUNT for authors not in it).

Use `install(monkeypatch)`; every adapter the inbox services ask for talks to one FakeInbox.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest

from smm.networks.base import (
    Adapter,
    Capability,
    Limits,
    NetworkError,
    Notification,
    Page,
    PostDraft,
    PublishedPost,
    RemotePost,
)

START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
# When an account was created, for authors not in FakeInbox.created_at: long before START.
OLD_ACCOUNT = datetime(2015, 1, 1, tzinfo=UTC)


@dataclass
class FakeInbox:
    notifications: list[Notification] = field(default_factory=list)  # newest first, like the networks
    threads: dict[str, RemotePost] = field(default_factory=dict)  # post id -> its thread's root
    sent: list[PostDraft] = field(default_factory=list)
    actions: list[tuple[str, str]] = field(default_factory=list)
    fail_on_page: int | None = None  # raise on this page number (0-based), once
    posts: dict[str, RemotePost] = field(default_factory=dict)  # every post() made, by id: replies() reads them
    created_at: dict[str, datetime] = field(default_factory=dict)  # author id -> account creation (else OLD_ACCOUNT)
    _ids: Any = field(default_factory=lambda: itertools.count(1000))
    _clock: Any = field(default_factory=lambda: itertools.count(1))

    def post(
        self,
        *,
        text: str,
        author: str = "anna",
        reply_to: str | None = None,
        remote_id: str | None = None,
        author_id: str = "",
    ) -> RemotePost:
        number = next(self._ids)
        post = RemotePost(
            remote_id=remote_id or f"p{number}",
            url=f"https://fake.example/@{author}/{number}",
            text=text,
            created_at=START + timedelta(minutes=next(self._clock)),
            author_handle=f"@{author}@fake.example",
            author_display_name=author.title(),
            reply_to=reply_to,
            raw_html=f"<p>{text}</p>",
            author_id=author_id,
        )
        self.posts[post.remote_id] = post
        return post

    def replies_below(self, remote_id: str) -> list[RemotePost]:
        """The posts whose reply_to chain leads up to `remote_id`, oldest first."""
        found = []
        for post in self.posts.values():
            parent, seen = post.reply_to, {post.remote_id}
            while parent is not None and parent != remote_id and parent not in seen and parent in self.posts:
                seen.add(parent)
                parent = self.posts[parent].reply_to
            if parent == remote_id:
                found.append(post)
        return sorted(found, key=lambda post: (post.created_at or START, post.remote_id))

    def notify(
        self, kind: str, post: RemotePost, *, author: str = "anna", author_id: str | None = None
    ) -> Notification:
        notification = Notification(
            remote_id=f"n{next(self._ids)}",
            kind=kind,
            created_at=post.created_at,
            author_id=author_id or f"id-{author}",
            author_handle=f"@{author}@fake.example",
            author_display_name=author.title(),
            post=post,
        )
        self.notifications.insert(0, notification)
        return notification


class FakeInboxAdapter(Adapter):
    network = "mastodon"
    label = "Fake"
    capabilities = frozenset(
        {
            Capability.READ_INBOX,
            Capability.READ_REPLIES,
            Capability.REPLY,
            Capability.LIKE,
            Capability.BOOST,
            Capability.BLOCK,
            Capability.MUTE,
            Capability.DELETE,
            Capability.PUBLISH_TEXT,
        }
    )
    idempotent_publish = True
    box: ClassVar[FakeInbox]

    @classmethod
    def default_limits(cls) -> Limits:
        return Limits(max_characters=500, counting="mastodon")

    def notifications(
        self, *, limit: int = 40, cursor: str | None = None, since_id: str | None = None
    ) -> Page[Notification]:
        start = int(cursor or 0)
        page_number = start // limit
        if self.box.fail_on_page is not None and page_number == self.box.fail_on_page:
            self.box.fail_on_page = None
            raise NetworkError("The server did not answer.", status=503)
        items = self.box.notifications[start : start + limit]
        more = start + limit < len(self.box.notifications)
        return Page(items=items, cursor=str(start + limit) if more else None)

    def thread(self, remote_id: str) -> Any:
        root = self.box.threads.get(remote_id)
        if root is None:
            raise NetworkError("not found", status=404)
        return type("Thread", (), {"root": root, "ancestors": [root]})()

    def replies(self, remote_id: str, *, limit: int = 500) -> list[RemotePost]:
        return self.box.replies_below(remote_id)[: max(limit, 0)]

    def author_created_at(self, author_id: str) -> datetime | None:
        return self.box.created_at.get(author_id, OLD_ACCOUNT)

    def publish(self, draft: PostDraft) -> PublishedPost:
        self.box.sent.append(draft)
        number = next(self.box._ids)
        return PublishedPost(remote_id=f"ours{number}", url=f"https://fake.example/@brand/{number}")

    def like(self, remote_id: str) -> None:
        self.box.actions.append(("like", remote_id))

    def boost(self, remote_id: str) -> None:
        self.box.actions.append(("boost", remote_id))

    def block(self, author_id: str) -> None:
        self.box.actions.append(("block", author_id))

    def mute(self, author_id: str) -> None:
        self.box.actions.append(("mute", author_id))


def install(monkeypatch: pytest.MonkeyPatch) -> FakeInbox:
    box = FakeInbox()
    FakeInboxAdapter.box = box
    make = lambda account: FakeInboxAdapter(credentials={}, config={})  # noqa: E731
    for target in (
        "participation.services.collection.adapter_for",
        "participation.services.replies.adapter_for",
        "participation.services.moderation.adapter_for",
    ):
        monkeypatch.setattr(target, make)
    for target in ("participation.services.replies.adapter_class", "participation.services.moderation.adapter_class"):
        monkeypatch.setattr(target, lambda network: FakeInboxAdapter)
    return box
