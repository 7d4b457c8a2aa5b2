"""Dates far beyond the rest (issue 13, case 11): the default as_of on every engine.

When `as_of` is not given, :func:`kamseg.transactions.default_as_of_per_day` is the one rule
(pandas counts the rows per day with a bincount, DuckDB and Spark in their validation
pass): rows beyond the 99th percentile of the dates, or after a gap of more than a year
holding at most 5 % of the rows, are typos (excluded, counted, with an `as_of` hint); a few
latest rows well after the rest stay, with a notice. The cases of the audit, worked by hand:

- the old single typo: one 2099-01-01 in 200 rows of 2011;
- (a) 19 rows of 1,250 (1.5 %) dated 2099-01-01 in a 2024 log;
- (b) one 2099-01-01 among 50 rows (too few rows for the percentile);
- (c) one row dated 2025-09-01 in a log ending 2024-12-31 (244 days later): kept, warned.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kamseg
from kamseg.cli import main
from kamseg.errors import KamsegWarning
from kamseg.transactions import (
    DefaultAsOf,
    default_as_of,
    default_as_of_per_day,
    prepare_transactions,
)

pa = pytest.importorskip("pyarrow")
pytest.importorskip("duckdb")

from kamseg.engines import summarize_duckdb  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    "ignore:PySpark does not yet fully support pandas:FutureWarning",
)

HINT = "Hint: pass as_of (--as-of) to set the observation date yourself"


def day(text: str) -> int:
    return int(np.datetime64(text, "D").astype(np.int64))


def run(start: str, n_days: int, rows: int = 1, step: int = 1) -> list[tuple[str, int]]:
    """`n_days` days from `start`, `step` days apart, `rows` rows each."""
    first = np.datetime64(start, "D")
    return [(str(first + i * step), rows) for i in range(n_days)]


def rule(pairs: list[tuple[str, int]]) -> DefaultAsOf:
    """The rule on (date, rows) pairs, sorted by date."""
    return default_as_of_per_day(
        np.array([day(d) for d, _ in pairs], dtype=np.int64),
        np.array([n for _, n in pairs], dtype=np.int64),
    )


def far_notice(n: int, latest: str, as_of: str) -> str:
    return (
        f"excluded {n} transaction(s) dated more than 365 days after the rest of the data "
        f"(latest {latest}), taken for typos; as_of is {as_of}, the latest other date. {HINT}"
    )


def late_notice(n: int, dated: str, as_of: str, gap: int, rest: str) -> str:
    return (
        f"as_of is {as_of}, the latest date, although {n} transaction(s) dated {dated} lie "
        f"{gap} days after the rest of the data (latest {rest}); check them for typos. {HINT}"
    )


# --- the cases, as (date, rows) ---------------------------------------------------------------

#: 199 days of 2011 (to 2011-07-18), one row each, and a 2099-01-01: the 99th percentile
#: (rank 198 of 200) is 2011-07-17, and 2099 lies more than 365 days after it.
OLD = [*run("2011-01-01", 199), ("2099-01-01", 1)]
#: every day of 2024, 4 rows on the first 133 and 3 on the other 233 (1,231 rows), and 19
#: rows on 2099-01-01: the 99th percentile (rank 1,238 of 1,250) is in 2099, so the old rule
#: saw nothing; 19 rows after a gap of 74 years are at most 5 % (62.5) of 1,250.
CASE_A = [*run("2024-01-01", 133, rows=4), *run("2024-05-13", 233, rows=3), ("2099-01-01", 19)]
#: 49 weekly rows from 2024-01-01 to 2024-12-02 and a 2099-01-01: 50 rows, too few for the
#: percentile; 1 row after the gap is at most 5 % (2.5) of 50.
CASE_B = [*run("2024-01-01", 49, step=7), ("2099-01-01", 1)]
#: every day of 2024, one row each, and one row on 2025-09-01, 244 days after 2024-12-31:
#: no far date (the percentile is 2024-12-29, the gap is under a year), "now" stays there.
CASE_C = [*run("2024-01-01", 366), ("2025-09-01", 1)]


def test_the_old_single_typo_is_left_out_as_before() -> None:
    got = rule(OLD)
    assert got.as_of_day == day("2011-07-18") and got.n_far == 1
    assert got.far_day == day("2099-01-01")
    assert got.notices == (far_notice(1, "2099-01-01", "2011-07-18"),)


def test_a_far_share_above_1_percent_is_left_out() -> None:  # (a)
    assert sum(n for _, n in CASE_A) == 1250 and CASE_A[365] == ("2024-12-31", 3)
    got = rule(CASE_A)
    assert (got.as_of_day, got.n_far) == (day("2024-12-31"), 19)
    assert got.notices == (far_notice(19, "2099-01-01", "2024-12-31"),)


def test_a_small_log_is_checked() -> None:  # (b)
    assert CASE_B[-2] == ("2024-12-02", 1)
    got = rule(CASE_B)
    assert (got.as_of_day, got.n_far) == (day("2024-12-02"), 1)
    assert got.notices == (far_notice(1, "2099-01-01", "2024-12-02"),)


def test_a_near_typo_is_kept_with_a_notice() -> None:  # (c)
    got = rule(CASE_C)
    assert (got.as_of_day, got.n_far, got.far_day) == (day("2025-09-01"), 0, None)
    assert got.notices == (late_notice(1, "2025-09-01", "2025-09-01", 244, "2024-12-31"),)


def test_the_share_after_a_gap_up_to_5_percent() -> None:
    bulk = run("2024-01-01", 20, rows=19)  # 380 rows, to 2024-01-20
    exactly = rule([*bulk, ("2099-01-01", 20)])  # 20 of 400: 5 %
    assert (exactly.as_of_day, exactly.n_far) == (day("2024-01-20"), 20)
    # 21 of 401 are more: kept ("now" in 2099), but not silently: a gap of more than a
    # year before less than half of the rows (2024-01-20 to 2099-01-01: 75 years of 365 days
    # and 19 leap days, 2024 to 2096, less 19 days: 27,375 days)
    above = rule([*bulk, ("2099-01-01", 21)])
    assert (above.as_of_day, above.n_far) == (day("2099-01-01"), 0)
    assert above.notices == (late_notice(21, "2099-01-01", "2099-01-01", 27375, "2024-01-20"),)


def test_the_gap_more_than_365_days() -> None:
    bulk = run("2024-01-01", 20)  # 20 rows, to 2024-01-20; 1 more row is 4.8 %
    at_365 = rule([*bulk, ("2025-01-19", 1)])  # 365 days later: no typo, a notice
    assert (at_365.as_of_day, at_365.n_far) == (day("2025-01-19"), 0)
    assert at_365.notices == (late_notice(1, "2025-01-19", "2025-01-19", 365, "2024-01-20"),)
    at_366 = rule([*bulk, ("2025-01-20", 1)])
    assert (at_366.as_of_day, at_366.n_far) == (day("2024-01-20"), 1)


def test_one_day_before_the_gap_is_no_bulk() -> None:
    # which side is the typo? 30 rows of one day and one of 2099: as before
    one_day = rule([("2024-01-01", 30), ("2099-01-01", 1)])
    assert (one_day.as_of_day, one_day.n_far, one_day.notices) == (day("2099-01-01"), 0, ())
    two_days = rule([("2024-01-01", 15), ("2024-01-02", 15), ("2099-01-01", 1)])
    assert (two_days.as_of_day, two_days.n_far) == (day("2024-01-02"), 1)


def test_the_earliest_gap_after_which_few_rows_lie() -> None:
    # 30 rows in 2009 (3 %, two days), 950 in 2011 (190 days, 5 each), 20 in 2099 (2 %): the
    # gap after 2009 has 97 % after it, the one after 2011-07-09 has 2 %
    pairs = [*run("2009-06-01", 2, rows=15), *run("2011-01-01", 190, rows=5), ("2099-01-01", 20)]
    assert pairs[-2] == ("2011-07-09", 5)
    got = rule(pairs)
    assert (got.as_of_day, got.n_far) == (day("2011-07-09"), 20)
    assert got.notices == (far_notice(20, "2099-01-01", "2011-07-09"),)
    # 2 % in 2010 and 2 % in 2099: the earliest gap with at most 5 % after it takes both
    two = rule([*run("2008-01-01", 96, rows=10), ("2010-06-01", 20), ("2099-01-01", 20)])
    assert (two.as_of_day, two.n_far) == (day("2008-04-05"), 40)
    assert two.notices == (far_notice(40, "2099-01-01", "2008-04-05"),)


def test_the_percentile_and_the_notice_of_the_days_left() -> None:
    # 200 days of 2011 (to 07-19), then one row every 200 days: no gap of a year, but the
    # 99th percentile (rank 201 of 203) is 2012-02-04 and 2013-03-10 is more than 365 days
    # after it; the two rows left after 2011 lie 200 days after the rest, 2 <= 1 % of 202
    pairs = [*run("2011-01-01", 200), *run("2012-02-04", 3, step=200)]
    assert [d for d, _ in pairs[-3:]] == ["2012-02-04", "2012-08-22", "2013-03-10"]
    got = rule(pairs)
    assert (got.as_of_day, got.n_far) == (day("2012-08-22"), 1)
    assert got.notices == (
        far_notice(1, "2013-03-10", "2012-08-22"),
        late_notice(2, "2012-02-04 to 2012-08-22", "2012-08-22", 200, "2011-07-19"),
    )


def test_no_notice_for_late_days_that_do_not_stand_out() -> None:
    # 12 rows 50 days apart (to 2024-07-04), then 95 days: not twice the usual gap
    assert rule([*run("2023-01-01", 12, step=50), ("2024-10-07", 1)]).notices == ()
    # 9 days (to 2024-02-10) before a gap of 112 days: too few to tell a pattern
    assert rule([*run("2024-01-01", 9, step=5), ("2024-06-01", 1)]).notices == ()
    # 2 rows after the gap are at most 1 % of 368 (3.68), 4 are more than 1 % of 370
    assert len(rule([*CASE_C[:-1], ("2025-09-01", 2)]).notices) == 1
    assert rule([*CASE_C[:-1], ("2025-09-01", 4)]).notices == ()


@pytest.mark.parametrize(
    "days",
    [
        np.array([day("1950-03-01")] * 150 + [day("1969-12-31"), day("2099-01-01")]),  # < 1970
        np.array([0] * 150 + [day("9999-12-31")]),  # 2,932,896 days: one bincount
        np.array([0] * 150 + [5_000_000]),  # more than 2**22 days: np.unique
        np.repeat(np.arange(day("2024-01-01"), day("2024-03-01")), 3),
    ],
)
def test_the_row_counts_of_the_pandas_path(days: np.ndarray) -> None:
    assert default_as_of(days) == default_as_of_per_day(*np.unique(days, return_counts=True))


# --- an independent reference, on random logs -------------------------------------------------


def reference(days: list[int]) -> tuple[int, int, tuple[int, int, int] | None]:
    """The rule written from its definition with plain Python (exact shares): the as_of, the
    far rows and, for the notice of the latest rows left, (rows, first day, day before)."""
    n = len(days)
    distinct = sorted(set(days))
    rows = {d: days.count(d) for d in distinct}
    far = set()
    k = -(-99 * n // 100)  # ceil(0.99 n)
    if k < n:
        bulk = sorted(days)[k - 1]
        far |= {d for d in distinct if d > bulk + 365}
    for i in range(1, len(distinct) - 1):  # at least two days before the gap
        tail = distinct[i + 1 :]
        if distinct[i + 1] - distinct[i] > 365 and 20 * sum(rows[d] for d in tail) <= n:
            far |= set(tail)
            break
    near = [d for d in distinct if d not in far]
    n_near = sum(rows[d] for d in near)
    late = None
    for i in range(9, len(near) - 1):  # at least ten days before the gap
        gap = near[i + 1] - near[i]
        if gap <= 2 * max(near[j + 1] - near[j] for j in range(i)):
            continue
        tail = sum(rows[d] for d in near[i + 1 :])
        if (gap > 90 and (tail <= 1 or 100 * tail <= n_near)) or (
            gap > 365 and 2 * tail <= n_near
        ):
            late = (tail, near[i + 1], near[i])
            break
    return max(near), n - n_near, late


@st.composite
def logs(draw: st.DrawFn, base: int = 0) -> list[int]:
    """Day numbers: a bulk over up to 400 days (dense or sparse), then up to three typo
    days, near (under 500 days later) or far (up to about 110 years later)."""
    span = draw(st.integers(1, 400))
    n = draw(st.integers(1, 150))
    days = [base + d for d in draw(st.lists(st.integers(0, span - 1), min_size=n, max_size=n))]
    offset = st.one_of(st.integers(1, 500), st.integers(300, 40_000))
    for later, count in draw(st.lists(st.tuples(offset, st.integers(1, 8)), max_size=3)):
        days += [base + span - 1 + later] * count
    return days


@settings(max_examples=300, deadline=None)
@given(days=logs(base=day("2020-01-01")), shift=st.sampled_from([0, -30_000]))
def test_the_rule_equals_its_definition(days: list[int], shift: int) -> None:
    days = [d + shift for d in days]
    got = default_as_of(np.array(days, dtype=np.int64))
    as_of, n_far, late = reference(days)
    assert (got.as_of_day, got.n_far) == (as_of, n_far)
    assert got.far_day == (max(days) if n_far else None)
    assert len(got.notices) == (n_far > 0) + (late is not None)
    if late is not None:
        assert got.notices[-1].startswith(f"as_of is {np.datetime64(as_of, 'D')}, the latest")
        assert f" {late[0]} transaction(s) dated {np.datetime64(late[1], 'D')}" in got.notices[-1]
        assert f"lie {late[1] - late[2]} days after" in got.notices[-1]


def table(days: list[int], null_every: int = 0) -> pd.DataFrame:
    n = len(days)
    amount = 10.0 + np.arange(n) % 13
    if null_every:
        amount[::null_every] = np.nan
    return pd.DataFrame(
        {
            "customer_id": np.arange(n) % 7,
            "date": np.array(days, dtype="datetime64[D]").astype("datetime64[ns]"),
            "amount": amount,
        }
    )


def caught(call: Any) -> tuple[Any, list[str]]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        result = call()
    return result, [str(w.message) for w in seen if issubclass(w.category, KamsegWarning)]


@settings(max_examples=30, deadline=None)
@given(days=logs(base=day("2020-01-01")), null_every=st.sampled_from([0, 0, 5]))
def test_pandas_and_duckdb_agree(days: list[int], null_every: int) -> None:
    tx = table(days, null_every)
    if tx["amount"].isna().all():
        return
    prepared, msgs = caught(lambda: prepare_transactions(tx, dropna=True))
    got, got_msgs = caught(lambda: summarize_duckdb(pa.Table.from_pandas(tx), dropna=True))
    assert got.attrs["as_of"] == str(prepared.as_of.date())
    assert [m.removeprefix("summarize: ") for m in got_msgs] == [
        m.removeprefix("prepare_transactions: ") for m in msgs
    ]
    kept = [d for d, a in zip(days, tx["amount"], strict=True) if not np.isnan(a)]
    as_of, n_far, _ = reference(kept)
    assert (prepared.as_of_day, prepared.dropped.get("far_dates", 0)) == (as_of, n_far)
    assert int(got["n_orders"].sum()) == prepared.n_rows == len(kept) - n_far


# --- every engine -----------------------------------------------------------------------------


def frame_of(pairs: list[tuple[str, int]]) -> pd.DataFrame:
    return table([day(d) for d, n in pairs for _ in range(n)])


CASES = {
    "old": (OLD, "2011-07-18", 1, [far_notice(1, "2099-01-01", "2011-07-18")]),
    "a": (CASE_A, "2024-12-31", 19, [far_notice(19, "2099-01-01", "2024-12-31")]),
    "b": (CASE_B, "2024-12-02", 1, [far_notice(1, "2099-01-01", "2024-12-02")]),
    "c": (
        CASE_C,
        "2025-09-01",
        0,
        [late_notice(1, "2025-09-01", "2025-09-01", 244, "2024-12-31")],
    ),
}


def summarized(engine: str, tx: pd.DataFrame, request: Any, tmp_path: Path) -> Any:
    if engine == "duckdb":
        return lambda: kamseg.summarize(pa.Table.from_pandas(tx, preserve_index=False))
    if engine == "parquet":  # out of core, in three hash partitions
        tx.to_parquet(tmp_path / "tx.parquet", index=False)
        return lambda: summarize_duckdb(str(tmp_path / "tx.parquet"), partitions=3)
    spark = request.getfixturevalue("spark")
    return lambda: kamseg.summarize(spark.createDataFrame(tx))


@pytest.mark.parametrize("case", sorted(CASES))
def test_pandas_by_hand(case: str) -> None:
    pairs, as_of, n_far, notices = CASES[case]
    tx = frame_of(pairs)
    prepared, msgs = caught(lambda: prepare_transactions(tx))
    assert str(prepared.as_of.date()) == as_of
    assert prepared.dropped == ({"far_dates": n_far} if n_far else {})
    assert prepared.n_rows == len(tx) - n_far
    assert msgs == [f"prepare_transactions: {'; '.join(notices)}."]
    # an explicit as_of is the user's: no rule, no notice beyond the usual exclusion
    explicit, msgs = caught(lambda: prepare_transactions(tx, as_of=pairs[-1][0]))
    assert explicit.n_rows == len(tx) and msgs == []


@pytest.mark.parametrize("engine", ["duckdb", "parquet", "spark"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_every_engine_the_same(case: str, engine: str, request: Any, tmp_path: Path) -> None:
    pairs, as_of, n_far, notices = CASES[case]
    tx = frame_of(pairs)
    expected, msgs = caught(lambda: kamseg.summarize(tx))
    got, got_msgs = caught(summarized(engine, tx, request, tmp_path))
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    assert got.attrs == expected.attrs and got.attrs["as_of"] == as_of
    assert got_msgs == msgs == [f"summarize: {'; '.join(notices)}."]
    assert int(got["n_orders"].sum()) == len(tx) - n_far


# --- the whole job ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def job_logs() -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """A small synthetic log (1,154 rows to 2024-12-29) with 19 rows (1.6 %) moved to
    2099-01-01 (case a), and the same log without them."""
    tx = kamseg.datasets.make_transactions(n_customers=150, seed=3).transactions
    typos = tx.index[5:1000:53]  # rows sorted by date: the last day (row 1,153) is kept
    assert len(typos) == 19 and len(tx) == 1154
    typo = tx.copy()
    typo.loc[typos, "date"] = pd.Timestamp("2099-01-01")
    return typo, tx.drop(index=typos), len(typos)


@pytest.mark.parametrize("steps", [None, ("rfm", "classes")])
def test_segment_keeps_as_of_and_the_churned(job_logs: Any, steps: Any) -> None:
    typo, clean, n_typos = job_logs
    config = None if steps is None else kamseg.SegmentConfig(steps=steps)
    out, msgs = caught(lambda: kamseg.segment(typo, config=config))
    expected, clean_msgs = caught(lambda: kamseg.segment(clean, config=config))
    assert clean_msgs == []
    assert len(msgs) == 1
    assert msgs[0] == f"segment: {far_notice(n_typos, '2099-01-01', '2024-12-29')}."
    assert out.attrs["as_of"] == expected.attrs["as_of"] == "2024-12-29"
    churned = (out["lifecycle_stage"] == "churned").sum()
    assert churned == (expected["lifecycle_stage"] == "churned").sum() < len(out) / 2
    pd.testing.assert_series_equal(out["lifecycle_stage"], expected["lifecycle_stage"])


def test_cli_keeps_as_of_and_the_churned(job_logs: Any, tmp_path: Path) -> None:
    typo, clean, n_typos = job_logs
    typo.to_csv(tmp_path / "tx.csv", index=False)
    argv = ["segment", str(tmp_path / "tx.csv"), "-o", str(tmp_path / "out.csv")]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*argv, "--steps", "rfm,classes"])
    assert code == 0, err.getvalue()
    warned = [line for line in err.getvalue().splitlines() if line.startswith("kamseg: warning")]
    assert len(warned) == 1 and far_notice(n_typos, "2099-01-01", "2024-12-29") in warned[0]
    assert "as of 2024-12-29" in out.getvalue()
    table = pd.read_csv(tmp_path / "out.csv")
    config = kamseg.SegmentConfig(steps=("rfm", "classes"))
    expected, _ = caught(lambda: kamseg.segment(clean, config=config))
    assert len(table) == len(expected)
    churned = int((table["lifecycle_stage"] == "churned").sum())
    assert churned == int((expected["lifecycle_stage"] == "churned").sum())
