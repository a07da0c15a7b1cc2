"""Statistics for the DSR evaluation: Likert item descriptives, reliability and group comparisons.

Pure functions over numpy/pandas (no Streamlit), so every number on the results page is unit tested
against published reference values (``tests/unit/test_analysis.py``). Conventions, stated once here
and repeated in the methods paragraph of the exports:

* "don't know / not applicable" codes are *never* scale points: they are counted apart and excluded
  (NaN) from medians, agreement, reliability and tests;
* quartiles use pandas' default linear interpolation; the median of an even n may be x.5;
* reliability is computed on *complete cases* (listwise deletion within the construct) and the Feldt
  interval uses that explicit n, not the number of rows (pingouin's n is version-dependent);
* omega is McDonald's omega total from a one-factor maximum-likelihood model on the item correlation
  matrix (statsmodels ``Factor``), falling back to principal-axis factoring when ML fails;
* group tests are exploratory: Mann-Whitney U (two groups, tie-corrected normal approximation with
  continuity correction) with the rank-biserial r, or Kruskal-Wallis H with eta²_H and epsilon²_R;
  a group with fewer than ``MIN_TEST_N`` valid answers is never tested.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

CI_LEVEL = 0.95
MIN_TEST_N = 5
"""Smallest group a comparison test is run on (rule of thumb in the notes, section 5)."""
SMALL_N = 30
"""Below this many complete cases reliability gets a visible warning (alpha CIs are very wide)."""
MIN_OMEGA_ITEMS = 3
"""A one-factor model needs three loadings to be identified."""
QUANTILE_METHOD = "linear"


# --------------------------------------------------------------------------------------------------
# Item descriptives


@dataclass(frozen=True)
class ItemSummary:
    """Everything the notes (section 8) ask for one Likert item."""

    n_total: int
    """Responses that gave any answer to the item (valid + don't know)."""
    n_valid: int
    n_dk: int
    counts: dict[int, int]
    """Count per scale point, every point present (zeros included)."""
    median: float | None
    q1: float | None
    q3: float | None
    mean: float | None
    sd: float | None
    agree: float | None
    """Share of valid answers above the midpoint (top-2-box on a 5-point scale)."""
    neutral: float | None
    disagree: float | None

    @property
    def iqr(self) -> float | None:
        return None if self.q1 is None or self.q3 is None else self.q3 - self.q1

    @property
    def shares(self) -> dict[int, float]:
        """Share of each scale point among valid answers (0 when nobody answered)."""
        return {k: (v / self.n_valid if self.n_valid else 0.0) for k, v in self.counts.items()}

    @property
    def dk_share(self) -> float | None:
        return self.n_dk / self.n_total if self.n_total else None


def midpoint(scale: Sequence[int]) -> float:
    return (min(scale) + max(scale)) / 2


def valid_values(values: Iterable, scale: Sequence[int]) -> np.ndarray:
    """The answers that are scale points, as floats; DK codes, blanks and junk are dropped."""
    arr = _floats(values)
    return arr[np.isin(arr, [float(s) for s in scale])]


def _floats(values: Iterable) -> np.ndarray:
    """Numbers as floats; anything that is not a number becomes NaN."""
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)


def describe_item(
    values: Iterable, scale: Sequence[int] = (1, 2, 3, 4, 5), dk_codes: Iterable = ()
) -> ItemSummary:
    """Descriptives of one item from its raw answers (scale codes, DK codes, or missing)."""
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    dk_codes = list(dk_codes)
    numeric = _floats(series)
    dk_numbers = [float(c) for c in dk_codes if _is_number(c)]
    n_dk = int(np.isin(numeric, dk_numbers).sum()) if dk_numbers else 0
    dk_texts = [c for c in dk_codes if isinstance(c, str)]
    if dk_texts:
        n_dk += int(series.isin(dk_texts).sum())
    valid = numeric[np.isin(numeric, [float(s) for s in scale])]
    n_valid = int(valid.size)
    counts = {int(s): int((valid == s).sum()) for s in scale}
    if n_valid == 0:
        return ItemSummary(n_dk, 0, n_dk, counts, None, None, None, None, None, None, None, None)
    mid = midpoint(scale)
    vs = pd.Series(valid)
    q1, q3 = vs.quantile([0.25, 0.75], interpolation=QUANTILE_METHOD)
    odd = len(scale) % 2 == 1
    return ItemSummary(
        n_total=n_valid + n_dk,
        n_valid=n_valid,
        n_dk=n_dk,
        counts=counts,
        median=float(vs.median()),
        q1=float(q1),
        q3=float(q3),
        mean=float(vs.mean()),
        sd=float(vs.std(ddof=1)) if n_valid > 1 else None,
        agree=float((valid > mid).mean()),
        neutral=float((valid == mid).mean()) if odd else None,
        disagree=float((valid < mid).mean()),
    )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


# --------------------------------------------------------------------------------------------------
# Reliability


@dataclass(frozen=True)
class AlphaResult:
    alpha: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    """Cases used: complete cases (listwise) or all rows (pairwise)."""
    k: int
    level: float = CI_LEVEL
    nan_policy: str = "listwise"
    standardized: float | None = None


def feldt_ci(alpha: float, n: int, k: int, level: float = CI_LEVEL) -> tuple[float, float]:
    """Feldt, Woodruff & Salih (1987) interval for alpha, with an *explicit* number of cases ``n``.

    ``(1 - alpha) / (1 - alpha_hat)`` follows F(n - 1, (n - 1)(k - 1)); hence
    L = 1 - (1 - alpha)·F(1 - gamma/2), U = 1 - (1 - alpha)·F(gamma/2), gamma = 1 - level.
    """
    if n < 2 or k < 2:
        raise ValueError("the Feldt interval needs at least 2 cases and 2 items")
    gamma = 1.0 - level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1.0 - (1.0 - alpha) * stats.f.ppf(1.0 - gamma / 2.0, df1, df2)
    high = 1.0 - (1.0 - alpha) * stats.f.ppf(gamma / 2.0, df1, df2)
    return float(low), float(high)


def cronbach_alpha(
    items: pd.DataFrame, nan_policy: str = "listwise", level: float = CI_LEVEL, ci_n: int | None = None
) -> AlphaResult:
    """Cronbach's alpha of the columns of ``items`` (NaN = not a valid answer).

    ``listwise`` (the app's rule) keeps complete cases and reports that n; ``pairwise`` uses
    pandas' pairwise-complete covariances (as pingouin's default) and reports the row count.
    The Feldt interval uses ``ci_n`` when given, else the reported n.
    """
    if nan_policy not in ("listwise", "pairwise"):
        raise ValueError("nan_policy must be 'listwise' or 'pairwise'")
    data = items.apply(pd.to_numeric, errors="coerce").astype(float)
    k = data.shape[1]
    if nan_policy == "listwise":
        data = data.dropna(axis=0, how="any")
    n = int(data.shape[0])
    if k < 2 or n < 2:
        return AlphaResult(None, None, None, n, k, level, nan_policy)
    cov = data.cov()
    total = float(cov.to_numpy().sum())
    if not math.isfinite(total) or total <= 0:
        return AlphaResult(None, None, None, n, k, level, nan_policy)
    alpha = (k / (k - 1)) * (1.0 - float(np.trace(cov.to_numpy())) / total)
    corr = data.corr().to_numpy()
    standardized = None
    if np.all(np.isfinite(corr)):
        r_bar = (corr.sum() - k) / (k * (k - 1))
        standardized = float(k * r_bar / (1 + (k - 1) * r_bar))
    low, high = feldt_ci(alpha, ci_n if ci_n is not None else n, k, level)
    return AlphaResult(float(alpha), low, high, n, k, level, nan_policy, standardized)


@dataclass(frozen=True)
class OmegaResult:
    omega: float | None
    loadings: tuple[float, ...] = ()
    method: str | None = None
    """'ml' or 'pa' (the method that actually produced the loadings), None when not computed."""
    reason: str | None = None
    """Why omega is missing: 'too_few_items', 'too_few_cases', 'no_variance', 'not_converged'."""


def mcdonald_omega(items: pd.DataFrame, method: str = "ml") -> OmegaResult:
    """McDonald's omega total from a one-factor model on the item correlations (complete cases).

    omega = (sum lambda)^2 / ((sum lambda)^2 + sum psi), psi = 1 - lambda^2, with the loadings'
    sign flipped so that their sum is positive; ML first, principal axis when ML does not work.
    """
    from statsmodels.multivariate.factor import Factor

    data = items.apply(pd.to_numeric, errors="coerce").astype(float).dropna(axis=0, how="any")
    k = data.shape[1]
    if k < MIN_OMEGA_ITEMS:
        return OmegaResult(None, reason="too_few_items")
    if data.shape[0] <= k:
        return OmegaResult(None, reason="too_few_cases")
    if (data.std(ddof=1) <= 0).any():
        return OmegaResult(None, reason="no_variance")
    methods = [method] + [m for m in ("ml", "pa") if m != method]
    for m in methods:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = Factor(data.to_numpy(), n_factor=1, method=m).fit()
            loadings = np.asarray(fit.loadings, dtype=float)[:, 0]
        except Exception:
            continue
        if not np.all(np.isfinite(loadings)):
            continue
        if loadings.sum() < 0:
            loadings = -loadings
        loadings = np.clip(loadings, -1.0, 1.0)  # a Heywood case must not give a negative uniqueness
        common = loadings.sum() ** 2
        omega = common / (common + float((1.0 - loadings**2).sum()))
        return OmegaResult(float(omega), tuple(float(x) for x in loadings), m)
    return OmegaResult(None, reason="not_converged")


@dataclass(frozen=True)
class ItemTotal:
    item: str
    corrected_r: float | None
    """Correlation of the item with the sum of the *other* items (complete cases)."""
    alpha_if_deleted: float | None


def item_total(items: pd.DataFrame) -> list[ItemTotal]:
    """Corrected item-total correlation and alpha-if-item-deleted per column (complete cases)."""
    data = items.apply(pd.to_numeric, errors="coerce").astype(float).dropna(axis=0, how="any")
    out = []
    for col in data.columns:
        rest = data.drop(columns=[col])
        r = None
        if data.shape[0] >= 3 and rest.shape[1] >= 1:
            x, y = data[col], rest.sum(axis=1)
            if x.std(ddof=1) > 0 and y.std(ddof=1) > 0:
                r = float(np.corrcoef(x, y)[0, 1])
        a = cronbach_alpha(rest).alpha if rest.shape[1] >= 2 else None
        out.append(ItemTotal(str(col), r, a))
    return out


@dataclass(frozen=True)
class Reliability:
    """One construct: alpha with its Feldt interval, omega, item-total statistics, warnings."""

    items: tuple[str, ...]
    alpha: AlphaResult
    omega: OmegaResult
    item_total: tuple[ItemTotal, ...]
    n_rows: int
    warnings: tuple[str, ...] = ()
    """Codes for the page: 'small_n' (n < 30), 'too_few_items' (k < 3: no omega)."""


def reliability(items: pd.DataFrame, level: float = CI_LEVEL) -> Reliability:
    alpha = cronbach_alpha(items, "listwise", level)
    omega = mcdonald_omega(items)
    notes = []
    if alpha.n < SMALL_N:
        notes.append("small_n")
    if items.shape[1] < MIN_OMEGA_ITEMS:
        notes.append("too_few_items")
    return Reliability(
        tuple(str(c) for c in items.columns),
        alpha,
        omega,
        tuple(item_total(items)),
        int(items.shape[0]),
        tuple(notes),
    )


# --------------------------------------------------------------------------------------------------
# Group comparisons


@dataclass(frozen=True)
class TestResult:
    test: str
    """'mann_whitney' or 'kruskal_wallis'."""
    statistic: float
    p: float
    df: int | None
    effect: float
    effect_name: str
    """'rank_biserial' (MWU) or 'epsilon2' (KW)."""
    extra: dict[str, float] = field(default_factory=dict)
    """MWU: 'cles'; KW: 'eta2_h'."""
    groups: tuple[str, ...] = ()


def _clean(values: Iterable) -> np.ndarray:
    arr = _floats(values)
    return arr[np.isfinite(arr)]


def mann_whitney(x: Iterable, y: Iterable) -> TestResult:
    """Two-sided Mann-Whitney U of x vs y (scipy 'auto' method) with the rank-biserial r.

    U is x's statistic; r_rb = (U_x - U_y) / (n_x n_y) = 2 U_x / (n_x n_y) - 1 (Wendt 1972), positive
    when x tends to be larger; CLES = P(X > Y) + P(X = Y) / 2 = U_x / (n_x n_y).
    """
    xa, ya = _clean(x), _clean(y)
    res = stats.mannwhitneyu(xa, ya, use_continuity=True, alternative="two-sided", method="auto")
    prod = xa.size * ya.size
    u_x = float(res.statistic)
    return TestResult(
        "mann_whitney",
        u_x,
        float(res.pvalue),
        None,
        2.0 * u_x / prod - 1.0,
        "rank_biserial",
        {"cles": u_x / prod},
    )


def kruskal_wallis(samples: Sequence[Iterable]) -> TestResult:
    """Tie-corrected Kruskal-Wallis H with eta²_H = (H - k + 1)/(n - k) (floored at 0) and
    epsilon²_R = H/(n - 1) (the effect size the page shows)."""
    arrays = [_clean(s) for s in samples]
    h, p = stats.kruskal(*arrays)
    n = sum(a.size for a in arrays)
    k = len(arrays)
    eta2 = max(0.0, (h - k + 1) / (n - k)) if n > k else float("nan")
    return TestResult(
        "kruskal_wallis", float(h), float(p), k - 1, float(h / (n - 1)), "epsilon2", {"eta2_h": float(eta2)}
    )


@dataclass(frozen=True)
class GroupStat:
    group: str
    n: int
    median: float | None
    agree: float | None
    tested: bool


@dataclass(frozen=True)
class GroupComparison:
    groups: tuple[GroupStat, ...]
    test: TestResult | None
    reason: str | None = None
    """Why there is no test: 'too_few_groups' (fewer than two groups with n >= MIN_TEST_N) or
    'no_variance' (every answer identical)."""


def compare_groups(
    values: Iterable,
    groups: Iterable,
    scale: Sequence[int] = (1, 2, 3, 4, 5),
    min_n: int = MIN_TEST_N,
    order: Sequence[str] | None = None,
    points_only: bool = True,
) -> GroupComparison:
    """Per-group medians and agreement; MWU for two eligible groups, Kruskal-Wallis for more.

    ``values`` are scale points (anything else, e.g. a DK code, is dropped) or, with
    ``points_only=False``, any numbers such as construct scores. Groups with fewer than ``min_n``
    valid values are described but left out of the test.
    """
    v = _floats(values if isinstance(values, pd.Series) else list(values))
    gs = groups if isinstance(groups, pd.Series) else pd.Series(list(groups), dtype=object)
    ok = np.isin(v, [float(s) for s in scale]) if points_only else np.isfinite(v)
    ok &= gs.notna().to_numpy()
    v, g = v[ok], gs.to_numpy(dtype=object)[ok].astype(str)
    present = set(g.tolist())
    labels = [lab for lab in (order if order is not None else sorted(present)) if lab in present]
    mid = midpoint(scale)
    rows, eligible = [], []
    for lab in labels:
        vals = v[g == lab]
        tested = vals.size >= min_n
        median, agree = float(np.median(vals)), float((vals > mid).mean())
        rows.append(GroupStat(lab, int(vals.size), median, agree, tested))
        if tested:
            eligible.append((lab, vals))
    if len(eligible) < 2:
        return GroupComparison(tuple(rows), None, "too_few_groups")
    pooled = np.concatenate([vals for _, vals in eligible])
    if np.all(pooled == pooled[0]):
        return GroupComparison(tuple(rows), None, "no_variance")
    names = tuple(lab for lab, _ in eligible)
    if len(eligible) == 2:
        res = mann_whitney(eligible[0][1], eligible[1][1])
    else:
        res = kruskal_wallis([vals for _, vals in eligible])
    res = TestResult(res.test, res.statistic, res.p, res.df, res.effect, res.effect_name, res.extra, names)
    return GroupComparison(tuple(rows), res)


def holm(pvalues: Mapping[str, float]) -> dict[str, float]:
    """Holm step-down adjusted p-values (for the page's family of exploratory tests):
    p_(i) * (m - i + 1) for the i-th smallest, made monotone and capped at 1."""
    ranked = sorted(pvalues.items(), key=lambda kv: kv[1])
    m = len(ranked)
    out: dict[str, float] = {}
    running = 0.0
    for i, (key, p) in enumerate(ranked):
        running = max(running, min(1.0, (m - i) * p))
        out[key] = running
    return out
