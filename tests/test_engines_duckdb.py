"""Tests of kamseg.engines.summarize_duckdb: every input kind equals the pandas path.

The preparation rules (cancellations, far dates, customer ids, overflow) on every engine are
tested in test_engines_rules.py."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import kamseg
from kamseg.errors import ColumnNotFoundError, EmptyInputError, KamsegWarning, SchemaError

duckdb = pytest.importorskip("duckdb")
pa = pytest.importorskip("pyarrow")

from kamseg.engines import summarize_duckdb  # noqa: E402

KINDS = [
    "parquet",
    "parquet_path",
    "glob",
    "folder",
    "arrow",
    "arrow_stream",  # read once: the summary's passes read it as a table
    "polars",
    "polars_lazy",
    "relation",
]


def _convert(df: pd.DataFrame, kind: str, tmp_path: Path) -> Any:
    table = pa.Table.from_pandas(df, preserve_index=False)
    if kind == "parquet":
        path = tmp_path / "tx.parquet"
        df.to_parquet(path, index=False)
        return str(path)
    if kind == "parquet_path":
        path = tmp_path / "tx.parquet"
        df.to_parquet(path, index=False)
        return path
    if kind == "glob":
        half = len(df) // 2
        df.iloc[:half].to_parquet(tmp_path / "part-0.parquet", index=False)
        df.iloc[half:].to_parquet(tmp_path / "part-1.parquet", index=False)
        return str(tmp_path / "part-*.parquet")
    if kind == "folder":
        folder = tmp_path / "tx"
        folder.mkdir(exist_ok=True)
        df.iloc[: len(df) // 3].to_parquet(folder / "a.parquet", index=False)
        df.iloc[len(df) // 3 :].to_parquet(folder / "b.parquet", index=False)
        return folder
    if kind == "arrow":
        return table
    if kind == "arrow_stream":
        return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=7))
    if kind in ("polars", "polars_lazy"):
        pl = pytest.importorskip("polars")
        frame = pl.from_arrow(table)
        return frame.lazy() if kind == "polars_lazy" else frame
    if kind == "relation":
        return duckdb.connect().from_arrow(table)
    raise AssertionError(kind)


def _sql_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Aggregate every pass with DuckDB's SQL query."""
    from kamseg.summary import _duckdb

    monkeypatch.setattr(_duckdb, "scannable", lambda *args: False)


def _is_pass(sql: str) -> bool:
    """Whether `sql` is the query of a pass: the SQL summary or the rows numpy sums."""
    from kamseg.summary import _scan

    return "per_cust AS" in sql or sql.startswith(_scan.PASS_TAG)


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    return kamseg.datasets.make_transactions(n_customers=500, seed=3).transactions


@pytest.fixture(scope="module")
def tx_returns(tx: pd.DataFrame) -> pd.DataFrame:
    """The same data with every 13th amount turned into a return (negative)."""
    out = tx.copy()
    rows = np.arange(len(out)) % 13 == 5
    out.loc[rows, "amount"] = -out.loc[rows, "amount"]
    return out


def _check(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    assert got.attrs == expected.attrs


def _both(df: pd.DataFrame, source: Any, **kw: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    return summarize_duckdb(source, **kw), kamseg.summarize(df, **kw)


# --- equality with the pandas path, every input kind -----------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("freq", ["D", "W", "M"])
def test_equals_pandas_default(tx, tmp_path, kind, freq):
    _check(*_both(tx, _convert(tx, kind, tmp_path), freq=freq))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("freq", ["D", "W", "M"])
def test_equals_pandas_profit_and_orders(tx, tmp_path, kind, freq, aggregation):
    kw = {"profit_col": "profit", "order_col": "order_id", "freq": freq}
    _check(*_both(tx, _convert(tx, kind, tmp_path), **kw))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("freq", ["D", "W", "M"])
def test_equals_pandas_with_as_of_in_the_middle(tx, tmp_path, kind, freq):
    n_late = int((tx["date"] > "2023-06-14").sum())
    source = _convert(tx, kind, tmp_path)
    kw = {"as_of": "2023-06-14", "freq": freq, "profit_col": "profit"}
    with pytest.warns(KamsegWarning, match=f"excluded {n_late} transaction"):
        got = summarize_duckdb(source, **kw)
    with pytest.warns(KamsegWarning, match=f"excluded {n_late} transaction"):
        expected = kamseg.summarize(tx, **kw)
    _check(got, expected)
    assert got.attrs["as_of"] == "2023-06-14"


@pytest.mark.parametrize("kind", KINDS)
def test_returns_net_and_exclude(tx_returns, tmp_path, kind, aggregation):
    n_neg = int((tx_returns["amount"] < 0).sum())
    for returns, match in [("net", f"{n_neg} row\\(s\\) have negative"), ("exclude", "excluded")]:
        source = _convert(tx_returns, kind, tmp_path)  # a stream is read once
        with pytest.warns(KamsegWarning, match=match) as w1:
            got = summarize_duckdb(source, returns=returns, freq="W")
        with pytest.warns(KamsegWarning, match=match) as w2:
            expected = kamseg.summarize(tx_returns, returns=returns, freq="W")
        _check(got, expected)
        assert [str(w.message) for w in w1] == [str(w.message) for w in w2]


def test_returns_error(tx_returns, tmp_path):
    with pytest.raises(SchemaError, match="row\\(s\\) have negative 'amount'"):
        summarize_duckdb(_convert(tx_returns, "parquet", tmp_path), returns="error")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("freq", ["D", "W", "M"])
def test_hand_made_string_ids(tiny_tx, tmp_path, kind, freq):
    kw = {"profit_col": "profit", "as_of": "2024-01-31", "freq": freq}
    _check(*_both(tiny_tx, _convert(tiny_tx, kind, tmp_path), **kw))


def test_doc_example_values(tiny_tx):
    got = summarize_duckdb(pa.Table.from_pandas(tiny_tx), as_of="2024-01-31")
    assert got.loc["a", "n_orders"] == 3
    assert got.loc["a", "monetary_value"] == 30.0
    assert got.index.name == "customer_id"
    assert got["first_purchase"].dtype == "datetime64[ns]"


def test_text_and_aware_dates(tiny_tx, tmp_path):
    text = tiny_tx.assign(date=["2024-01-01", "2024-01-01T23:30:00", "2024-01-10", "2024-01-05"])
    _check(*_both(text, pa.Table.from_pandas(text), as_of="2024-01-31"))
    aware = tiny_tx.assign(date=tiny_tx["date"].dt.tz_localize("Asia/Tokyo") + pd.Timedelta("23h"))
    for kind in ("arrow", "parquet", "polars"):
        _check(*_both(aware, _convert(aware, kind, tmp_path), as_of="2024-01-31"))


def test_custom_column_names_and_connection(tiny_tx):
    df = tiny_tx.rename(columns={"customer_id": "Kunde", "date": "Datum", "amount": "Betrag"})
    con = duckdb.connect()
    kw = {"customer_col": "Kunde", "date_col": "Datum", "amount_col": "Betrag"}
    got = summarize_duckdb(pa.Table.from_pandas(df), connection=con, **kw)
    _check(got, kamseg.summarize(df, **kw))
    con.execute("SELECT 1")  # the caller's connection stays open


def test_pandas_input_uses_the_pandas_path(tiny_tx):
    _check(summarize_duckdb(tiny_tx), kamseg.summarize(tiny_tx))


# --- bad input ---------------------------------------------------------------------------


def _sources(df: pd.DataFrame, tmp_path: Path) -> list[Any]:
    return [_convert(df, kind, tmp_path) for kind in ("parquet", "arrow", "relation")]


def test_missing_column(tiny_tx, tmp_path):
    for source in _sources(tiny_tx, tmp_path):
        with pytest.raises(ColumnNotFoundError, match="'amt' \\(argument `amount_col`\\)"):
            summarize_duckdb(source, amount_col="amt")


@pytest.mark.parametrize("col", ["customer_id", "date", "amount"])
def test_nulls_raise_or_drop_with_count(tiny_tx, tmp_path, col):
    df = tiny_tx.astype({col: object})
    df.loc[[1, 3], col] = None
    df = df.infer_objects()  # back to str / float64 / datetime64 columns, with nulls
    for source in _sources(df, tmp_path):
        with pytest.raises(SchemaError, match=f"null values found \\(2 in '{col}'\\)"):
            summarize_duckdb(source)
        with pytest.warns(KamsegWarning, match="dropped 2 row"):
            got = summarize_duckdb(source, dropna=True, as_of="2024-01-31")
        with pytest.warns(KamsegWarning, match="dropped 2 row"):
            expected = kamseg.summarize(df, dropna=True, as_of="2024-01-31")
        _check(got, expected)


def test_empty(tiny_tx, tmp_path):
    for source in _sources(tiny_tx.iloc[:0], tmp_path):
        with pytest.raises(EmptyInputError, match="no rows"):
            summarize_duckdb(source)
    for source in _sources(tiny_tx, tmp_path):
        with (
            pytest.raises(EmptyInputError, match="no transactions left"),
            pytest.warns(KamsegWarning, match="excluded 4"),
        ):
            summarize_duckdb(source, as_of="2023-01-01")


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"amount": ["1", "x", "2", "3"]}, "1 value\\(s\\) of column 'amount' are not numbers"),
        ({"amount": [1.0, np.inf, 2.0, 3.0]}, "1 value\\(s\\) of column 'amount' are infinite"),
        ({"amount": [True, False, True, True]}, "not numbers"),
        (
            {"date": ["2024-01-01", "soon", "2024-01-02", "2024-01-03"]},
            "1 value\\(s\\).*not dates",
        ),
        ({"date": [1, 2, 3, 4]}, "not dates"),
    ],
)
def test_bad_types(tiny_tx, change, match):
    bad = tiny_tx.assign(**change)
    with pytest.raises(SchemaError, match=match):
        summarize_duckdb(pa.Table.from_pandas(bad))
    with pytest.raises(SchemaError):
        kamseg.summarize(bad)


def test_bad_sources(tmp_path):
    with pytest.raises(TypeError, match="Parquet"):
        summarize_duckdb(str(tmp_path / "tx.csv"))
    with pytest.raises(FileNotFoundError):
        summarize_duckdb(str(tmp_path / "nothing-*.parquet"))
    with pytest.raises(TypeError, match="PyArrow Table"):
        summarize_duckdb([1, 2, 3])


def test_does_not_warn_on_clean_data(tx, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summarize_duckdb(_convert(tx, "parquet", tmp_path))


# --- hash-partitioned passes (bounded memory on large inputs) --------------------------------


@pytest.mark.parametrize("partitions", [1, 2, 7])
@pytest.mark.parametrize("kind", ["parquet", "arrow"])
def test_partitioned_passes_equal_pandas(tx_returns, tmp_path, kind, partitions, aggregation):
    kw: dict[str, Any] = {"profit_col": "profit", "order_col": "order_id", "freq": "W"}
    source = _convert(tx_returns, kind, tmp_path)
    with pytest.warns(KamsegWarning, match="negative"):
        got = summarize_duckdb(source, partitions=partitions, **kw)
    with pytest.warns(KamsegWarning, match="negative"):
        expected = kamseg.summarize(tx_returns, **kw)
    _check(got, expected)


def test_partitions_default_from_rows_per_pass(tx, tmp_path, monkeypatch, duckdb_queries):
    from kamseg.summary import _duckdb

    seen = duckdb_queries
    monkeypatch.setattr(_duckdb, "ROWS_PER_PASS", -(-len(tx) // 4))  # a quarter: 4 passes
    got = summarize_duckdb(_convert(tx, "parquet", tmp_path))
    passes = [s for s in seen if _is_pass(s)]
    assert len(passes) == 4
    _check(got, kamseg.summarize(tx))
    # the windows' activity holds more aggregates per row: passes of their own size
    seen.clear()
    monkeypatch.setattr(_duckdb, "HEAVY_ROWS_PER_PASS", -(-len(tx) // 3))
    summarize_duckdb(_convert(tx, "parquet", tmp_path), activity_window=90)
    assert len([s for s in seen if _is_pass(s)]) == 3


def _passes_seen(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The queries of the passes that the next summary runs; after them, "sorted" or
    "unsorted": whether the passes' results, one after the other, were in id order."""
    from kamseg.summary import _duckdb

    seen: list[str] = []
    run, to_pandas, joined = _duckdb._run, _duckdb._to_pandas, _duckdb.joined

    def spy(rel: Any, sql: str) -> Any:
        if _is_pass(sql):
            seen.append(sql)
        return run(rel, sql)

    def in_order(ids: pd.Index) -> None:
        seen.append("sorted" if ids.is_monotonic_increasing else "unsorted")

    def tables_joined(table: Any, *args: Any) -> Any:
        in_order(pd.Index(table.column("c").to_pandas()))
        return to_pandas(table, *args)

    def parts_joined(parts: list[Any], *args: Any) -> Any:
        in_order(pd.Index(np.concatenate([ids for _, ids in parts])))
        return joined(parts, *args)

    monkeypatch.setattr(_duckdb, "_run", spy)
    monkeypatch.setattr(_duckdb, "_to_pandas", tables_joined)
    monkeypatch.setattr(_duckdb, "joined", parts_joined)
    return seen


@pytest.mark.parametrize("ids", ["int", "text", "float"])
def test_passes_hold_ranges_of_ids(tx_returns, monkeypatch, ids):
    """Whole-number and text ids are split into ranges whose results follow each other in
    id order; other ids by hash (sorted afterwards). Same table either way."""
    df = tx_returns.copy()
    df["customer_id"] = {
        "int": df["customer_id"].astype(np.int64) * 7919 % 100_003,  # not in row order
        "text": "c" + (df["customer_id"].astype(np.int64) * 7919 % 100_003).astype(str),
        "float": df["customer_id"].astype(np.float64) + 0.5,
    }[ids]
    seen = _passes_seen(monkeypatch)
    with pytest.warns(KamsegWarning, match="negative"):
        got = summarize_duckdb(pa.Table.from_pandas(df), partitions=5, freq="W")
    with pytest.warns(KamsegWarning, match="negative"):
        expected = kamseg.summarize(df, freq="W")
    _check(got, expected)
    *passes, order = seen
    assert len(passes) == 5
    hashed = ["hash(" in q for q in passes]
    assert hashed == [ids == "float"] * 5
    assert order == ("unsorted" if ids == "float" else "sorted")


def test_an_id_holding_most_rows_is_one_range(tx, monkeypatch):
    """Bounds repeated by one customer with most rows give no empty passes."""
    df = pd.concat([tx, tx.assign(customer_id=tx["customer_id"].iloc[0])] * 3)
    seen = _passes_seen(monkeypatch)
    got = summarize_duckdb(pa.Table.from_pandas(df), partitions=8)
    _check(got, kamseg.summarize(df))
    *passes, order = seen
    assert 2 <= len(passes) < 8
    assert order == "sorted"


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_partitions_must_be_a_positive_integer(tx, bad):
    with pytest.raises(kamseg.errors.ConfigError, match="partitions"):
        summarize_duckdb(pa.Table.from_pandas(tx), partitions=bad)


@pytest.mark.parametrize("returns", ["net", "exclude"])
def test_one_notice_word_for_word_as_the_pandas_path(
    tx_returns: pd.DataFrame, tmp_path: Path, returns: str
) -> None:
    dirty = tx_returns.copy()
    dirty.loc[dirty.index[:4], "amount"] = np.nan
    path = _convert(dirty, "parquet", tmp_path)
    kw: dict[str, Any] = {"dropna": True, "returns": returns, "as_of": "2024-06-30"}
    with warnings.catch_warnings(record=True) as on_duckdb:
        warnings.simplefilter("always")
        got = kamseg.summarize(path, **kw)
    with warnings.catch_warnings(record=True) as on_pandas:
        warnings.simplefilter("always")
        expected = kamseg.summarize(dirty, **kw)
    _check(got, expected)
    assert len(on_duckdb) == len(on_pandas) == 1
    assert str(on_duckdb[0].message) == str(on_pandas[0].message)
    assert "dropped 4 row(s) with null values" in str(on_pandas[0].message)
    assert on_duckdb[0].filename == on_pandas[0].filename == __file__


@pytest.mark.parametrize("kind", ["parquet", "arrow"])
def test_line_items_equal_the_pandas_path(
    tx_returns: pd.DataFrame, tmp_path: Path, kind: str
) -> None:
    rng = np.random.default_rng(4)
    qty = rng.integers(1, 5, size=len(tx_returns)) * np.sign(tx_returns["amount"]).astype(int)
    lines = tx_returns.assign(qty=qty, unit=(tx_returns["amount"].abs() / np.abs(qty)).round(2))
    kw: dict[str, Any] = {"quantity_col": "qty", "price_col": "unit", "freq": "W"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = kamseg.summarize(_convert(lines.drop(columns="amount"), kind, tmp_path), **kw)
        expected = kamseg.summarize(lines.drop(columns="amount"), **kw)
    _check(got, expected)
    assert len(caught) == 2 and str(caught[0].message) == str(caught[1].message)
    # the same as the amount column computed by hand
    by_hand = lines.assign(amount=lines["qty"] * lines["unit"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        _check(expected, kamseg.summarize(by_hand, freq="W"))


@pytest.mark.parametrize("kind", ["parquet", "arrow", "relation"])
def test_rows_rescanned_only_from_a_file_or_table(tx, tmp_path, monkeypatch, kind):
    """A single SQL pass over a file or an Arrow table lets each aggregate scan the input;
    a user's DuckDB relation (maybe a costly query) is computed once, as is a pass over a
    range of customers."""
    _sql_passes(monkeypatch)
    seen = _passes_seen(monkeypatch)
    got = summarize_duckdb(_convert(tx, kind, tmp_path), order_col="order_id")
    _check(got, kamseg.summarize(tx, order_col="order_id"))
    *passes, _ = seen
    assert ["NOT MATERIALIZED" in q for q in passes] == [kind != "relation"]
    seen.clear()
    summarize_duckdb(_convert(tx, kind, tmp_path), order_col="order_id", partitions=2)
    *passes, _ = seen
    assert ["NOT MATERIALIZED" in q for q in passes] == [False, False]


# --- the quick checks of a clean Parquet file or Arrow table ---------------------------------


def _write(df: pd.DataFrame, path: Path, kind: str = "parquet", **kw: Any) -> Any:
    """`df` as a Parquet file (or an Arrow table) whose float NaN stay NaN (pandas would
    write nulls)."""
    import pyarrow.parquet as pq

    table = pa.table({c: pa.array(df[c].to_numpy(), from_pandas=False) for c in df.columns})
    if kind == "arrow":
        return table
    pq.write_table(table, path, **kw)
    return str(path)


def _run_checked(
    source: Any, monkeypatch: pytest.MonkeyPatch, *, quick: bool = True, **kw: Any
) -> tuple[Any, list[str], list[str]]:
    """The result (or the error), the warnings and what ran: "full" for the full checks,
    "summary" for each summary query. With `quick` False, the quick checks never answer."""
    from kamseg.summary import _duckdb

    ran: list[str] = []
    validate, run = _duckdb.validate, _duckdb._run

    def full(*args: Any, **kwargs: Any) -> Any:
        ran.append("full")
        return validate(*args, **kwargs)

    def spy(rel: Any, sql: str) -> Any:
        if _is_pass(sql):
            ran.append("summary")
        return run(rel, sql)

    monkeypatch.setattr(_duckdb, "validate", full)
    monkeypatch.setattr(_duckdb, "_run", spy)
    if not quick:
        monkeypatch.setattr(_duckdb, "clean_plan", lambda *args, **kwargs: None)
    got, said = _pandas_like(source, **kw)
    monkeypatch.undo()
    return got, said, ran


def _pandas(df: pd.DataFrame, **kw: Any) -> tuple[Any, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            got: Any = kamseg.summarize(df, **kw)
        except SchemaError as exc:
            got = exc
    return got, [str(w.message) for w in caught]


@pytest.mark.parametrize("kind", ["parquet", "arrow"])
def test_a_clean_input_needs_no_full_checks(tx, tmp_path, monkeypatch, kind):
    """No nulls and no negative amount in the footers (or the arrays), no far date: one
    scan of the dates, then the summary, the same bits as after the full checks."""
    path = _write(tx, tmp_path / "tx.parquet", kind)
    kw: dict[str, Any] = {"profit_col": "profit", "order_col": "order_id", "freq": "W"}
    for extra in ({}, {"as_of": "2030-01-01"}, {"partitions": 3}):
        got, msgs, ran = _run_checked(path, monkeypatch, **kw, **extra)
        assert ran == ["summary"] * extra.get("partitions", 1)
        full, full_msgs, full_ran = _run_checked(path, monkeypatch, quick=False, **kw, **extra)
        assert full_ran == ["full", *ran]
        pd.testing.assert_frame_equal(got, full, check_exact=True)
        assert got.attrs == full.attrs
        expected, expected_msgs = _pandas(tx, **kw, as_of=extra.get("as_of"))
        assert msgs == full_msgs == expected_msgs == []
        _check(got, expected)


def _messy(tx: pd.DataFrame, case: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """`tx` with one kind of trouble that the quick checks leave to the full ones."""
    df = tx[["customer_id", "date", "amount", "profit"]].copy()
    first = df.index[:3]
    if case == "far dates":
        df.loc[first, "date"] = pd.Timestamp("2099-01-01")
        return df, {}
    if case == "dates after as_of":
        return df, {"as_of": "2024-06-30"}
    if case == "NaN amounts":
        df.loc[first, "amount"] = np.nan
        return df, {"dropna": True}
    if case == "NaN amounts, no dropna":
        df.loc[first, "amount"] = np.nan
        return df, {}
    if case == "NaN profit":
        df.loc[first, "profit"] = np.nan
        return df, {"dropna": True, "profit_col": "profit"}
    if case == "infinite amount":
        df.loc[first[:1], "amount"] = np.inf
        return df, {}
    if case == "overflowing revenue":
        df.loc[first, "amount"] = 1e308
        df.loc[first, "customer_id"] = df["customer_id"].iloc[0]
        return df, {}
    if case == "returns":
        df.loc[first, "amount"] *= -1
        return df, {}
    if case == "spaced text ids":
        df["customer_id"] = "c" + df["customer_id"].astype(str)
        df.loc[first, "customer_id"] = " " + df.loc[first, "customer_id"]
        return df, {}
    if case == "distant dates":  # kept, with a notice: the quick checks give it
        df.loc[first, "date"] = df["date"].max() + pd.Timedelta(days=200)
        return df, {}
    raise AssertionError(case)


@pytest.mark.parametrize(
    ("case", "expected_ran"),
    [
        ("far dates", ["full", "summary"]),
        ("dates after as_of", ["full", "summary"]),
        ("NaN amounts", ["summary", "full", "summary"]),  # seen in the totals
        ("NaN amounts, no dropna", ["summary", "full"]),
        ("NaN profit", ["summary", "full", "summary"]),
        ("infinite amount", ["summary", "full"]),
        ("overflowing revenue", ["summary", "full", "summary"]),
        ("returns", ["full", "summary"]),
        ("spaced text ids", ["full", "summary"]),
        ("distant dates", ["summary"]),
    ],
)
@pytest.mark.parametrize("kind", ["parquet", "arrow"])
def test_trouble_gives_the_full_checks_table_and_notices_once(
    tx, tmp_path, monkeypatch, case, expected_ran, kind
):
    df, kw = _messy(tx, case)
    path = _write(df, tmp_path / "tx.parquet", kind)
    got, msgs, ran = _run_checked(path, monkeypatch, **kw)
    assert ran == expected_ran
    full, full_msgs, _ = _run_checked(path, monkeypatch, quick=False, **kw)
    assert msgs == full_msgs  # each notice once, word for word
    if isinstance(full, Exception):
        assert type(got) is type(full) and str(got) == str(full)
    else:
        pd.testing.assert_frame_equal(got, full, check_exact=True)
        assert got.attrs == full.attrs
    if case in _NAN_VALUES and kind == "parquet":
        return  # see test_nan_values_in_parquet_equal_pandas
    expected, expected_msgs = _pandas(df, **kw)
    assert msgs == expected_msgs
    assert len(msgs) <= 1
    if isinstance(expected, Exception):
        assert type(got) is type(expected) and str(got) == str(expected)
    else:
        _check(got, expected)


#: NaN stored as values (not nulls) in Parquet, dropped with dropna: DuckDB (2.0.1) reads
#: the column's min and max statistics, which leave NaN out, as bounds of every value and
#: may fold isnan() to false, so that the rows the full checks counted (and the notice
#: names) stay in the summary's sums, refused as an overflow.
_NAN_VALUES = ("NaN amounts", "NaN profit")


@pytest.mark.parametrize("case", _NAN_VALUES)
def test_nan_values_in_parquet_equal_pandas(tx, tmp_path, case):
    """NaN stored as values in a Parquet file (not nulls): DuckDB prunes ``isnan`` in a
    WHERE clause with the column statistics, which leave NaN out; the rows are found."""
    df, kw = _messy(tx, case)
    got, msgs = _pandas_like(_write(df, tmp_path / "tx.parquet"), **kw)
    expected, expected_msgs = _pandas(df, **kw)
    assert msgs == expected_msgs
    if isinstance(expected, Exception):
        assert type(got) is type(expected) and str(got) == str(expected)
    else:
        _check(got, expected)


def _pandas_like(source: Any, **kw: Any) -> tuple[Any, list[str]]:
    """DuckDB's summary of `source` (or its error) and its notices."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            got: Any = summarize_duckdb(source, **kw)
        except SchemaError as exc:
            got = exc
    return got, [str(w.message) for w in caught]


def test_parquet_without_statistics_gets_the_full_checks(tx, tmp_path, monkeypatch):
    path = _write(tx, tmp_path / "tx.parquet", write_statistics=False)
    got, msgs, ran = _run_checked(path, monkeypatch)
    assert ran == ["full", "summary"] and msgs == []
    _check(got, kamseg.summarize(tx))
