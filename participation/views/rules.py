"""Inbox rules: every member sees them; members who publish build, try, change and delete them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from participation import access as inbox_access
from participation import selectors
from participation.models import InboxItem, InboxRule
from participation.services import rules as rule_services
from participation.services import setup
from participation.setup_forms import RuleForm, add_service_errors
from smm.accounts import access
from smm.accounts.models import Membership
from smm.networks.models import ConnectedAccount

TRY_LIMIT = 200
# The form fields that make the rule's conditions (the only ones a try needs).
CONDITION_FIELDS = ("words", "authors", "accounts", "networks", "kinds", "sentiments", "languages", "other_languages")


@access.workspace_view()
@require_GET
def rule_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    account_ids = inbox_access.visible_account_ids(membership)
    rules = selectors.rules_in_words(selectors.rules_with_firings(membership.workspace_id), membership, account_ids)
    return render(request, "participation/rules.html", {"rules": rules, "firings_days": selectors.FIRINGS_DAYS})


def _form(request: HttpRequest, membership: Membership, rule: InboxRule | None, account_ids: list[int]) -> RuleForm:
    accounts = list(ConnectedAccount.objects.filter(workspace_id=membership.workspace_id, pk__in=account_ids))
    extra: dict[str, Any] = {}
    if rule is None:  # a new rule runs after the others unless moved
        last = InboxRule.objects.filter(workspace_id=membership.workspace_id).aggregate(last=Max("position"))["last"]
        extra["initial"] = {"position": min(32767, last + 1) if last is not None else 0}
    return RuleForm(
        request.POST if request.method == "POST" else None,
        workspace_id=membership.workspace_id,
        accounts=accounts,
        rule=rule,
        **extra,
    )


def _form_page(
    request: HttpRequest,
    membership: Membership,
    form: RuleForm,
    rule: InboxRule | None,
    account_ids: list[int],
    **extra: Any,
) -> HttpResponse:
    can_hide, cannot_hide = selectors.hide_support(account_ids)
    context = {
        "form": form,
        "rule": rule,
        "can_hide": can_hide,
        "cannot_hide": cannot_hide,
        "try_limit": TRY_LIMIT,
        **extra,
    }
    return render(request, "participation/rule_form.html", context, status=400 if form.errors else 200)


@access.workspace_view("can_publish")
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, membership: Membership, rule_id: int | None = None) -> HttpResponse:
    """Build a new rule (no id) or change one."""
    rule = inbox_access.get_rule_for_user(membership, rule_id, write=True) if rule_id else None
    account_ids = inbox_access.visible_account_ids(membership)
    form = _form(request, membership, rule, account_ids)
    if request.method == "POST" and form.is_valid():
        try:
            saved = setup.rule_save(
                membership=membership,
                rule=rule,
                name=form.cleaned_data["name"],
                enabled=form.cleaned_data["enabled"],
                position=form.cleaned_data["position"],
                conditions=form.conditions(),
                actions=form.actions(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            state = _("on") if saved.enabled else _("off")
            messages.success(request, _("Rule “%(name)s” saved (%(state)s).") % {"name": saved.name, "state": state})
            return redirect("participation:rules", slug=membership.workspace.slug)
    return _form_page(request, membership, form, rule, account_ids)


@access.workspace_view("can_publish")
@require_POST
def rule_delete(request: HttpRequest, membership: Membership, rule_id: int) -> HttpResponse:
    rule = inbox_access.get_rule_for_user(membership, rule_id, write=True)
    setup.rule_delete(rule=rule)
    messages.success(request, _("Rule “%(name)s” deleted.") % {"name": rule.name})
    return redirect("participation:rules", slug=membership.workspace.slug)


@access.workspace_view("can_publish")
@require_POST
def rule_try(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Which of the last items the rule form's conditions match; changes nothing.

    htmx gets the results; without JavaScript the rule form comes back with them under it."""
    rule_id = request.POST.get("rule", "")
    rule = inbox_access.get_rule_for_user(membership, int(rule_id), write=True) if rule_id.isdigit() else None
    account_ids = inbox_access.visible_account_ids(membership)
    form = _form(request, membership, rule, account_ids)
    # Only the conditions matter here: a rule may be tried before it has anything to do (or a name).
    try_errors = [
        f"{form.fields[name].label}: {message}" for name in CONDITION_FIELDS for message in form.errors.get(name, [])
    ]
    conditions_ok = not try_errors
    matches: list[InboxItem] | None = None
    hidden = 0
    if conditions_ok:
        trial = InboxRule(workspace_id=membership.workspace_id, conditions=form.conditions())
        found = rule_services.rule_try(rule=trial, limit=TRY_LIMIT)
        visible = set(account_ids)
        matches = [item for item in found if item.account_id in visible]
        hidden = len(found) - len(matches)
    context = {"matches": matches, "hidden": hidden, "try_limit": TRY_LIMIT, "try_errors": try_errors}
    if request.headers.get("HX-Request"):
        return render(request, "participation/_rule_try_results.html", context, status=200 if conditions_ok else 400)
    # The page, with what the member typed: keep only the errors that stop the try.
    for name in [name for name in form.errors if name not in CONDITION_FIELDS]:
        form.errors.pop(name)
    return _form_page(request, membership, form, rule, account_ids, **context)
