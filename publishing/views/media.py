"""The media library: browse, upload, describe, delete, and the access-checked file downloads."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from publishing import access as publishing_access
from publishing.models import MediaAsset
from publishing.services import media as services
from smm.accounts import access
from smm.accounts.models import Membership

logger = logging.getLogger(__name__)

PAGE_SIZE = 24
MAX_FILES_PER_UPLOAD = 20
_CHUNK_BYTES = 64 * 1024
Kind = MediaAsset.Kind


# Forms (here rather than publishing/forms.py, which other parts of the app are still shaping) -------
class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one <input type="file" multiple>; cleans to a list."""

    def __init__(self, *args: Any, max_files: int, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": services.ACCEPT}))
        self.max_files = max_files
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        items = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if not items:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        if len(items) > self.max_files:
            raise ValidationError(
                _("Upload at most %(count)d files at a time.") % {"count": self.max_files}, code="too_many"
            )
        cleaned = []
        for item in items:
            cleaned.append(super().clean(item, initial))
        return cleaned


class MediaFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), choices=[("", gettext_lazy("All kinds")), *Kind.choices], required=False
    )
    q = forms.CharField(
        label=gettext_lazy("File name"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class MediaUploadForm(forms.Form):
    file = MultipleFileField(
        label=gettext_lazy("Files"),
        max_files=MAX_FILES_PER_UPLOAD,
        help_text=gettext_lazy("You can choose several files at once."),
    )
    alt_text = forms.CharField(
        label=gettext_lazy("Alt text"),
        required=False,
        max_length=services.ALT_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Describe the picture for people who cannot see it. Used for every picture and video in this "
            "upload; you can change it for each file later."
        ),
    )
    video = forms.ModelChoiceField(
        label=gettext_lazy("Video (for subtitle files)"),
        queryset=MediaAsset.objects.none(),
        required=False,
        empty_label=gettext_lazy("(no video)"),
        help_text=gettext_lazy("Subtitles must belong to a video in the library. Not used for other files."),
    )
    language = forms.CharField(
        label=gettext_lazy("Subtitle language"),
        required=False,
        max_length=10,
        help_text=gettext_lazy("A language code such as “fi”, “en” or “sv-FI”."),
    )

    def __init__(self, *args: Any, workspace_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        videos = MediaAsset.objects.for_workspace(workspace_id).filter(kind=Kind.VIDEO)
        self.fields["video"].queryset = videos  # type: ignore[attr-defined]


class SubtitleUploadForm(forms.Form):
    """The subtitle part of the upload form, shown on a video's page; it posts to the upload view."""

    file = forms.FileField(
        label=gettext_lazy("Subtitle file (SRT or VTT)"),
        widget=forms.FileInput(attrs={"accept": ".srt,.vtt,text/vtt"}),
    )
    language = forms.CharField(
        label=gettext_lazy("Language"),
        required=False,
        max_length=10,
        help_text=gettext_lazy("A language code such as “fi”, “en” or “sv-FI”."),
    )
    video = forms.IntegerField(widget=forms.HiddenInput)


class AltTextForm(forms.Form):
    alt_text = forms.CharField(
        label=gettext_lazy("Alt text"),
        required=False,
        max_length=services.ALT_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "Describe what it shows for people who cannot see it. The networks pass it on to screen readers."
        ),
    )


class CoverForm(forms.Form):
    cover = forms.FileField(
        label=gettext_lazy("Cover picture"),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}),
        help_text=gettext_lazy("Shown before the video plays. JPEG, PNG, GIF or WebP."),
    )


# Helpers -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Card:
    asset: MediaAsset
    duration: str


def human_duration(seconds: float | None) -> str:
    """1:05 or 1:02:05; empty when unknown."""
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def _is_htmx(request: HttpRequest) -> bool:
    # A history restore wants the whole page, although htmx sends it.
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


def _detail_url(membership: Membership, asset: MediaAsset) -> str:
    return reverse("publishing:media-detail", args=[membership.workspace.slug, asset.pk])


def _render_detail(
    request: HttpRequest,
    membership: Membership,
    asset: MediaAsset,
    *,
    alt_text_form: AltTextForm | None = None,
    cover_form: CoverForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "asset": asset,
        "duration": human_duration(asset.duration_seconds),
        "alt_text_form": alt_text_form or AltTextForm(initial={"alt_text": asset.alt_text}),
        "posts": asset.posts.order_by("-created_at")[:20] if asset.kind != Kind.SUBTITLE else [],
    }
    if asset.kind == Kind.VIDEO:
        context["subtitles"] = list(asset.subtitles.order_by("language", "original_name"))
        context["cover_form"] = cover_form or CoverForm()
        context["subtitle_form"] = SubtitleUploadForm(initial={"video": asset.pk})
    return render(request, "publishing/media_detail.html", context, status=status)


# Pages ---------------------------------------------------------------------------------------------
@access.workspace_view()
@require_safe
def media_library(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = MediaFilterForm(request.GET)
    assets = MediaAsset.objects.for_workspace(membership.workspace_id)
    if form.is_valid():
        if form.cleaned_data["kind"]:
            assets = assets.filter(kind=form.cleaned_data["kind"])
        if form.cleaned_data["q"]:
            assets = assets.filter(original_name__icontains=form.cleaned_data["q"])
    page = Paginator(assets.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "cards": [Card(asset, human_duration(asset.duration_seconds)) for asset in page],
        "query": query.urlencode(),
        "filtered": any(request.GET.get(name) for name in ("kind", "q")),
    }
    template = "publishing/media_results.html" if _is_htmx(request) else "publishing/media_library.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@access.workspace_view("can_draft")
@require_http_methods(["GET", "POST"])
def media_upload(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    video_id = request.GET.get("video", "")
    initial = {"video": int(video_id)} if video_id.isdigit() else {}
    posted = request.method == "POST"
    form = MediaUploadForm(
        request.POST if posted else None, request.FILES if posted else None, workspace_id=workspace.pk, initial=initial
    )
    if posted and form.is_valid():
        uploaded: list[MediaAsset] = []
        for file in form.cleaned_data["file"]:
            try:
                asset = services.media_upload(
                    workspace=workspace,
                    uploaded_by=membership.user,
                    file=file,
                    alt_text=form.cleaned_data["alt_text"],
                    video=form.cleaned_data["video"],
                    language=form.cleaned_data["language"],
                )
            except ValidationError as error:
                name = services.clean_file_name(file.name or "")
                for message in error.messages:
                    form.add_error("file", _("%(name)s: %(error)s") % {"name": name, "error": message})
            else:
                uploaded.append(asset)
        if uploaded:
            messages.success(
                request,
                ngettext("%(count)d file was uploaded.", "%(count)d files were uploaded.", len(uploaded))
                % {"count": len(uploaded)},
            )
        if not form.errors:
            if len(uploaded) > 1:
                return redirect("publishing:media", slug=workspace.slug)
            asset = uploaded[0]
            if asset.video is not None:  # subtitles are listed on their video's page
                return redirect(f"{_detail_url(membership, asset.video)}#subtitles")
            return redirect(_detail_url(membership, asset))
    context = {
        "form": form,
        "limits": [
            (_("Pictures"), _("JPEG, PNG, GIF, WebP"), filesizeformat(services.IMAGE_MAX_BYTES)),
            (_("Videos"), _("MP4, MOV, WebM"), filesizeformat(services.VIDEO_MAX_BYTES)),
            (_("Subtitles"), _("SRT, VTT (UTF-8)"), filesizeformat(services.SUBTITLE_MAX_BYTES)),
        ],
    }
    return render(request, "publishing/media_upload.html", context, status=400 if form.errors else 200)


@access.workspace_view()
@require_safe
def media_detail(request: HttpRequest, membership: Membership, media_id: int) -> HttpResponse:
    asset = publishing_access.get_media_for_user(membership, media_id)
    return _render_detail(request, membership, asset)


@access.workspace_view("can_draft")
@require_POST
def media_alt_text(request: HttpRequest, membership: Membership, media_id: int) -> HttpResponse:
    """Save the alt text: an htmx request gets the form back, a plain form post a redirect."""
    asset = publishing_access.get_media_for_user(membership, media_id, write=True)
    form = AltTextForm(request.POST)
    saved = False
    if form.is_valid():
        try:
            services.media_update_alt_text(asset=asset, alt_text=form.cleaned_data["alt_text"])
        except ValidationError as error:
            form.add_error("alt_text", error)
        else:
            saved = True
    if _is_htmx(request):
        context = {
            "asset": asset,
            "alt_text_form": AltTextForm(initial={"alt_text": asset.alt_text}) if saved else form,
            "saved": saved,
        }
        return render(request, "publishing/media_alt_text.html", context, status=200 if saved else 400)
    if saved:
        messages.success(request, _("Alt text saved."))
        return redirect(_detail_url(membership, asset))
    asset.refresh_from_db()
    return _render_detail(request, membership, asset, alt_text_form=form, status=400)


@access.workspace_view("can_draft")
@require_POST
def media_cover(request: HttpRequest, membership: Membership, media_id: int) -> HttpResponse:
    asset = publishing_access.get_media_for_user(membership, media_id, write=True)
    form = CoverForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.media_set_thumbnail(asset=asset, file=form.cleaned_data["cover"])
        except ValidationError as error:
            form.add_error("cover", error)
        else:
            messages.success(request, _("Cover picture saved."))
            return redirect(_detail_url(membership, asset))
    return _render_detail(request, membership, asset, cover_form=form, status=400)


@access.workspace_view("can_draft")
@require_http_methods(["GET", "POST"])
def media_delete(request: HttpRequest, membership: Membership, media_id: int) -> HttpResponse:
    """GET asks for confirmation (and says what holds the file); POST deletes."""
    asset = publishing_access.get_media_for_user(membership, media_id, write=True)
    if request.method == "POST":
        try:
            services.media_delete(asset=asset)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect(_detail_url(membership, asset))
        messages.success(request, _("“%(name)s” was deleted.") % {"name": asset.original_name})
        if asset.video is not None:
            return redirect(f"{_detail_url(membership, asset.video)}#subtitles")
        return redirect("publishing:media", slug=membership.workspace.slug)
    context = {
        "asset": asset,
        "holding": services.media_posts_holding(asset=asset),
        "drafts": list(asset.posts.order_by("-created_at")) if asset.kind != Kind.SUBTITLE else [],
        "subtitle_count": asset.subtitles.count() if asset.kind == Kind.VIDEO else 0,
    }
    return render(request, "publishing/media_delete.html", context)


# Files ---------------------------------------------------------------------------------------------
class UnsatisfiableRange(Exception):
    """The Range header asks only for bytes past the end of the file (answer 416)."""


_BYTE_RANGE = re.compile(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", re.IGNORECASE)


def parse_byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The one range of `Range: bytes=...` as (first, last) inclusive; None to send the whole file.

    A header we do not handle (several ranges, another unit, bad syntax) is ignored, as RFC 9110
    allows: the client gets the whole file with 200.
    """
    match = _BYTE_RANGE.fullmatch(header)
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text:
        if not last_text:
            return None  # "bytes=-" is not a range
        suffix = int(last_text)  # the last N bytes
        if suffix == 0 or size == 0:
            raise UnsatisfiableRange
        return max(0, size - suffix), size - 1
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None  # invalid, so ignored
    if first >= size:
        raise UnsatisfiableRange
    return first, min(int(last_text), size - 1) if last_text else size - 1


class _RangeReader:
    """At most `length` bytes of an open file from its current position, read by FileResponse."""

    def __init__(self, handle: Any, length: int) -> None:
        self._handle = handle
        self._remaining = length

    def read(self, size: int = -1) -> bytes:
        if self._remaining <= 0:
            return b""
        wanted = self._remaining if size < 0 else min(size, self._remaining)
        data: bytes = self._handle.read(wanted)
        self._remaining -= len(data)
        return data

    def close(self) -> None:
        self._handle.close()


def _serve(
    request: HttpRequest,
    field_file: FieldFile,
    *,
    content_type: str,
    filename: str,
    attachment: bool,
    etag: str,
    cache_control: str,
) -> HttpResponseBase:
    """A stored file as 200, or the single byte range asked for as 206 (416 when past the end)."""
    headers = {
        "ETag": etag,
        "Cache-Control": cache_control,
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
    }
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        for name, value in headers.items():
            not_modified[name] = value
        return not_modified
    try:
        handle = field_file.storage.open(str(field_file.name), "rb")
    except FileNotFoundError as error:
        logger.warning("Media file missing from storage: %s", field_file.name)
        raise Http404 from error
    size = handle.size
    byte_range = None
    range_header = request.headers.get("Range")
    # If-Range: the client's copy is still ours (same ETag), so a part of it is enough.
    if range_header and request.headers.get("If-Range", etag).strip() == etag:
        try:
            byte_range = parse_byte_range(range_header, size)
        except UnsatisfiableRange:
            handle.close()
            response: HttpResponseBase = HttpResponse(status=416, content_type="text/plain")
            response["Content-Range"] = f"bytes */{size}"
            for name, value in headers.items():
                response[name] = value
            return response
    if byte_range is None:
        response = FileResponse(handle, content_type=content_type, as_attachment=attachment, filename=filename)
    else:
        first, last = byte_range
        handle.seek(first)
        response = FileResponse(
            _RangeReader(handle, last - first + 1),
            status=206,
            content_type=content_type,
            as_attachment=attachment,
            filename=filename,
        )
        response["Content-Length"] = str(last - first + 1)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response.block_size = _CHUNK_BYTES
    for name, value in headers.items():
        response[name] = value
    return response


@access.workspace_view()
@require_safe
def media_file(request: HttpRequest, membership: Membership, media_id: int) -> HttpResponseBase:
    """The stored file, to members only: pictures and video inline (seekable), subtitles as a download."""
    asset = publishing_access.get_media_for_user(membership, media_id)
    return _serve(
        request,
        asset.file,
        content_type=asset.mime_type,
        filename=asset.original_name,
        attachment=asset.kind == Kind.SUBTITLE,
        etag=f'"{asset.sha256}"',
        cache_control="private, max-age=3600",
    )


@access.workspace_view()
@require_safe
def media_thumbnail(request: HttpRequest, membership: Membership, media_id: int) -> HttpResponseBase:
    """The WebP thumbnail (a picture's, or a video's cover); it changes with a new cover, so revalidate."""
    asset = publishing_access.get_media_for_user(membership, media_id)
    if not asset.thumbnail:
        raise Http404
    version = str(asset.thumbnail.name).rsplit("/", 1)[-1].split(".", 1)[0]
    return _serve(
        request,
        asset.thumbnail,
        content_type="image/webp",
        filename=f"{asset.original_name.rsplit('.', 1)[0]}.webp",
        attachment=False,
        etag=f'"{version}"',
        cache_control="private, no-cache",
    )
