"""RSS and Atom feeds whose new entries become drafts or queue entries.

A poll fetches the feed through the SSRF guard (`smm.lib.http.safe_get`) with a conditional GET,
hands the bytes to feedparser (which never fetches anything itself here), records every entry it
has not seen before under its key (the entry's id, else its link), and turns the new ones into
posts in the name of the member who added the feed.

What becomes a post:

- the first check of a new feed records the entries already listed without posting them;
- after that, an entry not seen before becomes a post, unless its date is before the feed was
  added (a CMS migration or a shortened window can bring old entries back under new ids), or it
  has no date and nothing had been recorded before (the first check failed or found nothing);
- an entry whose link was already recorded is not posted again (a site that changed its ids);
- at most MAX_POSTS_PER_POLL posts per poll (the newest); further new entries are recorded
  without posts, so a feed that suddenly lists 500 entries cannot flood the queue.

In queue mode each post takes the next free queue time of every account; when an account has
none (or a network would refuse the text), the post is saved as a draft for all of the feed's
accounts and the feed says why. Posts are made as the member who added the feed; if they left or
lost the level needed, entries are recorded without posts and the feed says so.

Problems never escape a poll: they are stored on the feed in plain words (`last_error`).
"""

from __future__ import annotations

import hashlib
import html
import io
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser
import nh3
import requests
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from publishing.models import Campaign, Feed, FeedEntry, Post
from publishing.services import links, validation
from publishing.services.posts import PostInput, When, post_save
from smm.accounts.models import AccountLevel, Membership
from smm.accounts.services import account_level_for
from smm.lib.http import ResponseTooLargeError, UnsafeURLError, check_url, safe_get
from smm.networks.models import ConnectedAccount

logger = logging.getLogger(__name__)

MAX_FEED_BYTES = 5 * 1024 * 1024
FETCH_TIMEOUT: tuple[float, float] = (5.0, 15.0)
FETCH_DEADLINE = 30.0
MAX_POSTS_PER_POLL = 10
POLL_INTERVAL_MINUTES = 15  # the "publishing-feeds" schedule in setup_periodic_tasks (shown to the team)
USER_AGENT = "smm feed reader (self-hosted social media manager)"
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"

PLACEHOLDERS = ("title", "link", "summary", "author")
_PLACEHOLDER = re.compile(r"\{(title|link|summary|author)\}")
_ANY_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# Longest values put into a post before fitting it to the accounts' limits.
TITLE_MAX_CHARACTERS = 200
SUMMARY_MAX_CHARACTERS = 300
AUTHOR_MAX_CHARACTERS = 100
# nh3 is fast, but there is no point cleaning megabytes for a 300-character summary.
HTML_INPUT_LIMIT = 100_000
# A space before these tags keeps "<p>one</p><p>two</p>" from becoming "onetwo". Only a space is
# added, in front of a "<", so this cannot create markup; nh3 does the actual stripping.
_BREAK_BEFORE = re.compile(
    r"<(?=/?(?:p|br|div|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|pre|section|article|header|footer"
    r"|figure|figcaption|img|hr|dd|dt)\b)",
    re.IGNORECASE,
)
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINK_VALIDATOR = URLValidator(schemes=["http", "https"])
KEY_MAX_LENGTH = 500  # FeedEntry.key
LINK_MAX_LENGTH = 2000  # FeedEntry.link
TITLE_MAX_LENGTH = 500  # FeedEntry.title
ETAG_MAX_LENGTH = 300  # Feed.etag
LAST_MODIFIED_MAX_LENGTH = 100  # Feed.last_modified


class FeedError(Exception):
    """The feed could not be fetched or read. The message is written for the team."""


# Input and results -------------------------------------------------------------------------------
@dataclass
class FeedInput:
    """What the feed form says about a feed."""

    name: str
    url: str
    accounts: Sequence[ConnectedAccount]
    campaign: Campaign | None = None
    mode: str = Feed.Mode.DRAFT
    template: str = "{title} {link}"
    enabled: bool = True


@dataclass
class FeedPollResult:
    new_entries: int = 0
    posts_created: int = 0
    not_modified: bool = False
    first_check: bool = False  # the entries already listed were recorded without posts
    error: str = ""  # the feed could not be fetched or read
    notes: list[str] = field(default_factory=list)  # it was read, but something needs a look

    @property
    def problem(self) -> str:
        """What is stored as the feed's last_error: the error, else the notes, else nothing."""
        return self.error or " ".join(self.notes)


@dataclass(frozen=True)
class ParsedEntry:
    key: str
    title: str
    link: str
    summary: str
    author: str
    published_at: datetime | None
    position: int  # in the document; feeds list the newest first


# Templates and text ------------------------------------------------------------------------------
def validate_feed_template(template: str) -> None:
    """Raise ValidationError unless the template uses only the known placeholders (and at least one)."""
    unknown = [name for name in _ANY_PLACEHOLDER.findall(template) if name not in PLACEHOLDERS]
    if unknown:
        raise ValidationError(
            ngettext(
                "Unknown placeholder %(names)s. Use {title}, {link}, {summary} and {author}.",
                "Unknown placeholders %(names)s. Use {title}, {link}, {summary} and {author}.",
                len(unknown),
            )
            % {"names": ", ".join("{" + name + "}" for name in dict.fromkeys(unknown))},
            code="unknown_placeholder",
        )
    if not _PLACEHOLDER.search(template):
        raise ValidationError(
            _("Use at least one of {title}, {link}, {summary} and {author}, or every post would say the same."),
            code="no_placeholder",
        )


def feed_text_render(*, template: str, values: dict[str, str]) -> str:
    """The template with the four placeholders filled in.

    One pass over the template, so a title that contains "{summary}" stays as it is, and no
    str.format: a template cannot reach attributes or indexes ("{title.__class__}").
    """
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), ""), template).strip()


def plain_text(value: str, *, is_html: bool = True) -> str:
    """Text from the internet as one line of plain text: tags (and script/style contents) removed,
    entities decoded, control characters dropped and whitespace collapsed."""
    if is_html:
        cleaned = nh3.clean(_BREAK_BEFORE.sub(" <", value[:HTML_INPUT_LIMIT]), tags=set(), strip_comments=True)
        value = html.unescape(cleaned)
    return " ".join(_CONTROL_CHARACTERS.sub("", value).split())


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary where there is one, ending in "…"."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ""
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"


def _overflow(text: str, *, accounts: Sequence[ConnectedAccount], campaign: Campaign | None) -> int:
    """How many characters the text is over the tightest limit among the accounts (0 or less: fits)."""
    worst = 0
    for account in accounts:
        limits = validation.account_limits(account)
        if limits is None:
            continue
        final = links.prepare_text(text, campaign=campaign, network=account.network)
        worst = max(worst, limits.count(final) - limits.max_characters)
    return worst


def _fit(
    template: str, values: dict[str, str], *, accounts: Sequence[ConnectedAccount], campaign: Campaign | None
) -> str:
    """The rendered text, with the summary (then the title, then the author) shortened until it fits every account."""
    values = dict(values)
    text = feed_text_render(template=template, values=values)
    for _attempt in range(8):
        over = _overflow(text, accounts=accounts, campaign=campaign)
        if over <= 0:
            break
        for name in ("summary", "title", "author"):
            if values[name] and "{" + name + "}" in template:
                values[name] = shorten(values[name], max(len(values[name]) - over - 1, 0))
                break
        else:
            break  # the template's own text is too long; queue mode falls back to a draft and says so
        text = feed_text_render(template=template, values=values)
    return text


# Fetching and parsing ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Fetched:
    content: bytes
    headers: dict[str, str]  # lower-case names

    # A validator too long for its column is not stored: the next fetch is then unconditional.
    @property
    def etag(self) -> str:
        value = self.headers.get("etag", "")
        return value if len(value) <= ETAG_MAX_LENGTH else ""

    @property
    def last_modified(self) -> str:
        value = self.headers.get("last-modified", "")
        return value if len(value) <= LAST_MODIFIED_MAX_LENGTH else ""


def _status_message(status: int) -> str:
    if status in (401, 403):
        return _(
            "The website refused to give smm the feed (HTTP %(status)s). "
            "It may need a login, which smm does not support."
        ) % {"status": status}
    if status in (404, 410):
        return _("There is no feed at this address (HTTP %(status)s). Check the address.") % {"status": status}
    if status == 429:
        return _("The website asked smm to check less often (HTTP 429). smm tries again at the next check.")
    if status >= 500:
        return _("The website had a problem of its own (HTTP %(status)s). smm tries again at the next check.") % {
            "status": status
        }
    return _("The website answered with an error (HTTP %(status)s).") % {"status": status}


def _fetch(feed: Feed) -> _Fetched | None:
    """The feed's bytes, or None when the server says nothing changed since the last fetch (304)."""
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.last_modified:
        headers["If-Modified-Since"] = feed.last_modified
    try:
        response = safe_get(
            feed.url, headers=headers, max_bytes=MAX_FEED_BYTES, timeout=FETCH_TIMEOUT, deadline=FETCH_DEADLINE
        )
    except UnsafeURLError as error:
        raise FeedError(_("smm did not fetch the feed. %(reason)s") % {"reason": error}) from error
    except ResponseTooLargeError as error:
        raise FeedError(
            _("The feed is larger than %(limit)s, so smm stopped reading it.")
            % {"limit": filesizeformat(MAX_FEED_BYTES)}
        ) from error
    except requests.TooManyRedirects as error:
        raise FeedError(_("The feed address forwarded smm too many times. Check the address.")) from error
    except requests.Timeout as error:
        raise FeedError(_("The website did not answer in time. smm tries again at the next check.")) from error
    except requests.exceptions.SSLError as error:
        raise FeedError(
            _("The website’s security certificate could not be verified, so smm did not read the feed.")
        ) from error
    except requests.ConnectionError as error:
        raise FeedError(
            _("smm could not connect to the website. Check the address; smm tries again at the next check.")
        ) from error
    except requests.RequestException as error:
        raise FeedError(_("smm could not read the feed: the connection failed.")) from error
    if response.status_code == 304:
        return None
    if not 200 <= response.status_code < 300:
        raise FeedError(_status_message(response.status_code))
    return _Fetched(content=response.content, headers={name.lower(): value for name, value in response.headers.items()})


def _looks_like_html(fetched: _Fetched) -> bool:
    start = fetched.content[:1024].lstrip().lower()
    return "html" in fetched.headers.get("content-type", "").lower() or start.startswith((b"<!doctype html", b"<html"))


def _parse(fetched: _Fetched, *, base_url: str) -> list[ParsedEntry]:
    """The entries of the feed document (raises FeedError when it is not a feed)."""
    headers: dict[str, str] = {
        name: fetched.headers[name] for name in ("content-type", "content-language") if name in fetched.headers
    }
    # Relative links and ids resolve against the address the team entered, not wherever the
    # server redirected us, so that entry keys stay the same from one poll to the next.
    headers["content-location"] = base_url
    # A file-like object, never the bytes themselves: feedparser tries to open() a bytes or str
    # argument as a local file name before parsing it, so a body such as "/etc/passwd" would read
    # that file. It is never given a URL either, so it fetches nothing past the SSRF guard.
    parsed = feedparser.parse(io.BytesIO(fetched.content), response_headers=headers)
    if not parsed.get("version") and not parsed.entries:
        if _looks_like_html(fetched):
            raise FeedError(
                _(
                    "The address gives a web page, not an RSS or Atom feed. Open the page in a browser and look "
                    "for its feed link (it often ends in /feed, /rss or .xml)."
                )
            )
        raise FeedError(_("The address does not give an RSS or Atom feed that smm can read."))
    entries: list[ParsedEntry] = []
    for position, entry in enumerate(parsed.entries):
        item = _entry(entry, position)
        if item is not None:
            entries.append(item)
    return entries


def _detail_is_html(entry: Any, name: str) -> bool:
    detail = entry.get(f"{name}_detail") or {}
    return "html" in str(detail.get("type", "text/html"))


def _safe_link(value: object) -> str:
    link = str(value or "").strip()
    if not link or len(link) > LINK_MAX_LENGTH:
        return ""
    try:
        _LINK_VALIDATOR(link)
    except ValidationError:
        return ""
    return link


def _entry_time(entry: Any) -> datetime | None:
    for name in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(name)
        if parsed:
            try:
                year, month, day, hour, minute, second = (int(value) for value in parsed[:6])
                return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
            except (TypeError, ValueError):
                continue
    return None


def _entry(entry: Any, position: int) -> ParsedEntry | None:
    title = plain_text(str(entry.get("title") or ""), is_html=_detail_is_html(entry, "title"))
    summary_html = str(entry.get("summary") or "")
    if not summary_html and entry.get("content"):
        summary_html = str(entry["content"][0].get("value") or "")
    summary = plain_text(summary_html, is_html=_detail_is_html(entry, "summary") if entry.get("summary") else True)
    author_detail = entry.get("author_detail") or {}
    author = plain_text(str(author_detail.get("name") or entry.get("author") or ""), is_html=False)
    link = _safe_link(entry.get("link"))
    key = str(entry.get("id") or "").strip() or link
    if not key:
        if not (title or summary):
            return None  # nothing to recognise it by next time, and nothing to say
        key = "hash:" + hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()
    key = _CONTROL_CHARACTERS.sub("", key)
    if len(key) > KEY_MAX_LENGTH:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return ParsedEntry(
        key=key,
        title=title,
        link=link,
        summary=summary,
        author=author,
        published_at=_entry_time(entry),
        position=position,
    )


# Who posts ---------------------------------------------------------------------------------------
def _needed_level(feed: Feed) -> int:
    return AccountLevel.PUBLISH if feed.mode == Feed.Mode.QUEUE else AccountLevel.DRAFT


def _level_problem(feed: Feed, membership: Membership, accounts: Sequence[ConnectedAccount]) -> str:
    """Why `membership` cannot make this feed's posts ("" when it can)."""
    if not accounts:
        return _("The feed has no accounts to post to. Edit it and choose at least one.")
    name = membership.user.display_name
    for account in accounts:
        if account_level_for(membership=membership, account=account) >= _needed_level(feed):
            continue
        if feed.mode == Feed.Mode.QUEUE:
            return _(
                "%(name)s, who the feed posts as, may not publish to %(account)s, so new entries cannot be queued. "
                "Edit and save the feed to make it post as you, or choose other accounts."
            ) % {"name": name, "account": account}
        return _(
            "%(name)s, who the feed posts as, may not write drafts for %(account)s. "
            "Edit and save the feed to make it post as you, or choose other accounts."
        ) % {"name": name, "account": account}
    return ""


def _poster(feed: Feed, accounts: Sequence[ConnectedAccount]) -> tuple[Membership | None, str]:
    """The membership the feed's posts are made as (its creator's), or why there is none."""
    if feed.created_by_id is None:
        return None, _(
            "The person who added this feed no longer has a user account here, so it cannot make posts. "
            "Edit and save the feed to make it post as you."
        )
    membership = (
        Membership.objects.select_related("workspace", "user")
        .filter(workspace_id=feed.workspace_id, user_id=feed.created_by_id)
        .first()
    )
    if membership is None:
        name = feed.created_by.display_name if feed.created_by else ""
        return None, _(
            "%(name)s, who added this feed, is no longer a member of this workspace, so it cannot make posts. "
            "Edit and save the feed to make it post as you."
        ) % {"name": name}
    problem = _level_problem(feed, membership, accounts)
    return (None, problem) if problem else (membership, "")


# Polling -----------------------------------------------------------------------------------------
def feed_poll(*, feed: Feed, now: datetime | None = None) -> FeedPollResult:
    """Check one feed now and make posts of its new entries; problems are stored on it, never raised."""
    now = now or timezone.now()
    try:
        result = _poll(feed, now=now)
    except Exception:
        # A bug or a database problem: the task loop must go on with the other feeds, and the team
        # should see that this one was not checked.
        logger.exception("Feed poll failed: feed=%s", feed.pk)
        result = FeedPollResult(
            error=_("smm could not check the feed because of an internal error. The details are in the server logs.")
        )
        Feed.objects.filter(pk=feed.pk).update(last_checked_at=now, last_error=result.error)
    return result


def _poll(feed: Feed, *, now: datetime) -> FeedPollResult:
    # The network call happens outside any transaction; the rows are written under the feed's lock.
    try:
        fetched = _fetch(feed)
        entries = _parse(fetched, base_url=feed.url) if fetched is not None else []
    except FeedError as error:
        result = FeedPollResult(error=str(error))
        Feed.objects.filter(pk=feed.pk).update(last_checked_at=now, last_error=result.error)
        return result
    with transaction.atomic():
        locked = (
            Feed.objects.select_for_update(of=("self",))
            .select_related("workspace", "campaign", "created_by")
            .filter(pk=feed.pk)
            .first()
        )
        if locked is None:
            return FeedPollResult()  # deleted while we were fetching
        accounts = list(locked.accounts.select_related("workspace"))
        if fetched is None:
            result = FeedPollResult(not_modified=True)
            _membership, problem = _poster(locked, accounts)
            if problem:
                result.notes.append(problem)
        else:
            result = _record(locked, entries, accounts=accounts, now=now)
            locked.etag, locked.last_modified = fetched.etag, fetched.last_modified
        locked.last_checked_at = now
        locked.last_error = result.problem
        locked.save(update_fields=["etag", "last_modified", "last_checked_at", "last_error"])
    return result


def _unique(entries: Iterable[ParsedEntry]) -> list[ParsedEntry]:
    seen: dict[str, ParsedEntry] = {}
    for entry in entries:
        seen.setdefault(entry.key, entry)
    return list(seen.values())


def _age_order(entry: ParsedEntry) -> tuple[datetime, int]:
    """Oldest first: by date, and without dates by position (feeds list the newest first)."""
    return (entry.published_at or datetime.min.replace(tzinfo=UTC), -entry.position)


def _record(
    feed: Feed, entries: list[ParsedEntry], *, accounts: list[ConnectedAccount], now: datetime
) -> FeedPollResult:
    """Record the entries not seen before and make posts of those that qualify (the feed row is locked)."""
    entries = _unique(entries)
    # The very first check records what the feed already lists. If that check failed, or the feed
    # was empty then, the entries dated after the feed was added still become posts later.
    first_check = feed.last_checked_at is None
    has_history = feed.entries.exists()
    known_keys = set(feed.entries.filter(key__in=[entry.key for entry in entries]).values_list("key", flat=True))
    new = [entry for entry in entries if entry.key not in known_keys]
    # An entry already posted under another id (a site that changed its ids) is not posted again.
    links_seen = set(
        feed.entries.filter(link__in=[entry.link for entry in new if entry.link]).values_list("link", flat=True)
    )

    def qualifies(entry: ParsedEntry) -> bool:
        if first_check or (entry.link and entry.link in links_seen):
            return False
        if entry.published_at is not None:
            return entry.published_at > feed.created_at
        return has_history

    candidates = sorted((entry for entry in new if qualifies(entry)), key=_age_order)
    chosen = candidates[-MAX_POSTS_PER_POLL:] if candidates else []
    result = FeedPollResult(new_entries=len(new), first_check=first_check)
    posts: dict[str, Post] = {}
    # Checked at every poll, so the team hears of it before an entry goes unposted.
    membership, problem = _poster(feed, accounts)
    if membership is None:
        result.notes.append(problem)
        if chosen:
            result.notes.append(
                ngettext(
                    "%(count)s new entry was recorded without a post.",
                    "%(count)s new entries were recorded without posts.",
                    len(chosen),
                )
                % {"count": len(chosen)}
            )
    elif chosen:
        posts = _make_posts(feed, chosen, membership=membership, accounts=accounts, now=now, result=result)
    skipped = len(candidates) - len(chosen)
    if skipped:
        result.notes.append(
            ngettext(
                "%(count)s more new entry was recorded without a post: smm makes at most %(limit)s posts per check.",
                "%(count)s more new entries were recorded without posts: smm makes at most %(limit)s posts per check.",
                skipped,
            )
            % {"count": skipped, "limit": MAX_POSTS_PER_POLL}
        )
    # Oldest first, so that the newest entry is the most recently recorded one. No full_clean here:
    # the values were cut to the field sizes and the links validated above, and the feed's lock
    # makes the unique key safe without a query per entry.
    FeedEntry.objects.bulk_create(
        [
            FeedEntry(
                feed=feed,
                key=entry.key,
                title=entry.title[:TITLE_MAX_LENGTH],
                link=entry.link,
                published_at=entry.published_at,
                post=posts.get(entry.key),
            )
            for entry in sorted(new, key=_age_order)
        ]
    )
    result.posts_created = len(posts)
    return result


def _make_posts(
    feed: Feed,
    entries: list[ParsedEntry],
    *,
    membership: Membership,
    accounts: list[ConnectedAccount],
    now: datetime,
    result: FeedPollResult,
) -> dict[str, Post]:
    posts: dict[str, Post] = {}
    fallbacks: dict[str, int] = {}
    failures: dict[str, int] = {}
    for entry in entries:
        values = {
            "title": shorten(entry.title, TITLE_MAX_CHARACTERS),
            "link": entry.link,
            "summary": shorten(entry.summary, SUMMARY_MAX_CHARACTERS),
            "author": shorten(entry.author, AUTHOR_MAX_CHARACTERS),
        }
        text = _fit(feed.template, values, accounts=accounts, campaign=feed.campaign)
        when = When.QUEUE if feed.mode == Feed.Mode.QUEUE else When.DRAFT
        try:
            posts[entry.key] = _post(membership, text=text, feed=feed, accounts=accounts, when=when, now=now)
            continue
        except (ValidationError, PermissionDenied) as error:
            reason = _reason(error)
        if when == When.QUEUE:
            # No free queue time, or a network would refuse the text: a draft loses nothing, and
            # the team sees why on the feed.
            try:
                posts[entry.key] = _post(membership, text=text, feed=feed, accounts=accounts, when=When.DRAFT, now=now)
                fallbacks[reason] = fallbacks.get(reason, 0) + 1
                continue
            except (ValidationError, PermissionDenied) as error:
                reason = _reason(error)
        failures[reason] = failures.get(reason, 0) + 1
    for reason, count in fallbacks.items():
        result.notes.append(
            ngettext(
                "%(count)s new entry was saved as a draft instead of being queued: %(reason)s",
                "%(count)s new entries were saved as drafts instead of being queued: %(reason)s",
                count,
            )
            % {"count": count, "reason": reason}
        )
    for reason, count in failures.items():
        result.notes.append(
            ngettext(
                "%(count)s new entry could not become a post: %(reason)s",
                "%(count)s new entries could not become posts: %(reason)s",
                count,
            )
            % {"count": count, "reason": reason}
        )
    return posts


def _reason(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return _("The feed’s poster may not use one of its accounts.")


def _post(
    membership: Membership, *, text: str, feed: Feed, accounts: list[ConnectedAccount], when: When, now: datetime
) -> Post:
    # A savepoint per post: a refusal part-way leaves nothing behind and the poll goes on.
    with transaction.atomic():
        return post_save(
            membership=membership,
            data=PostInput(text=text, accounts=list(accounts), campaign=feed.campaign),
            when=when,
            source=Post.Source.FEED,
            confirmed=True,
            now=now,
        )


def feeds_poll_dispatch() -> int:
    """Queue a check of every enabled feed (the periodic task); one feed's trouble does not stop the rest."""
    from publishing.tasks import feed_poll_task

    ids = list(Feed.objects.filter(enabled=True).order_by("pk").values_list("pk", flat=True))
    for feed_id in ids:
        try:
            feed_poll_task.delay(feed_id)
        except Exception:
            logger.exception("Could not queue the check of feed %s", feed_id)
    return len(ids)


# Create, change, delete --------------------------------------------------------------------------
def validate_feed_url(url: str) -> None:
    """Refuse addresses smm would not fetch (private networks, the server itself, odd schemes)."""
    try:
        check_url(url)
    except UnsafeURLError as error:
        raise ValidationError({"url": str(error)}) from error


def _validate(*, membership: Membership, data: FeedInput, previous_account_ids: set[int]) -> None:
    if not membership.can_publish:
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if not data.accounts:
        errors.setdefault("accounts", []).append(_("Choose at least one account."))
    for account in data.accounts:
        if account.workspace_id != membership.workspace_id:
            raise PermissionDenied
        if account.pk in previous_account_ids:
            continue  # kept as it was; whoever added it could publish to it
        if not account.is_connected:
            errors.setdefault("accounts", []).append(
                _("%(account)s is disconnected. Connect it again first.") % {"account": account}
            )
        elif account_level_for(membership=membership, account=account) < AccountLevel.PUBLISH:
            errors.setdefault("accounts", []).append(_("You may not publish to %(account)s.") % {"account": account})
    if data.campaign is not None and data.campaign.workspace_id != membership.workspace_id:
        errors.setdefault("campaign", []).append(_("Choose a campaign of this workspace."))
    try:
        validate_feed_template(data.template)
    except ValidationError as error:
        errors.setdefault("template", []).extend(error.messages)
    try:
        validate_feed_url(data.url)
    except ValidationError as error:
        errors.setdefault("url", []).extend(error.messages)
    if errors:
        raise ValidationError(errors)


def _apply(feed: Feed, data: FeedInput) -> None:
    feed.name = data.name.strip()
    if data.url != feed.url:
        # Another address is another document: its validators mean nothing here.
        feed.etag = feed.last_modified = ""
    feed.url = data.url
    feed.campaign = data.campaign
    feed.mode = data.mode
    feed.template = data.template
    feed.enabled = data.enabled


def feed_create(*, membership: Membership, data: FeedInput) -> Feed:
    """Add a feed; its first check records the entries already listed without posting them."""
    _validate(membership=membership, data=data, previous_account_ids=set())
    with transaction.atomic():
        feed = Feed(workspace=membership.workspace, created_by=membership.user)
        _apply(feed, data)
        feed.full_clean()
        feed.save()
        feed.accounts.set(data.accounts)
    return feed


def feed_update(*, membership: Membership, feed: Feed, data: FeedInput) -> Feed:
    """Change a feed. If the member it posts as can no longer make its posts, it posts as `membership` from now on."""
    previous = set(feed.accounts.values_list("pk", flat=True))
    _validate(membership=membership, data=data, previous_account_ids=previous)
    with transaction.atomic():
        feed = (
            Feed.objects.select_for_update(of=("self",))
            .select_related("created_by")
            .get(pk=feed.pk, workspace_id=membership.workspace_id)
        )
        _apply(feed, data)
        feed.full_clean()
        accounts = list(data.accounts)
        _poster_membership, problem = _poster(feed, accounts)
        if problem and not _level_problem(feed, membership, accounts):
            feed.created_by = membership.user
        feed.save()
        feed.accounts.set(accounts)
    return feed


def feed_delete(*, membership: Membership, feed: Feed) -> None:
    """Delete a feed and its record of entries; the posts it made stay."""
    if not membership.can_publish:
        raise PermissionDenied
    Feed.objects.filter(pk=feed.pk, workspace_id=membership.workspace_id).delete()
