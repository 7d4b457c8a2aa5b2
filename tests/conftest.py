"""Shared fixtures: small synthetic data and the real CDNOW log."""

from __future__ import annotations

import importlib.util
import os
import shutil
from typing import Any

import pandas as pd
import pytest
from hypothesis import settings

import kamseg

# Property tests explore new random examples on a developer's run, and replay the same
# examples on CI (`.ci/run` sets HYPOTHESIS_PROFILE=ci), so that a clean clone passes or fails
# the same way every time; a failure found on a developer's run becomes an @example.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

HAS_LIFETIMES = importlib.util.find_spec("lifetimes") is not None

#: The columns of an invoice-line export (kamseg.datasets.make_invoice_lines), as
#: SegmentConfig names them.
INVOICE_COLUMNS = {
    "customer_col": "CustomerID",
    "date_col": "InvoiceDate",
    "quantity_col": "Quantity",
    "price_col": "UnitPrice",
    "order_col": "InvoiceNo",
}


def has_cjk_font() -> bool:
    """Whether matplotlib and a font with Chinese glyphs are installed (Chinese plots)."""
    if importlib.util.find_spec("matplotlib") is None:
        return True  # no plots at all: Chinese pages are drawn without images
    from kamseg.plot import cjk_font

    return cjk_font() is not None


@pytest.fixture
def cjk_font_or_skip() -> None:
    """Skip a test that draws Chinese plots when no CJK font is installed (a fresh machine);
    `.ci/run` installs one, so CI runs it."""
    if not has_cjk_font():
        pytest.skip("no font with Chinese glyphs installed (CI installs fonts-wqy-microhei)")


@pytest.fixture(scope="session")
def demo_data() -> kamseg.datasets.Dataset:
    """A small synthetic customer base (do not mutate its frames)."""
    return kamseg.datasets.make_transactions(n_customers=500, seed=7)


@pytest.fixture(scope="session")
def cdnow() -> pd.DataFrame:
    """The full CDNOW transaction log (69,659 rows)."""
    if not HAS_LIFETIMES:
        pytest.skip("lifetimes not installed")
    return kamseg.datasets.load_cdnow()


@pytest.fixture
def tiny_tx() -> pd.DataFrame:
    """Four transactions of two customers, worked by hand in test_summary."""
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b"],
            "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-10", "2024-01-05"]),
            "amount": [10.0, 5.0, 30.0, 8.0],
            "profit": [2.0, 1.0, 6.0, -1.0],
        }
    )


@pytest.fixture(scope="session")
def spark() -> Any:
    """One local Spark session for every Spark test (skips without PySpark or java)."""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Spark needs java on PATH")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("kamseg-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "512m")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(params=["numpy", "sql"])
def aggregation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Who aggregates the DuckDB summary's passes of whole-number ids: numpy (the default)
    or DuckDB's SQL query (that of text ids, and the Spark twin's)."""
    if request.param == "sql":
        from kamseg.summary import _duckdb

        monkeypatch.setattr(_duckdb, "scannable", lambda *args: False)
    return str(request.param)


@pytest.fixture
def duckdb_queries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL of every query the DuckDB summary runs from now on, in order."""
    from kamseg.summary import _duckdb

    seen: list[str] = []
    run = _duckdb._run

    def spy(rel: Any, sql: str) -> Any:
        seen.append(sql)
        return run(rel, sql)

    monkeypatch.setattr(_duckdb, "_run", spy)
    return seen
