"""An in-memory network for inbox tests: scripted notifications, threads, replies and moderation.

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


@dataclass
class FakeInbox:
    notifications: list[Notification] = field(default_factory=list)  # newest first, like the networks
    threads: dict[str, RemotePost] = field(default_factory=dict)  # post id -> its thread's root
    sent: list[PostDraft] = field(default_factory=list)
    actions: list[tuple[str, str]] = field(default_factory=list)
    fail_on_page: int | None = None  # raise on this page number (0-based), once
    _ids: Any = field(default_factory=lambda: itertools.count(1000))
    _clock: Any = field(default_factory=lambda: itertools.count(1))

    def post(
        self, *, text: str, author: str = "anna", reply_to: str | None = None, remote_id: str | None = None
    ) -> RemotePost:
        number = next(self._ids)
        return RemotePost(
            remote_id=remote_id or f"p{number}",
            url=f"https://fake.example/@{author}/{number}",
            text=text,
            created_at=START + timedelta(minutes=next(self._clock)),
            author_handle=f"@{author}@fake.example",
            author_display_name=author.title(),
            reply_to=reply_to,
            raw_html=f"<p>{text}</p>",
        )

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
