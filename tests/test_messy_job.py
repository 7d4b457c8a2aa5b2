"""The whole job on a messy invoice-line export (kamseg.datasets.make_invoice_lines).

The done criteria of the "Online Retail" issue: the command

    kamseg segment export.csv --customer-col CustomerID --date-col InvoiceDate
        --quantity-col Quantity --price-col UnitPrice --order-col InvoiceNo
        --product-col StockCode --dropna -o customers.parquet --report report.html

exits 0 with a `clv` column; `revenue` is the net Σ Quantity × UnitPrice of each customer,
ids are shown as 17850 (not 17850.0); no key account sits in the bottom three quarters of
net revenue; fully cancelled customers are flagged and never key accounts; clearly overdue
repeat buyers are churned; the mistyped date is warned about and does not move as_of; the
preparation gives exactly one notice. The same through the Python API, and with text ids
that carry stray spaces.

Expected values come from the generator's truth and from the lines with plain pandas.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kamseg
from conftest import INVOICE_COLUMNS
from kamseg.cli import main
from kamseg.datasets import InvoiceData, make_invoice_lines

AS_OF = pd.Timestamp("2011-12-09")
COLUMNS = {**INVOICE_COLUMNS, "product_col": "StockCode"}
ARGS = [
    "--customer-col",
    "CustomerID",
    "--date-col",
    "InvoiceDate",
    "--quantity-col",
    "Quantity",
    "--price-col",
    "UnitPrice",
    "--order-col",
    "InvoiceNo",
    "--product-col",
    "StockCode",
    "--dropna",
]
#: the clearly overdue repeat buyers that must come out churned
CHURNED_SHARE = 0.9


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    table: pd.DataFrame | None
    folder: Path


@pytest.fixture(scope="module")
def data() -> InvoiceData:
    return make_invoice_lines(500, seed=0)


@pytest.fixture(scope="module")
def text_data() -> InvoiceData:
    return make_invoice_lines(500, seed=1, id_dtype="text")


def run_cli(d: InvoiceData, folder: Path) -> Run:
    d.lines.to_csv(folder / "export.csv", index=False)
    out, err = io.StringIO(), io.StringIO()
    argv = [
        "segment",
        str(folder / "export.csv"),
        *ARGS,
        "-o",
        str(folder / "customers.parquet"),
        "--report",
        str(folder / "report.html"),
    ]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    path = folder / "customers.parquet"
    table = pd.read_parquet(path) if path.exists() else None
    return Run(code, out.getvalue(), err.getvalue(), table, folder)


@pytest.fixture(scope="module")
def cli(data: InvoiceData, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return run_cli(data, tmp_path_factory.mktemp("messy_cli"))


@pytest.fixture(scope="module")
def api(data: InvoiceData) -> tuple[pd.DataFrame, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = kamseg.segment(data.lines, config=kamseg.SegmentConfig(**COLUMNS, dropna=True))
    return table, [str(w.message) for w in caught]


def cli_table(run: Run) -> pd.DataFrame:
    assert run.code == 0, run.stderr
    assert run.table is not None
    return run.table


def warning_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("kamseg: warning:")]


def expected_revenue(d: InvoiceData) -> pd.Series:
    """Net Σ Quantity × UnitPrice per customer over the lines dated up to the real last day."""
    lines = d.lines
    kept = lines["CustomerID"].notna() & (lines["InvoiceDate"] < AS_OF + pd.Timedelta(days=1))
    lines = lines[kept]
    ids = lines["CustomerID"]
    ids = (ids.str.strip() if ids.dtype != np.float64 else ids).astype(np.float64)
    return (lines["Quantity"] * lines["UnitPrice"]).groupby(ids.astype(np.int64)).sum()


def by_int_id(table: pd.DataFrame) -> pd.DataFrame:
    """`table` indexed by int64 customer ids, whatever the id type it came with."""
    ids = pd.Index(table.index.astype(str).str.strip()).astype(np.float64).astype(np.int64)
    return table.set_axis(ids, axis=0)


def truth_of(d: InvoiceData, segment: str) -> pd.Index:
    return d.truth.index[d.truth["segment"] == segment]


# ----------------------------------------------------------------------------- CLI


def test_cli_exits_0_and_writes_everything(cli: Run) -> None:
    assert cli.code == 0, cli.stderr
    assert "kamseg: error:" not in cli.stderr
    assert (cli.folder / "customers.parquet").is_file()
    assert (cli.folder / "report.html").is_file()


def test_cli_has_clv(cli: Run) -> None:
    table = cli_table(cli)
    assert "clv" in table.columns
    clv = table["clv"].dropna()
    assert len(clv) > 0.9 * len(table)
    assert np.isfinite(clv).all()
    assert (clv >= 0).all()


def test_cli_ids_shown_as_integers(cli: Run, data: InvoiceData) -> None:
    table = cli_table(cli)
    shown = [str(i) for i in table.index]
    bad = [s for s in shown if not re.fullmatch(r"\d+", s)]
    assert not bad, f"ids not shown as whole numbers, e.g. {bad[:3]}"
    assert sorted(shown) == sorted(str(i) for i in data.truth.index)


def test_cli_revenue_is_net_quantity_times_price(cli: Run, data: InvoiceData) -> None:
    table = by_int_id(cli_table(cli))
    expected = expected_revenue(data)
    assert table.index.sort_values().equals(expected.index)
    np.testing.assert_allclose(
        table["revenue"].reindex(expected.index), expected, rtol=1e-9, atol=1e-6
    )


def test_cli_no_key_account_in_bottom_three_quarters(cli: Run, data: InvoiceData) -> None:
    table = by_int_id(cli_table(cli))
    net = data.truth["net_revenue"]
    keys = table.index[table["is_key_account"].astype(bool)]
    assert len(keys) > 0
    q75 = net.quantile(0.75)
    low = net[keys][lambda s: s < q75]
    assert low.empty, f"key accounts in the bottom three quarters of net revenue: {low.to_dict()}"


def test_cli_fully_cancelled_flagged_never_key_accounts(cli: Run, data: InvoiceData) -> None:
    table = by_int_id(cli_table(cli))
    cancelled = table.loc[truth_of(data, "fully_cancelled")]
    revenue = cancelled["revenue"].to_dict()
    assert cancelled["nonpositive_revenue"].astype(bool).all(), f"revenue: {revenue}"
    assert not cancelled["is_key_account"].astype(bool).any()
    # and nobody else is flagged
    others = table.drop(index=cancelled.index)
    assert not others["nonpositive_revenue"].astype(bool).any()


def test_cli_overdue_repeat_buyers_churned(cli: Run, data: InvoiceData) -> None:
    table = by_int_id(cli_table(cli))
    stages = table.loc[truth_of(data, "churned_overdue"), "lifecycle_stage"].astype(str)
    share = float((stages == "churned").mean())
    assert share >= CHURNED_SHARE, stages.value_counts().to_dict()


def test_cli_typo_date_warned_and_as_of_kept(cli: Run, data: InvoiceData) -> None:
    table = cli_table(cli)
    assert any("2099" in line for line in warning_lines(cli.stderr)), cli.stderr
    assert table.attrs.get("as_of") == "2011-12-09"
    assert "as of 2011-12-09" in cli.stdout
    # one-off customers: days since their only purchase, counted to the real last day
    one_off = by_int_id(table).loc[truth_of(data, "one_off"), "days_since_last"]
    assert one_off.equals(data.truth.loc[one_off.index, "days_silent"].rename("days_since_last"))


def test_cli_exactly_one_preparation_notice(cli: Run, data: InvoiceData) -> None:
    cli_table(cli)
    n_guest = int(data.lines["CustomerID"].isna().sum())
    notices = [line for line in warning_lines(cli.stderr) if "null" in line]
    assert len(notices) == 1, cli.stderr
    assert f"{n_guest} row(s)" in notices[0]


# ----------------------------------------------------------------------------- API


def test_api_same_answers_as_the_cli(
    api: tuple[pd.DataFrame, list[str]], cli: Run, data: InvoiceData
) -> None:
    table, _ = api
    mine = by_int_id(table)
    theirs = by_int_id(cli_table(cli))
    expected = expected_revenue(data)
    np.testing.assert_allclose(mine["revenue"].reindex(expected.index), expected, atol=1e-6)
    assert mine.index.sort_values().equals(theirs.index.sort_values())
    for col in ("nonpositive_revenue", "is_key_account", "lifecycle_stage"):
        pd.testing.assert_series_equal(
            mine[col].astype(str).sort_index(), theirs[col].astype(str).sort_index()
        )


def test_api_float_ids_shown_as_integers(api: tuple[pd.DataFrame, list[str]]) -> None:
    table, _ = api
    shown = [str(i) for i in table.index]
    bad = [s for s in shown if not re.fullmatch(r"\d+", s)]
    assert not bad, f"ids not shown as whole numbers, e.g. {bad[:3]}"


def test_api_has_clv_and_net_revenue(
    api: tuple[pd.DataFrame, list[str]], data: InvoiceData
) -> None:
    table = by_int_id(api[0])
    assert "clv" in table.columns
    expected = expected_revenue(data)
    assert table.index.sort_values().equals(expected.index)
    np.testing.assert_allclose(table["revenue"].reindex(expected.index), expected, atol=1e-6)


def test_api_no_key_account_in_bottom_three_quarters(
    api: tuple[pd.DataFrame, list[str]], data: InvoiceData
) -> None:
    table = by_int_id(api[0])
    net = data.truth["net_revenue"]
    keys = table.index[table["is_key_account"]]
    assert len(keys) > 0
    assert (net[keys] >= net.quantile(0.75)).all(), net[keys].sort_values().head().to_dict()


def test_api_fully_cancelled_flagged_never_key_accounts(
    api: tuple[pd.DataFrame, list[str]], data: InvoiceData
) -> None:
    table = by_int_id(api[0])
    cancelled = table.loc[truth_of(data, "fully_cancelled")]
    assert not cancelled["is_key_account"].any()
    assert cancelled["nonpositive_revenue"].all(), cancelled["revenue"].to_dict()


def test_api_overdue_repeat_buyers_churned(
    api: tuple[pd.DataFrame, list[str]], data: InvoiceData
) -> None:
    table = by_int_id(api[0])
    stages = table.loc[truth_of(data, "churned_overdue"), "lifecycle_stage"].astype(str)
    assert (stages == "churned").mean() >= CHURNED_SHARE, stages.value_counts().to_dict()


def test_api_notices(api: tuple[pd.DataFrame, list[str]]) -> None:
    table, messages = api
    assert table.attrs["as_of"] == "2011-12-09"
    assert any("2099" in m for m in messages), messages
    notices = [m for m in messages if "null" in m]
    assert len(notices) == 1, messages


# ----------------------------------------------------------------------------- text ids


def test_text_ids_with_stray_spaces_are_one_customer(text_data: InvoiceData) -> None:
    ids = text_data.lines["CustomerID"].dropna()
    assert (ids != ids.str.strip()).any()  # the data has stray spaces
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = kamseg.segment(
            text_data.lines, config=kamseg.SegmentConfig(**COLUMNS, dropna=True)
        )
    messages = [str(w.message) for w in caught]
    shown = [str(i) for i in table.index]
    assert len(table) == len(text_data.truth), "a customer split in two by a stray space"
    assert sorted(shown) == sorted(str(i) for i in text_data.truth.index)
    assert any(re.search(r"space|whitespace|strip", m) for m in messages), messages
    assert "clv" in table.columns, table.attrs.get("kamseg_skipped")
    expected = expected_revenue(text_data)
    np.testing.assert_allclose(
        by_int_id(table)["revenue"].reindex(expected.index), expected, atol=1e-6
    )


def test_text_ids_through_the_cli(
    text_data: InvoiceData, tmp_path_factory: pytest.TempPathFactory
) -> None:
    run = run_cli(text_data, tmp_path_factory.mktemp("messy_cli_text"))
    table = cli_table(run)
    shown = sorted(str(i) for i in table.index)
    assert shown == sorted(str(i) for i in text_data.truth.index)
    assert "clv" in table.columns, table.attrs.get("kamseg_skipped")
    notices = [line for line in warning_lines(run.stderr) if "null" in line]
    assert len(notices) == 1, run.stderr
