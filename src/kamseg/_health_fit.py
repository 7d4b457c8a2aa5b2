"""What :func:`kamseg.health.fit_health_score` and :func:`kamseg.alerts.fit_early_warnings`
learn from a customer base, and the row-wise rules that apply it.

Private helper of :mod:`kamseg.health` and :mod:`kamseg.alerts` (it imports neither):

- :class:`ExtraFit`: the frozen scaling of one extra health column (its min and max, or
  the base's sorted values for a percentile rank);
- :func:`learn_base_gap`: the base gap of the purchase rhythm (median usual gap of the
  repeat buyers), learned once so that each single-purchase customer's overdue ratio
  depends on the fit, not on the other rows of the table it is scored with;
- :func:`as_of_timestamp`, :func:`latest_day`, :func:`apply_as_of`: the observation day,
  given, learned (latest date of the fitted data when none was given), or the table's.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import string
from collections.abc import Hashable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from kamseg._state import state
from kamseg._tables import join_text, text_column
from kamseg._types import P_ALIVE_INFORMATIVE
from kamseg._validation import (
    as_of_day,
    check_choice,
    check_columns,
    check_frame,
    search_sorted,
    to_datetime,
    warn,
)
from kamseg.errors import ColumnNotFoundError, ConfigError
from kamseg.features import nonnegative_column, repeat_purchase_days, rhythm
from kamseg.labels import HEALTH_BAND_LABELS
from kamseg.transactions import PreparedTransactions

__all__ = [
    "COMPONENT_NAMES",
    "DIRECT",
    "SUMMARY_COLUMNS",
    "TREND_COLS",
    "WARN_TEXT",
    "WEIGHT_TOLERANCE",
    "ExtraFit",
    "apply_as_of",
    "as_of_timestamp",
    "check_available",
    "check_bands",
    "check_extras",
    "check_weights",
    "choose_components",
    "day_text",
    "fill",
    "fmt",
    "id_keys",
    "latest_day",
    "learn_base_gap",
    "new_columns",
    "ratio_text",
    "scored",
]

WEIGHT_TOLERANCE = 1e-6
_MINUS = "\N{MINUS SIGN}"


def id_keys(index: pd.Index) -> np.ndarray:
    """Customer ids as storable keys: int64 for an integer index, else text (object)."""
    if index.dtype.kind in "iu":
        return np.asarray(index.to_numpy(), dtype=np.int64)
    return np.asarray([str(v) for v in index.tolist()], dtype=object)


def _lookup(sorted_keys: np.ndarray, index: pd.Index) -> np.ndarray:
    """Position of each id of `index` in `sorted_keys` (-1 when absent)."""
    if sorted_keys.size == 0 or len(index) == 0:
        return np.full(len(index), -1, dtype=np.int64)
    keys = id_keys(index)
    if keys.dtype != sorted_keys.dtype:  # integer ids against text ids: compare as text
        keys = keys.astype(str).astype(object)
        ref = sorted_keys.astype(str).astype(object)
        order = np.argsort(ref, kind="stable")
        pos = _lookup_sorted(ref[order], keys)
        return np.where(pos >= 0, order[np.maximum(pos, 0)], -1)
    return _lookup_sorted(sorted_keys, keys)


def _lookup_sorted(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    (at,) = search_sorted(sorted_keys, keys)
    inside = at < sorted_keys.size
    found = np.zeros(keys.size, dtype=bool)
    found[inside] = sorted_keys[at[inside]] == keys[inside]
    return np.where(found, at, -1).astype(np.int64)


@state("health.ExtraFit")
@dataclasses.dataclass(frozen=True)
class ExtraFit:
    """The frozen scaling of one extra column of :func:`kamseg.health.health_score`.

    ``scale="minmax"``: `low` and `high` are the base's least and greatest known values
    (NaN when none is known); ``"rank"``: `reference` holds the base's known values, sorted,
    and `ids` / `id_values` each base customer's id (sorted) and own value (NaN if
    unknown), for the "replace your own row" rule of :meth:`scores`; ``"unit"``: nothing.
    """

    column: str
    direction: str
    scale: str
    weight: float
    low: float = float("nan")
    high: float = float("nan")
    reference: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0))
    ids: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0, dtype=np.int64))
    id_values: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0))

    @classmethod
    def learn(
        cls, values: np.ndarray, index: pd.Index, column: str, direction: str, scale: str, w: float
    ) -> ExtraFit:
        """Learn the scaling of `values` (the column on the base, NaN unknown)."""
        known = values[~np.isnan(values)]
        if scale == "minmax":
            lo = float(known.min()) if known.size else float("nan")
            hi = float(known.max()) if known.size else float("nan")
            return cls(column, direction, scale, w, low=lo, high=hi)
        if scale == "rank":
            keys = id_keys(index)
            order = np.argsort(keys, kind="stable")
            return cls(
                column,
                direction,
                scale,
                w,
                reference=np.sort(known),
                ids=keys[order],
                id_values=np.asarray(values, dtype=np.float64)[order],
            )
        return cls(column, direction, scale, w)

    def own_values(self, index: pd.Index) -> np.ndarray:
        """Each customer's value in the base (NaN when not in the base, or unknown there)."""
        pos = _lookup(self.ids, index)
        out = np.full(len(index), np.nan)
        out[pos >= 0] = self.id_values[pos[pos >= 0]]
        return out

    def scores(self, x: np.ndarray, own: np.ndarray | None) -> np.ndarray:
        """The 0-1 sub-scores of values `x` (NaN unknown), higher = healthier.

        ``"minmax"``: ``(x - low) / (high - low)`` clipped to [0, 1] (1 when the base had
        one distinct value). ``"rank"``: the percentile rank ``(rank - 1) / (m - 1)`` (ties
        sharing their mean rank) the customer would get if its value replaced its own base
        value `own` (NaN: added to the base) while every other base customer kept its
        value: with ``less`` and ``equal`` the other base values below and equal to ``x``,
        ``rank = less + 1 + equal / 2``. All-equal values, or a base of one, score 1.
        """
        ok = ~np.isnan(x)
        s = np.full(x.shape, np.nan)
        if self.scale == "unit":
            s = x.copy()
        elif self.scale == "minmax":
            lo, hi = self.low, self.high
            s[ok] = np.clip((x[ok] - lo) / (hi - lo), 0.0, 1.0) if hi > lo else 1.0
        else:
            ref = self.reference
            v = x[ok]
            mine = np.full(v.shape, np.nan) if own is None else own[ok]
            has = ~np.isnan(mine)
            below, upto = search_sorted(ref, v, "left", "right")
            less = below - (has & (mine < v))
            equal = upto - below - (has & (mine == v))
            m = ref.size - has + 1
            # the mean rank of the ties is exact (a whole or half number), as pandas' is
            ranks = less + 1.0 + equal / 2.0
            with np.errstate(invalid="ignore", divide="ignore"):
                r = (ranks - 1.0) / (m - 1.0)
            s[ok] = np.where((m <= 1) | ((less == 0) & (equal == m - 1)), 1.0, r)
        return 1.0 - s if self.direction == "min" else s


def learn_base_gap(
    customers: pd.DataFrame,
    *,
    transactions: PreparedTransactions | None,
    positions: np.ndarray | None,
    func: str,
) -> float:
    """The base gap of :func:`kamseg.features.rhythm` on the summary columns of `customers`
    (the median usual gap of its repeat buyers; the fallback when there is none), read as
    :func:`kamseg.features.rhythm_columns` reads them."""
    days = nonnegative_column(customers, "days_since_last", func=func)
    k = repeat_purchase_days(
        customers,
        transactions=transactions,
        frequency_col="frequency",
        func=func,
        positions=positions,
    )
    tenure = nonnegative_column(customers, "tenure_days", func=func)
    return rhythm(days, tenure, k).base_gap


def as_of_timestamp(as_of: Any, *, func: str) -> pd.Timestamp | None:
    """The day of an `as_of` option as a Timestamp (only the day counts); None stays None."""
    day = as_of_day(as_of, func=func)
    return None if day is None else pd.Timestamp(np.datetime64(day, "D"))


def latest_day(
    frame: object, *, arg: str, customer_col: Hashable, date_col: Hashable, func: str
) -> pd.Timestamp | None:
    """The latest date of a side table (None when it has no dated row): the end day that
    :func:`kamseg._tables.side_table` defaults to."""
    df = check_frame(frame, func=func, arg=arg, allow_empty=True)
    check_columns(df, {"customer_col": customer_col, "date_col": date_col}, func=func)
    if len(df) == 0:
        return None
    dates = to_datetime(df[date_col], func=func, col=str(date_col))
    last = dates.max()
    return None if pd.isna(last) else pd.Timestamp(last).normalize()


def apply_as_of(
    given: pd.Timestamp | None, learned: pd.Timestamp | None, customers: pd.DataFrame
) -> pd.Timestamp | None:
    """The `as_of` to apply with: the one given to the fit; else the table's
    ``attrs["as_of"]`` (None here: the callee reads it); else the day learned by the fit."""
    if given is not None:
        return given
    return None if customers.attrs.get("as_of") is not None else learned


# --------------------------------------------------------------------------------------
# health score: validated options and the score of each row
# --------------------------------------------------------------------------------------

# Display names of the health components (local tables: the lead may move them to
# kamseg.labels).
COMPONENT_NAMES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "recency": {"en": "recency", "zh": "购买节奏"},
        "frequency_trend": {"en": "frequency trend", "zh": "购买频次趋势"},
        "spend_trend": {"en": "spend trend", "zh": "消费额趋势"},
        "p_alive": {"en": "P(alive)", "zh": "存活概率"},
        "satisfaction": {"en": "satisfaction", "zh": "满意度"},
        "complaints": {"en": "complaints", "zh": "投诉"},
    }
)


def check_weights(
    weights: object, names: Sequence[str], *, func: str, arg: str = "weights"
) -> dict[str, float]:
    if not isinstance(weights, Mapping):
        raise ConfigError(
            f"{func}: `{arg}` must be a mapping of component name to weight; got "
            f"{type(weights).__name__}. Hint: {{'recency': 0.5, 'p_alive': 0.5}}."
        )
    out: dict[str, float] = {}
    for name, w in weights.items():
        if name not in names:
            check_choice(name, names, func=func, arg=f"{arg} key")
        ok = isinstance(w, int | float | np.number) and not isinstance(w, bool)
        if not ok or not math.isfinite(float(w)) or float(w) < 0:
            raise ConfigError(
                f"{func}: the weight of {name!r} must be a finite number >= 0; got {w!r}."
            )
        out[str(name)] = float(w)
    return out


def check_extras(
    extra: object,
    customers: pd.DataFrame,
    *,
    builtin: Sequence[str],
    scales: Sequence[str],
    func: str,
) -> dict[str, tuple[str, str, float]]:
    """Validated extra components: column -> (direction, scale, weight)."""
    if extra is None:
        return {}
    if not isinstance(extra, Mapping):
        raise ConfigError(
            f"{func}: `extra` must map a column name to a spec such as "
            f"{{'direction': 'max', 'weight': 0.1}}; got {type(extra).__name__}."
        )
    out: dict[str, tuple[str, str, float]] = {}
    for col, spec in extra.items():
        if col in builtin:
            raise ConfigError(
                f"{func}: extra column {col!r} has the name of a built-in component. "
                "Hint: rename the column."
            )
        if not isinstance(spec, Mapping):
            raise ConfigError(
                f"{func}: the spec of extra column {col!r} must be a mapping with keys "
                f"'direction', 'weight' and optionally 'scale'; got {spec!r}."
            )
        unknown = set(spec) - {"direction", "weight", "scale"}
        if unknown:
            raise ConfigError(
                f"{func}: unknown key(s) {', '.join(map(repr, sorted(map(str, unknown))))} in "
                f"the spec of extra column {col!r}. Hint: use 'direction', 'weight', 'scale'."
            )
        if "weight" not in spec:
            raise ConfigError(
                f"{func}: the spec of extra column {col!r} needs a 'weight'. Hint: "
                "{'direction': 'max', 'weight': 0.1}."
            )
        direction = spec.get("direction", "max")
        check_choice(direction, ("max", "min"), func=func, arg=f"extra[{col!r}]['direction']")
        scale = spec.get("scale", "rank")
        check_choice(scale, scales, func=func, arg=f"extra[{col!r}]['scale']")
        weight = check_weights({col: spec["weight"]}, [col], func=func, arg="extra")[str(col)]
        check_columns(customers, {f"extra[{col!r}]": col}, func=func)
        out[str(col)] = (str(direction), str(scale), weight)
    return out


def check_bands(
    bands: object, lang: str, *, default: Mapping[str, float], func: str
) -> tuple[list[str], np.ndarray]:
    """Validated bands: the shown band names and their lower bounds."""
    if bands is None:
        bands = default
    if not isinstance(bands, Mapping) or len(bands) == 0:
        raise ConfigError(
            f"{func}: `bands` must map band names (worst first) to the lower bound of "
            f"their score interval, e.g. {{'red': 0, 'amber': 40, 'green': 70}}; got {bands!r}."
        )
    names = [str(k) for k in bands]
    lows = []
    for name, low in bands.items():
        ok = isinstance(low, int | float | np.number) and not isinstance(low, bool)
        if not ok or not math.isfinite(float(low)):
            raise ConfigError(
                f"{func}: the lower bound of band {name!r} must be a number; got {low!r}."
            )
        lows.append(float(low))
    if lows[0] != 0.0:
        raise ConfigError(
            f"{func}: the first band ({names[0]!r}) must start at 0, so that the bands cover "
            f"0-100; it starts at {lows[0]:g}."
        )
    if any(b <= a for a, b in itertools.pairwise(lows)) or lows[-1] > 100.0:
        raise ConfigError(
            f"{func}: the lower bounds of `bands` must increase strictly from 0 and not "
            f"exceed 100; got {', '.join(f'{lo:g}' for lo in lows)}."
        )
    if len(set(names)) != len(names):
        raise ConfigError(f"{func}: band names must be distinct; got {names!r}.")
    shown = [HEALTH_BAND_LABELS.get(n, {}).get(lang, n) for n in names]
    return shown, np.asarray(lows)


#: Customers whose drivers are sorted at a time (their components' order: only the first
#: ``top_drivers`` rows of it are kept).
_DRIVER_BLOCK = 1 << 18


def _column_sums(a: np.ndarray) -> np.ndarray:
    """``a.sum(axis=0)`` of a (components, customers) array, adding the components in order.

    NumPy adds the rows of a wide array one after the other, but sums a single column of 8
    or more values pairwise, which can differ in the last bit: adding in order gives each
    customer the same bits in a table of one as in a table of many (as ``sum(axis=0)`` did
    for tables of two or more customers, so their scores are unchanged).
    """
    out = np.zeros(a.shape[1]) if a.shape[0] == 0 else a[0].copy()
    for row in a[1:]:
        out += row
    return out


def scored(
    customers: pd.DataFrame,
    subs: Mapping[str, np.ndarray],
    names: Sequence[str],
    *,
    w_map: Mapping[str, float],
    min_coverage: float,
    band_names: Sequence[str],
    band_lows: Sequence[float],
    top_drivers: int,
    lang: str,
) -> pd.DataFrame:
    """`customers` with the health score, band, drivers and sub-scores (row by row)."""
    # --- score, rescaled over the known sub-scores -------------------------------------
    n = len(customers)
    s = np.vstack([subs[c] for c in names]) if names else np.empty((0, n))
    w = np.asarray([w_map[c] for c in names])[:, None]
    unknown = np.isnan(s)
    # (components, customers) arrays computed in place, two at a time (memory: each is
    # 8 bytes x components a customer), with the operations and bits of the plain formulas
    w_eff = np.where(unknown, 0.0, w)
    w_sum = _column_sums(w_eff)
    with np.errstate(invalid="ignore", divide="ignore"):
        w_eff /= w_sum  # the known weights rescaled to 1
        part = np.multiply(w_eff, s)
        part[unknown] = 0.0
        score = 100.0 * _column_sums(part)
        shortfall = np.subtract(1.0, s, out=part)  # each sub-score's shortfall, in points
        del s, part
        shortfall *= w_eff
        shortfall[unknown] = 0.0
        shortfall *= 100.0
        del w_eff, unknown
    enough = (w_sum > 0) & (w_sum >= min_coverage - WEIGHT_TOLERANCE)
    score = np.where(enough, np.clip(score, 0.0, 100.0), np.nan)
    shortfall[:, ~enough] = 0.0

    lows = np.asarray(band_lows, dtype=np.float64)
    band_code = np.searchsorted(lows, np.nan_to_num(score, nan=0.0), side="right") - 1
    band_code = np.where(np.isnan(score), -1, band_code)
    band = pd.Categorical.from_codes(
        band_code, categories=pd.Index(list(band_names)), ordered=True
    )

    # --- drivers -----------------------------------------------------------------------
    shown = np.array(
        [COMPONENT_NAMES.get(c, {}).get(lang, c) for c in names] or [""], dtype=object
    )
    top = min(top_drivers, len(names))
    order = np.empty((top, n), dtype=np.intp)  # the first `top` of each customer's sort
    for a in range(0, n, _DRIVER_BLOCK):  # the largest first (stable: ties in order)
        block = np.negative(shortfall[:, a : a + _DRIVER_BLOCK])
        order[:, a : a + _DRIVER_BLOCK] = np.argsort(block, axis=0, kind="stable")[:top]
        del block
    # each driver is (component, points) or nothing: the text is made once per distinct
    # combination of drivers (a few hundred) and taken for every customer
    combo = np.zeros(n, dtype=np.int64)
    idxs: list[np.ndarray] = []
    values: list[np.ndarray] = []
    points_: list[np.ndarray] = []
    for j in range(top):
        idx = order[j]
        value = shortfall[idx, np.arange(n)]
        points = np.floor(value + 0.5).astype(np.int64)
        code, distinct = pd.factorize(np.where(value >= 0.5, points * len(names) + idx, -1))
        combo = pd.factorize(combo * len(distinct) + code)[0].astype(np.int64)
        idxs.append(idx)
        values.append(value)
        points_.append(points)
    n_combos = int(combo.max(initial=-1)) + 1
    rep = np.zeros(n_combos, dtype=np.int64)
    rep[combo] = np.arange(n)  # any customer of each combination: they share the text
    parts = []
    for idx, value, points in zip(idxs, values, points_, strict=True):
        idx, value, points = idx[rep], value[rep], points[rep]
        text = shown[idx] + f" {_MINUS}" + points.astype(str).astype(object)
        parts.append(np.where(value >= 0.5, text, ""))
    sep = "; " if lang == "en" else "；"
    texts = join_text(parts, sep) if parts else np.full(n_combos, "", dtype=object)
    by_combo = text_column(texts, pd.RangeIndex(n_combos))
    drivers = pd.Series(by_combo.array.take(combo), index=customers.index)
    del order, shortfall, idxs, values, points_, parts, combo  # before the table's copies

    columns: dict[str, Any] = {
        "health_score": score,
        "health_band": band,
        "health_drivers": drivers,
    }
    # copied by `assign` (no copy of our own first)
    columns.update({f"health_{c}": subs[c].astype(np.float64, copy=False) for c in names})
    out = customers.assign(**columns)
    out.attrs = {**customers.attrs, "kamseg_health_weights": {c: w_map[c] for c in names}}
    return out


TREND_COLS: Mapping[str, str] = MappingProxyType(
    {"frequency_trend": "frequency_trend", "spend_trend": "spend_trend"}
)
DIRECT: Mapping[str, str] = MappingProxyType(
    {"p_alive": "p_alive", "satisfaction": "satisfaction_score", "complaints": "recent_complaints"}
)
#: The summary columns the purchase rhythm is computed from.
SUMMARY_COLUMNS = ("days_since_last", "tenure_days", "frequency")


def new_columns(names: Sequence[str]) -> list[str]:
    return ["health_score", "health_band", "health_drivers", *(f"health_{c}" for c in names)]


def check_available(
    used: Sequence[str],
    customers: pd.DataFrame,
    transactions: object,
    *,
    base_gap: float | None,
    func: str,
) -> None:
    """Raise if a component lacks its input (the rhythm from the summary columns needs a
    base gap: a fit that read ``overdue_ratio`` learned none)."""
    for name in used:
        if name == "recency":
            ok = "overdue_ratio" in customers or (
                base_gap is not None and all(x in customers for x in SUMMARY_COLUMNS)
            )
        elif name in TREND_COLS:
            ok = TREND_COLS[name] in customers or transactions is not None
        else:
            ok = DIRECT[name] in customers
        if not ok:
            col = "overdue_ratio" if name == "recency" else {**TREND_COLS, **DIRECT}[name]
            hint = " or pass transactions=" if name in TREND_COLS else ""
            raise ColumnNotFoundError(
                f"{func}: component {name!r} needs column {col!r}, which is not in "
                f"`customers`. Hint: add it{hint}, or leave the component out."
            )


def choose_components(
    customers: pd.DataFrame,
    components: object,
    weights: object,
    extras: Mapping[str, tuple[str, str, float]],
    transactions: object,
    *,
    builtin: Sequence[str],
    default_weights: Mapping[str, float],
    func: str,
) -> tuple[list[str], dict[str, float], bool]:
    """The built-in components used, every component's weight, and whether ``p_alive``
    tells customers apart (the rules of :func:`kamseg.health.health_score`)."""
    # --- which components -------------------------------------------------------------
    chosen: list[str] | None = None
    if components is not None:
        if isinstance(components, str) or not isinstance(components, Sequence):
            raise ConfigError(
                f"{func}: `components` must be a list of component names, e.g. "
                f"['recency', 'p_alive']; got {components!r}."
            )
        for c in components:
            check_choice(c, builtin, func=func, arg="components")
        if len(set(components)) != len(components):
            raise ConfigError(f"{func}: `components` names a component twice: {components!r}.")
        chosen = list(components)
    user_weights: dict[str, float] | None = None
    if weights is not None:
        user_weights = check_weights(weights, builtin, func=func)
        if chosen is not None and set(chosen) != set(user_weights):
            raise ConfigError(
                f"{func}: `weights` must give a weight to exactly the components in "
                f"`components` ({', '.join(map(repr, chosen))}); it has "
                f"{', '.join(map(repr, user_weights))}."
            )
        chosen = [c for c in builtin if c in user_weights]
    p_alive_informative = customers.attrs.get(P_ALIVE_INFORMATIVE) is not False

    def available(c: str) -> bool:
        if c == "recency":
            return "overdue_ratio" in customers or all(x in customers for x in SUMMARY_COLUMNS)
        if c in TREND_COLS:
            return TREND_COLS[c] in customers or transactions is not None
        if c == "p_alive" and chosen is None and not p_alive_informative:
            return False  # a P(alive) that tells nobody apart is left out by default
        return DIRECT[c] in customers

    if chosen is None:
        used: list[str] = [c for c in builtin if available(c)]
        skipped = [c for c in builtin if c not in used]
        if skipped and (used or extras):
            needs = {
                "recency": "'overdue_ratio' or the summary columns",
                "frequency_trend": "'frequency_trend' or transactions=",
                "spend_trend": "'spend_trend' or transactions=",
                "p_alive": "'p_alive' (kamseg.clv.predict)"
                if p_alive_informative
                else "a 'p_alive' that tells customers apart: the purchase model found no dropout",
                "satisfaction": "'satisfaction_score' (kamseg.satisfaction_class)",
                "complaints": "'recent_complaints' (kamseg.satisfaction_class with complaints)",
            }
            warn(
                f"{func}: skipped the component(s) whose input is missing: "
                + "; ".join(f"{c} (needs {needs[c]})" for c in skipped)
                + ". Hint: pass components=[...] to choose them and silence this warning.",
                stacklevel=5,
            )
    else:
        used = chosen
        check_available(used, customers, transactions, base_gap=0.0, func=func)
    if not used and not extras:
        raise ConfigError(
            f"{func}: no component has its input in `customers`. Hint: start from "
            "kamseg.summarize, or name `extra` columns."
        )

    # --- weights ---------------------------------------------------------------------
    extra_total = math.fsum(w for _, _, w in extras.values())
    if user_weights is not None:
        w_map: dict[str, float] = {c: user_weights[c] for c in used}
        total = math.fsum([*w_map.values(), extra_total])
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            raise ConfigError(
                f"{func}: the weights (with those of `extra`) must sum to 1; they sum to "
                f"{total:.6g}. Hint: divide each weight by their sum."
            )
    else:
        if extra_total > 1.0 + WEIGHT_TOLERANCE or (not used and abs(extra_total - 1) > 1e-6):
            raise ConfigError(
                f"{func}: the weights of `extra` sum to {extra_total:.6g}; they must sum to "
                "at most 1 (exactly 1 with no built-in component)."
            )
        base = math.fsum(default_weights[c] for c in used)
        rest = max(1.0 - extra_total, 0.0)
        w_map = {c: default_weights[c] / base * rest for c in used} if base > 0 else {}
    w_map.update({col: w for col, (_, _, w) in extras.items()})
    return used, w_map, p_alive_informative


# --------------------------------------------------------------------------------------
# early warnings: the texts of the reasons, made once per distinct value
# --------------------------------------------------------------------------------------

WARN_TEXT: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "spend": (
            "spend in the last {w} days down {pct}% on the {w} days before ({a} → {b})",
            "近 {w} 天消费额比之前 {w} 天下降 {pct}%（{a} → {b}）",
        ),
        "spend_col": (
            "spend down {pct}% on the previous period",
            "消费额比上一期下降 {pct}%",
        ),
        "overdue": (
            "no purchase for {d} days, {r}× the usual gap of {g} days",
            "已 {d} 天未购买，是平时购买间隔 {g} 天的 {r} 倍",
        ),
        "overdue_ratio": (
            "{r}× the usual gap without a purchase",
            "未购买时长是平时购买间隔的 {r} 倍",
        ),
        "detractor_was": ("NPS {x} on {day} (was {prev})", "NPS 评分 {x}（{day}），此前为 {prev}"),
        "detractor_first": ("NPS {x} on {day} (first answer)", "NPS 评分 {x}（{day}，首次回答）"),
        "complaint": (
            "{k} open complaint{s}, oldest {day}",
            "{k} 条未解决投诉，最早于 {day}",
        ),
    }
)


def fmt(x: np.ndarray) -> list[str]:
    """Each number with no decimals, as ``f"{x:.0f}"``, formatted once per distinct text.

    ``f"{x:.0f}"`` rounds the exact value half to even, as :func:`numpy.rint` does, so it
    is the text of ``rint(x)``; negative zeros (``"-0"``) and NaN are set apart.
    """
    r = np.rint(np.asarray(x, dtype=np.float64))
    neg_zero = (r == 0) & np.signbit(r)
    codes, distinct = pd.factorize(np.where(neg_zero, np.nan, r))  # NaN and -0: code -1
    texts = np.array([f"{v:.0f}" for v in distinct.tolist()] + ["nan"], dtype=object)
    out = texts[codes]
    out[neg_zero] = "-0"
    result: list[str] = out.tolist()
    return result


#: ``f"{k / 10:.1f}"`` for k = 0..100: the one-decimal texts of 0.0 to 10.0.
_TENTHS = np.array([f"{k / 10:.1f}" for k in range(101)], dtype=object)


def ratio_text(r: np.ndarray) -> np.ndarray:
    """Each ratio as ``f"{v:.1f}" if v < 10 else f"{v:.0f}"`` (object array).

    From 0 to 10 (a positive sign), ``f"{v:.1f}"`` is the text of round(10 v) tenths:
    ``rint(10 * v)`` is that integer unless ``10 * v`` lies within 1e-6 of a half, where
    its rounding could cross it, and those few values (and the rest: negative, NaN) are
    formatted one by one.
    """
    r = np.asarray(r, dtype=np.float64)
    out = np.empty(r.size, dtype=object)
    small = r < 10
    big = np.flatnonzero(~small)  # NaN too: "nan", as f"{nan:.0f}"
    out[big] = fmt(r[big])
    with np.errstate(invalid="ignore", over="ignore"):  # NaN, huge: formatted by _fmt
        t = 10.0 * r
        near_half = np.abs(t - np.floor(t) - 0.5) < 1e-6
    tenths = small & (r >= 0) & ~np.signbit(r) & ~near_half
    out[tenths] = _TENTHS[np.rint(t[tenths]).astype(np.int64)]
    rest = np.flatnonzero(small & ~tenths)
    out[rest] = [f"{v:.1f}" for v in r[rest].tolist()]
    return out


def fill(template: str, n: int, **fields: Any) -> np.ndarray:
    """``template.format(**row)`` for each of `n` rows, whose fields are given as arrays
    of text (or one text for every row), with no format specs: whole columns of text are
    joined piece by piece instead of formatting each row."""
    out = np.full(n, "", dtype=object)
    for literal, name, spec, conversion in string.Formatter().parse(template):
        if literal:
            out = out + literal
        if name is not None:
            if spec or conversion:  # pragma: no cover - the templates have none
                raise ValueError(f"fill: {template!r} has a format spec")
            value = fields[name]
            out = out + (value if isinstance(value, str) else np.asarray(value, dtype=object))
    return out


def day_text(days: np.ndarray) -> np.ndarray:
    """ISO date of each day number, formatted once per distinct day."""
    distinct, inverse = np.unique(days, return_inverse=True)
    text = np.array([str(np.datetime64(int(d), "D")) for d in distinct.tolist()], dtype=object)
    out: np.ndarray = text[inverse.reshape(-1)]
    return out
