"""The researchers' results page: overview, artefacts, design iterations, comments, exports, audit.

Streamlit glue only: the numbers come from ``results_data``/``analysis``, the figures from
``likert_figures``, the files from ``exports``. What respondents typed is shown with ``st.text`` or
in data tables, never as Markdown or HTML.

Caching (the page must stay fast with thousands of responses): a cheap *data version* (response
count and latest submission, withdrawal count and latest withdrawal) is read on every run; the
responses frame is cached as a shared read-only resource per data version, and the analysis with
``st.cache_data`` per data version and filter values. Exports are generated only when a download
button is pressed, and each one is written to the audit log first.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from components import analysis, exports, i18n, likert_figures, storage, ui
from components import results_data as rd
from components.model import Atlas, tr

log = logging.getLogger(__name__)

K = "results."
"""Prefix of this page's widget keys."""
TAB_KEY = K + "tab"
AUDIT_ROWS = 200
COMMENTS_PER_PAGE = 20
CHART_CONFIG = {"displayModeBar": False, "responsive": True}


def t(key: str, **values: Any) -> str:
    return ui.t(f"results.{key}", **values)


# --------------------------------------------------------------------------------------------- data


def data_version(engine: sa.Engine) -> tuple:
    """Changes whenever a response is stored or withdrawn: (count, latest submission, withdrawals,
    latest withdrawal). Two aggregate queries, cheap enough for every run."""
    storage.ensure_schema(engine)
    r, w = storage.responses, storage.withdrawals
    with engine.connect() as conn:
        n, last = conn.execute(sa.select(sa.func.count(), sa.func.max(r.c.submitted_at))).one()
        nw, last_w = conn.execute(sa.select(sa.func.count(), sa.func.max(w.c.withdrawn_at))).one()
    return (int(n), str(last), int(nw), str(last_w))


def withdrawal_times(engine: sa.Engine) -> list[datetime]:
    """When responses were withdrawn (tombstones carry nothing else)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(storage.withdrawals.c.withdrawn_at)).all()
    return [_utc(r[0]) for r in rows if r[0] is not None]


def draft_meta(engine: sa.Engine) -> pd.DataFrame:
    """Unsent drafts (questionnaires started and not submitted), metadata only."""
    d = storage.drafts
    with engine.connect() as conn:
        rows = conn.execute(sa.select(d.c.started_at, d.c.session_code, d.c.lang, d.c.survey_version)).all()
    frame = pd.DataFrame(rows, columns=["started_at", "session_code", "lang", "survey_version"])
    frame["started_at"] = pd.to_datetime(frame["started_at"].map(_utc), utc=True)
    frame["session_code"] = frame["session_code"].fillna("")
    return frame


def recent_audit(engine: sa.Engine, limit: int = AUDIT_ROWS) -> tuple[list[dict], dict[str, int]]:
    """The newest audit rows (newest first) and the count per action over the whole log."""
    a = storage.audit_log
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(a).order_by(a.c.id.desc()).limit(limit))]
        counts = dict(conn.execute(sa.select(a.c.action, sa.func.count()).group_by(a.c.action)).all())
    for row in rows:
        row["at"] = _utc(row["at"])
    return rows, {k: int(v) for k, v in counts.items()}


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@st.cache_resource(max_entries=4, show_spinner=False)
def _bank(survey_version: str, content_version: str, _atlas: Atlas) -> rd.ItemBank:
    return rd.bank_from_survey(_atlas.survey, _atlas.diagrams, _atlas.languages)


@dataclass(frozen=True)
class Loaded:
    frame: pd.DataFrame
    options: rd.FilterOptions
    groups: dict[str, rd.Grouping]
    version_names: dict[str, str]
    n_real: int
    n_synthetic: int


@st.cache_resource(max_entries=2, show_spinner=False)
def _load(url: str, version: tuple, bank_key: str, _bank: rd.ItemBank) -> Loaded:
    """Every stored response as a frame: shared, read-only, one per data version."""
    rows = storage.fetch_responses(storage.get_engine(url))
    frame = rd.responses_frame(rows, _bank)
    options = rd.filter_options(frame)
    names = {v: f"v{i + 1} · {v}" for i, v in enumerate(options.content_versions)}
    n_syn = int(frame["synthetic"].sum())
    return Loaded(frame, options, rd.groupings(frame, _bank), names, len(frame) - n_syn, n_syn)


def _select(loaded: Loaded, filters: rd.Filters, include_synthetic: bool) -> pd.DataFrame:
    frame = loaded.frame if include_synthetic else loaded.frame[~loaded.frame["synthetic"]]
    return rd.apply_filters(frame, filters)


@st.cache_data(max_entries=32, show_spinner=False)
def _analyse(
    url: str,
    version: tuple,
    bank_key: str,
    filter_key: tuple,
    include_synthetic: bool,
    _bank: rd.ItemBank,
    _filters: rd.Filters,
) -> rd.Results:
    loaded = _load(url, version, bank_key, _bank)
    selection = _select(loaded, _filters, include_synthetic)
    return rd.analyse(selection, _bank, loaded.groups, loaded.options.content_versions)


# ------------------------------------------------------------------------------------------- filters


def _clean_multiselect(key: str, options: tuple[str, ...]) -> None:
    """Drop remembered choices that are no longer options (new data, another survey version)."""
    chosen = st.session_state.get(key)
    if chosen:
        st.session_state[key] = [c for c in chosen if c in options]


def _follow_date_range(key: str, first: date, last: date) -> None:
    """Keep the date filter meaningful when data arrive or leave: an untouched filter (still the
    whole range of the data it last saw) follows the new range, a chosen one is clamped into it."""
    full_key = key + ".full"
    chosen = st.session_state.get(key)
    previous = st.session_state.get(full_key)
    if chosen is not None and len(chosen) == 1:
        st.session_state[full_key] = (first, last)
        return  # the person is half-way through picking a range
    if not chosen or tuple(chosen) == previous:
        chosen = (first, last)
    else:
        lo = min(max(chosen[0], first), last)
        hi = min(max(chosen[-1], lo), last)
        chosen = (lo, hi)
    st.session_state[key] = chosen
    st.session_state[full_key] = (first, last)


def _filter_bar(loaded: Loaded, lang: str) -> tuple[rd.Filters, bool]:
    opts = loaded.options
    for name, values in (
        ("sessions", opts.sessions),
        ("langs", opts.langs),
        ("survey_versions", opts.survey_versions),
        ("content_versions", opts.content_versions),
    ):
        _clean_multiselect(K + "f." + name, values)
    with st.expander(t("filters.title"), icon=":material/filter_list:", expanded=False):
        c1, c2 = st.columns(2)
        days: Any = ()
        if opts.first_day and opts.last_day:
            _follow_date_range(K + "f.dates", opts.first_day, opts.last_day)
            days = c1.date_input(
                t("filters.dates"),
                min_value=opts.first_day,
                max_value=opts.last_day,
                key=K + "f.dates",
                format="YYYY-MM-DD",
            )
        sessions = c2.multiselect(
            t("filters.sessions"), opts.sessions, key=K + "f.sessions", placeholder=t("filters.all")
        )
        c3, c4 = st.columns(2)
        langs = c3.multiselect(
            t("filters.langs"),
            opts.langs,
            key=K + "f.langs",
            placeholder=t("filters.all"),
            format_func=lambda code: i18n.NATIVE_NAMES.get(code, code),
        )
        survey_versions = c4.multiselect(
            t("filters.survey_versions"),
            opts.survey_versions,
            key=K + "f.survey_versions",
            placeholder=t("filters.all"),
        )
        content_versions = st.multiselect(
            t("filters.content_versions"),
            opts.content_versions,
            key=K + "f.content_versions",
            placeholder=t("filters.all"),
            format_func=lambda v: loaded.version_names.get(v, v),
        )
        include_synthetic = True
        if loaded.n_synthetic:
            include_synthetic = st.toggle(
                t("filters.synthetic", n=loaded.n_synthetic),
                value=loaded.n_real == 0,
                key=K + "f.synthetic",
                help=t("filters.synthetic_help"),
            )
    first = last = None
    if isinstance(days, tuple | list) and days:
        first = days[0]
        last = days[1] if len(days) > 1 else days[0]
        if first == opts.first_day and last == opts.last_day:
            first = last = None
    filters = rd.Filters(
        first,
        last,
        tuple(sessions),
        tuple(langs),
        tuple(survey_versions),
        tuple(content_versions),
    )
    return filters, include_synthetic


def _filters_summary(filters: rd.Filters, n: int, total: int) -> str:
    if not filters.active:
        return t("filters.summary_all", n=n)
    return t("filters.summary", n=n, total=total)


# ------------------------------------------------------------------------------------------- render


def render() -> None:
    atlas = ui.get_atlas()
    lang = ui.lang()
    st.title(t("title"), anchor=False)
    if atlas.survey is None:
        st.info(t("no_survey"), icon=":material/info:")
        return
    url = ui.database_url()
    try:
        engine = storage.get_engine(url)
        version = data_version(engine)
    except (SQLAlchemyError, OSError) as exc:
        log.warning("results: database unavailable (%s: %s)", type(exc).__name__, exc)
        st.error(t("db_error"), icon=":material/cloud_off:")
        return
    bank_key = f"{atlas.survey.version}:{atlas.content_version}"
    bank = _bank(atlas.survey.version, atlas.content_version, atlas)
    loaded = _load(url, version, bank_key, bank)
    st.caption(t("subtitle"))

    if loaded.frame.empty:
        st.info(t("no_responses"), icon=":material/inbox:")
        st.code("python -m components.demo_data --n 300", language="bash")
        _audit_tab(engine, lang)
        return

    filters, include_synthetic = _filter_bar(loaded, lang)
    filter_key = tuple(asdict(filters).items())
    results = _analyse(url, version, bank_key, filter_key, include_synthetic, bank, filters)
    _RUN_KEY.set((url, version, bank_key, filter_key, include_synthetic, lang))
    total = len(loaded.frame) if include_synthetic else loaded.n_real
    st.caption(_filters_summary(filters, results.n, total))
    if include_synthetic and loaded.n_synthetic:
        st.warning(t("synthetic_banner"), icon=":material/science:")

    def exports_or_empty() -> None:
        if results.n == 0:
            st.info(t("empty_selection"), icon=":material/filter_alt_off:")
        else:
            _exports_tab(url, version, bank_key, bank, loaded, filters, include_synthetic, lang)

    sections = [
        ("overview", lambda: _overview_tab(engine, loaded, results, filters, bank, lang)),
        ("artefacts", lambda: _small_or(results, lambda: _artefacts_tab(results, loaded, bank, lang))),
        (
            "iterations",
            lambda: _small_or(results, lambda: _iterations_tab(results, loaded, bank, atlas, lang)),
        ),
        ("comments", lambda: _small_or(results, lambda: _comments_tab(results, bank, atlas, lang))),
        ("exports", exports_or_empty),
        ("audit", lambda: _audit_tab(engine, lang)),
    ]
    # Lazy tabs: only the open one runs, so a page with thousands of responses stays quick to draw.
    tabs = st.tabs([t(f"tab.{name}") for name, _ in sections], key=TAB_KEY, on_change="rerun")
    for tab, (_, draw) in zip(tabs, sections, strict=True):
        with tab:
            if tab.open:
                draw()


def _small_or(results: rd.Results, draw) -> None:
    if results.n == 0:
        st.info(t("empty_selection"), icon=":material/filter_alt_off:")
    elif results.too_small:
        st.info(t("too_small", min=rd.MIN_CELL), icon=":material/visibility_off:")
    else:
        draw()


def _stat(
    label: str, value: Any, caption: str | None = None, help: str | None = None, width: int = 240
) -> None:
    """A bordered figure with a small explanation under it; boxes wrap two by two on a phone."""
    with st.container(border=True, width=width, gap="xsmall"):
        st.metric(label, value, help=help)
        if caption:
            st.caption(caption)


_RUN_KEY: contextvars.ContextVar[tuple] = contextvars.ContextVar("results_run_key", default=())
"""What the figures of this run depend on (data version, filters, language): their cache key."""


@st.cache_resource(max_entries=256, show_spinner=False)
def _figure(key: tuple, _build: Callable[[], Any]) -> Any:
    """Figures are cached as shared objects: building one (plotly validation) costs ~30 ms, and
    ``st.plotly_chart`` only reads it (``to_dict``), so no copy is needed."""
    return _build()


def _chart(build: Callable[[], Any], key: str, alt: str) -> None:
    fig = _figure((*_RUN_KEY.get(), key), build)
    st.plotly_chart(fig, key=key, config=CHART_CONFIG, width="stretch", alt=alt)


# ------------------------------------------------------------------------------------------ overview


def _overview_tab(
    engine,
    loaded: Loaded,
    results: rd.Results,
    filters: rd.Filters,
    bank: rd.ItemBank,
    lang: str,
) -> None:
    ov = results.overview
    drafts, withdrawn = _drafts_and_withdrawals(engine, filters)
    rate = (
        ov.n_submitted / (ov.n_submitted + drafts) if drafts is not None and ov.n_submitted + drafts else None
    )
    with st.container(horizontal=True, gap="small"):
        _stat(t("overview.submitted"), ov.n_submitted, width=150)
        _stat(
            t("overview.in_progress"),
            "–" if drafts is None else drafts,
            help=t("overview.in_progress_help"),
            width=150,
        )
        _stat(
            t("overview.withdrawn"),
            "–" if withdrawn is None else withdrawn,
            help=t("overview.withdrawn_help"),
            width=150,
        )
        _stat(
            t("overview.completion"),
            "–" if rate is None else f"{rate:.0%}",
            help=t("overview.completion_help"),
            width=150,
        )
    if results.n == 0:
        st.info(t("empty_selection"), icon=":material/filter_alt_off:")
        return
    if results.too_small:
        st.info(t("too_small", min=rd.MIN_CELL), icon=":material/visibility_off:")
        return
    st.subheader(t("overview.over_time"), anchor=False)
    days = [d.isoformat() for d, _ in ov.per_day]
    counts = [n for _, n in ov.per_day]
    running, total = [], 0
    for n in counts:
        total += n
        running.append(total)
    _chart(
        lambda: likert_figures.timeline(
            days,
            counts,
            y_title=t("overview.per_day"),
            cumulative=running,
            cumulative_name=t("overview.cumulative"),
            bars_name=t("overview.per_day"),
        ),
        K + "timeline",
        t("overview.over_time"),
    )
    left, right = st.columns(2)
    with left:
        st.subheader(t("overview.sessions"), anchor=False)
        _counts_chart(ov.sessions, lambda k: k, K + "sessions", none_key="overview.no_sessions")
    with right:
        st.subheader(t("overview.languages"), anchor=False)
        _counts_chart(ov.langs, lambda k: i18n.NATIVE_NAMES.get(k, k), K + "langs")
    st.subheader(t("overview.profile"), anchor=False)
    by_qid = bank.by_qid()
    profile_cols = st.columns(2)
    for i, (qid, counts_) in enumerate(ov.profiles.items()):
        v = by_qid[qid]
        group = loaded.groups[qid]
        with profile_cols[i % 2]:
            st.markdown(f"**{ui.md_escape(tr(v.label, lang))}**")
            _counts_chart(counts_, lambda k, g=group: tr(g.labels.get(k), lang) or k, K + f"profile.{qid}")
    if len(ov.survey_versions.shown) > 1:
        st.subheader(t("overview.survey_versions"), anchor=False)
        _counts_chart(ov.survey_versions, lambda k: k, K + "survey_versions")


def _drafts_and_withdrawals(engine, filters: rd.Filters) -> tuple[int | None, int | None]:
    """Unsent drafts and withdrawals matching the filters they can match (dates; drafts also
    session, language and survey version). None when the database cannot tell right now."""
    try:
        drafts = draft_meta(engine)
        times = withdrawal_times(engine)
    except (SQLAlchemyError, OSError):
        return None, None
    if filters.date_from:
        drafts = drafts[drafts["started_at"].dt.date >= filters.date_from]
        times = [x for x in times if x.date() >= filters.date_from]
    if filters.date_to:
        drafts = drafts[drafts["started_at"].dt.date <= filters.date_to]
        times = [x for x in times if x.date() <= filters.date_to]
    for col, chosen in (
        ("session_code", filters.sessions),
        ("lang", filters.langs),
        ("survey_version", filters.survey_versions),
    ):
        if chosen:
            drafts = drafts[drafts[col].isin(chosen)]
    return len(drafts), len(times)


def _counts_chart(counts: rd.Counts, label, key: str, none_key: str | None = None) -> None:
    if not counts.shown and not counts.hidden_groups:
        st.caption(t(none_key or "overview.none"))
        return
    note = None
    if counts.hidden_groups:
        note = t("overview.hidden", groups=counts.hidden_groups, min=rd.MIN_CELL)
    if counts.shown:
        _chart(
            lambda: likert_figures.horizontal_counts(
                [label(k) for k, _ in counts.shown], [n for _, n in counts.shown]
            ),
            key,
            key,
        )
    if note:
        st.caption(note)


# ----------------------------------------------------------------------------------------- artefacts


def _fmt(x: float | None, digits: int = 2, lead: bool = True) -> str:
    if x is None or pd.isna(x):
        return "–"
    text = f"{x:.{digits}f}"
    if not lead:
        text = text.replace("0.", ".", 1) if abs(x) < 1 else text
    return text


def _pct(x: float | None) -> str:
    return "–" if x is None or pd.isna(x) else f"{x:.0%}"


def _artefacts_tab(results: rd.Results, loaded: Loaded, bank: rd.ItemBank, lang: str) -> None:
    st.caption(t("artefacts.intro"))
    grouping_options = [g for g in loaded.groups if g in results.overview.profiles]
    by_qid = bank.by_qid()
    group_qid = None
    if grouping_options:
        group_qid = st.selectbox(
            t("artefacts.compare_by"),
            grouping_options,
            key=K + "compare_by",
            format_func=lambda q: tr(by_qid[q].label, lang),
        )
    scale_labels = {c.code: tr(c.label, lang) for c in bank.likert()[0].choices} if bank.likert() else {}
    dk_label = (
        tr(bank.likert()[0].missing[0].label, lang) if bank.likert() and bank.likert()[0].missing else ""
    )
    for construct in bank.constructs:
        res = results.constructs.get(construct.key)
        if res is None:
            continue
        with st.container(border=True):
            _construct(construct, res, bank, loaded, group_qid, scale_labels, dk_label, lang)


def _construct(
    construct: rd.Construct,
    res: rd.ConstructResult,
    bank: rd.ItemBank,
    loaded: Loaded,
    group_qid: str | None,
    scale_labels: dict,
    dk_label: str,
    lang: str,
) -> None:
    st.subheader(tr(construct.title, lang), anchor=False)
    rel = res.reliability
    rows = [
        likert_figures.LikertRow(
            item.variable.qid,
            tr(bank.criteria.get(item.variable.criterion), lang) or item.variable.name,
            item.summary.counts,
            item.summary.n_dk,
        )
        for item in res.items
    ]
    _chart(
        lambda: likert_figures.diverging_likert(
            rows,
            bank.scale,
            scale_labels,
            dk_label=dk_label,
            percent_axis=t("artefacts.percent_axis"),
            dk_axis=t("artefacts.dk_axis"),
            n_format=t("artefacts.n_format"),
        ),
        K + f"likert.{construct.key}",
        tr(construct.title, lang),
    )
    if rel is not None:
        a, om = rel.alpha, rel.omega
        if "small_n" in rel.warnings:
            st.warning(t("artefacts.small_n", n=a.n, min=analysis.SMALL_N), icon=":material/warning:")
        with st.container(horizontal=True, gap="small"):
            _stat(
                t("artefacts.alpha"),
                _fmt(a.alpha),
                t("artefacts.alpha_ci", low=_fmt(a.ci_low), high=_fmt(a.ci_high), n=a.n),
                t("artefacts.alpha_help", low=_fmt(a.ci_low), high=_fmt(a.ci_high), n=a.n, k=a.k),
            )
            if om.omega is not None:
                _stat(
                    t("artefacts.omega"),
                    _fmt(om.omega),
                    t(f"artefacts.omega_method.{om.method}"),
                    t("artefacts.omega_help"),
                )
            else:
                _stat(t("artefacts.omega"), "–", t(f"artefacts.omega_missing.{om.reason or 'too_few_items'}"))
            _stat(
                t("artefacts.score"),
                _fmt(res.score_mean),
                t(
                    "artefacts.score_caption",
                    sd=_fmt(res.score_sd),
                    median=_fmt(res.score_median),
                    n=res.score_n,
                ),
                t("artefacts.score_help"),
            )
    totals = {it.item: it for it in (rel.item_total if rel else ())}
    table = []
    for item in res.items:
        s, v = item.summary, item.variable
        it = totals.get(v.qid)
        table.append(
            {
                t("col.criterion"): tr(bank.criteria.get(v.criterion), lang),
                t("col.n_valid"): s.n_valid,
                t("col.n_dk"): s.n_dk,
                t("col.distribution"): [s.counts.get(p, 0) for p in bank.scale],
                t("col.median"): s.median,
                t("col.iqr"): f"{s.q1:g}–{s.q3:g}" if s.q1 is not None else "–",
                t("col.agree"): None if s.agree is None else round(100 * s.agree, 1),
                t("col.item_total"): None
                if it is None or it.corrected_r is None
                else round(it.corrected_r, 2),
                t("col.alpha_deleted"): None
                if it is None or it.alpha_if_deleted is None
                else round(it.alpha_if_deleted, 2),
            }
        )
    st.dataframe(
        pd.DataFrame(table),
        hide_index=True,
        width="stretch",
        column_config={
            t("col.criterion"): st.column_config.TextColumn(width=150),
            t("col.n_valid"): st.column_config.NumberColumn(width=60),
            t("col.n_dk"): st.column_config.NumberColumn(width=72),
            t("col.distribution"): st.column_config.BarChartColumn(
                width=88, y_min=0, help=t("col.distribution_help", low=min(bank.scale), high=max(bank.scale))
            ),
            t("col.median"): st.column_config.NumberColumn(format="%.1f", width=60),
            t("col.iqr"): st.column_config.TextColumn(width=76),
            t("col.agree"): st.column_config.NumberColumn(format="%.1f%%", width=80),
            t("col.item_total"): st.column_config.NumberColumn(format="%.2f", width=80),
            t("col.alpha_deleted"): st.column_config.NumberColumn(format="%.2f", width=80),
        },
    )
    with st.expander(t("artefacts.wording")):
        for item in res.items:
            st.text(f"{item.variable.name} · {tr(item.variable.label, lang)}")
    if group_qid:
        _comparison(res, bank, loaded, group_qid, lang)


def _comparison(
    res: rd.ConstructResult, bank: rd.ItemBank, loaded: Loaded, group_qid: str, lang: str
) -> None:
    group = loaded.groups[group_qid]
    by_qid = bank.by_qid()
    comps = res.comparisons_by(group_qid)
    if not comps:
        return
    with st.expander(t("artefacts.comparison_title", group=tr(by_qid[group_qid].label, lang))):
        st.caption(t("artefacts.exploratory", min_test=analysis.MIN_TEST_N, min=rd.MIN_CELL))
        rows = []
        hidden_total = 0
        for c in comps:
            shown, hidden = rd.visible_groups(c.result.groups)
            hidden_total = max(hidden_total, hidden)
            target = (
                t("artefacts.score_row")
                if c.target == rd.SCORE
                else (tr(bank.criteria.get(by_qid[c.target].criterion), lang) or by_qid[c.target].name)
            )
            row: dict[str, Any] = {t("col.target"): target}
            test = c.result.test
            # The test first (visible without scrolling), then one column per group.
            if test is None:
                row[t("col.test")] = t(f"artefacts.no_test.{c.result.reason}")
                row["p"] = row[t("col.p_holm")] = row[t("col.effect")] = "–"
            else:
                stat = (
                    f"U = {test.statistic:.1f}"
                    if test.test == "mann_whitney"
                    else f"H({test.df}) = {test.statistic:.2f}"
                )
                row[t("col.test")] = f"{t(f'artefacts.test.{test.test}')}: {stat}"
                row["p"] = _p(test.p)
                row[t("col.p_holm")] = _p(c.p_holm)
                row[t("col.effect")] = f"{t('artefacts.effect.' + test.effect_name)} = {_fmt(test.effect, 2)}"
            for g in shown:
                name = tr(group.labels.get(g.group), lang) or g.group
                mark = "" if g.tested else " †"
                row[name] = f"{_fmt(g.median, 1)} · {_pct(g.agree)} (n={g.n}){mark}"
            rows.append(row)
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        st.caption(t("artefacts.legend"))
        if hidden_total:
            st.caption(t("overview.hidden", groups=hidden_total, min=rd.MIN_CELL))


def _p(p: float | None) -> str:
    if p is None or pd.isna(p):
        return "–"
    return "< .001" if p < 0.001 else f"{p:.3f}".replace("0.", ".", 1)


# ---------------------------------------------------------------------------------------- iterations


def _iterations_tab(results: rd.Results, loaded: Loaded, bank: rd.ItemBank, atlas: Atlas, lang: str) -> None:
    it = results.iterations
    st.caption(t("iterations.intro"))
    rows = []
    for v in it.versions:
        small = v.n < rd.MIN_CELL
        rows.append(
            {
                t("col.version"): loaded.version_names.get(v.content_version, v.content_version),
                t("col.current"): "✓" if v.content_version == atlas.content_version else "",
                t("col.first"): "–" if small else v.first.strftime("%Y-%m-%d"),
                t("col.last"): "–" if small else v.last.strftime("%Y-%m-%d"),
                t("col.n"): t("iterations.fewer", min=rd.MIN_CELL) if small else str(v.n),
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    if len(it.compared) < 2:
        st.info(t("iterations.one_version", min=rd.MIN_CELL), icon=":material/info:")
        return
    names = [loaded.version_names.get(v, v).split(" · ")[0] for v in it.compared]
    st.caption(t("iterations.delta_note", first=names[0], last=names[-1]))
    for construct in bank.constructs:
        items = bank.likert(construct.key)
        if not items:
            continue
        with st.container(border=True):
            st.subheader(tr(construct.title, lang), anchor=False)
            crit = {v.qid: tr(bank.criteria.get(v.criterion), lang) or v.name for v in items}
            values = {
                (crit[v.qid], name): it.cells[(v.qid, ver)].agree
                for v in items
                for ver, name in zip(it.compared, names, strict=True)
                if (v.qid, ver) in it.cells and it.cells[(v.qid, ver)].agree is not None
            }
            _chart(
                lambda crit=crit, values=values: likert_figures.version_dots(
                    list(crit.values()), names, values, x_title=t("iterations.agree_axis")
                ),
                K + f"iter.{construct.key}",
                tr(construct.title, lang),
            )
            table = []
            for v in items:
                row: dict[str, Any] = {t("col.criterion"): crit[v.qid]}
                for ver, name in zip(it.compared, names, strict=True):
                    cell = it.cells.get((v.qid, ver))
                    row[name] = (
                        "–"
                        if cell is None
                        else f"{_pct(cell.agree)} · Md {_fmt(cell.median, 1)} (n={cell.n})"
                    )
                d_agree = it.delta(v.qid, "agree")
                d_median = it.delta(v.qid, "median")
                row[t("col.delta_agree")] = "–" if d_agree is None else f"{100 * d_agree:+.0f} pp"
                row[t("col.delta_median")] = "–" if d_median is None else f"{d_median:+.1f}"
                table.append(row)
            st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")


# ------------------------------------------------------------------------------------------ comments


def _comments_tab(results: rd.Results, bank: rd.ItemBank, atlas: Atlas, lang: str) -> None:
    st.caption(t("comments.intro"))
    keys = list(results.comments)
    if not keys:
        st.caption(t("comments.none"))
        return

    def label(k: str) -> str:
        if not k:
            return t("comments.general")
        d = atlas.diagrams.get(k)
        return tr(d.title, lang) if d else k

    counts = {k: len(results.comments[k]) for k in keys}
    key = (
        st.segmented_control(
            t("comments.artefact"),
            keys,
            key=K + "comments.artefact",
            default=keys[0],
            format_func=lambda k: f"{label(k)} ({counts[k]})",
        )
        or keys[0]
    )
    items = results.comments.get(key)
    if items is None or items.empty:
        st.caption(t("comments.none"))
        return
    pages = max(1, -(-len(items) // COMMENTS_PER_PAGE))
    page = 1
    if pages > 1:
        page_key = K + f"comments.page.{key}"
        # Fewer pages after a filter change: stay on the last one rather than fail.
        st.session_state[page_key] = min(max(1, int(st.session_state.get(page_key) or 1)), pages)
        page = st.number_input(
            t("comments.page", pages=pages), min_value=1, max_value=pages, step=1, key=page_key, width=200
        )
    by_qid = bank.by_qid()
    start = (int(page) - 1) * COMMENTS_PER_PAGE
    for c in items.iloc[start : start + COMMENTS_PER_PAGE].itertuples(index=False):
        with st.container(border=True):
            st.caption(
                f"{c.day.isoformat() if c.day else ''} · {i18n.NATIVE_NAMES.get(c.lang, c.lang)} · "
                f"{ui.md_escape(tr(by_qid[c.qid].label, lang))}"
            )
            st.text(c.text)


# ------------------------------------------------------------------------------------------- exports


def _exports_tab(
    url: str,
    version: tuple,
    bank_key: str,
    bank: rd.ItemBank,
    loaded: Loaded,
    filters: rd.Filters,
    include_synthetic: bool,
    lang: str,
) -> None:
    st.caption(t("exports.intro"))
    c1, c2, c3 = st.columns(3)
    label_lang = c1.selectbox(
        t("exports.label_lang"),
        list(bank.languages),
        index=list(bank.languages).index(lang) if lang in bank.languages else 0,
        key=K + "x.lang",
        format_func=lambda c: i18n.NATIVE_NAMES.get(c, c),
    )
    dk_blank = c2.toggle(
        t("exports.dk_blank"),
        key=K + "x.dk_blank",
        help=t("exports.dk_blank_help", code=exports.MISSING_BASE),
    )
    excel = c3.toggle(t("exports.excel"), key=K + "x.excel", help=t("exports.excel_help"))
    filter_detail = {
        k: (list(v) if isinstance(v, tuple) else (v.isoformat() if isinstance(v, date) else v))
        for k, v in asdict(filters).items()
    }
    filter_detail["include_synthetic"] = include_synthetic

    def selection() -> pd.DataFrame:
        return rd.submitted(_select(_load(url, version, bank_key, bank), filters, include_synthetic))

    def make(kind: str, build):
        """A deferred download: the audit row is written first; no audit row, no file."""

        def produce() -> bytes:
            frame = selection()
            storage.append_audit(
                storage.get_engine(url),
                "results.exported",
                {
                    "kind": kind,
                    "rows": int(len(frame)),
                    "filters": filter_detail,
                    "labels": label_lang,
                    "dk": "blank" if dk_blank else "code",
                    "excel": bool(excel),
                },
            )
            return build(frame)

        return produce

    now = datetime.now(UTC)
    stamp = now.strftime("%Y%m%d-%H%M")

    def results_now(_frame: pd.DataFrame) -> rd.Results:
        return _analyse(
            url, version, bank_key, tuple(asdict(filters).items()), include_synthetic, bank, filters
        )

    files = [
        (
            "wide_csv",
            f"responses-wide-{stamp}.csv",
            "text/csv",
            lambda f: exports.wide_csv(f, bank, "blank" if dk_blank else "code", excel),
            ":material/table:",
        ),
        (
            "long_csv",
            f"responses-long-{stamp}.csv",
            "text/csv",
            lambda f: exports.long_csv(f, bank, label_lang, excel),
            ":material/view_list:",
        ),
        (
            "codebook",
            f"codebook-{stamp}.csv",
            "text/csv",
            lambda f: exports.codebook_csv(bank, excel),
            ":material/menu_book:",
        ),
        (
            "sav",
            f"responses-{stamp}.sav",
            "application/octet-stream",
            lambda f: exports.sav_bytes(f, bank, label_lang),
            ":material/analytics:",
        ),
        (
            "json",
            f"responses-{stamp}.json",
            "application/json",
            lambda f: exports.json_bytes(f, bank, filter_detail, datetime.now(UTC)),
            ":material/data_object:",
        ),
        (
            "methods",
            f"methods-{stamp}.md",
            "text/markdown",
            lambda f: exports.methods_text(
                f, bank, results_now(f), datetime.now(UTC), loaded.version_names
            ).encode("utf-8"),
            ":material/article:",
        ),
        (
            "bundle",
            f"atlas-results-{stamp}.zip",
            "application/zip",
            lambda f: exports.bundle(f, bank, results_now(f), label_lang, filter_detail, datetime.now(UTC)),
            ":material/folder_zip:",
        ),
    ]
    for pair in (files[i : i + 2] for i in range(0, len(files), 2)):
        for col, (kind, name, mime, build, icon) in zip(st.columns(2), pair, strict=False):
            with col.container(border=True):
                st.download_button(
                    t(f"exports.{kind}"),
                    data=make(kind, build),
                    file_name=name,
                    mime=mime,
                    icon=icon,
                    key=K + f"x.{kind}",
                    on_click="ignore",
                    width="stretch",
                    type="primary" if kind == "bundle" else "secondary",
                )
                st.caption(t(f"exports.{kind}_help", code=exports.MISSING_BASE))
    st.subheader(t("exports.methods_preview"), anchor=False)
    st.text(
        _methods_preview(
            url,
            version,
            bank_key,
            tuple(asdict(filters).items()),
            include_synthetic,
            lang,
            now.date().isoformat(),
            bank,
            filters,
        )
    )


@st.cache_data(max_entries=16, show_spinner=False)
def _methods_preview(
    url: str,
    version: tuple,
    bank_key: str,
    filter_key: tuple,
    include_synthetic: bool,
    lang: str,
    day: str,
    _bank: rd.ItemBank,
    _filters: rd.Filters,
) -> str:
    loaded = _load(url, version, bank_key, _bank)
    frame = rd.submitted(_select(loaded, _filters, include_synthetic))
    results = _analyse(url, version, bank_key, filter_key, include_synthetic, _bank, _filters)
    return exports.methods_paragraph(frame, _bank, results, lang, datetime.now(UTC), loaded.version_names)


# --------------------------------------------------------------------------------------------- audit


def _audit_tab(engine, lang: str) -> None:
    st.caption(t("audit.intro", rows=AUDIT_ROWS))
    try:
        rows, counts = recent_audit(engine)
    except (SQLAlchemyError, OSError):
        st.error(t("db_error"), icon=":material/cloud_off:")
        return
    if counts:
        st.dataframe(
            pd.DataFrame([{t("col.action"): k, t("col.count"): v} for k, v in sorted(counts.items())]),
            hide_index=True,
            width="content",
        )
    if not rows:
        st.caption(t("audit.empty"))
        return
    table = [
        {
            t("col.at"): r["at"].strftime("%Y-%m-%d %H:%M:%S UTC") if r["at"] else "",
            t("col.action"): r["action"],
            t("col.detail"): _detail(r["detail"]),
        }
        for r in rows
    ]
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")


def _detail(detail: Any) -> str:
    if detail is None:
        return ""
    if isinstance(detail, dict):
        return ", ".join(f"{k}={v}" for k, v in detail.items())
    return str(detail)
