"""The statistics against published reference values (notes: likert-analysis.md, sections 4.3 and 5).

Where the notes give rounded values they are compared at the given precision; the same quantities are
compared against scipy/numpy computed independently here at 1e-9.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from components import analysis

REF = Path(__file__).resolve().parents[1] / "fixtures" / "reference"


@pytest.fixture(scope="module")
def ratings() -> pd.DataFrame:
    """pingouin's ``cronbach_alpha`` dataset (long, 15 subjects x 10 items) made wide."""
    long = pd.read_csv(REF / "cronbach_alpha.csv")
    return long.pivot(index="Subj", columns="Items", values="Scores")


@pytest.fixture(scope="module")
def binary_missing() -> pd.DataFrame:
    return pd.read_csv(REF / "cronbach_wide_missing.csv", encoding="utf-8-sig")


def _alpha_by_formula(data: pd.DataFrame) -> float:
    """alpha = k c_bar / (v_bar + (k - 1) c_bar): an independent route to the same number."""
    cov = data.cov().to_numpy()
    k = cov.shape[0]
    v_bar = np.trace(cov) / k
    c_bar = (cov.sum() - np.trace(cov)) / (k * (k - 1))
    return k * c_bar / (v_bar + (k - 1) * c_bar)


# --- Cronbach's alpha and the Feldt interval -------------------------------------------------------


def test_alpha_on_the_ratings_dataset(ratings: pd.DataFrame) -> None:
    res = analysis.cronbach_alpha(ratings)
    assert res.n == 15 and res.k == 10
    assert res.alpha == pytest.approx(0.5917188485995826, abs=1e-12)
    assert res.alpha == pytest.approx(_alpha_by_formula(ratings), abs=1e-12)
    # 95 % Feldt interval: unrounded reference values are given to 6 decimals.
    assert res.ci_low == pytest.approx(0.194921, abs=1e-6)
    assert res.ci_high == pytest.approx(0.839821, abs=1e-6)
    assert res.standardized == pytest.approx(0.6343, abs=1e-4)


def test_feldt_interval_matches_the_f_distribution_directly(ratings: pd.DataFrame) -> None:
    res = analysis.cronbach_alpha(ratings, level=0.90)
    assert (round(res.ci_low, 3), round(res.ci_high, 3)) == (0.277, 0.812)
    df1, df2 = 14, 14 * 9
    low = 1 - (1 - res.alpha) * stats.f.isf(0.05, df1, df2)
    high = 1 - (1 - res.alpha) * stats.f.isf(0.95, df1, df2)
    assert res.ci_low == pytest.approx(low, abs=1e-9)
    assert res.ci_high == pytest.approx(high, abs=1e-9)


def test_alpha_with_missing_values_listwise_uses_complete_cases(binary_missing: pd.DataFrame) -> None:
    res = analysis.cronbach_alpha(binary_missing, nan_policy="listwise")
    assert res.n == 9, "the n reported and used for the interval is the number of complete cases"
    assert res.alpha == pytest.approx(0.8016949152542373, abs=1e-12)
    # Feldt with the explicit n = 9 (pingouin's newer behaviour) ...
    assert (round(res.ci_low, 3), round(res.ci_high, 3)) == (0.533, 0.947)
    # ... and with the row count n = 12 (pingouin 0.7.0, psych use="complete.obs").
    low, high = analysis.feldt_ci(res.alpha, 12, 11)
    assert (round(low, 3), round(high, 3)) == (0.581, 0.933)


def test_alpha_pairwise_and_median_imputed(binary_missing: pd.DataFrame) -> None:
    res = analysis.cronbach_alpha(binary_missing, nan_policy="pairwise")
    assert res.n == 12
    assert res.alpha == pytest.approx(0.732660835214447, abs=1e-12)
    assert (round(res.ci_low, 3), round(res.ci_high, 3)) == (0.435, 0.909)
    imputed = binary_missing.fillna(binary_missing.median())
    res = analysis.cronbach_alpha(imputed)
    assert res.alpha == pytest.approx(0.7380191693290734, abs=1e-12)
    assert (round(res.ci_low, 3), round(res.ci_high, 3)) == (0.447, 0.911)


@pytest.mark.parametrize(
    ("alpha", "k", "n", "level", "expected", "digits"),
    [
        (0.79, 26, 41, 0.90, (0.7047, 0.8616), 4),  # Feldt et al. (1987) worked example
        (0.79, 26, 41, 0.95, (0.6851, 0.8726), 4),
        (0.80, 4, 12, 0.95, (0.518, 0.935), 3),
        (0.80, 4, 30, 0.95, (0.651, 0.896), 3),
        (0.70, 3, 20, 0.95, (0.368, 0.872), 3),
    ],
)
def test_feldt_reference_values(alpha, k, n, level, expected, digits) -> None:
    low, high = analysis.feldt_ci(alpha, n, k, level)
    assert (round(low, digits), round(high, digits)) == expected
    gamma, df1, df2 = 1 - level, n - 1, (n - 1) * (k - 1)
    assert low == pytest.approx(1 - (1 - alpha) * stats.f.ppf(1 - gamma / 2, df1, df2), abs=1e-9)
    assert high == pytest.approx(1 - (1 - alpha) * stats.f.ppf(gamma / 2, df1, df2), abs=1e-9)


def test_alpha_is_not_computed_from_too_little_data() -> None:
    one_item = pd.DataFrame({"a": [1, 2, 3]})
    assert analysis.cronbach_alpha(one_item).alpha is None
    one_case = pd.DataFrame({"a": [1, np.nan], "b": [2, 3]})
    res = analysis.cronbach_alpha(one_case)
    assert res.alpha is None and res.n == 1
    constant = pd.DataFrame({"a": [3, 3, 3], "b": [3, 3, 3]})
    assert analysis.cronbach_alpha(constant).alpha is None


def test_feldt_refuses_degenerate_input() -> None:
    with pytest.raises(ValueError):
        analysis.feldt_ci(0.8, 1, 5)


# --- omega, item-total ---------------------------------------------------------------------------


def test_omega_ml_and_principal_axis(ratings: pd.DataFrame) -> None:
    ml = analysis.mcdonald_omega(ratings, method="ml")
    assert ml.method == "ml"
    assert ml.omega == pytest.approx(0.6756, abs=1e-4)
    pa = analysis.mcdonald_omega(ratings, method="pa")
    assert pa.method == "pa"
    assert pa.omega == pytest.approx(0.6901, abs=1e-4)
    lam = np.array(ml.loadings)
    assert ml.omega == pytest.approx(lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum()), abs=1e-12)


def test_omega_needs_three_items_and_variance() -> None:
    two = pd.DataFrame({"a": [1, 2, 3, 4, 5, 2], "b": [2, 2, 3, 5, 4, 1]})
    assert analysis.mcdonald_omega(two).reason == "too_few_items"
    flat = pd.DataFrame({"a": [3] * 8, "b": [1, 2, 3, 4, 5, 2, 3, 4], "c": [2, 2, 3, 5, 4, 1, 3, 3]})
    assert analysis.mcdonald_omega(flat).reason == "no_variance"
    few = pd.DataFrame({"a": [1, 2, 3], "b": [1, 2, 4], "c": [2, 2, 3]})
    assert analysis.mcdonald_omega(few).reason == "too_few_cases"


def test_corrected_item_total_and_alpha_if_deleted(ratings: pd.DataFrame) -> None:
    rows = {r.item: r for r in analysis.item_total(ratings)}
    assert list(rows) == list(ratings.columns)
    rest = ratings.drop(columns=["Q3"])
    expected_r = np.corrcoef(ratings["Q3"], rest.sum(axis=1))[0, 1]
    assert rows["Q3"].corrected_r == pytest.approx(expected_r, abs=1e-12)
    assert rows["Q3"].alpha_if_deleted == pytest.approx(_alpha_by_formula(rest), abs=1e-12)


def test_reliability_warns_below_30_complete_cases(ratings: pd.DataFrame) -> None:
    rel = analysis.reliability(ratings)
    assert "small_n" in rel.warnings and rel.alpha.n == 15
    big = pd.concat([ratings] * 2, ignore_index=True)
    assert "small_n" not in analysis.reliability(big).warnings
    assert "too_few_items" in analysis.reliability(ratings[["Q1", "Q2"]]).warnings


# --- item descriptives ------------------------------------------------------------------------------


def test_dont_know_is_counted_apart_and_never_as_neutral() -> None:
    raw = [5, 4, 4, 3, 2, -1, -1, None, 1, 5]
    s = analysis.describe_item(raw, dk_codes=[-1])
    assert s.n_valid == 7 and s.n_dk == 2 and s.n_total == 9
    assert s.counts == {1: 1, 2: 1, 3: 1, 4: 2, 5: 2}
    assert s.agree == pytest.approx(4 / 7)
    assert s.neutral == pytest.approx(1 / 7)
    assert s.disagree == pytest.approx(2 / 7)
    assert s.median == 4.0
    # the same answers with DK recoded as 3 would change the median: it must not happen
    assert analysis.describe_item([3 if v == -1 else v for v in raw]).median == 3.0


def test_median_and_linear_quartiles() -> None:
    s = analysis.describe_item([1, 2, 4, 5])
    assert s.median == 3.0  # the midpoint of an even n
    assert (s.q1, s.q3) == (1.75, 4.25)
    assert s.iqr == pytest.approx(2.5)
    assert s.q1 == np.percentile([1, 2, 4, 5], 25)


def test_text_dont_know_codes_and_empty_items() -> None:
    s = analysis.describe_item(["dk", "dk", 4], dk_codes=["dk"])
    assert (s.n_valid, s.n_dk) == (1, 2)
    empty = analysis.describe_item([None, None], dk_codes=[-1])
    assert empty.n_valid == 0 and empty.median is None and empty.agree is None


# --- group comparisons ----------------------------------------------------------------------------


def test_mann_whitney_reference() -> None:
    np.random.seed(123)
    x = np.random.uniform(0, 1, 20)
    y = np.random.uniform(0.2, 1.2, 20)
    res = analysis.mann_whitney(x, y)
    assert res.statistic == 97.0
    assert res.p == pytest.approx(0.0055604599321374135, abs=1e-12)
    assert round(res.p, 5) == 0.00556
    assert res.effect == pytest.approx(-0.515, abs=1e-12)
    assert res.extra["cles"] == pytest.approx(0.2425, abs=1e-12)
    direct = stats.mannwhitneyu(x, y, alternative="two-sided")
    assert res.p == pytest.approx(direct.pvalue, abs=1e-9)


def test_kruskal_wallis_hair_colour_reference() -> None:
    data = pd.read_csv(REF / "anova.csv")
    samples = [g["Pain threshold"].to_numpy() for _, g in data.groupby("Hair color")]
    res = analysis.kruskal_wallis(samples)
    assert res.df == 3
    assert round(res.statistic, 5) == 10.58863
    assert round(res.p, 6) == 0.014172
    assert round(res.extra["eta2_h"], 4) == 0.5059
    assert round(res.effect, 4) == 0.5883
    direct = stats.kruskal(*samples)
    assert res.statistic == pytest.approx(direct.statistic, abs=1e-9)
    assert res.p == pytest.approx(direct.pvalue, abs=1e-9)


def test_kruskal_wallis_toothgrowth_effect_sizes() -> None:
    data = pd.read_csv(REF / "ToothGrowth.csv")
    res = analysis.kruskal_wallis([g["len"].to_numpy() for _, g in data.groupby("dose")])
    assert res.extra["eta2_h"] == pytest.approx(0.6784024, abs=1e-7)
    assert res.effect == pytest.approx(0.689303987542, abs=1e-12)


def test_compare_groups_never_tests_a_group_below_five() -> None:
    values = pd.Series([5, 4, 5, 4, 5, 2, 1, 2, 3, 2, 4, 4, -1])
    groups = pd.Series(["a"] * 5 + ["b"] * 5 + ["c"] * 2 + ["a"])
    cmp = analysis.compare_groups(values, groups)
    by = {g.group: g for g in cmp.groups}
    assert by["a"].n == 5, "the DK answer is not a valid answer"
    assert not by["c"].tested and by["a"].tested and by["b"].tested
    assert cmp.test is not None and cmp.test.test == "mann_whitney"
    assert cmp.test.groups == ("a", "b")
    assert cmp.test.statistic == stats.mannwhitneyu([5, 4, 5, 4, 5], [2, 1, 2, 3, 2]).statistic
    assert by["a"].median == 5.0 and by["a"].agree == 1.0


def test_compare_three_groups_uses_kruskal_and_too_few_gives_no_test() -> None:
    values = pd.Series([5, 4, 5, 4, 5, 2, 1, 2, 3, 2, 3, 3, 4, 3, 3])
    groups = pd.Series(["a"] * 5 + ["b"] * 5 + ["c"] * 5)
    cmp = analysis.compare_groups(values, groups)
    assert cmp.test.test == "kruskal_wallis" and cmp.test.df == 2
    small = analysis.compare_groups(values[:8], groups[:8])
    assert small.test is None and small.reason == "too_few_groups"
    same = analysis.compare_groups(pd.Series([4] * 10), pd.Series(["a"] * 5 + ["b"] * 5))
    assert same.test is None and same.reason == "no_variance"


def test_holm_adjustment() -> None:
    adj = analysis.holm({"x": 0.01, "y": 0.04, "z": 0.03})
    assert adj == pytest.approx({"x": 0.03, "y": 0.06, "z": 0.06})
