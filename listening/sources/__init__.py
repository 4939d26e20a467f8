"""Readers: one module per kind of listening source, each reading what is new since the last run.

`read(source)` returns a ReadResult: the items as the pipeline's RawItem
(listening/services/pipeline.py) and what to remember for the next run (the cursor, a feed's
ETag and Last-Modified). A reader never stores anything: listening/services/sources.py hands the
items to the pipeline and saves the cursor only once they are kept. Every read is bounded
(MAX_ITEMS_PER_RUN); what is left is read on the next run. Problems are raised as SourceError,
whose message is written for the team.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from listening.models import Source

if TYPE_CHECKING:
    from listening.services.pipeline import RawItem

MAX_ITEMS_PER_RUN = 200


class SourceError(Exception):
    """A source could not be read. The message is written for the team (shown on the sources page)."""

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient  # False: reading again will fail the same way until someone acts


@dataclass
class ReadResult:
    items: list[RawItem] = field(default_factory=list)
    cursor: str | None = None  # None: keep the stored one
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False  # a feed answered 304


def raw_item(
    *,
    network: str,
    remote_id: str,
    text: str = "",
    html: str = "",
    published_at: datetime,
    url: str = "",
    title: str = "",
    author_id: str = "",
    author_handle: str = "",
    author_name: str = "",
    author_followers: int | None = None,
    likes: int = 0,
    reposts: int = 0,
    replies: int = 0,
    language: str = "",
) -> RawItem:
    """A pipeline RawItem: the one place where the readers meet its fields."""
    from listening.services.pipeline import RawItem

    return RawItem(
        network=network,
        remote_id=remote_id,
        url=url,
        author_id=author_id,
        author_handle=author_handle,
        author_name=author_name,
        author_followers=author_followers,
        title=title,
        text=text,
        html=html,
        published_at=published_at,
        likes=likes,
        reposts=reposts,
        replies=replies,
        language=language,
    )


def reader_for(kind: str) -> Callable[[Source], ReadResult]:
    from listening.sources import bluesky, feed, inbox, mastodon

    readers: dict[str, Callable[[Source], ReadResult]] = {
        Source.Kind.MASTODON_HASHTAG: mastodon.read,
        Source.Kind.MASTODON_PUBLIC: mastodon.read,
        Source.Kind.MASTODON_SEARCH: mastodon.read,
        Source.Kind.BLUESKY_SEARCH: bluesky.read,
        Source.Kind.FEED: feed.read,
        Source.Kind.INBOX: inbox.read,
    }
    if kind not in readers:
        raise SourceError(_("This source is not read on a schedule: items are sent to it."), transient=False)
    return readers[kind]


def read(source: Source) -> ReadResult:
    return reader_for(source.kind)(source)


def clamp_count(value: Any) -> int:
    try:
        return max(0, min(int(value or 0), 2_000_000_000))
    except (TypeError, ValueError):
        return 0


def read_network(source: Source, *, network: str, mode: str, query: str) -> ReadResult:
    """Read a network source through its connected account's adapter (Adapter.listen)."""
    from smm.networks.base import (
        AuthError,
        NetworkError,
        NotSupportedError,
        RateLimitedError,
        RemotePost,
        TransientError,
        UnknownOutcomeError,
    )
    from smm.networks.models import ConnectedAccount
    from smm.networks.registry import adapter_for, is_enabled

    account = source.account
    if account is None or account.network != network:
        raise SourceError(
            _("Choose a connected %(network)s account to read with.") % {"network": network}, transient=False
        )
    if not is_enabled(network):
        raise SourceError(_("%(network)s is turned off on this server.") % {"network": network}, transient=False)
    if account.status in (ConnectedAccount.Status.DISCONNECTED, ConnectedAccount.Status.RECONNECT):
        raise SourceError(
            _("The account %(handle)s needs to be reconnected on the accounts page.") % {"handle": account.handle},
            transient=False,
        )

    def post_item(post: RemotePost) -> RawItem:
        return raw_item(
            network=network,
            remote_id=post.remote_id,
            url=post.url,
            text=post.text,
            html=post.raw_html,
            published_at=post.created_at or post.received_at or _now(),
            author_id=post.author_id,
            author_handle=post.author_handle,
            author_name=post.author_display_name,
            likes=clamp_count(post.counts.get("likes")),
            reposts=clamp_count(post.counts.get("reposts")),
            replies=clamp_count(post.counts.get("replies")),
            language=post.language or "",
        )

    try:
        page = adapter_for(account).listen(mode=mode, query=query, cursor=source.cursor, limit=MAX_ITEMS_PER_RUN)
    except AuthError as error:
        raise SourceError(
            _("%(network)s no longer accepts the access of %(handle)s. Reconnect the account. (%(detail)s)")
            % {"network": network, "handle": account.handle, "detail": error.message},
            transient=False,
        ) from error
    except RateLimitedError as error:
        raise SourceError(
            _("%(network)s asked smm to slow down. smm reads again at the next run.") % {"network": network}
        ) from error
    except (TransientError, UnknownOutcomeError) as error:
        raise SourceError(
            _("%(network)s did not answer properly (%(detail)s). smm reads again at the next run.")
            % {"network": network, "detail": error.message}
        ) from error
    except NotSupportedError as error:
        raise SourceError(error.message, transient=False) from error
    except NetworkError as error:
        raise SourceError(
            _("%(network)s refused the request: %(detail)s") % {"network": network, "detail": error.message},
            transient=False,
        ) from error
    return ReadResult(items=[post_item(post) for post in page.posts[:MAX_ITEMS_PER_RUN]], cursor=page.cursor)


def _now() -> datetime:
    from django.utils import timezone

    return timezone.now()
