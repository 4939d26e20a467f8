"""Our own inbox as a listening source: the public comments, replies, mentions and quotes the inbox
collected (participation), newer than the cursor (the last InboxItem id read). Direct messages and
our own replies are never read into listening."""

from __future__ import annotations

from listening.models import Source
from listening.sources import MAX_ITEMS_PER_RUN, ReadResult, raw_item
from participation.models import InboxItem

KINDS = (InboxItem.Kind.COMMENT, InboxItem.Kind.REPLY, InboxItem.Kind.MENTION, InboxItem.Kind.QUOTE)


def read(source: Source) -> ReadResult:
    after = int(source.cursor) if source.cursor.isdigit() else 0
    rows = list(
        InboxItem.objects.filter(workspace_id=source.workspace_id, kind__in=KINDS, deleted=False, pk__gt=after)
        .select_related("account")
        .order_by("pk")[:MAX_ITEMS_PER_RUN]
    )
    items = [
        raw_item(
            network=row.account.network,
            remote_id=row.remote_id,
            url=row.url,
            text=row.text,
            html=row.html,
            published_at=row.created_at,
            author_handle=row.author_handle,
            author_name=row.author_name,
            language=row.language,
        )
        for row in rows
        if row.text or row.html
    ]
    return ReadResult(items=items, cursor=str(rows[-1].pk) if rows else None)
