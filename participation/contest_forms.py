"""Forms of the contest pages: the contest itself, the entry list's filters, a manual exclusion and
marking a winner. (Kept apart from forms.py, the inbox's.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from participation.models import Contest, ContestEntry, ContestWinner
from participation.services import contests
from publishing.models import Target
from smm.accounts.models import Workspace
from smm.lib.tz import utc_to_wall, wall_to_utc

WALL_FORMAT = "%Y-%m-%dT%H:%M"


class WallDateTimeField(forms.DateTimeField):
    """A date and time as written (no zone): the form turns it into an instant in the contest's zone."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=WALL_FORMAT)

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        text = str(value).strip()
        try:
            return datetime.fromisoformat(text).replace(tzinfo=None)
        except ValueError:
            pass
        for format in self.input_formats or ():
            try:
                return self.strptime(text, format)
            except (ValueError, TypeError):
                continue
        raise ValidationError(self.error_messages["invalid"], code="invalid")


class TargetChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return contests.target_label(cast(Target, obj))


class ContestForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    prize = forms.CharField(label=_("Prize"), max_length=300)
    targets = TargetChoiceField(
        label=_("Posts to enter on"),
        queryset=Target.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Posts smm has published. Entries are the replies to them, or posts with the hashtag."),
    )
    mechanic = forms.ChoiceField(
        label=_("How to enter"), choices=Contest.Mechanic.choices, widget=forms.RadioSelect, initial="reply"
    )
    answers = forms.CharField(
        label=_("Accepted answers"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One a line. An answer counts when the reply has it as whole words, ignoring case and accents."),
    )
    hashtag = forms.CharField(
        label=_("Hashtag"),
        required=False,
        max_length=100,
        help_text=_(
            "Hashtag contests read the network's search: on Mastodon your server's hashtag timeline (the posts "
            "it knows of), on Bluesky the search. Each look finds the latest 100 posts, every five minutes. "
            "Networks without a search smm can use are not offered."
        ),
    )
    opens_at = WallDateTimeField(label=_("Entries open"))
    closes_at = WallDateTimeField(label=_("Entries close"))
    one_entry_per_person = forms.BooleanField(
        label=_("One entry per person"),
        required=False,
        initial=True,
        help_text=_("Only a person's first entry in the window counts (a second guess does not)."),
    )
    min_account_age_days = forms.IntegerField(
        label=_("Account at least this many days old"),
        required=False,
        min_value=1,
        max_value=3650,
        help_text=_("Counted to when entries open. Accounts whose network does not say their age are excluded too."),
    )
    exclude_staff = forms.BooleanField(label=_("Exclude our own accounts and staff"), required=False, initial=True)
    staff_handles = forms.CharField(
        label=_("Staff handles"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One a line, e.g. @maija@mastodon.social. Our connected accounts are always recognised."),
    )
    exclude_blocked = forms.BooleanField(label=_("Exclude people blocked in the inbox"), required=False, initial=True)
    required_keyword = forms.CharField(
        label=_("Required keyword"), required=False, max_length=100, help_text=_("Whole words, any case and accents.")
    )
    winners_count = forms.IntegerField(label=_("Number of winners"), min_value=1, max_value=100, initial=1)
    rules_text = forms.CharField(
        label=_("Rules"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Shown on the public rules page: who may enter, how and until when, the prize, how winners are "
            "drawn and told, who organises it. A contest cannot open without rules."
        ),
    )
    notify_by = forms.ChoiceField(
        label=_("Tell winners by"), choices=Contest.Notify.choices, widget=forms.RadioSelect, initial="reply"
    )
    winner_template = forms.CharField(
        label=_("Message to winners"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("{name}, {prize} and {contest} are filled in. The winner's handle is added to address them."),
    )

    def __init__(
        self, *args: Any, workspace: Workspace, account_ids: list[int], contest: Contest | None = None, **kwargs: Any
    ) -> None:
        self.workspace = workspace
        self.contest = contest
        self.zone = contest.timezone if contest else workspace.timezone
        if contest is not None and "initial" not in kwargs:
            initial: dict[str, Any] = {
                name: getattr(contest, name)
                for name in self.base_fields
                if name not in ("targets", "opens_at", "closes_at")
            }
            initial["targets"] = list(contest.targets.values_list("pk", flat=True))
            initial["opens_at"] = utc_to_wall(contest.opens_at, self.zone)
            initial["closes_at"] = utc_to_wall(contest.closes_at, self.zone)
            kwargs["initial"] = initial
        elif "initial" not in kwargs:
            kwargs["initial"] = {"winner_template": Contest._meta.get_field("winner_template").get_default()}
        super().__init__(*args, **kwargs)
        choices = contests.available_targets(workspace.pk, account_ids=account_ids)
        if contest is not None and contest.pk:
            choices = (choices | Target.objects.filter(pk__in=contest.targets.values("pk"))).distinct()
        cast(forms.ModelMultipleChoiceField, self.fields["targets"]).queryset = choices
        for name in ("opens_at", "closes_at"):
            self.fields[name].help_text = _("In the workspace's time zone, %(zone)s.") % {"zone": self.zone}
        if contest is not None and contest.state != Contest.State.DRAFT:
            for name in self.fields:
                if name not in contests.EDITABLE_WHEN_OPEN:
                    self.fields[name].disabled = True

    def clean_hashtag(self) -> str:
        return str(self.cleaned_data.get("hashtag") or "").strip().lstrip("#")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("opens_at", "closes_at"):
            value = data.get(name)
            if isinstance(value, datetime) and value.tzinfo is None:
                data[name] = wall_to_utc(value, self.zone)
        if data.get("opens_at") and data.get("closes_at") and data["closes_at"] <= data["opens_at"]:
            self.add_error("closes_at", _("The window must close after it opens."))
        return data

    def values(self) -> dict[str, Any]:
        """What the service saves (the targets go apart)."""
        values = {name: self.cleaned_data.get(name) for name in self.fields if name != "targets"}
        values["min_account_age_days"] = values.get("min_account_age_days") or None
        for name in ("answers", "hashtag", "staff_handles", "required_keyword"):
            values[name] = (values.get(name) or "").strip()
        values["timezone"] = self.zone
        return values

    def chosen_targets(self) -> list[Target]:
        return list(self.cleaned_data.get("targets") or [])

    def preview(self) -> Contest:
        """An unsaved contest with what the form holds, for the guardrails shown next to it."""
        contest = Contest(workspace=self.workspace, state=self.contest.state if self.contest else Contest.State.DRAFT)
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        for name in contests.FROZEN_FIELDS + contests.EDITABLE_WHEN_OPEN:
            if data.get(name) is not None:
                setattr(contest, name, data[name])
        return contest


class EntryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Entries"),
        required=False,
        choices=[("", _("All")), ("eligible", _("Eligible")), ("excluded", _("Excluded"))],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        required=False,
        choices=[("", _("Any reason")), *ContestEntry.Exclusion.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    q = forms.CharField(
        label=_("Handle or text"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control", "type": "search"}),
    )


class ExcludeForm(forms.Form):
    reason = forms.CharField(label=_("Why is it excluded?"), max_length=300)


class WinnerMarkForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(ContestWinner.Status.CLAIMED, _("Claimed")), (ContestWinner.Status.UNCLAIMED, _("Unclaimed"))]
    )
