"""Sign-in, user settings, two-factor authentication and invitations."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from smm.accounts import services
from smm.accounts.forms import LanguageForm, LoginForm, PasswordConfirmForm, PreferencesForm, SignupForm, TokenForm
from smm.accounts.models import AuditEvent, User
from smm.lib.qr import qr_svg


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        # A language picked on the sign-in page is the newest choice: keep it for the user.
        from django.conf import settings

        chosen = self.request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        user = form.get_user()
        if chosen in dict(settings.LANGUAGES) and chosen != user.language:
            user.language = chosen
            user.save(update_fields=["language"])
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.audit_record(action=AuditEvent.Action.PASSWORD_RESET, actor=form.user, request=self.request)
        return response


def lockout(request: HttpRequest, original_response: HttpResponse | None, credentials: Any) -> HttpResponse:
    """django-axes calls this instead of the login view while an email+address is locked out."""
    from django.conf import settings

    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return render(request, "accounts/lockout.html", {"minutes": minutes}, status=429)


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """The second sign-in step for users with two-factor authentication."""
    user = request.user
    if user.is_verified() or not user_has_device(user):  # type: ignore[union-attr]
        return redirect(_safe_next(request, reverse("home")))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            return redirect(_safe_next(request, reverse("home")))
        form.add_error("token", _("That code is incorrect. Try the current code or a backup code."))
    return render(request, "accounts/verify.html", {"form": form, "next": _safe_next(request, "")})


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = PreferencesForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        services.user_update_preferences(
            user=user,
            full_name=form.cleaned_data["full_name"],
            language=form.cleaned_data["language"],
            timezone_name=form.cleaned_data["timezone"],
        )
        response = redirect("accounts:preferences")
        if user.language:
            from django.conf import settings

            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax", secure=settings.LANGUAGE_COOKIE_SECURE
            )
        messages.success(request, _("Your settings were saved."))
        return response
    return render(request, "accounts/preferences.html", {"form": form, "section": "preferences"})


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_change_password(user=user, password=form.cleaned_data["new_password1"], request=request)
        messages.success(request, _("Your password was changed."))
        return redirect("accounts:password-change")
    return render(request, "accounts/password_change.html", {"form": form, "section": "password"})


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """Two-factor status, setup (QR code + confirm), backup codes, and recent sign-ins."""
    user: User = request.user  # type: ignore[assignment]
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    context: dict[str, Any] = {"section": "security", "device": confirmed}
    if confirmed is None:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or services.totp_device_start(user=user)
        form = TokenForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                codes = services.totp_device_confirm(device=device, token=form.cleaned_data["token"], request=request)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Two-factor authentication is on."))
                return render(request, "accounts/backup_codes.html", {"codes": codes, "section": "security"})
        context.update(form=form, qr=qr_svg(device.config_url), secret=_base32_secret(device))
    else:
        backup = StaticDevice.objects.filter(user=user, name="backup").first()
        context["backup_count"] = backup.token_set.count() if backup else 0
        context["disable_form"] = PasswordConfirmForm(user=user)
    context["events"] = AuditEvent.objects.filter(actor=user).filter(
        action__in=[
            AuditEvent.Action.LOGIN,
            AuditEvent.Action.LOGIN_FAILED,
            AuditEvent.Action.PASSWORD_CHANGED,
            AuditEvent.Action.MFA_ENABLED,
            AuditEvent.Action.MFA_DISABLED,
        ]
    )[:10]
    return render(request, "accounts/security.html", context)


def _base32_secret(device: TOTPDevice) -> str:
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
@require_POST
def mfa_disable(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = PasswordConfirmForm(request.POST, user=user)
    if not form.is_valid():
        messages.error(request, _("Two-factor authentication is still on: the password was incorrect."))
        return redirect("accounts:security")
    services.mfa_disable(user=user, request=request)
    messages.success(request, _("Two-factor authentication is off."))
    return redirect("accounts:security")


@login_required
@require_POST
def backup_codes(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect("accounts:security")
    codes = services.backup_codes_regenerate(user=user, request=request)
    return render(request, "accounts/backup_codes.html", {"codes": codes, "section": "security"})


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; signed-in users keep it in their settings."""
    from django.conf import settings

    form = LanguageForm(request.POST)
    response = redirect(_safe_next(request, reverse("home")))
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            user: User = request.user
            user.language = language
            user.save(update_fields=["language"])
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            samesite="Lax",
            secure=settings.LANGUAGE_COOKIE_SECURE,
            max_age=365 * 24 * 3600,
        )
    return response


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Open an invitation link: sign up, sign in, or accept as the signed-in invitee."""
    invitation = services.invitation_from_token(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    user = request.user
    context: dict[str, Any] = {"invitation": invitation}
    if user.is_authenticated:
        if request.method == "POST":
            try:
                membership = services.invitation_accept(invitation=invitation, user=user, request=request)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("Welcome to %(workspace)s.") % {"workspace": membership.workspace.name})
                return redirect("workspace-dashboard", slug=membership.workspace.slug)
        context["wrong_user"] = user.email.lower() != invitation.email.lower()
        return render(request, "accounts/invitation_accept.html", context)
    if User.objects.filter(email__iexact=invitation.email).exists():
        context["login_url"] = f"{reverse('accounts:login')}?next={request.path}"
        return render(request, "accounts/invitation_accept.html", context)
    form = SignupForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            new_user, membership = services.user_register_from_invitation(
                invitation=invitation,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, new_user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to %(workspace)s.") % {"workspace": membership.workspace.name})
            return redirect("workspace-dashboard", slug=membership.workspace.slug)
    context["form"] = form
    return render(request, "accounts/invitation_accept.html", context)
