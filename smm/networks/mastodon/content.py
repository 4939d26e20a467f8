"""Mastodon status and profile HTML as plain text (for counting, search and previews).

This does not sanitise: the HTML itself is kept as `RemotePost.raw_html` and must be sanitised
before it is shown. Mastodon's markup is small: `<p>` paragraphs, `<br>`, links whose text is
split into `invisible` / `ellipsis` spans (all of it together is the full URL), mentions as
h-card `<span><a>@<span>user</span></a></span>`, hashtags as `<a>#<span>tag</span></a>`, and since
4.4 a `<p class="quote-inline">RE: …</p>` fallback for quotes, which Mastodon's own web UI hides.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = frozenset({"p", "div", "blockquote", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6"})
_VOID = frozenset({"br", "img", "hr", "input", "meta", "link", "wbr", "source"})
_PARAGRAPH = "\x00"  # marks a paragraph break until the end, so that several collapse into one


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden_depth = 0  # > 0 inside an element whose text is not shown

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._hidden_depth:
            if tag not in _VOID:
                self._hidden_depth += 1
            return
        classes = (dict(attrs).get("class") or "").split()
        if "quote-inline" in classes and tag not in _VOID:
            self._hidden_depth = 1
            return
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append(_PARAGRAPH)
            if tag == "li":
                self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if self._hidden_depth:
            if tag not in _VOID:
                self._hidden_depth -= 1
            return
        if tag in _BLOCKS:
            self.parts.append(_PARAGRAPH)

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """`<p>Hi <span class="h-card"><a …>@<span>bob</span></a></span></p><p>2</p>` -> "Hi @bob\\n\\n2"."""
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        return html.strip()
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t]*\x00[\s\x00]*", "\n\n", text)  # paragraph breaks, however many, become one
    return text.strip()
