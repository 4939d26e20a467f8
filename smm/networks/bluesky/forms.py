from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class BlueskyConnectForm(forms.Form):
    identifier = forms.CharField(
        label=_("Handle"),
        max_length=253,
        help_text=_("For example brand.bsky.social or your own domain."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    app_password = forms.CharField(
        label=_("App password"),
        max_length=100,
        help_text=_(
            "Create one in Bluesky: Settings → Privacy and security → App passwords. "
            "Never use the account's own password."
        ),
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    pds_url = forms.URLField(
        label=_("Server (PDS)"),
        required=False,
        assume_scheme="https",
        help_text=_("Leave as it is unless the account is on a self-hosted server."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["pds_url"].initial = settings.BLUESKY_DEFAULT_PDS

    def clean_identifier(self) -> str:
        return self.cleaned_data["identifier"].strip().lstrip("@")

    def clean_pds_url(self) -> str:
        return (self.cleaned_data.get("pds_url") or settings.BLUESKY_DEFAULT_PDS).rstrip("/")
