"""RSS and Atom feeds of news sites and blogs.

Fetched through the SSRF guard (`smm.lib.http.safe_get`: every address and redirect checked,
size and time limits) with a conditional GET (If-None-Match / If-Modified-Since from the stored
ETag and Last-Modified): a 304 reads nothing. feedparser only ever parses the bytes we fetched
(a file-like object, never a URL or a path). Entries are keyed by their id (else link, else a hash
of title and text), and the pipeline skips the ones it already has.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from typing import Any

import feedparser
import requests
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from listening.models import Source
from listening.sources import MAX_ITEMS_PER_RUN, ReadResult, SourceError, raw_item
from publishing.services.feeds import plain_text
from smm.lib.http import ResponseTooLargeError, UnsafeURLError, safe_get

MAX_FEED_BYTES = 5 * 1024 * 1024
FETCH_TIMEOUT: tuple[float, float] = (5.0, 15.0)
FETCH_DEADLINE = 30.0
USER_AGENT = "smm listening (self-hosted social media manager)"
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
NETWORK = "web"
REMOTE_ID_MAX = 500
VALIDATOR_MAX = 100  # Source.last_modified; a longer validator is not kept (the next GET is unconditional)
_LINK = URLValidator(schemes=["http", "https"])


def read(source: Source) -> ReadResult:
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    if source.etag:
        headers["If-None-Match"] = source.etag
    if source.last_modified:
        headers["If-Modified-Since"] = source.last_modified
    response = _get(source.value, headers)
    if response.status_code == 304:
        return ReadResult(not_modified=True)
    if not 200 <= response.status_code < 300:
        raise SourceError(
            _status_message(response.status_code), transient=response.status_code not in (401, 403, 404, 410)
        )
    parsed = feedparser.parse(
        io.BytesIO(response.content),
        response_headers={
            "content-type": response.headers.get("content-type", ""),
            "content-location": source.value,
        },
    )
    if not parsed.get("version") and not parsed.entries:
        raise SourceError(_("The address does not give an RSS or Atom feed that smm can read."), transient=False)
    feed_title = plain_text(str(parsed.feed.get("title") or ""), is_html=False)
    items = []
    for entry in parsed.entries[:MAX_ITEMS_PER_RUN]:
        item = _item(entry, feed_title=feed_title)
        if item is not None:
            items.append(item)
    etag = response.headers.get("etag", "")
    last_modified = response.headers.get("last-modified", "")
    return ReadResult(
        items=items,
        etag=etag if len(etag) <= VALIDATOR_MAX else "",
        last_modified=last_modified if len(last_modified) <= VALIDATOR_MAX else "",
    )


def _get(url: str, headers: dict[str, str]) -> requests.Response:
    try:
        return safe_get(url, headers=headers, max_bytes=MAX_FEED_BYTES, timeout=FETCH_TIMEOUT, deadline=FETCH_DEADLINE)
    except UnsafeURLError as error:
        raise SourceError(_("smm did not fetch the feed. %(reason)s") % {"reason": error}, transient=False) from error
    except ResponseTooLargeError as error:
        raise SourceError(
            _("The feed is larger than %(limit)s, so smm stopped reading it.")
            % {"limit": filesizeformat(MAX_FEED_BYTES)},
            transient=False,
        ) from error
    except requests.TooManyRedirects as error:
        raise SourceError(
            _("The feed address forwarded smm too many times. Check the address."), transient=False
        ) from error
    except requests.Timeout as error:
        raise SourceError(_("The website did not answer in time. smm tries again at the next run.")) from error
    except requests.exceptions.SSLError as error:
        raise SourceError(_("The website’s security certificate could not be verified.")) from error
    except requests.RequestException as error:
        raise SourceError(_("smm could not connect to the website. smm tries again at the next run.")) from error


def _status_message(status: int) -> str:
    if status in (401, 403):
        return _("The website refused to give smm the feed (HTTP %(status)s).") % {"status": status}
    if status in (404, 410):
        return _("There is no feed at this address (HTTP %(status)s). Check the address.") % {"status": status}
    if status == 429:
        return _("The website asked smm to check less often (HTTP 429). smm tries again later.")
    return _("The website answered with an error (HTTP %(status)s). smm tries again at the next run.") % {
        "status": status
    }


def _link(value: object) -> str:
    link = str(value or "").strip()
    if not link or len(link) > 2000:
        return ""
    try:
        _LINK(link)
    except ValidationError:
        return ""
    return link


def _time(entry: Any) -> datetime:
    for name in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(name)
        if parsed:
            try:
                year, month, day, hour, minute, second = (int(value) for value in parsed[:6])
                return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
            except (TypeError, ValueError):
                continue
    return timezone.now()


def _item(entry: Any, *, feed_title: str) -> Any:
    title = plain_text(
        str(entry.get("title") or ""), is_html="html" in str((entry.get("title_detail") or {}).get("type", ""))
    )
    body = str(entry.get("summary") or "")
    if entry.get("content"):
        body = str(entry["content"][0].get("value") or "") or body
    text = plain_text(body)
    if not (title or text):
        return None
    link = _link(entry.get("link"))
    key = str(entry.get("id") or "").strip() or link
    if not key:
        key = "sha256:" + hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()
    elif len(key) > REMOTE_ID_MAX:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    author = plain_text(str((entry.get("author_detail") or {}).get("name") or entry.get("author") or ""), is_html=False)
    return raw_item(
        network=NETWORK,
        remote_id=key,
        url=link,
        title=title[:500],
        text=text,
        published_at=_time(entry),
        author_name=(author or feed_title)[:200],
    )
