"""kamseg.segment on hostile inputs (issue 13): each case handled as DESIGN.md's bad-input
table says, in one call, with each notice given once."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import kamseg
from conftest import INVOICE_COLUMNS
from kamseg import SegmentConfig
from kamseg.errors import ColumnNotFoundError, ConfigError, SchemaError

STEPS = ("rfm", "clv", "pareto", "key_accounts")


@pytest.fixture(scope="module")
def data() -> kamseg.datasets.Dataset:
    return kamseg.datasets.make_transactions(n_customers=300, seed=11)


def run(tx: pd.DataFrame, **kw: object) -> tuple[pd.DataFrame, list[str]]:
    """segment(...) and the text of every warning it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = kamseg.segment(tx, **kw)  # type: ignore[arg-type]
    return out, [str(w.message) for w in caught]


def test_master_id_column_of_another_name(data) -> None:
    master = data.master.reset_index().rename(columns={"customer_id": "cid"})
    config = SegmentConfig(steps=STEPS, master_id_col="cid")
    out, notices = run(data.transactions, master=master, config=config)
    expected, _ = run(data.transactions, master=data.master, config=SegmentConfig(steps=STEPS))
    assert notices == []
    pd.testing.assert_series_equal(out["industry"], expected["industry"])
    # without master_id_col the row numbers are never taken for ids
    with pytest.raises(ConfigError, match=r"neither a 'customer_id' column nor an id index"):
        run(data.transactions, master=master, config=SegmentConfig(steps=STEPS))
    with pytest.raises(ColumnNotFoundError, match="no id column 'id'"):
        run(data.transactions, master=master, config=SegmentConfig(master_id_col="id"))


def test_duplicated_master_ids_are_refused_before_any_step(data) -> None:
    master = pd.concat([data.master, data.master.iloc[:2]])
    seen: list[str] = []
    with pytest.raises(SchemaError, match=r"duplicated customer ids.*2 duplicate row"):
        kamseg.segment(data.transactions, master=master, progress=seen.append)
    assert seen == []  # not even the summary ran


def test_master_columns_named_like_the_jobs_are_kept_apart(data) -> None:
    master = data.master.assign(revenue=1.0, rfm_score=99)
    out, notices = run(data.transactions, master=master, config=SegmentConfig(steps=STEPS))
    assert len(notices) == 1
    assert "['revenue', 'rfm_score']" in notices[0] and "master_revenue" in notices[0]
    assert (out["master_revenue"].dropna() == 1.0).all()
    assert (out["master_rfm_score"].dropna() == 99).all()
    assert out["rfm_score"].max() < 99  # the job's own column
    assert out["revenue"].sum() == pytest.approx(data.transactions["amount"].sum())


def test_cost_to_serve_without_profit_column(data) -> None:
    # the README's --master command: no profit column, a master cost to serve
    out, notices = run(data.transactions, master=data.master, config=SegmentConfig(steps=STEPS))
    assert notices == []
    assert {"clv", "profit_clv", "net_profit"} <= set(out.columns)
    assert "margin 1.0" in out.attrs["kamseg_limited"]["clv"]
    # net profit: revenue x margin less the yearly cost over the tenure, by hand
    config = SegmentConfig(steps=STEPS, margin=0.3)
    out, _ = run(data.transactions, master=data.master, config=config)
    row = out.dropna(subset=["net_profit"]).iloc[0]
    by_hand = 0.3 * row["revenue"] - row["cost_to_serve"] * row["tenure_days"] / 365.25
    assert row["net_profit"] == pytest.approx(by_hand)
    assert "clv" not in out.attrs["kamseg_limited"]
    assert (out["profit_clv"] <= 0.3 * out["clv"] + 1e-9).all()
    with pytest.raises(ConfigError, match="margin"):
        SegmentConfig(margin=1.5)


def test_profit_pyramid_and_whale_use_profit_net_of_cost_to_serve(data) -> None:
    config = SegmentConfig(profit_col="profit", steps=("pareto",), kind="profit")
    out, _ = run(data.transactions, master=data.master, config=config)
    buyers = out.dropna(subset=["net_profit"])
    expected = buyers["profit"] - buyers["cost_to_serve"] * buyers["tenure_days"] / 365.25
    np.testing.assert_allclose(buyers["net_profit"], expected)
    assert (buyers["net_profit"] < 0).any()  # the cost to serve makes some unprofitable
    whale = kamseg.whale_curve(buyers, profit_col="net_profit")
    assert whale.peak_profit_share > 1.0  # not a flat "100 % earn 100 %" curve


def test_side_table_ids_of_another_type_are_converted_once(data) -> None:
    tx = data.transactions.assign(customer_id=data.transactions["customer_id"].astype(str))
    master = data.master.set_axis(data.master.index.astype(str))
    surveys = data.surveys  # integer ids against text ids
    config = SegmentConfig(steps=("classes", "warnings"))
    out, notices = run(tx, master=master, surveys=surveys, config=config)
    mismatch = [n for n in notices if "ids of `surveys`" in n]
    assert len(mismatch) == 1 and "number" in mismatch[0] and "text" in mismatch[0]
    assert out["satisfaction_class"].notna().sum() > 0
    plain, _ = run(data.transactions, master=data.master, surveys=surveys, config=config)
    assert (
        out["satisfaction_class"].value_counts().equals(plain["satisfaction_class"].value_counts())
    )


def test_one_customer_as_1_and_text_1(data) -> None:
    tx = data.transactions.copy()
    ids = tx["customer_id"].astype(object)
    ids[ids.index % 2 == 0] = ids[ids.index % 2 == 0].astype(str)
    tx["customer_id"] = ids
    out, notices = run(tx, config=SegmentConfig(steps=("rfm",)))
    assert len(notices) == 1 and "mixed types (int, str)" in notices[0]
    assert len(out) == data.transactions["customer_id"].nunique()


def test_a_typo_date_does_not_make_everyone_churned(data) -> None:
    tx = data.transactions.copy()
    tx.loc[tx.index[0], "date"] = pd.Timestamp("2099-01-01")
    config = SegmentConfig(steps=("rfm", "classes"))
    out, notices = run(tx, config=config)
    clean, _ = run(data.transactions.drop(index=tx.index[0]), config=config)
    assert len(notices) == 1 and "taken for typos" in notices[0] and "--as-of" in notices[0]
    assert out.attrs["as_of"] == clean.attrs["as_of"]
    pd.testing.assert_series_equal(out["lifecycle_stage"], clean["lifecycle_stage"])


def test_a_steps_data_problem_skips_the_step_not_the_job(data) -> None:
    surveys = data.surveys.copy()
    surveys.loc[surveys.index[0], "date"] = None
    config = SegmentConfig(steps=("rfm", "classes", "warnings"))
    out, notices = run(data.transactions, surveys=surveys, config=config)
    assert out.attrs["kamseg_steps"] == ["summary", "rfm"]
    assert set(out.attrs["kamseg_skipped"]) == {"classes", "warnings"}
    assert "null" in out.attrs["kamseg_skipped"]["classes"]
    assert sum("step 'classes' skipped" in n for n in notices) == 1
    assert "rfm_segment" in out.columns
    # invalid configuration still raises
    with pytest.raises(ConfigError):
        kamseg.segment(data.transactions, config=SegmentConfig(criteria={"nope": 1.0}))


def test_progress_true_shows_a_bar_and_other_values_are_refused(data, capsys) -> None:
    out = kamseg.segment(data.transactions, config=SegmentConfig(steps=("rfm",)), progress=True)
    assert "rfm_segment" in out.columns
    assert "kamseg segment" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="progress"):
        kamseg.segment(data.transactions, progress="yes")  # type: ignore[arg-type]


def test_net_nonpositive_customers_are_never_key_accounts(data) -> None:
    tx = data.transactions
    big = pd.DataFrame(
        {
            "customer_id": [-1, -1, -1, -1],
            "date": pd.to_datetime(["2024-01-02", "2024-01-03", "2024-03-01", "2024-03-02"]),
            "amount": [500_000.0, -500_000.0, 300_000.0, -300_000.0],
        }
    )
    with_big = pd.concat([tx[["customer_id", "date", "amount"]], big], ignore_index=True)
    out, notices = run(with_big, config=SegmentConfig(steps=("rfm", "pareto", "key_accounts")))
    assert bool(out.loc[-1, "nonpositive_revenue"]) and not bool(out.loc[-1, "is_key_account"])
    assert out["is_key_account"].sum() >= 5
    assert len(notices) == 1 and "2 row(s) have negative amounts" in notices[0]


def test_totals_beyond_float_range_are_refused() -> None:
    tx = pd.DataFrame(
        {"customer_id": [1, 1, 2], "date": ["2024-01-01", "2024-01-02", "2024-01-02"]}
    ).assign(amount=[1e308, 1e308, 5.0])
    with pytest.raises(SchemaError, match="overflows"):
        kamseg.segment(tx)


def test_a_polars_frame_to_a_pandas_function_says_how_to_convert() -> None:
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame({"recency": [1], "frequency": [1], "monetary_value": [1.0]})
    with pytest.raises(TypeError, match=r"got polars\.DataFrame\. Hint: convert it with "):
        kamseg.rfm_scores(frame)  # type: ignore[arg-type]


def test_a_one_year_export_gets_a_churn_model_with_a_shorter_window() -> None:
    lines = kamseg.datasets.make_invoice_lines(300, seed=2).lines
    config = SegmentConfig(**INVOICE_COLUMNS, dropna=True, steps=("churn",))
    out, _ = run(lines, config=config)
    # 2010-12-01 to 2011-12-09: 373 days of history, three windows of 124 days
    assert out.attrs["kamseg_steps"] == ["summary", "churn"]
    assert out.attrs["kamseg_limited"]["churn"] == (
        "a history of 373 days: churn window 124 days instead of window_days 180"
    )
    assert out["churn_probability"].between(0, 1).all()


def test_a_p_alive_without_dropout_neither_vetoes_churn_nor_counts_in_health(
    data, monkeypatch
) -> None:
    # the wiring: a purchase model that found no dropout (FitResult.dropout_identified
    # False, as on the online-retail export) leaves the churn calls to the rhythm
    # and the health score without its P(alive)
    config = SegmentConfig(steps=("clv", "classes", "health"))
    informed, _ = run(data.transactions, config=config)
    assert "health_p_alive" in informed.columns
    monkeypatch.setattr(kamseg.clv.FitResult, "dropout_identified", property(lambda s: False))
    out, notices = run(data.transactions, config=config)
    assert "found no dropout" in out.attrs["kamseg_limited"]["classes"]
    assert "health_p_alive" not in out.columns
    assert not out["lifecycle_reason"].astype(str).str.contains("P\\(alive\\)").any()
    by_rhythm, _ = run(data.transactions, config=SegmentConfig(steps=("classes",)))
    pd.testing.assert_series_equal(out["lifecycle_stage"], by_rhythm["lifecycle_stage"])
    assert not any("P(alive) not used" in n for n in notices)  # said once, in attrs


def test_side_tables_dated_in_another_column_than_the_transactions(data) -> None:
    tx = data.transactions.rename(columns={"date": "InvoiceDate"})
    config = SegmentConfig(date_col="InvoiceDate", steps=("classes", "warnings"))
    # without side_date_col the surveys' date column is not found: the steps are skipped
    out, _ = run(tx, surveys=data.surveys, config=config)
    assert set(out.attrs["kamseg_skipped"]) == {"classes", "warnings"}
    out, notices = run(tx, surveys=data.surveys, config=config.replace(side_date_col="date"))
    expected, _ = run(
        data.transactions, surveys=data.surveys, config=config.replace(date_col="date")
    )
    assert out.attrs["kamseg_skipped"] == {} and notices == []
    pd.testing.assert_series_equal(out["satisfaction_class"], expected["satisfaction_class"])


def test_spreadsheet_dates_are_read_in_the_one_order_that_fits(data) -> None:
    """Dates as spreadsheet exports write them ("12/1/2010 8:26"): month first when some
    second number is above 12, day first when some first number is; the same table as
    ISO dates. When every number is at most 12 the order cannot be told: refused."""
    tx = data.transactions
    stamp = pd.to_datetime(tx["date"])
    us = stamp.dt.strftime("%m/%d/%Y") + " " + stamp.dt.hour.astype(str) + ":00"
    eu = stamp.dt.strftime("%d.%m.%Y")
    expected, _ = run(tx, config=SegmentConfig(steps=STEPS))
    for text in (us, eu):
        out, notices = run(tx.assign(date=text.astype(object)), config=SegmentConfig(steps=STEPS))
        assert notices == []
        pd.testing.assert_frame_equal(out, expected)
    early = tx[stamp.dt.day <= 12].assign(date=lambda t: t["date"].dt.strftime("%m/%d/%Y"))
    with pytest.raises(SchemaError, match="could be month/day or day/month"):
        kamseg.segment(early, config=SegmentConfig(steps=STEPS))


def test_a_csv_path_that_is_not_utf8_is_read_with_one_notice(data, tmp_path) -> None:
    path = tmp_path / "tx.csv"
    tx = data.transactions[["customer_id", "date", "amount"]].assign(note="£5 off")
    tx.to_csv(path, index=False, encoding="cp1252")
    out, notices = run(path, config=SegmentConfig(steps=STEPS))
    (notice,) = notices
    assert notice.startswith(f"segment: {str(path)!r} is not UTF-8 text (byte 0xa3")
    assert "read as Windows-1252" in notice
    expected, _ = run(
        tx.assign(customer_id=tx["customer_id"].astype(str)), config=SegmentConfig(steps=STEPS)
    )
    pd.testing.assert_series_equal(out["revenue"], expected["revenue"])


def test_master_ids_with_stray_spaces_are_stripped_once(data) -> None:
    master = data.master.set_axis(" " + data.master.index.astype(str) + " ")
    tx = data.transactions.assign(customer_id=data.transactions["customer_id"].astype(str))
    out, notices = run(tx, master=master, config=SegmentConfig(steps=("rfm", "classes")))
    assert notices == [
        f"segment: stripped surrounding spaces from {len(master)} customer id(s) of `master`."
    ]
    plain, _ = run(
        tx,
        master=data.master.set_axis(data.master.index.astype(str)),
        config=SegmentConfig(steps=("rfm", "classes")),
    )
    assert len(out) == len(plain) == len(data.master)
    assert out["industry"].astype(str).equals(plain["industry"].astype(str))


def test_a_filtered_master_is_not_joined_on_its_row_labels(data) -> None:
    """An unnamed integer index is row numbers or the labels a filter left, never ids."""
    master = data.master.reset_index().rename(columns={"customer_id": "cid"})
    filtered = master[master.index % 3 != 0]
    with pytest.raises(ConfigError, match=r"unnamed integers, e\.g\. row labels left by a filter"):
        kamseg.segment(data.transactions, master=filtered)
    config = SegmentConfig(master_id_col="cid", steps=STEPS)
    out, _ = run(data.transactions, master=filtered, config=config)
    expected = data.master["industry"].reindex(out.index).where(out.index.isin(filtered["cid"]))
    assert out["industry"].astype(str).equals(expected.astype(str))


def test_text_ids_with_and_without_a_dot_zero_are_one_customer(data) -> None:
    """ "17850" and "17850.0" (two exports of one id column) are one customer, on pandas
    and on DuckDB alike; ids that are not all whole numbers keep their text."""
    pa = pytest.importorskip("pyarrow")
    tx = data.transactions.assign(customer_id=data.transactions["customer_id"].astype(str))
    half = tx.index % 2 == 0
    tx.loc[half, "customer_id"] = tx.loc[half, "customer_id"] + ".0"
    config = SegmentConfig(steps=STEPS)
    out, notices = run(tx, config=config)
    assert notices == [] and len(out) == data.transactions["customer_id"].nunique()
    assert "17850.0" not in out.index and all("." not in i for i in out.index)
    on_duckdb, _ = run(pa.Table.from_pandas(tx, preserve_index=False), config=config)
    assert on_duckdb.index.equals(out.index)
    mixed = tx.assign(customer_id=tx["customer_id"].where(~half, "C-" + tx["customer_id"]))
    kept, _ = run(mixed, config=SegmentConfig(steps=("rfm",)))
    assert any(i.endswith(".0") for i in kept.index)


def test_one_fact_is_said_once(data) -> None:
    """A master without some customers: one notice, not one per step that reads it."""
    master = data.master.drop(index=data.master.index[:10])
    _, notices = run(data.transactions, master=master)
    assert sum("are not in `master`" in n for n in notices) == 1


def test_unreadable_transaction_paths_are_typed_errors(data, tmp_path) -> None:
    bad = tmp_path / "tx.parquet"
    bad.write_text("customer_id,date,amount\n1,2024-01-01,5\n")
    for engine in ("pandas", "duckdb"):
        with pytest.raises(SchemaError, match=f"cannot read Parquet {str(bad)!r}"):
            kamseg.segment(bad, config=SegmentConfig(engine=engine))
    with pytest.raises(SchemaError, match=f"cannot read Parquet {str(bad)!r}"):
        kamseg.summarize(str(bad))
    plain = tmp_path / "tx"
    plain.write_text("customer_id,date,amount\n1,2024-01-01,5\n")
    with pytest.raises(ConfigError, match=r"has no extension.*name it \.csv, \.parquet or \.pq"):
        kamseg.segment(plain)


def test_na_like_ids_of_a_csv_path_are_customers(tmp_path) -> None:
    path = tmp_path / "tx.csv"
    ids = ["NA", "None", "null", "N/A", "nan", "7"]
    pd.DataFrame({"customer_id": ids, "date": "2024-01-01", "amount": 1.0}).to_csv(
        path, index=False
    )
    out, notices = run(path, config=SegmentConfig(steps=("rfm",)))
    assert sorted(out.index) == sorted(ids) and notices == []


def test_a_config_file_that_is_not_utf8(tmp_path) -> None:
    path = tmp_path / "k.toml"
    path.write_bytes('# 配置\n[output]\nlabels = "zh"\n'.encode("gbk"))
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        SegmentConfig.from_toml(path)


def test_a_grand_total_beyond_float_range_skips_the_pareto_step() -> None:
    """Each customer's total is finite, their sum is not: the value shares are undefined,
    so the Pareto step is skipped with the reason (no numpy overflow warnings)."""
    tx = pd.DataFrame(
        {"customer_id": [1, 2, 3], "date": ["2024-01-01", "2024-01-02", "2024-01-02"]}
    ).assign(amount=[1e308, 1e308, 5.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = kamseg.segment(tx, config=SegmentConfig(steps=("rfm", "pareto")))
    assert [w.category for w in caught] == [kamseg.errors.KamsegWarning]
    assert "beyond the float range" in out.attrs["kamseg_skipped"]["pareto"]
    assert "value_share" not in out.columns


def test_notices_show_plain_numbers_and_the_cli_option(data) -> None:
    tx = data.transactions.copy()
    tx.loc[tx.index[0], "amount"] = -9.9
    with pytest.raises(SchemaError, match=r"examples: -9\.9\. Hint") as caught:
        kamseg.segment(tx, config=SegmentConfig(returns="error", steps=STEPS))
    assert "np.float64" not in str(caught.value)
    tx.loc[tx.index[1], "amount"] = np.nan
    with pytest.raises(SchemaError, match=r"pass dropna=True \(--dropna\) to drop"):
        kamseg.segment(tx, config=SegmentConfig(steps=STEPS))
