"""Template tags for employee sharing on other apps' pages (the post page's share-ready card)."""

from __future__ import annotations

from django import template

from collaboration.models import ShareSuggestion
from publishing.models import Post

register = template.Library()


@register.simple_tag
def active_share_suggestion(post: Post) -> ShareSuggestion | None:
    """The post's item on the sharing page, if it is there now (one query)."""
    return ShareSuggestion.objects.filter(post=post, active=True).order_by("-created_at").first()
