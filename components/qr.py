"""QR codes for the workshop join link, drawn locally with segno (no network, no image files).

The SVG travels inside the page as a data URI, so it needs no ``/media`` request: that request
carries no session context and breaks behind several app processes without stickiness.
"""

from __future__ import annotations

import html

import segno

ERROR_LEVEL = "m"
"""15 % redundancy: enough for a projected code, and keeps the symbol small for a long URL."""
QUIET_ZONE = 4
"""The standard quiet zone of four modules; phone cameras lock on faster with it."""


def qr_code(url: str) -> segno.QRCode:
    return segno.make(url, error=ERROR_LEVEL, micro=False)


def qr_matrix(url: str) -> list[list[bool]]:
    """The symbol's dark modules, row by row, without the quiet zone (what a reader decodes)."""
    return [[bool(cell) for cell in row] for row in qr_code(url).matrix]


def qr_svg(url: str, *, dark: str = "#000000", light: str = "#ffffff") -> str:
    """A scalable inline ``<svg>`` (viewBox, no fixed size) that fills its container."""
    return qr_code(url).svg_inline(
        scale=1, border=QUIET_ZONE, dark=dark, light=light, omitsize=True, svgclass="atlas-qr"
    )


def qr_data_uri(url: str, *, dark: str = "#000000", light: str = "#ffffff") -> str:
    return qr_code(url).svg_data_uri(scale=1, border=QUIET_ZONE, dark=dark, light=light, omitsize=True)


def join_card_html(
    url: str, code: str | None, *, alt: str, code_label: str = "", size_css: str = "min(40vh, 22rem)"
) -> str:
    """The QR code with the join URL and the session code written beneath it.

    People who cannot scan type the short code or the URL, so both are printed as text.
    Every value is HTML-escaped; ``url`` and ``code`` are built by the app, never typed by users.
    """
    uri = html.escape(qr_data_uri(url), quote=True)
    code_line = (
        f'<div class="atlas-join-code" style="font-size:1.1em">{html.escape(code_label)} '
        f'<strong style="letter-spacing:0.12em;font-size:1.5em;font-family:ui-monospace,monospace">'
        f"{html.escape(code)}</strong></div>"
        if code
        else ""
    )
    return (
        '<figure class="atlas-join" style="margin:0;text-align:center">'
        f'<img src="{uri}" alt="{html.escape(alt, quote=True)}" '
        f'style="width:{size_css};height:{size_css};image-rendering:pixelated;'
        'background:#fff;border-radius:12px;padding:6px" />'
        '<figcaption style="margin-top:0.4rem;line-height:1.25">'
        f"{code_line}"
        f'<div class="atlas-join-url" style="font-family:ui-monospace,monospace;font-size:0.85em;'
        f'word-break:break-all">{html.escape(url)}</div>'
        "</figcaption></figure>"
    )


def svg_path_modules(svg: str) -> set[tuple[int, int]]:
    """Dark module coordinates read back from segno's SVG path (``M x y.5 h n m dx dy ...``).

    Lets tests check that the drawn symbol is the symbol of the URL, module for module,
    without a camera-grade decoder.
    """
    import re

    match = re.search(r"<path[^>]*class=[\"']qrline[\"'][^>]*\sd=[\"']([^\"']+)[\"']", svg)
    if match is None:
        raise ValueError("no QR module path in the SVG")
    path = match.group(1)
    tokens = re.findall(r"[MmHhVv]|-?\d+(?:\.\d+)?", path)
    x = y = 0.0
    out: set[tuple[int, int]] = set()
    op = ""
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.isalpha():
            op = tok
            i += 1
            continue
        if op in ("M", "m"):
            dx, dy = float(tokens[i]), float(tokens[i + 1])
            x, y = (dx, dy) if op == "M" else (x + dx, y + dy)
            i += 2
        elif op in ("h", "H"):
            length = float(tok)
            end = x + length if op == "h" else length
            for col in range(int(round(min(x, end))), int(round(max(x, end)))):
                out.add((int(y - 0.5), col))
            x = end
            i += 1
        else:
            raise ValueError(f"unexpected SVG path command {op!r}")
    return out
