"""The join QR code: the drawn symbol is the URL's symbol, and the URL and code are printed beneath."""

from __future__ import annotations

import base64
import re
import urllib.parse

import pytest

from components import qr

URL = "http://192.168.1.20:8501/questionnaire?session=K7QM2P&lang=pt-BR"


def _expected_modules(url: str) -> set[tuple[int, int]]:
    return {
        (r + qr.QUIET_ZONE, c + qr.QUIET_ZONE)
        for r, row in enumerate(qr.qr_matrix(url))
        for c, dark in enumerate(row)
        if dark
    }


def test_inline_svg_draws_exactly_the_modules_of_the_url() -> None:
    svg = qr.qr_svg(URL)
    assert svg.startswith("<svg") and 'viewBox="0 0 ' in svg
    assert qr.svg_path_modules(svg) == _expected_modules(URL)


def test_a_different_url_draws_a_different_symbol() -> None:
    other = URL.replace("K7QM2P", "K7QM2Q")
    assert qr.svg_path_modules(qr.qr_svg(other)) != qr.svg_path_modules(qr.qr_svg(URL))


def test_symbol_has_finder_patterns_and_quiet_zone() -> None:
    matrix = qr.qr_matrix(URL)
    size = len(matrix)
    assert size == len(matrix[0]) and (size - 17) % 4 == 0  # a regular QR version (21, 25, ... modules)
    finder_top = [matrix[0][c] for c in range(7)]
    assert finder_top == [True] * 7  # the top edge of the top-left finder pattern
    assert matrix[1][1:6] == [False] * 5
    modules = qr.svg_path_modules(qr.qr_svg(URL))
    assert min(r for r, _ in modules) == qr.QUIET_ZONE and min(c for _, c in modules) == qr.QUIET_ZONE


def test_data_uri_is_the_same_symbol() -> None:
    uri = qr.qr_data_uri(URL)
    assert uri.startswith("data:image/svg+xml")
    head, payload = uri.split(",", 1)
    svg = base64.b64decode(payload).decode() if ";base64" in head else urllib.parse.unquote(payload)
    assert qr.svg_path_modules(svg) == _expected_modules(URL)


def test_join_card_prints_the_url_and_code_beneath_the_code_image() -> None:
    card = qr.join_card_html(URL, "K7QM2P", alt="QR code", code_label="Code")
    image_at = card.index("<img")
    caption = card[card.index("<figcaption") :]
    assert image_at < card.index("<figcaption")
    assert "K7QM2P" in caption
    # The URL is HTML-escaped (& -> &amp;) and reads back as the exact join URL.
    url_text = re.search(r'class="atlas-join-url"[^>]*>([^<]+)<', caption).group(1)
    assert url_text.replace("&amp;", "&") == URL


def test_join_card_escapes_its_texts() -> None:
    card = qr.join_card_html(URL, "K7QM2P", alt='a"b<c', code_label="<b>x</b>")
    assert "<b>x</b>" not in card and "&lt;b&gt;x&lt;/b&gt;" in card
    assert 'alt="a&quot;b&lt;c"' in card


def test_path_reader_rejects_a_foreign_svg() -> None:
    with pytest.raises(ValueError):
        qr.svg_path_modules('<svg><path d="M0 0h1"/></svg>')


def test_join_card_without_a_code_prints_only_the_url() -> None:
    card = qr.join_card_html(URL, None, alt="QR code")
    assert "atlas-join-code" not in card and "atlas-join-url" in card
