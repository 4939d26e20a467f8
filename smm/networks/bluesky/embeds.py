"""What a Bluesky post carries besides text: images that fit the blob limit, and link cards.

Bluesky (unlike Mastodon) never fetches link previews itself: the client must fetch the page,
read its Open Graph tags, upload the preview image as a blob and put an `app.bsky.embed.external`
into the post. The page address comes from post text, so it is fetched through the SSRF-safe
client, with small size and time limits; any failure just means "no card".
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from smm.lib.http import safe_httpx_client
from smm.networks.base import PermanentError

logger = logging.getLogger(__name__)

IMAGE_MAX_BYTES = 1_000_000
# The Bluesky app sends at most 2000 px on the long side; we only go down from there if needed.
IMAGE_MAX_DIMENSION = 2000
IMAGE_MIN_DIMENSION = 200
JPEG_QUALITIES = (90, 82, 74, 66)
PASSTHROUGH_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
# Link cards: the head of a page is enough for its meta tags.
CARD_PAGE_READ_BYTES = 512 * 1024
CARD_DOWNLOAD_MAX_BYTES = 5 * 1024 * 1024
CARD_TIMEOUT = (4.0, 8.0)
CARD_DEADLINE = 12.0
CARD_TITLE_MAX = 300
CARD_DESCRIPTION_MAX = 1000


@dataclass(frozen=True)
class PreparedImage:
    data: bytes
    mime_type: str
    width: int
    height: int


def prepare_image(data: bytes, *, max_bytes: int = IMAGE_MAX_BYTES) -> PreparedImage:
    """The image as Bluesky should get it: at most `max_bytes`, upright, without metadata.

    An image that already fits and carries no EXIF (where cameras put the GPS position) is sent
    unchanged; anything else is re-encoded, shrinking quality and then size until it fits.
    """
    try:
        opened = Image.open(io.BytesIO(data))
        opened.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as error:
        raise PermanentError(_("This file is not an image smm can read."), detail=str(error)) from error
    has_exif = bool(opened.getexif())
    if len(data) <= max_bytes and opened.format in PASSTHROUGH_FORMATS and not has_exif:
        return PreparedImage(data, PASSTHROUGH_FORMATS[opened.format], opened.width, opened.height)

    image: Image.Image = ImageOps.exif_transpose(opened)  # turn it upright before the orientation tag is dropped
    if image.mode in ("RGBA", "LA", "P") and _has_transparency(image):
        image = image.convert("RGBA")
        encoded = _encode(image, "PNG")
        if len(encoded) <= max_bytes:
            return PreparedImage(encoded, "image/png", image.width, image.height)
        # Too big as PNG: flatten onto white (JPEG has no transparency).
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        image = background
    image = image.convert("RGB")
    scale = min(1.0, IMAGE_MAX_DIMENSION / max(image.width, image.height))
    while True:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        resized = image if size == image.size else image.resize(size, Image.Resampling.LANCZOS)
        for quality in JPEG_QUALITIES:
            encoded = _encode(resized, "JPEG", quality=quality)
            if len(encoded) <= max_bytes:
                return PreparedImage(encoded, "image/jpeg", resized.width, resized.height)
        if max(size) <= IMAGE_MIN_DIMENSION:
            raise PermanentError(_("This image cannot be made small enough for Bluesky."))
        scale *= 0.75


def _has_transparency(image: Image.Image) -> bool:
    if image.mode == "P":
        return "transparency" in image.info
    low, _high = image.getchannel("A").getextrema()
    return isinstance(low, int) and low < 255


def _encode(image: Image.Image, image_format: str, **options: int) -> bytes:
    buffer = io.BytesIO()
    if image_format == "JPEG":
        image.save(buffer, "JPEG", optimize=True, progressive=True, **options)
    else:
        image.save(buffer, image_format, optimize=True)
    return buffer.getvalue()


# Link cards --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LinkPreview:
    uri: str
    title: str
    description: str
    image: PreparedImage | None = None


class _MetaParser(HTMLParser):
    """Collects <title> and <meta property|name=... content=...> from a page's head."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self.done = True
        elif tag == "title":
            self._in_title = True
        elif tag == "meta":
            values = {name.lower(): value or "" for name, value in attrs}
            key = (values.get("property") or values.get("name") or "").strip().lower()
            if key and "content" in values:
                self.meta.setdefault(key, values["content"].strip())

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "head":
            self.done = True

    def handle_data(self, data: str) -> None:
        if self._in_title and not self.done:
            self.title += data


def link_card_client() -> httpx.Client:
    return safe_httpx_client(
        max_bytes=CARD_DOWNLOAD_MAX_BYTES,
        timeout=CARD_TIMEOUT,
        deadline=CARD_DEADLINE,
        follow_redirects=True,
        headers={"User-Agent": "Mozilla/5.0 (compatible; smm link preview)", "Accept": "text/html,*/*;q=0.5"},
    )


def fetch_link_preview(url: str, *, http_client: httpx.Client | None = None) -> LinkPreview | None:
    """Title, description and (prepared) image of the page at `url`, or None if there is nothing to show."""
    if http_client is None:
        with link_card_client() as client:
            return fetch_link_preview(url, http_client=client)
    client = http_client
    try:
        with client.stream("GET", url) as response:
            content_type = response.headers.get("content-type", "")
            if response.status_code != 200 or "html" not in content_type.lower():
                logger.info("No link card for %s: HTTP %s %s", url, response.status_code, content_type)
                return None
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= CARD_PAGE_READ_BYTES:
                    break
            encoding = response.charset_encoding or "utf-8"
        page_url = str(response.url)
    except Exception as error:  # any failure (refused address, timeout, too large) means no card
        logger.info("No link card for %s: %s", url, error)
        return None
    parser = _MetaParser()
    try:
        parser.feed(body.decode(encoding, errors="replace"))
    except (LookupError, AssertionError):
        parser.feed(body.decode("utf-8", errors="replace"))
    meta = parser.meta
    title = (meta.get("og:title") or meta.get("twitter:title") or parser.title).strip()
    description = (
        meta.get("og:description") or meta.get("twitter:description") or meta.get("description") or ""
    ).strip()
    if not title and not description:
        return None
    image_url = meta.get("og:image") or meta.get("og:image:url") or meta.get("twitter:image")
    image = _fetch_card_image(client, urljoin(page_url, image_url)) if image_url else None
    return LinkPreview(
        uri=url,
        title=" ".join(title.split())[:CARD_TITLE_MAX],
        description=" ".join(description.split())[:CARD_DESCRIPTION_MAX],
        image=image,
    )


def _fetch_card_image(client: httpx.Client, url: str) -> PreparedImage | None:
    try:
        response = client.get(url)
        if response.status_code != 200 or not response.headers.get("content-type", "").startswith("image/"):
            return None
        return prepare_image(response.content)
    except Exception as error:  # the card is still worth having without its picture
        logger.info("No link card image from %s: %s", url, error)
        return None
