"""Collaboration services, one topic module each:

notifications.py  in-app notifications and their e-mails (at once or in a daily digest)
approvals.py      approval workflows, requests, decisions, review links, reminders and expiry
conversation.py   comments with @mentions, the post timeline, tasks
rules.py          guidelines, banned and warned words (Snowball stems, Finnish and English)
strategy.py       the strategy page: its text sections, objectives, audiences, each channel's purpose
sharing.py        share-ready posts for staff and their shares
newsroom.py       the social newsroom page and its weekly e-mail
"""

from collaboration.services.notifications import (
    NotificationMessage,
    is_local_url,
    notification_email_send,
    notification_mark_read,
    notification_send,
    workspace_admins,
)

__all__ = [
    "NotificationMessage",
    "is_local_url",
    "notification_email_send",
    "notification_mark_read",
    "notification_send",
    "workspace_admins",
]
