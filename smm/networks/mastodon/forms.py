from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class InstanceForm(forms.Form):
    # Any spelling people use (mastodon.social, a profile link, @brand@mastodon.social) is accepted:
    # client.instance_info() normalises it and explains what it cannot use.
    instance = forms.CharField(
        label=_("Mastodon server"),
        max_length=200,
        help_text=_("The server the account is on, for example mastodon.social, or the account's handle."),
        widget=forms.TextInput(attrs={"placeholder": "mastodon.social", "autocomplete": "url", "inputmode": "url"}),
    )
