"""From stored responses and the questionnaire definition to the tidy frames the results page shows.

Pure (pandas only). The questionnaire is reduced to an :class:`ItemBank` — one :class:`Variable` per
question with its export name, wording in every language, artefact, criterion, codes and missing
codes — so the analysis, the figures and the exports never need to know what the questions are
about. Stored responses become one *responses frame*: one row per response, the metadata columns
of :data:`META` and one column per question id holding the raw stored value (scale code, "don't know"
code, choice code, list of codes, or text).

Small-cell rule: no breakdown shows a group of fewer than :data:`MIN_CELL` responses, so no one can be
singled out by filtering or grouping.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd

from components import analysis
from components.model import Text, tr

MIN_CELL = 3
"""Smallest group any breakdown shows (k-anonymity for small workshops)."""

META = (
    "response_id",
    "survey_version",
    "content_version",
    "lang",
    "session_code",
    "started_at",
    "submitted_at",
    "synthetic",
)
"""Metadata columns of the responses frame, in export order."""

RAW = "_answers"
"""Column of the responses frame holding the stored answers object unchanged."""

KINDS = ("likert", "choice", "multi", "text", "number")

_SPSS_RESERVED = {"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"}
_NAME_BAD = re.compile(r"[^A-Za-z0-9_]+")


@dataclass(frozen=True)
class Choice:
    code: int | str
    label: Text


@dataclass(frozen=True)
class Variable:
    """One question as the results page and the exports see it."""

    qid: str
    """Key of the answer in the stored answers JSON (and column of the responses frame)."""
    name: str
    """SPSS-safe export name, e.g. ``PM_UND`` (derived from the definition, never hard-coded)."""
    kind: str
    """One of :data:`KINDS`."""
    label: Text
    artefact: str | None = None
    """The diagram the question is about (Likert items, and comments in an artefact's section)."""
    criterion: str | None = None
    construct: str | None = None
    """Likert items: the key of the multi-item construct they belong to (see :class:`ItemBank`)."""
    choices: tuple[Choice, ...] = ()
    """Valid codes: the scale points of a Likert item, the options of a choice question."""
    missing: tuple[Choice, ...] = ()
    """Codes that are answers but not values: "don't know / not applicable"."""
    profile: bool = False
    """A respondent-profile question (single choice or number outside any artefact): a grouping."""
    section: str | None = None

    @property
    def codes(self) -> list[int | str]:
        return [c.code for c in self.choices]

    @property
    def missing_codes(self) -> list[int | str]:
        return [c.code for c in self.missing]

    def choice_label(self, code: Any, lang: str) -> str:
        for c in (*self.choices, *self.missing):
            if c.code == code or str(c.code) == str(code):
                return tr(c.label, lang)
        return "" if code is None else str(code)


@dataclass(frozen=True)
class Construct:
    """A multi-item construct: an artefact's Likert items, or an "overall" criterion's items."""

    key: str
    title: Text
    artefact: str | None
    qids: tuple[str, ...]


@dataclass(frozen=True)
class ItemBank:
    variables: tuple[Variable, ...]
    constructs: tuple[Construct, ...]
    criteria: Mapping[str, Text]
    """Criteria in questionnaire order: id -> label."""
    scale: tuple[int, ...] = (1, 2, 3, 4, 5)
    survey_id: str = "survey"
    survey_version: str = ""
    languages: tuple[str, ...] = ("pt-BR", "en")

    def by_qid(self) -> dict[str, Variable]:
        return {v.qid: v for v in self.variables}

    def construct(self, key: str) -> Construct | None:
        return next((c for c in self.constructs if c.key == key), None)

    def likert(self, construct: str | None = None) -> list[Variable]:
        return [
            v
            for v in self.variables
            if v.kind == "likert" and (construct is None or v.construct == construct)
        ]

    def comments(self, artefact: str | None) -> list[Variable]:
        return [v for v in self.variables if v.kind == "text" and v.artefact == artefact]

    def profile(self) -> list[Variable]:
        return [v for v in self.variables if v.profile]

    @property
    def dk_codes(self) -> list[int | str]:
        out: list[int | str] = []
        for v in self.likert():
            out.extend(c for c in v.missing_codes if c not in out)
        return out


_KIND_OF = {
    "single": "choice",
    "multiple": "multi",
    "likert": "likert",
    "text": "text",
    "long_text": "text",
    "number": "number",
}


def bank_from_survey(
    survey: Any, diagrams: Mapping[str, Any] | None = None, languages: Sequence[str] = ("pt-BR", "en")
) -> ItemBank:
    """The :class:`ItemBank` of a parsed questionnaire (``components.survey.Survey``).

    Constructs: each evaluated artefact's Likert items (titled with the diagram's title), then each
    criterion rated for the artefacts as a whole. Export names: ``<A>_<CRI>`` for Likert items of an
    artefact, where ``<A>`` is the prefix its item ids share (else an abbreviation of the artefact id)
    and ``<CRI>`` the shortest distinct prefix of the criterion id; other questions use their id.
    """
    diagrams = diagrams or {}
    scale_points = tuple(range(1, len(survey.scale.anchors) + 1))
    scale_choices = tuple(
        Choice(i, label) for i, label in zip(scale_points, survey.scale.anchors, strict=True)
    )
    dk = (Choice(survey.scale.dont_know_code, survey.scale.dont_know_label),)
    criteria = {c.id: c.label for c in survey.criteria}
    overall = {c.id for c in survey.criteria if c.overall}

    likert = [(q, s) for s in survey.sections for q in s.questions if q.type == "likert"]
    artefacts = list(dict.fromkeys(q.artefact for q, _ in likert if q.artefact))
    names = likert_names(
        [(q.id, q.artefact, q.criterion) for q, _ in likert if q.artefact],
        artefact_codes=_shared_prefixes({a: [q.id for q, _ in likert if q.artefact == a] for a in artefacts}),
    )
    taken = {n.upper() for n in names.values()} | {m.upper() for m in META}

    variables: list[Variable] = []
    for section in survey.sections:
        for q in section.questions:
            kind = _KIND_OF.get(q.type, "text")
            construct = None
            if kind == "likert":
                construct = q.artefact if q.artefact else f"overall:{q.criterion}"
            if q.id in names:
                name = names[q.id]
            else:
                name = spss_name(q.id, taken)
            variables.append(
                Variable(
                    qid=q.id,
                    name=name,
                    kind=kind,
                    label=q.label,
                    artefact=q.artefact or (section.artefact if kind != "likert" else None),
                    criterion=q.criterion,
                    construct=construct,
                    choices=scale_choices
                    if kind == "likert"
                    else tuple(Choice(o.code, o.label) for o in q.options),
                    missing=dk if kind == "likert" else (),
                    profile=kind in ("choice", "number") and section.artefact is None,
                    section=section.id,
                )
            )
    constructs = [
        Construct(
            a,
            getattr(diagrams.get(a), "title", None) or {"en": a},
            a,
            tuple(v.qid for v in variables if v.construct == a),
        )
        for a in artefacts
    ]
    for cid in [c.id for c in survey.criteria if c.id in overall]:
        qids = tuple(v.qid for v in variables if v.construct == f"overall:{cid}")
        if qids:
            constructs.append(Construct(f"overall:{cid}", criteria[cid], None, qids))
    return ItemBank(
        tuple(variables),
        tuple(constructs),
        criteria,
        scale_points,
        survey.id,
        survey.version,
        tuple(languages),
    )


def _shared_prefixes(qids_by_artefact: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """The first ``_``-separated segment shared by all of an artefact's item ids, when it is shared
    by no other artefact (``pm_understandability``, ``pm_completeness`` -> ``PM``)."""
    found: dict[str, str] = {}
    for art, qids in qids_by_artefact.items():
        heads = {q.split("_", 1)[0] for q in qids if "_" in q}
        if len(heads) == 1 and len(qids) == sum(1 for q in qids if "_" in q):
            found[art] = heads.pop().upper()
    counts: dict[str, int] = {}
    for code in found.values():
        counts[code] = counts.get(code, 0) + 1
    return {a: c for a, c in found.items() if counts[c] == 1}


# --------------------------------------------------------------------------------------------------
# Export names


def spss_name(raw: str, taken: set[str] | None = None) -> str:
    """An SPSS-safe variable name: letters, digits, underscore; starts with a letter; <= 64 bytes;
    not a reserved word; unique (case-insensitively) among ``taken``, which it updates."""
    name = _NAME_BAD.sub("_", raw).strip("_").upper() or "V"
    if not name[0].isalpha():
        name = "V" + name
    name = name[:64]
    if name in _SPSS_RESERVED:
        name = name + "_"
    if taken is not None:
        base, i = name, 2
        while name.upper() in taken:
            suffix = str(i)
            name = base[: 64 - len(suffix)] + suffix
            i += 1
        taken.add(name.upper())
    return name


def abbreviations(ids: Sequence[str], min_len: int) -> dict[str, str]:
    """The shortest distinct upper-case prefixes (at least ``min_len`` letters) of ids: a generic way
    to name ``<artefact>_<criterion>`` variables without knowing any id in advance."""
    letters = {i: re.sub(r"[^A-Za-z0-9]", "", i).upper() or "X" for i in ids}
    out: dict[str, str] = {}
    for i in ids:
        n = min_len
        while n < len(letters[i]) and any(
            letters[j][:n] == letters[i][:n] for j in ids if j != i and letters[j] != letters[i]
        ):
            n += 1
        out[i] = letters[i][:n]
    return out


def likert_names(
    items: Sequence[tuple[str, str | None, str | None]],
    artefact_codes: Mapping[str, str] | None = None,
    taken: set[str] | None = None,
) -> dict[str, str]:
    """Export names for Likert items given as ``(qid, artefact, criterion)``: ``ART_CRI``, plus a
    number when one artefact has several items on one criterion. ``artefact_codes`` overrides the
    abbreviation of an artefact id."""
    taken = taken if taken is not None else set()
    arts = abbreviations(list(dict.fromkeys(a for _, a, _ in items if a)), 2)
    arts.update(artefact_codes or {})
    crits = abbreviations(list(dict.fromkeys(c for _, _, c in items if c)), 3)
    stems: dict[str, str] = {}
    for qid, art, crit in items:
        parts = [arts[art]] if art else []
        parts.append(crits[crit] if crit else qid)
        stems[qid] = "_".join(parts)
    counts: dict[str, int] = {}
    for stem in stems.values():
        counts[stem] = counts.get(stem, 0) + 1
    seen: dict[str, int] = {}
    out: dict[str, str] = {}
    for qid, _, _ in items:
        stem = stems[qid]
        if counts[stem] > 1:
            seen[stem] = seen.get(stem, 0) + 1
            stem = f"{stem}{seen[stem]}"
        out[qid] = spss_name(stem, taken)
    return out


# --------------------------------------------------------------------------------------------------
# Responses frame


def responses_frame(rows: Iterable[Mapping[str, Any]], bank: ItemBank) -> pd.DataFrame:
    """One row per response: :data:`META`, one column per question (raw stored values), and
    :data:`RAW` with the stored answers object itself (for the exact JSON export).

    Each row is a mapping with the META keys and ``answers`` (``{question_id: value}``); answers to
    questions the bank does not know stay only in :data:`RAW`; missing metadata becomes NA.
    """
    qids = [v.qid for v in bank.variables]
    records = []
    for row in rows:
        answers = row.get("answers") or {}
        rec = {m: row.get(m) for m in META}
        for q in qids:
            rec[q] = answers.get(q)
        rec[RAW] = answers
        records.append(rec)
    frame = pd.DataFrame.from_records(records, columns=[*META, *qids, RAW])
    return normalise_frame(frame, bank)


def normalise_frame(frame: pd.DataFrame, bank: ItemBank) -> pd.DataFrame:
    """Types the responses frame: UTC datetimes, strings, bools, numeric Likert columns."""
    out = frame.copy()
    for col in ("started_at", "submitted_at"):
        out[col] = pd.to_datetime(out[col], utc=True, errors="coerce", format="mixed")
    for col in ("response_id", "survey_version", "content_version", "lang", "session_code"):
        out[col] = out[col].astype("string").fillna("")
    out["synthetic"] = out["synthetic"].fillna(False).astype(bool)
    for v in bank.variables:
        if v.kind in ("likert", "number") and all(isinstance(c, int) for c in (*v.codes, *v.missing_codes)):
            out[v.qid] = pd.to_numeric(out[v.qid], errors="coerce").astype("Float64")
    return out


def likert_values(frame: pd.DataFrame, variables: Sequence[Variable], scale: Sequence[int]) -> pd.DataFrame:
    """The analysis view: one float column per item, valid scale points only (DK and blank -> NaN)."""
    allowed = [float(s) for s in scale]
    cols = {}
    for v in variables:
        col = pd.to_numeric(frame[v.qid], errors="coerce").astype(float)
        cols[v.qid] = col.where(col.isin(allowed))
    return pd.DataFrame(cols, index=frame.index)


def _plain(x: Any) -> Any:
    """Whole floats back to ints (a nullable Float64 column stores 4 as 4.0)."""
    if isinstance(x, float | np.floating) and float(x).is_integer():
        return int(x)
    return x


# --------------------------------------------------------------------------------------------------
# Filters


@dataclass(frozen=True)
class Filters:
    """The page's filters; an empty tuple means "all". Hashable, so it can key a cache."""

    date_from: date | None = None
    date_to: date | None = None
    sessions: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    survey_versions: tuple[str, ...] = ()
    content_versions: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return any(
            (
                self.date_from,
                self.date_to,
                self.sessions,
                self.langs,
                self.survey_versions,
                self.content_versions,
            )
        )


def apply_filters(frame: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Rows matching every filter; dates are compared on the UTC submission date."""
    mask = pd.Series(True, index=frame.index)
    when = frame["submitted_at"].where(frame["submitted_at"].notna(), frame["started_at"])
    day = when.dt.date
    if filters.date_from:
        mask &= day >= filters.date_from
    if filters.date_to:
        mask &= day <= filters.date_to
    for col, chosen in (
        ("session_code", filters.sessions),
        ("lang", filters.langs),
        ("survey_version", filters.survey_versions),
        ("content_version", filters.content_versions),
    ):
        if chosen:
            mask &= frame[col].isin(list(chosen))
    return frame[mask.fillna(False).astype(bool)]


@dataclass(frozen=True)
class FilterOptions:
    first_day: date | None
    last_day: date | None
    sessions: tuple[str, ...]
    langs: tuple[str, ...]
    survey_versions: tuple[str, ...]
    content_versions: tuple[str, ...]
    """In order of first response (the design iterations' order)."""


def filter_options(frame: pd.DataFrame) -> FilterOptions:
    when = frame["submitted_at"].dropna()
    content = (
        frame.dropna(subset=["submitted_at"])
        .groupby("content_version")["submitted_at"]
        .min()
        .sort_values()
        .index.tolist()
    )
    return FilterOptions(
        when.min().date() if len(when) else None,
        when.max().date() if len(when) else None,
        tuple(sorted(c for c in frame["session_code"].unique() if c)),
        tuple(sorted(c for c in frame["lang"].unique() if c)),
        tuple(sorted(c for c in frame["survey_version"].unique() if c)),
        tuple(c for c in content if c),
    )


def submitted(frame: pd.DataFrame) -> pd.DataFrame:
    """Completed responses only: what the evaluation is computed on."""
    return frame[frame["submitted_at"].notna()]


# --------------------------------------------------------------------------------------------------
# Small-cell protection


@dataclass(frozen=True)
class Counts:
    shown: list[tuple[str, int]]
    hidden_groups: int = 0
    hidden_n: int = 0


def protected_counts(
    values: pd.Series, order: Sequence[str] | None = None, min_cell: int = MIN_CELL
) -> Counts:
    """Counts per category with every category below ``min_cell`` withheld (only their total is
    reported, and only when that total itself is not below ``min_cell``)."""
    counts = values.dropna().astype(str)
    counts = counts[counts != ""].value_counts()
    keys = [k for k in (order or []) if k in counts.index] + sorted(
        k for k in counts.index if k not in (order or [])
    )
    shown, hidden, hidden_n = [], 0, 0
    for k in keys:
        n = int(counts[k])
        if n >= min_cell:
            shown.append((k, n))
        else:
            hidden += 1
            hidden_n += n
    if hidden_n and hidden_n < min_cell:
        hidden_n = 0  # even the total of the small groups could single someone out
    return Counts(shown, hidden, hidden_n)


# --------------------------------------------------------------------------------------------------
# Groupings (respondent profile) for the exploratory comparisons


@dataclass(frozen=True)
class Grouping:
    """A profile question turned into groups: choice codes, or bands of a number question."""

    qid: str
    order: tuple[str, ...]
    """Group keys in display order (choice codes, or band labels such as ``0-3``)."""
    labels: Mapping[str, Text]
    bands: tuple[tuple[float, float], ...] = ()
    """Closed intervals of a number question, one per key of ``order``."""

    def assign(self, values: pd.Series) -> pd.Series:
        """The group key of each answer (None when unanswered or out of every band)."""
        if not self.bands:
            text = values.astype("string")
            known = text.isin(list(self.order)).fillna(False).to_numpy(dtype=bool)
            out = pd.Series([None] * len(values), index=values.index, dtype=object)
            out[known] = text[known].astype(object)
            return out
        nums = pd.to_numeric(values, errors="coerce")
        out = pd.Series([None] * len(values), index=values.index, dtype=object)
        for key, (lo, hi) in zip(self.order, self.bands, strict=True):
            out[(nums >= lo) & (nums <= hi)] = key
        return out


def groupings(frame: pd.DataFrame, bank: ItemBank, n_bands: int = 3) -> dict[str, Grouping]:
    """One grouping per profile question. Number questions are cut into ``n_bands`` bands at the
    quantiles of *all* submitted answers (so the bands do not move when the page is filtered)."""
    out: dict[str, Grouping] = {}
    for v in bank.profile():
        if v.kind == "choice":
            out[v.qid] = Grouping(
                v.qid, tuple(str(c) for c in v.codes), {str(c.code): c.label for c in v.choices}
            )
            continue
        nums = pd.to_numeric(submitted(frame)[v.qid], errors="coerce").dropna()
        if nums.nunique() < 2:
            continue
        integer = bool((nums == nums.round()).all())
        cuts = sorted(set(np.quantile(nums, np.linspace(0, 1, n_bands + 1)[1:-1]).round(0 if integer else 2)))
        edges = [
            float(nums.min()),
            *[float(c) for c in cuts if nums.min() <= c < nums.max()],
            float(nums.max()),
        ]
        bands, order = [], []
        for i in range(len(edges) - 1):
            lo = edges[i] if i == 0 else (edges[i] + 1 if integer else edges[i])
            hi = edges[i + 1]
            if lo > hi:
                continue
            bands.append((lo, hi))
            order.append(f"{_num(lo)}–{_num(hi)}" if lo != hi else _num(lo))
        out[v.qid] = Grouping(
            v.qid, tuple(order), {k: dict.fromkeys(bank.languages, k) for k in order}, tuple(bands)
        )
    return out


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


# --------------------------------------------------------------------------------------------------
# Analysis bundle (what the page caches)


@dataclass(frozen=True)
class ItemResult:
    variable: Variable
    summary: analysis.ItemSummary


@dataclass(frozen=True)
class Comparison:
    """One grouping against one item, or against the construct score (``target == SCORE``)."""

    group_qid: str
    target: str
    result: analysis.GroupComparison
    p_holm: float | None = None
    """Holm-adjusted over the construct's tests for this grouping."""


SCORE = "__score__"


@dataclass(frozen=True)
class ConstructResult:
    key: str
    items: tuple[ItemResult, ...]
    reliability: analysis.Reliability | None
    """None when the construct has fewer than two Likert items."""
    score_mean: float | None
    score_sd: float | None
    score_median: float | None
    score_n: int
    comparisons: tuple[Comparison, ...] = ()

    def comparisons_by(self, group_qid: str) -> list[Comparison]:
        return [c for c in self.comparisons if c.group_qid == group_qid]


def construct_scores(values: pd.DataFrame, min_share: float = 0.5) -> pd.Series:
    """Mean of the valid items per respondent when at least ``min_share`` of them are answered."""
    if values.shape[1] == 0:
        return pd.Series(dtype=float, index=values.index)
    answered = values.notna().sum(axis=1)
    score = values.mean(axis=1, skipna=True)
    return score.where(answered >= max(1, int(np.ceil(min_share * values.shape[1]))))


def analyse_construct(
    frame: pd.DataFrame, bank: ItemBank, key: str, groups: Mapping[str, Grouping] | None = None
) -> ConstructResult:
    """Items, reliability, construct score and group comparisons of one construct."""
    items = bank.likert(key)
    results = tuple(
        ItemResult(v, analysis.describe_item(frame[v.qid], bank.scale, v.missing_codes)) for v in items
    )
    values = likert_values(frame, items, bank.scale)
    rel = analysis.reliability(values) if len(items) >= 2 else None
    score = construct_scores(values)
    valid = score.dropna()
    comparisons: list[Comparison] = []
    for g in (groups or {}).values():
        assigned = g.assign(frame[g.qid])
        batch = [
            Comparison(
                g.qid, v.qid, analysis.compare_groups(values[v.qid], assigned, bank.scale, order=g.order)
            )
            for v in items
        ]
        if len(items) >= 2:
            batch.append(
                Comparison(
                    g.qid,
                    SCORE,
                    analysis.compare_groups(score, assigned, bank.scale, order=g.order, points_only=False),
                )
            )
        adjusted = analysis.holm({c.target: c.result.test.p for c in batch if c.result.test})
        comparisons.extend(Comparison(c.group_qid, c.target, c.result, adjusted.get(c.target)) for c in batch)
    return ConstructResult(
        key,
        results,
        rel,
        float(valid.mean()) if len(valid) else None,
        float(valid.std(ddof=1)) if len(valid) > 1 else None,
        float(valid.median()) if len(valid) else None,
        int(len(valid)),
        tuple(comparisons),
    )


def visible_groups(stats: Sequence[analysis.GroupStat], min_cell: int = MIN_CELL) -> tuple[list, int]:
    """The group rows a page may show (n >= min_cell) and how many were withheld."""
    shown = [g for g in stats if g.n >= min_cell]
    return shown, len(stats) - len(shown)


@dataclass(frozen=True)
class VersionRow:
    content_version: str
    first: datetime | None
    last: datetime | None
    n: int


@dataclass(frozen=True)
class VersionCell:
    n: int
    median: float | None
    agree: float | None


@dataclass(frozen=True)
class Iterations:
    versions: tuple[VersionRow, ...]
    """Every content version in the selection, in order of first response."""
    compared: tuple[str, ...]
    """The versions with at least MIN_CELL responses: the only ones broken down (or dated)."""
    cells: Mapping[tuple[str, str], VersionCell] = field(default_factory=dict)
    """(item qid or ``score:<construct>``, content version) -> summary, compared versions only."""

    def delta(self, target: str, what: str = "agree") -> float | None:
        """Last compared version minus the first, for one item (agreement share or median)."""
        if len(self.compared) < 2:
            return None
        a, b = self.cells.get((target, self.compared[0])), self.cells.get((target, self.compared[-1]))
        if a is None or b is None or getattr(a, what) is None or getattr(b, what) is None:
            return None
        return getattr(b, what) - getattr(a, what)


def iterations(frame: pd.DataFrame, bank: ItemBank, order: Sequence[str] | None = None) -> Iterations:
    """Per content version: dates and n; per item, n / median / agreement for versions >= MIN_CELL."""
    done = submitted(frame)
    if done.empty:
        return Iterations((), ())
    grouped = done.groupby("content_version")["submitted_at"].agg(["min", "max", "count"])
    keys = [k for k in (order or []) if k in grouped.index]
    keys += [k for k in grouped.sort_values("min").index if k not in keys]
    versions = tuple(
        VersionRow(
            k,
            grouped.loc[k, "min"].to_pydatetime(),
            grouped.loc[k, "max"].to_pydatetime(),
            int(grouped.loc[k, "count"]),
        )
        for k in keys
    )
    compared = tuple(v.content_version for v in versions if v.n >= MIN_CELL)
    cells: dict[tuple[str, str], VersionCell] = {}
    for ver in compared:
        sub = done[done["content_version"] == ver]
        for v in bank.likert():
            s = analysis.describe_item(sub[v.qid], bank.scale, v.missing_codes)
            cells[(v.qid, ver)] = VersionCell(s.n_valid, s.median, s.agree)
    return Iterations(versions, compared, cells)


# --------------------------------------------------------------------------------------------------
# Overview and comments


@dataclass(frozen=True)
class Overview:
    n_started: int
    n_submitted: int
    n_withdrawn: int | None
    per_day: tuple[tuple[date, int], ...]
    sessions: Counts
    langs: Counts
    survey_versions: Counts
    profiles: Mapping[str, Counts]


def overview(
    frame: pd.DataFrame, bank: ItemBank, groups: Mapping[str, Grouping], n_withdrawn: int | None = None
) -> Overview:
    done = submitted(frame)
    days = done["submitted_at"].dt.date.value_counts().sort_index()
    profiles = {}
    for qid, g in groups.items():
        profiles[qid] = protected_counts(g.assign(done[qid]), g.order)
    return Overview(
        n_started=int(len(frame)),
        n_submitted=int(len(done)),
        n_withdrawn=n_withdrawn,
        per_day=tuple((d, int(n)) for d, n in days.items()),
        sessions=protected_counts(done["session_code"]),
        langs=protected_counts(done["lang"], list(bank.languages)),
        survey_versions=protected_counts(done["survey_version"]),
        profiles=profiles,
    )


COMMENT_COLUMNS = ("qid", "text", "lang", "day")


def comments(frame: pd.DataFrame, bank: ItemBank, artefact: str | None) -> pd.DataFrame:
    """The free-text answers about one artefact (``None``: the general ones), newest first, as a
    frame with :data:`COMMENT_COLUMNS` (a frame, not objects: thousands of comments are cached and
    copied on every page run)."""
    done = submitted(frame).sort_values("submitted_at", ascending=False, kind="stable")
    parts = []
    for v in bank.comments(artefact):
        text = done[v.qid]
        keep = text.map(lambda x: isinstance(x, str) and bool(x.strip())).to_numpy(dtype=bool)
        if keep.any():
            sub = done[keep]
            parts.append(
                pd.DataFrame(
                    {
                        "qid": v.qid,
                        "text": sub[v.qid].astype(object),
                        "lang": sub["lang"].astype(object),
                        "day": sub["submitted_at"].dt.date,
                        "_at": sub["submitted_at"],
                    }
                )
            )
    if not parts:
        return pd.DataFrame(columns=list(COMMENT_COLUMNS))
    out = pd.concat(parts).sort_values("_at", ascending=False, kind="stable")
    return out[list(COMMENT_COLUMNS)].reset_index(drop=True)


@dataclass(frozen=True)
class Results:
    """Everything the page shows for one filtered selection (cached as one object)."""

    n: int
    too_small: bool
    overview: Overview
    constructs: Mapping[str, ConstructResult]
    iterations: Iterations
    comments: Mapping[str, pd.DataFrame]
    """Keyed by artefact id, and ``""`` for comments on no artefact."""


def analyse(
    selection: pd.DataFrame,
    bank: ItemBank,
    groups: Mapping[str, Grouping],
    version_order: Sequence[str] | None = None,
    n_withdrawn: int | None = None,
) -> Results:
    """The whole analysis of a filtered selection; nothing is broken down below MIN_CELL responses."""
    done = submitted(selection)
    ov = overview(selection, bank, groups, n_withdrawn)
    if len(done) < MIN_CELL:
        return Results(len(done), True, ov, {}, Iterations((), ()), {})
    constructs = {c.key: analyse_construct(done, bank, c.key, groups) for c in bank.constructs}
    artefacts = list(dict.fromkeys(v.artefact for v in bank.variables if v.kind == "text"))
    return Results(
        len(done),
        False,
        ov,
        constructs,
        iterations(done, bank, version_order),
        {a or "": comments(done, bank, a) for a in artefacts},
    )


def utc_now() -> datetime:
    return datetime.now(UTC)
