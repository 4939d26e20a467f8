"""Forms of the inbox settings pages: saved replies, tags, targets, reply approval, rules, saved views
and the report period. (Kept apart from forms.py, which holds the forms of working the inbox.)"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participation.forms import InboxFilterForm
from participation.models import Conversation, InboxItem, InboxRule, InboxTag, ResponseTargets, SavedReply, Sentiment
from smm.accounts.models import Membership
from smm.networks.models import ConnectedAccount
from smm.networks.registry import enabled_networks

# Languages offered as checkboxes; other ISO 639-1 codes go in a text field.
COMMON_LANGUAGES = [("fi", _("Finnish")), ("en", _("English")), ("sv", _("Swedish"))]
_LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_LINES = 200
MAX_LINE = 200
# The list page's filter names, the only ones a saved view keeps.
FILTER_NAMES = tuple(InboxFilterForm.base_fields)


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the field it names, or above the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _lines(value: str) -> list[str]:
    """One entry per line: trimmed, without empties and repeats (in the order given)."""
    lines: list[str] = []
    seen: set[str] = set()
    for line in value.splitlines():
        line = " ".join(line.split())
        if line and line.casefold() not in seen:
            seen.add(line.casefold())
            lines.append(line)
    return lines


def _member_choices(workspace_id: int) -> list[tuple[str, str]]:
    members = Membership.objects.filter(workspace_id=workspace_id).select_related("user")
    return sorted(
        ((str(member.user_id), member.user.display_name) for member in members), key=lambda c: c[1].casefold()
    )


# Saved replies, tags, targets, reply approval ----------------------------------------------------
class SavedReplyForm(forms.ModelForm):
    class Meta:
        model = SavedReply
        fields = ["title", "body", "is_warning"]
        # The placeholders are explained next to the field (templates/participation/_placeholders.html).
        widgets = {"body": forms.Textarea(attrs={"rows": 5, "aria-describedby": "id_body_helptext placeholder-help"})}


class TagForm(forms.Form):
    name = forms.CharField(label=_("Tag"), max_length=60)
    color = forms.CharField(
        label=_("Colour"),
        max_length=7,
        initial="#6c757d",
        widget=forms.TextInput(attrs={"type": "color", "class": "form-control-color"}),
    )

    def clean_color(self) -> str:
        color = str(self.cleaned_data["color"])
        if not _COLOR.match(color):
            raise forms.ValidationError(_("Choose a colour."))
        return color.lower()


class TargetsForm(forms.ModelForm):
    MAX_MINUTES = 525600  # a year

    first_response_minutes = forms.IntegerField(
        label=ResponseTargets._meta.get_field("first_response_minutes").verbose_name,
        min_value=1,
        max_value=MAX_MINUTES,
        help_text=_("From the first message to our first reply."),
    )
    resolution_minutes = forms.IntegerField(
        label=ResponseTargets._meta.get_field("resolution_minutes").verbose_name,
        min_value=1,
        max_value=MAX_MINUTES,
        help_text=_("From the first message until the conversation is closed."),
    )

    class Meta:
        model = ResponseTargets
        fields = ["first_response_minutes", "resolution_minutes"]


class MembershipChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.user.display_name} ({obj.get_role_display()})"


class ReplyApprovalForm(forms.Form):
    members = MembershipChoice(
        label=_("Members whose replies need approval"),
        queryset=Membership.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Their replies wait until an editor, admin or owner who may publish to the account approves them. "
            "Contributors' replies always need approval."
        ),
    )

    def __init__(self, *args: Any, workspace_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["members"]).queryset = (
            Membership.objects.filter(workspace_id=workspace_id)
            .exclude(role=Membership.Role.VIEWER)
            .select_related("user")
            .order_by("user__full_name", "user__email")
        )


# Rules -------------------------------------------------------------------------------------------
class RuleForm(forms.Form):
    """An inbox rule's conditions and actions as fields; conditions() and actions() give the JSON."""

    name = forms.CharField(label=_("Name"), max_length=100)
    enabled = forms.BooleanField(
        label=_("Switched on"),
        required=False,
        help_text=_("Try the rule on recent items first; it acts only on items that arrive after it is on."),
    )
    position = forms.IntegerField(
        label=_("Position"),
        min_value=0,
        max_value=32767,
        initial=0,
        help_text=_("Rules run from the smallest number up; every matching rule acts."),
    )
    # Conditions
    words = forms.CharField(
        label=_("Words or phrases"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line; any of them matches. Whole words, any case, inflected forms too."),
    )
    authors = forms.CharField(
        label=_("Authors"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Handles, one per line, for example @anna@mastodon.social or anna.bsky.social."),
    )
    accounts = forms.MultipleChoiceField(label=_("Our accounts"), required=False, widget=forms.CheckboxSelectMultiple)
    networks = forms.MultipleChoiceField(label=_("Networks"), required=False, widget=forms.CheckboxSelectMultiple)
    kinds = forms.MultipleChoiceField(label=_("Types"), required=False, widget=forms.CheckboxSelectMultiple)
    sentiments = forms.MultipleChoiceField(
        label=_("Sentiments"), required=False, widget=forms.CheckboxSelectMultiple, choices=Sentiment.choices
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"), required=False, widget=forms.CheckboxSelectMultiple, choices=COMMON_LANGUAGES
    )
    other_languages = forms.CharField(
        label=_("Other languages"),
        required=False,
        max_length=200,
        help_text=_("Two-letter codes separated by commas or spaces, for example de, et, ru."),
    )
    # Actions
    tag = forms.ModelChoiceField(
        label=_("Add the tag"), queryset=InboxTag.objects.none(), required=False, empty_label=_("No tag")
    )
    assign = forms.ChoiceField(label=_("Assign to"), required=False)
    priority = forms.ChoiceField(label=_("Set the priority"), required=False)
    spam = forms.BooleanField(label=_("Mark as spam"), required=False)
    hide = forms.BooleanField(
        label=_("Hide the reply on the network"),
        required=False,
        # The page says next to it which connected networks can (rule_form.html, #hide-support).
        widget=forms.CheckboxInput(attrs={"aria-describedby": "hide-support"}),
    )
    notify = forms.MultipleChoiceField(label=_("Notify"), required=False, widget=forms.CheckboxSelectMultiple)
    reply = forms.ModelChoiceField(
        label=_("Auto-reply with"),
        queryset=SavedReply.objects.none(),
        required=False,
        empty_label=_("No auto-reply"),
        help_text=_("At most once per author per day, from the account that received the message."),
    )

    def __init__(
        self,
        *args: Any,
        workspace_id: int,
        accounts: list[ConnectedAccount],
        rule: InboxRule | None = None,
        **kwargs: Any,
    ) -> None:
        if rule is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(rule)
        super().__init__(*args, **kwargs)
        visible = {account.pk for account in accounts}
        # Accounts the member cannot see stay in the rule as they are: the member can neither see nor drop them.
        self.kept_accounts = [
            account_id
            for account_id in ((rule.conditions or {}).get("accounts") or [] if rule else [])
            if account_id not in visible
        ]
        members = _member_choices(workspace_id)
        cast(forms.ChoiceField, self.fields["accounts"]).choices = [
            (str(account.pk), str(account)) for account in accounts
        ]
        # The networks smm can connect (and any the rule names already, should one have been switched off).
        offered = {*enabled_networks(), *((rule.conditions or {}).get("networks") or [] if rule else [])}
        cast(forms.ChoiceField, self.fields["networks"]).choices = [
            choice for choice in ConnectedAccount.Network.choices if choice[0] in offered
        ]
        cast(forms.ChoiceField, self.fields["kinds"]).choices = [
            choice for choice in InboxItem.Kind.choices if choice[0] != InboxItem.Kind.OURS
        ]
        cast(forms.ChoiceField, self.fields["assign"]).choices = [("", _("Nobody")), *members]
        cast(forms.ChoiceField, self.fields["priority"]).choices = [
            ("", _("Leave as it is")),
            *((str(value), label) for value, label in Conversation.Priority.choices),
        ]
        cast(forms.ChoiceField, self.fields["notify"]).choices = members
        cast(forms.ModelChoiceField, self.fields["tag"]).queryset = InboxTag.objects.filter(workspace_id=workspace_id)
        cast(forms.ModelChoiceField, self.fields["reply"]).queryset = SavedReply.objects.filter(
            workspace_id=workspace_id
        )

    @staticmethod
    def initial_for(rule: InboxRule) -> dict[str, Any]:
        conditions: dict[str, Any] = rule.conditions or {}
        actions: dict[str, Any] = rule.actions or {}
        common = {code for code, _label in COMMON_LANGUAGES}
        languages = conditions.get("languages") or []
        return {
            "name": rule.name,
            "enabled": rule.enabled,
            "position": rule.position,
            "words": "\n".join(conditions.get("words") or []),
            "authors": "\n".join(conditions.get("authors") or []),
            "accounts": [str(value) for value in conditions.get("accounts") or []],
            "networks": conditions.get("networks") or [],
            "kinds": conditions.get("kinds") or [],
            "sentiments": conditions.get("sentiments") or [],
            "languages": [code for code in languages if code in common],
            "other_languages": ", ".join(code for code in languages if code not in common),
            "tag": actions.get("tag"),
            "assign": str(actions["assign"]) if actions.get("assign") else "",
            "priority": str(actions["priority"]) if actions.get("priority") is not None else "",
            "spam": bool(actions.get("spam")),
            "hide": bool(actions.get("hide")),
            "notify": [str(value) for value in actions.get("notify") or []],
            "reply": actions.get("reply"),
        }

    def _limited_lines(self, name: str) -> list[str]:
        lines = _lines(self.cleaned_data[name])
        if len(lines) > MAX_LINES:
            raise forms.ValidationError(_("At most %(count)s lines.") % {"count": MAX_LINES})
        if any(len(line) > MAX_LINE for line in lines):
            raise forms.ValidationError(_("Each line can be at most %(count)s characters.") % {"count": MAX_LINE})
        return lines

    def clean_words(self) -> list[str]:
        return self._limited_lines("words")

    def clean_authors(self) -> list[str]:
        return self._limited_lines("authors")

    def clean_other_languages(self) -> list[str]:
        codes = [code.lower() for code in re.split(r"[\s,;]+", self.cleaned_data["other_languages"]) if code]
        wrong = [code for code in codes if not _LANGUAGE_CODE.match(code)]
        if wrong:
            raise forms.ValidationError(
                _("Use two-letter language codes (not %(codes)s).") % {"codes": ", ".join(wrong)}
            )
        return codes

    def conditions(self) -> dict[str, Any]:
        """The conditions as InboxRule.conditions stores them (only the ones given)."""
        data = self.cleaned_data
        languages = list(dict.fromkeys([*data["languages"], *data["other_languages"]]))
        values: dict[str, Any] = {
            "words": data["words"],
            "authors": data["authors"],
            "accounts": [int(value) for value in data["accounts"]] + self.kept_accounts,
            "networks": data["networks"],
            "kinds": data["kinds"],
            "sentiments": data["sentiments"],
            "languages": languages,
        }
        return {key: value for key, value in values.items() if value}

    def actions(self) -> dict[str, Any]:
        """The actions as InboxRule.actions stores them (only the ones chosen)."""
        data = self.cleaned_data
        values: dict[str, Any] = {
            "tag": data["tag"].pk if data["tag"] else None,
            "assign": int(data["assign"]) if data["assign"] else None,
            "priority": int(data["priority"]) if data["priority"] != "" else None,
            "spam": data["spam"],
            "hide": data["hide"],
            "notify": [int(value) for value in data["notify"]],
            "reply": data["reply"].pk if data["reply"] else None,
        }
        return {key: value for key, value in values.items() if value not in (None, False, [])}


# Saved views and the report ----------------------------------------------------------------------
class InboxViewForm(forms.Form):
    name = forms.CharField(label=_("Name of the view"), max_length=60)
    query = forms.CharField(label=_("Filter"), max_length=1000, required=False, widget=forms.HiddenInput)
    shared = forms.BooleanField(
        label=_("Share with the team"), required=False, help_text=_("Otherwise only you see this view.")
    )

    def __init__(self, *args: Any, membership: Membership, account_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.membership = membership
        self.account_ids = account_ids
        if not membership.can_publish:
            del self.fields["shared"]

    def clean_query(self) -> str:
        """The list page's query string with only its filters, without empty ones or the page number."""
        raw = QueryDict(str(self.cleaned_data["query"]).lstrip("?"))
        kept = QueryDict(mutable=True)
        for name in FILTER_NAMES:
            for value in raw.getlist(name):
                if value.strip():
                    kept.appendlist(name, value.strip())
        filters = InboxFilterForm(kept, membership=self.membership, account_ids=self.account_ids)
        if not filters.is_valid():
            raise forms.ValidationError(_("This filter cannot be saved: change it on the inbox page and try again."))
        return kept.urlencode()


class ReportPeriodForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    MAX_DAYS = 366
    DEFAULT_DAYS = 28

    @classmethod
    def default_period(cls) -> tuple[date, date]:
        """The last four weeks, today included, in the user's time zone."""
        today = timezone.localdate()
        return today - timedelta(days=cls.DEFAULT_DAYS - 1), today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The start comes after the end."))
            if (end - start).days >= self.MAX_DAYS:
                raise forms.ValidationError(_("Choose at most a year."))
        return data
