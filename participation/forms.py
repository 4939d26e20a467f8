"""Forms of the inbox pages."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from participation.models import Conversation, InboxItem, InboxTag, Sentiment
from smm.accounts.models import Membership
from smm.networks.models import ConnectedAccount


class MemberChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.user.display_name)


class InboxFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    account = forms.ModelChoiceField(
        label=_("Account"), queryset=ConnectedAccount.objects.none(), required=False, empty_label=_("All accounts")
    )
    network = forms.ChoiceField(label=_("Network"), required=False)
    kind = forms.ChoiceField(label=_("Type"), required=False)
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)
    tag = forms.ModelChoiceField(
        label=_("Tag"), queryset=InboxTag.objects.none(), required=False, empty_label=_("Any tag")
    )
    sentiment = forms.ChoiceField(label=_("Sentiment"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    all_kinds = forms.BooleanField(label=_("Include reposts and spam"), required=False)

    def __init__(self, *args: Any, membership: Membership, account_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            ("", _("Not closed")),
            *Conversation.Status.choices,
            ("all", _("Any status")),
        ]
        cast(forms.ModelChoiceField, self.fields["account"]).queryset = ConnectedAccount.objects.filter(
            pk__in=account_ids
        )
        cast(forms.ChoiceField, self.fields["network"]).choices = [
            ("", _("All networks")),
            *ConnectedAccount.Network.choices,
        ]
        cast(forms.ChoiceField, self.fields["kind"]).choices = [("", _("All types")), *Conversation.Kind.choices]
        members = Membership.objects.filter(workspace_id=membership.workspace_id).select_related("user")
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", _("Anyone")),
            ("me", _("Me")),
            ("nobody", _("Nobody")),
            *((str(member.user_id), member.user.display_name) for member in members),
        ]
        cast(forms.ModelChoiceField, self.fields["tag"]).queryset = InboxTag.objects.filter(
            workspace_id=membership.workspace_id
        )
        cast(forms.ChoiceField, self.fields["sentiment"]).choices = [("", _("Any sentiment")), *Sentiment.choices]
        for field in self.fields.values():
            if isinstance(field, forms.BooleanField):
                field.widget.attrs["class"] = "form-check-input"
            elif isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
                field.widget.attrs["class"] = "form-select form-select-sm"
            else:
                field.widget.attrs["class"] = "form-control form-control-sm"


class ReplyForm(forms.Form):
    item = forms.IntegerField(widget=forms.HiddenInput)
    text = forms.CharField(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 4}), max_length=20000)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class ModerateForm(forms.Form):
    item = forms.IntegerField()
    action = forms.ChoiceField(choices=[])
    reason = forms.CharField(required=False, max_length=1000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from participation.models import ModerationAction

        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["action"]).choices = ModerationAction.Action.choices


ITEM_KINDS = InboxItem.Kind
