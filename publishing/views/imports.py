"""CSV import of scheduled posts: upload, watch the check, preview, import or discard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from publishing import access as publishing_access
from publishing.models import CsvImport
from publishing.services import imports as services
from smm.accounts import access
from smm.accounts.models import Membership
from smm.lib.tz import timezone_choices

PAGE_SIZE = 20
ERRORS_LISTED = 50
# A check that has not finished after this long has most likely lost its worker.
STALLED_AFTER = timedelta(minutes=30)


# Forms (here rather than publishing/forms.py, which other parts of the app are still shaping) -------
class CsvUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        widget=forms.FileInput(attrs={"accept": ".csv,.txt,text/csv"}),
        help_text=gettext_lazy("Comma-, semicolon- or tab-separated, UTF-8 or Excel's Windows encoding."),
    )
    timezone = forms.ChoiceField(
        label=gettext_lazy("The times in the file are in"),
        choices=timezone_choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


# Helpers -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PreviewRow:
    """One row of the preview table."""

    number: int
    local: datetime | None
    accounts: list[str]
    text: str
    media_count: int
    campaign: str
    labels: list[str]
    errors: list[str]
    warnings: list[str]


def _is_htmx(request: HttpRequest) -> bool:
    # A history restore wants the whole page, although htmx sends it.
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


def _detail_url(membership: Membership, csv_import: CsvImport) -> str:
    return reverse("publishing:import-detail", args=[membership.workspace.slug, csv_import.pk])


def _columns() -> list[tuple[str, str, str]]:
    """(column, Finnish name, what goes in it) for the page's description of the file."""
    return [
        ("text", "teksti", _("Required. The post's text. Line breaks inside quotes are kept.")),
        (
            "accounts",
            "tilit",
            _(
                "Required. Handles (such as @brand@mastodon.social) or account ids, separated by “;” or “|”. "
                "Connected accounts of this workspace you may publish to."
            ),
        ),
        (
            "time",
            "aika",
            _("Required. Local time: 2030-05-31 14:30, 31.05.2030 14:30 or 31.5.2030 14.30. Not in the past."),
        ),
        (
            "media_urls",
            "kuvat",
            _("Optional. Addresses of pictures or videos (http or https), separated by spaces; at most %(limit)s.")
            % {"limit": services.MAX_MEDIA_PER_ROW},
        ),
        ("alt_text", "alt_teksti", _("Optional. Descriptions of the media, in the same order, separated by “;”.")),
        ("campaign", "kampanja", _("Optional. The name of an existing campaign.")),
        ("labels", "tunnisteet", _("Optional. Names of existing labels, separated by “;”.")),
        ("text_mastodon", "teksti_mastodon", _("Optional. A different text for Mastodon.")),
        ("text_bluesky", "teksti_bluesky", _("Optional. A different text for Bluesky.")),
    ]


def _upload_page(
    request: HttpRequest, membership: Membership, form: CsvUploadForm, *, status: int = 200
) -> HttpResponse:
    imports = (
        CsvImport.objects.filter(workspace_id=membership.workspace_id)
        .select_related("created_by")
        .defer("content", "rows", "errors")
        .order_by("-created_at", "-pk")
    )
    context = {
        "form": form,
        "page": Paginator(imports, PAGE_SIZE).get_page(request.GET.get("page")),
        "columns": _columns(),
        "max_rows": formats.number_format(services.MAX_ROWS, force_grouping=True),
        "max_size": filesizeformat(services.MAX_FILE_BYTES),
        "media_max_size": filesizeformat(services.MEDIA_MAX_BYTES),
    }
    return render(request, "publishing/import.html", context, status=status)


def _preview(csv_import: CsvImport) -> list[PreviewRow]:
    by_row: dict[int, list[str]] = {}
    for error in csv_import.errors:
        by_row.setdefault(int(error.get("row", 0)), []).append(str(error.get("message", "")))
    preview = []
    for row in csv_import.rows:
        number = int(row.get("row", 0))
        preview.append(
            PreviewRow(
                number=number,
                local=datetime.fromisoformat(row["local"]) if row.get("local") else None,
                accounts=list(row.get("account_names") or []),
                text=str(row.get("text") or ""),
                media_count=len(row.get("media") or []),
                campaign=str(row.get("campaign_name") or ""),
                labels=list(row.get("label_names") or []),
                errors=by_row.get(number, []),
                warnings=list(row.get("warnings") or []),
            )
        )
    return preview


# Pages ---------------------------------------------------------------------------------------------
@access.workspace_view("can_publish")
@require_http_methods(["GET", "POST"])
def csv_import(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The upload form, the description of the columns, and the recent imports."""
    if request.method != "POST":
        return _upload_page(
            request, membership, CsvUploadForm(initial={"timezone": timezone.get_current_timezone_name()})
        )
    form = CsvUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            upload = services.csv_import_create(
                membership=membership, file=form.cleaned_data["file"], zone=form.cleaned_data["timezone"]
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error("file", message)
        else:
            created = upload.csv_import
            messages.info(
                request,
                _("Read “%(name)s” as %(encoding)s: %(count)s rows. smm is checking them now.")
                % {
                    "name": created.file_name,
                    "encoding": services.encoding_label(upload.encoding),
                    "count": created.total_rows,
                },
            )
            if upload.encoding == "cp1252":
                messages.warning(request, _("Check in the preview that letters such as ä, ö and € look right."))
            if upload.ignored_columns:
                messages.warning(
                    request,
                    _("These columns are not used and were left out: %(columns)s.")
                    % {"columns": ", ".join(upload.ignored_columns)},
                )
            return redirect(_detail_url(membership, created))
    return _upload_page(request, membership, form, status=400)


@access.workspace_view("can_publish")
@require_safe
def csv_import_example(request: HttpRequest, membership: Membership) -> HttpResponse:
    """A sample file to start from, with a byte order mark so that Excel opens it as UTF-8."""
    response = HttpResponse(
        "\ufeff" + services.csv_import_example(membership=membership), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="smm-posts-example.csv"'
    return response


@access.workspace_view("can_publish")
@require_safe
def csv_import_detail(request: HttpRequest, membership: Membership, import_id: int) -> HttpResponse:
    """The check's progress (polled by htmx every second), then the preview of every row."""
    found = publishing_access.get_csv_import_for_user(membership, import_id)
    checking = found.status == CsvImport.Status.CHECKING
    context = {
        "csv_import": found,
        "preview": [] if checking else _preview(found),
        "error_count": len(found.errors),
        "errors_shown": found.errors[:ERRORS_LISTED],
        "stalled": checking and found.created_at < timezone.now() - STALLED_AFTER,
    }
    template = "publishing/import_status.html" if _is_htmx(request) else "publishing/import_detail.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    add_never_cache_headers(response)
    return response


@access.workspace_view("can_publish")
@require_POST
def csv_import_run(request: HttpRequest, membership: Membership, import_id: int) -> HttpResponse:
    found = publishing_access.get_csv_import_for_user(membership, import_id)
    try:
        done = services.csv_import_run(membership=membership, csv_import=found)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(_detail_url(membership, found))
    messages.success(
        request,
        format_html(
            '{} <a href="{}" class="alert-link">{}</a>',
            ngettext("%(count)s post was scheduled.", "%(count)s posts were scheduled.", done.posts_created)
            % {"count": done.posts_created},
            reverse("publishing:calendar", args=[membership.workspace.slug]),
            _("See them in the calendar."),
        ),
    )
    return redirect(_detail_url(membership, done))


@access.workspace_view("can_publish")
@require_POST
def csv_import_discard(request: HttpRequest, membership: Membership, import_id: int) -> HttpResponse:
    found = publishing_access.get_csv_import_for_user(membership, import_id)
    try:
        services.csv_import_discard(membership=membership, csv_import=found)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(_detail_url(membership, found))
    messages.success(request, _("“%(name)s” was discarded.") % {"name": found.file_name})
    return redirect("publishing:import", slug=membership.workspace.slug)
