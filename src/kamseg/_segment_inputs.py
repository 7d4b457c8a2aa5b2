"""What :func:`kamseg.segment` does with its inputs before the steps: the master's ids and
columns, the side tables' ids, and the progress callback.

Split from :mod:`kamseg.pipeline` to keep it small; it reads no analysis.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from kamseg._ids import align_ids
from kamseg._validation import check_frame, examples, to_datetime, warn
from kamseg.config import SegmentConfig
from kamseg.errors import ColumnNotFoundError, ConfigError, KamsegError, SchemaError

__all__ = [
    "STEP_COLUMNS",
    "STEP_PREFIXES",
    "ProgressBar",
    "aligned_master",
    "aligned_side",
    "indexed_master",
    "master_columns",
    "progress_callback",
    "until_as_of",
]

_FUNC = "segment"

Progress = Callable[[str], None]


def indexed_master(table: pd.DataFrame | None, config: SegmentConfig) -> pd.DataFrame | None:
    """The master indexed by customer id: its `master_id_col` (column or index name), else
    a `customer_col` column, else its index when that holds ids (named, or not integers:
    an unnamed integer index is row numbers or labels); null or duplicated ids raise
    here, before any step runs."""
    if table is None:
        return None
    check_frame(table, func=_FUNC, arg="master")
    col = config.master_id_col
    if col is not None:
        if col in table.columns:
            table = table.set_index(col)
        elif table.index.name != col:
            raise ColumnNotFoundError(
                f"{_FUNC}: `master` has no id column {col!r} (master_id_col); its columns "
                f"are {list(table.columns)[:12]}. Hint: pass the name of the column that "
                "holds the customer ids."
            )
    elif config.customer_col in table.columns and table.index.name != config.customer_col:
        table = table.set_index(config.customer_col)
    elif table.index.name is None and (
        isinstance(table.index, pd.RangeIndex) or pd.api.types.is_integer_dtype(table.index)
    ):
        # row numbers, or the row labels a filter or a sort left: not ids (a master indexed
        # by integer ids names its index)
        what = (
            f"the row numbers 0..{len(table) - 1}"
            if isinstance(table.index, pd.RangeIndex)
            else "unnamed integers, e.g. row labels left by a filter"
        )
        raise ConfigError(
            f"{_FUNC}: `master` has neither a {config.customer_col!r} column nor an id "
            f"index (its index is {what}); its columns are {list(table.columns)[:12]}. "
            "Hint: name the master's id column with master_id_col (--master-id-col), or "
            "index the master by customer id (a named index)."
        )
    ids = table.index
    if ids.hasnans:
        raise SchemaError(
            f"{_FUNC}: `master` has {int(np.count_nonzero(ids.isna()))} null customer id(s). "
            "Hint: drop "
            "those rows first."
        )
    if not ids.is_unique:
        raise SchemaError(
            f"{_FUNC}: `master` has duplicated customer ids, e.g. "
            f"{examples(ids[ids.duplicated()])} ({int(ids.duplicated().sum())} duplicate "
            "row(s)); one row per customer is needed to join its attributes. Hint: "
            "deduplicate the master first."
        )
    return table


#: Columns the steps of :func:`segment` write (with the prefixes of :data:`STEP_PREFIXES`):
#: a master column of one of these names is joined as ``master_<name>`` (with a warning)
#: instead of being overwritten or refused. tests/test_pipeline.py checks the list against
#: a run of every step.
STEP_COLUMNS = frozenset(
    [
        "r_score",
        "f_score",
        "m_score",
        "rfm_cell",
        "rfm_score",
        "rfm_segment",
        "margin",
        "net_profit",
        "p_alive",
        "expected_purchases",
        "expected_spend",
        "clv",
        "profit_clv",
        "value_rank",
        "value_share",
        "cum_value_share",
        "cum_customer_share",
        "abc_class",
        "pyramid_tier",
        "account_score",
        "account_rank",
        "is_key_account",
        "value_class",
        "negative_profit",
        "value_action",
        "orders_per_year",
        "behaviour_class",
        "behaviour_action",
        "usual_gap_days",
        "overdue_ratio",
        "spend_trend",
        "lifecycle_stage",
        "lifecycle_reason",
        "lifecycle_action",
        "need_level",
        "need_action",
        "latent_needs",
        "satisfaction_class",
        "satisfaction_score",
        "n_answers",
        "recent_complaints",
        "satisfaction_action",
        "health_score",
        "health_band",
        "health_drivers",
        "warning_reasons",
        "n_warnings",
        "churn_probability",
        "is_prospect",
    ]
)


STEP_PREFIXES = ("score_", "health_", "warn_")


def master_columns(master: pd.DataFrame, table: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The master's attribute columns to join, those named like a column of the job
    renamed ``master_<name>``; and the names renamed."""
    taken = set(map(str, table.columns)) | STEP_COLUMNS
    clash = [
        c
        for c in master.columns
        if c != "is_prospect" and (str(c) in taken or str(c).startswith(STEP_PREFIXES))
    ]
    extra = master.drop(columns=[c for c in ("is_prospect",) if c in master.columns])
    return extra.rename(columns={c: f"master_{c}" for c in clash}), [str(c) for c in clash]


def aligned_master(master: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """The master with its ids of the customer table's kind (one warning if converted)."""
    ids, note = align_ids(master.index, table.index, arg="master")
    if note is not None:
        warn(f"{_FUNC}: {note}.", stacklevel=4)
    if not ids.equals(master.index):  # (17850.0 is 17850 silently, as in the transactions)
        if not ids.is_unique:
            raise SchemaError(
                f"{_FUNC}: `master` has ids that become the same id as text or number, e.g. "
                f"{examples(ids[ids.duplicated()])}. Hint: deduplicate the master first."
            )
        master = master.set_axis(ids, axis=0)
    return master


def aligned_side(
    frame: pd.DataFrame | None, table: pd.DataFrame, col: str, arg: str
) -> pd.DataFrame | None:
    """A survey or complaint table with its ids of the customer table's kind (converted
    once here, with one warning, so that no step warns again)."""
    if frame is None or col not in frame.columns or len(frame) == 0:
        return frame
    codes, uniques = pd.factorize(frame[col], sort=False)
    ids, note = align_ids(pd.Index(uniques), table.index, arg=arg)
    if note is None and ids.equals(pd.Index(uniques)):
        return frame
    if note is not None:
        warn(f"{_FUNC}: {note}.", stacklevel=4)
    values = ids.take(np.maximum(codes, 0))
    column = pd.Series(values, index=frame.index).where(codes >= 0)
    return frame.assign(**{col: column})


class ProgressBar:
    """A tqdm bar as a progress callback: one tick per step; closed by :meth:`close`."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar

    def __call__(self, message: str) -> None:
        self.bar.set_description(f"kamseg segment: {message}")
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def progress_callback(progress: Any) -> Progress:
    """The progress callback: none, the caller's, or a tqdm bar for ``True``."""
    if progress is None or progress is False:
        return lambda message: None
    if progress is True:
        try:
            from tqdm.auto import tqdm  # type: ignore[import-untyped]
        except ImportError as exc:  # pragma: no cover - tqdm is a dependency
            raise ConfigError(f"{_FUNC}: progress=True needs tqdm (pip install tqdm).") from exc
        return ProgressBar(tqdm(total=None, desc="kamseg segment", unit="step", leave=False))
    if callable(progress):
        return progress  # type: ignore[no-any-return]
    raise ConfigError(
        f"{_FUNC}: `progress` must be True, False, None or a function of one message; got "
        f"{type(progress).__name__}."
    )


def until_as_of(
    frame: pd.DataFrame | None, arg: str, date_col: Any, as_of: Any
) -> pd.DataFrame | None:
    """`frame` (surveys, complaints) without its rows dated after `as_of`, with one notice;
    unreadable or null dates are left to the steps, which report them."""
    if frame is None or as_of is None or date_col not in frame.columns or not len(frame):
        return frame
    try:
        dates = to_datetime(frame[date_col], func=_FUNC, col=str(date_col))
    except KamsegError:
        return frame
    day = dates.to_numpy().astype("datetime64[D]")
    later = ~np.isnat(day) & (day > np.datetime64(pd.Timestamp(as_of).date(), "D"))
    if not later.any():
        return frame
    warn(
        f"{_FUNC}: excluded {int(later.sum())} row(s) of `{arg}` dated after as_of "
        f"{pd.Timestamp(as_of).date()}.",
        stacklevel=6,  # segment's (or SegmentModel.apply's) caller
    )
    kept: pd.DataFrame = frame[~later]
    return kept
