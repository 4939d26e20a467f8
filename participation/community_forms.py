"""Forms of the community pages: the member list's filters, notes, labels, segments, merges,
erasure, reward programmes, rules, awards and redemptions."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from participation.models import (
    Contact,
    ContactIdentity,
    InboxTag,
    RewardProgramme,
    RewardRule,
    Segment,
)

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


class MemberFilterForm(forms.Form):
    SORTS = [("score", _("Participation score")), ("seen", _("Last seen")), ("name", _("Name"))]

    q = forms.CharField(label=_("Name or handle"), required=False, max_length=200)
    segment = forms.ModelChoiceField(label=_("Segment"), queryset=Segment.objects.none(), required=False)
    tag = forms.ModelChoiceField(label=_("Tag"), queryset=InboxTag.objects.none(), required=False)
    network = forms.ChoiceField(label=_("Network"), required=False)
    min_score = forms.FloatField(label=_("Score at least"), required=False, min_value=0, max_value=1_000_000)
    sort = forms.ChoiceField(label=_("Sort by"), choices=SORTS, required=False)

    def __init__(self, *args: Any, workspace_id: int, networks: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["segment"]).queryset = Segment.objects.filter(
            workspace_id=workspace_id
        )
        cast(forms.ModelChoiceField, self.fields["tag"]).queryset = InboxTag.objects.filter(workspace_id=workspace_id)
        cast(forms.ChoiceField, self.fields["network"]).choices = [("", _("All networks")), *networks]
        cast(forms.ModelChoiceField, self.fields["segment"]).empty_label = _("All segments")
        cast(forms.ModelChoiceField, self.fields["tag"]).empty_label = _("All tags")
        for field in self.fields.values():
            if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
                field.widget.attrs["class"] = "form-select form-select-sm"
            else:
                field.widget.attrs["class"] = "form-control form-control-sm"


class ContactNoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class LabelsForm(forms.Form):
    tags = forms.ModelMultipleChoiceField(
        label=_("Tags"), queryset=InboxTag.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    segments = forms.ModelMultipleChoiceField(
        label=_("Segments"), queryset=Segment.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, workspace_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["tags"]).queryset = InboxTag.objects.filter(
            workspace_id=workspace_id
        )
        cast(forms.ModelMultipleChoiceField, self.fields["segments"]).queryset = Segment.objects.filter(
            workspace_id=workspace_id
        )


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Segment"), max_length=60)
    color = forms.CharField(
        label=_("Colour"),
        max_length=7,
        initial="#0d6efd",
        widget=forms.TextInput(attrs={"type": "color", "class": "form-control-color"}),
    )

    def clean_color(self) -> str:
        color = str(self.cleaned_data["color"])
        if not _COLOR.match(color):
            raise forms.ValidationError(_("Choose a colour."))
        return color


class MergeSearchForm(forms.Form):
    q = forms.CharField(label=_("Find the other member by name or handle"), max_length=200, required=False)


class MergeForm(forms.Form):
    """Merge `other` into the member (or the member into `other`, as `keep` says)."""

    other = forms.ModelChoiceField(queryset=Contact.objects.none(), widget=forms.HiddenInput)
    keep = forms.ChoiceField(choices=[("this", "this"), ("other", "other")], initial="this", required=False)

    def __init__(self, *args: Any, contact: Contact, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["other"]).queryset = Contact.objects.filter(
            workspace_id=contact.workspace_id
        ).exclude(pk=contact.pk)
        self.fields["other"].error_messages["invalid_choice"] = _("Choose another member of this workspace.")


class PairForm(forms.Form):
    """A suggested pair on the merges page: merge `second` into `first`, or dismiss them."""

    first = forms.ModelChoiceField(queryset=Contact.objects.none(), widget=forms.HiddenInput)
    second = forms.ModelChoiceField(queryset=Contact.objects.none(), widget=forms.HiddenInput)

    def __init__(self, *args: Any, workspace_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("first", "second"):
            cast(forms.ModelChoiceField, self.fields[name]).queryset = Contact.objects.filter(workspace_id=workspace_id)
            self.fields[name].error_messages["invalid_choice"] = _(
                "One of the members no longer exists; reload the page."
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("first") and cleaned.get("first") == cleaned.get("second"):
            raise forms.ValidationError(_("Choose two different members."))
        return cleaned


class EraseForm(forms.Form):
    """Erasure cannot be undone: the member's name must be typed to confirm it."""

    name = forms.CharField(label=_("Type the member's name to confirm"), max_length=200)

    def __init__(self, *args: Any, contact: Contact, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.contact = contact

    def clean_name(self) -> str:
        name = " ".join(str(self.cleaned_data["name"]).split())
        if name.casefold() != " ".join(str(self.contact).split()).casefold():
            raise forms.ValidationError(_("That is not the member's name. Nothing was erased."))
        return name


class SplitForm(forms.Form):
    identity = forms.ModelChoiceField(queryset=ContactIdentity.objects.none())

    def __init__(self, *args: Any, contact: Contact, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["identity"]).queryset = contact.identities.all()


# Rewards -----------------------------------------------------------------------------------------
class ProgrammeForm(forms.ModelForm):
    class Meta:
        model = RewardProgramme
        fields = ["name", "description", "active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class RuleForm(forms.ModelForm):
    class Meta:
        model = RewardRule
        fields = ["action", "points", "badge", "active"]
        help_texts = {
            "badge": _("Optional: a badge the action earns, such as “Helper”."),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("points") and not (cleaned.get("badge") or "").strip():
            raise forms.ValidationError(_("A rule gives points, a badge, or both."))
        return cleaned


class AwardForm(forms.Form):
    """Award a member by hand with one of the active rules (each award is its own ledger entry)."""

    rule = forms.ModelChoiceField(label=_("Rule"), queryset=RewardRule.objects.none())
    note = forms.CharField(label=_("Why"), max_length=300)

    def __init__(self, *args: Any, workspace_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rules = RewardRule.objects.filter(
            programme__workspace_id=workspace_id, programme__active=True, active=True
        ).select_related("programme")
        field = cast(forms.ModelChoiceField, self.fields["rule"])
        field.queryset = rules
        field.label_from_instance = _rule_label  # type: ignore[method-assign,assignment]


def _rule_label(rule: RewardRule) -> str:
    gives = [f"+{rule.points}"] if rule.points else []
    gives += [rule.badge] if rule.badge else []
    return f"{rule.programme.name}: {rule.get_action_display()} ({', '.join(gives)})"


class RedeemForm(forms.Form):
    programme = forms.ModelChoiceField(label=_("Programme"), queryset=RewardProgramme.objects.none())
    points = forms.IntegerField(label=_("Points"), min_value=1, max_value=1_000_000)
    note = forms.CharField(label=_("For what"), max_length=300)

    def __init__(self, *args: Any, workspace_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["programme"]).queryset = RewardProgramme.objects.filter(
            workspace_id=workspace_id
        )


class ReverseForm(forms.Form):
    note = forms.CharField(label=_("Why"), max_length=300)


class LeaderboardForm(forms.Form):
    PERIODS = {"30": timedelta(days=30), "90": timedelta(days=90), "365": timedelta(days=365)}

    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        choices=[
            ("", _("All time")),
            ("30", _("Last 30 days")),
            ("90", _("Last 90 days")),
            ("365", _("Last 12 months")),
        ],
    )

    def since_delta(self) -> timedelta | None:
        if not self.is_valid() or not self.cleaned_data.get("period"):
            return None
        return self.PERIODS[self.cleaned_data["period"]]
