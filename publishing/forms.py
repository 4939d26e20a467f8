"""Forms of the publishing pages: composer, settings, queues, campaigns, labels, blackouts."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from publishing.models import (
    AccountPlan,
    Campaign,
    Label,
    MediaAsset,
    PublishingSettings,
    Weekday,
)
from publishing.services.posts import PostInput, When
from smm.accounts.models import AccountLevel, Membership
from smm.accounts.selectors import account_access_for_member
from smm.lib.tz import timezone_choices, wall_to_utc
from smm.networks.models import ConnectedAccount
from smm.networks.registry import enabled_networks, is_enabled

# Languages a post can be marked with (BCP 47); the networks use them for filtering and translation.
POST_LANGUAGES = [
    ("", _("Not set")),
    ("fi", _("Finnish")),
    ("sv", _("Swedish")),
    ("en", _("English")),
    ("de", _("German")),
    ("fr", _("French")),
    ("es", _("Spanish")),
    ("et", _("Estonian")),
    ("ru", _("Russian")),
]


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.user.display_name)


class AccountChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_network_display()} · {obj.display_name or obj.handle}"


def draftable_accounts(membership: Membership) -> list[ConnectedAccount]:
    """Connected accounts of enabled networks on which the member may at least draft."""
    return [
        access.account
        for access in account_access_for_member(membership)
        if access.effective >= AccountLevel.DRAFT and access.account.is_connected and is_enabled(access.account.network)
    ]


class ComposeForm(forms.Form):
    accounts = AccountChoiceField(
        label=_("Accounts"),
        queryset=ConnectedAccount.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one account.")},
    )
    text = forms.CharField(label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 6}))
    attachments = forms.ModelMultipleChoiceField(
        label=_("Pictures and video"),
        queryset=MediaAsset.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    content_warning = forms.CharField(
        label=_("Content warning"),
        max_length=200,
        required=False,
        help_text=_("Shown before the text on networks that support it (Mastodon)."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=POST_LANGUAGES, required=False)
    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=Campaign.objects.none(), required=False, empty_label=_("No campaign")
    )
    labels = forms.ModelMultipleChoiceField(
        label=_("Labels"), queryset=Label.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    when = forms.ChoiceField(
        label=_("When"),
        choices=[
            (When.DRAFT, _("Save as a draft")),
            (When.QUEUE, _("Add to the queue (next free time)")),
            (When.AT, _("Schedule for a time")),
            (When.NOW, _("Publish now")),
        ],
        initial=When.AT,
        widget=forms.RadioSelect,
    )
    date = forms.DateField(label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label=_("Time"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    confirmed = forms.BooleanField(label=_("Schedule anyway"), required=False)

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.membership = membership
        workspace_id = membership.workspace_id
        accounts = draftable_accounts(membership)
        account_field = cast(forms.ModelMultipleChoiceField, self.fields["accounts"])
        account_field.queryset = ConnectedAccount.objects.filter(pk__in=[a.pk for a in accounts])
        media_field = cast(forms.ModelMultipleChoiceField, self.fields["attachments"])
        media_field.queryset = MediaAsset.objects.for_workspace(workspace_id).attachable()
        campaign_field = cast(forms.ModelChoiceField, self.fields["campaign"])
        campaign_field.queryset = Campaign.objects.filter(workspace_id=workspace_id, archived=False)
        label_field = cast(forms.ModelMultipleChoiceField, self.fields["labels"])
        label_field.queryset = Label.objects.filter(workspace_id=workspace_id)
        self.networks = [name for name in enabled_networks() if any(a.network == name for a in accounts)]
        for network in self.networks:
            self.fields[f"text_{network}"] = forms.CharField(
                label=_("Text for %(network)s") % {"network": dict(ConnectedAccount.Network.choices)[network]},
                required=False,
                widget=forms.Textarea(attrs={"rows": 4}),
                help_text=_("Leave empty to use the main text."),
            )
        self.zone = timezone.get_current_timezone_name()
        for name in ("campaign", "language"):
            self.fields[name].widget.attrs["class"] = "form-select"
        for name in ("accounts", "labels"):
            self.fields[name].widget.attrs["class"] = "form-check-input"

    def network_fields(self) -> list[forms.BoundField]:
        return [self[f"text_{network}"] for network in self.networks]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("when") == When.AT:
            if not data.get("date"):
                self.add_error("date", _("Choose a date."))
            if not data.get("time"):
                self.add_error("time", _("Choose a time."))
        return data

    def post_input(self) -> PostInput:
        """What the form holds, valid fields only (the composer previews half-written posts too)."""
        data = getattr(self, "cleaned_data", {})
        # Keep the media in the order the boxes were ticked (the page lists the chosen ones first).
        chosen = {str(asset.pk): asset for asset in data.get("attachments") or []}
        order = (
            [key for key in self.data.getlist("attachments") if key in chosen] if hasattr(self.data, "getlist") else []
        )
        media = [chosen[key] for key in dict.fromkeys(order)] or list(chosen.values())
        return PostInput(
            text=data.get("text") or "",
            accounts=list(data.get("accounts") or []),
            network_texts={network: data.get(f"text_{network}") or "" for network in self.networks},
            media=media,
            content_warning=data.get("content_warning") or "",
            language=data.get("language") or "",
            campaign=data.get("campaign"),
            labels=list(data.get("labels") or []),
        )

    def at_local(self) -> datetime | None:
        date, clock = self.cleaned_data.get("date"), self.cleaned_data.get("time")
        if date is None or clock is None:
            return None
        return datetime.combine(date, clock)


class RescheduleForm(forms.Form):
    """A calendar drag: the post, the time it was at, and the new wall time in the viewer's zone."""

    post = forms.IntegerField()
    old_start = forms.DateTimeField()
    new_start = forms.DateTimeField()
    confirmed = forms.BooleanField(required=False)

    def wall_time(self, name: str) -> datetime:
        return _naive(self.cleaned_data[name])


class PublishingSettingsForm(forms.ModelForm):
    class Meta:
        model = PublishingSettings
        fields = ["late_grace_minutes", "require_alt_text", "duplicate_window_days"]


class PauseForm(forms.Form):
    reason = forms.CharField(label=_("Reason (shown to the team)"), max_length=300, required=False)


class QueueForm(forms.Form):
    """Queue times: one text box per weekday with times like "09:00, 13:30"; plus rhythm and zone."""

    timezone = forms.ChoiceField(
        label=_("Time zone"),
        choices=[("", _("The workspace's time zone")), *timezone_choices()],
        required=False,
    )
    posts_per_period = forms.IntegerField(label=_("Posting rhythm: posts"), min_value=0, max_value=50, initial=0)
    period = forms.ChoiceField(label=_("per"), choices=AccountPlan.Period.choices, initial=AccountPlan.Period.WEEK)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day in Weekday:
            self.fields[f"day_{day.value}"] = forms.CharField(
                label=day.label,
                required=False,
                max_length=200,
                widget=forms.TextInput(attrs={"placeholder": "09:00, 13:30", "inputmode": "numeric"}),
            )

        for name in ("timezone", "period"):
            self.fields[name].widget.attrs["class"] = "form-select"

    def day_fields(self) -> list[forms.BoundField]:
        return [self[f"day_{day.value}"] for day in Weekday]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        slots: list[tuple[int, time]] = []
        for day in Weekday:
            raw = data.get(f"day_{day.value}") or ""
            for piece in raw.replace(";", ",").split(","):
                piece = piece.strip()
                if not piece:
                    continue
                try:
                    parsed = time.fromisoformat(_two_digit_hour(piece.replace(".", ":")))
                except ValueError:
                    self.add_error(
                        f"day_{day.value}",
                        _("“%(value)s” is not a time. Write times like 09:00, separated by commas.") % {"value": piece},
                    )
                    continue
                slots.append((day.value, parsed))
        data["slots"] = slots
        return data


def _two_digit_hour(value: str) -> str:
    """ "9:00" -> "09:00", so that time.fromisoformat takes what people type."""
    hours, _sep, minutes = value.partition(":")
    return f"{hours.zfill(2)}:{minutes}" if minutes else value


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = [
            "name",
            "description",
            "color",
            "starts_on",
            "ends_on",
            "utm_campaign",
            "utm_medium",
            "utm_content",
            "shorten_links",
            "archived",
        ]
        widgets = {
            "color": forms.TextInput(attrs={"type": "color"}),
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, workspace_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.workspace_id = workspace_id

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        others = Campaign.objects.filter(workspace_id=self.instance.workspace_id, name__iexact=name)
        if others.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("There is already a campaign with this name."))
        return name


class LabelForm(forms.ModelForm):
    class Meta:
        model = Label
        fields = ["name", "color"]
        widgets = {"color": forms.TextInput(attrs={"type": "color"})}

    def __init__(self, *args: Any, workspace_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.workspace_id = workspace_id

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        others = Label.objects.filter(workspace_id=self.instance.workspace_id, name__iexact=name)
        if others.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("There is already a label with this name."))
        return name


class BlackoutForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    starts = forms.DateTimeField(label=_("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends = forms.DateTimeField(label=_("Ends"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    accounts = AccountChoiceField(
        label=_("Accounts"),
        queryset=ConnectedAccount.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: every account of the workspace."),
    )

    def __init__(self, *args: Any, workspace_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelMultipleChoiceField, self.fields["accounts"])
        field.queryset = ConnectedAccount.objects.for_workspace(workspace_id).connected()
        self.zone = timezone.get_current_timezone_name()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts"), data.get("ends")
        if starts and ends:
            # The inputs are wall times in the viewer's zone.
            data["starts_at"] = wall_to_utc(_naive(starts), self.zone)
            data["ends_at"] = wall_to_utc(_naive(ends), self.zone)
            if data["ends_at"] <= data["starts_at"]:
                self.add_error("ends", _("The end must be after the start."))
        return data


def _naive(value: datetime) -> datetime:
    """Form fields make wall times aware in the current zone; the services want them naive."""
    return timezone.make_naive(value) if timezone.is_aware(value) else value


class PostFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    account = forms.ModelChoiceField(
        label=_("Account"), queryset=ConnectedAccount.objects.none(), required=False, empty_label=_("All accounts")
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=Campaign.objects.none(), required=False, empty_label=_("All campaigns")
    )
    label = forms.ModelChoiceField(
        label=_("Label"), queryset=Label.objects.none(), required=False, empty_label=_("All labels")
    )
    author = MemberChoiceField(
        label=_("Author"), queryset=Membership.objects.none(), required=False, empty_label=_("Everyone")
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        from publishing.models import Post

        super().__init__(*args, **kwargs)
        workspace_id = membership.workspace_id
        status_field = cast(forms.ChoiceField, self.fields["status"])
        status_field.choices = [("", _("Any status")), *Post.Status.choices]
        for name, queryset in (
            ("account", ConnectedAccount.objects.for_workspace(workspace_id)),
            ("campaign", Campaign.objects.filter(workspace_id=workspace_id)),
            ("label", Label.objects.filter(workspace_id=workspace_id)),
        ):
            field = cast(forms.ModelChoiceField, self.fields[name])
            field.queryset = queryset
        author_field = cast(forms.ModelChoiceField, self.fields["author"])
        author_field.queryset = Membership.objects.filter(workspace_id=workspace_id).select_related("user")
        for name in self.fields:
            any_field = self.fields[name]
            css = (
                "form-select form-select-sm"
                if isinstance(any_field, forms.ChoiceField | forms.ModelChoiceField)
                else "form-control form-control-sm"
            )
            any_field.widget.attrs["class"] = css
