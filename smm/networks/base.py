"""The one adapter interface every social network implements, its value types and errors.

Pages and later features never ask "is this Mastodon?": they ask an adapter's `capabilities`
and `limits`, call its methods, and handle the four kinds of `NetworkError`.
Adapters are built from an account's decrypted credentials and non-secret config, so they
can be tested without the database; `save_credentials` lets them persist refreshed tokens.
"""

from __future__ import annotations

import enum
from abc import ABC
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from django.utils.translation import gettext_lazy as _


class Capability(enum.StrEnum):
    PUBLISH_TEXT = "publish_text"
    PUBLISH_IMAGES = "publish_images"
    PUBLISH_VIDEO = "publish_video"
    ALT_TEXT = "alt_text"
    CONTENT_WARNING = "content_warning"
    THREADS = "threads"
    DELETE = "delete"
    READ_POSTS = "read_posts"
    READ_METRICS = "read_metrics"
    READ_INBOX = "read_inbox"
    READ_REPLIES = "read_replies"
    DIRECT_MESSAGES = "direct_messages"
    REPLY = "reply"
    LIKE = "like"
    BOOST = "boost"
    HIDE = "hide"
    DELETE_OTHERS = "delete_others"
    BLOCK = "block"
    MUTE = "mute"
    REPORT = "report"
    SEARCH = "search"
    PROFILE = "profile"


CAPABILITY_LABELS: dict[Capability, Any] = {
    Capability.PUBLISH_TEXT: _("Publish text"),
    Capability.PUBLISH_IMAGES: _("Publish images"),
    Capability.PUBLISH_VIDEO: _("Publish video"),
    Capability.ALT_TEXT: _("Alt text for images"),
    Capability.CONTENT_WARNING: _("Content warnings"),
    Capability.THREADS: _("Threads and replies"),
    Capability.DELETE: _("Delete posts"),
    Capability.READ_POSTS: _("Read own posts"),
    Capability.READ_METRICS: _("Post metrics"),
    Capability.READ_INBOX: _("Mentions and replies"),
    Capability.READ_REPLIES: _("Read replies to posts"),
    Capability.DIRECT_MESSAGES: _("Direct messages"),
    Capability.REPLY: _("Reply"),
    Capability.LIKE: _("Like"),
    Capability.BOOST: _("Boost or repost"),
    Capability.HIDE: _("Hide comments"),
    Capability.DELETE_OTHERS: _("Delete others' comments"),
    Capability.BLOCK: _("Block accounts"),
    Capability.MUTE: _("Mute accounts"),
    Capability.REPORT: _("Report accounts and posts to moderators"),
    Capability.SEARCH: _("Search (listening)"),
    Capability.PROFILE: _("Profile basics"),
}


# Errors ----------------------------------------------------------------------------------------
class NetworkError(Exception):
    """Base of every failure an adapter raises; `message` is safe to show to the team."""

    def __init__(self, message: str, *, status: int | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.detail = detail  # the network's own words, for logs and the account health page


class PermanentError(NetworkError):
    """The request is wrong or the content was refused: retrying the same thing fails again."""


class NotSupportedError(PermanentError):
    """The network (or this connection) cannot do this at all."""


class CapabilityUnavailableError(NotSupportedError):
    """The network can do this, but not with this account's access (e.g. a Bluesky app password
    made without direct-message access). Everything else keeps working; the account page says what
    to do (Adapter.unavailable_capabilities), and callers stop asking until the account changes."""

    def __init__(self, message: str, *, capability: Capability, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.capability = capability


class AuthError(NetworkError):
    """The credentials are no longer accepted: the account must be reconnected."""


class TransientError(NetworkError):
    """Try again later (server error, rate limit); `retry_after` seconds when the network said."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class RateLimitedError(TransientError):
    """The network's rate limit is used up until `retry_after` seconds from now."""


class UnknownOutcomeError(NetworkError):
    """The request was sent but no answer came (timeout, connection lost): it may have succeeded.

    Never retry a publish blindly after this; reconcile by looking for the post first.
    """


# Values ----------------------------------------------------------------------------------------
# What a report may say it is about: the categories both networks have (Mastodon: spam / other,
# Bluesky: reasonSpam / reasonRude / reasonOther; see each adapter's report()).
REPORT_CATEGORIES = ("spam", "rude", "other")


@dataclass(frozen=True)
class Limits:
    """What one account may send, counted the network's way (see smm.networks.text)."""

    max_characters: int
    counting: str  # "graphemes" (Bluesky) or "mastodon" (characters, URLs as url_length)
    max_images: int = 4
    max_videos: int = 1
    max_media: int = 4
    image_max_bytes: int | None = None
    video_max_bytes: int | None = None
    url_length: int = 23
    alt_text_max_characters: int | None = None
    video_max_seconds: float | None = None
    # True when the adapter shrinks a too-large picture itself instead of the network refusing it.
    resizes_images: bool = False
    image_mime_types: tuple[str, ...] = ("image/jpeg", "image/png", "image/gif", "image/webp")
    video_mime_types: tuple[str, ...] = ("video/mp4",)

    def count(self, text: str) -> int:
        from smm.networks import text as counting

        if self.counting == "graphemes":
            return counting.count_graphemes(text)
        return counting.count_mastodon(text, url_length=self.url_length)

    def to_dict(self) -> dict[str, Any]:
        return {key: list(value) if isinstance(value, tuple) else value for key, value in self.__dict__.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Limits:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        for name in ("image_mime_types", "video_mime_types"):
            if name in known:
                known[name] = tuple(known[name])
        return cls(**known)


@dataclass(frozen=True)
class MediaItem:
    data: bytes
    mime_type: str
    alt_text: str = ""
    filename: str = "media"


@dataclass(frozen=True)
class PostDraft:
    """What to publish. `idempotency_key` is chosen by smm before the first attempt and reused by
    every retry of the same attempt, so the network can refuse a duplicate."""

    text: str
    idempotency_key: str
    media: tuple[MediaItem, ...] = ()
    language: str | None = None
    reply_to: str | None = None  # the remote id (Mastodon status id, Bluesky at:// URI) replied to
    content_warning: str = ""
    visibility: str = "public"


@dataclass(frozen=True)
class PublishedPost:
    remote_id: str
    url: str
    created_at: datetime | None = None


@dataclass(frozen=True)
class RemotePost:
    remote_id: str
    url: str
    text: str
    created_at: datetime | None
    author_handle: str = ""
    author_display_name: str = ""
    language: str | None = None
    counts: dict[str, int] = field(default_factory=dict)  # likes, reposts, replies, quotes
    reply_to: str | None = None  # the parent's remote id
    raw_html: str = ""  # the network's own HTML (Mastodon), to be sanitised before display
    # The author's stable id (Mastodon account id, Bluesky DID): handles change, this does not.
    author_id: str = ""
    author_avatar_url: str = ""  # never loaded by the team's browser directly (it would leak who looks)
    author_url: str = ""  # the author's profile page
    # The root of the post's thread, when the network names it in the post itself (Bluesky does;
    # Mastodon does not: ask Adapter.thread()). None for a post that starts a thread.
    thread_root: str | None = None
    visibility: str = "public"  # Mastodon: public, unlisted, private, direct; Bluesky: always public
    # When the network's own server first saw the post, where it says (Bluesky: the AppView's
    # indexedAt). created_at is what the author's app claims there and can be set to any time.
    received_at: datetime | None = None


LISTEN_MODES = ("hashtag", "public", "local", "search")


@dataclass(frozen=True)
class ListenPage:
    """What Adapter.listen() read: the posts (any order) and the cursor for the next read."""

    posts: list[RemotePost]
    cursor: str


@dataclass(frozen=True)
class Notification:
    remote_id: str
    kind: str  # mention, reply, direct, like, repost, quote, follow, follow_request
    created_at: datetime | None
    author_id: str  # stable: Mastodon account id, Bluesky DID
    author_handle: str
    author_display_name: str = ""
    post: RemotePost | None = None  # what was written (mention, reply, direct, quote) or acted on
    author_avatar_url: str = ""
    author_url: str = ""


@dataclass(frozen=True)
class Thread:
    """A post with the chain of posts it replies to, as far as the network still shows it.

    A parent that was deleted, or that the account cannot see (blocked, private), ends the chain
    there without an error: then `complete` is False and `ancestors` holds only what is below the
    gap. `root` is the thread's first post when the network can still show it (Bluesky names it
    in every reply; a Mastodon server lists it above the gap when the gap is a hidden post), else
    the highest post that could be read.
    """

    root: RemotePost
    ancestors: list[RemotePost]  # root first, parent last; empty when `post` starts the thread
    post: RemotePost  # the post asked about
    complete: bool = True  # the chain reaches from `post` up to the root without a gap


@dataclass(frozen=True)
class Profile:
    remote_id: str
    handle: str
    display_name: str = ""
    bio: str = ""
    avatar_url: str = ""
    url: str = ""
    followers_count: int | None = None
    following_count: int | None = None
    posts_count: int | None = None


T = TypeVar("T")


@dataclass(frozen=True)
class DirectMessages:
    """New direct messages from a chat service of their own (Adapter.direct_messages).

    `items` are Notification(kind="direct") whose post names its conversation in `thread_root`,
    oldest first. `position` is where the next read starts (store it once the items are stored;
    None when nothing was read). `complete` is False when the read stopped at a bound and more is
    waiting: ask again with the new position.
    """

    items: list[Notification]
    position: str | None
    complete: bool = True


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    cursor: str | None = None  # pass back to get the next (older) page; None when there is none


SaveCredentials = Callable[[dict[str, Any]], None]
# Holds the account's lock while a token is refreshed and yields the credentials stored now,
# so a worker that waited can use another worker's fresh tokens instead of refreshing again.
RefreshGuard = Callable[[], AbstractContextManager[dict[str, Any]]]


class Adapter(ABC):
    """One connected account on one network. Methods the network cannot do raise NotSupportedError.

    `credentials` are secrets (tokens, app passwords); `config` is what the connect step learned
    and may be shown (instance URL, limits, remote account id). An adapter that refreshes a
    token calls `save_credentials` with the complete new credentials; it never passes an empty
    refresh token.
    """

    network: ClassVar[str]
    label: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]

    def __init__(
        self,
        *,
        credentials: dict[str, Any],
        config: dict[str, Any],
        save_credentials: SaveCredentials | None = None,
        rate_limit_key: str | None = None,
        refresh_guard: RefreshGuard | None = None,
    ) -> None:
        self.credentials = credentials
        self.config = config
        self.save_credentials = save_credentials
        self.refresh_guard = refresh_guard
        # The shared budget (smm.lib.ratelimit) this account's calls wait for and feed.
        self.rate_limit_key = rate_limit_key

    @classmethod
    def new_idempotency_key(cls) -> str:
        """A fresh key for one publish attempt; networks with their own format override this."""
        import uuid

        return uuid.uuid4().hex

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    # What to do when one account lacks a capability the network has (see unavailable_capabilities).
    capability_hints: ClassVar[dict[Capability, Any]] = {}
    # Where an account's config records capabilities its access lacks: {capability: ISO time checked}.
    UNAVAILABLE_KEY: ClassVar[str] = "unavailable"

    @classmethod
    def unavailable_capabilities(cls, config: dict[str, Any]) -> dict[Capability, str]:
        """The capabilities this one account lacks although the network has them (its access was
        granted without them, see CapabilityUnavailableError), each with what to do about it.

        Read from the account's config, where connecting the account or a refused call recorded
        them: no network call, so pages may ask."""
        recorded = config.get(cls.UNAVAILABLE_KEY) or {}
        found: dict[Capability, str] = {}
        for capability in cls.capabilities:
            if capability.value in recorded:
                found[capability] = str(cls.capability_hints.get(capability, ""))
        return found

    def _unsupported(self, what: object) -> NotSupportedError:
        return NotSupportedError(
            str(_("%(network)s does not support %(what)s.") % {"network": self.label, "what": what})
        )

    # Account -----------------------------------------------------------------------------------
    @classmethod
    def default_limits(cls) -> Limits | None:
        """The limits to assume before (or without) asking the network; None if unknown."""
        return None

    def limits(self) -> Limits:
        """The limits for this account, read from the network where it reports them."""
        raise NotImplementedError

    def profile(self) -> Profile:
        """Profile basics; also the cheapest call that proves the credentials still work."""
        raise self._unsupported(_("profiles"))

    # Publishing --------------------------------------------------------------------------------
    def publish(self, draft: PostDraft) -> PublishedPost:
        raise self._unsupported(_("publishing"))

    def delete(self, remote_id: str) -> None:
        raise self._unsupported(_("deleting posts"))

    def own_posts(self, *, limit: int = 20, cursor: str | None = None) -> Page[RemotePost]:
        raise self._unsupported(_("reading posts"))

    # Participation -----------------------------------------------------------------------------
    def notifications(
        self, *, limit: int = 40, cursor: str | None = None, since_id: str | None = None
    ) -> Page[Notification]:
        """Newest first. `cursor` pages back to older items; `since_id` (the newest notification
        already stored) asks for newer ones only, where the network can filter: keep passing it
        while following the cursor, and stop at the first known item anyway, since a network that
        cannot filter (Bluesky) only stops at `since_id` when that item still exists."""
        raise self._unsupported(_("notifications"))

    def thread(self, remote_id: str) -> Thread:
        """The post with its parent chain up to the thread's root (see Thread for gaps)."""
        raise self._unsupported(_("reading threads"))

    def replies(self, remote_id: str, *, limit: int = 500) -> list[RemotePost]:
        """Every reply the account can see in the thread below `remote_id` (direct and deeper ones),
        oldest first, at most `limit`. Replies the network hides from the account (blocked, deleted,
        private) are left out; see each adapter for how far down it can read."""
        raise self._unsupported(_("reading replies"))

    def author_created_at(self, author_id: str) -> datetime | None:
        """When the account `author_id` (a RemotePost.author_id) was created; None when the network
        does not say. An account that is gone raises PermanentError."""
        raise self._unsupported(_("account creation dates"))

    def like(self, remote_id: str) -> None:
        raise self._unsupported(_("likes"))

    def unlike(self, remote_id: str) -> None:
        raise self._unsupported(_("likes"))

    def boost(self, remote_id: str) -> None:
        raise self._unsupported(_("boosts"))

    def unboost(self, remote_id: str) -> None:
        raise self._unsupported(_("boosts"))

    # Direct messages in a chat of their own -----------------------------------------------------
    # True when direct messages live in conversations apart from posts and notifications (Bluesky
    # chat): read with direct_messages() and answered with send_direct(). False when they are posts
    # with a private visibility (Mastodon): notifications() and publish() handle them.
    chat: ClassVar[bool] = False

    def direct_messages(self, *, since: str | None = None) -> DirectMessages:
        """Direct messages others sent the account after the position `since` (None: a first read,
        which brings a bounded recent history). The account's own messages are left out.

        Raises CapabilityUnavailableError when the account's access does not reach its messages."""
        raise self._unsupported(_("direct conversations"))

    def send_direct(self, *, conversation_id: str, text: str) -> PublishedPost:
        """Send `text` into the direct conversation `conversation_id` (a Notification's thread_root).

        Not idempotent: the chat takes no key. After a TransientError or UnknownOutcomeError, ask
        find_direct() before sending the same message again."""
        raise self._unsupported(_("direct conversations"))

    def find_direct(
        self, *, conversation_id: str, text: str, sent_after: datetime, exclude: Collection[str] = ()
    ) -> PublishedPost | None:
        """After a send whose outcome is unknown: the account's message with this text sent into the
        conversation after `sent_after` (not one of `exclude`, messages already accounted for), or
        None when the conversation's latest messages provably do not hold it.

        Raises TransientError (or another NetworkError) when it cannot tell."""
        raise self._unsupported(_("direct conversations"))

    # Moderation --------------------------------------------------------------------------------
    def block(self, author_id: str) -> None:
        raise self._unsupported(_("blocking"))

    def unblock(self, author_id: str) -> None:
        raise self._unsupported(_("blocking"))

    def mute(self, author_id: str) -> None:
        raise self._unsupported(_("muting"))

    def unmute(self, author_id: str) -> None:
        raise self._unsupported(_("muting"))

    def report(self, *, remote_id: str | None, author_id: str, reason: str, category: str = "other") -> None:
        """Report an account (and one of its posts, when `remote_id` is given) to the moderators
        of the network or server. `reason` is the team's words; `category` one of REPORT_CATEGORIES."""
        raise self._unsupported(_("reports"))

    def hide_reply(self, reply_id: str, root_id: str) -> None:
        """Hide someone's reply in a thread the account started (`root_id` is the thread's root)."""
        raise self._unsupported(_("hiding replies"))

    def unhide_reply(self, reply_id: str, root_id: str) -> None:
        raise self._unsupported(_("hiding replies"))

    # Listening ---------------------------------------------------------------------------------
    def search(self, query: str, *, limit: int = 20) -> list[RemotePost]:
        raise self._unsupported(_("search"))

    def listen(self, *, mode: str, query: str = "", cursor: str = "", limit: int = 100) -> ListenPage:
        """Public posts newer than `cursor`, for listening; at most `limit` of them per call.

        `mode` is one of LISTEN_MODES: "hashtag" (query = the tag, without #), "public" (the
        federated timeline), "local" (the server's own timeline) or "search" (query = the terms).
        `cursor` is what an earlier page returned ("" on the first read, which returns only the
        newest page). A network without a "newer than" parameter for a mode filters what it reads
        instead, and the caller deduplicates. The returned cursor is the one to pass next time;
        store it only once the posts are safely kept."""
        raise self._unsupported(_("listening"))

    # Exactly once ------------------------------------------------------------------------------
    # True when publishing the same PostDraft (same idempotency_key) twice can never make two posts,
    # so a publish that failed transiently or whose outcome is unknown may be retried.
    idempotent_publish: ClassVar[bool] = False

    def find_post(self, *, idempotency_key: str, text: str, sent_at: datetime) -> PublishedPost | None:
        """After an unknown outcome: the post if the network has it, None if it provably does not.

        Raises TransientError (or another NetworkError) when it cannot tell yet."""
        raise self._unsupported(_("looking up a post"))

    def fetch_post(self, remote_id: str) -> RemotePost:
        """Read one of the account's own posts back from the network (to verify it is live)."""
        raise self._unsupported(_("reading posts"))
