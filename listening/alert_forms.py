"""The form of a listening alert rule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from listening.models import AlertRule, Topic
from listening.services.alerts import parse_keywords
from smm.accounts.models import User


class MemberChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name = getattr(obj, "full_name", "")
        return f"{name} <{obj.email}>" if name else str(obj.email)


def _check_webhook(url: str) -> str:
    from smm.lib.http import UnsafeURLError, check_url

    if not url:
        return url
    if not url.lower().startswith("https://") and not url.lower().startswith("http://"):
        raise forms.ValidationError(_("Enter an http or https address."))
    try:
        check_url(url)
    except UnsafeURLError as error:
        raise forms.ValidationError(str(error)) from error
    return url


class AlertRuleForm(forms.Form):
    topic = forms.ModelChoiceField(label=_("Topic"), queryset=Topic.objects.none())
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Alert when"), choices=AlertRule.Kind.choices)
    sensitivity = forms.FloatField(
        label=_("Sensitivity (standard deviations above the usual)"),
        min_value=1,
        max_value=10,
        initial=3,
        help_text=_("Lower alerts sooner; 3 is a good start. Spikes only."),
    )
    min_mentions = forms.IntegerField(
        label=_("At least this many mentions in 5 minutes"),
        min_value=1,
        max_value=100000,
        initial=10,
        help_text=_("So that a quiet topic does not alert on a couple of mentions. Spikes only."),
    )
    keywords = forms.CharField(
        label=_("Crisis words"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One a line or separated by commas; a word also finds words that begin with it."),
    )
    notify_members = MemberChoiceField(
        label=_("Notify these members in smm"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    send_email = forms.BooleanField(label=_("Also e-mail them"), required=False)
    slack_url = forms.URLField(label=_("Slack incoming webhook"), max_length=500, required=False, assume_scheme="https")
    teams_url = forms.URLField(
        label=_("Microsoft Teams incoming webhook"), max_length=500, required=False, assume_scheme="https"
    )
    discord_url = forms.URLField(label=_("Discord webhook"), max_length=500, required=False, assume_scheme="https")
    webhook_secret = forms.CharField(
        label=_("Signing secret"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Leave empty to keep the current one. When set, each webhook request carries X-Smm-Timestamp "
            "and X-Smm-Signature (sha256= HMAC-SHA256 of the timestamp, a dot and the body)."
        ),
    )
    clear_secret = forms.BooleanField(label=_("Remove the signing secret"), required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, topics: QuerySet[Topic], members: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = topics  # type: ignore[attr-defined]
        self.fields["notify_members"].queryset = members  # type: ignore[attr-defined]

    def clean_slack_url(self) -> str:
        return _check_webhook(self.cleaned_data["slack_url"])

    def clean_teams_url(self) -> str:
        return _check_webhook(self.cleaned_data["teams_url"])

    def clean_discord_url(self) -> str:
        return _check_webhook(self.cleaned_data["discord_url"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == AlertRule.Kind.KEYWORD and not parse_keywords(data.get("keywords", "")):
            self.add_error("keywords", _("Enter at least one crisis word."))
        return data
