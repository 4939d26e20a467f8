"""The Bluesky adapter: one connected account on the AT Protocol network.

Records are written to the account's repository on its PDS (posts, likes, reposts, blocks);
reads (feeds, counts, notifications, search, profiles) go to the same PDS, which proxies them to
the AppView. The AppView indexes new records a moment after the PDS stores them.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
import regex
from atproto_client import models
from atproto_client.models.dot_dict import DotDict
from django.utils.translation import gettext as _

from smm.networks.base import (
    Adapter,
    AuthError,
    Capability,
    DirectMessages,
    Limits,
    ListenPage,
    MediaItem,
    NetworkError,
    Notification,
    Page,
    PermanentError,
    PostDraft,
    Profile,
    PublishedPost,
    RateLimitedError,
    RefreshGuard,
    RemotePost,
    SaveCredentials,
    Thread,
    TransientError,
)
from smm.networks.bluesky import chat as bluesky_chat
from smm.networks.bluesky import embeds
from smm.networks.bluesky.client import (
    ACCOUNT_ERRORS,
    BLUESKY_LIMITS,
    BlueskySession,
    PinnedClient,
    new_http_client,
    xrpc_error,
)
from smm.networks.bluesky.facets import detect_facets, first_link

logger = logging.getLogger(__name__)

POST = "app.bsky.feed.post"
LIKE = "app.bsky.feed.like"
REPOST = "app.bsky.feed.repost"
BLOCK = "app.bsky.graph.block"
THREADGATE = "app.bsky.feed.threadgate"
WEB_URL = "https://bsky.app"
# Besides 300 graphemes, post text may hold at most 3000 UTF-8 bytes (long emoji sequences).
MAX_TEXT_BYTES = 3000
# listNotifications reasons -> Notification.kind; others (starterpack-joined, verified, ...) are skipped.
NOTIFICATION_KINDS = {
    "mention": "mention",
    "reply": "reply",
    "quote": "quote",
    "like": "like",
    "like-via-repost": "like",
    "repost": "repost",
    "repost-via-repost": "repost",
    "follow": "follow",
}
AT_URI = re.compile(r"^at://(?P<repo>[^/]+)/(?P<collection>[^/]+)/(?P<rkey>[^/?#]+)$")
TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_tid_lock = threading.Lock()
_last_tid_micros = 0
_GET_POSTS_BATCH = 25
# How far up getPostThread reads a reply's parents (its default; the lexicon allows up to 1000).
THREAD_PARENT_HEIGHT = 80
# How many levels of replies one getPostThread asks for. Bluesky's AppView answers at most 10
# levels whatever is asked (the lexicon allows 1000; atproto issue 3147), so replies() asks for 10
# and reads deeper branches with one more call each, anchored at the last post it got.
THREAD_REPLY_DEPTH = 10
# At most this many getPostThread calls for one replies(): a chain of about 250 levels.
MAX_THREAD_READS = 25
# Account creation times before this are placeholders (Go's zero time from an AppView), not dates.
EARLIEST_ACCOUNT = datetime(2000, 1, 1, tzinfo=UTC)
# A threadgate hides at most this many replies (app.bsky.feed.threadgate hiddenReplies maxLength).
MAX_HIDDEN_REPLIES = 300
# smm's report categories -> com.atproto.moderation.defs reason types.
REPORT_REASONS = {
    "spam": "com.atproto.moderation.defs#reasonSpam",
    "rude": "com.atproto.moderation.defs#reasonRude",
    "other": "com.atproto.moderation.defs#reasonOther",
}
REPORT_REASON_MAX_GRAPHEMES = 2000  # com.atproto.moderation.createReport `reason`


def new_tid() -> str:
    """A fresh TID (timestamp identifier): microseconds since 1970 and a random clock id, base32-sortable."""
    global _last_tid_micros
    with _tid_lock:
        micros = max(time.time_ns() // 1000, _last_tid_micros + 1)  # strictly increasing in this process
        _last_tid_micros = micros
    value = (micros << 10) | secrets.randbelow(1024)
    return "".join(_TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5))


def _get(value: Any, name: str, default: Any = None) -> Any:
    """Attribute of an atproto model or key of a plain dict (records of unknown types stay dicts)."""
    if value is None:
        return default
    if isinstance(value, dict):
        return value.get(name, default)
    return getattr(value, name, default)


def _parse_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _reply_uri(record: Any, which: str) -> str | None:
    """The at:// URI of a post record's reply `parent` or `root`; None for a post that is no reply."""
    uri = _get(_get(_get(record, "reply"), which), "uri")
    return str(uri) if uri else None


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _iri_to_uri(uri: str) -> str:
    """Percent-encode non-ASCII characters of a link (the lexicon wants a URI, the text may hold an IRI)."""
    return quote(uri, safe=":/?#[]@!$&'()*+,;=%~")


class BlueskyAdapter(Adapter):
    """A Bluesky account connected with an app password (see client.connect)."""

    network: ClassVar[str] = "bluesky"
    label: ClassVar[str] = "Bluesky"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.PUBLISH_TEXT,
            Capability.PUBLISH_IMAGES,
            Capability.ALT_TEXT,
            Capability.THREADS,
            Capability.DELETE,
            Capability.READ_POSTS,
            Capability.READ_METRICS,
            Capability.READ_INBOX,
            Capability.READ_REPLIES,
            Capability.REPLY,
            Capability.LIKE,
            Capability.BOOST,
            Capability.BLOCK,
            Capability.MUTE,
            Capability.REPORT,
            Capability.HIDE,  # replies in the account's own threads, through the threadgate record
            Capability.SEARCH,
            Capability.PROFILE,
            # Through the chat service (chat.py), which app passwords reach only when created with
            # direct-message access: without it the account lacks this one (unavailable_capabilities).
            Capability.DIRECT_MESSAGES,
            # Not DELETE_OTHERS: nobody can.
        }
    )
    capability_hints: ClassVar[dict[Capability, Any]] = {Capability.DIRECT_MESSAGES: bluesky_chat.NO_ACCESS_HINT}
    chat = True

    def __init__(
        self,
        *,
        credentials: dict[str, Any],
        config: dict[str, Any],
        save_credentials: SaveCredentials | None = None,
        rate_limit_key: str | None = None,
        refresh_guard: RefreshGuard | None = None,
        http_client: httpx.Client | None = None,
        link_card_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(
            credentials=credentials,
            config=config,
            save_credentials=save_credentials,
            rate_limit_key=rate_limit_key,
            refresh_guard=refresh_guard,
        )
        if http_client is None and rate_limit_key:
            from smm.lib.ratelimit import httpx_event_hooks

            http_client = new_http_client(event_hooks=httpx_event_hooks(rate_limit_key))
        self.http_client = http_client
        self.link_card_client = link_card_client
        self._session: BlueskySession | None = None
        self._chat: bluesky_chat.BlueskyChat | None = None

    @classmethod
    def new_idempotency_key(cls) -> str:
        """A TID: used as the post's record key, so a retried create cannot make a second post."""
        return new_tid()

    # Plumbing ----------------------------------------------------------------------------------
    @property
    def session(self) -> BlueskySession:
        if self._session is None:
            self._session = BlueskySession(
                self.credentials,
                save_credentials=self._saved,
                handle=str(self.config.get("handle") or ""),
                http_client=self.http_client,
                refresh_guard=self.refresh_guard,
            )
        return self._session

    def close(self) -> None:
        """Close pooled connections now rather than when the adapter is garbage-collected."""
        if self._session is not None:
            self._session.close()

    def _saved(self, credentials: dict[str, Any]) -> None:
        self.credentials = credentials
        if self.save_credentials is not None:
            self.save_credentials(credentials)

    @property
    def did(self) -> str:
        return self.session.did

    def _read(self, operation: Any) -> Any:
        return self.session.call(operation, write=False)

    def _write(self, operation: Any) -> Any:
        return self.session.call(operation, write=True)

    def post_url(self, uri: str, handle: str = "") -> str:
        match = AT_URI.match(uri)
        if not match:
            return ""
        web = str(self.config.get("web_url") or WEB_URL).rstrip("/")
        return f"{web}/profile/{handle or match['repo']}/post/{match['rkey']}"

    def profile_url(self, handle_or_did: str) -> str:
        web = str(self.config.get("web_url") or WEB_URL).rstrip("/")
        return f"{web}/profile/{handle_or_did}" if handle_or_did else ""

    def _xrpc(self, nsid: str, *, params: dict[str, Any] | None = None, body: dict[str, Any] | None = None) -> Any:
        """One XRPC call with plain JSON in and out (records are edited as the JSON they are, so
        fields the library's models do not know survive a read-modify-write). A body makes it a
        procedure (a write)."""

        def call(client: PinnedClient) -> Any:
            if body is None:
                response = client.invoke_query(nsid, params=DotDict(params) if params else None)
            else:
                response = client.invoke_procedure(nsid, data=DotDict(body), input_encoding="application/json")
            return response.content

        return self.session.call(call, write=body is not None)

    def _split_uri(self, uri: str, collection: str | None = POST) -> re.Match[str]:
        if bluesky_chat.parse_chat_id(uri):
            raise self._unsupported(_("this with direct messages"))
        match = AT_URI.match(uri or "")
        if not match or (collection and match["collection"] != collection):
            raise PermanentError(_("That is not a Bluesky post address."), detail=uri)
        return match

    def _strong_ref(self, uri: str) -> Any:
        """uri + cid of a post (getRecord on the PDS, which asks the AppView for other PDSes' posts)."""
        match = self._split_uri(uri)
        record = self._read(
            lambda client: client.com.atproto.repo.get_record(
                {"repo": match["repo"], "collection": match["collection"], "rkey": match["rkey"]}
            )
        )
        return record

    def _resolve_handle(self, handle: str) -> str | None:
        def resolve(client: PinnedClient) -> str | None:
            from atproto_client.exceptions import BadRequestError

            try:
                return str(client.com.atproto.identity.resolve_handle({"handle": handle}).did)
            except BadRequestError:
                return None  # not a handle anyone has: the mention stays plain text

        result: str | None = self._read(resolve)
        return result

    def _actor_did(self, author_id: str) -> str:
        author_id = author_id.strip().removeprefix("@")
        if author_id.startswith("did:"):
            return author_id
        did = self._resolve_handle(author_id.lower())
        if not did:
            raise PermanentError(_("No Bluesky account has the handle %(handle)s.") % {"handle": author_id})
        return did

    def _create_record(self, collection: str, record: Any, rkey: str | None = None) -> Any:
        data: dict[str, Any] = {"repo": self.did, "collection": collection, "record": record}
        if rkey:
            data["rkey"] = rkey
        return self._write(lambda client: client.com.atproto.repo.create_record(data))

    # Account -----------------------------------------------------------------------------------
    @classmethod
    def default_limits(cls) -> Limits:
        return BLUESKY_LIMITS

    def limits(self) -> Limits:
        """Bluesky's limits are the same for every account (the lexicons fix them)."""
        return BLUESKY_LIMITS

    def profile(self) -> Profile:
        did = self.did
        view = self._read(lambda client: client.app.bsky.actor.get_profile({"actor": did}))
        return Profile(
            remote_id=view.did,
            handle=view.handle,
            display_name=view.display_name or "",
            bio=view.description or "",
            avatar_url=view.avatar or "",
            url=f"{str(self.config.get('web_url') or WEB_URL).rstrip('/')}/profile/{view.handle}",
            followers_count=view.followers_count,
            following_count=view.follows_count,
            posts_count=view.posts_count,
        )

    # Publishing --------------------------------------------------------------------------------
    def publish(self, draft: PostDraft) -> PublishedPost:
        """Create the post with rkey = draft.idempotency_key; a retry finds the post already made."""
        self._check_draft(draft)
        rkey = draft.idempotency_key
        facets = detect_facets(draft.text, self._resolve_handle)
        for facet in facets:
            for feature in facet.features:
                if isinstance(feature, models.AppBskyRichtextFacet.Link):
                    feature.uri = _iri_to_uri(feature.uri)
        record = models.AppBskyFeedPost.Record(
            text=draft.text,
            created_at=_now_iso(),
            facets=facets or None,
            reply=self._reply_ref(draft.reply_to) if draft.reply_to else None,
            embed=self._embed(draft, facets),
            langs=[draft.language] if draft.language else None,
        )
        try:
            created = self._create_record(POST, record, rkey=rkey)
        except (AuthError, RateLimitedError):
            raise
        except NetworkError:
            # The PDS refuses a create whose record key is taken (the reference PDS with a 500),
            # which is what a retry after UnknownOutcomeError gets when the first attempt did
            # succeed: then the post exists, and that is the answer.
            existing = self._existing_post(rkey)
            if existing is None:
                raise
            logger.info("Bluesky post %s already existed; returning it", existing.remote_id)
            return existing
        return PublishedPost(remote_id=created.uri, url=self.post_url(created.uri), created_at=datetime.now(UTC))

    def _check_draft(self, draft: PostDraft) -> None:
        limits = self.limits()
        if draft.content_warning:
            raise self._unsupported(_("content warnings"))
        if draft.visibility not in ("", "public"):
            raise self._unsupported(_("posts that are not public"))
        if not TID.match(draft.idempotency_key or ""):
            raise PermanentError(_("This post has no valid Bluesky record key."), detail=draft.idempotency_key)
        length = limits.count(draft.text)
        if length > limits.max_characters:
            raise PermanentError(
                _("The post is %(length)s characters long; Bluesky allows %(limit)s.")
                % {"length": length, "limit": limits.max_characters}
            )
        if len(draft.text.encode()) > MAX_TEXT_BYTES:
            raise PermanentError(_("The post is too long for Bluesky: it has too many emoji or special characters."))
        if not draft.text.strip() and not draft.media:
            raise PermanentError(_("The post is empty."))
        if any(not item.mime_type.startswith("image/") for item in draft.media):
            raise self._unsupported(_("videos"))
        if len(draft.media) > limits.max_images:
            raise PermanentError(_("Bluesky allows at most %(limit)s images in a post.") % {"limit": limits.max_images})
        alt_limit = limits.alt_text_max_characters or 0
        for item in draft.media:
            if alt_limit and limits.count(item.alt_text) > alt_limit:
                raise PermanentError(
                    _("An image description is longer than Bluesky's %(limit)s characters.") % {"limit": alt_limit}
                )

    def _reply_ref(self, parent_uri: str) -> Any:
        parent = self._strong_ref(parent_uri)
        parent_ref = models.ComAtprotoRepoStrongRef.Main(uri=parent.uri, cid=parent.cid)
        root = _get(_get(parent.value, "reply"), "root")
        root_ref = (
            models.ComAtprotoRepoStrongRef.Main(uri=_get(root, "uri"), cid=_get(root, "cid")) if root else parent_ref
        )
        return models.AppBskyFeedPost.ReplyRef(root=root_ref, parent=parent_ref)

    def _upload(self, image: embeds.PreparedImage) -> Any:
        response = self._write(lambda client: client.com.atproto.repo.upload_blob(image.data))
        return response.blob

    def _embed(self, draft: PostDraft, facets: list[Any]) -> Any:
        if draft.media:
            return models.AppBskyEmbedImages.Main(images=[self._image(item) for item in draft.media])
        link = first_link(facets)
        if not link:
            return None
        preview = embeds.fetch_link_preview(link, http_client=self.link_card_client)
        if preview is None:
            return None
        thumb = None
        if preview.image is not None:
            try:
                thumb = self._upload(preview.image)
            except Exception as error:  # the card without its picture is still a card
                logger.info("Link card image upload failed: %s", error)
        return models.AppBskyEmbedExternal.Main(
            external=models.AppBskyEmbedExternal.External(
                uri=_iri_to_uri(preview.uri), title=preview.title, description=preview.description, thumb=thumb
            )
        )

    def _image(self, item: MediaItem) -> Any:
        prepared = embeds.prepare_image(item.data)
        return models.AppBskyEmbedImages.Image(
            alt=item.alt_text,
            image=self._upload(prepared),
            aspect_ratio=models.AppBskyEmbedDefs.AspectRatio(width=prepared.width, height=prepared.height),
        )

    def _get_record(self, repo: str, rkey: str) -> Any:
        """The post record, or None when the PDS says it does not exist; other failures raise."""

        def get(client: PinnedClient) -> Any:
            try:
                return client.com.atproto.repo.get_record({"repo": repo, "collection": POST, "rkey": rkey})
            except Exception as error:
                status, _name, _message = xrpc_error(error)
                if status == 400 or status == 404:
                    return None  # "Could not locate record"
                raise

        return self._read(get)

    def _existing_post(self, rkey: str) -> PublishedPost | None:
        try:
            return self.find_post(idempotency_key=rkey, text="", sent_at=datetime.now(UTC))
        except Exception:
            return None

    idempotent_publish = True

    def find_post(self, *, idempotency_key: str, text: str, sent_at: datetime) -> PublishedPost | None:
        """The record key is the idempotency key: the PDS either has that record or provably not."""
        record = self._get_record(self.did, idempotency_key)
        if record is None:
            return None
        return PublishedPost(
            remote_id=record.uri,
            url=self.post_url(record.uri),
            created_at=_parse_datetime(_get(record.value, "created_at")),
        )

    def fetch_post(self, remote_id: str) -> RemotePost:
        """Read the post record back from the account's own PDS (the AppView may lag behind)."""
        match = self._split_uri(remote_id)
        record = self._get_record(match["repo"], match["rkey"])
        if record is None:
            raise PermanentError(_("The post is not on Bluesky."), status=404)
        value = record.value
        return RemotePost(
            remote_id=record.uri,
            url=self.post_url(record.uri),
            text=_get(value, "text", "") or "",
            created_at=_parse_datetime(_get(value, "created_at")),
            language=(_get(value, "langs") or [None])[0],
            reply_to=_reply_uri(value, "parent"),
            author_id=match["repo"],
            author_url=self.profile_url(match["repo"]),
            thread_root=_reply_uri(value, "root"),
        )

    def delete(self, remote_id: str) -> None:
        match = self._split_uri(remote_id)
        if match["repo"] != self.did:
            raise self._unsupported(_("deleting other people's posts"))
        self._write(
            lambda client: client.com.atproto.repo.delete_record(
                {"repo": match["repo"], "collection": POST, "rkey": match["rkey"]}
            )
        )

    def own_posts(self, *, limit: int = 20, cursor: str | None = None) -> Page[RemotePost]:
        """This account's posts and replies, newest first.

        Reposts are left out, so a page can hold fewer than `limit` posts; follow the cursor.
        """
        did = self.did
        params: dict[str, Any] = {"actor": did, "limit": max(1, min(limit, 100)), "filter": "posts_with_replies"}
        if cursor:
            params["cursor"] = cursor
        response = self._read(lambda client: client.app.bsky.feed.get_author_feed(params))
        posts = [self._remote_post(item.post) for item in response.feed if not _get(item, "reason")]
        return Page(items=posts, cursor=response.cursor or None)

    def _remote_post(self, view: Any) -> RemotePost:
        """A RemotePost from an AppView post view (app.bsky.feed.defs#postView)."""
        record = view.record
        author = view.author
        handle = _get(author, "handle", "") or ""
        return RemotePost(
            remote_id=view.uri,
            url=self.post_url(view.uri, handle),
            text=_get(record, "text", "") or "",
            created_at=_parse_datetime(_get(record, "created_at")) or _parse_datetime(_get(view, "indexed_at")),
            author_handle=handle,
            author_display_name=_get(author, "display_name", "") or "",
            language=(_get(record, "langs") or [None])[0],
            counts={
                "likes": view.like_count or 0,
                "reposts": view.repost_count or 0,
                "replies": view.reply_count or 0,
                "quotes": view.quote_count or 0,
            },
            reply_to=_reply_uri(record, "parent"),
            author_id=_get(author, "did", "") or "",
            author_avatar_url=_get(author, "avatar", "") or "",
            author_url=self.profile_url(handle),
            received_at=_parse_datetime(_get(view, "indexed_at")),
            thread_root=_reply_uri(record, "root"),
        )

    # Participation -----------------------------------------------------------------------------
    def notifications(
        self, *, limit: int = 40, cursor: str | None = None, since_id: str | None = None
    ) -> Page[Notification]:
        """listNotifications, newest first.

        Bluesky cannot list only what is newer than an item: with `since_id` the page stops at that
        notification (and says there is no more) when it is on the page; when it is not (a later
        page, or a like that was undone and its notification is gone), the caller keeps paging
        until it meets a notification it knows.
        """
        params: dict[str, Any] = {"limit": max(1, min(limit, 100))}
        if cursor:
            params["cursor"] = cursor
        response = self._read(lambda client: client.app.bsky.notification.list_notifications(params))
        raw = list(response.notifications)
        next_cursor = response.cursor or None
        if since_id:
            known = next((index for index, item in enumerate(raw) if item.uri == since_id), None)
            if known is not None:
                raw, next_cursor = raw[:known], None
        items = [item for item in raw if item.reason in NOTIFICATION_KINDS]
        # Likes and reposts point at one of our posts: fetch those posts in batches.
        subjects = dict.fromkeys(
            item.reason_subject
            for item in items
            if item.reason_subject and NOTIFICATION_KINDS[item.reason] in ("like", "repost")
        )
        posts = self._posts_by_uri(list(subjects))
        notifications = []
        for item in items:
            kind = NOTIFICATION_KINDS[item.reason]
            post: RemotePost | None = None
            if kind in ("mention", "reply", "quote"):
                post = self._notification_post(item)
            elif kind in ("like", "repost") and item.reason_subject:
                post = posts.get(item.reason_subject)
            notifications.append(
                Notification(
                    remote_id=item.uri,
                    kind=kind,
                    created_at=_parse_datetime(item.indexed_at),
                    author_id=item.author.did,
                    author_handle=item.author.handle,
                    author_display_name=item.author.display_name or "",
                    post=post,
                    author_avatar_url=item.author.avatar or "",
                    author_url=self.profile_url(item.author.handle),
                )
            )
        return Page(items=notifications, cursor=next_cursor)

    def thread(self, remote_id: str) -> Thread:
        """getPostThread's parent chain (no replies below). A parent that is deleted (notFoundPost)
        or hidden by a block either way (blockedPost) ends the chain; the root, which every reply
        names, is then read on its own when it is still there."""
        self._split_uri(remote_id)
        params = {"uri": remote_id, "depth": 0, "parentHeight": THREAD_PARENT_HEIGHT}
        response = self._read(lambda client: client.app.bsky.feed.get_post_thread(params))
        node = response.thread
        if not isinstance(node, models.AppBskyFeedDefs.ThreadViewPost):
            raise self._unreadable_post(node)
        post = self._remote_post(node.post)
        ancestors: list[RemotePost] = []
        parent = node.parent
        while isinstance(parent, models.AppBskyFeedDefs.ThreadViewPost) and len(ancestors) < THREAD_PARENT_HEIGHT:
            ancestors.append(self._remote_post(parent.post))
            parent = parent.parent
        ancestors.reverse()
        top = ancestors[0] if ancestors else post
        complete = top.reply_to is None
        root = top
        if not complete and post.thread_root:
            root = self._posts_by_uri([post.thread_root]).get(post.thread_root, top)
        return Thread(root=root, ancestors=ancestors, post=post, complete=complete)

    def replies(self, remote_id: str, *, limit: int = 500) -> list[RemotePost]:
        """The replies below the post, at any depth, from getPostThread; oldest first (by the time
        each post's record claims, which its author's app sets).

        The AppView leaves out replies whose author blocks the account or is blocked by it
        (blockedPost), deleted ones together with everything below them, replies that break the
        thread's threadgate, and replies to a reply whose author blocked the replier. Replies hidden
        with the threadgate's hiddenReplies are included. Each call reads THREAD_REPLY_DEPTH levels;
        a branch that goes on below that is read with one more call anchored at its last post (at
        most MAX_THREAD_READS calls in all). The account's own replies are included.
        """
        self._split_uri(remote_id)
        node = self._thread_below(remote_id)
        if not isinstance(node, models.AppBskyFeedDefs.ThreadViewPost):
            raise self._unreadable_post(node)
        found: dict[str, RemotePost] = {}
        cut = self._collect_replies(node, found)
        reads = 1
        while cut and reads < MAX_THREAD_READS:
            reads += 1
            try:
                node = self._thread_below(cut.pop(0))
            except PermanentError:
                continue  # deleted since the first read: its branch is gone too
            if isinstance(node, models.AppBskyFeedDefs.ThreadViewPost):
                cut += self._collect_replies(node, found)
        unknown = datetime.min.replace(tzinfo=UTC)
        posts = sorted(found.values(), key=lambda post: (post.created_at or unknown, post.remote_id))
        return posts[: max(limit, 0)]

    def _thread_below(self, uri: str) -> Any:
        params = {"uri": uri, "depth": THREAD_REPLY_DEPTH, "parentHeight": 0}
        return self._read(lambda client: client.app.bsky.feed.get_post_thread(params)).thread

    def _collect_replies(self, node: Any, found: dict[str, RemotePost]) -> list[str]:
        """Add the replies below `node` to `found`; returns the posts whose replies were cut off."""
        cut: list[str] = []
        waiting = list(node.replies or [])
        while waiting:
            reply = waiting.pop(0)
            if not isinstance(reply, models.AppBskyFeedDefs.ThreadViewPost):
                continue  # blockedPost, notFoundPost or a type this library does not know
            if reply.post.uri in found:
                continue
            found[reply.post.uri] = self._remote_post(reply.post)
            if reply.replies is None:
                # The AppView leaves `replies` out only where its depth ends (which may be above
                # the depth asked for); an empty list means there is nothing it shows below.
                if (reply.post.reply_count or 0) > 0:
                    cut.append(reply.post.uri)
                continue
            waiting += reply.replies
        return cut

    def _unreadable_post(self, node: Any) -> PermanentError:
        blocked = isinstance(node, models.AppBskyFeedDefs.BlockedPost)
        return PermanentError(
            _("Bluesky does not show this post to the account (a block).")
            if blocked
            else _("Bluesky could not find that post."),
            status=403 if blocked else 404,
            detail=str(_get(node, "py_type", "")),
        )

    def author_created_at(self, author_id: str) -> datetime | None:
        """`createdAt` of the person's profile view (app.bsky.actor.getProfile); None without one.

        `indexedAt` is when the AppView last indexed the profile record, not when the account
        was made, so it is never used instead. The lexicon leaves createdAt optional and says
        nothing of where it comes from: the reference AppView (@atproto/bsky, as in dev-env) copies
        the `createdAt` of the person's own profile record, so it is missing for an account that
        never saved a profile and is whatever the person's app wrote (its code notes that this is
        "not trusted in production", where Bluesky's AppView fills it from its own records).
        """
        actor = author_id.strip().removeprefix("@")
        if not actor:
            raise PermanentError(_("No account was named."))

        def get(client: PinnedClient) -> Any:
            try:
                return client.app.bsky.actor.get_profile({"actor": actor})
            except Exception as error:
                status, name, message = xrpc_error(error)
                # The AppView answers 400 AccountDeactivated / AccountTakedown about the person
                # asked for; left to the usual mapping they would read as *our* account's state.
                if status == 400 and (name in ACCOUNT_ERRORS or "not found" in message.lower()):
                    raise PermanentError(
                        _("Bluesky could not find that account, or it is deactivated or suspended."),
                        status=404,
                        detail=f"{name}: {message}" if name else message,
                    ) from error
                raise

        view = self._read(get)
        created = _parse_datetime(_get(view, "created_at"))
        return created if created is not None and created >= EARLIEST_ACCOUNT else None

    def _notification_post(self, item: Any) -> RemotePost:
        record = item.record
        return RemotePost(
            remote_id=item.uri,
            url=self.post_url(item.uri, item.author.handle),
            text=_get(record, "text", "") or "",
            created_at=_parse_datetime(_get(record, "created_at")) or _parse_datetime(item.indexed_at),
            author_handle=item.author.handle,
            author_display_name=item.author.display_name or "",
            language=(_get(record, "langs") or [None])[0],
            reply_to=_reply_uri(record, "parent"),
            author_id=item.author.did,
            author_avatar_url=item.author.avatar or "",
            author_url=self.profile_url(item.author.handle),
            thread_root=_reply_uri(record, "root"),
        )

    def _posts_by_uri(self, uris: list[str]) -> dict[str, RemotePost]:
        found: dict[str, RemotePost] = {}
        for start in range(0, len(uris), _GET_POSTS_BATCH):
            batch = uris[start : start + _GET_POSTS_BATCH]
            response = self._read(lambda client, batch=batch: client.app.bsky.feed.get_posts({"uris": batch}))
            for view in response.posts:
                found[view.uri] = self._remote_post(view)
        return found

    def like(self, remote_id: str) -> None:
        subject = self._strong_ref(remote_id)
        self._create_record(LIKE, models.AppBskyFeedLike.Record(subject=self._ref(subject), created_at=_now_iso()))

    def unlike(self, remote_id: str) -> None:
        """Delete the like the AppView says the account has on the post (nothing if none)."""
        self._delete_viewer_record(remote_id, "like", LIKE)

    def boost(self, remote_id: str) -> None:
        subject = self._strong_ref(remote_id)
        self._create_record(REPOST, models.AppBskyFeedRepost.Record(subject=self._ref(subject), created_at=_now_iso()))

    def unboost(self, remote_id: str) -> None:
        self._delete_viewer_record(remote_id, "repost", REPOST)

    def _delete_viewer_record(self, remote_id: str, field_name: str, collection: str) -> None:
        self._split_uri(remote_id)
        response = self._read(lambda client: client.app.bsky.feed.get_posts({"uris": [remote_id]}))
        views = [view for view in response.posts if view.uri == remote_id]
        record_uri = _get(_get(views[0], "viewer"), field_name) if views else None
        if record_uri:
            self._delete_own_record(str(record_uri), collection)

    def _delete_own_record(self, uri: str, collection: str) -> None:
        match = self._split_uri(uri, collection)
        if match["repo"] != self.did:
            raise PermanentError(_("That record is not this account's."), detail=uri)
        self._write(
            lambda client: client.com.atproto.repo.delete_record(
                {"repo": match["repo"], "collection": collection, "rkey": match["rkey"]}
            )
        )

    @staticmethod
    def _ref(record: Any) -> Any:
        return models.ComAtprotoRepoStrongRef.Main(uri=record.uri, cid=record.cid)

    # Direct messages (chat.py) -----------------------------------------------------------------
    @property
    def chat_service(self) -> bluesky_chat.BlueskyChat:
        if self._chat is None:
            self._chat = bluesky_chat.BlueskyChat(self)
        return self._chat

    def direct_messages(self, *, since: str | None = None) -> DirectMessages:
        """New messages in the account's one-to-one chat conversations (see chat.BlueskyChat)."""
        return self.chat_service.direct_messages(since=since)

    def send_direct(self, *, conversation_id: str, text: str) -> PublishedPost:
        return self.chat_service.send_direct(conversation_id=conversation_id, text=text)

    def find_direct(
        self, *, conversation_id: str, text: str, sent_after: datetime, exclude: Collection[str] = ()
    ) -> PublishedPost | None:
        return self.chat_service.find_direct(
            conversation_id=conversation_id, text=text, sent_after=sent_after, exclude=exclude
        )

    # Moderation --------------------------------------------------------------------------------
    def block(self, author_id: str) -> None:
        did = self._actor_did(author_id)
        self._create_record(BLOCK, models.AppBskyGraphBlock.Record(subject=did, created_at=_now_iso()))

    def unblock(self, author_id: str) -> None:
        """Delete every block record of the account about that person.

        A block is a record in the account's repository. The reference PDS keeps one per person
        (a new block replaces the old), but nothing in the protocol says so: on another PDS a
        block sent twice (a retry after no answer) is two records, and the person stays blocked
        while any is left. So the account's blocks are listed rather than trusting the one the
        AppView names (viewer.blocking), which also works without the AppView.
        """
        did = self._actor_did(author_id)
        cursor: str | None = None
        found: list[str] = []
        while True:
            params: dict[str, Any] = {"repo": self.did, "collection": BLOCK, "limit": 100}
            if cursor:
                params["cursor"] = cursor
            page = self._xrpc("com.atproto.repo.listRecords", params=params)
            records = page.get("records") or []
            found += [str(record["uri"]) for record in records if (record.get("value") or {}).get("subject") == did]
            cursor = page.get("cursor")
            if not cursor or not records:
                break
        for uri in found:
            self._delete_own_record(uri, BLOCK)

    def mute(self, author_id: str) -> None:
        did = self._actor_did(author_id)
        self._write(lambda client: client.app.bsky.graph.mute_actor({"actor": did}))

    def unmute(self, author_id: str) -> None:
        did = self._actor_did(author_id)
        self._write(lambda client: client.app.bsky.graph.unmute_actor({"actor": did}))

    def report(self, *, remote_id: str | None, author_id: str, reason: str, category: str = "other") -> None:
        """com.atproto.moderation.createReport, about the post (a strong ref) or else the account.

        The PDS sends the report on to its moderation service (Bluesky's, for accounts hosted by
        Bluesky). A post that is already gone is reported as its author's account instead.
        Categories: spam -> reasonSpam, rude -> reasonRude, other -> reasonOther.
        """
        reason_type = REPORT_REASONS.get(category)
        if reason_type is None:
            raise PermanentError(_("Unknown report category “%(value)s”.") % {"value": category})
        subject: dict[str, Any] | None = None
        if remote_id and bluesky_chat.parse_chat_id(remote_id):
            remote_id = None  # a direct message is reported as its author's account
        if remote_id:
            record = self._get_record(*self._split_uri(remote_id).group("repo", "rkey"))
            if record is not None:
                subject = {"$type": "com.atproto.repo.strongRef", "uri": record.uri, "cid": record.cid}
        if subject is None:
            subject = {"$type": "com.atproto.admin.defs#repoRef", "did": self._actor_did(author_id)}
        body: dict[str, Any] = {"reasonType": reason_type, "subject": subject}
        text = reason.strip()
        if text:
            graphemes = regex.findall(r"\X", text)
            if len(graphemes) > REPORT_REASON_MAX_GRAPHEMES:
                text = "".join(graphemes[: REPORT_REASON_MAX_GRAPHEMES - 1]) + "…"
            body["reason"] = text
        self._xrpc("com.atproto.moderation.createReport", body=body)

    def hide_reply(self, reply_id: str, root_id: str) -> None:
        """Add the reply to the hiddenReplies of the root post's threadgate (made if there is none).

        The threadgate (record key = the root post's) also says who may reply: that part is kept
        exactly as it is, and so is anything else in the record. Another writer in between (a
        teammate hiding another reply) makes the swap fail, and the edit is done again on theirs.
        """
        self._edit_hidden_replies(reply_id, root_id, hide=True)

    def unhide_reply(self, reply_id: str, root_id: str) -> None:
        self._edit_hidden_replies(reply_id, root_id, hide=False)

    def _edit_hidden_replies(self, reply_id: str, root_id: str, *, hide: bool) -> None:
        self._split_uri(reply_id)
        root = self._split_uri(root_id)
        if root["repo"] != self.did:
            raise self._unsupported(_("hiding replies in threads started by others"))
        for _attempt in range(3):
            gate = self._threadgate(root["rkey"])
            if gate is None:
                if not hide:
                    return
                record = {"$type": THREADGATE, "post": root_id, "createdAt": _now_iso(), "hiddenReplies": [reply_id]}
                body: dict[str, Any] = {"repo": self.did, "collection": THREADGATE, "rkey": root["rkey"]}
                nsid = "com.atproto.repo.createRecord"
            else:
                record = dict(gate["value"])
                hidden = [uri for uri in record.get("hiddenReplies") or [] if uri != reply_id]
                if hide:
                    hidden.append(reply_id)
                if hidden == list(record.get("hiddenReplies") or []):
                    return  # already as asked
                if len(hidden) > MAX_HIDDEN_REPLIES:
                    raise PermanentError(
                        _("Bluesky hides at most %(limit)s replies in one thread.") % {"limit": MAX_HIDDEN_REPLIES}
                    )
                record["hiddenReplies"] = hidden
                body = {"repo": self.did, "collection": THREADGATE, "rkey": root["rkey"], "swapRecord": gate["cid"]}
                nsid = "com.atproto.repo.putRecord"
            try:
                self._xrpc(nsid, body={**body, "record": record})
                return
            except PermanentError as error:
                if "InvalidSwap" not in error.detail:
                    raise
            except TransientError:
                # The reference PDS answers a create whose record key is taken with a 500: another
                # writer made the threadgate first. Read it and edit that one instead.
                if gate is not None or self._threadgate(root["rkey"]) is None:
                    raise
        raise TransientError(_("Others kept changing the thread's settings; smm will try again."))

    def _threadgate(self, rkey: str) -> dict[str, Any] | None:
        """The account's threadgate record for the post with this record key, as plain JSON."""

        def get(client: PinnedClient) -> Any:
            try:
                params = DotDict({"repo": self.did, "collection": THREADGATE, "rkey": rkey})
                return client.invoke_query("com.atproto.repo.getRecord", params=params).content
            except Exception as error:
                status, _name, _message = xrpc_error(error)
                if status in (400, 404):
                    return None  # RecordNotFound: the post has no threadgate
                raise

        found = self._read(get)
        return found if isinstance(found, dict) and isinstance(found.get("value"), dict) else None

    # Listening ---------------------------------------------------------------------------------
    def search(self, query: str, *, limit: int = 20) -> list[RemotePost]:
        params = {"q": query, "limit": max(1, min(limit, 100))}
        response = self._read(lambda client: client.app.bsky.feed.search_posts(params))
        return [self._remote_post(view) for view in response.posts]

    LISTEN_PAGES = 5  # pages of up to 100 posts per listen() call at most

    def listen(self, *, mode: str, query: str = "", cursor: str = "", limit: int = 100) -> ListenPage:
        """app.bsky.feed.searchPosts, newest first (`sort=latest`), since the time in `cursor` (the
        newest indexedAt seen, ISO 8601), following the result cursor back until the page reaches
        what was read before. The AppView may ignore `since`, so older posts are filtered here too."""
        query = query.strip()
        if mode not in ("search", "hashtag") or not query:
            raise PermanentError(_("Bluesky can listen only to a search."))
        if mode == "hashtag" and not query.startswith("#"):
            query = f"#{query}"
        since = _parse_datetime(cursor) if cursor else None
        newest = since
        posts: list[RemotePost] = []
        page_cursor: str | None = None
        for _page in range(self.LISTEN_PAGES):
            params: dict[str, Any] = {"q": query, "limit": max(1, min(limit, 100)), "sort": "latest"}
            if since is not None:
                params["since"] = since.isoformat().replace("+00:00", "Z")
            if page_cursor:
                params["cursor"] = page_cursor
            response = self._read(lambda client, params=params: client.app.bsky.feed.search_posts(params))
            reached_old = False
            for view in response.posts:
                post = self._remote_post(view)
                seen_at = post.received_at or post.created_at
                if since is not None and seen_at is not None and seen_at <= since:
                    reached_old = True
                    continue
                posts.append(post)
                if seen_at is not None and (newest is None or seen_at > newest):
                    newest = seen_at
            page_cursor = getattr(response, "cursor", None)
            # The first read takes only the newest page; later ones stop at what was read before.
            if since is None or reached_old or not page_cursor or len(posts) >= limit:
                break
        return ListenPage(posts=posts, cursor=newest.isoformat() if newest is not None else cursor)
