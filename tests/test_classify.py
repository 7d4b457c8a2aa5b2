"""kamseg.classify: every dimension the data allow, a warning for the rest."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import kamseg
from kamseg.errors import KamsegWarning

DIMENSIONS = [
    "value_class",
    "behaviour_class",
    "lifecycle_stage",
    "need_level",
    "satisfaction_class",
]


@pytest.fixture(scope="module")
def data():
    return kamseg.datasets.make_transactions(n_customers=600, seed=5)


@pytest.fixture(scope="module")
def customers(data):
    return kamseg.summarize(data.transactions, profit_col="profit", as_of=data.as_of)


def test_all_five_dimensions_with_all_side_tables(data, customers):
    before = customers.copy()
    out = kamseg.classify(
        customers,
        transactions=data.transactions,
        surveys=data.surveys,
        complaints=data.complaints,
        catalog=data.catalog,
        master=data.master,
        action=True,
        labels="zh",
    )
    pd.testing.assert_frame_equal(customers, before)
    assert len(out) == len(data.master)  # prospects appended
    buyers = out.index.isin(customers.index)
    for col in DIMENSIONS:
        assert isinstance(out[col].dtype, pd.CategoricalDtype) and out[col].cat.ordered
    # every buyer has exactly one class on every dimension
    for col in ["value_class", "behaviour_class", "lifecycle_stage", "satisfaction_class"]:
        assert out.loc[buyers, col].notna().all(), col
    prospects = out.index[~buyers]
    assert set(prospects) == set(data.master.index[data.master["is_prospect"]])
    assert (out.loc[prospects, "behaviour_class"] == "潜在客户").all()
    assert (out.loc[prospects, "lifecycle_stage"] == "潜在期").all()
    for col in ("value_action", "behaviour_action", "lifecycle_action", "satisfaction_action"):
        assert out.loc[buyers, col].str.len().gt(0).all()


def test_skipped_dimensions_are_named(customers):
    with pytest.warns(
        KamsegWarning, match=r"skipped need \(no transactions and catalog\); satisfaction"
    ):
        out = kamseg.classify(customers)
    assert "need_level" not in out.columns
    assert "satisfaction_class" not in out.columns
    assert out["lifecycle_stage"].notna().all()


def test_row_order_does_not_matter(data, customers):
    kw = {"transactions": data.transactions, "surveys": data.surveys, "catalog": data.catalog}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        a = kamseg.classify(customers, **kw)
        b = kamseg.classify(customers.sample(frac=1.0, random_state=3), **kw)
    pd.testing.assert_frame_equal(a, b.loc[a.index])
