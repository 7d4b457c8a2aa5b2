"""Type aliases shared by every layer (the words of docs/vocabulary.md)."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

__all__ = ["Freq", "ReturnsPolicy"]

Freq = Literal["D", "W", "M"]
"""The period of the BTYD columns and models: days, weeks (Monday to Sunday), months."""

ReturnsPolicy = Literal["net", "exclude", "error"]
"""What to do with negative amounts (returns): net them, drop them, or raise."""

#: ``attrs`` key of a customer table whose ``p_alive`` cannot tell who left: False when
#: :func:`kamseg.clv.predict` used a model that found no dropout (read by
#: :func:`kamseg.lifecycle_stage`, whose P(alive) switch then stays off).
P_ALIVE_INFORMATIVE = "kamseg_p_alive_informative"

#: The columns of a customer table that carry its window activity when an engine (DuckDB,
#: Spark) computed it out of core, by field of :class:`kamseg.features.WindowActivity`, and
#: the ``attrs`` key of their window length in days (their last day is ``attrs["as_of"]``).
ACTIVITY_COLUMNS: dict[str, str] = {
    "spend_recent": "activity_spend_recent",
    "spend_previous": "activity_spend_previous",
    "days_recent": "activity_days_recent",
    "days_previous": "activity_days_previous",
    "orders": "activity_orders",
    "covers": "activity_covers",
}
ACTIVITY_WINDOW_ATTR = "kamseg_activity_window"

#: The columns an engine's summary adds for :func:`kamseg.segment`'s steps on a table
#: without rows (``job_columns=True``): the daily repeat purchases, recency and mean repeat
#: spend (of a weekly or monthly table), and the spend in the last 90 and 180 days.
JOB_COLUMNS = (
    "daily_frequency",
    "daily_recency",
    "daily_monetary_value",
    "churn_spend_90d",
    "churn_spend_180d",
)


@dataclasses.dataclass(frozen=True, eq=False)
class NeedMap:
    """A catalogue as an engine matches transactions to it (the need level on an engine's
    table): each product key's need level (its position in ``kamseg.features.NEED_LEVELS``)
    and category (a position in `categories`, -1: none)."""

    product_col: str
    keys: tuple[Any, ...]
    level: tuple[int, ...]
    category: tuple[int, ...]
    categories: tuple[Any, ...]


#: The columns of an engine's summary with a :class:`NeedMap`: the highest need level bought
#: (-1: none), the transactions of the customer's kept rows matched to no catalogue key
#: (null keys among them), and the net spend in each category (``need_spend_<i>``, the
#: i-th of ``NeedMap.categories``).
NEED_COLUMNS = ("need_highest", "need_unmatched", "need_null_keys")
NEED_SPEND_PREFIX = "need_spend_"

#: ``attrs`` key of such a summary's notes on unmatched keys: the distinct keys matched to no
#: catalogue entry, and those without a category (each as ``(count, examples)``).
NEED_NOTES_ATTR = "kamseg_need_notes"
