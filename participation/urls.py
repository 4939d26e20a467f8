"""Inbox pages under /w/<slug>/inbox/ (namespace "participation")."""

from django.urls import URLPattern, URLResolver, path

from participation.views import inbox

app_name = "participation"

urlpatterns: list[URLPattern | URLResolver] = [
    # The inbox and conversations (views/inbox.py)
    path("", inbox.inbox, name="inbox"),
    path("c/<int:conversation_id>/", inbox.conversation_detail, name="conversation"),
    path("c/<int:conversation_id>/update/", inbox.conversation_update, name="conversation-update"),
    path("c/<int:conversation_id>/note/", inbox.conversation_note, name="conversation-note"),
    path("c/<int:conversation_id>/reply/", inbox.conversation_reply, name="conversation-reply"),
    path("c/<int:conversation_id>/presence/", inbox.conversation_presence, name="conversation-presence"),
    path("replies/<int:reply_id>/review/", inbox.reply_review, name="reply-review"),
    path("items/<int:item_id>/react/", inbox.item_react, name="item-react"),
    path("items/<int:item_id>/moderate/", inbox.item_moderate, name="item-moderate"),
    # Settings: saved replies, tags, rules, targets, reply approval, views, columns, report (views/setup.py)
]
