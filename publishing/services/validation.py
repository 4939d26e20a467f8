"""What each network would refuse or change in a post, checked while writing and before scheduling.

Everything a network would refuse is an error here, so it is refused when the team schedules,
not at publish time. Warnings are things that will go out changed (a picture made smaller,
subtitles left behind) or are worth a second look.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from publishing.models import Campaign, MediaAsset, PublishingSettings
from publishing.services import links
from smm.networks.base import Capability, Limits
from smm.networks.models import ConnectedAccount
from smm.networks.registry import NETWORKS, adapter_class

Level = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Issue:
    level: Level
    message: str


@dataclass
class TargetCheck:
    """The verdict for one account: the text as it will go out, its length, and the issues."""

    account: ConnectedAccount
    text: str
    length: int
    max_length: int
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.level == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.level != "error"]

    @property
    def remaining(self) -> int:
        return self.max_length - self.length

    def add(self, level: Level, message: str) -> None:
        self.issues.append(Issue(level, message))


def account_limits(account: ConnectedAccount) -> Limits | None:
    """The limits stored when the account was connected (no network call), or the network's defaults."""
    if account.network not in NETWORKS:
        return None
    stored = account.config.get("limits")
    if isinstance(stored, dict) and stored.get("max_characters"):
        return Limits.from_dict(stored)
    return adapter_class(account.network).default_limits()


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"


def check_target(
    *,
    account: ConnectedAccount,
    text: str,
    media: Sequence[MediaAsset],
    content_warning: str = "",
    campaign: Campaign | None = None,
    policy: PublishingSettings | None = None,
) -> TargetCheck:
    network = account.network
    final_text = links.prepare_text(text, campaign=campaign, network=network)
    limits = account_limits(account)
    if limits is None:
        check = TargetCheck(account=account, text=final_text, length=len(final_text), max_length=0)
        check.add("error", _("smm cannot publish to %(network)s yet.") % {"network": account.get_network_display()})
        return check
    capabilities = adapter_class(network).capabilities
    check = TargetCheck(
        account=account, text=final_text, length=limits.count(final_text), max_length=limits.max_characters
    )
    label = account.get_network_display()

    if not account.is_connected:
        check.add("error", _("The account is disconnected. Connect it again before publishing to it."))
    elif account.needs_reconnect:
        check.add("warning", _("The account needs to be reconnected before this can go out."))

    if not final_text.strip() and not media:
        check.add("error", _("Write something or add a picture or video."))
    if check.length > limits.max_characters:
        over = check.length - limits.max_characters
        check.add(
            "error",
            ngettext(
                "%(count)s character too long for %(network)s (%(limit)s at most).",
                "%(count)s characters too long for %(network)s (%(limit)s at most).",
                over,
            )
            % {"count": over, "network": label, "limit": limits.max_characters},
        )
    if limits.counting == "graphemes" and len(final_text.encode()) > 3000:
        check.add("error", _("Too many emoji or special characters for %(network)s.") % {"network": label})
    if content_warning and Capability.CONTENT_WARNING not in capabilities:
        check.add(
            "error",
            _("%(network)s has no content warnings. Remove the warning or leave this account out.")
            % {"network": label},
        )
    if campaign is not None and links.find_urls(text):
        if campaign.shorten_links:
            check.add("info", _("Links will be shortened and their clicks counted."))
        elif campaign.utm_campaign:
            check.add("info", _("UTM parameters will be added to links."))

    _check_media(check, limits=limits, media=media, capabilities=capabilities, label=label, policy=policy)
    return check


def _check_media(
    check: TargetCheck,
    *,
    limits: Limits,
    media: Sequence[MediaAsset],
    capabilities: Iterable[Capability],
    label: str,
    policy: PublishingSettings | None,
) -> None:
    images = [asset for asset in media if asset.kind == MediaAsset.Kind.IMAGE]
    videos = [asset for asset in media if asset.kind == MediaAsset.Kind.VIDEO]
    capabilities = set(capabilities)
    if images and Capability.PUBLISH_IMAGES not in capabilities:
        check.add("error", _("%(network)s does not take pictures from smm.") % {"network": label})
    if videos and (Capability.PUBLISH_VIDEO not in capabilities or limits.max_videos == 0):
        check.add("error", _("smm cannot publish video to %(network)s.") % {"network": label})
    if images and videos:
        check.add("error", _("%(network)s does not take pictures and a video in the same post.") % {"network": label})
    if len(images) > limits.max_images:
        check.add(
            "error",
            _("%(network)s takes at most %(limit)s pictures in a post.")
            % {"network": label, "limit": limits.max_images},
        )
    if videos and len(videos) > max(limits.max_videos, 1):
        check.add(
            "error",
            _("%(network)s takes at most %(limit)s video in a post.") % {"network": label, "limit": limits.max_videos},
        )
    for asset in images:
        name = asset.original_name
        if asset.mime_type not in limits.image_mime_types:
            check.add("error", _("%(network)s does not take %(name)s (its format).") % {"network": label, "name": name})
        if limits.image_max_bytes and asset.size_bytes > limits.image_max_bytes:
            values = {"name": name, "size": filesizeformat(limits.image_max_bytes), "network": label}
            if limits.resizes_images:
                check.add("warning", _("%(name)s will be made smaller to fit %(network)s's %(size)s limit.") % values)
            else:
                check.add("error", _("%(name)s is larger than %(network)s's %(size)s limit.") % values)
        _check_alt_text(check, asset=asset, limits=limits, label=label, policy=policy)
    for asset in videos:
        name = asset.original_name
        if limits.video_mime_types and asset.mime_type not in limits.video_mime_types:
            check.add("error", _("%(network)s does not take %(name)s (its format).") % {"network": label, "name": name})
        if limits.video_max_bytes and asset.size_bytes > limits.video_max_bytes:
            check.add(
                "error",
                _("%(name)s is larger than %(network)s's %(size)s limit.")
                % {"name": name, "size": filesizeformat(limits.video_max_bytes), "network": label},
            )
        if limits.video_max_seconds and asset.duration_seconds and asset.duration_seconds > limits.video_max_seconds:
            check.add(
                "error",
                _("%(name)s is %(length)s long; %(network)s takes at most %(limit)s.")
                % {
                    "name": name,
                    "length": _duration(asset.duration_seconds),
                    "network": label,
                    "limit": _duration(limits.video_max_seconds),
                },
            )
        if asset.subtitles.exists():
            check.add(
                "warning",
                _(
                    "%(network)s cannot attach subtitle files: burn the subtitles into the video, "
                    "since feeds play video muted."
                )
                % {"network": label},
            )
        elif not asset.alt_text:
            check.add("info", _("Feeds play video muted: consider subtitles."))
        _check_alt_text(check, asset=asset, limits=limits, label=label, policy=policy)


def _check_alt_text(
    check: TargetCheck, *, asset: MediaAsset, limits: Limits, label: str, policy: PublishingSettings | None
) -> None:
    if not asset.alt_text.strip():
        if policy is not None and policy.require_alt_text:
            check.add(
                "error",
                _("%(name)s has no description (alt text); this workspace requires one.")
                % {"name": asset.original_name},
            )
        else:
            check.add(
                "warning",
                _("%(name)s has no description (alt text) for people who cannot see it.")
                % {"name": asset.original_name},
            )
    elif limits.alt_text_max_characters and limits.count(asset.alt_text) > limits.alt_text_max_characters:
        check.add(
            "error",
            _("The description of %(name)s is longer than %(network)s's %(limit)s characters.")
            % {"name": asset.original_name, "network": label, "limit": limits.alt_text_max_characters},
        )
