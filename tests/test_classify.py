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


def _by_client(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns={"customer_id": "client"})


@pytest.mark.parametrize(
    ("name", "sides"),
    [
        ("classify", ("transactions", "surveys", "complaints", "catalog", "master")),
        ("lifecycle_stage", ("transactions",)),
        ("need_level", ("transactions", "catalog")),
        ("latent_needs", ("transactions", "catalog")),
        ("satisfaction_class", ("surveys", "complaints")),
        ("health_score", ("transactions",)),
        ("early_warnings", ("transactions", "surveys", "complaints")),
        ("features.trends", ("transactions",)),
    ],
)
def test_customer_col_defaults_to_the_index_name(data, customers, name, sides):
    """Customers indexed by "client", side tables with a "client" column: no customer_col."""
    func = kamseg.features.trends if name == "features.trends" else getattr(kamseg, name)
    given = {side: getattr(data, side) for side in sides}
    renamed = {side: _by_client(t) for side, t in given.items()}
    if "master" in renamed:
        renamed["master"] = data.master.rename_axis("client")
    clients = customers.rename_axis("client")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        expected = func(customers, **given)
        out = func(clients, **renamed)
    if name == "latent_needs":  # a long table: its id column is named after customer_col
        pd.testing.assert_frame_equal(out, _by_client(expected))
    else:
        pd.testing.assert_frame_equal(out, expected.rename_axis("client"))


def test_customer_col_given_or_unnamed_index(data, customers):
    tx = _by_client(data.transactions)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        expected = kamseg.lifecycle_stage(customers, transactions=data.transactions)
        # an explicit customer_col wins over the index name
        given = kamseg.lifecycle_stage(
            customers.rename_axis(None), transactions=tx, customer_col="client"
        )
    pd.testing.assert_frame_equal(given, expected.rename_axis(None))
    # an unnamed index means "customer_id"; a named one its name, with the usual hint
    with pytest.raises(kamseg.errors.ColumnNotFoundError, match=r"'customer_id'.*'client'"):
        kamseg.lifecycle_stage(customers.rename_axis(None), transactions=tx)
    with pytest.raises(kamseg.errors.ColumnNotFoundError, match=r"'client'.*customer_col"):
        kamseg.lifecycle_stage(customers.rename_axis("client"), transactions=data.transactions)


def test_surveys_with_nps_only_give_a_satisfaction_class() -> None:
    data = kamseg.datasets.make_transactions(n_customers=200, seed=3)
    customers = kamseg.summarize(data.transactions)
    nps_only = data.surveys.drop(columns="csat")
    with pytest.warns(KamsegWarning, match="skipped"):  # no transactions, no catalog
        out = kamseg.classify(customers, surveys=nps_only)
    expected = kamseg.satisfaction_class(customers, surveys=nps_only, csat_col=None)
    pd.testing.assert_series_equal(out["satisfaction_class"], expected["satisfaction_class"])
