"""Approvals: what waits for me, deciding, review links for external reviewers, and the workflows."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from collaboration import access as collaboration_access
from collaboration.forms import DecisionForm, ExternalDecisionForm, StepFormSet, WorkflowForm
from collaboration.models import ApprovalRequest, ApprovalStep, ApprovalWorkflow
from collaboration.services import approvals
from publishing.access import visible_posts
from smm.accounts import access
from smm.accounts.models import AuditEvent, Membership
from smm.accounts.services import audit_record


@access.workspace_view()
def approval_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    waiting_for_me = approvals.pending_for(membership) if membership.can_draft else []
    visible = visible_posts(membership).values("pk")
    pending = (
        ApprovalRequest.objects.filter(
            workspace_id=membership.workspace_id, status=ApprovalRequest.Status.PENDING, post__in=visible
        )
        .select_related("post", "requested_by")
        .order_by("created_at")[:100]
    )
    external: dict[str, list[ApprovalRequest]] = {}
    for item in pending:
        step = item.step
        if step and step["kind"] == ApprovalStep.Kind.EXTERNAL:
            for email in step["emails"]:
                external.setdefault(email, []).append(item)
    decided = (
        ApprovalRequest.objects.filter(workspace_id=membership.workspace_id, post__in=visible)
        .exclude(status=ApprovalRequest.Status.PENDING)
        .select_related("post")
        .order_by("-decided_at")[:20]
    )
    context = {
        "waiting_for_me": waiting_for_me,
        "pending": pending,
        "external": sorted(external.items()),
        "decided": decided,
    }
    return render(request, "collaboration/approvals.html", context)


@access.workspace_view("can_draft")
@require_POST
def approval_decide(request: HttpRequest, membership: Membership, request_id: int) -> HttpResponse:
    approval = collaboration_access.get_approval_request_for_user(membership, request_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
    elif not approvals.can_decide(membership, approval):
        # Your own post, not your step, or not allowed to publish to one of its accounts.
        raise PermissionDenied
    else:
        try:
            approvals.approval_decide(
                request=approval,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
                membership=membership,
                http_request=request,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if form.cleaned_data["decision"] == "approve":
                messages.success(request, _("Approved. Thank you!"))
            else:
                messages.success(request, _("Rejected; the author was told why."))
    if request.POST.get("next") == "approvals":
        return redirect("collaboration:approvals", slug=membership.workspace.slug)
    return redirect("publishing:post-detail", slug=membership.workspace.slug, post_id=approval.post_id)


@access.workspace_view("can_publish")
@require_POST
def review_link_send(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Send one reviewer a single link for every post waiting for them (or the ones ticked)."""
    email = request.POST.get("email", "").strip().lower()
    ids = [int(value) for value in request.POST.getlist("requests") if value.isdigit()]
    chosen = [collaboration_access.get_approval_request_for_user(membership, request_id) for request_id in ids]
    chosen = [
        item
        for item in chosen
        if item.status == ApprovalRequest.Status.PENDING
        and item.step
        and item.step["kind"] == ApprovalStep.Kind.EXTERNAL
        and email in item.step["emails"]
    ]
    if not chosen:
        messages.error(request, _("None of those posts waits for that reviewer."))
    else:
        with transaction.atomic():
            approvals.review_link_create(
                workspace=membership.workspace, email=email, requests=chosen, created_by=membership.user
            )
        messages.success(
            request,
            _("A review link for %(count)s posts was sent to %(email)s.") % {"count": len(chosen), "email": email},
        )
    if request.POST.get("next") == "post" and ids:
        return redirect(
            "publishing:post-detail", slug=membership.workspace.slug, post_id=chosen[0].post_id if chosen else ids[0]
        )
    return redirect("collaboration:approvals", slug=membership.workspace.slug)


# Workflows ---------------------------------------------------------------------------------------
@access.workspace_view()
def workflow_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    workflows = (
        ApprovalWorkflow.objects.filter(workspace_id=membership.workspace_id)
        .select_related("account", "campaign")
        .prefetch_related("steps__members__user")
        .order_by("account_id", "campaign_id", "name")
    )
    return render(request, "collaboration/workflows.html", {"workflows": workflows})


@access.workspace_view("can_change_settings")
def workflow_edit(request: HttpRequest, membership: Membership, workflow_id: int | None = None) -> HttpResponse:
    workflow = collaboration_access.get_workflow_for_admin(membership, workflow_id) if workflow_id else None
    workspace_id = membership.workspace_id
    form = WorkflowForm(request.POST or None, instance=workflow, workspace_id=workspace_id)
    formset = StepFormSet(request.POST or None, instance=form.instance, workspace_id=workspace_id, prefix="steps")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        with transaction.atomic():
            saved = form.save()
            formset.instance = saved
            steps = formset.save(commit=False)
            for step in formset.deleted_objects:
                step.delete()
            for position, step_form in enumerate(
                f for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ):
                step = step_form.instance
                if not step_form.has_changed() and step.pk is None:
                    continue
                step.workflow = saved
                step.position = position
                step.save()
                step_form.save_m2m()
            del steps
            audit_record(
                action=AuditEvent.Action.APPROVAL_WORKFLOW_CHANGED,
                actor=membership.user,
                workspace=membership.workspace,
                target=saved.name,
                data={"workflow": saved.pk, "steps": saved.steps.count()},
                request=request,
            )
        messages.success(request, _("Approval workflow saved."))
        return redirect("collaboration:workflows", slug=membership.workspace.slug)
    context = {"form": form, "formset": formset, "workflow": workflow}
    status = 400 if (form.errors or any(formset.errors)) else 200
    return render(request, "collaboration/workflow_edit.html", context, status=status)


@access.workspace_view("can_change_settings")
@require_POST
def workflow_delete(request: HttpRequest, membership: Membership, workflow_id: int) -> HttpResponse:
    workflow = collaboration_access.get_workflow_for_admin(membership, workflow_id)
    with transaction.atomic():
        audit_record(
            action=AuditEvent.Action.APPROVAL_WORKFLOW_CHANGED,
            actor=membership.user,
            workspace=membership.workspace,
            target=workflow.name,
            data={"workflow": workflow.pk, "deleted": True},
            request=request,
        )
        workflow.delete()
    messages.success(request, _("Workflow deleted. Posts already waiting keep the steps they were sent with."))
    return redirect("collaboration:workflows", slug=membership.workspace.slug)


# External review (no account) --------------------------------------------------------------------
def review(request: HttpRequest, token: str) -> HttpResponse:
    """The page behind a review link: the posts waiting for this reviewer, each to approve or reject."""
    try:
        link = approvals.review_link_open(token=token, http_request=request)
    except PermissionDenied:
        return render(request, "collaboration/review_invalid.html", status=403)
    requests = list(link.requests.select_related("post__workspace").order_by("created_at"))
    error = ""
    if request.method == "POST":
        form = ExternalDecisionForm(request.POST)
        chosen = next((item for item in requests if str(item.pk) == request.POST.get("request")), None)
        if chosen is None or not form.is_valid():
            error = _("Write your name and choose approve or reject.")
        else:
            try:
                approvals.approval_decide(
                    request=chosen,
                    decision=form.cleaned_data["decision"],
                    comment=form.cleaned_data["comment"],
                    reviewer=(link.email, form.cleaned_data["name"]),
                    http_request=request,
                )
            except (ValidationError, PermissionDenied) as problem:
                error = (
                    " ".join(problem.messages)
                    if isinstance(problem, ValidationError)
                    else _("This post does not wait for your decision any more.")
                )
            else:
                return redirect("review", token=token)
        for item in requests:
            item.refresh_from_db()
    items = []
    for item in requests:
        decided = item.decisions.filter(reviewer_email=link.email).order_by("-created_at").first()
        items.append({"request": item, "decided": decided, "post": item.post, "snapshot": item.snapshot})
    context = {"link": link, "items": items, "error": error, "name": request.POST.get("name", link.name)}
    return render(request, "collaboration/review.html", context, status=400 if error else 200)


@require_GET
def review_media(request: HttpRequest, token: str, asset_id: int) -> HttpResponseBase:
    """A thumbnail of a picture in one of the posts the review link covers (nothing else)."""
    from django.http import FileResponse, Http404

    from publishing.models import PostMedia

    try:
        link = approvals.review_link_open(token=token, http_request=None, count_use=False)
    except PermissionDenied as error:
        raise Http404 from error
    item = (
        PostMedia.objects.filter(asset_id=asset_id, post__approval_requests__review_links=link)
        .select_related("asset")
        .first()
    )
    if item is None or not item.asset.thumbnail:
        raise Http404
    response = FileResponse(item.asset.thumbnail.open("rb"), content_type="image/webp")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
