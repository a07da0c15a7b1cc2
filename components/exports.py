"""Exports of the evaluation data that R, SPSS and pandas read back exactly (pure; no Streamlit).

Files:

* **wide CSV** — one row per response: the metadata columns, then one column per question named from
  the definition (``PM_UND``...); a multiple-choice question becomes one 0/1 column per option;
  "don't know" is a numeric missing code (99, declared in the codebook and the .sav) or blank;
* **long CSV** — one row per answer (``response_id, variable, question_id, ..., value, value_label,
  score, is_missing_code``), the layout of R's likert/HH, ggplot2 and pingouin's long format;
* **codebook** — every variable with its wording in every language, artefact, criterion, construct,
  measure, codes with labels in every language, missing codes;
* **SPSS .sav** — the wide data with variable labels, value labels, user-missing codes and measure
  levels (ordinal Likert items);
* **JSON** — the stored responses exactly as stored, plus the codebook and the filters used;
* **methods paragraph** — in every language, filled from the data.

Formula injection (CWE-1236, OWASP): in the CSV files every text cell *and header* that starts with
``= + - @``, TAB, CR or NUL gets a leading ``'``; numeric columns stay numeric (a ``-2`` answer is a
number, not text). The .sav and JSON files keep text exactly as typed: neither format is evaluated by
a spreadsheet, and both must equal the stored data.
"""

from __future__ import annotations

import io
import json
import os
import platform
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from components import i18n
from components.model import Text, tr
from components.results_data import META, RAW, ItemBank, Results, Variable, spss_name, submitted

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")
MISSING_BASE = 99
"""Numeric export code of a Likert item's first missing code ("don't know"); the next ones count down."""
ISO_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


# --------------------------------------------------------------------------------------------------
# Formula injection


def neutralise(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula, made inert with a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Headers and text cells neutralised; numeric, boolean and datetime columns untouched."""
    out = df.copy()
    for col in out.columns:
        if _is_text_column(out[col]):
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def _is_text_column(series: pd.Series) -> bool:
    return not (
        pd.api.types.is_numeric_dtype(series.dtype)
        or pd.api.types.is_bool_dtype(series.dtype)
        or pd.api.types.is_datetime64_any_dtype(series.dtype)
    )


# --------------------------------------------------------------------------------------------------
# Export variables


@dataclass(frozen=True)
class Column:
    """One column of the wide export (a question, or one option of a multiple-choice question)."""

    name: str
    qid: str
    kind: str
    """'meta', or the question kind ('likert', 'choice', 'multi', 'text', 'number')."""
    label: Text
    measure: str
    """SPSS measurement level: 'nominal', 'ordinal' or 'scale'."""
    values: Mapping[Any, Text] = field(default_factory=dict)
    """Export code -> label in every language (valid values)."""
    missing: Mapping[int, Text] = field(default_factory=dict)
    """Numeric missing code -> label; also, in ``missing_stored``, what it stands for."""
    missing_stored: Mapping[int, Any] = field(default_factory=dict)
    """Numeric missing code -> the code stored in the database (e.g. 99 -> "dk-na")."""
    option: str | None = None
    variable: Variable | None = None


def _ui(key: str, languages: Sequence[str], **values: Any) -> Text:
    return {lang: i18n.t(key, lang, **values) for lang in languages}


def missing_map(v: Variable) -> dict[int, Any]:
    """Numeric export code -> stored missing code (99 for the first, then 98, ...)."""
    return {MISSING_BASE - i: code for i, code in enumerate(v.missing_codes)}


def columns(bank: ItemBank) -> list[Column]:
    """The wide export's columns, in order: metadata, then the questions in questionnaire order."""
    langs = bank.languages
    out = [
        Column(
            m, m, "meta", _ui(f"results.export.meta.{m}", langs), "scale" if m.endswith("_at") else "nominal"
        )
        for m in META
    ]
    out[-1] = Column(
        "synthetic",
        "synthetic",
        "meta",
        _ui("results.export.meta.synthetic", langs),
        "nominal",
        {0: _ui("results.export.real", langs), 1: _ui("results.export.synthetic", langs)},
    )
    taken = {c.name.upper() for c in out} | {v.name.upper() for v in bank.variables}
    for v in bank.variables:
        if v.kind == "multi":
            for choice in v.choices:
                name = spss_name(f"{v.name}_{choice.code}", taken)
                label = {lang: f"{tr(v.label, lang)} — {tr(choice.label, lang)}" for lang in langs}
                yes_no = {
                    0: _ui("results.export.not_selected", langs),
                    1: _ui("results.export.selected", langs),
                }
                out.append(
                    Column(
                        name, v.qid, "multi", label, "nominal", yes_no, option=str(choice.code), variable=v
                    )
                )
            continue
        if v.kind == "likert":
            codes = missing_map(v)
            labels = {m: next(c.label for c in v.missing if c.code == stored) for m, stored in codes.items()}
            out.append(
                Column(
                    v.name,
                    v.qid,
                    "likert",
                    v.label,
                    "ordinal",
                    {c.code: c.label for c in v.choices},
                    labels,
                    codes,
                    variable=v,
                )
            )
        elif v.kind == "choice":
            out.append(
                Column(
                    v.name,
                    v.qid,
                    "choice",
                    v.label,
                    "nominal",
                    {c.code: c.label for c in v.choices},
                    variable=v,
                )
            )
        elif v.kind == "number":
            out.append(Column(v.name, v.qid, "number", v.label, "scale", variable=v))
        else:
            out.append(Column(v.name, v.qid, "text", v.label, "nominal", variable=v))
    return out


# --------------------------------------------------------------------------------------------------
# Wide and long frames


def wide_frame(frame: pd.DataFrame, bank: ItemBank, missing: str = "code") -> pd.DataFrame:
    """Typed wide data: UTC datetimes, numeric Likert/number/0-1 columns, text as text.

    ``missing="code"``: "don't know" as its numeric code (99); ``"blank"``: as empty (the analysis
    view, as in the page's statistics).
    """
    data: dict[str, Any] = {}
    for col in columns(bank):
        raw = frame[col.qid]
        if col.kind == "meta":
            if col.name == "synthetic":
                data[col.name] = raw.astype(bool).astype("Int64")
            elif col.name.endswith("_at"):
                data[col.name] = pd.to_datetime(raw, utc=True)
            else:
                data[col.name] = raw.astype("string").replace("", pd.NA)
        elif col.kind == "likert":
            back = {str(stored): code for code, stored in col.missing_stored.items()}
            data[col.name] = raw.map(lambda x, back=back: _likert_code(x, back, missing == "code")).astype(
                "Int64"
            )
        elif col.kind == "multi":
            data[col.name] = raw.map(
                lambda x, o=col.option: pd.NA if not isinstance(x, list) or not x else int(o in map(str, x))
            ).astype("Int64")
        elif col.kind == "number":
            nums = pd.to_numeric(raw, errors="coerce")
            integral = nums.dropna().map(float.is_integer).all() if nums.notna().any() else True
            data[col.name] = nums.round().astype("Int64") if integral else nums.astype("Float64")
        else:
            data[col.name] = raw.map(lambda x: x if isinstance(x, str) and x != "" else pd.NA).astype(
                "string"
            )
    return pd.DataFrame(data, index=frame.index).reset_index(drop=True)


def _likert_code(x: Any, back: Mapping[str, int], keep_missing: bool) -> Any:
    if x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NA:
        return pd.NA
    if isinstance(x, str):
        if x in back:
            return back[x] if keep_missing else pd.NA
        return pd.NA
    return int(x)


def long_frame(frame: pd.DataFrame, bank: ItemBank, lang: str) -> pd.DataFrame:
    """One row per given answer; ``value`` is the stored value as text (lists joined with ``;``),
    ``score`` the number for Likert scale points and number answers, else empty."""
    parts = []
    base = frame[["response_id", "content_version", "lang", "submitted_at"]].reset_index(drop=True)
    for v in bank.variables:
        raw = frame[v.qid].reset_index(drop=True)
        present = raw.map(lambda x: not _empty(x))
        if not present.any():
            continue
        sub = base[present].copy()
        values = raw[present]
        sub.insert(1, "variable", v.name)
        sub.insert(2, "question_id", v.qid)
        sub["artefact"] = v.artefact or ""
        sub["criterion"] = v.criterion or ""
        sub["construct"] = v.construct or ""
        sub["kind"] = v.kind
        sub["value"] = values.map(_as_text)
        if v.kind == "multi":
            sub["value_label"] = values.map(lambda x, v=v: ";".join(v.choice_label(c, lang) for c in x))
        elif v.choices or v.missing:
            sub["value_label"] = values.map(lambda x, v=v: v.choice_label(_plain(x), lang))
        else:
            sub["value_label"] = ""
        if v.kind in ("likert", "number"):
            sub["score"] = pd.to_numeric(
                values.map(lambda x: x if not isinstance(x, str) else None), errors="coerce"
            )
        else:
            sub["score"] = np.nan
        missing = {str(c) for c in v.missing_codes}
        sub["is_missing_code"] = values.map(lambda x, m=missing: isinstance(x, str) and x in m).astype(bool)
        parts.append(sub)
    cols = [
        "response_id",
        "variable",
        "question_id",
        "artefact",
        "criterion",
        "construct",
        "kind",
        "value",
        "value_label",
        "score",
        "is_missing_code",
        "content_version",
        "lang",
        "submitted_at",
    ]
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)[cols]
    out["score"] = out["score"].astype("Float64")
    return out


def _empty(x: Any) -> bool:
    if x is None or x is pd.NA:
        return True
    if isinstance(x, float) and np.isnan(x):
        return True
    return x == "" or (isinstance(x, list) and not x)


def _plain(x: Any) -> Any:
    if isinstance(x, float | np.floating) and float(x).is_integer():
        return int(x)
    return x


def _as_text(x: Any) -> str:
    if isinstance(x, list):
        return ";".join(str(c) for c in x)
    return str(_plain(x))


# --------------------------------------------------------------------------------------------------
# Files


def _csv(df: pd.DataFrame, excel: bool) -> bytes:
    """RFC 4180 CSV, UTF-8; ``excel``: BOM and ';' separator (what a pt-BR Excel opens directly)."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col].dtype):
            out[col] = (
                out[col].map(lambda t: t.strftime(ISO_FORMAT) if pd.notna(t) else pd.NA).astype("string")
            )
    text = neutralise_frame(out).to_csv(index=False, sep=";" if excel else ",", lineterminator="\r\n")
    return text.encode("utf-8-sig" if excel else "utf-8")


def wide_csv(frame: pd.DataFrame, bank: ItemBank, missing: str = "code", excel: bool = False) -> bytes:
    return _csv(wide_frame(frame, bank, missing), excel)


def long_csv(frame: pd.DataFrame, bank: ItemBank, lang: str, excel: bool = False) -> bytes:
    return _csv(long_frame(frame, bank, lang), excel)


def codebook_frame(bank: ItemBank) -> pd.DataFrame:
    """One row per wide-export variable: wording, artefact, construct, measure, codes, missing codes."""
    rows = []
    constructs = {c.key: c for c in bank.constructs}
    for col in columns(bank):
        v = col.variable
        row: dict[str, Any] = {
            "variable": col.name,
            "question_id": col.qid,
            "kind": col.kind,
            "option": col.option or "",
            "artefact": (v.artefact if v else "") or "",
            "criterion": (v.criterion if v else "") or "",
            "construct": (v.construct if v else "") or "",
            "measure": col.measure,
        }
        for lang in bank.languages:
            row[f"label_{lang}"] = tr(col.label, lang)
        for lang in bank.languages:
            row[f"construct_title_{lang}"] = (
                tr(constructs[v.construct].title, lang) if v and v.construct in constructs else ""
            )
        for lang in bank.languages:
            row[f"values_{lang}"] = " | ".join(
                f"{code} = {tr(label, lang)}" for code, label in col.values.items()
            )
        row["missing_codes"] = " | ".join(f"{code} = {col.missing_stored.get(code)}" for code in col.missing)
        for lang in bank.languages:
            row[f"missing_labels_{lang}"] = " | ".join(
                f"{code} = {tr(label, lang)}" for code, label in col.missing.items()
            )
        rows.append(row)
    return pd.DataFrame(rows)


def codebook_csv(bank: ItemBank, excel: bool = False) -> bytes:
    return _csv(codebook_frame(bank), excel)


def sav_bytes(frame: pd.DataFrame, bank: ItemBank, lang: str) -> bytes:
    """SPSS .sav: variable and value labels in ``lang``, Likert "don't know" as user-missing 99,
    Likert items ordinal. Times are UTC (SPSS keeps them to about a microsecond)."""
    import pyreadstat

    df = wide_frame(frame, bank, "code")
    cols = columns(bank)
    for col in cols:
        series = df[col.name]
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            df[col.name] = series.dt.tz_convert("UTC").dt.tz_localize(None)
        elif isinstance(series.dtype, pd.StringDtype):
            df[col.name] = series.astype(object).where(series.notna(), "")
        else:
            df[col.name] = series.astype("Float64").astype(float)
    labels = {c.name: tr(c.label, lang)[:255] for c in cols}
    value_labels = {
        c.name: {
            **{_sav_key(k): tr(t, lang) for k, t in c.values.items()},
            **{float(k): tr(t, lang) for k, t in c.missing.items()},
        }
        for c in cols
        if c.values or c.missing
    }
    missing = {c.name: [float(k) for k in c.missing] for c in cols if c.missing}
    measure = {c.name: c.measure for c in cols}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "results.sav")
        pyreadstat.write_sav(
            df,
            path,
            file_label=f"{bank.survey_id} {bank.survey_version}"[:64],
            column_labels=labels,
            variable_value_labels=value_labels,
            missing_ranges=missing,
            variable_measure=measure,
        )
        with open(path, "rb") as fh:
            return fh.read()


def _sav_key(code: Any) -> Any:
    return float(code) if isinstance(code, int | float) and not isinstance(code, bool) else str(code)


def stored_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The responses exactly as stored (metadata + the stored answers object)."""
    out = []
    raw = frame[RAW] if RAW in frame.columns else pd.Series([{}] * len(frame), index=frame.index)
    for (_, row), stored in zip(frame[list(META)].iterrows(), raw, strict=True):
        out.append(
            {
                "response_id": row["response_id"],
                "survey_version": row["survey_version"],
                "content_version": row["content_version"],
                "lang": row["lang"],
                "session_code": row["session_code"] or None,
                "started_at": _iso(row["started_at"]),
                "submitted_at": _iso(row["submitted_at"]),
                "synthetic": bool(row["synthetic"]),
                "answers": stored or {},
            }
        )
    return out


def _iso(ts: Any) -> str | None:
    if ts is None or pd.isna(ts):
        return None
    return pd.Timestamp(ts).tz_convert("UTC").strftime(ISO_FORMAT)


def json_bytes(
    frame: pd.DataFrame, bank: ItemBank, filters: Mapping[str, Any], exported_at: datetime
) -> bytes:
    doc = {
        "survey": {"id": bank.survey_id, "version": bank.survey_version},
        "exported_at": exported_at.strftime(ISO_FORMAT),
        "filters": filters,
        "n": int(len(frame)),
        "codebook": codebook_frame(bank).to_dict(orient="records"),
        "responses": stored_records(frame),
    }
    return json.dumps(doc, ensure_ascii=False, indent=1, default=str).encode("utf-8")


# --------------------------------------------------------------------------------------------------
# Methods paragraph


def _dec(x: float | None, lang: str, digits: int = 2, bounded: bool = True) -> str:
    """APA numbers: no leading zero for values bounded by 1; a decimal comma in Portuguese."""
    if x is None or not np.isfinite(x):
        return "–"
    text = f"{abs(x):.{digits}f}"
    if bounded and text.startswith("0"):
        text = text[1:]
    if x < 0:
        text = "−" + text
    return text.replace(".", ",") if lang.startswith("pt") else text


def _pct(x: float, lang: str) -> str:
    text = f"{100 * x:.1f}"
    return (text.replace(".", ",") if lang.startswith("pt") else text) + "%"


def language_name(code: str, lang: str) -> str:
    """The name of language ``code`` written in ``lang`` (falls back to its own name)."""
    key = f"results.language.{code}"
    text = i18n.t(key, lang)
    return i18n.NATIVE_NAMES.get(code, code) if text == key else text


def software_versions() -> dict[str, str]:
    import scipy
    import statsmodels

    return {
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "statsmodels": statsmodels.__version__,
    }


def methods_paragraph(
    frame: pd.DataFrame,
    bank: ItemBank,
    results: Results,
    lang: str,
    exported_at: datetime,
    version_names: Mapping[str, str] | None = None,
) -> str:
    """A methods paragraph in ``lang``, filled from the selection (to adapt, not to paste blindly)."""
    done = submitted(frame)
    t = lambda key, **kw: i18n.t(f"results.methods.{key}", lang, **kw)  # noqa: E731
    if done.empty:
        return t("empty")
    likert = bank.likert()
    answers = (
        pd.concat([done[v.qid] for v in likert], ignore_index=True) if likert else pd.Series(dtype=object)
    )
    answered = answers.map(lambda x: not _empty(x))
    dk_codes = {str(c) for c in bank.dk_codes}
    dk = answers.map(lambda x: isinstance(x, str) and x in dk_codes)
    dk_share = float(dk.sum() / answered.sum()) if answered.sum() else 0.0
    artefact_constructs = [c for c in bank.constructs if c.artefact]
    criteria = sorted(
        {v.criterion for v in likert if v.construct in {c.key for c in artefact_constructs}},
        key=list(bank.criteria).index,
    )
    sessions = sorted(s for s in done["session_code"].unique() if s)
    versions = done.groupby("content_version")["submitted_at"].agg(["min", "count"]).sort_values("min")
    version_text = ", ".join(
        f"{(version_names or {}).get(k, k)} (n = {int(r['count'])})" for k, r in versions.iterrows()
    )
    langs = done["lang"].value_counts()
    lang_text = ", ".join(
        f"{i18n.NATIVE_NAMES.get(k, k)} {_pct(n / len(done), lang)}" for k, n in langs.items()
    )
    rel_parts = []
    for c in bank.constructs:
        res = results.constructs.get(c.key)
        if res is None or res.reliability is None or res.reliability.alpha.alpha is None:
            continue
        a = res.reliability.alpha
        omega = res.reliability.omega.omega
        part = t(
            "reliability_item",
            construct=tr(c.title, lang),
            alpha=_dec(a.alpha, lang),
            low=_dec(a.ci_low, lang),
            high=_dec(a.ci_high, lang),
            n=a.n,
            k=a.k,
        )
        if omega is not None:
            part += t("omega_item", omega=_dec(omega, lang))
        rel_parts.append(part)
    sw = software_versions()
    scale_low = tr(likert[0].choices[0].label, lang) if likert else ""
    scale_high = tr(likert[0].choices[-1].label, lang) if likert else ""
    paragraphs = [
        t(
            "design",
            k_items=len([v for v in likert if v.construct in {c.key for c in artefact_constructs}]),
            n_points=len(bank.scale),
            low=scale_low,
            high=scale_high,
            criteria=", ".join(tr(bank.criteria[c], lang).lower() for c in criteria),
            n_artefacts=len(artefact_constructs),
            artefacts=", ".join(tr(c.title, lang) for c in artefact_constructs),
        ),
        t(
            "sample",
            n=len(done),
            first=done["submitted_at"].min().strftime("%Y-%m-%d"),
            last=done["submitted_at"].max().strftime("%Y-%m-%d"),
            n_sessions=len(sessions),
            n_in_sessions=int((done["session_code"] != "").sum()),
            langs=lang_text,
            n_versions=len(versions),
            versions=version_text,
            survey_versions=", ".join(sorted(done["survey_version"].unique())),
        ),
        t("missing", dk_share=_pct(dk_share, lang)),
        t("descriptives"),
        t("reliability", items="; ".join(rel_parts) if rel_parts else t("reliability_none")),
        t("groups"),
        t("software", exported=exported_at.strftime("%Y-%m-%d %H:%M UTC"), **sw),
    ]
    n_synthetic = int(done["synthetic"].sum())
    if n_synthetic:
        paragraphs.insert(0, t("synthetic_warning", n=n_synthetic))
    return "\n\n".join(paragraphs)


def methods_text(
    frame: pd.DataFrame,
    bank: ItemBank,
    results: Results,
    exported_at: datetime,
    version_names: Mapping[str, str] | None = None,
) -> str:
    """The paragraph in every language, one section each (Markdown headings)."""
    parts = []
    for lang in bank.languages:
        parts.append(
            f"## {i18n.NATIVE_NAMES.get(lang, lang)}\n\n"
            + methods_paragraph(frame, bank, results, lang, exported_at, version_names)
        )
    return "\n\n".join(parts) + "\n"


# --------------------------------------------------------------------------------------------------
# Everything at once


def bundle(
    frame: pd.DataFrame,
    bank: ItemBank,
    results: Results,
    lang: str,
    filters: Mapping[str, Any],
    exported_at: datetime,
) -> bytes:
    """A ZIP with every export and a README naming the files and the conventions."""
    stamp = exported_at.strftime("%Y%m%d-%H%M")
    files = {
        f"responses-wide-{stamp}.csv": wide_csv(frame, bank),
        f"responses-long-{stamp}.csv": long_csv(frame, bank, lang),
        f"codebook-{stamp}.csv": codebook_csv(bank),
        f"responses-{stamp}.sav": sav_bytes(frame, bank, lang),
        f"responses-{stamp}.json": json_bytes(frame, bank, filters, exported_at),
        f"methods-{stamp}.md": methods_text(frame, bank, results, exported_at).encode("utf-8"),
        "README.txt": i18n.t("results.export.readme", lang, missing=MISSING_BASE).encode("utf-8"),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()
