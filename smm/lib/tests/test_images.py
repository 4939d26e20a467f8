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
