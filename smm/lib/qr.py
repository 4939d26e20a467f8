"""QR codes as inline SVG (no image requests, nothing for CSP to allow)."""

from __future__ import annotations

import io

import segno


def qr_svg(data: str) -> str:
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="svg", scale=5, xmldecl=False, svgns=True, border=2, svgclass="qr")
    return buffer.getvalue().decode()
