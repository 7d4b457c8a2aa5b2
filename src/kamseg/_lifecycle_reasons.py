"""The words of :func:`kamseg.lifecycle_stage`'s ``lifecycle_reason``: one template per rule
variant, in English and Chinese, filled for many customers at once with pyarrow's string
kernels. Private to :mod:`kamseg.lifecycle` (it imports nothing from it).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = [
    "CHURNED",
    "DECLINING",
    "GROWING",
    "MATURE",
    "NEW",
    "POTENTIAL",
    "REASONS",
    "VARIANTS",
    "VARIANT_STAGE",
    "reason_block",
    "reason_fields",
    "reasons",
    "render",
]

#: Stage codes, in lifecycle order (the category codes of ``lifecycle_stage``).
POTENTIAL, NEW, GROWING, MATURE, DECLINING, CHURNED = range(6)


# variant -> (English, Chinese) template; each {field} is formatted per customer, and
# {p_note} is "; P(alive) 0.42" when P(alive) is in use, else empty.
REASONS: Mapping[str, tuple[str, str]] = {
    "potential": (
        "in the customer master, no purchase yet",
        "客户档案中有记录，尚未购买",
    ),
    "churned_gap": (
        "no purchase for {days} days, {ratio}× the usual gap of {gap} days "
        "(churned after {limit} days){p_note}",
        "已 {days} 天未购买，是平时购买间隔 {gap} 天的 {ratio} 倍"
        "（超过 {limit} 天视为流失）{p_note}",
    ),
    "churned_single": (
        "single purchase {days} days ago, no second one (churned after {limit} days; the "
        "base's usual gap is {gap} days){p_note}",
        "仅购买过一次，已 {days} 天未再购买（超过 {limit} 天视为流失；客户群平时购买间隔为 "
        "{gap} 天）{p_note}",
    ),
    "churned_p_alive": (
        "P(alive) {p} is below {p_limit}; no purchase for {days} days, usual gap {gap} days",
        "存活概率 P(alive) {p} 低于 {p_limit}；已 {days} 天未购买，平时购买间隔 {gap} 天",
    ),
    "new": (
        "first purchase {tenure} days ago (under {new_days} days)",
        "首次购买于 {tenure} 天前（不足 {new_days} 天）",
    ),
    "declining_gap": (
        "no purchase for {days} days, {ratio}× the usual gap of {gap} days{p_note}",
        "已 {days} 天未购买，是平时购买间隔 {gap} 天的 {ratio} 倍{p_note}",
    ),
    "declining_single": (
        "single purchase {days} days ago, {ratio}× the base's usual gap of {gap} days{p_note}",
        "仅购买过一次，已 {days} 天未再购买，是客户群平时购买间隔 {gap} 天的 {ratio} 倍{p_note}",
    ),
    "declining_trend": (
        "spend in the last {window} days down {pct}% on the {window} days before "
        "({before} → {after})",
        "近 {window} 天消费额比之前 {window} 天下降 {pct}%（{before} → {after}）",
    ),
    "declining_p_alive": (
        "P(alive) {p} is below {p_limit}; last purchase {days} days ago, usual gap {gap} days",
        "存活概率 P(alive) {p} 低于 {p_limit}；上次购买于 {days} 天前，平时购买间隔 {gap} 天",
    ),
    "new_single": (
        "single purchase {days} days ago, within {multiple}× the base's usual gap of {gap} days",
        "仅购买过一次（{days} 天前），未超过客户群平时购买间隔 {gap} 天的 {multiple} 倍",
    ),
    "growing_trend": (
        "spend in the last {window} days up {pct}% on the {window} days before "
        "({before} → {after})",
        "近 {window} 天消费额比之前 {window} 天增长 {pct}%（{before} → {after}）",
    ),
    "growing_restart": (
        "spent {after} in the last {window} days after nothing in the {window} days before",
        "之前 {window} 天无消费，近 {window} 天消费 {after}",
    ),
    "growing_young": (
        "repeat buyer, first purchase {tenure} days ago (under {growing_days} days)",
        "已复购，首次购买于 {tenure} 天前（不足 {growing_days} 天）",
    ),
    "mature_trend": (
        "buying on rhythm: last purchase {days} days ago, usual gap {gap} days; spend in "
        "the last {window} days {signed}% on the {window} days before",
        "按平时节奏购买：上次购买于 {days} 天前，平时购买间隔 {gap} 天；近 {window} 天消费额"
        "变化 {signed}%",
    ),
    "mature": (
        "buying on rhythm: last purchase {days} days ago, usual gap {gap} days",
        "按平时节奏购买：上次购买于 {days} 天前，平时购买间隔 {gap} 天",
    ),
}
VARIANTS: tuple[str, ...] = tuple(REASONS)
VARIANT_STAGE: Mapping[str, int] = {
    "potential": POTENTIAL,
    "churned_gap": CHURNED,
    "churned_single": CHURNED,
    "churned_p_alive": CHURNED,
    "new": NEW,
    "declining_gap": DECLINING,
    "declining_single": DECLINING,
    "declining_trend": DECLINING,
    "declining_p_alive": DECLINING,
    "new_single": NEW,
    "growing_trend": GROWING,
    "growing_restart": GROWING,
    "growing_young": GROWING,
    "mature_trend": MATURE,
    "mature": MATURE,
}


# Reasons are built with pyarrow's string kernels (a core dependency, imported on first
# use): one vectorised pass per template instead of a Python loop over customers. Their
# buffers come from the system allocator (`_pool`), not from pyarrow's default pool, which
# maps fresh memory for them: the system allocator reuses the pages numpy just freed.


def _arrow() -> tuple[Any, Any]:
    """pyarrow and pyarrow.compute (no type stubs: typed as Any here)."""
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.compute as pc  # type: ignore[import-untyped]

    return pa, pc


def _pool() -> Any:
    """The memory pool of the reason arrays: the system allocator's."""
    pa, _ = _arrow()
    return pa.system_memory_pool()


def _text(value: str) -> Any:
    """A text scalar of the type of the reason arrays: large_string, the type pandas keeps
    text in (pandas would copy string arrays into it)."""
    pa, _ = _arrow()
    return pa.scalar(value, pa.large_string())


def _int_text(x: np.ndarray) -> Any:
    pa, pc = _arrow()
    return pc.cast(pa.array(np.rint(x).astype(np.int64)), pa.large_string(), memory_pool=_pool())


def _float_text(x: np.ndarray, decimals: int) -> Any:
    """Rounded numbers without trailing zeros: 4.1, 4, 0.35."""
    pa, pc = _arrow()
    return pc.cast(pa.array(np.round(x, decimals) + 0.0), pa.large_string(), memory_pool=_pool())


def _amount_text(x: np.ndarray) -> Any:
    """Amounts: whole numbers from 100 up, else two decimals at most (12.5, 0.99)."""
    pa, pc = _arrow()
    return pc.if_else(
        pa.array(np.abs(x) >= 100), _int_text(x), _float_text(x, 2), memory_pool=_pool()
    )


def reason_fields(
    rows: np.ndarray,
    *,
    name: str,
    d: np.ndarray,
    t: np.ndarray,
    gap: np.ndarray,
    ratio: np.ndarray,
    limit: np.ndarray,
    p_alive: np.ndarray | None,
    trend: np.ndarray,
    recent: np.ndarray,
    previous: np.ndarray,
    thresholds: Any,
    en: bool,
) -> dict[str, Callable[[], Any]]:
    """Formatters of the reason fields for the customers at positions `rows`
    (`thresholds`: the :class:`kamseg.lifecycle.LifecycleThresholds` in use).

    Each returns a pyarrow large_string array (one value per row) or a plain string.
    """
    pa, pc = _arrow()
    th = thresholds

    def p_note() -> Any:
        if p_alive is None:
            return ""
        lead = "; P(alive) " if en else "；存活概率 P(alive) "
        return pc.binary_join_element_wise(
            _text(lead), _float_text(p_alive[rows], 2), _text(""), memory_pool=_pool()
        )

    def signed() -> Any:
        v = np.rint(trend[rows] * 100)
        sign = pc.if_else(pa.array(v > 0), _text("+"), _text(""), memory_pool=_pool())
        return pc.binary_join_element_wise(sign, _int_text(v), _text(""), memory_pool=_pool())

    p_limit = th.churn_p_alive if name.startswith("churned") else th.decline_p_alive
    return {
        "days": lambda: _int_text(d[rows]),
        "tenure": lambda: _int_text(t[rows]),
        "gap": lambda: _int_text(gap[rows]),
        "ratio": lambda: _float_text(ratio[rows], 1),
        "limit": lambda: _int_text(limit[rows]),
        "p": lambda: _float_text(p_alive[rows], 2) if p_alive is not None else "",
        "p_note": p_note,
        "p_limit": lambda: f"{p_limit:g}",
        "before": lambda: _amount_text(previous[rows]),
        "after": lambda: _amount_text(recent[rows]),
        "pct": lambda: _int_text(np.abs(trend[rows]) * 100),
        "signed": signed,
        "window": lambda: str(th.trend_window_days),
        "new_days": lambda: f"{th.new_days:g}",
        "growing_days": lambda: f"{th.growing_days:g}",
        "multiple": lambda: f"{th.decline_multiple:g}",
    }


def render(template: str, fields: Mapping[str, Callable[[], Any]], size: int) -> Any:
    """Fill `template` for `size` customers: a pyarrow large_string array."""
    pa, pc = _arrow()
    parts: list[Any] = []
    for literal, field, _, _ in string.Formatter().parse(template):
        if literal:
            parts.append(literal)
        if field is not None:
            parts.append(fields[field]())
    parts = [_text(part) if isinstance(part, str) else part for part in parts]
    # `size` empty texts (the templates without a field are literals alone)
    base = pc.take(
        pa.array([""], pa.large_string()),
        pa.array(np.zeros(size, dtype=np.int32)),
        memory_pool=_pool(),
    )
    return pc.binary_join_element_wise(base, *parts, _text(""), memory_pool=_pool())


def reason_block(pieces: list[tuple[np.ndarray, Any]], n: int) -> Any:
    """Scatter per-variant reason arrays (rows, texts) into `n` values in row order: a
    pyarrow large_string array. Empties `pieces` once their texts are copied into one
    array (memory: two copies of the texts at most, not three)."""
    pa, pc = _arrow()
    rows = np.concatenate([r for r, _ in pieces]) if pieces else np.empty(0, np.int64)
    texts = (
        pa.concat_arrays([x for _, x in pieces], memory_pool=_pool())
        if pieces
        else pa.array([], pa.large_string())
    )
    pieces.clear()
    position = np.empty(n, dtype=np.int64)
    position[rows] = np.arange(rows.size)
    return pc.take(texts, pa.array(position), memory_pool=_pool())


def reasons(blocks: list[Any]) -> Any:
    """One column of the reasons of consecutive blocks of rows (:func:`reason_block`):
    on pandas 3 the default string dtype (``str``, kept as large_string chunks: no copy),
    object on pandas 2."""
    pa, _ = _arrow()
    return pa.chunked_array(blocks, type=pa.large_string()).to_pandas().array
