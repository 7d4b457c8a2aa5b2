"""kamseg.plot class charts: lifecycle funnel, RFM heat map."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kamseg.labels import Language
from kamseg.plot._common import (
    _STAGE_COLOURS,
    _axes,
    _class_counts,
    _col,
    _finish,
    _kept,
    _names,
    _numbers,
    _pct,
    _short,
    _start,
    _t,
    _with_note,
)

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from matplotlib.axes import Axes


def lifecycle_funnel(
    customers: pd.DataFrame,
    *,
    stage_col: Hashable = "lifecycle_stage",
    ax: Axes | None = None,
    labels: Language = "en",
) -> Axes:
    """Plot the customers in each lifecycle stage as a funnel, first stage at the top.

    One centred bar per stage (potential, new, growing, mature, declining, churned for
    :func:`kamseg.lifecycle_stage`), as wide as its number of customers and labelled with
    that number and its share of all customers.

    Parameters
    ----------
    customers
        One row per customer with a stage column, e.g. from :func:`kamseg.lifecycle_stage`.
        Not modified.
    stage_col
        The stage column. Categorical stages are drawn in category order (empty stages
        included); kamseg's stage names in a plain column get the lifecycle order; other
        plain columns are sorted. Default ``"lifecycle_stage"``. Rows without a stage are
        left out.
    ax
        The axes to draw on; ``None`` (default) draws on a new figure.
    labels
        Language of the texts and of kamseg's stage names: ``"en"`` or ``"zh"``.

    Returns
    -------
    matplotlib.axes.Axes
        `ax` (or the new axes): ``ax.patches`` are the bars, first stage first, their
        widths the customers per stage.

    Raises
    ------
    ColumnNotFoundError
        If `stage_col` is missing.
    EmptyInputError
        If `customers` is empty or no row has a stage.
    ConfigError
        If `labels` is invalid.
    ImportError
        If matplotlib is not installed.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from kamseg.plot import lifecycle_funnel
    >>> stages = pd.DataFrame({"lifecycle_stage": ["new", "mature", "mature", "churned"]})
    >>> ax = lifecycle_funnel(stages)
    >>> [float(p.get_width()) for p in ax.patches]
    [1.0, 2.0, 1.0]
    >>> plt.close("all")
    """
    func = "lifecycle_funnel"
    lang = _start(customers, func=func, columns={"stage_col": stage_col}, ax=ax, labels=labels)
    names, counts, _, note = _class_counts(customers, stage_col, None, lang=lang, func=func)
    k = len(names)
    share = counts / counts.sum()

    from matplotlib import colormaps

    fallback = colormaps["tab10"]
    colours = [
        _STAGE_COLOURS.get(name, fallback(i % 10))
        for i, name in enumerate(_names(names, "en", stage_col))
    ]
    ax = _axes(ax)
    y = k - 1 - np.arange(k)  # first stage at the top
    widest = float(max(counts.max(), 1))
    ax.barh(
        y, counts.astype(float), left=-counts / 2, height=0.8, color=colours, edgecolor="white"
    )
    for i in range(k):
        ax.text(
            counts[i] / 2 + 0.03 * widest,
            y[i],
            _t("funnel_bar", lang, count=int(counts[i]), share=_pct(share[i])),
            va="center",
            ha="left",
            fontsize=9,
        )
    ax.set_yticks(y[::-1], _names(names, lang, stage_col)[::-1])
    ax.set_xticks([])
    ax.set_xlim(-0.55 * widest, 0.95 * widest)
    ax.set_ylim(-0.6, k - 0.4)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_title(_t("funnel_title", lang))
    ax.set_xlabel(_with_note(_t("customers", lang), note))
    return _finish(ax, lang, func=func)


# --------------------------------------------------------------------------------------
# grids
# --------------------------------------------------------------------------------------


def _levels(x: np.ndarray) -> np.ndarray:
    """The score levels of a grid axis: every whole number from min to max, or the values."""
    if np.all(x == np.round(x)) and x.max() - x.min() <= 100:
        out: np.ndarray = np.arange(x.min(), x.max() + 1)
        return out
    levels: np.ndarray = np.unique(x)
    return levels


def _cell_text_colour(value: float, low: float, high: float) -> str:
    frac = 0.5 if high <= low else (value - low) / (high - low)
    return "white" if frac > 0.6 else "black"


def rfm_heatmap(
    customers: pd.DataFrame,
    *,
    r_score_col: Hashable = "r_score",
    f_score_col: Hashable = "f_score",
    value_col: Hashable = "monetary_value",
    ax: Axes | None = None,
    labels: Language = "en",
) -> Axes:
    """Plot the mean value of the customers in each cell of the R x F score grid.

    Columns are recency scores (R, 1 on the left), rows frequency scores (F, 1 at the
    bottom); each cell is coloured by the mean of `value_col` and labelled with it and the
    number of customers (``n=...``). Cells without customers are blank.

    Parameters
    ----------
    customers
        One row per customer with RFM scores, e.g. from :func:`kamseg.rfm_scores`. Not
        modified.
    r_score_col, f_score_col
        The recency and frequency scores. Default ``"r_score"`` and ``"f_score"``. Whole
        scores give one row or column per score from the lowest to the highest, empty ones
        included.
    value_col
        The value averaged in each cell. Default ``"monetary_value"`` (the BTYD mean
        value of repeat purchases); ``"revenue"`` or ``"avg_order_value"`` work as well.
    ax
        The axes to draw on; ``None`` (default) draws on a new figure.
    labels
        Language of the texts: ``"en"`` or ``"zh"``.

    Returns
    -------
    matplotlib.axes.Axes
        `ax` (or the new axes). ``ax.images[0].get_array()`` is the grid of means (a
        masked array, rows F from the lowest score, columns R).

    Raises
    ------
    ColumnNotFoundError
        If a column is missing.
    SchemaError
        If scores or values are not numbers or are infinite.
    EmptyInputError
        If `customers` is empty or no row has all three values.
    ConfigError
        If `labels` is invalid.
    ImportError
        If matplotlib is not installed.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from kamseg.plot import rfm_heatmap
    >>> scores = pd.DataFrame(
    ...     {"r_score": [1, 2, 2, 2], "f_score": [1, 1, 1, 2], "monetary_value": [10.0, 20, 40, 5]}
    ... )
    >>> ax = rfm_heatmap(scores)
    >>> ax.images[0].get_array().tolist()
    [[10.0, 30.0], [None, 5.0]]
    >>> plt.close("all")
    """
    func = "rfm_heatmap"
    lang = _start(
        customers,
        func=func,
        columns={"r_score_col": r_score_col, "f_score_col": f_score_col, "value_col": value_col},
        ax=ax,
        labels=labels,
    )
    r = _numbers(customers, r_score_col, func=func)
    f = _numbers(customers, f_score_col, func=func)
    v = _numbers(customers, value_col, func=func)
    keep = ~(np.isnan(r) | np.isnan(f) | np.isnan(v))
    note = _kept(keep, [r_score_col, f_score_col, value_col], lang=lang, func=func)
    r, f, v = r[keep], f[keep], v[keep]
    r_levels, f_levels = _levels(r), _levels(f)
    cell = np.searchsorted(f_levels, f) * r_levels.size + np.searchsorted(r_levels, r)
    size = f_levels.size * r_levels.size
    counts = np.bincount(cell, minlength=size).reshape(f_levels.size, r_levels.size)
    sums = np.bincount(cell, weights=v, minlength=size).reshape(counts.shape)
    means = np.ma.masked_array(
        np.divide(sums, counts, out=np.full(counts.shape, np.nan), where=counts > 0),
        mask=counts == 0,
    )

    ax = _axes(ax, (6.5, 5.0))
    ax.imshow(means, origin="lower", cmap="YlGnBu", aspect="auto", interpolation="nearest")
    low, high = float(means.min()), float(means.max())
    small = counts.shape[0] <= 6 and counts.shape[1] <= 6
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            if counts[i, j]:
                ax.text(
                    j,
                    i,
                    f"{_short(float(means[i, j]))}\nn={counts[i, j]:,}",
                    ha="center",
                    va="center",
                    fontsize=8 if small else 6,
                    color=_cell_text_colour(float(means[i, j]), low, high),
                )
    ax.set_xticks(np.arange(r_levels.size), [f"{x:g}" for x in r_levels])
    ax.set_yticks(np.arange(f_levels.size), [f"{x:g}" for x in f_levels])
    value = _col(value_col, lang)
    ax.set_title(_t("rfm_title", lang, value=value))
    ax.set_xlabel(_with_note(_t("rfm_x", lang), note))
    ax.set_ylabel(_t("rfm_y", lang))
    return _finish(ax, lang, func=func)
