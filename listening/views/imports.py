"""Imports: the CSV upload page, the import tokens page, and the token-authenticated HTTP endpoint
POST /api/listening/import/ (JSON array of items; fields as the CSV columns)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from listening.models import ImportToken
from listening.services import sources
from listening.source_forms import CsvImportForm, TokenForm
from listening.sources.imports import FIELDS
from smm.accounts import access
from smm.accounts.models import Membership

ERRORS_SHOWN = 200
PAGE_SIZE = 50


@access.workspace_view("can_publish")
@require_http_methods(["GET", "POST"])
def import_csv(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = CsvImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > sources.IMPORT_CSV_MAX_BYTES:
                raise ValidationError(_("The file is larger than 10 MB. Split it and import the parts."))
            result = sources.import_csv(membership=membership, data=upload.read())
        except ValidationError as error:
            form.add_error("file", error.messages)
    context = {
        "form": form,
        "result": result,
        "errors_shown": result.errors[:ERRORS_SHOWN] if result else [],
        "fields": FIELDS,
    }
    return render(request, "listening/import_csv.html", context, status=400 if form.errors else 200)


@access.workspace_view("can_change_settings")
@require_http_methods(["GET", "POST"])
def import_tokens(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = TokenForm(request.POST or None)
    secret = ""
    if request.method == "POST" and form.is_valid():
        try:
            _token, secret = sources.import_token_create(membership=membership, name=form.cleaned_data["name"])
        except ValidationError as error:
            form.add_error("name", error.messages)
        else:
            form = TokenForm()
    tokens = Paginator(
        ImportToken.objects.filter(workspace_id=membership.workspace_id).select_related("created_by"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    endpoint = request.build_absolute_uri("/api/listening/import/")
    context = {"form": form, "secret": secret, "tokens": tokens, "page": tokens, "endpoint": endpoint, "fields": FIELDS}
    return render(request, "listening/import_tokens.html", context, status=400 if form.errors else 200)


@access.workspace_view("can_change_settings")
@require_POST
def import_token_revoke(request: HttpRequest, membership: Membership, token_id: int) -> HttpResponse:
    token = sources.get_token_for_admin(membership, token_id)
    sources.import_token_revoke(membership=membership, token=token)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("listening:import-tokens", membership.workspace.slug)


def _bearer(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _space, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


@csrf_exempt  # authenticated by the bearer token, never by a cookie
@require_POST
def import_api(request: HttpRequest) -> JsonResponse:
    """POST a JSON array of items with `Authorization: Bearer <token>`. 200 with counts and the
    invalid items' errors; 401 bad token, 413 too large, 422 unreadable, 429 rate limited."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    try:
        if declared > sources.IMPORT_MAX_BYTES:
            sources.import_token_authenticate(_bearer(request))
            raise sources.ImportRefused(
                413, "too_large", _("The body is larger than %(size)s bytes.") % {"size": sources.IMPORT_MAX_BYTES}
            )
        try:
            body = request.body
        except RequestDataTooBig:
            sources.import_token_authenticate(_bearer(request))
            raise sources.ImportRefused(
                413, "too_large", _("The body is larger than %(size)s bytes.") % {"size": sources.IMPORT_MAX_BYTES}
            ) from None
        result = sources.import_http(secret=_bearer(request), body=body)
    except sources.ImportRefused as refused:
        reply = {
            "error": refused.code,
            "message": refused.message,
            "errors": [{"index": error.line, "message": error.message} for error in refused.errors],
        }
        response = JsonResponse(reply, status=refused.status)
        if refused.status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="smm import"'
        if refused.retry_after:
            response["Retry-After"] = str(refused.retry_after)
        return response
    return JsonResponse(
        {
            "received": result.received,
            "stored": result.stored,
            "duplicates": result.duplicates,
            "errors": [{"index": error.line, "message": error.message} for error in result.errors],
        }
    )
