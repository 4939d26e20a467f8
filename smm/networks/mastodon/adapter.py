"""The Mastodon adapter: smm's Adapter interface on Mastodon.py (through `client.connect`).

It works with any server that speaks the Mastodon API (Mastodon, its forks, GoToSocial, Takahe,
Pleroma-likes). credentials = {"access_token": ...}; config = {"instance_url": ..., "account_id":
..., "domain": ..., "version": ..., "limits": {...}} as `InstanceInfo.config()` plus the account id
from `profile()`; only "instance_url" is required.
"""

from __future__ import annotations

import dataclasses
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
    AuthError,
    Capability,
    Limits,
    ListenPage,
    Notification,
    Page,
    PermanentError,
    PostDraft,
    Profile,
    PublishedPost,
    RefreshGuard,
    RemotePost,
    SaveCredentials,
    Thread,
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
# smm's report categories -> Mastodon's (spam, legal, violation, other). "violation" needs the ids
# of the server's rules, so abuse goes in as "other" with the team's words in the comment.
REPORT_CATEGORIES = {"spam": "spam", "rude": "other", "other": "other"}
# Mastodon refuses a longer comment on a report (Report validates comment length <= 1000).
REPORT_COMMENT_MAX = 1000
_LEADING_MENTIONS = re.compile(r"^(?:@\S+ )+")


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
            Capability.READ_REPLIES,
            Capability.DIRECT_MESSAGES,
            Capability.REPLY,
            Capability.LIKE,
            Capability.BOOST,
            Capability.BLOCK,
            Capability.MUTE,
            Capability.REPORT,
            Capability.SEARCH,
            Capability.PROFILE,
            # Not HIDE: Mastodon has no way for an author to hide a reply (only to delete a
            # status of their own); not DELETE_OTHERS: only a server's moderators can do that.
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
        if not config.get("instance_url"):
            raise AuthError(_("The account's server address is missing: connect the account again."))
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

        A reply is addressed to the people of the conversation, as Mastodon's own reply box does:
        Mastodon notifies (and delivers a direct status to) only the accounts mentioned in the text,
        so the ones the text lacks are put in front of it (`@handle `).
        """
        if draft.visibility not in VISIBILITIES:
            raise PermanentError(_("Mastodon does not have the visibility “%(value)s”.") % {"value": draft.visibility})
        with self._errors() as client:
            text = draft.text
            if draft.reply_to:
                text = self._addressed(self._status(client, draft.reply_to), text)
            media_ids = [
                self._upload(client, item.data, item.mime_type, item.alt_text, item.filename) for item in draft.media
            ]
            # The form Mastodon.py's status_post() sends, as a plain request (see client.api_call).
            form = [("status", text), ("visibility", draft.visibility)]
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

    def _status(self, client: Mastodon, remote_id: str) -> dict[str, Any]:
        status = api.api_call(client, "GET", f"/api/v1/statuses/{quote(remote_id, safe='')}", timeout=self.timeout)
        if status.get("id") is None:
            raise TransientError(_("The server's answer could not be read."))
        return status

    def _addressed(self, status: Mapping[str, Any], text: str) -> str:
        """`text` with a mention in front for each person of `status`'s conversation it does not name."""
        own_id = self._own_account_id()
        people = [status.get("account") or {}, *(status.get("mentions") or [])]
        named = {self._account_key(match["user"], match["domain"]) for match in MENTION.finditer(text)}
        missing: list[str] = []
        for person in people:
            acct = str(person.get("acct") or "")
            if not acct or str(person.get("id")) == own_id:
                continue
            user, _at, domain = acct.partition("@")
            key = self._account_key(user, domain)
            if key not in named:
                named.add(key)
                missing.append(f"@{acct}")
        return " ".join([*missing, text]) if missing else text

    def _account_key(self, user: str, domain: str | None) -> tuple[str, str]:
        """How Mastodon tells accounts apart: user@domain, any case; no domain means this server's."""
        return user.casefold(), (domain or self._domain).casefold()

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
            status = self._status(client, remote_id)
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
    def notifications(
        self, *, limit: int = 40, cursor: str | None = None, since_id: str | None = None
    ) -> Page[Notification]:
        """Mentions (split into mention / reply / direct), likes, boosts, quotes, follows, requests.

        `since_id` is Mastodon's own: the server returns only newer notifications, newest first,
        and it combines with `cursor` (max_id) to page back through them. (`min_id` would page
        forwards from the oldest new one instead, against the order of the cursor.)

        `include_filtered`: since Mastodon 4.3 a notification policy keeps some notifications out
        of the list by default, among them private mentions from accounts the user does not
        follow, which for a brand's inbox are most direct messages from customers. Servers
        without policies ignore the parameter.
        """
        own_id = self._own_account_id()
        limit = max(1, min(limit, MAX_NOTIFICATIONS_PAGE))
        params = [("limit", str(limit)), ("include_filtered", "true")]
        if cursor:
            params.append(("max_id", cursor))
        if since_id:
            params.append(("since_id", since_id))
        with self._errors() as client:
            raw, next_max_id = api.api_list(client, "/api/v1/notifications", params=params, timeout=self.timeout)
        items: list[Notification] = []
        for notification in raw:
            kind = NOTIFICATION_KINDS.get(str(notification.get("type")))
            account = notification.get("account")
            if kind is None or not isinstance(account, Mapping) or notification.get("id") is None:
                continue  # polls, edits, admin reports, moderation warnings: not for the inbox
            status = notification.get("status")
            if not isinstance(status, Mapping) or status.get("id") is None:
                status = None
            if kind == "mention" and status is not None:
                if status.get("visibility") == "direct":
                    kind = "direct"
                elif str(status.get("in_reply_to_account_id")) == own_id:
                    kind = "reply"
            items.append(
                Notification(
                    remote_id=str(notification["id"]),
                    kind=kind,
                    created_at=_aware(notification.get("created_at")),
                    author_id=str(account.get("id") or ""),
                    author_handle=self._handle(account),
                    author_display_name=str(account.get("display_name") or ""),
                    post=self._post(status) if status is not None else None,
                    author_avatar_url=_avatar(account),
                    author_url=str(account.get("url") or ""),
                )
            )
        if next_max_id is None and len(raw) >= limit:  # a server that sends no Link header
            next_max_id = str(raw[-1]["id"])
        return Page(items=items, cursor=next_max_id)

    def thread(self, remote_id: str) -> Thread:
        """The status and its ancestors, from GET /api/v1/statuses/:id and its /context.

        The context lists only the ancestors the account may see that still exist, root first; a
        deleted or hidden parent leaves a gap (Mastodon then lists what is above it, or nothing
        when the parent is deleted). The chain is followed by in_reply_to_id up to the first gap.
        """
        quoted = quote(remote_id, safe="")
        with self._errors() as client:
            status = self._status(client, remote_id)
            context = api.api_call(client, "GET", f"/api/v1/statuses/{quoted}/context", timeout=self.timeout)
        listed = [item for item in context.get("ancestors") or [] if isinstance(item, Mapping) and item.get("id")]
        by_id = {str(item["id"]): item for item in listed}
        chain: list[Mapping[str, Any]] = []
        parent_id = status.get("in_reply_to_id")
        while parent_id is not None and str(parent_id) in by_id and len(chain) < len(by_id):
            parent = by_id[str(parent_id)]
            chain.append(parent)
            parent_id = parent.get("in_reply_to_id")
        chain.reverse()
        post = self._post(status)
        ancestors = [self._post(item) for item in chain]
        complete = parent_id is None
        root = ancestors[0] if ancestors else post
        if not complete and listed and listed[0].get("in_reply_to_id") is None:
            root = self._post(listed[0])  # the thread's first status, above the gap
        return Thread(root=root, ancestors=ancestors, post=post, complete=complete)

    def replies(self, remote_id: str, *, limit: int = 500) -> list[RemotePost]:
        """The status's descendants from GET /api/v1/statuses/:id/context, oldest first.

        Mastodon lists every descendant a signed-in account may see, at any depth, up to 4096 (its
        CONTEXT_LIMIT; only signed-out requests get 60, 20 levels deep); there is no paging. Left
        out by the server: statuses the account may not see (followers-only ones of people it
        does not follow), deleted ones with everything below them, and those of accounts it
        blocks or mutes. A server only knows the replies delivered to it: a reply deeper down
        from another server arrives when it mentions the account or one of its followers' servers
        gets it. The account's own replies are included. The status itself is read as well, to
        name the thread's root (Mastodon does not put it in a status).
        """
        quoted = quote(remote_id, safe="")
        with self._errors() as client:
            status = self._status(client, remote_id)
            context = api.api_call(client, "GET", f"/api/v1/statuses/{quoted}/context", timeout=self.timeout)
        ancestors = [item for item in context.get("ancestors") or [] if isinstance(item, Mapping)]
        root: str | None = str(status["id"])
        if status.get("in_reply_to_id") is not None:
            top = ancestors[0] if ancestors else None
            root = str(top["id"]) if top and top.get("id") and top.get("in_reply_to_id") is None else None
        seen: set[str] = set()
        posts: list[RemotePost] = []
        for item in context.get("descendants") or []:
            if not isinstance(item, Mapping) or item.get("id") is None or str(item["id"]) in seen:
                continue
            seen.add(str(item["id"]))
            posts.append(dataclasses.replace(self._post(item), thread_root=root))
        # The server lists them depth-first (each reply followed by its own replies).
        posts.sort(key=_oldest_first)
        return posts[: max(limit, 0)]

    def author_created_at(self, author_id: str) -> datetime | None:
        """`created_at` of GET /api/v1/accounts/:id, in UTC.

        Mastodon rounds it down to midnight UTC (since 3.4; a bare date is read the same way).
        For an account of another server it is the `published` date that server gave, and when it
        gave none, the day this server first saw the account: then the account may be older.
        """
        if not author_id.strip():
            raise PermanentError(_("No account was named."))
        with self._errors() as client:
            account = api.api_call(
                client, "GET", f"/api/v1/accounts/{quote(author_id.strip(), safe='')}", timeout=self.timeout
            )
        return _aware(account.get("created_at"))

    def like(self, remote_id: str) -> None:
        with self._errors() as client:
            client.status_favourite(remote_id)

    def unlike(self, remote_id: str) -> None:
        with self._errors() as client:
            client.status_unfavourite(remote_id)

    def boost(self, remote_id: str) -> None:
        with self._errors() as client:
            client.status_reblog(remote_id)

    def unboost(self, remote_id: str) -> None:
        with self._errors() as client:
            client.status_unreblog(remote_id)

    # Moderation --------------------------------------------------------------------------------
    def block(self, author_id: str) -> None:
        with self._errors() as client:
            client.account_block(author_id)

    def unblock(self, author_id: str) -> None:
        with self._errors() as client:
            client.account_unblock(author_id)

    def mute(self, author_id: str) -> None:
        with self._errors() as client:
            client.account_mute(author_id, notifications=True)

    def unmute(self, author_id: str) -> None:
        with self._errors() as client:
            client.account_unmute(author_id)

    def report(self, *, remote_id: str | None, author_id: str, reason: str, category: str = "other") -> None:
        """POST /api/v1/reports to this server's moderators (not forwarded to a remote author's server).

        Mastodon answers 404 when a reported status is gone (or is not the account's): the report
        is then filed about the account alone, naming the status in the comment.
        """
        mastodon_category = REPORT_CATEGORIES.get(category)
        if mastodon_category is None:
            raise PermanentError(_("Unknown report category “%(value)s”.") % {"value": category})
        comment = reason.strip()
        try:
            self._report(author_id, [remote_id] if remote_id else [], mastodon_category, comment)
        except PermanentError as error:
            if not remote_id or error.status != 404:
                raise
            self._report(author_id, [], mastodon_category, f"{comment}\n\n(status {remote_id}, since deleted)".strip())

    def _report(self, account_id: str, status_ids: list[str], category: str, comment: str) -> None:
        if len(comment) > REPORT_COMMENT_MAX:
            comment = comment[: REPORT_COMMENT_MAX - 1] + "…"
        form = [("account_id", account_id), ("category", category), ("comment", comment)]
        form += [("status_ids[]", status_id) for status_id in status_ids]
        with self._errors() as client:
            api.api_call(client, "POST", "/api/v1/reports", data=form, timeout=self.timeout)

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

    LISTEN_PAGES = 5  # pages of MAX_STATUSES_PAGE per listen() call at most

    def listen(self, *, mode: str, query: str = "", cursor: str = "", limit: int = 100) -> ListenPage:
        """Hashtag (`/api/v1/timelines/tag/:tag`), public or local timeline (`/api/v1/timelines/public`)
        read forward from `cursor` with `min_id`, page by page; or a status search (`/api/v2/search`,
        needs the account's token; full text only on servers with search enabled), which has no
        "newer than" and is filtered here by id. The cursor is the newest status id seen."""
        query = query.strip().lstrip("#")
        limit = max(1, limit)
        page_size = min(limit, MAX_STATUSES_PAGE)
        newest = cursor
        posts: list[RemotePost] = []
        with self._errors() as client:
            if mode == "search":
                if not query:
                    return ListenPage(posts=[], cursor=cursor)
                found = client.search_v2(query, resolve=False, result_type="statuses", limit=page_size).statuses
                for status in found:
                    remote_id = str(status["id"])
                    if not cursor or _id_after(remote_id, cursor):
                        posts.append(self._post(status))
                        newest = remote_id if not newest or _id_after(remote_id, newest) else newest
                return ListenPage(posts=posts, cursor=newest)
            if mode not in ("hashtag", "public", "local") or (mode == "hashtag" and not query):
                raise PermanentError(_("Mastodon cannot listen to “%(mode)s”.") % {"mode": mode})
            for _page in range(self.LISTEN_PAGES):
                after = {"min_id": newest} if newest else {}
                if mode == "hashtag":
                    statuses: Sequence[Any] = client.timeline_hashtag(query, limit=page_size, **after)
                else:
                    statuses = client.timeline_public(limit=page_size, local=mode == "local", **after)
                fresh = [status for status in statuses if not newest or _id_after(str(status["id"]), newest)]
                for status in fresh:
                    posts.append(self._post(status))
                    if not newest or _id_after(str(status["id"]), newest):
                        newest = str(status["id"])
                # The first read takes only the newest page; later reads stop when caught up.
                if not cursor or len(fresh) < page_size or len(posts) >= limit:
                    break
        return ListenPage(posts=posts, cursor=newest)

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
            author_id=str(account.get("id") or ""),
            author_avatar_url=_avatar(account),
            author_url=str(account.get("url") or ""),
            visibility=str(status.get("visibility") or "public"),
        )


def _id_after(remote_id: str, other: str) -> bool:
    """Mastodon status ids are numbers (as strings) that grow with time; compare them as numbers."""
    if remote_id.isdigit() and other.isdigit():
        return int(remote_id) > int(other)
    return (len(remote_id), remote_id) > (len(other), other)


def _comparable(text: str) -> str:
    """Text compared the way Mastodon gives it back: mentions as @user, whitespace collapsed, any case,
    without the mentions in front (publish() may add them to a direct reply)."""
    text = MENTION.sub(lambda match: "@" + match.group("user"), text)
    return _LEADING_MENTIONS.sub("", " ".join(text.split())).casefold()


def _avatar(account: Mapping[str, Any]) -> str:
    """The still picture: `avatar` may be an animated GIF (`avatar_static` is its first frame)."""
    return str(account.get("avatar_static") or account.get("avatar") or "")


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


def _oldest_first(post: RemotePost) -> tuple[datetime, int, str]:
    """Sort key: creation time, then the id (Mastodon's ids grow with time; others' are strings)."""
    when = post.created_at or datetime.min.replace(tzinfo=UTC)
    return when, int(post.remote_id) if post.remote_id.isdigit() else 0, post.remote_id


def _next_cursor(page: Sequence[Any], limit: int) -> str | None:
    """The max_id of the next (older) page, from the Link header Mastodon.py parsed."""
    following = getattr(page, "_pagination_next", None)
    if isinstance(following, Mapping) and following.get("max_id") is not None:
        return str(following["max_id"])
    if len(page) >= limit:  # a server that sends no Link header: older items may remain
        return str(page[-1]["id"])
    return None
