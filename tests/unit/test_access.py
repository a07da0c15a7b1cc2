"""Researcher secret: configuration, constant-time check, back-off after wrong attempts."""

from __future__ import annotations

import pytest

from components import access


def test_environment_wins_over_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(access.ENV_VAR, "from-the-environment")
    assert access.configured_secret({"researcher_secret": "from-secrets-file"}) == "from-the-environment"
    monkeypatch.delenv(access.ENV_VAR)
    assert access.configured_secret({"researcher_secret": "from-secrets-file"}) == "from-secrets-file"


@pytest.mark.parametrize("value", [None, "", "   ", "short"])
def test_blank_or_short_secret_counts_as_unset(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    monkeypatch.delenv(access.ENV_VAR, raising=False)
    assert access.configured_secret({"researcher_secret": value} if value is not None else {}) is None


def test_secrets_object_that_raises_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    class Raising(dict):
        def get(self, key, default=None):
            raise FileNotFoundError("no secrets.toml")

    monkeypatch.delenv(access.ENV_VAR, raising=False)
    assert access.configured_secret(Raising()) is None


def test_secret_matches() -> None:
    assert access.secret_matches("correct horse", "correct horse")
    assert not access.secret_matches("correct hors", "correct horse")
    assert not access.secret_matches("", "correct horse")
    assert access.secret_matches("pão de queijo", "pão de queijo")


def test_wrong_attempts_are_slowed_down_and_success_resets() -> None:
    now = [0.0]
    throttle = access.Throttle(base=0.5, cap=4.0, clock=lambda: now[0])
    waits: list[float] = []
    for _ in range(5):
        assert not access.attempt("wrong", "the-secret", throttle, sleep=waits.append)
    assert waits == [0.5, 1.0, 2.0, 4.0]  # the first wrong attempt waits nothing; then it doubles, capped
    assert access.attempt("the-secret", "the-secret", throttle, sleep=waits.append)
    assert waits[-1] == 4.0  # the right secret still waited out the back-off
    assert throttle.failures == 0
    assert throttle.delay() == 0.0


def test_back_off_is_forgotten_after_a_quiet_period() -> None:
    now = [0.0]
    throttle = access.Throttle(base=0.5, reset_after=60, clock=lambda: now[0])
    throttle.record(False)
    throttle.record(False)
    assert throttle.delay() == 1.0
    now[0] = 61.0
    assert throttle.delay() == 0.0


def test_empty_candidate_never_matches() -> None:
    throttle = access.Throttle()
    assert not access.attempt("", "the-secret", throttle, sleep=lambda _: None)
    assert throttle.failures == 1
