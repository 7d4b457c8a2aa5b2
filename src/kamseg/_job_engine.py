"""The customer table of an engine input for the whole job (:mod:`kamseg._job`): the
engine's summary read as the job's config says, its notices in the job's name."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd

from kamseg._types import Freq, NeedMap
from kamseg._validation import reindexed, warn
from kamseg.config import SegmentConfig
from kamseg.errors import KamsegWarning

__all__ = ["engine_summary", "on_daily"]

_FUNC = "segment"


def engine_summary(
    tx: Any,
    config: SegmentConfig,
    *,
    as_of: Any,
    freq: Freq,
    activity_window: int | None = None,
    quiet: bool = True,
    job_columns: bool = False,
    need_map: NeedMap | None = None,
) -> pd.DataFrame:
    """The customer table of an engine input (a Parquet path, Arrow, Polars or DuckDB
    data: DuckDB; a PySpark DataFrame: Spark) read as `config` says, with the activity in
    windows of `activity_window` days (DuckDB: and the `job_columns`, and the need level's
    inputs with a `need_map`). `quiet`: a second summary of the same rows (the first gave
    the notices) says nothing."""
    from kamseg import engines

    options: dict[str, Any] = {"activity_window": activity_window, **config.reading}
    run: Callable[..., pd.DataFrame]
    if type(tx).__module__.startswith("pyspark"):
        run = engines.summarize_spark  # no job columns: a second, daily summary gives them
    else:
        run = engines.summarize_duckdb
        options.update(job_columns=job_columns, need_map=need_map)
    with warnings.catch_warnings(record=not quiet) as caught:
        warnings.simplefilter("ignore" if quiet else "always", KamsegWarning)
        table: pd.DataFrame = run(tx, as_of=as_of, freq=freq, **options)
    for w in caught or ():  # the engine's notice, in the job's name (as the pandas path's)
        text = str(w.message)
        if issubclass(w.category, KamsegWarning) and text.startswith("summarize: "):
            warn(f"{_FUNC}: " + text.removeprefix("summarize: "), stacklevel=6)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return table


def on_daily(
    table: pd.DataFrame, daily: pd.Series | None, step: Callable[[pd.DataFrame], pd.DataFrame]
) -> pd.DataFrame:
    """Run `step` on `table`, or, with `daily` repeat purchases (an engine's weekly or
    monthly summary), on a view whose ``frequency`` is daily; the table's own ``frequency``
    and ``attrs["freq"]`` come back on the result."""
    if daily is None:
        return step(table)
    view = table.assign(frequency=reindexed(daily, table.index))
    view.attrs = {**table.attrs, "freq": "D"}
    out = step(view)
    out = out.assign(frequency=reindexed(table["frequency"], out.index))
    out.attrs = {**out.attrs, "freq": table.attrs.get("freq")}
    return out
