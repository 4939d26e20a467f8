"""Inbox pages under /w/<slug>/inbox/ (namespace "participation")."""

from django.urls import URLPattern, URLResolver, path

from participation.views import columns, inbox, report, rules, setup

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
    # Settings: saved replies, tags, targets, reply approval (views/setup.py)
    path("settings/", setup.setup_page, name="setup"),
    path("settings/saved-replies/new/", setup.saved_reply_edit, name="saved-reply-new"),
    path("settings/saved-replies/<int:saved_reply_id>/", setup.saved_reply_edit, name="saved-reply-edit"),
    path("settings/saved-replies/<int:saved_reply_id>/delete/", setup.saved_reply_delete, name="saved-reply-delete"),
    path("settings/tags/new/", setup.tag_new, name="tag-new"),
    path("settings/tags/<int:tag_id>/delete/", setup.tag_delete, name="tag-delete"),
    path("settings/targets/", setup.targets, name="targets"),
    path("settings/reply-approval/", setup.reply_approval, name="reply-approval"),
    # Rules (views/rules.py)
    path("rules/", rules.rule_list, name="rules"),
    path("rules/new/", rules.rule_edit, name="rule-new"),
    path("rules/try/", rules.rule_try, name="rule-try"),
    path("rules/<int:rule_id>/", rules.rule_edit, name="rule-edit"),
    path("rules/<int:rule_id>/delete/", rules.rule_delete, name="rule-delete"),
    # Saved views and the column view (views/columns.py); the response-time report (views/report.py)
    path("views/", columns.view_list, name="views"),
    path("views/new/", columns.view_new, name="view-new"),
    path("views/<int:view_id>/delete/", columns.view_delete, name="view-delete"),
    path("columns/", columns.columns, name="columns"),
    path("report/", report.report, name="report"),
]
