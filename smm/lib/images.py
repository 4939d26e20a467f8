"""Fetching pictures from the internet (avatars) so that our pages never load them from elsewhere.

A remote image is fetched once through the SSRF guard, decoded with Pillow under a pixel cap,
shrunk and re-encoded as WebP. Re-encoding drops anything but pixels (metadata, scripts in SVG,
polyglot files), and serving it from our own origin keeps visitors' addresses away from the
networks' image hosts and satisfies our `img-src 'self'` CSP.
"""

from __future__ import annotations

import io
import logging
import warnings

import requests
from PIL import Image, ImageOps, UnidentifiedImageError

from smm.lib.http import ResponseTooLargeError, UnsafeURLError, safe_get

logger = logging.getLogger(__name__)

MAX_DOWNLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 25_000_000  # a decompression bomb stops here, long before memory runs out
AVATAR_SIZE = 128  # shown at 48 CSS px and 64 px: 2x for sharp screens


class ImageFetchError(Exception):
    """The picture could not be fetched or is not a picture; the caller keeps its placeholder."""


def thumbnail_webp(data: bytes, *, size: int = AVATAR_SIZE) -> bytes:
    """Decode any raster picture Pillow knows and return a square-cropped WebP of `size` pixels."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as source:
                if source.width * source.height > MAX_PIXELS:
                    raise ImageFetchError("image has too many pixels")
                source.seek(0)  # the first frame of an animation
                picture = ImageOps.exif_transpose(source).convert("RGBA")
        except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError) as e:
            raise ImageFetchError(f"not a usable image: {e}") from e
    picture = ImageOps.fit(picture, (size, size), Image.Resampling.LANCZOS)
    output = io.BytesIO()
    picture.save(output, format="WEBP", quality=85, method=4)
    return output.getvalue()


def fetch_thumbnail(url: str, *, size: int = AVATAR_SIZE) -> bytes:
    """Download `url` through the SSRF guard and return it as a small WebP (see thumbnail_webp)."""
    try:
        response = safe_get(url, max_bytes=MAX_DOWNLOAD_BYTES, timeout=(5.0, 10.0), deadline=20.0)
    except (UnsafeURLError, ResponseTooLargeError, requests.RequestException) as error:
        raise ImageFetchError(str(error)) from error
    if response.status_code != 200:
        raise ImageFetchError(f"HTTP {response.status_code}")
    return thumbnail_webp(response.content, size=size)


def strip_metadata(data: bytes, mime_type: str) -> bytes:
    """The picture without EXIF/XMP/text metadata (a phone photo's GPS position, camera serial).

    Only pictures that carry such metadata are re-encoded: JPEG at quality 95 (turned upright
    first, since the orientation tag goes too), PNG and WebP losslessly. GIFs pass unchanged (they
    carry no EXIF and may be animated). Anything Pillow cannot read is returned as it is.
    """
    formats = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
    image_format = formats.get(mime_type)
    if image_format is None:
        return data
    try:
        with Image.open(io.BytesIO(data)) as picture:
            info = picture.info
            has_metadata = bool(picture.getexif()) or any(
                key in info for key in ("xmp", "XML:com.adobe.xmp", "comment")
            )
            has_metadata = has_metadata or any(
                isinstance(value, str) for key, value in info.items() if key != "icc_profile"
            )
            if not has_metadata or getattr(picture, "n_frames", 1) > 1:
                return data
            upright = ImageOps.exif_transpose(picture)
            output = io.BytesIO()
            options: dict[str, object] = {}
            if picture.info.get("icc_profile"):
                options["icc_profile"] = picture.info["icc_profile"]
            if image_format == "JPEG":
                options.update(quality=95, subsampling="keep" if upright is picture else 0)
                upright = upright.convert("RGB") if upright.mode not in ("RGB", "L", "CMYK") else upright
            elif image_format == "WEBP":
                options.update(lossless=True)
            upright.save(output, format=image_format, **options)
            return output.getvalue()
    except (UnidentifiedImageError, OSError, ValueError):
        return data
