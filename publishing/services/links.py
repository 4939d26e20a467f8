"""Links in posts: UTM parameters from the campaign, and smm short links that count clicks."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse

from publishing.models import Campaign, LinkClick, Post, ShortLink
from smm.networks.models import ConnectedAccount
from smm.networks.text import URL

CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no look-alikes
CODE_LENGTH = 7
# What a short link looks like in a preview, before it exists.
PREVIEW_CODE = "•" * CODE_LENGTH


def find_urls(text: str) -> list[str]:
    return [match.group(0) for match in URL.finditer(text)]


def with_utm(url: str, *, campaign: Campaign | None, network: str) -> str:
    """The URL with the campaign's UTM parameters; parameters the URL already has are kept."""
    if campaign is None or not campaign.utm_campaign:
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {name for name, _value in query}
    wanted = {
        "utm_source": network,
        "utm_medium": campaign.utm_medium or "social",
        "utm_campaign": campaign.utm_campaign,
        "utm_content": campaign.utm_content,
    }
    query += [(name, value) for name, value in wanted.items() if value and name not in present]
    return urlunsplit(parts._replace(query=urlencode(query)))


def short_url(code: str) -> str:
    return settings.SITE_URL + reverse("short-link", args=[code])


def _short_link_for(*, post: Post, account: ConnectedAccount, url: str) -> ShortLink:
    existing = ShortLink.objects.filter(post=post, account=account, url=url).first()
    if existing is not None:
        return existing
    for _try in range(5):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        try:
            with transaction.atomic():
                return ShortLink.objects.create(
                    workspace_id=post.workspace_id, post=post, account=account, url=url, code=code
                )
        except IntegrityError:
            # Another worker made the same link a moment ago, or (rarely) the code is taken.
            existing = ShortLink.objects.filter(post=post, account=account, url=url).first()
            if existing is not None:
                return existing
    raise RuntimeError("could not find a free short link code")


def prepare_text(
    text: str,
    *,
    campaign: Campaign | None,
    network: str,
    post: Post | None = None,
    account: ConnectedAccount | None = None,
) -> str:
    """The text as it will be published: UTM parameters added, links shortened if the campaign says so.

    Without a saved post and account (the composer's preview) short links show a placeholder code.
    """
    if campaign is None:
        return text

    def replace(match: object) -> str:
        url = with_utm(match.group(0), campaign=campaign, network=network)  # type: ignore[attr-defined]
        if not campaign.shorten_links:
            return url
        if post is None or account is None or post.pk is None:
            return short_url(PREVIEW_CODE)
        return short_url(_short_link_for(post=post, account=account, url=url).code)

    return URL.sub(replace, text)


def short_link_follow(*, code: str, request: HttpRequest) -> str | None:
    """Count a click and return where the short link goes (None for an unknown code)."""
    from django.db.models import F

    link = ShortLink.objects.filter(code=code).only("pk", "url").first()
    if link is None:
        return None
    referrer = urlsplit(request.headers.get("referer", "")).hostname or ""
    with transaction.atomic():
        ShortLink.objects.filter(pk=link.pk).update(clicks=F("clicks") + 1)
        LinkClick.objects.create(link=link, referrer_host=referrer[:200])
    return link.url
