"""Forms of the listening sources and import pages."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from listening.models import Source
from listening.sources.mastodon import PUBLIC_FEDERATED, PUBLIC_LOCAL
from smm.networks.models import ConnectedAccount

VALUE_HELP = _(
    "Mastodon hashtag: the tag (kahvi or #kahvi). Mastodon public timeline: “local” for the server’s own "
    "posts or “federated” for everything it sees. Searches: the search words. Feed: the feed’s address "
    "(https://…/feed). Inbox: leave empty."
)


class AccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_network_display()}: {obj.handle}"


class SourceForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[(kind.value, kind.label) for kind in Source.Kind if kind != Source.Kind.IMPORT]
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    value = forms.CharField(label=_("What to read"), max_length=1000, required=False, help_text=VALUE_HELP)
    account = AccountChoiceField(
        label=_("Read with the account"),
        queryset=ConnectedAccount.objects.none(),
        required=False,
        help_text=_("Mastodon and Bluesky sources read through one of the workspace’s connected accounts."),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(
        self, *args: Any, accounts: list[ConnectedAccount], editing: Source | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        ids = [account.pk for account in accounts]
        if editing is not None and editing.account_id:
            ids.append(editing.account_id)
        field = cast(AccountChoiceField, self.fields["account"])
        field.queryset = ConnectedAccount.objects.filter(pk__in=ids).order_by("network", "handle")
        if editing is not None:
            self.fields["kind"].disabled = True
            self.fields["kind"].initial = editing.kind

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind, value = cleaned.get("kind"), (cleaned.get("value") or "").strip()
        if kind == Source.Kind.MASTODON_PUBLIC:
            value = value.lower() or PUBLIC_FEDERATED
            if value not in (PUBLIC_LOCAL, PUBLIC_FEDERATED):
                self.add_error("value", _("Write “local” or “federated”."))
        if kind == Source.Kind.INBOX:
            value = ""
        cleaned["value"] = value
        return cleaned


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("Who or what uses the token, e.g. the vendor’s name.")
    )


class CsvImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_("UTF-8, comma or semicolon separated, at most 10 MB."))
