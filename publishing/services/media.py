"""The media library: upload pictures, videos and subtitles, describe them, delete them.

What a file is comes from its content, never from its name or the browser's Content-Type: the
first bytes choose a parser (Pillow, hachoir, srt, webvtt-py) and that parser must accept the
file. The file is stored under the extension of the detected format and served later with the
MIME type recorded here, so a web page or script renamed to .jpg is refused, and nothing stored
can come back as anything other than what was checked.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import unicodedata
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

import srt
import webvtt
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from hachoir.core.log import log as hachoir_log
from hachoir.metadata import extractMetadata
from hachoir.parser.container.mkv import MkvFile
from hachoir.parser.container.mp4 import MP4File
from hachoir.stream import InputIOStream
from PIL import Image, ImageOps
from webvtt.errors import MalformedCaptionError, MalformedFileError

from publishing.models import MediaAsset, Post, PostMedia, Target
from smm.accounts.models import User, Workspace
from smm.lib.images import MAX_PIXELS

logger = logging.getLogger(__name__)

# hachoir writes its complaints about odd files to stderr; we report refusals ourselves.
hachoir_log.use_print = False

Kind = MediaAsset.Kind

IMAGE_MAX_BYTES = 20 * 1024 * 1024
VIDEO_MAX_BYTES = 500 * 1024 * 1024
SUBTITLE_MAX_BYTES = 1 * 1024 * 1024
MAX_BYTES: dict[str, int] = {
    Kind.IMAGE: IMAGE_MAX_BYTES,
    Kind.VIDEO: VIDEO_MAX_BYTES,
    Kind.SUBTITLE: SUBTITLE_MAX_BYTES,
}
# Longest side of the WebP thumbnail shown in the library (2x the 200 CSS px of a grid cell).
THUMBNAIL_SIZE = 400
# Mastodon's limit for a media description, the lowest of the networks smm publishes to.
ALT_TEXT_MAX_LENGTH = 1500
# A subtitle language: a BCP 47 tag such as "fi", "en-GB" or "sv-FI" (the field holds 10 characters).
LANGUAGE_PATTERN = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
# What the library accepts, for the upload page's help text and the file chooser's `accept`.
ACCEPT = "image/jpeg,image/png,image/gif,image/webp,video/mp4,video/quicktime,video/webm,.mp4,.mov,.webm,.srt,.vtt"

_HEAD_BYTES = 4096
_CHUNK_BYTES = 64 * 1024
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True)
class _Format:
    kind: str
    mime_type: str
    extension: str


# Pillow format name -> what we record. Anything else Pillow can read (BMP, TIFF, PSD...) is refused.
_IMAGE_FORMATS = {
    "JPEG": _Format(Kind.IMAGE, "image/jpeg", "jpg"),
    "PNG": _Format(Kind.IMAGE, "image/png", "png"),
    "GIF": _Format(Kind.IMAGE, "image/gif", "gif"),
    "WEBP": _Format(Kind.IMAGE, "image/webp", "webp"),
}
# hachoir's MIME type -> what we record. Plain Matroska (.mkv) is refused: no network takes it.
_VIDEO_FORMATS = {
    "video/mp4": _Format(Kind.VIDEO, "video/mp4", "mp4"),
    "video/quicktime": _Format(Kind.VIDEO, "video/quicktime", "mov"),
    "video/webm": _Format(Kind.VIDEO, "video/webm", "webm"),
}
_SRT = _Format(Kind.SUBTITLE, "application/x-subrip", "srt")
_VTT = _Format(Kind.SUBTITLE, "text/vtt", "vtt")


@dataclass
class _Inspected:
    format: _Format
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None
    thumbnail: bytes | None = None


# Messages --------------------------------------------------------------------------------------
def _unsupported() -> ValidationError:
    return ValidationError(
        _(
            "This type of file is not supported. Upload JPEG, PNG, GIF or WebP pictures, MP4, MOV or WebM "
            "videos, or SRT or VTT subtitles."
        ),
        code="unsupported",
    )


def _too_big(kind: str, limit: int) -> ValidationError:
    messages: dict[str, str] = {
        Kind.IMAGE: _("The picture is too big: pictures can be at most %(limit)s."),
        Kind.VIDEO: _("The file is too big: videos can be at most %(limit)s."),
        Kind.SUBTITLE: _("The subtitle file is too big: subtitles can be at most %(limit)s."),
    }
    return ValidationError(messages[kind] % {"limit": filesizeformat(limit)}, code="too_big")


def _corrupt(kind: str) -> ValidationError:
    messages: dict[str, str] = {
        Kind.IMAGE: _("The picture could not be read. It may be damaged or not really a picture."),
        Kind.VIDEO: _("The video could not be read. It may be damaged or in a format smm does not know."),
        Kind.SUBTITLE: _("The subtitles could not be read. Check that the file is a valid SRT or VTT file."),
    }
    return ValidationError(messages[kind], code="corrupt")


def _too_many_pixels() -> ValidationError:
    return ValidationError(
        _("The picture has too many pixels: at most %(megapixels)d megapixels are allowed.")
        % {"megapixels": MAX_PIXELS // 1_000_000},
        code="too_many_pixels",
    )


# Names and text ----------------------------------------------------------------------------------
def clean_file_name(name: str) -> str:
    """The uploaded file's name made safe to show and store: no folders, control or direction characters."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    # Category C: control characters, and format characters such as the right-to-left override
    # that can make "photo\u202egpj.exe" look like "photoexe.jpg".
    name = "".join(
        " " if character.isspace() else character
        for character in name
        if character.isspace() or not unicodedata.category(character).startswith("C")
    )
    name = " ".join(name.split()).strip(" .")
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        name = f"{stem[: 254 - len(extension)]}.{extension}" if dot and len(extension) <= 16 else name[:255]
    return name or "upload"


def _clean_alt_text(alt_text: str) -> str:
    cleaned = "\n".join(line.rstrip() for line in (alt_text or "").replace("\r\n", "\n").split("\n")).strip()
    if len(cleaned) > ALT_TEXT_MAX_LENGTH:
        raise ValidationError(
            _("Alt text can be at most %(limit)d characters (it has %(count)d).")
            % {"limit": ALT_TEXT_MAX_LENGTH, "count": len(cleaned)},
            code="alt_text_too_long",
        )
    return cleaned


# Detection ---------------------------------------------------------------------------------------
def _sniff(head: bytes) -> str | None:
    """The kind that the first bytes announce (its parser still has to accept the file), or None."""
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")) or (
        head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    ):
        return Kind.IMAGE
    # The first atoms hachoir's MP4/QuickTime parser accepts, and the EBML header of WebM.
    if head[4:8] in (b"ftyp", b"moov", b"free", b"skip") or head.startswith(_EBML_MAGIC):
        return Kind.VIDEO
    text = head.removeprefix(b"\xef\xbb\xbf")
    if text.startswith(b"WEBVTT") or (text.lstrip()[:1].isdigit() and b"-->" in text):
        return Kind.SUBTITLE
    # UTF-16 subtitles, so that the refusal can say how to fix them.
    if text.startswith((b"\xff\xfe", b"\xfe\xff")) and (b"-\x00-\x00>" in text or b"\x00-\x00-\x00>" in text):
        return Kind.SUBTITLE
    return None


def _sha256(file: UploadedFile, limit: int, kind: str) -> tuple[str, int]:
    """The file's SHA-256 and its size, read in chunks; refused as soon as it passes `limit`."""
    digest = hashlib.sha256()
    size = 0
    for chunk in file.chunks(_CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            raise _too_big(kind, limit)
        digest.update(chunk)
    return digest.hexdigest(), size


def _thumbnail(picture: Image.Image) -> bytes:
    """The first frame, upright, shrunk to THUMBNAIL_SIZE and re-encoded as WebP (metadata dropped)."""
    if picture.format == "JPEG":
        # Let the JPEG decoder scale down while decoding: a 24-megapixel photo decodes in a fraction.
        picture.draft(None, (THUMBNAIL_SIZE * 2, THUMBNAIL_SIZE * 2))
    frame = ImageOps.exif_transpose(picture)
    has_alpha = frame.mode in ("RGBA", "LA", "PA") or "transparency" in frame.info
    frame = frame.convert("RGBA" if has_alpha else "RGB")
    frame.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
    output = io.BytesIO()
    frame.save(output, format="WEBP", quality=80, method=4)
    return output.getvalue()


def _inspect_image(file: UploadedFile) -> _Inspected:
    """Decode the picture under the pixel cap, record its upright size and make its thumbnail."""
    file.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(file, formats=list(_IMAGE_FORMATS)) as picture:
                # Checked before any pixel is decoded: a tiny file can declare a gigapixel canvas.
                if picture.width * picture.height > MAX_PIXELS:
                    raise _too_many_pixels()
                image_format = _IMAGE_FORMATS[str(picture.format)]
                width, height = picture.size
                if picture.getexif().get(_EXIF_ORIENTATION) in (5, 6, 7, 8):
                    width, height = height, width  # shown rotated a quarter turn
                thumbnail = _thumbnail(picture)
        except ValidationError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise _too_many_pixels() from error
        except Exception as error:  # Pillow raises many types on hostile input; each means "refuse"
            logger.info("Picture refused: %s: %s", type(error).__name__, error)
            raise _corrupt(Kind.IMAGE) from error
    return _Inspected(image_format, width=width, height=height, thumbnail=thumbnail)


def _metadata_value(metadata: Any, key: str) -> Any:
    """A value from hachoir's metadata, or from its first stream group that has it (WebM keeps sizes there)."""
    if metadata is None:
        return None
    for source in (metadata, *getattr(metadata, "iterGroups", lambda: ())()):
        if source.has(key):
            return source.get(key)
    return None


def _inspect_video(file: UploadedFile, head: bytes) -> _Inspected:
    """Parse the container's headers with hachoir for the picture size and the duration."""
    file.seek(0)
    parser_class = MkvFile if head.startswith(_EBML_MAGIC) else MP4File
    try:
        parser = parser_class(InputIOStream(file, source="upload", tags=[]), validate=True)
        mime_type = parser.mime_type
        metadata = extractMetadata(parser)
        width = _metadata_value(metadata, "width")
        height = _metadata_value(metadata, "height")
        duration = _metadata_value(metadata, "duration")
    except Exception as error:  # hachoir raises many types on hostile input; each means "refuse"
        logger.info("Video refused: %s: %s", type(error).__name__, error)
        raise _corrupt(Kind.VIDEO) from error
    video_format = _VIDEO_FORMATS.get(mime_type)
    if video_format is None:
        raise ValidationError(
            _("This kind of video is not supported. Upload an MP4, MOV or WebM video."), code="unsupported"
        )
    if not width or not height:
        raise ValidationError(
            _("The file has no picture track. Upload a video, not only sound."), code="no_video_track"
        )
    seconds = duration.total_seconds() if isinstance(duration, timedelta) else None
    return _Inspected(video_format, width=int(width), height=int(height), duration_seconds=seconds)


def _inspect_subtitle(data: bytes) -> _Inspected:
    """Decode UTF-8 and parse every cue: a VTT file by its WEBVTT header, anything else as SRT."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError(
            _("Subtitles must be saved as UTF-8 text. Open the file in a text editor and save it as UTF-8."),
            code="encoding",
        ) from error
    first_line = text.split("\n", 1)[0].rstrip("\r")
    is_vtt = first_line == "WEBVTT" or first_line.startswith(("WEBVTT ", "WEBVTT\t"))
    try:
        if "\x00" in text:
            raise ValueError("NUL character in text")
        cues = len(webvtt.from_string(text, strict=True).captions) if is_vtt else len(list(srt.parse(text)))
    except (srt.SRTParseError, MalformedFileError, MalformedCaptionError, ValueError) as error:
        logger.info("Subtitles refused: %s: %s", type(error).__name__, error)
        raise _corrupt(Kind.SUBTITLE) from error
    if not cues:
        raise ValidationError(_("The subtitle file has no subtitles in it."), code="empty")
    return _Inspected(_VTT if is_vtt else _SRT)


def _check_subtitle_target(*, workspace: Workspace, video: MediaAsset | None, language: str) -> None:
    if video is None:
        raise ValidationError(
            _("Subtitles belong to a video: choose the video these subtitles are for."), code="no_video"
        )
    if video.workspace_id != workspace.pk or video.kind != Kind.VIDEO:
        raise ValidationError(_("Subtitles can only be added to a video of this workspace."), code="bad_video")
    if language and not LANGUAGE_PATTERN.fullmatch(language):
        raise ValidationError(
            _("Give the language as a code such as “fi”, “en” or “sv-FI”, or leave it empty."), code="language"
        )
    if language and MediaAsset.objects.filter(video=video, language__iexact=language).exists():
        raise ValidationError(
            _("The video already has subtitles in “%(language)s”. Delete them first to upload new ones.")
            % {"language": language},
            code="duplicate_language",
        )


# Storage -----------------------------------------------------------------------------------------
def _delete_files(storage: Storage, names: Iterable[str]) -> None:
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("Could not delete media file %s", name, exc_info=True)


def _store(asset: MediaAsset, file: UploadedFile, inspected: _Inspected) -> MediaAsset:
    """Write the file (and thumbnail) to storage and the row to the database, or neither."""
    storage = asset.file.storage
    written: list[str] = []
    try:
        with transaction.atomic():
            file.seek(0)
            asset.file.save(f"upload.{inspected.format.extension}", file, save=False)
            written.append(str(asset.file.name))
            if inspected.thumbnail:
                asset.thumbnail.save("thumbnail.webp", ContentFile(inspected.thumbnail), save=False)
                written.append(str(asset.thumbnail.name))
            asset.full_clean()
            asset.save()
    except BaseException:
        # Files are not transactional. (A rollback of an outer transaction after we return still
        # leaves the files behind; only the upload view calls this, outside any transaction.)
        _delete_files(storage, written)
        raise
    return asset


# Services ----------------------------------------------------------------------------------------
def media_upload(
    *,
    workspace: Workspace,
    uploaded_by: User | None,
    file: UploadedFile,
    alt_text: str = "",
    video: MediaAsset | None = None,
    language: str = "",
) -> MediaAsset:
    """Check one uploaded file and add it to the library; ValidationError says why a file is refused.

    `alt_text` is for pictures and videos, `video` and `language` are for subtitles; each is
    ignored for the other kinds, so one form can upload a mixed batch.
    """
    name = clean_file_name(file.name or "")
    if file.size is not None and file.size > VIDEO_MAX_BYTES:
        raise _too_big(Kind.VIDEO, VIDEO_MAX_BYTES)
    file.seek(0)
    head = file.read(_HEAD_BYTES)
    if not head:
        raise ValidationError(_("The file is empty."), code="empty")
    kind = _sniff(head)
    if kind is None:
        raise _unsupported()
    limit = MAX_BYTES[kind]
    if file.size is not None and file.size > limit:
        raise _too_big(kind, limit)
    sha256, size = _sha256(file, limit, kind)

    language = (language or "").strip()
    if kind == Kind.SUBTITLE:
        _check_subtitle_target(workspace=workspace, video=video, language=language)
        file.seek(0)
        inspected = _inspect_subtitle(file.read())
        alt_text = ""
    else:
        inspected = _inspect_image(file) if kind == Kind.IMAGE else _inspect_video(file, head)
        alt_text = _clean_alt_text(alt_text)
        video, language = None, ""

    asset = MediaAsset(
        workspace=workspace,
        kind=inspected.format.kind,
        original_name=name,
        mime_type=inspected.format.mime_type,
        size_bytes=size,
        sha256=sha256,
        width=inspected.width,
        height=inspected.height,
        duration_seconds=inspected.duration_seconds,
        alt_text=alt_text,
        video=video,
        language=language,
        uploaded_by=uploaded_by,
    )
    return _store(asset, file, inspected)


def media_update_alt_text(*, asset: MediaAsset, alt_text: str) -> bool:
    """Set the description of a picture or video; returns whether it changed."""
    if asset.kind == Kind.SUBTITLE:
        raise ValidationError(_("Subtitles have no alt text."), code="subtitle")
    cleaned = _clean_alt_text(alt_text)
    if cleaned == asset.alt_text:
        return False
    asset.alt_text = cleaned
    asset.full_clean()
    asset.save(update_fields=["alt_text"])
    return True


def media_set_thumbnail(*, asset: MediaAsset, file: UploadedFile) -> MediaAsset:
    """Make `file` (a picture) the cover of a video; the previous cover is deleted after commit."""
    if asset.kind != Kind.VIDEO:
        raise ValidationError(_("Only videos have a cover picture."), code="not_video")
    if file.size is not None and file.size > IMAGE_MAX_BYTES:
        raise _too_big(Kind.IMAGE, IMAGE_MAX_BYTES)
    file.seek(0)
    if _sniff(file.read(_HEAD_BYTES)) != Kind.IMAGE:
        raise ValidationError(_("The cover must be a JPEG, PNG, GIF or WebP picture."), code="unsupported")
    _sha256(file, IMAGE_MAX_BYTES, Kind.IMAGE)  # refuses a file larger than it said it was
    thumbnail = _inspect_image(file).thumbnail or b""
    storage = asset.thumbnail.storage
    written: list[str] = []
    try:
        with transaction.atomic():
            locked = MediaAsset.objects.select_for_update().get(pk=asset.pk)
            previous = locked.thumbnail.name
            locked.thumbnail.save("thumbnail.webp", ContentFile(thumbnail), save=False)
            written.append(str(locked.thumbnail.name))
            locked.save(update_fields=["thumbnail"])
            if previous:
                transaction.on_commit(partial(_delete_files, storage, [previous]))
    except BaseException:
        _delete_files(storage, written)
        raise
    asset.thumbnail = locked.thumbnail
    return asset


# A post whose targets are all drafts or cancelled has not gone out and will not: the file may be
# taken out of it. Any other state (scheduled, held, publishing, unconfirmed — Target.OPEN —,
# published, failed, needs attention, or a review state added later) keeps the file.
_FREE_STATUSES = (Target.Status.DRAFT, Target.Status.CANCELLED)


def media_posts_holding(*, asset: MediaAsset) -> list[Post]:
    """The posts that keep `asset` (or, for subtitles, their video) from being deleted."""
    holder = asset.video_id if asset.kind == Kind.SUBTITLE else asset.pk
    if holder is None:
        return []
    return list(
        Post.objects.filter(media=holder)
        .filter(targets__in=Target.objects.exclude(status__in=_FREE_STATUSES))
        .distinct()
        .order_by("-created_at")
    )


def media_delete(*, asset: MediaAsset) -> None:
    """Delete the file (a video with its subtitles) unless a post that is not a draft uses it.

    Drafts and cancelled posts that use it lose it. Files leave storage after commit.
    """
    with transaction.atomic():
        locked = MediaAsset.objects.select_for_update().filter(pk=asset.pk).first()
        if locked is None:
            return
        holder = locked.video_id if locked.kind == Kind.SUBTITLE else locked.pk
        # Lock the targets of the posts that use it, so none is scheduled between the check and
        # the delete. (No new post can take the file meanwhile: that insert waits for our row lock.)
        targets = Target.objects.select_for_update(of=("self",)).filter(post__media=holder)
        statuses = list(targets.values_list("status", flat=True)) if holder is not None else []
        if any(status not in _FREE_STATUSES for status in statuses):
            if locked.kind == Kind.SUBTITLE:
                message = _(
                    "These subtitles belong to a video used by a post that is scheduled or has been published, "
                    "so they cannot be deleted. Cancel the post first."
                )
            else:
                message = _(
                    "“%(name)s” is used by a post that is scheduled or has been published, so it cannot be "
                    "deleted. Cancel the post or take the file out of it first."
                ) % {"name": locked.original_name}
            raise ValidationError(message, code="in_use")
        family = [locked, *locked.subtitles.all()]
        names = [field.name for member in family for field in (member.file, member.thumbnail) if field.name]
        PostMedia.objects.filter(asset__in=family).delete()
        locked.delete()
        transaction.on_commit(partial(_delete_files, locked.file.storage, names))
