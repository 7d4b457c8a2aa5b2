"""Tests for kamseg.evaluate: KAM performance by period and cohort retention.

Expected values are counted by hand in the comments, or compared with a plain-Python
reference implementation built on sets.
"""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kamseg.errors import (
    ColumnNotFoundError,
    ConfigError,
    EmptyInputError,
    KamsegWarning,
    SchemaError,
)
from kamseg.evaluate import (
    KAM_PERFORMANCE_COLUMNS,
    CalendarFreq,
    CohortKind,
    cohort_retention,
    kam_performance,
)
from kamseg.transactions import prepare_transactions

NAN = float("nan")

# b's return in the `tx` fixture is netted, with one notice per call; tests of the notice
# itself catch it explicitly
pytestmark = pytest.mark.filterwarnings(
    r"ignore:kam_performance. 1 row\(s\) have negative amounts:kamseg.errors.KamsegWarning"
)


@pytest.fixture
def tx() -> pd.DataFrame:
    """Five customers over three quarters of 2024; a and b are the key accounts.

    a (key):   Q1 60 + 40, Q2 150, Q3 120            -> active Q1 Q2 Q3
    b (key):   Q1 200,              Q3 300 - 20 (return) -> skips Q2, back in Q3
    c (other): Q1 50,   Q2 50                        -> churns in Q3
    d (other):          Q2 80,      Q3 40            -> new in Q2
    e (other):                      Q3 30            -> new in Q3
    """
    rows = [
        ("a", "2024-01-10", 60.0, 6.0),
        ("a", "2024-03-31", 40.0, 4.0),
        ("b", "2024-02-01", 200.0, 50.0),
        ("c", "2024-03-05", 50.0, 5.0),
        ("a", "2024-04-20", 150.0, 30.0),
        ("c", "2024-05-02", 50.0, 10.0),
        ("d", "2024-06-30", 80.0, 8.0),
        ("a", "2024-07-01", 120.0, 12.0),
        ("b", "2024-08-15", 300.0, 60.0),
        ("b", "2024-08-20", -20.0, -4.0),
        ("d", "2024-09-01", 40.0, 4.0),
        ("e", "2024-09-02", 30.0, 3.0),
    ]
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount", "profit"])


def values(table: pd.DataFrame, group: str, col: str) -> list[float]:
    return table.xs(group, level="group")[col].tolist()


def same(got: list[float], expected: list[float]) -> bool:
    return len(got) == len(expected) and all(
        (math.isnan(g) and math.isnan(e)) or math.isclose(g, e, rel_tol=1e-12)
        for g, e in zip(got, expected, strict=True)
    )


# --------------------------------------------------------------------------------------
# kam_performance: hand-counted
# --------------------------------------------------------------------------------------


def test_revenue_growth_share_by_hand(tx: pd.DataFrame) -> None:
    t = kam_performance(tx, key_accounts=["a", "b"], profit_col="profit", as_of="2024-09-30")
    assert list(t.index.get_level_values("period").unique().astype(str)) == [
        "2024Q1",
        "2024Q2",
        "2024Q3",
    ]
    assert list(t.index.get_level_values("group")[:3]) == ["key", "other", "all"]
    # key: Q1 60+40+200 = 300, Q2 150, Q3 120+300-20 = 400
    assert values(t, "key", "revenue") == [300.0, 150.0, 400.0]
    assert values(t, "other", "revenue") == [50.0, 130.0, 70.0]
    assert values(t, "all", "revenue") == [350.0, 280.0, 470.0]
    # profit: key 6+4+50 = 60, 30, 12+60-4 = 68
    assert values(t, "key", "profit") == [60.0, 30.0, 68.0]
    # growth = revenue[t] / revenue[t-1] - 1
    assert same(values(t, "key", "revenue_growth"), [NAN, -0.5, 400 / 150 - 1])
    assert same(values(t, "other", "revenue_growth"), [NAN, 1.6, 70 / 130 - 1])
    assert same(values(t, "all", "revenue_growth"), [NAN, -0.2, 470 / 280 - 1])
    # share of the period's total revenue
    assert same(values(t, "key", "revenue_share"), [300 / 350, 150 / 280, 400 / 470])
    assert same(values(t, "other", "revenue_share"), [50 / 350, 130 / 280, 70 / 470])
    assert values(t, "all", "revenue_share") == [1.0, 1.0, 1.0]


def test_retention_and_churn_by_hand(tx: pd.DataFrame) -> None:
    t = kam_performance(tx, key_accounts=["a", "b"], as_of="2024-09-30")
    # key: active Q1 {a, b}, Q2 {a}, Q3 {a, b}
    assert values(t, "key", "active_customers") == [2, 1, 2]
    assert values(t, "key", "retained") == [0, 1, 1]  # Q2: a; Q3: a
    assert values(t, "key", "churned") == [0, 1, 0]  # Q2: b
    assert same(values(t, "key", "retention_rate"), [NAN, 1 / 2, 1 / 1])
    assert same(values(t, "key", "churn_rate"), [NAN, 1 / 2, 0.0])
    assert values(t, "key", "new") == [2, 0, 0]
    assert values(t, "key", "reactivated") == [0, 0, 1]  # b in Q3
    assert values(t, "key", "gained") == [2, 0, 1]
    # other: active Q1 {c}, Q2 {c, d}, Q3 {d, e}
    assert values(t, "other", "active_customers") == [1, 2, 2]
    assert values(t, "other", "retained") == [0, 1, 1]  # Q2: c; Q3: d
    assert values(t, "other", "churned") == [0, 0, 1]  # Q3: c
    assert same(values(t, "other", "retention_rate"), [NAN, 1.0, 1 / 2])
    assert same(values(t, "other", "churn_rate"), [NAN, 0.0, 1 / 2])
    assert values(t, "other", "new") == [1, 1, 1]
    assert values(t, "other", "reactivated") == [0, 0, 0]
    # all: active Q1 {a, b, c}, Q2 {a, c, d}, Q3 {a, b, d, e}
    assert values(t, "all", "active_customers") == [3, 3, 4]
    assert values(t, "all", "retained") == [0, 2, 2]
    assert values(t, "all", "churned") == [0, 1, 1]
    assert same(values(t, "all", "retention_rate"), [NAN, 2 / 3, 2 / 3])
    assert same(values(t, "all", "churn_rate"), [NAN, 1 / 3, 1 / 3])
    assert values(t, "all", "new") == [3, 1, 1]
    assert values(t, "all", "reactivated") == [0, 0, 1]
    assert values(t, "all", "gained") == [3, 1, 2]
    assert not t["partial"].any()


def test_columns_and_dtypes(tx: pd.DataFrame) -> None:
    t = kam_performance(tx, key_accounts=["a", "b"])
    assert "profit" not in t.columns and "nps" not in t.columns
    expected = [c for c in KAM_PERFORMANCE_COLUMNS if c not in {"profit"} and "nps" not in c]
    assert list(t.columns) == [c for c in expected if "csat" not in c]
    assert isinstance(t.index.levels[0], pd.PeriodIndex)
    assert t.index.names == ["period", "group"]
    for c in ("active_customers", "retained", "churned", "new", "reactivated", "gained"):
        assert t[c].dtype == np.int64
    for c in ("revenue", "revenue_growth", "revenue_share", "retention_rate", "churn_rate"):
        assert t[c].dtype == np.float64
    assert t["partial"].dtype == bool
    assert list(t["revenue"].unstack().columns) == ["key", "other", "all"]


def test_partial_last_period(tx: pd.DataFrame) -> None:
    # the latest transaction is 2024-09-02: by default Q3 is not complete
    t = kam_performance(tx, key_accounts=["a", "b"])
    assert values(t, "all", "partial") == [False, False, True]
    t = kam_performance(tx, key_accounts=["a", "b"], as_of="2024-09-30")
    assert values(t, "all", "partial") == [False, False, False]
    # as_of in a later period: that period is shown (no sales, all churned) and partial
    t = kam_performance(tx, key_accounts=["a", "b"], as_of="2024-10-15")
    assert values(t, "all", "active_customers") == [3, 3, 4, 0]
    assert values(t, "all", "churned")[-1] == 4
    assert values(t, "all", "churn_rate")[-1] == 1.0
    assert same(values(t, "all", "revenue_growth"), [NAN, -0.2, 470 / 280 - 1, -1.0])
    assert values(t, "all", "partial") == [False, False, False, True]


def test_as_of_excludes_later_rows_with_warning(tx: pd.DataFrame) -> None:
    with pytest.warns(KamsegWarning, match="excluded 5 transaction"):
        t = kam_performance(tx, key_accounts=["a", "b"], as_of="2024-06-30")
    assert values(t, "all", "revenue") == [350.0, 280.0]
    assert values(t, "all", "partial") == [False, False]


def test_start_keeps_history_for_comparisons(tx: pd.DataFrame) -> None:
    full = kam_performance(tx, key_accounts=["a", "b"], as_of="2024-09-30")
    t = kam_performance(tx, key_accounts=["a", "b"], as_of="2024-09-30", start="2024-05-15")
    assert list(t.index.get_level_values("period").unique().astype(str)) == ["2024Q2", "2024Q3"]
    pd.testing.assert_frame_equal(t, full.loc["2024Q2":])
    assert same(values(t, "key", "retention_rate"), [1 / 2, 1.0])  # Q1 still counts


def test_monthly_periods(tx: pd.DataFrame) -> None:
    t = kam_performance(tx, key_accounts=["a", "b"], freq="M", as_of="2024-09-30")
    months = t.index.get_level_values("period").unique().astype(str)
    assert list(months) == [f"2024-{m:02d}" for m in range(1, 10)]
    # all: Jan {a}, Feb {b}, Mar {a, c}, Apr {a}, May {c}, Jun {d}, Jul {a}, Aug {b}, Sep {d, e}
    assert values(t, "all", "active_customers") == [1, 1, 2, 1, 1, 1, 1, 1, 2]
    assert values(t, "all", "retained") == [0, 0, 0, 1, 0, 0, 0, 0, 0]  # Apr: a
    assert values(t, "all", "new") == [1, 1, 1, 0, 0, 1, 0, 0, 1]  # a, b, c, d, e
    # back after a gap: Mar a (Jan), May c (Mar), Jul a (Apr), Aug b (Mar), Sep d (Jun)
    assert values(t, "all", "reactivated") == [0, 0, 1, 0, 1, 0, 1, 1, 1]


def test_yearly_periods(tx: pd.DataFrame) -> None:
    t = kam_performance(tx, key_accounts=["a", "b"], freq="Y")
    assert list(t.index.get_level_values("period").astype(str)) == ["2024"] * 3
    assert values(t, "all", "revenue") == [1100.0]
    assert values(t, "all", "partial") == [True]


def test_surveys_nps_csat_by_hand(tx: pd.DataFrame) -> None:
    surveys = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "a", "d", "d", "x"],
            "date": [
                "2024-02-01",
                "2024-02-02",
                "2024-03-01",
                "2024-05-01",
                "2024-05-02",
                "2024-06-01",
                "2024-06-05",
            ],
            "nps": [10, 6, 9, 8, 10, None, 0],
            "csat": [5, 2, 4, 3, 5, 4, 1],
        }
    )
    t = kam_performance(tx, key_accounts=["a", "b"], surveys=surveys, as_of="2024-09-30")
    # Q1 key: a 10 (promoter), b 6 (detractor) -> 50 - 50 = 0; other: c 9 -> 100;
    # all: 2 promoters, 1 detractor of 3 -> 33.3. Q2 key: a 8 (passive) -> 0;
    # other: d 10, x 0 (not a key account, so "other"; d's second answer is blank) -> 0;
    # all: a 8, d 10, x 0 -> (1 - 1) / 3 = 0. Q3: no answer -> NaN.
    assert same(values(t, "key", "nps"), [0.0, 0.0, NAN])
    assert same(values(t, "other", "nps"), [100.0, 0.0, NAN])
    assert same(values(t, "all", "nps"), [100 / 3, 0.0, NAN])
    assert values(t, "all", "nps_responses") == [3, 3, 0]
    # CSAT = % of answers 4-5. Q1 key: 5, 2 -> 50; other: 4 -> 100; all 2/3.
    # Q2 key: 3 -> 0; other: 5, 4, 1 -> 2/3; all: 3, 5, 4, 1 -> 50.
    assert same(values(t, "key", "csat"), [50.0, 0.0, NAN])
    assert same(values(t, "other", "csat"), [100.0, 200 / 3, NAN])
    assert same(values(t, "all", "csat"), [200 / 3, 50.0, NAN])
    assert values(t, "other", "csat_responses") == [1, 3, 0]
    assert t["nps_responses"].dtype == np.int64


def test_surveys_only_one_measure_and_late_answers(tx: pd.DataFrame) -> None:
    surveys = pd.DataFrame(
        {"customer_id": ["a", "a"], "date": ["2024-02-01", "2025-01-01"], "csat": [4, 1]}
    )
    with pytest.warns(KamsegWarning, match=r"excluded 1 row\(s\) of `surveys` dated after"):
        t = kam_performance(
            tx, key_accounts=["a", "b"], surveys=surveys, nps_col=None, as_of="2024-09-30"
        )
    assert "nps" not in t.columns
    assert same(values(t, "key", "csat"), [100.0, NAN, NAN])


# --------------------------------------------------------------------------------------
# key_accounts forms
# --------------------------------------------------------------------------------------


def test_key_accounts_forms_agree(tx: pd.DataFrame) -> None:
    table = pd.DataFrame(
        {"is_key_account": [True, True, False, False, False]},
        index=pd.Index(list("abcde"), name="customer_id"),
    )
    expected = kam_performance(tx, key_accounts=["a", "b"])
    for keys in (
        {"a", "b"},
        ("b", "a"),
        pd.Index(["a", "b"]),
        np.array(["a", "b"]),
        table,
        table["is_key_account"],
    ):
        pd.testing.assert_frame_equal(kam_performance(tx, key_accounts=keys), expected)
    table2 = table.rename(columns={"is_key_account": "kam"})
    pd.testing.assert_frame_equal(
        kam_performance(tx, key_accounts=table2, key_col="kam"), expected
    )


def test_key_account_without_transactions_warns(tx: pd.DataFrame) -> None:
    with pytest.warns(KamsegWarning, match="1 of 3 key account"):
        t = kam_performance(tx, key_accounts=["a", "b", "zz"])
    assert values(t, "key", "revenue") == [300.0, 150.0, 400.0]


def test_labels_zh(tx: pd.DataFrame) -> None:
    t = kam_performance(tx, key_accounts=["a", "b"], labels="zh")
    assert list(t.index.get_level_values("group")[:3]) == ["重点客户", "其他客户", "全部客户"]


def test_input_not_mutated(tx: pd.DataFrame) -> None:
    before = tx.copy()
    keys = pd.DataFrame({"is_key_account": [True]}, index=["a"])
    kam_performance(tx, key_accounts=keys, profit_col="profit")
    pd.testing.assert_frame_equal(tx, before)


# --------------------------------------------------------------------------------------
# transactions: a DataFrame prepared here, or prepared once
# --------------------------------------------------------------------------------------

SURVEYS = pd.DataFrame(
    {
        "customer_id": ["a", "b", "c", "d"],
        "date": ["2024-02-01", "2024-02-02", "2024-05-01", "2024-08-01"],
        "nps": [10, 6, 9, 7],
        "csat": [5, 2, 4, 3],
    }
)


@pytest.mark.parametrize("freq", ["M", "Q", "Y"])
def test_prepared_and_dataframe_agree(tx: pd.DataFrame, freq: CalendarFreq) -> None:
    keys = ["a", "b"]
    with pytest.warns(KamsegWarning, match="1 row") as notes:
        direct = kam_performance(
            tx, key_accounts=keys, profit_col="profit", freq=freq, surveys=SURVEYS
        )
    assert len(notes) == 1
    with pytest.warns(KamsegWarning, match="1 row"):
        prepared = prepare_transactions(tx, profit_col="profit")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no second notice for prepared input
        via = kam_performance(prepared, key_accounts=keys, freq=freq, surveys=SURVEYS)
        cut = kam_performance(prepared, key_accounts=keys, freq=freq, as_of="2024-06-30")
    pd.testing.assert_frame_equal(via, direct)
    # an earlier as_of cuts the prepared rows off, as it excludes rows of a DataFrame
    with pytest.warns(KamsegWarning, match="excluded 5 transaction"):
        expected = kam_performance(
            tx, key_accounts=keys, profit_col="profit", freq=freq, as_of="2024-06-30"
        )
    pd.testing.assert_frame_equal(cut, expected)


def test_prepared_and_dataframe_agree_on_demo_data(demo_data) -> None:  # type: ignore[no-untyped-def]
    data = demo_data
    keys = data.transactions["customer_id"].unique()[:40]
    direct = kam_performance(
        data.transactions, key_accounts=keys, profit_col="profit", surveys=data.surveys, freq="M"
    )
    prepared = prepare_transactions(data.transactions, profit_col="profit", as_of=data.as_of)
    via = kam_performance(prepared, key_accounts=keys, surveys=data.surveys, freq="M")
    pd.testing.assert_frame_equal(via, direct)
    freqs: tuple[CalendarFreq, ...] = ("M", "Q")
    kinds: tuple[CohortKind, ...] = ("share", "count")
    for freq in freqs:
        for kind in kinds:
            pd.testing.assert_frame_equal(
                cohort_retention(prepared, freq=freq, kind=kind),
                cohort_retention(data.transactions, freq=freq, kind=kind),
            )


def test_cohort_prepared_and_without_amounts(cohort_tx: pd.DataFrame) -> None:
    expected = cohort_retention(cohort_tx, as_of="2024-05-31")
    prepared = prepare_transactions(cohort_tx, as_of="2024-05-31")
    pd.testing.assert_frame_equal(cohort_retention(prepared), expected)
    without = cohort_tx.drop(columns="amount")
    pd.testing.assert_frame_equal(
        cohort_retention(without, amount_col=None, as_of="2024-05-31"), expected
    )
    with pytest.raises(ColumnNotFoundError, match="amount_col"):
        cohort_retention(without)
    # an earlier cut of the prepared rows, without a notice
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cut = cohort_retention(prepared, as_of="2024-02-29")
    assert cut["cohort_size"].tolist() == [2, 2]


def test_returns_and_nulls_follow_the_options(tx: pd.DataFrame) -> None:
    with pytest.warns(KamsegWarning) as record:
        kam_performance(tx, key_accounts=["a", "b"], as_of="2024-09-30")
    assert len(record) == 1
    assert "1 row(s) have negative amounts (returns), netted" in str(record[0].message)
    with pytest.warns(KamsegWarning, match=r"excluded 1 row\(s\) with negative amounts"):
        t = kam_performance(tx, key_accounts=["a", "b"], as_of="2024-09-30", returns="exclude")
    assert values(t, "key", "revenue") == [300.0, 150.0, 420.0]
    with pytest.raises(SchemaError, match="negative 'amount'"):
        kam_performance(tx, key_accounts=["a", "b"], returns="error")
    with pytest.raises(ConfigError, match="`returns`"):
        kam_performance(tx, key_accounts=["a", "b"], returns="drop")  # type: ignore[arg-type]
    bad = tx.astype({"amount": object})
    bad.loc[0, "amount"] = None  # a's 60 in Q1
    with pytest.warns(KamsegWarning, match=r"dropped 1 row\(s\) with null values"):
        t = kam_performance(bad, key_accounts=["a", "b"], as_of="2024-09-30", dropna=True)
    assert values(t, "key", "revenue") == [240.0, 150.0, 400.0]
    with pytest.warns(KamsegWarning, match=r"excluded 1 row\(s\) with negative amounts"):
        m = cohort_retention(tx, freq="Q", returns="exclude", as_of="2024-09-30")
    assert m["cohort_size"].tolist() == [3, 1, 1]


def test_prepared_input_errors(tx: pd.DataFrame) -> None:
    with pytest.warns(KamsegWarning, match="excluded 5 transaction"):
        prepared = prepare_transactions(tx, as_of="2024-06-30")
    with pytest.raises(ConfigError, match="after the as_of of the prepared transactions"):
        kam_performance(prepared, key_accounts=["a"], as_of="2024-09-30")
    with pytest.raises(ConfigError, match="after the as_of of the prepared transactions"):
        cohort_retention(prepared, as_of="2024-09-30")
    with pytest.raises(EmptyInputError, match="no transaction is dated on or before"):
        kam_performance(prepared, key_accounts=["a"], as_of="2023-12-31")
    with pytest.raises(EmptyInputError, match="no transaction is dated on or before"):
        cohort_retention(prepared, as_of="2023-12-31")
    # no profit column in the prepared rows: no profit column in the table
    assert "profit" not in kam_performance(prepared, key_accounts=["a"]).columns


def test_survey_answers_before_the_first_period_are_counted(tx: pd.DataFrame) -> None:
    early = pd.concat(
        [SURVEYS, pd.DataFrame({"customer_id": ["a"], "date": ["2023-11-05"], "nps": [0]})]
    )
    with pytest.warns(
        KamsegWarning,
        match=r"excluded 1 row\(s\) of `surveys` dated before the first period "
        r"of the transactions \(2024Q1\)",
    ):
        t = kam_performance(
            tx, key_accounts=["a", "b"], surveys=early, csat_col=None, as_of="2024-09-30"
        )
    assert values(t, "all", "nps_responses") == [2, 1, 1]


def test_evaluate_does_not_import_satisfaction() -> None:
    code = (
        "import sys, kamseg.evaluate; "
        "print(sorted(m for m in sys.modules if m.startswith('kamseg.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "kamseg.evaluate" in out and "kamseg.satisfaction" not in out
    import kamseg.evaluate

    source = Path(kamseg.evaluate.__file__).read_text(encoding="utf-8")
    assert "kamseg.satisfaction" not in source


# --------------------------------------------------------------------------------------
# kam_performance: invariants and a reference implementation on demo data
# --------------------------------------------------------------------------------------


def reference(tx: pd.DataFrame, keys: set[object]) -> dict[tuple[str, str], dict[str, int]]:
    """Counts per (month, group) from plain Python sets."""
    active: dict[str, set[object]] = defaultdict(set)
    first: dict[object, str] = {}
    for cid, date in zip(tx["customer_id"], tx["date"], strict=True):
        m = str(pd.Timestamp(date).to_period("M"))
        active[m].add(cid)
        first[cid] = min(first.get(cid, m), m)
    months = [str(p) for p in pd.period_range(min(active), max(active), freq="M")]
    out: dict[tuple[str, str], dict[str, int]] = {}
    ever: set[object] = set()
    prev: set[object] = set()
    for m in months:
        now = active[m]
        for g, member in (
            ("key", lambda c: c in keys),
            ("other", lambda c: c not in keys),
            ("all", lambda c: True),
        ):
            cur = {c for c in now if member(c)}
            before = {c for c in prev if member(c)}
            out[(m, g)] = {
                "active_customers": len(cur),
                "retained": len(cur & before),
                "churned": len(before - cur),
                "new": len({c for c in cur if first[c] == m}),
                "reactivated": len({c for c in cur - before if c in ever}),
            }
        ever |= now
        prev = now
    return out


def test_matches_set_reference_on_demo_data(demo_data) -> None:  # type: ignore[no-untyped-def]
    tx = demo_data.transactions
    revenue = tx.groupby("customer_id")["amount"].sum()
    keys = set(revenue.nlargest(25).index)
    t = kam_performance(tx, key_accounts=keys, freq="M")
    ref = reference(tx, keys)
    got = t.reset_index()
    got["period"] = got["period"].astype(str)
    for row in got.itertuples(index=False):
        expected = ref[(row.period, row.group)]
        assert {k: getattr(row, k) for k in expected} == expected


def test_identities_on_demo_data(demo_data) -> None:  # type: ignore[no-untyped-def]
    data = demo_data
    keys = data.transactions["customer_id"].unique()[:40]
    t = kam_performance(
        data.transactions,
        key_accounts=keys,
        profit_col="profit",
        surveys=data.surveys,
        as_of=data.as_of,
    )
    prev = (
        t.groupby(level="group", sort=False, observed=True)["active_customers"].shift(1).fillna(0)
    )
    assert (t["active_customers"] == prev - t["churned"] + t["gained"]).all()
    assert (t["gained"] == t["new"] + t["reactivated"]).all()
    rates = t.dropna(subset=["retention_rate"])
    assert np.allclose(rates["retention_rate"] + rates["churn_rate"], 1.0)
    key, other, everyone = (t.xs(g, level="group") for g in ("key", "other", "all"))
    for c in ("revenue", "profit", "active_customers", "retained", "churned", "new"):
        assert np.allclose(key[c] + other[c], everyone[c])
    assert np.allclose(key["revenue_share"] + other["revenue_share"], 1.0)
    assert everyone["revenue"].sum() == pytest.approx(data.transactions["amount"].sum())
    assert not everyone["partial"].any()  # as_of is 2024-12-31, the end of a quarter


# --------------------------------------------------------------------------------------
# kam_performance: errors
# --------------------------------------------------------------------------------------


def test_errors(tx: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="`freq` must be one of"):
        kam_performance(tx, key_accounts=["a"], freq="W")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="Did you mean 'Q'"):
        kam_performance(tx, key_accounts=["a"], freq="q")  # type: ignore[arg-type]
    with pytest.raises(ColumnNotFoundError, match=r"'amt'.*Did you mean 'amount'"):
        kam_performance(tx, key_accounts=["a"], amount_col="amt")
    with pytest.raises(ConfigError, match="names no key account"):
        kam_performance(tx, key_accounts=[])
    with pytest.raises(ConfigError, match="none of the 2 key account id"):
        kam_performance(tx, key_accounts=[1, 2])
    with pytest.raises(ConfigError, match="list of customer ids"):
        kam_performance(tx, key_accounts="a")
    with pytest.raises(SchemaError, match="must be boolean"):
        kam_performance(
            tx, key_accounts=pd.DataFrame({"is_key_account": [1, 0]}, index=["a", "b"])
        )
    with pytest.raises(ColumnNotFoundError, match="key_col"):
        kam_performance(tx, key_accounts=pd.DataFrame({"kam": [True]}, index=["a"]))
    with pytest.raises(ConfigError, match=r"`start`.*is after as_of"):
        kam_performance(tx, key_accounts=["a"], start="2025-01-01")
    with pytest.raises(ConfigError, match="`labels`"):
        kam_performance(tx, key_accounts=["a"], labels="fr")  # type: ignore[arg-type]
    with pytest.raises(EmptyInputError):
        kam_performance(tx.iloc[:0], key_accounts=["a"])
    with (
        pytest.warns(KamsegWarning, match="excluded 12"),
        pytest.raises(EmptyInputError, match="no transaction"),
    ):
        kam_performance(tx, key_accounts=["a"], as_of="2023-01-01")
    with pytest.raises(ConfigError, match="`nps_col` and `csat_col` are both None"):
        kam_performance(tx, key_accounts=["a"], surveys=tx, nps_col=None, csat_col=None)


@pytest.mark.parametrize(
    ("col", "value", "match"),
    [
        ("customer_id", None, r"null values found \(1 in 'customer_id'\).*dropna=True"),
        ("date", None, r"null values found \(1 in 'date'\)"),
        ("date", "not a date", "not dates"),
        ("amount", None, r"null values found \(1 in 'amount'\)"),
        ("amount", "ten", "not numbers"),
        ("amount", math.inf, "infinite"),
    ],
)
def test_bad_values(tx: pd.DataFrame, col: str, value: object, match: str) -> None:
    bad = tx.astype({col: object})
    bad.loc[3, col] = value
    with pytest.raises(SchemaError, match=match):
        kam_performance(bad, key_accounts=["a"])


def test_bad_survey_answers(tx: pd.DataFrame) -> None:
    surveys = pd.DataFrame({"customer_id": ["a"], "date": ["2024-02-01"], "nps": [11]})
    with pytest.raises(SchemaError, match="whole numbers from 0 to 10"):
        kam_performance(tx, key_accounts=["a"], surveys=surveys, csat_col=None)


# --------------------------------------------------------------------------------------
# cohort_retention
# --------------------------------------------------------------------------------------


@pytest.fixture
def cohort_tx() -> pd.DataFrame:
    """a: Jan Feb Apr; b: Jan Mar; c: Feb Mar; d: Feb; e: Apr (two rows)."""
    rows = [
        ("a", "2024-01-05", 10.0),
        ("b", "2024-01-20", 20.0),
        ("a", "2024-02-03", 5.0),
        ("c", "2024-02-10", 8.0),
        ("d", "2024-02-11", 12.0),
        ("b", "2024-03-01", 7.0),
        ("c", "2024-03-15", 9.0),
        ("a", "2024-04-02", 11.0),
        ("e", "2024-04-30", 30.0),
        ("e", "2024-04-30", 4.0),
    ]
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


def test_cohort_shares_by_hand(cohort_tx: pd.DataFrame) -> None:
    m = cohort_retention(cohort_tx)
    assert list(m.index.astype(str)) == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert m.index.name == "cohort"
    assert list(m.columns) == ["cohort_size", 0, 1, 2, 3]
    assert m["cohort_size"].tolist() == [2, 2, 0, 1]
    assert m["cohort_size"].dtype == np.int64
    # Jan cohort {a, b}: Feb {a}, Mar {b}, Apr {a} -> 1/2 each
    assert same(m.iloc[0, 1:].tolist(), [1.0, 0.5, 0.5, 0.5])
    # Feb cohort {c, d}: Mar {c} -> 1/2, Apr {} -> 0, May not observed
    assert same(m.iloc[1, 1:].tolist(), [1.0, 0.5, 0.0, NAN])
    # Mar: nobody new
    assert same(m.iloc[2, 1:].tolist(), [NAN] * 4)
    # Apr cohort {e}
    assert same(m.iloc[3, 1:].tolist(), [1.0, NAN, NAN, NAN])
    assert all(m[c].dtype == np.float64 for c in range(4))


def test_cohort_counts_and_max_periods(cohort_tx: pd.DataFrame) -> None:
    m = cohort_retention(cohort_tx, kind="count", max_periods=2)
    assert list(m.columns) == ["cohort_size", 0, 1, 2]
    assert m[0].tolist() == [2, 2, 0, 1]
    assert m[1].tolist() == [1, 1, 0, pd.NA]
    assert m[2].tolist() == [1, 0, pd.NA, pd.NA]
    assert str(m[0].dtype) == "Int64"
    assert list(cohort_retention(cohort_tx, max_periods=0).columns) == ["cohort_size", 0]


def test_cohort_quarters_and_as_of(cohort_tx: pd.DataFrame) -> None:
    m = cohort_retention(cohort_tx, freq="Q", as_of="2024-06-30")
    # Q1 cohort {a, b, c, d}: Q2 {a} -> 1/4; the Q2 cohort {e}
    assert list(m.index.astype(str)) == ["2024Q1", "2024Q2"]
    assert m["cohort_size"].tolist() == [4, 1]
    assert same(m[1].tolist(), [0.25, NAN])
    with pytest.warns(KamsegWarning, match="excluded 3 transaction"):
        m = cohort_retention(cohort_tx, as_of="2024-03-31")
    assert m["cohort_size"].tolist() == [2, 2, 0]
    assert same(m[1].tolist(), [0.5, 0.5, NAN])


def test_cohort_sizes_sum_to_customers(demo_data) -> None:  # type: ignore[no-untyped-def]
    tx = demo_data.transactions
    m = cohort_retention(tx, freq="Q")
    assert m["cohort_size"].sum() == tx["customer_id"].nunique()
    assert (m[0].dropna() == 1.0).all()
    cells = m.drop(columns="cohort_size").to_numpy(dtype=float)
    assert np.nanmin(cells) >= 0 and np.nanmax(cells) <= 1


def test_cohort_errors(cohort_tx: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="`kind`"):
        cohort_retention(cohort_tx, kind="rate")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="`max_periods`"):
        cohort_retention(cohort_tx, max_periods=-1)
    with pytest.raises(ColumnNotFoundError, match="customer_col"):
        cohort_retention(cohort_tx, customer_col="cid")
    with pytest.raises(EmptyInputError):
        cohort_retention(cohort_tx.iloc[:0])
    before = cohort_tx.copy()
    cohort_retention(cohort_tx)
    pd.testing.assert_frame_equal(cohort_tx, before)
