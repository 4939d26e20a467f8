"""Untrusted HTML is inert after sanitize()."""

from __future__ import annotations

from smm.lib.html import sanitize


def test_it_keeps_mastodon_markup_and_makes_links_inert() -> None:
    html = (
        '<p>Hi <span class="h-card"><a href="https://m.example/@bob" class="u-url mention">@<span>bob</span></a></span>'
        ' see <a href="https://shop.example/x" target="_blank">shop</a></p>'
    )
    cleaned = sanitize(html)
    assert '<a href="https://shop.example/x" rel="nofollow noopener ugc">shop</a>' in cleaned
    assert "target=" not in cleaned and "class=" not in cleaned


def test_it_removes_scripts_handlers_images_and_javascript_urls() -> None:
    hostile = (
        '<p onclick="alert(1)">x</p><script>alert(2)</script><img src="https://t.example/p.gif" onerror="alert(3)">'
        '<a href="javascript:alert(4)">y</a><iframe src="https://e.example"></iframe><style>p{}</style>'
    )
    cleaned = sanitize(hostile)
    for bad in ("onclick", "<script", "alert(2)", "<img", "onerror", "javascript:", "<iframe", "<style"):
        assert bad not in cleaned
    assert "<p>x</p>" in cleaned
