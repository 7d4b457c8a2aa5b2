"""Tests for kamseg.satisfaction: satisfaction classes, NPS and CSAT.

Expected values are worked out by hand in the comments, or by a simple second
implementation (a per-customer Python loop; pandas groupby for NPS and CSAT).
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kamseg
from kamseg.actions import recommended_action
from kamseg.errors import (
    ColumnNotFoundError,
    ConfigError,
    EmptyInputError,
    KamsegWarning,
    SchemaError,
)
from kamseg.labels import SATISFACTION_CLASS_LABELS, translate
from kamseg.satisfaction import SATISFACTION_CLASSES, csat, nps, satisfaction_class

AS_OF = "2024-06-30"


def customers_of(*ids: Any) -> pd.DataFrame:
    return pd.DataFrame({"seg": ["s"] * len(ids)}, index=pd.Index(list(ids), name="customer_id"))


def surveys_of(rows: list[tuple[Any, str, float | None, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "date", "nps", "csat"])


def classes(df: pd.DataFrame) -> list[str]:
    return df["satisfaction_class"].astype(str).tolist()


# --------------------------------------------------------------------------------------
# satisfaction_class: hand-worked cases
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nps_answer", "csat_answer", "expected"),
    [
        # NPS alone: promoters 9-10 high, passives 7-8 medium, detractors 0-6 low
        (10, None, "high"),
        (9, None, "high"),
        (8, None, "medium"),
        (7, None, "medium"),
        (6, None, "low"),
        (0, None, "low"),
        # CSAT alone: 4-5 high, 3 medium, 1-2 low
        (None, 5, "high"),
        (None, 4, "high"),
        (None, 3, "medium"),
        (None, 2, "low"),
        (None, 1, "low"),
        # both: the lower class
        (10, 5, "high"),
        (9, 3, "medium"),
        (6, 5, "low"),
        (8, 4, "medium"),
        (10, 1, "low"),
    ],
)
def test_bands_and_lower_of_two(
    nps_answer: float | None, csat_answer: float | None, expected: str
) -> None:
    out = satisfaction_class(
        customers_of("a"), surveys=surveys_of([("a", "2024-05-01", nps_answer, csat_answer)])
    )
    assert classes(out) == [expected]
    parts = []
    if nps_answer is not None:
        parts.append(nps_answer / 10)
    if csat_answer is not None:
        parts.append((csat_answer - 1) / 4)
    assert math.isclose(out["satisfaction_score"].iloc[0], sum(parts) / len(parts))
    assert out["n_answers"].iloc[0] == 1


def test_output_columns_and_types() -> None:
    customers = customers_of("a", "b", "c")
    out = satisfaction_class(
        customers, surveys=surveys_of([("a", "2024-05-01", 9, 5)]), as_of=AS_OF
    )
    assert out.columns.tolist() == ["seg", "satisfaction_class", "satisfaction_score", "n_answers"]
    cat = out["satisfaction_class"].dtype
    assert isinstance(cat, pd.CategoricalDtype) and cat.ordered
    assert (
        list(cat.categories) == list(SATISFACTION_CLASSES) == ["unknown", "low", "medium", "high"]
    )
    assert out["satisfaction_score"].dtype == np.float64
    assert out["n_answers"].dtype == np.int64
    assert classes(out) == ["high", "unknown", "unknown"]
    assert out["satisfaction_score"].isna().tolist() == [False, True, True]
    assert out.index.equals(customers.index)


def test_latest_answer_per_measure() -> None:
    surveys = surveys_of(
        [
            ("a", "2024-01-01", 2, 1),  # old and unhappy
            ("a", "2024-03-01", 10, None),  # latest NPS
            ("a", "2024-04-01", None, 2),  # latest CSAT
            ("b", "2024-05-01", 10, None),  # two answers on the latest day: mean 8 (passive)
            ("b", "2024-05-01", 6, None),
            ("b", "2024-02-01", 0, None),
            ("c", "2024-05-01", None, None),  # no answer at all
        ]
    )
    out = satisfaction_class(customers_of("a", "b", "c"), surveys=surveys, as_of=AS_OF)
    # a: NPS 10 high, CSAT 2 low -> low; score (1.0 + 0.25) / 2
    # b: NPS mean 8 on the latest day -> medium; score 0.8
    assert classes(out) == ["low", "medium", "unknown"]
    np.testing.assert_allclose(out["satisfaction_score"], [0.625, 0.8, np.nan])
    assert out["n_answers"].tolist() == [3, 3, 0]


@pytest.mark.parametrize(
    ("half_life", "expected_nps", "expected"),
    [
        # weights 0.5 ** (age / half-life): 10 on as_of (1), 4 180 days earlier
        (180, (10 + 0.5 * 4) / 1.5, "medium"),  # 8.0
        (90, (10 + 0.25 * 4) / 1.25, "medium"),  # 8.8
        (30, (10 + 4 / 64) / (1 + 1 / 64), "high"),  # 9.9
    ],
)
def test_recency_weighted_mean(half_life: float, expected_nps: float, expected: str) -> None:
    surveys = surveys_of([("a", "2024-06-30", 10, None), ("a", "2024-01-02", 4, None)])
    out = satisfaction_class(
        customers_of("a"),
        surveys=surveys,
        as_of=AS_OF,
        method="weighted",
        half_life_days=half_life,
        csat_col=None,
    )
    assert classes(out) == [expected]
    assert math.isclose(out["satisfaction_score"].iloc[0], expected_nps / 10)
    latest = satisfaction_class(customers_of("a"), surveys=surveys, as_of=AS_OF, csat_col=None)
    assert classes(latest) == ["high"]


@pytest.mark.parametrize(
    ("days_before", "severity", "resolved", "answered", "expected"),
    [
        (10, "low", True, True, "high"),  # resolved, not severe: no effect
        (10, "low", False, True, "medium"),  # open: capped at medium
        (10, "high", True, True, "medium"),  # severe: capped at medium
        (10, "high", False, True, "low"),  # open and severe: capped at low
        (89, "high", False, True, "low"),  # still recent
        (90, "high", False, True, "high"),  # 90 days before as_of: not recent any more
        (10, "high", False, False, "low"),  # no answer, open and severe: low
        (10, "low", False, False, "unknown"),  # no answer, lesser complaint: unknown
        (10, "high", True, False, "unknown"),
    ],
)
def test_complaint_caps(
    days_before: int, severity: str, resolved: bool, answered: bool, expected: str
) -> None:
    date = (pd.Timestamp(AS_OF) - pd.Timedelta(days=days_before)).date().isoformat()
    complaints = pd.DataFrame(
        {"customer_id": ["a"], "date": [date], "severity": [severity], "resolved": [resolved]}
    )
    surveys = surveys_of(
        [("a", "2024-05-01", 10, 5)] if answered else [("b", "2024-05-01", 10, 5)]
    )
    out = satisfaction_class(
        customers_of("a", "b"), surveys=surveys, complaints=complaints, as_of=AS_OF
    )
    assert classes(out)[0] == expected
    assert out["recent_complaints"].tolist() == [int(days_before < 90), 0]
    if not answered:
        assert np.isnan(out["satisfaction_score"].iloc[0])


def test_complaint_options() -> None:
    complaints = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "date": ["2024-06-01", "2024-06-01"],
            "severity": pd.Categorical(["medium", "critical"]),
            "resolved": pd.array([pd.NA, True], dtype="boolean"),
        }
    )
    surveys = surveys_of([("a", "2024-05-01", 10, 5), ("b", "2024-05-01", 10, 5)])
    customers = customers_of("a", "b")
    # a: null resolution counts as open -> medium; b: "critical" is not severe by default
    out = satisfaction_class(customers, surveys=surveys, complaints=complaints, as_of=AS_OF)
    assert classes(out) == ["medium", "high"]
    out = satisfaction_class(
        customers, surveys=surveys, complaints=complaints, as_of=AS_OF, severe=["critical"]
    )
    assert classes(out) == ["medium", "medium"]
    # every complaint open; none severe
    out = satisfaction_class(
        customers,
        surveys=surveys,
        complaints=complaints.drop(columns=["resolved", "severity"]),
        as_of=AS_OF,
        resolved_col=None,
        severity_col=None,
    )
    assert classes(out) == ["medium", "medium"]
    # a longer window
    old = complaints.assign(date=["2024-01-01", "2024-01-01"])
    assert classes(
        satisfaction_class(customers, surveys=surveys, complaints=old, as_of=AS_OF)
    ) == ["high", "high"]
    out = satisfaction_class(
        customers, surveys=surveys, complaints=old, as_of=AS_OF, complaint_days=365
    )
    assert classes(out) == ["medium", "high"]


def test_as_of_defaults_and_exclusions() -> None:
    surveys = surveys_of([("a", "2024-05-01", 10, 5), ("a", "2024-07-15", 2, 1)])
    complaints = pd.DataFrame(
        {"customer_id": ["a"], "date": ["2024-08-01"], "severity": ["high"], "resolved": [False]}
    )
    customers = customers_of("a")
    # no as_of: the latest date of surveys and complaints (2024-08-01), so all count
    out = satisfaction_class(customers, surveys=surveys, complaints=complaints)
    assert classes(out) == ["low"] and out["n_answers"].tolist() == [2]
    # explicit as_of: later rows are excluded and counted
    with pytest.warns(KamsegWarning) as record:
        out = satisfaction_class(customers, surveys=surveys, complaints=complaints, as_of=AS_OF)
    messages = [str(w.message) for w in record]
    assert any(
        "excluded 1 row(s) of `surveys` dated after as_of 2024-06-30" in m for m in messages
    )
    assert any("excluded 1 row(s) of `complaints` dated after" in m for m in messages)
    assert classes(out) == ["high"] and out["n_answers"].tolist() == [1]
    # the customer table's as_of (set by summarize) is the default
    dated = customers.copy()
    dated.attrs["as_of"] = AS_OF
    with pytest.warns(KamsegWarning, match="dated after as_of 2024-06-30"):
        out = satisfaction_class(dated, surveys=surveys)
    assert classes(out) == ["high"]


def test_unknown_customers_are_counted() -> None:
    surveys = surveys_of(
        [("a", "2024-05-01", 9, 4), ("x", "2024-05-01", 0, 1), ("x", "2024-05-02", 1, 1)]
    )
    with pytest.warns(
        KamsegWarning,
        match=r"excluded 2 row\(s\) of `surveys` whose customer is not in `customers`, "
        r"e.g. 'x'",
    ):
        out = satisfaction_class(customers_of("a"), surveys=surveys, as_of=AS_OF)
    assert classes(out) == ["high"]


def test_labels_actions_overwrite_and_no_mutation() -> None:
    customers = customers_of("a", "b")
    surveys = surveys_of([("a", "2024-05-01", 3, 2)])
    before = (customers.copy(), surveys.copy())
    out = satisfaction_class(customers, surveys=surveys, labels="zh", action=True)
    pd.testing.assert_frame_equal(customers, before[0])
    pd.testing.assert_frame_equal(surveys, before[1])
    zh = [translate(c, labels="zh", table=SATISFACTION_CLASS_LABELS) for c in SATISFACTION_CLASSES]
    assert list(out["satisfaction_class"].cat.categories) == zh
    assert classes(out) == ["低满意度", "未知"]
    assert out["satisfaction_action"].tolist() == [
        recommended_action("satisfaction_class", "low", labels="zh"),
        recommended_action("satisfaction_class", "unknown", labels="zh"),
    ]
    with pytest.raises(ConfigError, match=r"already has column\(s\) 'satisfaction_class'"):
        satisfaction_class(out, surveys=surveys)
    again = satisfaction_class(out, surveys=surveys, labels="zh", action=True, overwrite=True)
    pd.testing.assert_frame_equal(again, out)


def test_empty_surveys_make_everyone_unknown() -> None:
    out = satisfaction_class(customers_of("a", "b"), surveys=surveys_of([]))
    assert classes(out) == ["unknown", "unknown"]
    assert out["n_answers"].tolist() == [0, 0]


def test_demo_data_classes_follow_the_true_satisfaction() -> None:
    data = kamseg.datasets.make_transactions(n_customers=1500, seed=11)
    out = satisfaction_class(
        data.master, surveys=data.surveys, complaints=data.complaints, as_of=data.as_of
    )
    surveyed = set(data.surveys["customer_id"])
    unknown = out["satisfaction_class"] == "unknown"
    assert not (unknown & out.index.isin(surveyed)).any()
    assert out.loc[data.master["is_prospect"], "satisfaction_class"].eq("unknown").all()
    truth = data.truth["satisfaction"].groupby(out["satisfaction_class"], observed=True).mean()
    assert truth["low"] < truth["medium"] < truth["high"]


# --------------------------------------------------------------------------------------
# satisfaction_class: bad input
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        (
            "nps",
            [11, -1, 5],
            r"2 answer\(s\) in column 'nps' are not whole numbers from 0 to 10; "
            r"examples: 11, -1",
        ),
        ("nps", [7.5, 8, 9], r"1 answer\(s\) in column 'nps'.*7.5"),
        ("csat", [0, 6, 3], r"2 answer\(s\) in column 'csat' are not whole numbers from 1 to 5"),
        ("csat", ["good", "4", "5"], r"not numbers; examples: 'good'"),
    ],
)
def test_answers_out_of_range(column: str, values: list[Any], message: str) -> None:
    surveys = surveys_of(
        [("a", "2024-05-01", 9, 4), ("a", "2024-05-02", 9, 4), ("a", "2024-05-03", 9, 4)]
    )
    surveys[column] = pd.Series(values, dtype=object)
    with pytest.raises(SchemaError, match=message):
        satisfaction_class(customers_of("a"), surveys=surveys)


def test_bad_side_tables() -> None:
    customers = customers_of("a")
    surveys = surveys_of([("a", "2024-05-01", 9, 4)])
    with pytest.raises(SchemaError, match=r"`surveys` has null values \(1 in 'customer_id'\)"):
        satisfaction_class(customers, surveys=surveys_of([(None, "2024-05-01", 9, 4)]))
    with pytest.raises(SchemaError, match=r"`surveys` has null values \(1 in 'date'\)"):
        satisfaction_class(customers, surveys=surveys_of([("a", None, 9, 4)]))  # type: ignore[list-item]
    with pytest.raises(SchemaError, match="not dates"):
        satisfaction_class(customers, surveys=surveys_of([("a", "last week", 9, 4)]))
    complaints = pd.DataFrame(
        {"customer_id": ["a"], "date": ["2024-05-01"], "severity": ["high"], "resolved": ["yes"]}
    )
    with pytest.raises(SchemaError, match=r"'resolved'.*must be boolean.*resolved_col=None"):
        satisfaction_class(customers, surveys=surveys, complaints=complaints)
    with pytest.raises(ColumnNotFoundError, match="severity_col"):
        satisfaction_class(
            customers, surveys=surveys, complaints=complaints.drop(columns="severity")
        )
    with pytest.raises(ColumnNotFoundError, match="csat_col"):
        satisfaction_class(customers, surveys=surveys.drop(columns="csat"))
    with pytest.raises(EmptyInputError, match="`customers` has no rows"):
        satisfaction_class(customers.iloc[:0], surveys=surveys)
    with pytest.raises(SchemaError, match="duplicated ids"):
        satisfaction_class(pd.concat([customers, customers]), surveys=surveys)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"nps_col": None, "csat_col": None}, "both None"),
        ({"method": "mean"}, "`method` must be one of 'latest', 'weighted'"),
        ({"half_life_days": 0}, "`half_life_days` must be a positive number"),
        ({"half_life_days": float("inf")}, "`half_life_days`"),
        ({"complaint_days": -5}, "`complaint_days`"),
        ({"severe": "high"}, "`severe` must be a collection"),
        ({"labels": "de"}, "`labels` must be one of"),
        ({"as_of": "not a date"}, "`as_of` must be a date"),
    ],
)
def test_bad_options(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        satisfaction_class(
            customers_of("a"), surveys=surveys_of([("a", "2024-05-01", 9, 4)]), **kwargs
        )


# --------------------------------------------------------------------------------------
# satisfaction_class: properties against a per-customer reference
# --------------------------------------------------------------------------------------

DAY0 = pd.Timestamp("2024-01-01")

answer_rows = st.lists(
    st.tuples(
        st.integers(0, 6),  # customer (6 is not in `customers`)
        st.integers(0, 60),  # day
        st.one_of(st.none(), st.integers(0, 10)),
        st.one_of(st.none(), st.integers(1, 5)),
    ),
    max_size=25,
)
complaint_rows = st.lists(
    st.tuples(
        st.integers(0, 5), st.integers(0, 60), st.sampled_from(["low", "high"]), st.booleans()
    ),
    max_size=6,
)


def reference_class(
    answers: list[tuple[int, int, int | None, int | None]],
    complaints: list[tuple[int, int, str, bool]],
    cid: int,
    as_of_day: int,
    method: str,
) -> tuple[str | None, float]:
    ambiguous = False

    def band(v: float, hi: float, med: float) -> int:
        nonlocal ambiguous
        # a weighted mean within rounding of a band edge may fall either side
        ambiguous |= min(abs(v - hi), abs(v - med)) < 1e-9 and method == "weighted"
        return 3 if v >= hi else 2 if v >= med else 1

    values, bands = [], []
    for pos, (lo, hi, med) in ((2, (0, 9, 7)), (3, (1, 4, 3))):
        rows = [(r[1], r[pos]) for r in answers if r[0] == cid and r[pos] is not None]
        if not rows:
            continue
        if method == "latest":
            last = max(d for d, _ in rows)
            v = float(np.mean([x for d, x in rows if d == last]))
        else:
            w = [0.5 ** ((as_of_day - d) / 20) for d, _ in rows]
            v = sum(wi * x for wi, (_, x) in zip(w, rows, strict=True)) / sum(w)
        bands.append(band(v, hi, med))
        values.append((v - lo) / (10 if lo == 0 else 4))
    code = min(bands) if bands else 0
    recent = [c for c in complaints if c[0] == cid and as_of_day - c[1] < 30]
    if any(sev == "high" and not res for _, _, sev, res in recent):
        code = 1
    elif code and any(sev == "high" or not res for _, _, sev, res in recent):
        code = min(code, 2)
    cls = None if ambiguous else SATISFACTION_CLASSES[code]
    return cls, float(np.mean(values)) if values else math.nan


@settings(max_examples=60, deadline=None)
@given(
    answers=answer_rows,
    complaints=complaint_rows,
    method=st.sampled_from(["latest", "weighted"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_one_class_per_customer_matches_reference(
    answers: list[tuple[int, int, int | None, int | None]],
    complaints: list[tuple[int, int, str, bool]],
    method: str,
    seed: int,
) -> None:
    as_of_day = 60
    surveys = pd.DataFrame(
        {
            "customer_id": [r[0] for r in answers],
            "date": [DAY0 + pd.Timedelta(days=r[1]) for r in answers],
            "nps": pd.array([r[2] for r in answers], dtype="Int64"),
            "csat": pd.array([r[3] for r in answers], dtype="Int64"),
        }
    )
    comp = pd.DataFrame(
        {
            "customer_id": [c[0] for c in complaints],
            "date": [DAY0 + pd.Timedelta(days=c[1]) for c in complaints],
            "severity": [c[2] for c in complaints],
            "resolved": pd.array([c[3] for c in complaints], dtype=bool),
        }
    )
    customers = customers_of(*range(6))
    before = (surveys.copy(), comp.copy(), customers.copy())
    kw: dict[str, Any] = {
        "as_of": DAY0 + pd.Timedelta(days=as_of_day),
        "method": method,
        "half_life_days": 20,
        "complaint_days": 30,
    }
    unknown = any(r[0] == 6 for r in answers)
    with pytest.warns(KamsegWarning) if unknown else contextlib.nullcontext():
        out = satisfaction_class(customers, surveys=surveys, complaints=comp, **kw)
    for frame, copy in zip((surveys, comp, customers), before, strict=True):
        pd.testing.assert_frame_equal(frame, copy)
    # exactly one class per customer, the one the reference gives
    assert out["satisfaction_class"].notna().all()
    for cid in range(6):
        cls, score = reference_class(answers, complaints, cid, as_of_day, method)
        assert cls is None or out.loc[cid, "satisfaction_class"] == cls
        got = out.loc[cid, "satisfaction_score"]
        assert (math.isnan(got) and math.isnan(score)) or math.isclose(got, score)
        n = sum(1 for r in answers if r[0] == cid and (r[2] is not None or r[3] is not None))
        assert out.loc[cid, "n_answers"] == n
    # row order of every input does not matter
    rng = np.random.default_rng(seed)
    with pytest.warns(KamsegWarning) if unknown else contextlib.nullcontext():
        again = satisfaction_class(
            customers.iloc[rng.permutation(6)],
            surveys=surveys.iloc[rng.permutation(len(surveys))],
            complaints=comp.iloc[rng.permutation(len(comp))],
            **kw,
        )
    pd.testing.assert_frame_equal(again.loc[out.index], out)


# --------------------------------------------------------------------------------------
# nps and csat
# --------------------------------------------------------------------------------------


@pytest.fixture
def answers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4, 5, 5, 6],
            "region": ["N", "N", "N", "S", "S", "S", None],
            "nps": [10, 9, 3, 7, 6, 8, None],
            "csat": [5, 4, 3, 1, 2, 5, 4],
        }
    )


def test_nps_overall_hand_worked(answers: pd.DataFrame) -> None:
    out = nps(answers)
    # 6 answers (one null skipped): promoters 10, 9; passives 7, 8; detractors 3, 6
    assert out.index.tolist() == ["all"]
    row = out.loc["all"]
    assert row["responses"] == 6 and row["respondents"] == 5
    np.testing.assert_allclose(row[["promoters", "passives", "detractors"]], [1 / 3] * 3)
    assert row["nps"] == 0.0
    assert math.isclose(row["mean_score"], 43 / 6)
    assert out.columns.tolist() == [
        "responses", "respondents", "promoters", "passives", "detractors", "nps", "mean_score"
    ]  # fmt: skip
    assert out["responses"].dtype == np.int64 and out["nps"].dtype == np.float64


def test_nps_by_survey_column(answers: pd.DataFrame) -> None:
    out = nps(answers.dropna(subset=["region"]), segment_col="region")
    # N: 10, 9, 3 -> 2/3 - 1/3; S: 7, 6, 8 -> 0 - 1/3
    assert out.index.tolist() == ["N", "S"] and out.index.name == "region"
    np.testing.assert_allclose(out["nps"], [100 / 3, -100 / 3])
    assert out["respondents"].tolist() == [3, 2]


def test_csat_hand_worked(answers: pd.DataFrame) -> None:
    out = csat(answers)
    # 7 answers: satisfied 5, 4, 5, 4 (4/7); neutral 3 (1/7); dissatisfied 1, 2 (2/7)
    row = out.loc["all"]
    assert row["responses"] == 7 and row["respondents"] == 6
    np.testing.assert_allclose(
        row[["satisfied", "neutral", "dissatisfied"]], [4 / 7, 1 / 7, 2 / 7]
    )
    assert math.isclose(row["csat"], 400 / 7)
    assert out.columns.tolist() == [
        "responses", "respondents", "satisfied", "neutral", "dissatisfied", "csat", "mean_score"
    ]  # fmt: skip


def test_segment_of_customers(answers: pd.DataFrame) -> None:
    customers = pd.DataFrame(
        {
            "tier": pd.Categorical(
                ["gold", "gold", "iron", None, "iron"],
                categories=["iron", "gold", "lead"],
                ordered=True,
            )
        },
        index=pd.Index([1, 2, 3, 4, 5], name="customer_id"),
    )
    with pytest.warns(KamsegWarning) as record:
        out = csat(answers, customers=customers, segment_col="tier")
    messages = " | ".join(str(w.message) for w in record)
    assert "excluded 1 answer(s) of 1 customer(s) that are not in `customers`, e.g. 6" in messages
    assert "excluded 1 answer(s) whose segment 'tier' is missing" in messages
    # every category, in order; lead has no answer
    assert isinstance(out.index, pd.CategoricalIndex) and out.index.tolist() == [
        "iron",
        "gold",
        "lead",
    ]
    assert out["responses"].tolist() == [3, 2, 0]
    # iron: customers 3 (csat 3) and 5 (2, 5) -> 1/3 satisfied; gold: 5, 4 -> all satisfied
    np.testing.assert_allclose(out["csat"], [100 / 3, 100.0, np.nan])
    assert np.isnan(out.loc["lead", "mean_score"])


def test_anonymous_answers(answers: pd.DataFrame) -> None:
    out = nps(answers.drop(columns="customer_id"), customer_col=None)
    assert "respondents" not in out.columns and out["responses"].tolist() == [6]


def test_nps_by_industry_matches_pandas() -> None:
    data = kamseg.datasets.make_transactions(n_customers=800, seed=4)
    out = nps(data.surveys, customers=data.master, segment_col="industry")
    joined = data.surveys.join(data.master["industry"], on="customer_id")
    s = joined["nps"]
    grouped = joined.assign(p=s >= 9, d=s <= 6).groupby("industry", observed=False)
    expected = 100 * (grouped["p"].mean() - grouped["d"].mean())
    pd.testing.assert_series_equal(
        out["nps"], expected.rename("nps"), check_index_type=False, check_categorical=False
    )
    assert out["responses"].sum() == len(data.surveys)
    overall = nps(data.surveys).loc["all", "nps"]
    assert math.isclose(overall, 100 * ((s >= 9).mean() - (s <= 6).mean()))


def test_nps_bad_input(answers: pd.DataFrame) -> None:
    with pytest.raises(
        SchemaError,
        match=r"1 answer\(s\) in column 'nps' are not whole numbers from 0 to 10; examples: 11",
    ):
        nps(answers.assign(nps=[10, 9, 3, 7, 6, 8, 11]))
    with pytest.raises(SchemaError, match=r"2 answer\(s\) in column 'csat'.*examples: 0, 9"):
        csat(answers.assign(csat=[5, 0, 3, 1, 2, 9, 4]))
    with pytest.raises(EmptyInputError, match="no answers in column 'nps'"):
        nps(answers.assign(nps=None))
    with pytest.raises(EmptyInputError, match="`surveys` has no rows"):
        nps(answers.iloc[:0])
    with pytest.raises(
        ColumnNotFoundError, match=r"'regon'.*`segment_col`.*Did you mean 'region'"
    ):
        nps(answers, segment_col="regon")
    customers = customers_of(1, 2)
    with pytest.raises(ColumnNotFoundError, match=r"'seg'.*`segment_col`"):
        nps(answers, segment_col="seg")  # a column of the surveys without customers
    with pytest.raises(ConfigError, match="`segment_col` is None"):
        nps(answers, customers=customers)
    with pytest.raises(ColumnNotFoundError, match="segment_col"):
        nps(answers, customers=customers, segment_col="tier")


def test_nps_does_not_mutate(answers: pd.DataFrame) -> None:
    before = answers.copy()
    nps(answers, segment_col="region")
    csat(answers)
    pd.testing.assert_frame_equal(answers, before)
