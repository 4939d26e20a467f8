"""Remote pictures are re-encoded, capped and refused when they are not plain raster images."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from smm.lib.images import ImageFetchError, thumbnail_webp


def _png(width: int, height: int, color: str = "red") -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (width, height), color).save(output, format="PNG")
    return output.getvalue()


def test_it_returns_a_small_square_webp() -> None:
    data = thumbnail_webp(_png(400, 200))
    with Image.open(io.BytesIO(data)) as picture:
        assert (picture.format, picture.size) == ("WEBP", (128, 128))


def test_it_refuses_what_is_not_a_picture() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>'
    for data in (b"", b"<html>hello</html>", svg):
        with pytest.raises(ImageFetchError):
            thumbnail_webp(data)


def test_it_refuses_a_decompression_bomb(monkeypatch) -> None:
    monkeypatch.setattr("smm.lib.images.MAX_PIXELS", 100 * 100)
    with pytest.raises(ImageFetchError, match="too many pixels"):
        thumbnail_webp(_png(200, 200))


def _jpeg_with_gps() -> bytes:
    picture = Image.new("RGB", (40, 20), "green")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90°
    from PIL.TiffImagePlugin import IFDRational

    gps = exif.get_ifd(0x8825)  # GPSInfo: latitude 60°10' N
    gps[1] = "N"
    gps[2] = (IFDRational(60, 1), IFDRational(10, 1), IFDRational(0, 1))
    output = io.BytesIO()
    picture.save(output, format="JPEG", exif=exif)
    return output.getvalue()


def test_it_strips_gps_and_keeps_the_picture_upright() -> None:
    from smm.lib.images import strip_metadata

    original = _jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as picture:
        assert picture.getexif().get_ifd(0x8825)
    cleaned = strip_metadata(original, "image/jpeg")
    with Image.open(io.BytesIO(cleaned)) as picture:
        assert not picture.getexif()
        assert picture.size == (20, 40)  # turned upright before the orientation tag was dropped


def test_a_picture_without_metadata_is_left_as_it_is() -> None:
    from smm.lib.images import strip_metadata

    data = _png(30, 30)
    assert strip_metadata(data, "image/png") is data
    assert strip_metadata(b"not an image", "image/jpeg") == b"not an image"
