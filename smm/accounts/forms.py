"""Forms for sign-in, user settings, workspaces, members and the audit log filter."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from smm.accounts.models import AccountLevel, AuditEvent, Membership, User, Workspace
from smm.lib.tz import timezone_choices


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        "invalid_login": _("The email or password is incorrect. The password is case-sensitive."),
        "inactive": _("This account is inactive. Ask your workspace owner."),
    }


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text=_("The 6-digit code from your authenticator app, or one of your backup codes."),
    )

    def clean_token(self) -> str:
        return "".join(self.cleaned_data["token"].split())


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is incorrect."))
        return password


class PreferencesForm(forms.ModelForm):
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices)

    class Meta:
        model = User
        fields = ["full_name", "language", "timezone"]


class SignupForm(forms.Form):
    """Create an account from an invitation: the email is the invited one."""

    full_name = forms.CharField(label=_("Your name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password1, password2 = data.get("password1"), data.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords differ."))
        elif password1:
            try:
                password_validation.validate_password(
                    password1, User(email=self.email, full_name=data.get("full_name", ""))
                )
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class WorkspaceForm(forms.ModelForm):
    timezone = forms.ChoiceField(
        label=_("Time zone"), choices=timezone_choices, help_text=Workspace._meta.get_field("timezone").help_text
    )

    class Meta:
        model = Workspace
        fields = ["name", "timezone", "language", "require_2fa_for_admins"]


class WorkspaceCreateForm(WorkspaceForm):
    class Meta(WorkspaceForm.Meta):
        fields = ["name", "timezone", "language"]


def _role_choices(actor: Membership) -> list[tuple[str, Any]]:
    choices = list(Membership.Role.choices)
    if actor.role != Membership.Role.OWNER:
        choices = [choice for choice in choices if choice[0] != Membership.Role.OWNER]
    return choices


ROLE_HELP = _(
    "Owners and admins manage members and settings. Editors write and publish. "
    "Contributors draft and suggest but never publish. Viewers only read."
)


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"), help_text=ROLE_HELP)

    def __init__(self, *args: Any, actor: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["role"]).choices = _role_choices(actor)
        self.fields["role"].initial = Membership.Role.EDITOR


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), help_text=ROLE_HELP)

    def __init__(self, *args: Any, actor: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["role"]).choices = _role_choices(actor)


class AccountLevelForm(forms.Form):
    """One member's level on one account: the role's default or an explicit level within the cap."""

    DEFAULT = "default"
    level = forms.ChoiceField(label=_("Access level"))

    def __init__(self, *args: Any, member: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        default_label = AccountLevel(member.default_account_level).label
        choices: list[tuple[str, Any]] = [(self.DEFAULT, _("Role default (%(level)s)") % {"level": default_label})]
        choices += [(str(value), label) for value, label in AccountLevel.choices if value <= member.max_account_level]
        cast(forms.ChoiceField, self.fields["level"]).choices = choices

    def cleaned_level(self) -> int | None:
        value = self.cleaned_data["level"]
        return None if value == self.DEFAULT else int(value)


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False, widget=forms.Select(attrs={"class": "form-select"}))
    actor = forms.CharField(
        label=_("Person"),
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": _("Email contains…")}),
    )
    date_from = forms.DateField(
        label=_("From date"), required=False, widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )
    date_to = forms.DateField(
        label=_("To date"), required=False, widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["action"]).choices = [("", _("All actions")), *AuditEvent.Action.choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False)


class AgencyForm(forms.Form):
    """Mark a member as from an outside agency; the "clear" button marks them as staff again."""

    agency = forms.CharField(
        label=_("Outside agency"),
        max_length=100,
        required=False,
        help_text=_("The agency's name, if this member is not staff. Leave empty for staff."),
    )

    def clean_agency(self) -> str:
        return "" if self.data.get("clear") else " ".join(self.cleaned_data["agency"].split())
