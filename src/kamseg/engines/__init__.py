"""Engines that run the per-transaction step (:func:`kamseg.summarize`) outside pandas.

- :func:`summarize_duckdb`: DuckDB, in process and out of core. Accepts Parquet paths,
  folders or globs, PyArrow Tables, Polars DataFrames and LazyFrames, and DuckDB relations.
- :func:`summarize_spark`: Spark; only the customer table is collected.
- :func:`read_parquet_for_spark`: read Parquet files with nanosecond timestamps (as pandas
  writes them), which Spark otherwise refuses.

:func:`kamseg.summarize` routes to these by the type of its input. Engines are imported
lazily: ``import kamseg.engines`` imports no engine library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kamseg.summary._duckdb import summarize_duckdb
    from kamseg.summary._spark import read_parquet_for_spark, summarize_spark

__all__ = ["read_parquet_for_spark", "summarize_duckdb", "summarize_spark"]

_WHERE = {
    "summarize_duckdb": "kamseg.summary._duckdb",
    "summarize_spark": "kamseg.summary._spark",
    "read_parquet_for_spark": "kamseg.summary._spark",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
