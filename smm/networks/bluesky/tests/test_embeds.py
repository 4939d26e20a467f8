"""Images that fit Bluesky's blob limit, and link cards read from a local page."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image

from smm.networks.base import PermanentError
from smm.networks.bluesky.embeds import IMAGE_MAX_BYTES, fetch_link_preview, prepare_image

from .standins import Reply, StandIn


def png(width: int, height: int, *, noise: bool = False, mode: str = "RGB") -> bytes:
    if noise:  # random pixels do not compress: a big file
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        image = Image.new(mode, (width, height), (200, 30, 30, 128) if mode == "RGBA" else (200, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_it_sends_a_small_image_unchanged():
    data = png(64, 48)
    prepared = prepare_image(data)
    assert (prepared.data, prepared.mime_type, prepared.width, prepared.height) == (data, "image/png", 64, 48)


def test_it_shrinks_a_large_image_below_the_blob_limit():
    data = png(2400, 1600, noise=True)
    assert len(data) > 10 * IMAGE_MAX_BYTES
    prepared = prepare_image(data)
    assert len(prepared.data) <= IMAGE_MAX_BYTES
    assert prepared.mime_type == "image/jpeg"
    image = Image.open(io.BytesIO(prepared.data))
    assert image.size == (prepared.width, prepared.height)
    assert max(image.size) <= 2000
    assert abs(image.width / image.height - 1.5) < 0.01  # aspect ratio kept


def test_it_keeps_transparency_when_the_png_fits():
    prepared = prepare_image(png(3000, 3000, mode="RGBA"), max_bytes=10 * 1024 * 1024)
    # Fits, no EXIF: passed through unchanged, still with its alpha channel.
    assert prepared.mime_type == "image/png"
    assert Image.open(io.BytesIO(prepared.data)).mode == "RGBA"


def test_it_strips_exif_and_turns_the_image_upright():
    image = Image.new("RGB", (40, 20), (0, 0, 255))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif[0x010F] = "SecretCam"  # make
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    prepared = prepare_image(buffer.getvalue())
    result = Image.open(io.BytesIO(prepared.data))
    assert (prepared.width, prepared.height) == (20, 40) == result.size
    assert not result.getexif()


def test_it_refuses_files_that_are_not_images():
    with pytest.raises(PermanentError):
        prepare_image(b"%PDF-1.7 not an image")


PAGE = b"""<!doctype html><html><head><meta charset="utf-8">
<title>Fallback title</title>
<meta property="og:title" content="Hyv\xc3\xa4\xc3\xa4 p\xc3\xa4iv\xc3\xa4\xc3\xa4 &amp; more">
<meta property="og:description" content="  A   description\n over lines ">
<meta property="og:image" content="/card.png">
</head><body><meta property="og:title" content="ignored, in the body"></body></html>"""


@pytest.fixture
def site():
    with StandIn() as server:
        server.routes["/page"] = Reply(200, PAGE, content_type="text/html; charset=utf-8")
        server.routes["/card.png"] = Reply(200, png(1200, 630), content_type="image/png")
        server.routes["/plain"] = Reply(200, b"just text", content_type="text/plain")
        server.routes["/bare"] = Reply(200, b"<html><head></head><body>hi</body></html>", content_type="text/html")
        server.routes["/moved"] = Reply(302, b"", headers={"location": "/page"})
        yield server


def test_it_reads_a_link_card_from_open_graph_tags(site):
    preview = fetch_link_preview(f"{site.url}/page")
    assert preview is not None
    assert preview.uri == f"{site.url}/page"
    assert preview.title == "Hyvää päivää & more"
    assert preview.description == "A description over lines"
    assert preview.image is not None and (preview.image.width, preview.image.height) == (1200, 630)


def test_it_follows_redirects_for_link_cards(site):
    preview = fetch_link_preview(f"{site.url}/moved")
    assert preview is not None and preview.title == "Hyvää päivää & more"
    assert preview.uri == f"{site.url}/moved"


def test_it_makes_no_card_when_there_is_nothing_to_show(site):
    assert fetch_link_preview(f"{site.url}/plain") is None
    assert fetch_link_preview(f"{site.url}/bare") is None
    assert fetch_link_preview(f"{site.url}/missing") is None


def test_it_makes_no_card_for_refused_addresses(site, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    assert fetch_link_preview(f"{site.url}/page") is None
    assert site.requests == []
