"""Forms of the ideas pages: the board's filters, an idea, its status, the settings, and the
public page's submission form (with its honeypot and signed timestamp)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from participation.models import Idea
from participation.models.ideas import IdeaBoardSettings


class BoardFilterForm(forms.Form):
    SORTS = (("votes", _("Most votes")), ("newest", _("Newest")))

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Status"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORTS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["status"]).choices = [("", _("Any status")), *Idea.Status.choices]
        for field in self.fields.values():
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if isinstance(field, forms.ChoiceField) else "form-control form-control-sm"
            )


class IdeaForm(forms.ModelForm):
    # The inbox item the idea is made from (the conversation page's "Make an idea").
    item = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Idea
        fields = ["title", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 6})}


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Idea.Status.choices)
    message = forms.CharField(
        label=_("Message to the contributor"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Leave it empty to send the standard message for the new status."),
    )
    tell = forms.BooleanField(label=_("Tell the contributor"), required=False, initial=True)


class ModerateForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Show on the public page")), ("reject", _("Reject")), ("hide", _("Hide"))]
    )


class IdeaSettingsForm(forms.ModelForm):
    """The public page's switch and introduction, and one message per status (empty: the built-in one)."""

    class Meta:
        model = IdeaBoardSettings
        fields = ["public_page", "intro"]
        widgets = {"intro": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, defaults: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.messages or {}
        for status, label in Idea.Status.choices:
            self.fields[f"message_{status}"] = forms.CharField(
                label=_("Message when the idea becomes “%(status)s”") % {"status": label},
                required=False,
                max_length=500,
                initial=current.get(status, ""),
                widget=forms.Textarea(attrs={"rows": 2, "placeholder": defaults.get(status, "")}),
            )

    def messages(self) -> dict[str, str]:
        return {status: self.cleaned_data.get(f"message_{status}", "") for status in Idea.Status.values}


class PublicIdeaForm(forms.Form):
    title = forms.CharField(label=_("Your idea in a few words"), max_length=200)
    text = forms.CharField(
        label=_("Tell us more (optional)"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )
    name = forms.CharField(label=_("Your name (optional)"), required=False, max_length=100)
    email = forms.EmailField(
        label=_("Your e-mail address (optional)"),
        required=False,
        help_text=_("Only for telling you what happens to your idea; never shown."),
    )
    consent = forms.BooleanField(label=_("You may e-mail me about this idea"), required=False)
    # The honeypot: hidden from people (and from screen readers); bots fill every field.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    started = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("consent") and not data.get("email"):
            self.add_error("email", _("Give your e-mail address, so we can tell you."))
        return data
