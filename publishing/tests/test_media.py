"""The media library: what a file is comes from its content; members only; videos can seek."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from publishing.models import MediaAsset, Post, PostMedia, Target
from publishing.services import media as services
from publishing.views.media import human_duration, parse_byte_range
from tests.fixtures import Personas

Kind = MediaAsset.Kind


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


# Test files --------------------------------------------------------------------------------------
def picture(image_format: str = "PNG", size: tuple[int, int] = (300, 200), mode: str = "RGB", **options) -> bytes:
    output = io.BytesIO()
    Image.new(mode, size, "teal").save(output, format=image_format, **options)
    return output.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _full_box(kind: bytes, payload: bytes, flags: int = 0) -> bytes:
    return _box(kind, struct.pack(">I", flags) + payload)  # version 0


_UNITY_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def mp4(width: int = 640, height: int = 360, seconds: float = 2.5, brand: bytes = b"isom") -> bytes:
    """A minimal MP4/QuickTime file: ftyp, and moov with mvhd and one video trak (tkhd, mdia: mdhd, hdlr)."""
    timescale, duration = 1000, int(seconds * 1000)
    ftyp = _box(b"ftyp", brand + struct.pack(">I", 0x200) + brand)  # major brand, version, compatible brands
    mvhd = _full_box(
        b"mvhd",
        struct.pack(">IIII", 0, 0, timescale, duration)  # created, modified, time scale, duration
        + struct.pack(">IH", 0x10000, 0x100)  # rate 1.0, volume 1.0
        + b"\0" * 10
        + _UNITY_MATRIX
        + b"\0" * 24  # pre-defined
        + struct.pack(">I", 2),  # next track id
    )
    tkhd = _full_box(
        b"tkhd",
        struct.pack(">IIIII", 0, 0, 1, 0, duration)  # created, modified, track id, reserved, duration
        + b"\0" * 8
        + struct.pack(">hhhH", 0, 0, 0, 0)  # layer, alternate group, volume, reserved
        + _UNITY_MATRIX
        + struct.pack(">II", width << 16, height << 16),  # 16.16 fixed point
        flags=3,  # enabled, in movie
    )
    mdhd = _full_box(b"mdhd", struct.pack(">IIII", 0, 0, timescale, duration) + struct.pack(">HH", 0x55C4, 0))
    hdlr = _full_box(b"hdlr", struct.pack(">I", 0) + b"vide" + b"\0" * 12 + b"VideoHandler\0")
    trak = _box(b"trak", tkhd + _box(b"mdia", mdhd + hdlr))
    return ftyp + _box(b"moov", mvhd + trak)


def _ebml(element_id: int, payload: bytes) -> bytes:
    size = (0x01 << 56 | len(payload)).to_bytes(8, "big")  # an 8-byte size
    return element_id.to_bytes((element_id.bit_length() + 7) // 8, "big") + size + payload


def _ebml_uint(element_id: int, value: int) -> bytes:
    return _ebml(element_id, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def webm(width: int = 320, height: int = 240, seconds: float = 1.5, doctype: bytes = b"webm") -> bytes:
    """A minimal WebM: the EBML header, and a segment with Info (duration) and one video track."""
    header = _ebml(
        0x1A45DFA3,
        _ebml_uint(0x4286, 1)
        + _ebml_uint(0x42F7, 1)
        + _ebml_uint(0x42F2, 4)
        + _ebml_uint(0x42F3, 8)
        + _ebml(0x4282, doctype)
        + _ebml_uint(0x4287, 2)
        + _ebml_uint(0x4285, 2),
    )
    info = _ebml(0x1549A966, _ebml_uint(0x2AD7B1, 1_000_000) + _ebml(0x4489, struct.pack(">d", seconds * 1000)))
    video = _ebml(0xE0, _ebml_uint(0xB0, width) + _ebml_uint(0xBA, height))
    track = _ebml(
        0xAE, _ebml_uint(0xD7, 1) + _ebml_uint(0x73C5, 1) + _ebml_uint(0x83, 1) + _ebml(0x86, b"V_VP8") + video
    )
    return header + _ebml(0x18538067, info + _ebml(0x1654AE6B, track))


SRT = "1\n00:00:01,000 --> 00:00:02,000\nHei maailma\n\n2\n00:00:03,000 --> 00:00:04,500\nToinen rivi: ääkköset\n"
VTT = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello world\n"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a canvas of width × height but carries (almost) no pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def upload(name: str, data: bytes | str, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data.encode() if isinstance(data, str) else data, content_type)


def add(personas: Personas, name: str, data: bytes | str, **kwargs) -> MediaAsset:
    return services.media_upload(
        workspace=personas.workspace, uploaded_by=personas.editor, file=upload(name, data), **kwargs
    )


def refused(personas: Personas, name: str, data: bytes | str, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        add(personas, name, data, **kwargs)
    return caught.value


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def use_in_post(personas: Personas, asset: MediaAsset, status: str) -> Post:
    """A post with `asset` and one target in `status` (built directly: only the statuses matter here)."""
    post = Post.objects.create(workspace=personas.workspace, author=personas.editor, text=f"A {status} post")
    PostMedia.objects.create(post=post, asset=asset)
    now = timezone.now()
    times = {"scheduled_at": now, "due_at": now} if status != Target.Status.DRAFT else {}
    remote = {"remote_id": "1"} if status == Target.Status.PUBLISHED else {}
    Target.objects.create(post=post, account=personas.account, status=status, **times, **remote)
    return post


# Detecting and checking --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("image_format", "mime_type", "extension"),
    [
        ("JPEG", "image/jpeg", "jpg"),
        ("PNG", "image/png", "png"),
        ("GIF", "image/gif", "gif"),
        ("WEBP", "image/webp", "webp"),
    ],
)
def test_it_detects_each_picture_format(
    personas: Personas, media_root: Path, image_format: str, mime_type: str, extension: str
) -> None:
    data = picture(image_format, size=(1200, 800))
    # The name says PDF: the content decides.
    asset = add(personas, "holiday.pdf", data, alt_text="  A teal square \r\n")
    asset.refresh_from_db()
    assert (asset.kind, asset.mime_type, asset.width, asset.height) == (Kind.IMAGE, mime_type, 1200, 800)
    assert asset.sha256 == hashlib.sha256(data).hexdigest()
    assert asset.size_bytes == len(data)
    assert asset.original_name == "holiday.pdf"
    assert asset.alt_text == "A teal square"
    assert asset.uploaded_by == personas.editor
    assert str(asset.file.name).startswith(f"media/{personas.workspace.pk}/")
    assert str(asset.file.name).endswith(f".{extension}")
    assert (media_root / str(asset.file.name)).read_bytes() == data
    with Image.open(media_root / str(asset.thumbnail.name)) as thumbnail:
        assert thumbnail.format == "WEBP"
        assert max(thumbnail.size) == services.THUMBNAIL_SIZE
        assert thumbnail.size == (400, 267)


def test_it_records_the_upright_size_of_a_rotated_photo(personas: Personas, media_root: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # taken with the phone on its side
    asset = add(personas, "phone.jpg", picture("JPEG", size=(300, 200), exif=exif.tobytes()))
    assert (asset.width, asset.height) == (200, 300)
    with Image.open(media_root / str(asset.thumbnail.name)) as thumbnail:
        assert thumbnail.size == (200, 300)


@pytest.mark.parametrize(
    ("data", "mime_type", "size", "seconds"),
    [
        (mp4(640, 360, 2.5), "video/mp4", (640, 360), 2.5),
        (mp4(1080, 1920, 12, brand=b"qt  "), "video/quicktime", (1080, 1920), 12.0),
        (webm(320, 240, 1.5), "video/webm", (320, 240), 1.5),
    ],
)
def test_it_reads_videos_with_hachoir(
    personas: Personas, data: bytes, mime_type: str, size: tuple[int, int], seconds: float
) -> None:
    asset = add(personas, "clip.bin", data)
    assert (asset.kind, asset.mime_type) == (Kind.VIDEO, mime_type)
    assert (asset.width, asset.height) == size
    assert asset.duration_seconds == pytest.approx(seconds)
    assert not asset.thumbnail  # until someone sets a cover
    assert str(asset.file.name).endswith(
        {"video/mp4": ".mp4", "video/quicktime": ".mov", "video/webm": ".webm"}[mime_type]
    )


def test_it_refuses_videos_it_cannot_use(personas: Personas) -> None:
    assert refused(personas, "film.mkv", webm(doctype=b"matroska")).code == "unsupported"
    assert refused(personas, "song.m4a", mp4(0, 0)).code == "no_video_track"
    assert refused(personas, "broken.mp4", b"\0\0\0\x20ftypisom" + b"\xff" * 40).code in ("corrupt", "no_video_track")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("drawing.svg", SVG),
        ("drawing.png", SVG),  # an SVG that claims to be a PNG
        ("page.html", HTML),
        ("page.jpg", HTML),
        ("picture.bmp", picture("BMP")),
        ("scan.tiff", picture("TIFF")),
        ("notes.txt", "Just some text\n"),
        ("archive.zip", b"PK\x03\x04" + b"\0" * 100),
    ],
)
def test_it_refuses_anything_else(personas: Personas, media_root: Path, name: str, data: bytes | str) -> None:
    error = refused(personas, name, data)
    assert error.code == "unsupported"
    assert "not supported" in error.messages[0]
    assert stored_files(media_root) == []
    assert not MediaAsset.objects.exists()


def test_it_refuses_html_even_as_subtitles_of_a_video(personas: Personas) -> None:
    video = add(personas, "clip.mp4", mp4())
    assert refused(personas, "subs.srt", HTML, video=video).code == "unsupported"


def test_it_refuses_files_over_the_limit_of_their_kind(personas: Personas, media_root: Path, monkeypatch) -> None:
    big_picture = b"\x89PNG\r\n\x1a\n" + b"\0" * services.IMAGE_MAX_BYTES
    error = refused(personas, "huge.png", big_picture)
    assert error.code == "too_big"
    assert error.messages[0].startswith("The picture is too big: pictures can be at most 20.0")

    video = add(personas, "clip.mp4", mp4())
    big_subtitles = SRT + "\n".join(f"{n}\n00:00:05,000 --> 00:00:06,000\n{'x' * 60}\n" for n in range(3, 20000))
    assert len(big_subtitles) > services.SUBTITLE_MAX_BYTES
    assert refused(personas, "long.srt", big_subtitles, video=video).code == "too_big"

    monkeypatch.setitem(services.MAX_BYTES, Kind.VIDEO, 100)
    assert refused(personas, "long.mp4", mp4()).code == "too_big"
    assert [path.suffix for path in stored_files(media_root)] == [".mp4"]  # only the first video


def test_it_refuses_decompression_bombs(personas: Personas, media_root: Path) -> None:
    # Over our cap (25 megapixels) and over twice Pillow's own (89 megapixels), in files of a few bytes.
    for width, height in ((6000, 6000), (100_000, 100_000)):
        error = refused(personas, "bomb.png", png_header_only(width, height))
        assert error.code == "too_many_pixels"
        assert "25 megapixels" in error.messages[0]
    assert stored_files(media_root) == []


def test_it_refuses_damaged_pictures(personas: Personas) -> None:
    data = picture("JPEG", size=(800, 600))
    assert refused(personas, "cut.jpg", data[: len(data) // 2]).code == "corrupt"
    assert refused(personas, "noise.png", b"\x89PNG\r\n\x1a\n" + b"\x17" * 300).code == "corrupt"
    assert refused(personas, "empty.png", b"").code in ("empty", "unsupported")


def test_it_parses_subtitles_and_attaches_them_to_a_video(personas: Personas) -> None:
    video = add(personas, "clip.mp4", mp4())
    srt_asset = add(personas, "fi.srt", SRT, video=video, language="fi", alt_text="ignored")
    vtt_asset = add(personas, "en.txt", VTT.encode("utf-8-sig"), video=video, language="en")
    assert (srt_asset.kind, srt_asset.mime_type, srt_asset.language) == (Kind.SUBTITLE, "application/x-subrip", "fi")
    assert (vtt_asset.kind, vtt_asset.mime_type, vtt_asset.language) == (Kind.SUBTITLE, "text/vtt", "en")
    assert str(vtt_asset.file.name).endswith(".vtt")
    assert srt_asset.alt_text == ""
    assert set(video.subtitles.all()) == {srt_asset, vtt_asset}


def test_it_explains_what_is_wrong_with_subtitles(personas: Personas) -> None:
    video = add(personas, "clip.mp4", mp4())
    picture_asset = add(personas, "photo.png", picture())
    other_video = services.media_upload(
        workspace=personas.other_workspace, uploaded_by=personas.outsider, file=upload("theirs.mp4", mp4())
    )
    assert refused(personas, "fi.srt", SRT).code == "no_video"
    assert refused(personas, "fi.srt", SRT, video=other_video).code == "bad_video"
    assert refused(personas, "fi.srt", SRT, video=picture_asset).code == "bad_video"
    assert refused(personas, "fi.srt", SRT.encode("latin-1"), video=video).code == "encoding"
    assert refused(personas, "fi.srt", SRT.encode("utf-16"), video=video).code == "encoding"
    assert refused(personas, "bad.vtt", "WEBVTT\n\n00:00:01.000 --> 00:0x:02.000\nHi\n", video=video).code == "corrupt"
    assert refused(personas, "bad.srt", "1\n00:00:01,000 --> soon\nHi\n", video=video).code == "corrupt"
    assert refused(personas, "none.vtt", "WEBVTT\n\nNOTE nothing here\n", video=video).code == "empty"
    assert refused(personas, "fi.srt", SRT, video=video, language="Finnish!").code == "language"
    add(personas, "fi.srt", SRT, video=video, language="fi")
    assert refused(personas, "fi-2.srt", SRT, video=video, language="FI").code == "duplicate_language"


def test_it_cleans_file_names() -> None:
    assert services.clean_file_name("../../etc/passwd") == "passwd"
    assert services.clean_file_name("C:\\Users\\me\\kuva.JPG") == "kuva.JPG"
    assert services.clean_file_name("photo\u202egpj.exe") == "photogpj.exe"
    assert services.clean_file_name("  two\tspaces\n.png ") == "two spaces .png"
    assert services.clean_file_name("") == "upload"
    long_name = services.clean_file_name("x" * 400 + ".jpeg")
    assert (len(long_name), long_name[-5:]) == (255, ".jpeg")


# Changing and deleting ---------------------------------------------------------------------------
def test_it_updates_alt_text(personas: Personas) -> None:
    asset = add(personas, "photo.png", picture())
    assert services.media_update_alt_text(asset=asset, alt_text=" A dog on a beach \n") is True
    asset.refresh_from_db()
    assert asset.alt_text == "A dog on a beach"
    assert services.media_update_alt_text(asset=asset, alt_text="A dog on a beach") is False
    with pytest.raises(ValidationError, match="at most 1500 characters"):
        services.media_update_alt_text(asset=asset, alt_text="x" * 1501)
    video = add(personas, "clip.mp4", mp4())
    subtitles = add(personas, "fi.srt", SRT, video=video)
    with pytest.raises(ValidationError):
        services.media_update_alt_text(asset=subtitles, alt_text="Subtitles")


def test_it_sets_a_video_cover_and_removes_the_old_one(
    personas: Personas, media_root: Path, django_capture_on_commit_callbacks
) -> None:
    video = add(personas, "clip.mp4", mp4())
    services.media_set_thumbnail(asset=video, file=upload("cover.png", picture(size=(1920, 1080))))
    first = str(video.thumbnail.name)
    assert (media_root / first).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.media_set_thumbnail(asset=video, file=upload("cover.jpg", picture("JPEG")))
    video.refresh_from_db()
    assert video.thumbnail.name != first
    assert not (media_root / first).exists()
    with Image.open(media_root / str(video.thumbnail.name)) as thumbnail:
        assert thumbnail.format == "WEBP"
    with pytest.raises(ValidationError):
        services.media_set_thumbnail(asset=video, file=upload("cover.svg", SVG))
    photo = add(personas, "photo.png", picture())
    with pytest.raises(ValidationError):
        services.media_set_thumbnail(asset=photo, file=upload("cover.png", picture()))


@pytest.mark.parametrize(
    "status",
    [
        Target.Status.SCHEDULED,
        Target.Status.HELD,
        Target.Status.PUBLISHING,
        Target.Status.PUBLISHED,
        Target.Status.FAILED,
    ],
)
def test_it_keeps_a_file_that_a_live_or_published_post_uses(
    personas: Personas, media_root: Path, status: str, django_capture_on_commit_callbacks
) -> None:
    asset = add(personas, "photo.png", picture())
    video = add(personas, "clip.mp4", mp4())
    subtitles = add(personas, "fi.srt", SRT, video=video)
    use_in_post(personas, asset, status)
    use_in_post(personas, video, status)
    with django_capture_on_commit_callbacks(execute=True):
        for held in (asset, video, subtitles):
            with pytest.raises(ValidationError) as caught:
                services.media_delete(asset=held)
            assert caught.value.code == "in_use"
    assert MediaAsset.objects.count() == 3
    assert len(stored_files(media_root)) == 4  # three files and the picture's thumbnail
    assert services.media_posts_holding(asset=subtitles)[0].text == f"A {status} post"


def test_deleting_takes_the_file_out_of_drafts_and_removes_it_after_commit(
    personas: Personas, media_root: Path, django_capture_on_commit_callbacks
) -> None:
    video = add(personas, "clip.mp4", mp4())
    add(personas, "fi.srt", SRT, video=video)
    services.media_set_thumbnail(asset=video, file=upload("cover.png", picture()))
    draft = use_in_post(personas, video, Target.Status.DRAFT)
    cancelled = use_in_post(personas, video, Target.Status.CANCELLED)
    assert len(stored_files(media_root)) == 3
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.media_delete(asset=video)
    assert len(stored_files(media_root)) == 3  # nothing leaves storage before the commit
    for callback in callbacks:
        callback()
    assert stored_files(media_root) == []
    assert not MediaAsset.objects.exists()
    assert not PostMedia.objects.filter(post__in=[draft, cancelled]).exists()
    assert Post.objects.filter(pk__in=[draft.pk, cancelled.pk]).count() == 2


def test_human_duration() -> None:
    assert [human_duration(value) for value in (None, 0.4, 2.5, 65, 3725)] == ["", "0:00", "0:03", "1:05", "1:02:05"]


# Pages -------------------------------------------------------------------------------------------
def _url(name: str, personas: Personas, *args: object) -> str:
    return reverse(f"publishing:{name}", args=[personas.workspace.slug, *args])


def test_uploading_leads_to_the_detail_page_with_the_metadata(client, personas: Personas) -> None:
    client.force_login(personas.contributor)
    response = client.post(
        _url("media-upload", personas),
        {"file": [upload("Beach photo.png", picture(size=(1200, 800)))], "alt_text": "Waves on a beach"},
    )
    asset = MediaAsset.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("media-detail", personas, asset.pk)
    page = client.get(response["Location"]).content.decode()
    assert "Beach photo.png" in page
    assert "1200 × 800 pixels" in page
    assert "image/png" in page
    assert 'alt="Waves on a beach"' in page
    assert _url("media-file", personas, asset.pk) in page
    assert asset.sha256 in page


def test_uploading_several_files_and_finding_them(client, personas: Personas) -> None:
    client.force_login(personas.editor)
    response = client.post(
        _url("media-upload", personas),
        {"file": [upload("one.png", picture()), upload("two.jpg", picture("JPEG")), upload("clip.mp4", mp4())]},
    )
    assert (response.status_code, response["Location"]) == (302, _url("media", personas))
    page = client.get(_url("media", personas)).content.decode()
    assert all(name in page for name in ("one.png", "two.jpg", "clip.mp4"))
    assert "3 files" in page
    assert "0:03" in page  # the video's length

    videos = client.get(_url("media", personas), {"kind": "video"}).content.decode()
    assert "clip.mp4" in videos and "one.png" not in videos
    found = client.get(_url("media", personas), {"q": "TWO"}, headers={"HX-Request": "true"})
    fragment = found.content.decode()
    assert "two.jpg" in fragment and "one.png" not in fragment
    assert "<html" not in fragment  # htmx gets the results only
    assert "HX-Request" in found["Vary"]


def test_the_library_pages_by_24(client, personas: Personas, django_assert_max_num_queries) -> None:
    for n in range(25):
        add(personas, f"photo{n:02}.png", picture(size=(8, 8)))
    client.force_login(personas.viewer)
    with django_assert_max_num_queries(12):
        first = client.get(_url("media", personas)).content.decode()
    assert "photo24.png" in first and "photo00.png" not in first
    assert "Page 1 of 2" in first
    assert "photo00.png" in client.get(_url("media", personas), {"page": 2}).content.decode()


def test_a_refused_file_is_explained_on_the_form(client, personas: Personas, media_root: Path) -> None:
    client.force_login(personas.editor)
    response = client.post(
        _url("media-upload", personas),
        {"file": [upload("logo.svg", SVG, "image/svg+xml"), upload("ok.png", picture())]},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "logo.svg: This type of file is not supported." in page
    assert "1 file was uploaded." in page
    assert list(MediaAsset.objects.values_list("original_name", flat=True)) == ["ok.png"]


def test_subtitles_are_added_on_the_video_page(client, personas: Personas) -> None:
    video = add(personas, "clip.mp4", mp4())
    client.force_login(personas.editor)
    page = client.get(_url("media-detail", personas, video.pk)).content.decode()
    assert "<video" in page and "Add subtitles" in page
    response = client.post(
        _url("media-upload", personas), {"file": upload("en.vtt", VTT), "language": "en", "video": video.pk}
    )
    assert response["Location"] == _url("media-detail", personas, video.pk) + "#subtitles"
    page = client.get(response["Location"]).content.decode()
    subtitles = video.subtitles.get()
    assert "en.vtt" in page
    assert f'<track kind="subtitles" src="{_url("media-file", personas, subtitles.pk)}" srclang="en"' in page


def test_alt_text_is_saved_without_javascript(client, personas: Personas) -> None:
    asset = add(personas, "photo.png", picture())
    client.force_login(personas.contributor)
    response = client.post(_url("media-alt-text", personas, asset.pk), {"alt_text": "A red kite"})
    assert (response.status_code, response["Location"]) == (302, _url("media-detail", personas, asset.pk))
    asset.refresh_from_db()
    assert asset.alt_text == "A red kite"
    response = client.post(_url("media-alt-text", personas, asset.pk), {"alt_text": "x" * 1501})
    assert response.status_code == 400
    assert "<html" in response.content.decode()
    asset.refresh_from_db()
    assert asset.alt_text == "A red kite"


def test_alt_text_is_saved_with_htmx(client, personas: Personas) -> None:
    asset = add(personas, "photo.png", picture())
    client.force_login(personas.editor)
    url = _url("media-alt-text", personas, asset.pk)
    response = client.post(url, {"alt_text": "A red kite"}, headers={"HX-Request": "true"})
    fragment = response.content.decode()
    assert response.status_code == 200
    assert fragment.startswith('<div id="alt-text">')
    assert "Saved" in fragment and "A red kite" in fragment and "<html" not in fragment
    asset.refresh_from_db()
    assert asset.alt_text == "A red kite"
    response = client.post(url, {"alt_text": "x" * 1501}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "Saved" not in response.content.decode()


def test_a_viewer_sees_the_file_but_no_forms(client, personas: Personas) -> None:
    asset = add(personas, "photo.png", picture(), alt_text="A red kite")
    client.force_login(personas.viewer)
    page = client.get(_url("media-detail", personas, asset.pk)).content.decode()
    assert "A red kite" in page
    assert _url("media-alt-text", personas, asset.pk) not in page
    assert _url("media-delete", personas, asset.pk) not in page
    assert client.post(_url("media-alt-text", personas, asset.pk), {"alt_text": "x"}).status_code == 403


def test_upload_times_are_shown_in_the_users_time_zone(client, personas: Personas) -> None:
    asset = add(personas, "photo.png", picture())
    MediaAsset.objects.filter(pk=asset.pk).update(created_at=datetime(2030, 1, 15, 12, 0, tzinfo=UTC))
    personas.viewer.timezone = "Europe/Helsinki"
    personas.viewer.save(update_fields=["timezone"])
    client.force_login(personas.viewer)
    page = client.get(_url("media-detail", personas, asset.pk)).content.decode()
    assert '<time datetime="2030-01-15T14:00:00+0200">' in page


def test_deleting_asks_first_and_then_deletes(client, personas: Personas, django_capture_on_commit_callbacks) -> None:
    asset = add(personas, "photo.png", picture())
    use_in_post(personas, asset, Target.Status.DRAFT)
    client.force_login(personas.editor)
    page = client.get(_url("media-delete", personas, asset.pk)).content.decode()
    assert "It is also taken out of this unpublished post" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("media-delete", personas, asset.pk))
    assert (response.status_code, response["Location"]) == (302, _url("media", personas))
    assert not MediaAsset.objects.exists()


def test_deleting_a_file_in_use_is_refused_with_a_reason(client, personas: Personas) -> None:
    asset = add(personas, "photo.png", picture())
    use_in_post(personas, asset, Target.Status.SCHEDULED)
    client.force_login(personas.editor)
    page = client.get(_url("media-delete", personas, asset.pk)).content.decode()
    assert "cannot be deleted" in page and "A scheduled post" in page
    assert 'type="submit" class="btn btn-danger"' not in page
    response = client.post(_url("media-delete", personas, asset.pk), follow=True)
    assert response.redirect_chain[-1][0] == _url("media-detail", personas, asset.pk)
    assert "“photo.png” is used by a post that is scheduled or has been published" in response.content.decode()
    assert MediaAsset.objects.filter(pk=asset.pk).exists()


# Serving files -----------------------------------------------------------------------------------
def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_files_are_served_with_their_checked_type(client, personas: Personas) -> None:
    data = picture()
    asset = add(personas, "photo.png", data)
    video = add(personas, "clip.mp4", mp4())
    subtitles = add(personas, "fi.srt", SRT, video=video)
    client.force_login(personas.viewer)

    response = client.get(_url("media-file", personas, asset.pk))
    assert response.status_code == 200
    assert _body(response) == data
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'inline; filename="photo.png"'
    assert response["Content-Length"] == str(len(data))
    assert response["Accept-Ranges"] == "bytes"
    assert response["ETag"] == f'"{asset.sha256}"'
    again = client.get(_url("media-file", personas, asset.pk), headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304

    response = client.get(_url("media-file", personas, subtitles.pk))
    assert response["Content-Type"] == "application/x-subrip"
    assert response["Content-Disposition"] == 'attachment; filename="fi.srt"'
    assert _body(response).decode() == SRT

    thumbnail = client.get(_url("media-thumbnail", personas, asset.pk))
    assert (thumbnail.status_code, thumbnail["Content-Type"]) == (200, "image/webp")
    assert _body(thumbnail)[8:12] == b"WEBP"
    assert client.get(_url("media-thumbnail", personas, video.pk)).status_code == 404  # no cover yet


def test_video_can_seek_with_range_requests(client, personas: Personas) -> None:
    data = mp4()
    video = add(personas, "clip.mp4", data)
    client.force_login(personas.viewer)
    url, size = _url("media-file", personas, video.pk), len(data)

    def get(range_header: str, **headers: str):
        return client.get(url, headers={"Range": range_header, **headers})

    response = get("bytes=0-9")
    assert response.status_code == 206
    assert (response["Content-Range"], response["Content-Length"]) == (f"bytes 0-9/{size}", "10")
    assert _body(response) == data[:10]
    assert response["Content-Type"] == "video/mp4"

    response = get("bytes=100-")
    assert (response.status_code, response["Content-Range"]) == (206, f"bytes 100-{size - 1}/{size}")
    assert _body(response) == data[100:]

    response = get("bytes=-16")
    assert (response.status_code, _body(response)) == (206, data[-16:])

    response = get(f"bytes=10-{size * 5}")  # past the end: up to the end
    assert (response["Content-Range"], _body(response)) == (f"bytes 10-{size - 1}/{size}", data[10:])

    for unsatisfiable in (f"bytes={size}-", f"bytes={size + 10}-{size + 20}", "bytes=-0"):
        response = get(unsatisfiable)
        assert (response.status_code, response["Content-Range"]) == (416, f"bytes */{size}")

    # Ignored, so the whole file: several ranges, another unit, nonsense, a stale If-Range.
    for ignored in ("bytes=0-1,5-6", "items=0-1", "bytes=9-3", "bytes=x-y"):
        response = get(ignored)
        assert (response.status_code, _body(response)) == (200, data)
    assert get("bytes=0-9", **{"If-Range": '"stale"'}).status_code == 200
    assert get("bytes=0-9", **{"If-Range": f'"{video.sha256}"'}).status_code == 206


def test_parse_byte_range() -> None:
    assert parse_byte_range("bytes=0-0", 10) == (0, 0)
    assert parse_byte_range("bytes=5-", 10) == (5, 9)
    assert parse_byte_range("bytes=-3", 10) == (7, 9)
    assert parse_byte_range("bytes=-30", 10) == (0, 9)
    assert parse_byte_range(" Bytes = 2 - 4 ", 10) == (2, 4)
    assert parse_byte_range("bytes=9-", 10) == (9, 9)
    assert parse_byte_range("bytes=-", 10) is None
    assert parse_byte_range("bytes=0-1, 3-4", 10) is None


def test_outsiders_get_404_for_everything(client, personas: Personas) -> None:
    asset = add(personas, "photo.png", picture())
    client.force_login(personas.outsider)
    # Through the outsider's own workspace: the file is not there.
    own = personas.other_workspace.slug
    for name in ("media-detail", "media-file", "media-thumbnail", "media-delete"):
        assert client.get(reverse(f"publishing:{name}", args=[own, asset.pk])).status_code == 404
    assert client.post(reverse("publishing:media-alt-text", args=[own, asset.pk]), {"alt_text": "x"}).status_code == 404
    assert client.post(reverse("publishing:media-delete", args=[own, asset.pk])).status_code == 404
    # Through the owner's workspace: not a member.
    assert client.get(_url("media-file", personas, asset.pk)).status_code == 404
    assert "photo.png" not in client.get(reverse("publishing:media", args=[own])).content.decode()
    assert MediaAsset.objects.filter(pk=asset.pk, alt_text="").exists()
