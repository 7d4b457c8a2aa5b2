"""Tests of kamseg.segment: the one call equals the analyses composed by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import kamseg
from conftest import INVOICE_COLUMNS
from kamseg import clv
from kamseg.config import SegmentConfig
from kamseg.errors import ConfigError, KamsegWarning

CRITERIA = {
    "revenue": 0.25,
    "profit_clv": 0.25,
    "market_influence": 0.15,
    "strategic_fit": 0.15,
    "cost_to_serve": {"weight": 0.20, "direction": "min"},
}


@pytest.fixture(scope="module")
def data() -> kamseg.datasets.Dataset:
    return kamseg.datasets.make_transactions(n_customers=600, seed=5)


@pytest.fixture(scope="module")
def full(data) -> pd.DataFrame:
    config = SegmentConfig(profit_col="profit", order_col="order_id")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the demo data are clean: no warning at all
        return kamseg.segment(
            data.transactions,
            master=data.master,
            surveys=data.surveys,
            complaints=data.complaints,
            catalog=data.catalog,
            config=config,
        )


def _by_hand(data) -> pd.DataFrame:
    """The same job, composed step by step from the public functions."""
    tx = data.transactions
    customers = kamseg.summarize(tx, profit_col="profit", order_col="order_id", freq="D")
    master = data.master
    extra = [c for c in master.columns if c not in customers.columns and c != "is_prospect"]
    table = customers.join(master[extra])
    table = kamseg.rfm_segments(kamseg.rfm_scores(table))
    purchases = clv.fit(table, model="mbgnbd")
    spend = clv.fit(table, model="gamma_gamma")
    revenue = table["revenue"].to_numpy()
    margin = np.where(
        revenue > 0, table["profit"].to_numpy() / np.where(revenue > 0, revenue, 1), 0
    )
    table = table.assign(margin=margin, cost_to_serve=table["cost_to_serve"].fillna(0.0))
    table = clv.predict(
        table,
        purchases,
        spend=spend,
        horizon=12,
        discount_rate=0.01,
        margin="margin",
        cost_to_serve="cost_to_serve",
        freq="D",
    )
    table = kamseg.pareto_table(table)
    table = kamseg.pyramid(table, inactive_days=365)
    table = kamseg.select_key_accounts(kamseg.score_accounts(table, criteria=CRITERIA))
    return table


def test_equals_the_steps_composed_by_hand(data, full):
    expected = _by_hand(data)
    buyers = full.loc[expected.index]  # prospect rows make integer columns float
    for col in expected.columns:
        if col.startswith("score_") or col in ("account_score",):
            np.testing.assert_allclose(buyers[col], expected[col], rtol=1e-9, err_msg=col)
        else:
            pd.testing.assert_series_equal(
                buyers[col],
                expected[col],
                check_exact=False,
                rtol=1e-9,
                obj=col,
                check_dtype=False,
            )


def test_each_setting_reaches_the_argument_of_its_name(data):
    config = SegmentConfig(
        profit_col="profit",
        steps=("rfm", "clv", "pareto", "key_accounts"),
        bins=3,
        clv_model="bgnbd",
        horizon=6,
        pareto_value_col="profit",
        kind="profit",
        inactive_days=200,
        criteria={"revenue": 1.0},
        min_accounts=2,
        max_accounts=4,
    )
    out = kamseg.segment(data.transactions, config=config)
    table = kamseg.summarize(data.transactions, profit_col="profit", freq="D")
    table = kamseg.rfm_segments(kamseg.rfm_scores(table, bins=3))
    purchases = clv.fit(table, model="bgnbd")
    spend = clv.fit(table, model="gamma_gamma")
    revenue = table["revenue"].to_numpy()
    margin = np.where(
        revenue > 0, table["profit"].to_numpy() / np.where(revenue > 0, revenue, 1), 0
    )
    table = clv.predict(
        table.assign(margin=margin), purchases, spend=spend, horizon=6, margin="margin", freq="D"
    )
    table = kamseg.pareto_table(table, value_col="profit")
    table = kamseg.pyramid(table, kind="profit", value_col="profit", inactive_days=200)
    scored = kamseg.score_accounts(table, criteria={"revenue": 1.0}, normalize_weights=True)
    expected = kamseg.select_key_accounts(scored, min_accounts=2, max_accounts=4)
    pd.testing.assert_frame_equal(
        out[expected.columns], expected, check_exact=False, rtol=1e-9, check_freq=False
    )
    assert int(out["is_key_account"].sum()) == 4
    no_action = SegmentConfig(steps=("classes",), action=False)
    assert "value_action" not in kamseg.segment(data.transactions, config=no_action).columns


def test_every_dimension_and_prospects(data, full):
    n_prospects = int(data.master["is_prospect"].sum())
    assert len(full) == data.transactions["customer_id"].nunique() + n_prospects
    for col in (
        "rfm_segment",
        "clv",
        "p_alive",
        "abc_class",
        "pyramid_tier",
        "is_key_account",
        "value_class",
        "behaviour_class",
        "lifecycle_stage",
        "need_level",
        "satisfaction_class",
        "health_score",
        "n_warnings",
        "churn_probability",
        "value_action",
    ):
        assert col in full.columns, col
    assert full.attrs["kamseg_steps"] == ["summary", *kamseg.config.STEPS]
    assert full.attrs["kamseg_skipped"] == {} and full.attrs["kamseg_limited"] == {}
    assert full.attrs["as_of"] == str(data.as_of.date()) and full.attrs["freq"] == "D"
    assert full["is_key_account"].dtype == bool
    assert 5 <= int(full["is_key_account"].sum()) <= 25
    prospects = full[full["first_purchase"].isna()]
    assert len(prospects) == n_prospects
    assert (prospects["lifecycle_stage"] == "potential").all()
    assert not prospects["is_key_account"].any()
    # a prospect has no revenue: its flag is False (revenue <= 0 is false for NaN), and
    # the column stays bool when prospects are appended
    assert full["nonpositive_revenue"].dtype == bool
    assert not prospects["nonpositive_revenue"].any()
    # nor profit to be < 0: the value class's flag stays bool (it was None for them)
    assert full["negative_profit"].dtype == bool
    assert not prospects["negative_profit"].any()
    assert full["negative_profit"].sum() == (full["profit"] < 0).sum()


def test_column_groups_come_in_the_documented_order(full):
    cols = list(full.columns)
    firsts = ["first_purchase", "industry", "r_score", "p_alive", "abc_class", "account_score"]
    firsts += ["value_class", "health_score", "n_warnings", "churn_probability"]
    positions = [cols.index(c) for c in firsts]
    assert positions == sorted(positions)


def test_inputs_are_not_modified(data):
    copies = {n: getattr(data, n).copy() for n in ("transactions", "master", "surveys")}
    kamseg.segment(
        data.transactions,
        master=data.master,
        surveys=data.surveys,
        config=SegmentConfig(steps=("rfm", "classes")),
    )
    for name, before in copies.items():
        pd.testing.assert_frame_equal(getattr(data, name), before)


def test_steps_subset_and_transactions_only(data):
    config = SegmentConfig(steps=("pareto", "rfm"))
    out = kamseg.segment(data.transactions, config=config)
    assert out.attrs["kamseg_steps"] == ["summary", "rfm", "pareto"]
    assert "rfm_segment" in out.columns and "abc_class" in out.columns
    assert "clv" not in out.columns and "industry" not in out.columns
    assert len(out) == data.transactions["customer_id"].nunique()


def test_default_criteria_follow_the_columns_present(data):
    # no master, no profit: value and lifetime value (no margin, so no profit_clv)
    out = kamseg.segment(data.transactions, config=SegmentConfig(steps=("clv", "key_accounts")))
    weights = out.attrs["kamseg_account_scoring"]["weights"]
    assert set(weights) == {"revenue", "clv"}
    assert weights["revenue"] == pytest.approx(0.5)
    no_clv = SegmentConfig(profit_col="profit", steps=("key_accounts",))
    weights = kamseg.segment(data.transactions, config=no_clv).attrs["kamseg_account_scoring"]
    assert set(weights["weights"]) == {"revenue", "profit"}


def test_criteria_naming_a_missing_column(data):
    config = SegmentConfig(criteria={"revenue": 0.5, "loyalty": 0.5})
    with pytest.raises(ConfigError, match=r"criteria name column\(s\) \['loyalty'\]"):
        kamseg.segment(data.transactions, config=config)


def test_clv_skipped_when_nobody_returns():
    tx = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(8)],
            "date": pd.date_range("2024-01-01", periods=8, freq="D"),
            "amount": [10.0, 20, 30, 40, 50, 60, 70, 80],
        }
    )
    out = kamseg.segment(tx, config=SegmentConfig(steps=("rfm", "clv", "key_accounts")))
    assert out.attrs["kamseg_skipped"] == {"clv": "no customer bought in more than one period"}
    assert "clv" not in out.attrs["kamseg_steps"] and "clv" not in out.columns
    assert int(out["is_key_account"].sum()) >= 5


def test_too_few_customers_for_a_short_list():
    tx = pd.DataFrame(
        {"customer_id": ["a", "b", "a"], "date": ["2024-01-01", "2024-01-02", "2024-02-01"]}
    ).assign(amount=[1.0, 2.0, 3.0])
    out = kamseg.segment(tx, config=SegmentConfig(steps=("key_accounts",)))
    assert "fewer than min_accounts 5" in out.attrs["kamseg_skipped"]["key_accounts"]


def test_parquet_path_pandas_and_duckdb_engines_agree(data, tmp_path):
    path = tmp_path / "tx.parquet"
    data.transactions.to_parquet(path)
    base = SegmentConfig(profit_col="profit", steps=("rfm", "clv", "pareto", "health"))
    on_pandas = kamseg.segment(path, config=base.replace(engine="pandas"))
    on_duckdb = kamseg.segment(str(path), config=base.replace(engine="duckdb"))
    auto = kamseg.segment(path, config=base)  # small file: pandas
    pd.testing.assert_frame_equal(auto, on_pandas)
    # the trends come from the activity the engine computed in the summary's query
    assert on_duckdb.attrs["kamseg_limited"] == on_pandas.attrs["kamseg_limited"]
    assert "satisfaction" in on_pandas.attrs["kamseg_limited"]["health"]  # no surveys
    assert on_duckdb["health_frequency_trend"].notna().sum() > 50
    pd.testing.assert_frame_equal(on_duckdb, on_pandas, check_exact=False, rtol=1e-8)


def _shared_columns_equal(got: pd.DataFrame, expected: pd.DataFrame, skip: list[str]) -> None:
    """Every column of `expected` but `skip`: classes exactly, floats to 1e-9."""
    assert [c for c in got.columns if c not in skip] == [
        c for c in expected.columns if c not in skip
    ]
    for col in (c for c in expected.columns if c not in skip):
        a, b = got[col].reindex(expected.index), expected[col]
        if pd.api.types.is_float_dtype(b):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9, err_msg=col)
        else:
            assert a.astype(str).equals(b.astype(str)), col


_NEED = ["need_level", "need_action", "latent_needs"]


def test_duckdb_job_with_side_tables_equals_pandas(data, tmp_path):
    """Every dimension is the pandas job's on an engine input: the trends from the activity
    of the engine's summary query (its columns do not remain in the table), the need level
    from the highest level and the category spend the same query sums, the churn model
    fitted on the customers' rows (here all of them: below pandas_max_rows) and scored from
    the engine's aggregates."""
    path = tmp_path / "tx.parquet"
    tx = data.transactions
    returns = tx.sample(frac=0.03, random_state=1).assign(amount=lambda t: -0.5 * t["amount"])
    pd.concat([tx, returns], ignore_index=True).to_parquet(path)
    sides = {"master": data.master, "surveys": data.surveys, "complaints": data.complaints}
    sides["catalog"] = data.catalog
    base = SegmentConfig(profit_col="profit", order_col="order_id", window_days=120)
    tables, notices = [], []
    for engine in ("pandas", "duckdb"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tables.append(kamseg.segment(path, config=base.replace(engine=engine), **sides))
        notices.append([str(w.message) for w in caught])  # one notice each, the same
    on_pandas, on_duckdb = tables
    assert notices[0] == notices[1]
    assert len(notices[0]) == 1 and notices[0][0].startswith("segment: 166 row(s) have negative")
    assert on_duckdb.attrs == on_pandas.attrs  # steps, nothing skipped, notes
    assert "need_level" in on_duckdb.columns and on_duckdb["latent_needs"].notna().any()
    assert "churn" in on_duckdb.attrs["kamseg_steps"]
    _shared_columns_equal(on_duckdb, on_pandas, skip=["churn_probability"])
    # the churn features agree to the last bits (sums in another order), and a tree's split
    # can fall between: one customer of 600 here
    churn = on_duckdb["churn_probability"], on_pandas["churn_probability"]
    assert np.isclose(*churn, rtol=1e-9, equal_nan=True).mean() > 0.99
    assert (on_duckdb["lifecycle_stage"] == "growing").sum() > 0
    assert on_duckdb["warn_spend_drop"].sum() > 0


def test_duckdb_sample_is_the_same_rows_in_the_same_order(data, tmp_path):
    """The sample of customers' rows comes in the file's order, whatever order DuckDB's
    threads scan it in: a job fitted on it twice gives the same bits (its churn model
    depends on the order of the rows; two runs of the 10M-row file differed in 999,258
    churn probabilities of 1.1M before)."""
    from kamseg.summary._duckdb import sample_rows

    path = tmp_path / "tx.parquet"
    shuffled = data.transactions.sample(frac=1.0, random_state=0)
    shuffled.to_parquet(path, row_group_size=500)  # many row groups: a parallel scan
    cols = ["customer_id", "date", "amount", "profit", "order_id"]
    first, n_rows, n_sampled = sample_rows(
        str(path), columns=cols, customer_col="customer_id", max_rows=3000
    )
    assert n_rows == len(shuffled) and 0 < n_sampled == len(first) < n_rows
    # in the file's order, as pandas reads it
    in_file = shuffled[shuffled["customer_id"].isin(first["customer_id"])][cols]
    pd.testing.assert_frame_equal(first, in_file.reset_index(drop=True), check_exact=True)
    for _ in range(3):
        again, _, _ = sample_rows(
            str(path), columns=cols, customer_col="customer_id", max_rows=3000
        )
        pd.testing.assert_frame_equal(again, first, check_exact=True)
    config = SegmentConfig(
        profit_col="profit", order_col="order_id", pandas_max_rows=3000, engine="duckdb"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        tables = [kamseg.segment(str(path), config=config) for _ in range(2)]
    assert tables[0]["churn_probability"].notna().any()
    pd.testing.assert_frame_equal(tables[0], tables[1], check_exact=True)


def test_duckdb_above_pandas_max_rows_fits_need_and_churn_on_a_sample(data, tmp_path):
    """Above pandas_max_rows every part is fitted on DuckDB's aggregates of every row but
    the need level and the churn model (a hash sample of customers' rows); the churn is
    scored from the aggregates exactly as the model scores the rows in pandas."""
    path = tmp_path / "tx.parquet"
    data.transactions.to_parquet(path)
    sides = {"master": data.master, "surveys": data.surveys, "complaints": data.complaints}
    sides["catalog"] = data.catalog
    config = SegmentConfig(profit_col="profit", order_col="order_id", pandas_max_rows=2000)
    expected = kamseg.segment(data.transactions, config=config, **sides)
    on_duckdb = config.replace(engine="duckdb")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model, table = kamseg.model.fit_and_label(
            path, config=on_duckdb, as_of=None, progress=None, **sides
        )
    (message,) = [str(w.message) for w in caught]
    assert "fitted on a sample" in message and "DuckDB's aggregates" in message
    assert "2000 rows of" in message and model.limited["fit"] in message
    assert model.parts["classes"].need is not None and "churn" in model.parts
    # the need level from DuckDB's sums of every row; the latent needs' reference
    # customers are the sample's (a customer's neighbours among them)
    _shared_columns_equal(table, expected, skip=["latent_needs", "churn_probability"])
    latent = table["latent_needs"].astype(object), expected["latent_needs"].astype(object)
    assert (latent[0].fillna("") == latent[1].fillna("")).mean() > 0.5  # 0.685 here
    scored = expected["churn_probability"].notna()  # not the prospects
    assert scored.equals(table["churn_probability"].notna())
    agree = np.corrcoef(table["churn_probability"][scored], expected["churn_probability"][scored])
    agree = agree[0, 1]
    assert agree > 0.8  # the sample's model, an estimate of the full one
    # the engine's churn features are those of the rows: the model scores pandas rows alike
    on_rows = model.apply(data.transactions, **sides)
    np.testing.assert_allclose(
        table["churn_probability"], on_rows["churn_probability"], rtol=1e-9, atol=1e-12
    )
    assert (on_rows["need_level"].astype(str) == expected["need_level"].astype(str)).mean() > 0.8
    # the model applied to the engine input again: the same table and notes
    again = model.apply(path, **sides)
    assert again.attrs == table.attrs
    _shared_columns_equal(again, table, skip=[])
    with pytest.warns(KamsegWarning, match="segment: need level and churn model fitted"):
        kamseg.segment(path, config=on_duckdb, **sides)


def test_engine_input_labels_need_level_and_churn(data):
    """The need level of an engine input: the highest level and the category spend from
    DuckDB's summary query, labelled by the need part as pandas rows are."""
    pa = pytest.importorskip("pyarrow")
    table = pa.Table.from_pandas(data.transactions, preserve_index=False)
    config = SegmentConfig(steps=("classes", "churn"))
    out = kamseg.segment(table, catalog=data.catalog, config=config)
    expected = kamseg.segment(data.transactions, catalog=data.catalog, config=config)
    assert out.attrs["kamseg_skipped"] == {}
    assert out.attrs["kamseg_limited"] == {"classes": "skipped satisfaction (no surveys)"}
    assert out.attrs["kamseg_limited"] == expected.attrs["kamseg_limited"]
    _shared_columns_equal(out, expected, skip=["churn_probability"])
    assert out["latent_needs"].notna().sum() > 50 and out["need_level"].notna().all()
    assert out["churn_probability"].notna().all()


def test_csv_path_and_as_of_argument(data, tmp_path):
    path = tmp_path / "tx.csv"
    data.transactions.to_csv(path, index=False)
    config = SegmentConfig(steps=("rfm",), as_of="2024-06-30")
    with pytest.warns(KamsegWarning, match="dated after as_of 2024-03-31"):
        out = kamseg.segment(path, config=config, as_of="2024-03-31")
    assert out.attrs["as_of"] == "2024-03-31"
    with pytest.warns(KamsegWarning, match="dated after as_of 2024-03-31"):
        expected = kamseg.rfm_segments(
            kamseg.rfm_scores(
                kamseg.summarize(
                    data.transactions.assign(
                        customer_id=data.transactions["customer_id"].astype(str)
                    ),
                    as_of="2024-03-31",
                    freq="D",
                )
            )
        )
    assert out.index.astype(str).tolist() == expected.index.tolist()
    np.testing.assert_array_equal(out["rfm_cell"].to_numpy(), expected["rfm_cell"].to_numpy())


def test_progress_messages_and_chinese_labels(data):
    seen: list[str] = []
    config = SegmentConfig(steps=("rfm", "pareto"), labels="zh")
    out = kamseg.segment(data.transactions, config=config, progress=seen.append)
    assert seen == ["summary: transactions -> customers", "rfm", "pareto"]
    assert "冠军客户" in set(out["rfm_segment"].astype(str))  # Champions


def test_bad_config_and_master_types(data):
    with pytest.raises(ConfigError, match=r"must be a kamseg\.SegmentConfig"):
        kamseg.segment(data.transactions, config={"freq": "D"})  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"\.parquet or \.csv"):
        kamseg.segment("transactions.xlsx")


def test_master_with_an_id_column(data):
    master = data.master.reset_index()
    config = SegmentConfig(steps=("key_accounts",))
    out = kamseg.segment(data.transactions, master=master, config=config)
    expected = kamseg.segment(data.transactions, master=data.master, config=config)
    pd.testing.assert_frame_equal(out, expected)


def test_as_of_in_the_middle_warns_once_and_every_step_uses_it(data):
    config = SegmentConfig(profit_col="profit")
    n_late = int((data.transactions["date"] >= "2024-07-01").sum())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = kamseg.segment(
            data.transactions,
            master=data.master,
            catalog=data.catalog,
            config=config,
            as_of="2024-06-30",
        )
    texts = [str(w.message) for w in caught]
    late = [t for t in texts if "after as_of" in t and "transaction" in t]
    assert late == [f"segment: excluded {n_late} transaction(s) dated after as_of 2024-06-30."]
    assert out.attrs["as_of"] == "2024-06-30"
    buyers = out[out["first_purchase"].notna()]
    assert buyers["last_purchase"].max() <= pd.Timestamp("2024-06-30")
    assert "churn" in out.attrs["kamseg_steps"] and out["churn_probability"].notna().any()


@pytest.fixture(scope="module")
def small() -> kamseg.datasets.Dataset:
    return kamseg.datasets.make_transactions(n_customers=250, seed=6)


def _one_job(tx: pd.DataFrame, data, config: SegmentConfig) -> tuple[pd.DataFrame, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = kamseg.segment(
            tx,
            master=data.master,
            surveys=data.surveys,
            complaints=data.complaints,
            catalog=data.catalog,
            config=config,
        )
    return out, [str(w.message) for w in caught if issubclass(w.category, KamsegWarning)]


def test_dropna_holds_in_every_step_with_one_notice(small):
    tx = small.transactions.copy()
    rows = np.random.default_rng(1).choice(len(tx), size=7, replace=False)
    tx.loc[tx.index[rows], "amount"] = np.nan
    config = SegmentConfig(profit_col="profit", dropna=True)
    out, notices = _one_job(tx, small, config)
    assert notices == ["segment: dropped 7 row(s) with null values (7 in 'amount')."]
    assert out.attrs["kamseg_steps"] == ["summary", *kamseg.config.STEPS]
    assert out.attrs["kamseg_skipped"] == {}
    # every step saw exactly the rows the summary kept: the job equals the job on them
    clean, clean_notices = _one_job(tx.dropna(subset=["amount"]), small, config)
    assert clean_notices == []
    pd.testing.assert_frame_equal(out, clean)


@pytest.mark.parametrize("returns", ["exclude", "net"])
def test_returns_policy_holds_in_every_step_with_one_notice(small, returns):
    tx = small.transactions.copy()
    rows = np.random.default_rng(2).choice(len(tx), size=40, replace=False)
    tx.loc[tx.index[rows], "amount"] = -tx["amount"].iloc[rows].to_numpy() / 4
    config = SegmentConfig(profit_col="profit", returns=returns)
    out, notices = _one_job(tx, small, config)
    assert len(notices) == 1 and "40 row(s)" in notices[0] and "negative amounts" in notices[0]
    assert out.attrs["kamseg_skipped"] == {}
    if returns == "exclude":
        kept = tx.drop(index=tx.index[rows])
        expected, _ = _one_job(kept, small, config)
        pd.testing.assert_frame_equal(out, expected)
    else:
        assert out["revenue"].sum() == pytest.approx(tx["amount"].sum())


def test_segment_takes_prepared_transactions(small):
    config = SegmentConfig(profit_col="profit")
    prepared = kamseg.prepare_transactions(
        small.transactions, profit_col="profit", product_col="product"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = kamseg.segment(
            prepared,
            master=small.master,
            surveys=small.surveys,
            complaints=small.complaints,
            catalog=small.catalog,
            config=config,
        )
    expected, _ = _one_job(small.transactions, small, config)
    pd.testing.assert_frame_equal(out, expected)


def test_line_items_equal_the_amounts_worked_out_by_hand(small):
    tx = small.transactions
    qty = np.where(np.arange(len(tx)) % 7 == 0, 2, 1)
    lines = tx.assign(qty=qty, unit_price=tx["amount"] / qty).drop(columns="amount")
    config = SegmentConfig(profit_col="profit", quantity_col="qty", price_col="unit_price")
    out, notices = _one_job(lines, small, config)
    expected, _ = _one_job(
        lines.assign(amount=lines["qty"] * lines["unit_price"]),
        small,
        SegmentConfig(profit_col="profit"),
    )
    assert notices == []
    pd.testing.assert_frame_equal(out, expected)
    with pytest.raises(ConfigError, match="`quantity_col` and `price_col` go together"):
        SegmentConfig(quantity_col="qty")


def test_the_list_of_the_jobs_columns_is_complete(full, data) -> None:
    # a master column of one of these names is joined as master_<name>: the list must hold
    # every column the steps write
    from kamseg._segment_inputs import STEP_COLUMNS as _STEP_COLUMNS
    from kamseg._segment_inputs import STEP_PREFIXES as _STEP_PREFIXES

    summary = set(kamseg.summarize(data.transactions).columns) | {"profit"}
    written = set(full.columns) - summary - set(data.master.columns)
    missing = {c for c in written if c not in _STEP_COLUMNS and not c.startswith(_STEP_PREFIXES)}
    assert missing == set()


def test_duckdb_job_on_a_messy_invoice_export_equals_pandas(tmp_path):
    """A real-shaped export (line items, cancellations, float ids, guests without an id,
    weekly periods) through the engine path: every column the pandas job has (no catalog,
    so no need level) and the same single notice; the churn within a tree split."""
    lines = kamseg.datasets.make_invoice_lines(n_customers=300, seed=4).lines
    path = tmp_path / "export.parquet"
    lines.to_parquet(path)
    config = SegmentConfig(**INVOICE_COLUMNS, dropna=True, freq="W")
    tables, notices = [], []
    for engine in ("pandas", "duckdb"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tables.append(kamseg.segment(path, config=config.replace(engine=engine)))
        notices.append([str(w.message) for w in caught])
    on_pandas, on_duckdb = tables
    assert notices[0] == notices[1] and len(notices[0]) == 1  # nulls dropped, returns netted
    assert on_duckdb.attrs == on_pandas.attrs
    assert "churn" in on_duckdb.attrs["kamseg_steps"]
    _shared_columns_equal(on_duckdb, on_pandas, skip=["churn_probability"])
    churn = on_duckdb["churn_probability"], on_pandas["churn_probability"]
    assert np.isclose(*churn, rtol=1e-9, equal_nan=True).mean() > 0.99


@pytest.mark.parametrize("engine", [False, True])
def test_earlier_tables_are_let_go_as_the_job_goes(engine):
    """Memory: while the later steps run, the job holds one customer table, not the
    summary (which its caller held) or the ranked table of the Pareto step (which a
    closure kept), nor an engine's job columns once read: at 10M customers each was
    gigabytes."""
    import gc

    import pyarrow as pa

    data = kamseg.datasets.make_transactions(n_customers=2000, seed=0)
    tx = data.transactions
    if engine:  # an Arrow table: summarised by DuckDB
        tx = pa.Table.from_pandas(tx[["customer_id", "date", "amount", "order_id", "product"]])
    alive: dict[str, list[pd.Index]] = {}

    def progress(step: str) -> None:
        if step in ("health", "warnings", "churn"):
            gc.collect()
            alive[step] = [
                o.columns
                for o in gc.get_objects()
                if isinstance(o, pd.DataFrame)
                and {"first_purchase", "n_orders"} <= set(o.columns)  # a customer table
                and len(o) > 1000
            ]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = kamseg.segment(
            tx,
            master=data.master,
            surveys=data.surveys,
            complaints=data.complaints,
            catalog=data.catalog,
            progress=progress,
        )
    assert set(alive) == {"health", "warnings", "churn"}
    for step, columns in alive.items():
        assert len(columns) == 1, (step, [len(c) for c in columns])  # the step's table
        assert "daily_frequency" not in columns[0]
    assert "daily_frequency" not in table.columns


def test_the_step_libraries_hold_every_module_the_steps_import() -> None:
    """`load_step_libraries` (called before the CLI's progress clock) imports the modules
    of every step, kamseg's and scikit-learn's model modules: a job run after it imports
    only the job's own modules (the model, the summary's backends, the CLV boundary
    limits), in a fresh interpreter."""
    import subprocess
    import sys

    code = """
import sys, warnings
warnings.simplefilter("ignore")
import kamseg
from kamseg.config import STEPS, SegmentConfig
from kamseg.pipeline import load_step_libraries
data = kamseg.datasets.make_transactions(n_customers=600, seed=1)
load_step_libraries(tuple(STEPS))
before = set(sys.modules)
kamseg.segment(
    data.transactions, master=data.master, surveys=data.surveys,
    complaints=data.complaints, catalog=data.catalog,
    config=SegmentConfig(order_col="order_id", product_col="product"),
)
late = set(sys.modules) - before
print(" ".join(sorted(m for m in late if m.startswith(("kamseg", "sklearn")))))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    late = set(out.stdout.split())
    job_own = {
        "kamseg.model",
        "kamseg.model_spark",
        "kamseg.summary._pandas",
        "kamseg.summary._spark",
        "kamseg.summary._sql",
        "kamseg.clv._boundary",
    }
    assert late <= job_own, late - job_own


def test_the_thread_limit_reaches_the_latent_needs_kd_tree_without_clv_or_churn() -> None:
    """A job with the classes and a catalogue but neither CLV nor churn loads scipy's
    KD-tree (and scipy's BLAS with it) before its thread limit, so that the limit reaches
    every BLAS pool; without a catalogue it does not load it (no cost). In a fresh
    interpreter: the pools as the job's `n_jobs=1` leaves them inside its limit."""
    import subprocess
    import sys

    code = """
import sys, warnings
warnings.simplefilter("ignore")
import threadpoolctl
import kamseg
import kamseg.pipeline as pipeline
from kamseg.config import SegmentConfig
seen = []
real = pipeline.limited_threads
def spy(n_jobs):
    class Block:
        def __enter__(self):
            self.inner = real(n_jobs)
            out = self.inner.__enter__()
            import scipy.spatial  # what the latent needs import inside the limit
            seen.append(sorted({p["num_threads"] for p in threadpoolctl.threadpool_info()
                                if p["user_api"] == "blas"}))
            return out
        def __exit__(self, *exc):
            return self.inner.__exit__(*exc)
    return Block()
pipeline.limited_threads = spy
data = kamseg.datasets.make_transactions(n_customers=300, seed=1)
steps = ("rfm", "classes")
kamseg.segment(data.transactions, catalog=data.catalog,
               config=SegmentConfig(order_col="order_id", steps=steps, n_jobs=1))
print(seen[0])
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert out.stdout.split("\n")[-2] == "[1]", out.stdout

    bare = """
import sys
from kamseg.pipeline import load_step_libraries
load_step_libraries(("rfm", "classes"), catalog=False)
print("scipy.spatial" in sys.modules, "scipy.linalg" in sys.modules)
"""
    out = subprocess.run(
        [sys.executable, "-c", bare], capture_output=True, text=True, check=True, timeout=300
    )
    assert out.stdout.split() == ["False", "False"], out.stdout
