"""Bluesky direct messages: the chat service (chat.bsky.convo.*), reached through the account's PDS.

The PDS forwards a chat call to the service the `atproto-proxy` header names
(`did:web:api.bsky.chat#bsky_chat`, atproto's `client.with_bsky_chat_proxy()`), signing a service
token for it. It does so only for tokens of the main password or of an app password created with
"Allow access to your direct messages" (scope com.atproto.appPassPrivileged); any other app
password gets 400 InvalidToken "Bad token method" (@atproto/pds pipethrough.ts, PRIVILEGED_METHODS).
That is not a broken account: posting and notifications keep working, so it becomes
CapabilityUnavailableError(DIRECT_MESSAGES), never an AuthError. An access token whose scope says
com.atproto.appPass is known to be refused without asking.

Reading is incremental by `rev`: every conversation (convoView) and message (messageView) carries
one, and a conversation's rev moves with every change in it. listConvos lists conversations by
latest activity; those with a rev above the stored position are read with getMessages (newest
first) down to that position, oldest change first, so the position can be stored after each
bounded batch. Chat ids are the service's own: smm names a message `chat:<convoId>/<messageId>`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import regex
from atproto_client import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from smm.networks.base import (
    Capability,
    CapabilityUnavailableError,
    DirectMessages,
    Notification,
    PermanentError,
    PublishedPost,
    RemotePost,
    TransientError,
)
from smm.networks.bluesky.client import APP_PASSWORD_SCOPE, PinnedClient, is_scope_error, jwt_claims, xrpc_error

if TYPE_CHECKING:
    from smm.networks.bluesky.adapter import BlueskyAdapter

logger = logging.getLogger(__name__)

T = TypeVar("T")

# The chat service every Bluesky PDS forwards to (atproto Client.BSKY_CHAT_DID); an account's
# config may name another ("chat_service_did"), as the tests do for a local one.
CHAT_SERVICE_DID = PinnedClient.BSKY_CHAT_DID
CHAT_ID = re.compile(r"^chat:(?P<convo>[^/\s]+)/(?P<message>[^/\s]+)$")
NO_ACCESS_HINT = gettext_lazy(
    "Create an app password with direct-message access to read Bluesky DMs: in Bluesky's settings "
    "(Privacy and security → App passwords) tick “Allow access to your direct messages”, then "
    "reconnect the account with it."
)
# chat.bsky.convo.defs#messageInput: text maxGraphemes 1000, maxLength 10000.
MAX_MESSAGE_GRAPHEMES = 1000
MAX_MESSAGE_LENGTH = 10_000
# A first read (no position yet) brings the most recently active conversations and their latest
# messages only; later reads bring everything newer than the position.
FIRST_READ_CONVOS = 50
FIRST_READ_MESSAGES = 25
CONVO_PAGE = 100
MESSAGE_PAGE = 100
MAX_CONVO_PAGES = 10
MAX_MESSAGE_PAGES = 5
# At most this many changed conversations are read per call (complete=False beyond it).
MAX_CONVOS_PER_READ = 25
# find_direct: how many pages of a conversation's latest messages it reads, and how much earlier
# than `sent_after` a message may claim to be (the chat service's clock is not ours).
FIND_PAGES = 3
FIND_PAGE = 50
CLOCK_SKEW = timedelta(minutes=5)
MESSAGE_VIEW = "chat.bsky.convo.defs#messageView"


def chat_id(convo_id: str, message_id: str) -> str:
    return f"chat:{convo_id}/{message_id}"


def parse_chat_id(remote_id: str) -> tuple[str, str] | None:
    """(conversation id, message id) of a chat message's remote id; None for anything else."""
    match = CHAT_ID.match(remote_id or "")
    return (match["convo"], match["message"]) if match else None


def _get(value: Any, name: str, default: Any = None) -> Any:
    if value is None:
        return default
    if isinstance(value, dict):
        return value.get(name, default)
    return getattr(value, name, default)


def _parse_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _is_message(view: Any) -> bool:
    """A message someone wrote (not a deleted one, a system message, or a type this library does not know)."""
    return isinstance(view, models.ChatBskyConvoDefs.MessageView) or _get(view, "py_type") == MESSAGE_VIEW


def _is_group(convo: Any) -> bool:
    kind = _get(convo, "kind")
    return isinstance(kind, models.ChatBskyConvoDefs.GroupConvo) or str(_get(kind, "py_type", "")).endswith(
        "#groupConvo"
    )


class BlueskyChat:
    """The chat half of one BlueskyAdapter (same session, same HTTP client, same rate budget)."""

    def __init__(self, adapter: BlueskyAdapter) -> None:
        self.adapter = adapter
        self._proxy: PinnedClient | None = None
        self._proxy_of: PinnedClient | None = None

    # Plumbing ----------------------------------------------------------------------------------
    @property
    def service_did(self) -> str:
        return str(self.adapter.config.get("chat_service_did") or CHAT_SERVICE_DID)

    def _proxied(self, client: PinnedClient) -> PinnedClient:
        """The logged-in client with the atproto-proxy header for the chat service (one per client)."""
        if self._proxy is None or self._proxy_of is not client:
            self._proxy = client.with_proxy(client.AtprotoServiceType.BSKY_CHAT, self.service_did)
            self._proxy_of = client
        return self._proxy

    def _unavailable(self, detail: str) -> CapabilityUnavailableError:
        return CapabilityUnavailableError(
            _("This Bluesky app password has no access to direct messages."),
            capability=Capability.DIRECT_MESSAGES,
            status=400,
            detail=detail,
        )

    def _call(self, operation: Callable[[PinnedClient], T], *, write: bool = False) -> T:
        """One chat call through the PDS; a token without DM access raises CapabilityUnavailableError."""

        def run(client: PinnedClient) -> T:
            scope = jwt_claims(str(self.adapter.session.credentials.get("access_jwt") or "")).get("scope")
            if scope == APP_PASSWORD_SCOPE:
                raise self._unavailable(f"token scope {scope}")  # the PDS would refuse it: do not ask
            try:
                return operation(self._proxied(client))
            except Exception as error:
                if is_scope_error(error):
                    _status, name, message = xrpc_error(error)
                    raise self._unavailable(f"{name}: {message}") from error
                raise

        return self.adapter.session.call(run, write=write)

    def _query(self, method: str, params: dict[str, Any]) -> Any:
        """chat.bsky.convo.listConvos or getMessages through the library's models."""

        def query(client: PinnedClient) -> Any:
            if method == "listConvos":
                return client.chat.bsky.convo.list_convos(params)
            return client.chat.bsky.convo.get_messages(params)

        return self._call(query)

    def _profile_url(self, handle_or_did: str) -> str:
        return self.adapter.profile_url(handle_or_did)

    def conversation_url(self, convo_id: str) -> str:
        web = str(self.adapter.config.get("web_url") or "https://bsky.app").rstrip("/")
        return f"{web}/messages/{convo_id}"

    # Reading -----------------------------------------------------------------------------------
    def direct_messages(self, *, since: str | None = None) -> DirectMessages:
        """Messages others wrote in the account's direct conversations after the position `since`.

        Group conversations move the position but are not read (the inbox keeps one-to-one
        conversations). Message requests (conversations the account has not accepted) are read
        like the others: a customer writing first is what the inbox is for.
        """
        own = self.adapter.did
        changed = self._changed_convos(since)
        changed.sort(key=lambda convo: str(convo.rev))
        batch = changed[:MAX_CONVOS_PER_READ]
        items: list[Notification] = []
        for convo in batch:
            if not _is_group(convo):
                items += self._new_messages(convo, since, own)
        position = str(batch[-1].rev) if batch else since
        return DirectMessages(items=items, position=position, complete=len(changed) <= MAX_CONVOS_PER_READ)

    def _changed_convos(self, since: str | None) -> list[Any]:
        """The conversations whose rev is above `since` (first read: the most recently active ones)."""
        found: list[Any] = []
        cursor: str | None = None
        for _page in range(MAX_CONVO_PAGES):
            params: dict[str, Any] = {"limit": FIRST_READ_CONVOS if since is None else CONVO_PAGE}
            if cursor:
                params["cursor"] = cursor
            page = self._query("listConvos", params)
            fresh = [convo for convo in page.convos if since is None or str(convo.rev) > since]
            found += fresh
            if since is None or not page.cursor or len(fresh) < len(page.convos):
                return found  # listConvos is by latest activity: the rest has not changed
            cursor = page.cursor
        logger.warning("Bluesky chat for %s: over %s pages of changed conversations", self.adapter.did, MAX_CONVO_PAGES)
        return found

    def _new_messages(self, convo: Any, since: str | None, own: str) -> list[Notification]:
        profiles = {str(member.did): member for member in convo.members or []}
        views: list[Any] = []
        cursor: str | None = None
        for _page in range(MAX_MESSAGE_PAGES):
            params: dict[str, Any] = {
                "convoId": convo.id,
                "limit": FIRST_READ_MESSAGES if since is None else MESSAGE_PAGE,
            }
            if cursor:
                params["cursor"] = cursor
            page = self._query("getMessages", params)
            for profile in page.related_profiles or []:
                profiles.setdefault(str(profile.did), profile)
            reached = False
            for view in page.messages:
                if since is not None and str(_get(view, "rev", "")) <= since:
                    reached = True
                    break
                views.append(view)
            if reached or since is None or not page.cursor:
                break
            cursor = page.cursor
        notifications = [
            self._notification(convo.id, view, profiles.get(str(view.sender.did)))
            for view in reversed(views)
            if _is_message(view) and str(view.sender.did) != own
        ]
        return notifications

    def _notification(self, convo_id: str, view: Any, profile: Any) -> Notification:
        sender = str(view.sender.did)
        handle = str(_get(profile, "handle", "") or sender)
        name = str(_get(profile, "display_name", "") or "")
        avatar = str(_get(profile, "avatar", "") or "")
        sent_at = _parse_datetime(view.sent_at)
        parent = _get(view, "reply_to")
        parent_id = _get(parent, "id")
        remote_id = chat_id(convo_id, view.id)
        url = self.conversation_url(convo_id)
        post = RemotePost(
            remote_id=remote_id,
            url=url,
            text=str(view.text or ""),
            created_at=sent_at,
            author_handle=handle,
            author_display_name=name,
            reply_to=chat_id(convo_id, str(parent_id)) if parent_id else None,
            author_id=sender,
            author_avatar_url=avatar,
            author_url=self._profile_url(handle),
            thread_root=convo_id,
            visibility="direct",
        )
        return Notification(
            remote_id=remote_id,
            kind="direct",
            created_at=sent_at,
            author_id=sender,
            author_handle=handle,
            author_display_name=name,
            post=post,
            author_avatar_url=avatar,
            author_url=self._profile_url(handle),
        )

    # Sending -----------------------------------------------------------------------------------
    def send_direct(self, *, conversation_id: str, text: str) -> PublishedPost:
        """chat.bsky.convo.sendMessage, then updateRead up to it (the team has read what it answers)."""
        self._check_text(text)
        message: dict[str, Any] = {"text": text}
        facets = self._facets(text)
        if facets:
            message["facets"] = facets
        data = {"convoId": conversation_id, "message": message}
        view = self._call(lambda client: client.chat.bsky.convo.send_message(data), write=True)
        sent = PublishedPost(
            remote_id=chat_id(conversation_id, view.id),
            url=self.conversation_url(conversation_id),
            created_at=_parse_datetime(view.sent_at) or datetime.now(UTC),
        )
        try:
            read = {"convoId": conversation_id, "messageId": view.id}
            self._call(lambda client: client.chat.bsky.convo.update_read(read), write=True)
        except Exception as error:  # only the unread badge in Bluesky's app depends on it
            logger.info("Bluesky chat: marking %s read failed: %s", conversation_id, error)
        return sent

    def _check_text(self, text: str) -> None:
        if not text.strip():
            raise PermanentError(_("The message is empty."))
        graphemes = len(regex.findall(r"\X", text))
        if graphemes > MAX_MESSAGE_GRAPHEMES or len(text) > MAX_MESSAGE_LENGTH:
            raise PermanentError(
                _("The message is %(length)s characters long; Bluesky allows %(limit)s in a direct message.")
                % {"length": graphemes, "limit": MAX_MESSAGE_GRAPHEMES}
            )

    def _facets(self, text: str) -> list[Any]:
        """Links, mentions and hashtags as facets (the app shows links in messages only through them)."""
        from smm.networks.bluesky.adapter import _iri_to_uri
        from smm.networks.bluesky.facets import detect_facets

        facets = detect_facets(text, self.adapter._resolve_handle)
        for facet in facets:
            for feature in facet.features:
                if isinstance(feature, models.AppBskyRichtextFacet.Link):
                    feature.uri = _iri_to_uri(feature.uri)
        return facets

    def find_direct(
        self, *, conversation_id: str, text: str, sent_after: datetime, exclude: Collection[str] = ()
    ) -> PublishedPost | None:
        """Read the conversation's latest messages (newest first) back to `sent_after`: the account's
        message with this text that is not in `exclude`, or None once older messages are reached."""
        own = self.adapter.did
        earliest = sent_after - CLOCK_SKEW
        cursor: str | None = None
        for _page in range(FIND_PAGES):
            params: dict[str, Any] = {"convoId": conversation_id, "limit": FIND_PAGE}
            if cursor:
                params["cursor"] = cursor
            page = self._query("getMessages", params)
            for view in page.messages:
                sent_at = _parse_datetime(_get(view, "sent_at"))
                if sent_at is not None and sent_at < earliest:
                    return None
                if not _is_message(view) or str(view.sender.did) != own or view.text != text:
                    continue
                remote_id = chat_id(conversation_id, view.id)
                if remote_id not in exclude:
                    return PublishedPost(
                        remote_id=remote_id, url=self.conversation_url(conversation_id), created_at=sent_at
                    )
            if not page.cursor:
                return None
            cursor = page.cursor
        raise TransientError(_("smm could not yet tell whether Bluesky got the message."))
