"""Navigation: which pages a request gets (the phone view of a workshop is the questionnaire alone)."""

from __future__ import annotations


def test_only_the_qr_codes_address_is_the_phone_view() -> None:
    from components.navigation import is_phone_view

    assert is_phone_view("questionnaire", {"session": "ABC-234", "lang": "en"})
    assert not is_phone_view("questionnaire", {"lang": "en"})  # the questionnaire on its own
    assert not is_phone_view("questionnaire", {"session": ""})
    # The presenter and the projector carry the workshop code too.
    assert not is_phone_view("workshop", {"session": "ABC-234"})
    assert not is_phone_view("present", {"session": "ABC-234"})
    assert not is_phone_view(None, {"session": "ABC-234"})  # unknown path: the full site

