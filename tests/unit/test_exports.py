"""Every export read back (pandas, pyreadstat, json) equals the stored data; formula payloads stay inert."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pyreadstat
import pytest

from components import demo_data, exports, storage
from components import results_data as rd
from tests.unit.test_results_data import PAYLOADS, answers, atlas, bank, response

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def unneutralise(value: Any) -> Any:
    """Undo the documented CSV prefix (the codebook/README tell researchers the same)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(exports.FORMULA_START):
        return value[1:]
    return value


@pytest.fixture
def store(tmp_path) -> tuple[Any, list[dict[str, Any]], pd.DataFrame]:
    """A real SQLite store: hostile comments, don't-knows, multiple choice, a negative number, demo rows."""
    engine = storage.make_engine(f"sqlite:///{tmp_path / 'export.sqlite3'}")
    dk = atlas().survey.scale.dont_know_code
    base = datetime(2026, 5, 2, 8, 30, 15, 123456, tzinfo=UTC)
    crafted = []
    for i, payload in enumerate(PAYLOADS):
        crafted.append(
            response(
                answers(
                    likert=1 + i % 5,
                    comment=payload,
                    pm_completeness=dk if i % 2 else 3,
                    most_useful=["practices", "lifecycle"] if i % 3 else None,
                    experience_years=-2 if i == 0 else i,
                    final_comment=f'line one\nline two, with "quotes"; {payload}',
                ),
                when=base + timedelta(hours=i),
                session=None if i == 1 else "WS-1",
                lang=("en", "pt-BR")[i % 2],
            )
        )
    storage.insert_responses(engine, crafted)
    demo_data.fill(engine, atlas().survey, atlas().content_version, 30, seed=11, force=True, now=NOW)
    rows = storage.fetch_responses(engine)
    frame = rd.responses_frame(rows, bank())
    engine.dispose()
    return engine, rows, frame


def _text_dtypes() -> dict[str, type]:
    """Read identifiers, codes and texts as text (as the README tells R/pandas users)."""
    out: dict[str, type] = {}
    for col in exports.columns(bank()):
        if col.kind in ("choice", "text") or (col.kind == "meta" and col.name not in ("synthetic",)):
            out[col.name] = str
    return out


def _read_wide(data: bytes, **kw: Any) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), dtype=_text_dtypes(), keep_default_na=False, na_values=[""], **kw)


# --- formula injection -------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_neutralise_each_payload(payload: str) -> None:
    out = exports.neutralise(payload)
    if payload[0] in "=+-@\t":
        assert out == "'" + payload
    else:
        assert out == payload, "text that is not a formula is left alone"


def test_neutralise_control_characters_and_headers() -> None:
    assert exports.neutralise("\r=1") == "'\r=1"
    assert exports.neutralise("\0x") == "'\0x"
    assert exports.neutralise(-2) == -2
    df = pd.DataFrame({"=cmd": ["@x", "ok"], "n": [-2, 3]})
    out = exports.neutralise_frame(df)
    assert list(out.columns) == ["'=cmd", "n"]
    assert out["=cmd".join(["'", ""])].tolist() == ["'@x", "ok"]
    assert out["n"].tolist() == [-2, 3]


def test_every_csv_cell_that_is_text_is_inert(store) -> None:
    _, _, frame = store
    for data in (
        exports.wide_csv(frame, bank()),
        exports.long_csv(frame, bank(), "en"),
        exports.codebook_csv(bank()),
    ):
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
        header, body = rows[0], rows[1:]
        assert all(not h.startswith(exports.FORMULA_START) for h in header)
        for row in body:
            for cell in row:
                if cell.startswith(exports.FORMULA_START):
                    float(cell)  # only a real number may start with '-' or '+'


# --- wide CSV -------------------------------------------------------------------------------------


def _check_wide(df: pd.DataFrame, rows: list[dict[str, Any]], missing: str = "code") -> None:
    dk = atlas().survey.scale.dont_know_code
    cols = exports.columns(bank())
    by_id = df.set_index("response_id")
    assert len(df) == len(rows)
    for row in rows:
        got = by_id.loc[row["response_id"]]
        for meta in ("survey_version", "content_version", "lang"):
            assert got[meta] == row[meta]
        assert (got["session_code"] if pd.notna(got["session_code"]) else None) == row["session_code"]
        assert pd.Timestamp(got["submitted_at"]) == pd.Timestamp(row["submitted_at"])
        assert pd.Timestamp(got["started_at"]) == pd.Timestamp(row["started_at"])
        assert bool(got["synthetic"]) == row["synthetic"]
        for col in cols:
            if col.kind == "meta":
                continue
            stored = row["answers"].get(col.qid)
            cell = got[col.name]
            if col.kind == "likert":
                if stored == dk:
                    assert (cell == exports.MISSING_BASE) if missing == "code" else pd.isna(cell)
                else:
                    assert cell == stored
            elif col.kind == "multi":
                assert pd.isna(cell) if not stored else cell == int(col.option in stored)
            elif col.kind == "number":
                assert pd.isna(cell) if stored is None else cell == stored
            else:
                assert (None if pd.isna(cell) else unneutralise(cell)) == stored, (col.name, cell, stored)


def test_wide_csv_reads_back_equal_to_the_stored_data(store) -> None:
    _, rows, frame = store
    df = _read_wide(exports.wide_csv(frame, bank()))
    _check_wide(df, rows)
    names = [c.name for c in exports.columns(bank())]
    assert list(df.columns) == names
    assert "PM_UND" in names and "MOST_USEFUL_PRACTICES" in names
    assert pd.api.types.is_integer_dtype(df["PM_UND"]), "Likert answers stay numeric"
    assert pd.api.types.is_numeric_dtype(df["EXPERIENCE_YEARS"]), (
        "numbers stay numbers (float when some are blank)"
    )
    assert -2 in df["EXPERIENCE_YEARS"].tolist(), "a negative number stays a number"


def test_wide_csv_dont_know_blank_and_excel_variants(store) -> None:
    _, rows, frame = store
    blank = _read_wide(exports.wide_csv(frame, bank(), missing="blank"))
    _check_wide(blank, rows, missing="blank")
    excel = exports.wide_csv(frame, bank(), excel=True)
    assert excel.startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(
        io.BytesIO(excel),
        sep=";",
        encoding="utf-8-sig",
        dtype=_text_dtypes(),
        keep_default_na=False,
        na_values=[""],
    )
    _check_wide(df, rows)


# --- long CSV -------------------------------------------------------------------------------------


def test_long_csv_reads_back_equal_to_the_stored_data(store) -> None:
    _, rows, frame = store
    df = pd.read_csv(
        io.BytesIO(exports.long_csv(frame, bank(), "en")),
        dtype={"value": str, "value_label": str, "response_id": str, "content_version": str},
        keep_default_na=False,
        na_values=[""],
    )
    by_q = {v.qid: v for v in bank().variables}
    expected = {}
    for row in rows:
        for qid, value in row["answers"].items():
            if qid in by_q and value not in (None, "", []):
                expected[(row["response_id"], qid)] = value
    got = {(r.response_id, r.question_id): r for r in df.itertuples()}
    assert set(got) == set(expected)
    dk = atlas().survey.scale.dont_know_code
    for key, value in expected.items():
        r = got[key]
        text = ";".join(value) if isinstance(value, list) else str(value)
        assert unneutralise(r.value) == text
        assert r.variable == by_q[key[1]].name
        if by_q[key[1]].kind == "likert":
            assert bool(r.is_missing_code) == (value == dk)
            assert pd.isna(r.score) if value == dk else r.score == value
    assert pd.api.types.is_float_dtype(df["score"])
    label = df[(df.question_id == "pm_understandability") & (df.value == "1")].value_label.iloc[0]
    assert label == "Strongly disagree"


# --- SPSS -------------------------------------------------------------------------------------------


def test_sav_reads_back_with_labels_missing_codes_and_measure(store, tmp_path) -> None:
    _, rows, frame = store
    path = tmp_path / "r.sav"
    path.write_bytes(exports.sav_bytes(frame, bank(), "en"))
    df, meta = pyreadstat.read_sav(str(path), user_missing=True)
    dk = atlas().survey.scale.dont_know_code
    by_id = df.set_index("response_id")
    for row in rows:
        got = by_id.loc[row["response_id"]]
        assert abs(
            pd.Timestamp(got["submitted_at"]).tz_localize("UTC") - pd.Timestamp(row["submitted_at"])
        ) < timedelta(milliseconds=1)
        for col in exports.columns(bank()):
            if col.kind == "meta":
                continue
            stored = row["answers"].get(col.qid)
            cell = got[col.name]
            if col.kind == "likert":
                assert cell == (exports.MISSING_BASE if stored == dk else stored)
            elif col.kind == "text":
                assert cell == (stored or ""), "the .sav keeps text exactly as typed"
            elif col.kind == "choice":
                assert cell == (stored or "")
            elif col.kind == "multi":
                assert pd.isna(cell) if not stored else cell == int(col.option in stored)
            elif col.kind == "number":
                assert pd.isna(cell) if stored is None else cell == stored
    labels = meta.variable_value_labels["PM_UND"]
    assert labels[1.0] == "Strongly disagree" and labels[5.0] == "Strongly agree"
    assert labels[float(exports.MISSING_BASE)] == "Don't know / not applicable"
    assert meta.missing_ranges["PM_UND"] == [{"lo": 99.0, "hi": 99.0}]
    assert meta.variable_measure["PM_UND"] == "ordinal"
    assert meta.variable_measure["ROLE"] == "nominal"
    assert meta.variable_measure["EXPERIENCE_YEARS"] == "scale"
    assert meta.variable_value_labels["ROLE"]["data-scientist"] == "Data scientist"
    assert meta.column_names_to_labels["PM_UND"] == bank().by_qid()["pm_understandability"].label["en"]
    plain, _ = pyreadstat.read_sav(str(path))
    assert plain["PM_COM"].isna().sum() >= (df["PM_COM"] == 99).sum() > 0, "99 is user-missing"


def test_sav_labels_follow_the_chosen_language(store, tmp_path) -> None:
    _, _, frame = store
    path = tmp_path / "pt.sav"
    path.write_bytes(exports.sav_bytes(frame, bank(), "pt-BR"))
    _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
    assert meta.variable_value_labels["PM_UND"][1.0] == "Discordo totalmente"


# --- JSON, codebook, methods, bundle -----------------------------------------------------------------


def test_json_is_exactly_the_stored_data(store) -> None:
    _, rows, frame = store
    doc = json.loads(exports.json_bytes(frame, bank(), {"sessions": []}, NOW))
    assert doc["n"] == len(rows) and doc["survey"]["version"] == atlas().survey.version
    got = {r["response_id"]: r for r in doc["responses"]}
    for row in rows:
        g = got[row["response_id"]]
        assert g["answers"] == row["answers"]
        assert datetime.fromisoformat(g["submitted_at"]) == row["submitted_at"]
        assert datetime.fromisoformat(g["started_at"]) == row["started_at"]
        for key in ("survey_version", "content_version", "lang", "session_code", "synthetic"):
            assert g[key] == row[key]
    assert {r["answers"]["pm_comment"] for r in doc["responses"]} >= set(PAYLOADS), "payloads kept exactly"


def test_codebook_describes_every_variable_in_both_languages() -> None:
    cb = exports.codebook_frame(bank())
    assert list(cb["variable"]) == [c.name for c in exports.columns(bank())]
    row = cb.set_index("variable").loc["PM_UND"]
    assert row["artefact"] == "practices" and row["criterion"] == "understandability"
    assert row["measure"] == "ordinal"
    assert row["label_en"] == "The matrix is easy to understand."
    assert row["label_pt-BR"] == "A matriz é fácil de entender."
    assert "1 = Strongly disagree" in row["values_en"] and "5 = Concordo totalmente" in row["values_pt-BR"]
    assert row["missing_codes"] == f"99 = {atlas().survey.scale.dont_know_code}"
    assert "99 = Não sei / não se aplica" in row["missing_labels_pt-BR"]
    multi = cb.set_index("variable").loc["MOST_USEFUL_NONE"]
    assert multi["option"] == "none" and multi["kind"] == "multi"


def test_methods_paragraph_is_filled_from_the_data_in_both_languages(store) -> None:
    _, _, frame = store
    res = rd.analyse(frame, bank(), rd.groupings(frame, bank()))
    text = exports.methods_text(frame, bank(), res, NOW)
    sections = dict(part.split("\n", 1) for part in text.split("## ")[1:])
    en, pt = sections["English"], sections["Português"]
    n = len(frame)
    assert f"{n} responses were submitted" in en and f"Foram enviadas {n} respostas" in pt
    first = frame["submitted_at"].min().strftime("%Y-%m-%d")
    assert first in en and first in pt
    alpha = res.constructs["practices"].reliability.alpha
    assert f"α = {alpha.alpha:.2f}".replace("0.", ".") in en
    assert f"α = {alpha.alpha:.2f}".replace("0.", ",") in pt
    assert "Feldt" in en and "Feldt" in pt
    assert "synthetic demo responses" in en, "demo rows are flagged"
    real = frame[~frame["synthetic"]]
    res_real = rd.analyse(real, bank(), rd.groupings(frame, bank()))
    assert "synthetic" not in exports.methods_paragraph(real, bank(), res_real, "en", NOW)


def test_bundle_holds_every_file(store) -> None:
    _, _, frame = store
    res = rd.analyse(frame, bank(), rd.groupings(frame, bank()))
    data = exports.bundle(frame, bank(), res, "en", {}, NOW)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        readme = zf.read("README.txt").decode()
    stamp = NOW.strftime("%Y%m%d-%H%M")
    for expected in (
        f"responses-wide-{stamp}.csv",
        f"responses-long-{stamp}.csv",
        f"codebook-{stamp}.csv",
        f"responses-{stamp}.sav",
        f"responses-{stamp}.json",
        f"methods-{stamp}.md",
    ):
        assert expected in names
    assert "99" in readme
