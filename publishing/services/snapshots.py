"""What a post says and where and when it goes: a snapshot for approvals, its hash, and a readable diff.

An approval covers one snapshot. Anything in it changing (text, per-network texts, media and their
alt text, accounts, times, campaign, content warning, language) gives a different hash, which
voids the approval; the diff shows reviewers what changed.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from typing import Any

from django.utils.translation import gettext as _

from publishing.models import Post, Target

SNAPSHOT_VERSION = 1
# Targets that are no longer part of what goes out do not count.
_IGNORED = (Target.Status.CANCELLED,)


def post_snapshot(post: Post) -> dict[str, Any]:
    targets = [
        target
        for target in post.targets.select_related("account").order_by("account_id")
        if target.status not in _IGNORED
    ]
    return {
        "v": SNAPSHOT_VERSION,
        "text": post.text,
        "network_texts": {key: post.network_texts[key] for key in sorted(post.network_texts)},
        "content_warning": post.content_warning,
        "language": post.language,
        "campaign": post.campaign.name if post.campaign_id and post.campaign else "",
        "media": [
            {"id": item.asset_id, "name": item.asset.original_name, "alt": item.asset.alt_text}
            for item in post.post_media.select_related("asset").order_by("position")
        ],
        "targets": [
            {
                "account": target.account_id,
                "label": str(target.account),
                # To the minute, as people choose times; None for a draft.
                "at": target.scheduled_at.replace(second=0, microsecond=0).isoformat() if target.scheduled_at else None,
            }
            for target in targets
        ],
    }


def snapshot_hash(snapshot: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(snapshot, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def post_content_hash(post: Post) -> str:
    return snapshot_hash(post_snapshot(post))


def _words(before: str, after: str) -> list[list[str]]:
    """A word-level diff as [["equal"|"delete"|"insert", text], ...] for <del>/<ins> rendering."""
    old, new = before.split(" "), after.split(" ")
    ops: list[list[str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            ops.append(["equal", " ".join(old[i1:i2])])
        if tag in ("delete", "replace"):
            ops.append(["delete", " ".join(old[i1:i2])])
        if tag in ("insert", "replace"):
            ops.append(["insert", " ".join(new[j1:j2])])
    return ops


def snapshot_diff(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """What changed between two snapshots, in words a reviewer reads: [{"field", "before", "after", "words"}]."""
    changes: list[dict[str, Any]] = []

    def add(field: str, old: Any, new: Any, *, words: bool = False) -> None:
        if old != new:
            change: dict[str, Any] = {"field": field, "before": old or "–", "after": new or "–"}
            if words:
                change["words"] = _words(str(old or ""), str(new or ""))
            changes.append(change)

    add(_("Text"), before.get("text", ""), after.get("text", ""), words=True)
    networks = sorted(set(before.get("network_texts", {})) | set(after.get("network_texts", {})))
    for network in networks:
        add(
            _("Text for %(network)s") % {"network": network.capitalize()},
            before.get("network_texts", {}).get(network, ""),
            after.get("network_texts", {}).get(network, ""),
            words=True,
        )
    add(_("Content warning"), before.get("content_warning", ""), after.get("content_warning", ""))
    add(_("Language"), before.get("language", ""), after.get("language", ""))
    add(_("Campaign"), before.get("campaign", ""), after.get("campaign", ""))

    def media_label(items: list[dict[str, Any]]) -> str:
        return ", ".join(f"{item['name']} ({item['alt'] or _('no alt text')})" for item in items)

    add(_("Pictures and video"), media_label(before.get("media", [])), media_label(after.get("media", [])))
    old_targets = {item["account"]: item for item in before.get("targets", [])}
    new_targets = {item["account"]: item for item in after.get("targets", [])}
    add(
        _("Accounts"),
        ", ".join(item["label"] for item in old_targets.values()),
        ", ".join(item["label"] for item in new_targets.values()),
    )
    for account_id in sorted(set(old_targets) & set(new_targets)):
        add(
            _("Time on %(account)s") % {"account": new_targets[account_id]["label"]},
            old_targets[account_id]["at"],
            new_targets[account_id]["at"],
        )
    return changes
