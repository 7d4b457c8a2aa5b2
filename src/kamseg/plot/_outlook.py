"""kamseg.plot outlook charts: P(alive) matrix, CLV and health distributions, KAM performance."""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kamseg._validation import examples, to_float
from kamseg.errors import SchemaError
from kamseg.evaluate import KAM_GROUP_LABELS, KAM_GROUPS
from kamseg.labels import Language
from kamseg.plot._common import (
    _FRACTION_METRICS,
    _axes,
    _categories,
    _col,
    _finish,
    _kept,
    _names,
    _numbers,
    _percent_axis,
    _short,
    _start,
    _t,
    _with_note,
)

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from matplotlib.axes import Axes


def _frequency_edges(f: np.ndarray) -> np.ndarray:
    """Row edges [a, b) of the P(alive) matrix: whole numbers, or deciles when many."""
    low, high = math.floor(float(f.min())), math.floor(float(f.max()))
    if high - low + 1 <= 12:
        return np.arange(low, high + 2, dtype=np.float64)
    inner = np.ceil(np.quantile(f, np.linspace(0, 1, 11))[1:-1])
    edges: np.ndarray = np.unique(np.concatenate(([low], inner, [high + 1])))
    return edges


def p_alive_matrix(
    customers: pd.DataFrame,
    *,
    ax: Axes | None = None,
    labels: Language = "en",
    frequency_col: Hashable = "frequency",
    recency_col: Hashable = "recency",
    T_col: Hashable = "T",
    p_alive_col: Hashable = "p_alive",
) -> Axes:
    """Plot the mean P(alive) of customers by frequency (rows) and recency (columns).

    Like lifetimes' ``plot_probability_alive_matrix``, but from the table's own P(alive)
    column (e.g. written by :func:`kamseg.clv.predict`) rather than from a model over a
    grid: each cell is the mean P(alive) of the customers in it, blank when empty. Among
    customers with the same frequency, those who bought recently (right) are the most
    likely to be alive.

    Parameters
    ----------
    customers
        One row per customer with the BTYD columns of :func:`kamseg.summarize` and a
        P(alive) column. Not modified.
    ax
        The axes to draw on; ``None`` (default) draws on a new figure. A colour bar is
        added next to it.
    labels
        Language of the texts: ``"en"`` or ``"zh"``.
    frequency_col, recency_col, T_col, p_alive_col
        Repeat purchases, BTYD recency (periods from the first to the last purchase), T
        (first purchase to the observation date, in the same periods) and P(alive)
        (0..1). Defaults ``"frequency"``, ``"recency"``, ``"T"``, ``"p_alive"``.

    Returns
    -------
    matplotlib.axes.Axes
        `ax` (or the new axes). ``ax.collections[0].get_array()`` is the matrix of means
        (masked array, rows from the lowest frequency).

    Raises
    ------
    ColumnNotFoundError
        If a column is missing.
    SchemaError
        If values are not numbers or are infinite, P(alive) is outside 0..1, or recency
        is negative or larger than T (the columns are likely swapped).
    EmptyInputError
        If `customers` is empty or no row has all four values.
    ConfigError
        If `labels` is invalid.
    ImportError
        If matplotlib is not installed.

    Notes
    -----
    **Columns** are 10 equal recency bins over ``[0, max T]``: a customer is in column
    ``min(floor(10 * recency / max T), 9)``. **Rows** are left-closed frequency bins
    ``[a, b)``: one per whole number from the lowest to the highest frequency when that is
    at most 12 rows; otherwise the edges are the lowest frequency, the deciles 10 %..90 %
    rounded up, and the highest frequency + 1 (duplicates merged), so that each row holds
    about a tenth of the customers.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from kamseg.plot import p_alive_matrix
    >>> customers = pd.DataFrame(
    ...     {"frequency": [0, 1, 1, 2], "recency": [0.0, 5, 10, 10], "T": [10.0, 10, 10, 10],
    ...      "p_alive": [1.0, 0.4, 0.9, 0.95]}
    ... )
    >>> ax = p_alive_matrix(customers)
    >>> matrix = ax.collections[0].get_array()
    >>> matrix.shape, float(matrix[1, 5]), float(matrix[1, 9]), float(matrix[2, 9])
    ((3, 10), 0.4, 0.9, 0.95)
    >>> plt.close("all")
    """
    func = "p_alive_matrix"
    cols = {
        "frequency_col": frequency_col,
        "recency_col": recency_col,
        "T_col": T_col,
        "p_alive_col": p_alive_col,
    }
    lang = _start(customers, func=func, columns=cols, ax=ax, labels=labels)
    f, r, t, p = (_numbers(customers, c, func=func) for c in cols.values())
    keep = ~(np.isnan(f) | np.isnan(r) | np.isnan(t) | np.isnan(p))
    note = _kept(keep, list(cols.values()), lang=lang, func=func)
    f, r, t, p = f[keep], r[keep], t[keep], p[keep]
    bad = (p < 0) | (p > 1)
    if bad.any():
        raise SchemaError(
            f"{func}: {int(bad.sum())} value(s) of column {p_alive_col!r} are outside 0..1; "
            f"examples: {examples(p[bad])}. Hint: pass the probability column as "
            "`p_alive_col`."
        )
    bad = (r < 0) | (r > t * (1 + 1e-9) + 1e-9)
    if bad.any():
        raise SchemaError(
            f"{func}: {int(bad.sum())} customer(s) have a recency ({recency_col!r}) below 0 "
            f"or above T ({T_col!r}); (recency, T) examples: "
            f"{examples(zip(r[bad].tolist(), t[bad].tolist(), strict=True))}. Hint: recency "
            "runs from the first to the last purchase and T to the observation date; check "
            "that the columns are not swapped."
        )
    t_max = float(t.max()) if t.max() > 0 else 1.0
    x_edges = np.linspace(0.0, t_max, 11)
    column = np.minimum(np.floor(10 * r / t_max), 9).astype(np.int64)
    y_edges = _frequency_edges(f)
    row = np.searchsorted(y_edges, f, side="right") - 1
    n_rows = y_edges.size - 1
    cell = row * 10 + column
    counts = np.bincount(cell, minlength=n_rows * 10).reshape(n_rows, 10)
    sums = np.bincount(cell, weights=p, minlength=n_rows * 10).reshape(n_rows, 10)
    means = np.ma.masked_array(
        np.divide(sums, counts, out=np.full(counts.shape, np.nan), where=counts > 0),
        mask=counts == 0,
    )

    ax = _axes(ax, (7.5, 5.0))
    mesh = ax.pcolormesh(x_edges, np.arange(n_rows + 1), means, cmap="RdYlGn", vmin=0.0, vmax=1.0)
    for i in range(n_rows):
        for j in range(10):
            if counts[i, j]:
                m = float(means[i, j])
                ax.text(
                    (x_edges[j] + x_edges[j + 1]) / 2,
                    i + 0.5,
                    f"{m:.2f}",
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if m < 0.2 or m > 0.85 else "black",
                )
    whole = bool(np.all(f == np.round(f)))
    row_labels = []
    for a, b in itertools.pairwise(y_edges):
        if whole:
            row_labels.append(f"{a:g}" if b - a == 1 else f"{a:g}–{b - 1:g}")
        else:
            row_labels.append(f"[{a:g}, {b:g})")
    ax.set_yticks(np.arange(n_rows) + 0.5, row_labels)
    ax.set_xlim(0.0, t_max)
    bar = ax.figure.colorbar(mesh, ax=ax)
    bar.set_label(_col("p_alive", lang))
    ax.set_title(_t("p_alive_title", lang))
    ax.set_xlabel(_with_note(_t("p_alive_x", lang), note))
    ax.set_ylabel(_t("p_alive_y", lang))
    return _finish(ax, lang, func=func, extra=[bar.ax])


# --------------------------------------------------------------------------------------
# distributions
# --------------------------------------------------------------------------------------


def clv_distribution(
    customers: pd.DataFrame,
    *,
    clv_col: Hashable = "clv",
    ax: Axes | None = None,
    labels: Language = "en",
) -> Axes:
    """Plot the histogram of customer lifetime value, with the mean and the median marked.

    Lifetime values are heavily skewed (a few customers are worth most of the total), so
    the histogram switches to log-spaced bins and a log x-axis when every value is
    >= 0 and the largest is more than 100 times the median. Then values below a
    thousandth of the median (customers almost surely gone) are counted in the first bar,
    and the x-axis label says how many.

    Parameters
    ----------
    customers
        One row per customer with a CLV column, e.g. from :func:`kamseg.clv.predict`. Not
        modified.
    clv_col
        The lifetime value. Default ``"clv"``; ``"profit_clv"`` (which can be negative)
        works too. Rows with a null value are left out.
    ax
        The axes to draw on; ``None`` (default) draws on a new figure.
    labels
        Language of the texts: ``"en"`` or ``"zh"``.

    Returns
    -------
    matplotlib.axes.Axes
        `ax` (or the new axes): ``ax.patches`` are the bars (their heights add up to the
        customers shown); the lines are the mean and the median, in that order.

    Raises
    ------
    ColumnNotFoundError
        If `clv_col` is missing.
    SchemaError
        If the values are not numbers or are infinite.
    EmptyInputError
        If `customers` is empty or every value is null.
    ConfigError
        If `labels` is invalid.
    ImportError
        If matplotlib is not installed.

    Notes
    -----
    Linear bins are numpy's ``"auto"`` bins, at most 50. Log bins are 40 bins spaced
    evenly in log scale from the smallest value (or a thousandth of the median, if
    larger) to the largest.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from kamseg.plot import clv_distribution
    >>> customers = pd.DataFrame({"clv": [100.0, 120, 150, 200, 1_000, 50_000]})
    >>> ax = clv_distribution(customers)
    >>> ax.get_xscale(), int(sum(p.get_height() for p in ax.patches))
    ('log', 6)
    >>> [line.get_xdata()[0] for line in ax.get_lines()]
    [8595.0, 175.0]
    >>> plt.close("all")
    """
    func = "clv_distribution"
    lang = _start(customers, func=func, columns={"clv_col": clv_col}, ax=ax, labels=labels)
    x = _numbers(customers, clv_col, func=func)
    keep = ~np.isnan(x)
    note = _kept(keep, [clv_col], lang=lang, func=func)
    x = x[keep]
    mean, median = float(np.mean(x)), float(np.median(x))
    low, high = float(x.min()), float(x.max())
    log = low >= 0 and median > 0 and high > 100 * median
    floor_note = ""
    if log:
        start = max(low, median / 1000)
        edges = np.geomspace(start, high, 41)
        below = int(np.count_nonzero(x < start))
        if below:
            floor_note = _t("clv_floor", lang, n=below, x=_short(start))
        drawn = np.clip(x, start, None)
    else:
        edges = np.histogram_bin_edges(x, bins="auto")
        if edges.size > 51:
            edges = np.linspace(low, high, 51)
        drawn = x
    heights, edges = np.histogram(drawn, bins=edges)

    value = _col(clv_col, lang)
    ax = _axes(ax)
    ax.bar(
        edges[:-1],
        heights,
        width=np.diff(edges),
        align="edge",
        color="tab:blue",
        alpha=0.75,
        edgecolor="white",
        linewidth=0.5,
    )
    ax.axvline(mean, color="tab:red", linewidth=1.5, label=_t("mean", lang, x=_short(mean)))
    ax.axvline(
        median,
        color="tab:orange",
        linestyle="--",
        linewidth=1.5,
        label=_t("median", lang, x=_short(median)),
    )
    if log:
        ax.set_xscale("log")
        xlabel = _t("clv_log", lang, value=value)
    else:
        xlabel = value
    ax.set_title(_t("clv_title", lang, value=value))
    ax.set_xlabel(_with_note(xlabel, note, floor_note))
    ax.set_ylabel(_t("customers", lang))
    ax.legend(loc="upper right")
    return _finish(ax, lang, func=func)


def health_distribution(
    customers: pd.DataFrame,
    *,
    score_col: Hashable = "health_score",
    band_col: Hashable = "health_band",
    ax: Axes | None = None,
    labels: Language = "en",
) -> Axes:
    """Plot the histogram of health scores, stacked and coloured by health band.

    Bars are 5 points wide over 0..100; each band (worst first: red, amber, green by
    default) is one colour from red to green, and the legend gives its customers.

    Parameters
    ----------
    customers
        One row per customer, e.g. from :func:`kamseg.health_score`. Not modified.
    score_col
        The health score (0..100). Default ``"health_score"``. Rows without a score or
        band (e.g. customers whose inputs were too sparse) are left out.
    band_col
        The band. Categorical bands keep their order (worst first, empty bands
        included); kamseg's band names in a plain column get kamseg's order; other
        plain columns are sorted. Default ``"health_band"``.
    ax
        The axes to draw on; ``None`` (default) draws on a new figure.
    labels
        Language of the texts and of kamseg's band names: ``"en"`` or ``"zh"``.

    Returns
    -------
    matplotlib.axes.Axes
        `ax` (or the new axes). ``ax.containers`` holds one set of bars per band, in band
        order; the bars of a bin add up to the customers in it.

    Raises
    ------
    ColumnNotFoundError
        If `score_col` or `band_col` is missing.
    SchemaError
        If the scores are not numbers or are infinite.
    EmptyInputError
        If `customers` is empty or no row has both a score and a band.
    ConfigError
        If `labels` is invalid.
    ImportError
        If matplotlib is not installed.

    Notes
    -----
    The 20 bins are ``[0, 5), [5, 10), ..., [95, 100]``; scores outside 0..100 widen the
    range (still 20 bins).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from kamseg.plot import health_distribution
    >>> bands = pd.Categorical(["red", "amber", "green", "green"],
    ...                        categories=["red", "amber", "green"], ordered=True)
    >>> health = pd.DataFrame({"health_score": [12.0, 55, 80, 99], "health_band": bands})
    >>> ax = health_distribution(health)
    >>> [int(sum(p.get_height() for p in bars)) for bars in ax.containers]
    [1, 1, 2]
    >>> plt.close("all")
    """
    func = "health_distribution"
    lang = _start(
        customers,
        func=func,
        columns={"score_col": score_col, "band_col": band_col},
        ax=ax,
        labels=labels,
    )
    score = _numbers(customers, score_col, func=func)
    band = customers[band_col]
    keep = ~np.isnan(score) & band.notna().to_numpy()
    note = _kept(keep, [score_col, band_col], lang=lang, func=func)
    score = score[keep]
    names, codes = _categories(band[keep], band_col)
    k = len(names)
    low, high = min(float(score.min()), 0.0), max(float(score.max()), 100.0)
    edges = np.linspace(low, high, 21)

    from matplotlib import colormaps

    colours = colormaps["RdYlGn"](np.linspace(0.1, 0.9, k) if k > 1 else [0.9])
    ax = _axes(ax)
    bottom = np.zeros(edges.size - 1)
    shown = _names(names, lang, band_col)
    for i in range(k):
        heights, _ = np.histogram(score[codes == i], bins=edges)
        ax.bar(
            edges[:-1],
            heights,
            width=np.diff(edges),
            bottom=bottom,
            align="edge",
            color=colours[i],
            edgecolor="white",
            linewidth=0.5,
            label=f"{shown[i]} ({int(np.count_nonzero(codes == i)):,})",
        )
        bottom += heights
    ax.set_xlim(low, high)
    ax.set_title(_t("health_title", lang))
    ax.set_xlabel(_with_note(_col("health_score", lang), note))
    ax.set_ylabel(_t("customers", lang))
    ax.legend(loc="upper left")
    return _finish(ax, lang, func=func)


# --------------------------------------------------------------------------------------
# key-account performance
# --------------------------------------------------------------------------------------


def kam_performance_plot(
    performance: pd.DataFrame,
    *,
    metric_col: Hashable = "revenue_growth",
    ax: Axes | None = None,
    labels: Language = "en",
) -> Axes:
    """Plot a measure of :func:`kamseg.kam_performance` per period: key accounts vs others.

    One line per group: key accounts, other customers, and (thin, dashed) all customers.
    Periods that end after the observation date (``partial``) are shaded and starred:
    their values are not comparable with full periods.

    Parameters
    ----------
    performance
        The table returned by :func:`kamseg.kam_performance`, indexed by (``period``,
        ``group``), in English or Chinese group names. Not modified.
    metric_col
        The column to plot. Default ``"revenue_growth"`` (sales growth, the first measure
        of a KAM programme); e.g. ``"revenue"``, ``"revenue_share"``, ``"retention_rate"``,
        ``"churn_rate"``, ``"active_customers"``, ``"nps"`` or ``"csat"``. Fractions
        (growth, share and rates) are shown as percentages.
    ax
        The axes to draw on; ``None`` (default) draws on a new figure.
    labels
        Language of the texts: ``"en"`` or ``"zh"``.

    Returns
    -------
    matplotlib.axes.Axes
        `ax` (or the new axes). Its first lines are the groups in the order key, other,
        all; x is the position of the period (0, 1, ...), y the metric (NaN where
        undefined, e.g. growth in the first period).

    Raises
    ------
    ColumnNotFoundError
        If `metric_col` is missing.
    SchemaError
        If `performance` is not indexed by unique (period, group) pairs with kamseg's
        groups, or `metric_col` is not numeric.
    EmptyInputError
        If `performance` is empty.
    ConfigError
        If `labels` is invalid.
    ImportError
        If matplotlib is not installed.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from kamseg.evaluate import kam_performance
    >>> from kamseg.plot import kam_performance_plot
    >>> tx = pd.DataFrame(
    ...     {
    ...         "customer_id": ["a", "b", "c", "a", "c", "a", "b"],
    ...         "date": ["2024-01-10", "2024-02-01", "2024-03-05", "2024-04-20",
    ...                  "2024-05-02", "2024-07-01", "2024-08-15"],
    ...         "amount": [100.0, 200, 50, 150, 50, 120, 300],
    ...     }
    ... )
    >>> performance = kam_performance(tx, key_accounts=["a", "b"], as_of="2024-09-30")
    >>> ax = kam_performance_plot(performance, metric_col="revenue")
    >>> ax.get_lines()[0].get_ydata().tolist()  # key accounts
    [300.0, 150.0, 420.0]
    >>> plt.close("all")
    """
    func = "kam_performance_plot"
    lang = _start(
        performance,
        func=func,
        columns={"metric_col": metric_col},
        ax=ax,
        labels=labels,
        arg="performance",
    )
    index = performance.index
    names = list(index.names)
    if not isinstance(index, pd.MultiIndex) or not {"period", "group"} <= set(names):
        raise SchemaError(
            f"{func}: `performance` must be indexed by (period, group); its index levels "
            f"are {names!r}. Hint: pass the table kamseg.kam_performance returns, unchanged."
        )
    if not index.is_unique:
        raise SchemaError(
            f"{func}: `performance` has duplicated (period, group) rows. Hint: pass the "
            "table kamseg.kam_performance returns, unchanged."
        )
    to_group = {row[lang_]: g for g, row in KAM_GROUP_LABELS.items() for lang_ in ("en", "zh")}
    group_values = [str(g) for g in index.get_level_values("group")]
    unknown = sorted({g for g in group_values if g not in to_group})
    if unknown:
        raise SchemaError(
            f"{func}: `performance` has unknown group(s) {', '.join(map(repr, unknown))}; "
            f"expected {', '.join(map(repr, KAM_GROUPS))}. Hint: pass the table "
            "kamseg.kam_performance returns, unchanged."
        )
    values = to_float(performance[metric_col], func=func, col=str(metric_col))
    groups = np.array([to_group[g] for g in group_values])
    periods = index.get_level_values("period")
    shown = periods.unique()
    n = len(shown)
    partial = np.zeros(n, dtype=bool)
    if "partial" in performance.columns:
        flags = pd.Series(performance["partial"].to_numpy(dtype=bool), index=periods)
        partial = flags.groupby(level=0, sort=False).any().reindex(shown).to_numpy(dtype=bool)

    ax = _axes(ax, (8.0, 4.5))
    x = np.arange(n)
    styles: dict[str, dict[str, Any]] = {
        "key": {"color": "tab:blue", "linewidth": 2, "marker": "o"},
        "other": {"color": "tab:orange", "linewidth": 2, "marker": "s"},
        "all": {"color": "grey", "linewidth": 1, "linestyle": "--", "marker": "."},
    }
    for g in KAM_GROUPS:
        mask = groups == g
        if mask.any():
            y = pd.Series(values[mask], index=periods[mask]).reindex(shown).to_numpy()
            ax.plot(x, y, label=_t(f"group.{g}", lang), **styles[g])
    for i in np.flatnonzero(partial):
        ax.axvspan(i - 0.5, i + 0.5, color="0.92", zorder=0)
    step = max(1, math.ceil(n / 12))
    ticks = x[::step]
    tick_labels = [f"{shown[i]}{'*' if partial[i] else ''}" for i in ticks]
    if len(ticks) > 6:
        ax.set_xticks(ticks, tick_labels, rotation=45, ha="right")
    else:
        ax.set_xticks(ticks, tick_labels)
    ax.set_xlim(-0.5, n - 0.5)
    if metric_col in _FRACTION_METRICS:
        _percent_axis(ax.yaxis)
    if metric_col == "revenue_growth":
        ax.axhline(0.0, color="black", linewidth=0.8)
    shown_metric = _col(metric_col, lang)
    ax.set_title(_t("kam_title", lang, metric=shown_metric))
    ax.set_xlabel(_with_note(_t("kam_x", lang), _t("kam_partial", lang) if partial.any() else ""))
    ax.set_ylabel(shown_metric)
    ax.legend(loc="best")
    return _finish(ax, lang, func=func)
