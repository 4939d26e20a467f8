"""Guidelines (every member reads, owners and admins edit) and word rules (members who publish
edit them; everyone can try a text against them)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from collaboration.access import get_word_rule_for_publisher
from collaboration.forms import GuidelinesForm, WordRuleForm, WordTryForm
from collaboration.models import Guidelines, WordRule
from collaboration.services import rules
from smm.accounts import access
from smm.accounts.models import Membership


# Guidelines --------------------------------------------------------------------------------------
@access.workspace_view()
@require_GET
def guidelines(request: HttpRequest, membership: Membership) -> HttpResponse:
    current = Guidelines.objects.filter(workspace_id=membership.workspace_id).select_related("updated_by").first()
    # guidelines_update sanitised the policy when it was saved. Cleaning it again here keeps a row written
    # any other way (the shell, a data migration, an older bug) from putting script on the page.
    policy_html = rules.sanitize_policy(current.policy_html) if current else ""
    return render(request, "collaboration/guidelines.html", {"guidelines": current, "policy_html": policy_html})


@access.workspace_view("can_change_settings")
@require_http_methods(["GET", "POST"])
def guidelines_edit(request: HttpRequest, membership: Membership) -> HttpResponse:
    current = Guidelines.objects.filter(workspace_id=membership.workspace_id).first()
    form = GuidelinesForm(request.POST or None, instance=current or Guidelines(workspace=membership.workspace))
    if request.method == "POST" and form.is_valid():
        # The service sanitises the policy with nh3; the page shows it with |safe only after that.
        rules.guidelines_update(
            workspace=membership.workspace,
            actor=membership.user,
            policy_html=form.cleaned_data["policy_html"],
            voice=form.cleaned_data["voice"],
            disclosures=form.cleaned_data["disclosures"],
        )
        messages.success(request, _("Guidelines saved."))
        return redirect("collaboration:guidelines", slug=membership.workspace.slug)
    return render(request, "collaboration/guidelines_edit.html", {"form": form}, status=400 if form.errors else 200)


# Word rules --------------------------------------------------------------------------------------
@access.workspace_view()
@require_http_methods(["GET", "POST"])
def word_rule_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The list and the form to add a rule; `?text=` tries a text (htmx gets just the results)."""
    form = WordRuleForm(request.POST or None)
    if request.method == "POST":
        access.require(membership, "can_publish")
        if form.is_valid():
            try:
                rule = rules.word_rule_create(workspace=membership.workspace, **form.cleaned_data)
            except ValidationError as error:
                form.add_error("phrase", error)
            else:
                messages.success(request, _("“%(phrase)s” added to the word rules.") % {"phrase": rule.phrase})
                return redirect("collaboration:word-rules", slug=membership.workspace.slug)
    word_rules = list(WordRule.objects.filter(workspace_id=membership.workspace_id))
    try_form = WordTryForm(request.GET if "text" in request.GET else None)
    hits = rules.find_words(try_form.cleaned_data["text"], word_rules) if try_form.is_valid() else None
    context = {"form": form, "word_rules": word_rules, "try_form": try_form, "hits": hits}
    if request.method == "GET" and request.headers.get("HX-Request"):
        return render(request, "collaboration/_word_try_results.html", context, status=400 if try_form.errors else 200)
    status = 400 if form.errors or try_form.errors else 200
    return render(request, "collaboration/word_rules.html", context, status=status)


@access.workspace_view("can_publish")
@require_POST
def word_rule_delete(request: HttpRequest, membership: Membership, rule_id: int) -> HttpResponse:
    rule = get_word_rule_for_publisher(membership, rule_id)
    rules.word_rule_delete(rule=rule)
    messages.success(request, _("“%(phrase)s” removed from the word rules.") % {"phrase": rule.phrase})
    return redirect("collaboration:word-rules", slug=membership.workspace.slug)
