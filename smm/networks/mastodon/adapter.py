"""The Mastodon adapter: smm's Adapter interface on Mastodon.py (through `client.connect`).

It works with any server that speaks the Mastodon API (Mastodon, its forks, GoToSocial, Takahe,
Pleroma-likes). credentials = {"access_token": ...}; config = {"instance_url": ..., "account_id":
..., "domain": ..., "version": ..., "limits": {...}} as `InstanceInfo.config()` plus the account id
from `profile()`; only "instance_url" is required.
"""

from __future__ import annotations

import mimetypes
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from django.utils.translation import gettext as _
from mastodon import Mastodon

from smm.networks.base import (
    Adapter,
    Capability,
    Limits,
    Notification,
    Page,
    PermanentError,
    PostDraft,
    Profile,
    PublishedPost,
    RefreshGuard,
    RemotePost,
    SaveCredentials,
    TransientError,
    UnknownOutcomeError,
)
from smm.networks.mastodon import client as api
from smm.networks.mastodon.content import html_to_text
from smm.networks.text import MENTION

VISIBILITIES = frozenset({"public", "unlisted", "private", "direct"})
# Mastodon's page size caps (statuses 40, notifications 80).
MAX_STATUSES_PAGE = 40
MAX_NOTIFICATIONS_PAGE = 80
# Notification types smm shows, by Mastodon type; "mention" is refined into reply / direct.
NOTIFICATION_KINDS = {
    "mention": "mention",
    "favourite": "like",
    "reblog": "repost",
    "quote": "quote",
    "follow": "follow",
    "follow_request": "follow_request",
}
_HASHTAG = re.compile(r"#(\w+)")


class MastodonAdapter(Adapter):
    """One account on one Mastodon-API server; needs config["instance_url"] and an access token."""

    network = "mastodon"
    label = "Mastodon"  # a name, not translated
    capabilities = frozenset(
        {
            Capability.PUBLISH_TEXT,
            Capability.PUBLISH_IMAGES,
            Capability.PUBLISH_VIDEO,
            Capability.ALT_TEXT,
            Capability.CONTENT_WARNING,
            Capability.THREADS,
            Capability.DELETE,
            Capability.READ_POSTS,
            Capability.READ_METRICS,
            Capability.READ_INBOX,
            Capability.DIRECT_MESSAGES,
            Capability.REPLY,
            Capability.LIKE,
            Capability.BOOST,
            Capability.BLOCK,
            Capability.MUTE,
            Capability.SEARCH,
            Capability.PROFILE,
        }
    )
    # A video is processed after upload; publishing waits this long for it.
    media_processing_timeout: float = 120.0

    def __init__(
        self,
        *,
        credentials: dict[str, Any],
        config: dict[str, Any],
        save_credentials: SaveCredentials | None = None,
        rate_limit_key: str | None = None,
        refresh_guard: RefreshGuard | None = None,
        session: requests.Session | None = None,
        timeout: float = api.DEFAULT_TIMEOUT,
    ) -> None:
        """`session` replaces the SSRF-safe one (tests attach a contract recorder)."""
        super().__init__(
            credentials=credentials,
            config=config,
            save_credentials=save_credentials,
            rate_limit_key=rate_limit_key,
            refresh_guard=refresh_guard,
        )
        if session is None and rate_limit_key:
            from smm.lib.ratelimit import limit_requests_session

            session = limit_requests_session(api.new_session(timeout=timeout), rate_limit_key)
        self.instance_url = api.normalise_instance_url(str(config["instance_url"]))
        self.timeout = timeout
        self._session = session
        self._client: Mastodon | None = None
        self._account_id: str | None = str(config["account_id"]) if config.get("account_id") else None

    # Plumbing ----------------------------------------------------------------------------------
    @property
    def client(self) -> Mastodon:
        if self._client is None:
            self._client = api.connect(
                self.instance_url,
                access_token=str(self.credentials.get("access_token") or ""),
                server_version=str(self.config.get("version") or ""),
                session=self._session,
                timeout=self.timeout,
            )
            self._session = self._client.session
        return self._client

    @contextmanager
    def _errors(self) -> Iterator[Mastodon]:
        client = self.client
        with api.translated_errors(client.session):
            yield client

    def _own_account_id(self) -> str:
        if self._account_id is None:
            self._account_id = self.profile().remote_id
        return self._account_id

    @property
    def _domain(self) -> str:
        return str(self.config.get("domain") or urlsplit(self.instance_url).hostname or "")

    # Account -----------------------------------------------------------------------------------
    @classmethod
    def default_limits(cls) -> Limits:
        """Mastodon's own defaults; each server's real limits are stored when an account connects."""
        return api.limits_from_instance({})

    def limits(self) -> Limits:
        """From config["limits"] (stored at connect), else read from the server now."""
        stored = self.config.get("limits")
        if isinstance(stored, Mapping) and stored.get("max_characters"):
            return Limits.from_dict(dict(stored))
        return api.instance_info(self.instance_url, session=self._session, timeout=self.timeout).limits

    def profile(self) -> Profile:
        with self._errors() as client:
            account = client.account_verify_credentials()
        profile = Profile(
            remote_id=str(account.id),
            handle=self._handle(account),
            display_name=str(account.display_name or ""),
            bio=html_to_text(str(account.note or "")),
            avatar_url=str(account.avatar or ""),
            url=str(account.url or ""),
            followers_count=account.followers_count,
            following_count=account.following_count,
            posts_count=account.statuses_count,
        )
        self._account_id = profile.remote_id
        return profile

    # Publishing --------------------------------------------------------------------------------
    def publish(self, draft: PostDraft) -> PublishedPost:
        """Upload the media (waiting for video processing), then post once per idempotency key.

        Mastodon keeps the Idempotency-Key for an hour: a retry with the same key returns the status
        the first attempt created. Media uploads are not covered; a retry uploads them again (the
        unused copies are removed by the server's media cleanup).
        """
        if draft.visibility not in VISIBILITIES:
            raise PermanentError(_("Mastodon does not have the visibility “%(value)s”.") % {"value": draft.visibility})
        with self._errors() as client:
            media_ids = [
                self._upload(client, item.data, item.mime_type, item.alt_text, item.filename) for item in draft.media
            ]
            # The form Mastodon.py's status_post() sends, as a plain request (see client.api_call).
            form = [("status", draft.text), ("visibility", draft.visibility)]
            form += [("media_ids[]", media_id) for media_id in media_ids]
            if draft.reply_to:
                form.append(("in_reply_to_id", draft.reply_to))
            if draft.content_warning:
                form.append(("spoiler_text", draft.content_warning))
            if draft.language:
                form.append(("language", draft.language))
            status = api.api_call(
                client,
                "POST",
                "/api/v1/statuses",
                data=form,
                headers={"Idempotency-Key": draft.idempotency_key},
                timeout=self.timeout,
            )
        if status.get("id") is None:
            raise UnknownOutcomeError(_("The server's answer could not be read; the post may or may not be there."))
        return PublishedPost(
            remote_id=str(status["id"]),
            url=str(status.get("url") or status.get("uri") or ""),
            created_at=_aware(status.get("created_at")),
        )

    def _upload(self, client: Mastodon, data: bytes, mime_type: str, alt_text: str, filename: str) -> str:
        if "." not in filename:
            filename += mimetypes.guess_extension(mime_type) or ""
        attachment = client.media_post(data, mime_type=mime_type, description=alt_text or None, file_name=filename)
        # Images are ready at once; video (and large images) come back 202 without a URL and are
        # processed in the background: GET /api/v1/media/:id answers 206 until it is done.
        delay, deadline = 0.25, time.monotonic() + self.media_processing_timeout
        while attachment.get("url") is None:
            if time.monotonic() + delay > deadline:
                raise TransientError(_("The server is still processing the media. smm will try again later."))
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
            attachment = client.media(attachment.id)
        return str(attachment.id)

    idempotent_publish = True  # the Idempotency-Key header (kept by the server for an hour)

    def find_post(self, *, idempotency_key: str, text: str, sent_at: datetime) -> PublishedPost | None:
        """Look for the status among the account's newest ones, by its text and time.

        Mastodon has no lookup by idempotency key. Statuses are listed at once after they are
        created, so a page that reaches back past `sent_at` without the text proves it is absent.
        """
        wanted = _comparable(text)
        earliest = sent_at - timedelta(minutes=2)  # clocks of smm and the server may differ
        page = self.own_posts(limit=MAX_STATUSES_PAGE)
        for post in page.items:
            if post.created_at and post.created_at < earliest:
                return None
            if _comparable(post.text) == wanted:
                return PublishedPost(remote_id=post.remote_id, url=post.url, created_at=post.created_at)
        if page.cursor is None or (page.items and page.items[-1].created_at and page.items[-1].created_at < sent_at):
            return None
        raise TransientError(_("Too many new posts on the account to tell yet whether the post went out."))

    def fetch_post(self, remote_id: str) -> RemotePost:
        with self._errors() as client:
            status = api.api_call(client, "GET", f"/api/v1/statuses/{quote(remote_id, safe='')}", timeout=self.timeout)
        if status.get("id") is None:
            raise TransientError(_("The server's answer could not be read."))
        return self._post(status)

    def delete(self, remote_id: str) -> None:
        """Delete one of the account's statuses; one that is already gone counts as deleted."""
        try:
            with self._errors() as client:
                client.status_delete(remote_id)
        except PermanentError as error:
            if error.status not in (404, 410):
                raise

    def own_posts(self, *, limit: int = 20, cursor: str | None = None) -> Page[RemotePost]:
        """The account's statuses and replies, newest first, with counts (boosts of others left out)."""
        account_id = self._own_account_id()
        limit = max(1, min(limit, MAX_STATUSES_PAGE))
        with self._errors() as client:
            statuses = client.account_statuses(account_id, max_id=cursor, limit=limit, exclude_reblogs=True)
        return Page(items=[self._post(status) for status in statuses], cursor=_next_cursor(statuses, limit))

    # Participation -----------------------------------------------------------------------------
    def notifications(self, *, limit: int = 40, cursor: str | None = None) -> Page[Notification]:
        """Mentions (split into mention / reply / direct), likes, boosts, quotes, follows, requests."""
        own_id = self._own_account_id()
        limit = max(1, min(limit, MAX_NOTIFICATIONS_PAGE))
        with self._errors() as client:
            raw = client.notifications(limit=limit, max_id=cursor)
        items: list[Notification] = []
        for notification in raw:
            kind = NOTIFICATION_KINDS.get(str(notification.type))
            if kind is None:
                continue  # polls, edits, admin reports, moderation warnings: not for the inbox
            status = notification.get("status")
            if kind == "mention" and status is not None:
                if status.get("visibility") == "direct":
                    kind = "direct"
                elif status.get("in_reply_to_account_id") is not None and str(status.in_reply_to_account_id) == own_id:
                    kind = "reply"
            account = notification.account
            items.append(
                Notification(
                    remote_id=str(notification.id),
                    kind=kind,
                    created_at=_aware(notification.created_at),
                    author_id=str(account.id),
                    author_handle=self._handle(account),
                    author_display_name=str(account.display_name or ""),
                    post=self._post(status) if status is not None else None,
                )
            )
        return Page(items=items, cursor=_next_cursor(raw, limit))

    def like(self, remote_id: str) -> None:
        with self._errors() as client:
            client.status_favourite(remote_id)

    def boost(self, remote_id: str) -> None:
        with self._errors() as client:
            client.status_reblog(remote_id)

    def block(self, author_id: str) -> None:
        with self._errors() as client:
            client.account_block(author_id)

    def mute(self, author_id: str) -> None:
        with self._errors() as client:
            client.account_mute(author_id, notifications=True)

    # Listening ---------------------------------------------------------------------------------
    def search(self, query: str, *, limit: int = 20) -> list[RemotePost]:
        """`#tag` reads the hashtag timeline; anything else is a status search (no remote lookups).

        What a status search finds depends on the server: Mastodon without full-text search only
        finds the account's own, favourited and mentioned statuses.
        """
        query = query.strip()
        if not query:
            return []
        limit = max(1, min(limit, MAX_STATUSES_PAGE))
        hashtag = _HASHTAG.fullmatch(query)
        with self._errors() as client:
            if hashtag:
                statuses: Sequence[Any] = client.timeline_hashtag(hashtag.group(1), limit=limit)
            else:
                statuses = client.search_v2(query, resolve=False, result_type="statuses", limit=limit).statuses
        return [self._post(status) for status in statuses]

    # Conversions -------------------------------------------------------------------------------
    def _handle(self, account: Mapping[str, Any]) -> str:
        acct = str(account.get("acct") or account.get("username") or "")
        return f"@{acct}" if "@" in acct else f"@{acct}@{self._domain}"

    def _post(self, status: Mapping[str, Any]) -> RemotePost:
        account = status.get("account") or {}
        html = str(status.get("content") or "")
        counts = {
            "likes": int(status.get("favourites_count") or 0),
            "reposts": int(status.get("reblogs_count") or 0),
            "replies": int(status.get("replies_count") or 0),
        }
        if status.get("quotes_count") is not None:  # Mastodon 4.5+
            counts["quotes"] = int(status["quotes_count"])
        reply_to = status.get("in_reply_to_id")
        return RemotePost(
            remote_id=str(status["id"]),
            url=str(status.get("url") or status.get("uri") or ""),
            text=html_to_text(html),
            created_at=_aware(status.get("created_at")),
            author_handle=self._handle(account),
            author_display_name=str(account.get("display_name") or ""),
            language=status.get("language") or None,
            counts=counts,
            reply_to=str(reply_to) if reply_to is not None else None,
            raw_html=html,
        )


def _comparable(text: str) -> str:
    """Text compared the way Mastodon gives it back: mentions as @user, whitespace collapsed, any case."""
    text = MENTION.sub(lambda match: "@" + match.group("user"), text)
    return " ".join(text.split()).casefold()


def _aware(value: object) -> datetime | None:
    """Mastodon.py parses times into local-time datetimes, plain JSON has ISO strings; smm keeps UTC."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _next_cursor(page: Sequence[Any], limit: int) -> str | None:
    """The max_id of the next (older) page, from the Link header Mastodon.py parsed."""
    following = getattr(page, "_pagination_next", None)
    if isinstance(following, Mapping) and following.get("max_id") is not None:
        return str(following["max_id"])
    if len(page) >= limit:  # a server that sends no Link header: older items may remain
        return str(page[-1]["id"])
    return None
