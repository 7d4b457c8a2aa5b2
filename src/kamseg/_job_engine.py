"""Helpers of the whole job (:mod:`kamseg._job`): the customer table of an engine input
(the engine's summary read as the job's config says, its notices in the job's name), a
step run on an engine's daily view, the table handed over to a step, and a step's notices
of parts skipped recorded."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd

from kamseg._park import ParkedColumns
from kamseg._types import Freq, NeedMap
from kamseg._validation import reindexed, warn
from kamseg.config import SegmentConfig
from kamseg.errors import KamsegWarning

__all__ = ["engine_summary", "hand_over", "on_daily", "recording"]

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
    table: pd.DataFrame | list[pd.DataFrame],
    daily: pd.Series | None,
    step: Callable[[Any], pd.DataFrame],
) -> pd.DataFrame:
    """Run `step` on `table`, or, with `daily` repeat purchases (an engine's weekly or
    monthly summary), on a view whose ``frequency`` is daily; the table's own ``frequency``
    and ``attrs["freq"]`` come back on the result.

    `table` in a list of one is handed over: `step` receives a list of one (the table or
    the view), to take it out, and nothing here holds the table meanwhile."""
    if daily is None:
        return step(table)
    handed = isinstance(table, list)
    whole = table.pop() if isinstance(table, list) else table
    frequency, attrs = whole["frequency"].copy(), whole.attrs
    view = whole.assign(frequency=reindexed(daily, whole.index))
    view.attrs = {**attrs, "freq": "D"}
    del whole
    given: Any = [view] if handed else view  # a view handed over in turn
    del view
    out = step(given)
    out = out.assign(frequency=reindexed(frequency, out.index))
    out.attrs = {**out.attrs, "freq": attrs.get("freq")}
    return out


def hand_over(
    park: ParkedColumns | None, table: pd.DataFrame
) -> tuple[list[pd.DataFrame], Callable[[], pd.DataFrame], Callable[[], None]]:
    """`table` in a list of one, for a step that takes it out and lets go of it (the
    classes, once they have appended the prospects to a copy), a function that gives it
    back if the step fails, and one to call after the step either way. With a park, the
    table comes back from a copy of its columns written there (nothing of it held in
    memory meanwhile); without one, the table itself is kept."""
    if park is None:
        return [table], lambda: table, lambda: None
    copy = park.other()
    bare = copy.park(table, keep=())
    return [table], lambda: copy.restore(bare), copy.close


@contextlib.contextmanager
def recording(limited: dict[str, str], step: str) -> Iterator[None]:
    """Record a step's warnings that list parts skipped for want of data in `limited`;
    re-emit every other warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        _, _, text = str(w.message).partition(": ")
        if issubclass(w.category, KamsegWarning) and text.startswith(
            ("skipped", "check(s) not made")
        ):
            part = text.split(". Hint:")[0].rstrip(".")
            limited[step] = "; ".join(x for x in (limited.get(step), part) if x)
            continue
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
