"""kamseg.plot value charts: Lorenz/Pareto curve, whale curve, pyramid, segment sizes."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kamseg import pareto as _pareto
from kamseg.labels import Language
from kamseg.plot._common import (
    _axes,
    _class_counts,
    _col,
    _finish,
    _kept,
    _names,
    _numbers,
    _pct,
    _percent_axis,
    _side,
    _start,
    _t,
    _value_shares,
    _with_note,
)

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from matplotlib.axes import Axes


def lorenz_curve(
    customers: pd.DataFrame,
    *,
    value_col: Hashable = "revenue",
    ax: Axes | None = None,
    labels: Language = "en",
) -> Axes:
    """Plot the Pareto (Lorenz) curve of a value: cumulative share of value by customer share.

    Customers are ranked by value, largest first; the curve gives the share of the total
    value made by the top x % of customers. The diagonal is equal shares; the legend gives
    the Gini coefficient and the red point marks the share of customers making 80 % of the
    value (numbers from :func:`kamseg.concentration`).

    Parameters
    ----------
    customers
        One row per customer (e.g. from :func:`kamseg.summarize`). Not modified.
    value_col
        The value: ``"revenue"`` (default), ``"profit"``, ``"clv"``, ... Negative values
        count as 0, with a :class:`~kamseg.errors.KamsegWarning` (as in
        :func:`kamseg.concentration`); rows with a null value are left out (see the module
        notes).
    ax
        The axes to draw on; ``None`` (default) draws on a new figure.
    labels
        Language of the texts: ``"en"`` or ``"zh"``.

    Returns
    -------
    matplotlib.axes.Axes
        `ax` (or the new axes). Its first line is the curve: ``n + 1`` points from (0, 0)
        to (1, 1), x the share of customers, y the share of value of the top customers.

    Raises
    ------
    ColumnNotFoundError
        If `value_col` is missing.
    SchemaError
        If the values are not numbers, are infinite, or sum to 0.
    EmptyInputError
        If `customers` is empty or every value is null.
    ConfigError
        If `labels` is invalid.
    ImportError
        If matplotlib is not installed.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from kamseg.plot import lorenz_curve
    >>> customers = pd.DataFrame({"revenue": [10.0, 50.0, 30.0, 10.0]})
    >>> ax = lorenz_curve(customers)
    >>> ax.get_lines()[0].get_ydata().tolist()
    [0.0, 0.5, 0.8, 0.9, 1.0]
    >>> plt.close("all")
    """
    func = "lorenz_curve"
    lang = _start(customers, func=func, columns={"value_col": value_col}, ax=ax, labels=labels)
    x = _numbers(customers, value_col, func=func)
    keep = ~np.isnan(x)
    note = _kept(keep, [value_col], lang=lang, func=func)
    conc = _pareto.concentration(pd.Series(x[keep], name=str(value_col)))

    n = conc.n_customers
    share = conc.lorenz["cum_customer_share"].to_numpy()
    # the top k customers make 1 - (the bottom n - k customers' share)
    curve = 1.0 - conc.lorenz["cum_value_share"].to_numpy()[::-1]
    curve[0], curve[-1] = 0.0, 1.0
    k = round(conc.customers_for_target * n)
    px, py = k / n, float(curve[k])

    value = _col(value_col, lang)
    ax = _axes(ax)
    ax.plot(
        share,
        curve,
        color="tab:blue",
        linewidth=2,
        label=_t("lorenz_line", lang, value=value, gini=conc.gini),
    )
    ax.plot(
        [0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label=_t("lorenz_equal", lang)
    )
    ax.plot([px, px, 0], [0, py, py], color="tab:red", linestyle=":", linewidth=1)
    ax.plot([px], [py], "o", color="tab:red")
    ax.annotate(
        _t("lorenz_point", lang, customers=_pct(px), target=_pct(conc.target), value=value),
        xy=(px, py),
        xytext=(14, -36),
        textcoords="offset points",
        ha=_side(px),
        fontsize=9,
        arrowprops={"arrowstyle": "->", "color": "tab:red"},
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    _percent_axis(ax.xaxis)
    _percent_axis(ax.yaxis)
    ax.set_title(_t("lorenz_title", lang, value=value))
    ax.set_xlabel(_with_note(_t("lorenz_x", lang, value=value), note))
    ax.set_ylabel(_t("share_of", lang, value=value))
    ax.legend(loc="lower right")
    return _finish(ax, lang, func=func)


def whale_curve(
    customers: pd.DataFrame,
    *,
    profit_col: Hashable = "profit",
    ax: Axes | None = None,
    labels: Language = "en",
) -> Axes:
    """Plot the profit whale curve: cumulative profit, most profitable customers first.

    The curve rises through the profitable customers to its peak (marked and labelled) and
    falls through the loss-making ones to the total profit (the dashed line at 100 %).
    Numbers from :func:`kamseg.whale_curve`.

    Parameters
    ----------
    customers
        One row per customer. Not modified.
    profit_col
        Profit per customer; negative profits are expected. Default ``"profit"``. Rows
        with a null profit are left out.
    ax
        The axes to draw on; ``None`` (default) draws on a new figure.
    labels
        Language of the texts: ``"en"`` or ``"zh"``.

    Returns
    -------
    matplotlib.axes.Axes
        `ax` (or the new axes). Its first line is the curve, ``n + 1`` points from (0, 0):
        y is the cumulative share of total profit, or, when the total profit is <= 0
        (shares undefined; :func:`kamseg.whale_curve` warns), the cumulative profit.

    Raises
    ------
    ColumnNotFoundError
        If `profit_col` is missing.
    SchemaError
        If profits are not numbers or are infinite.
    EmptyInputError
        If `customers` is empty or every profit is null.
    ConfigError
        If `labels` is invalid.
    ImportError
        If matplotlib is not installed.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from kamseg.plot import whale_curve
    >>> customers = pd.DataFrame({"profit": [50.0, 30.0, 10.0, -40.0]})
    >>> ax = whale_curve(customers)
    >>> ax.get_lines()[0].get_ydata().round(2).tolist()
    [0.0, 1.0, 1.6, 1.8, 1.0]
    >>> plt.close("all")
    """
    func = "whale_curve"
    lang = _start(customers, func=func, columns={"profit_col": profit_col}, ax=ax, labels=labels)
    x = _numbers(customers, profit_col, func=func)
    keep = ~np.isnan(x)
    note = _kept(keep, [profit_col], lang=lang, func=func)
    curve = _pareto.whale_curve(pd.Series(x[keep], name=str(profit_col)))
    points = curve.points

    value = _col(profit_col, lang)
    shares = curve.total_profit > 0
    if shares:
        y = points["cum_profit_share"].to_numpy()
        peak, total = curve.peak_profit_share, 1.0
        peak_text = _t(
            "whale_peak",
            lang,
            customers=_pct(curve.peak_customer_share),
            profit=_pct(peak),
            value=value,
        )
    else:
        y = points["cum_profit"].to_numpy()
        peak, total = curve.peak_profit, curve.total_profit
        peak_text = _t(
            "whale_peak_amount",
            lang,
            customers=_pct(curve.peak_customer_share),
            profit=f"{peak:,.0f}",
        )

    ax = _axes(ax)
    ax.plot(points["cum_customer_share"], y, color="tab:green", linewidth=2, label=value)
    ax.axhline(
        total,
        color="grey",
        linestyle="--",
        linewidth=1,
        label=_t("whale_total", lang, value=value),
    )
    ax.plot([curve.peak_customer_share], [peak], "o", color="tab:red")
    ax.annotate(
        peak_text,
        xy=(curve.peak_customer_share, peak),
        xytext=(0, -40),
        textcoords="offset points",
        ha=_side(curve.peak_customer_share),
        fontsize=9,
        arrowprops={"arrowstyle": "->", "color": "tab:red"},
    )
    low, high = min(float(np.min(y)), 0.0), max(float(np.max(y)), total)
    pad = 0.08 * (high - low or 1.0)
    ax.set_xlim(0, 1)
    ax.set_ylim(low - pad, high + pad)
    _percent_axis(ax.xaxis)
    if shares:
        _percent_axis(ax.yaxis)
        ax.set_ylabel(_t("whale_y", lang, value=value))
    else:
        ax.set_ylabel(_t("whale_y_amount", lang, value=value))
    ax.set_title(_t("whale_title", lang, value=value))
    ax.set_xlabel(_with_note(_t("whale_x", lang), note))
    ax.legend(loc="lower left")
    return _finish(ax, lang, func=func)


# --------------------------------------------------------------------------------------
# tiers, segments, stages
# --------------------------------------------------------------------------------------


def pyramid_chart(
    customers: pd.DataFrame,
    *,
    tier_col: Hashable = "pyramid_tier",
    value_col: Hashable = "revenue",
    ax: Axes | None = None,
    labels: Language = "en",
) -> Axes:
    """Plot the customer pyramid: one centred bar per tier, top tier at the top.

    Each bar is as wide as the tier's number of customers, and is labelled with that
    number, the tier's share of customers and its share of the total value.

    Parameters
    ----------
    customers
        One row per customer with a tier column, e.g. from :func:`kamseg.pyramid`. Not
        modified.
    tier_col
        The tier column. Categorical tiers are drawn in category order, the last (best)
        category at the top, empty tiers included; kamseg's tier names in a plain column
        get kamseg's order; other plain columns are sorted. Default ``"pyramid_tier"``.
    value_col
        The value whose share each tier makes. Default ``"revenue"``. Shares are of the
        sum of all values (no clipping); they are "–" when that sum is <= 0.
    ax
        The axes to draw on; ``None`` (default) draws on a new figure.
    labels
        Language of the texts and of kamseg's tier names: ``"en"`` or ``"zh"``.

    Returns
    -------
    matplotlib.axes.Axes
        `ax` (or the new axes): ``ax.patches`` are the bars, bottom (worst tier) to top,
        their widths the customers per tier.

    Raises
    ------
    ColumnNotFoundError
        If `tier_col` or `value_col` is missing.
    SchemaError
        If the values are not numbers or are infinite.
    EmptyInputError
        If `customers` is empty, or no row has both a tier and a value.
    ConfigError
        If `labels` is invalid.
    ImportError
        If matplotlib is not installed.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from kamseg.plot import pyramid_chart
    >>> tiers = pd.Categorical(
    ...     ["Small", "Small", "Big", "Top"], categories=["Small", "Big", "Top"], ordered=True
    ... )
    >>> customers = pd.DataFrame({"pyramid_tier": tiers, "revenue": [10.0, 20.0, 30.0, 40.0]})
    >>> ax = pyramid_chart(customers)
    >>> [float(p.get_width()) for p in ax.patches]
    [2.0, 1.0, 1.0]
    >>> plt.close("all")
    """
    func = "pyramid_chart"
    lang = _start(
        customers,
        func=func,
        columns={"tier_col": tier_col, "value_col": value_col},
        ax=ax,
        labels=labels,
    )
    names, counts, sums, note = _class_counts(customers, tier_col, value_col, lang=lang, func=func)
    k = len(names)
    customer_share = counts / counts.sum()
    value_share = _value_shares(sums)
    value = _col(value_col, lang)

    from matplotlib import colormaps

    ax = _axes(ax)
    y = np.arange(k)
    widest = float(max(counts.max(), 1))
    colours = colormaps["Blues"](np.linspace(0.35, 0.9, k))
    ax.barh(
        y, counts.astype(float), left=-counts / 2, height=0.8, color=colours, edgecolor="white"
    )
    for i in range(k):
        ax.text(
            counts[i] / 2 + 0.03 * widest,
            y[i],
            _t(
                "pyramid_bar",
                lang,
                count=int(counts[i]),
                customer_share=_pct(customer_share[i]),
                value_share=_pct(value_share[i]),
                value=value,
            ),
            va="center",
            ha="left",
            fontsize=9,
        )
    ax.set_yticks(y, _names(names, lang, tier_col))
    ax.set_xticks([])
    ax.set_xlim(-0.55 * widest, 1.45 * widest)
    ax.set_ylim(-0.6, k - 0.4)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_title(_t("pyramid_title", lang, value=value))
    ax.set_xlabel(_with_note(_t("customers", lang), note))
    return _finish(ax, lang, func=func)


def segment_sizes(
    customers: pd.DataFrame,
    *,
    segment_col: Hashable = "rfm_segment",
    value_col: Hashable = "revenue",
    ax: Axes | None = None,
    labels: Language = "en",
) -> Axes:
    """Plot the share of customers and the share of value of each segment.

    Two horizontal bars per segment: the share of customers (labelled with the number of
    customers) and the share of the total value (labelled with the percentage), so that
    segments worth more than their size stand out.

    Parameters
    ----------
    customers
        One row per customer with a segment column, e.g. from :func:`kamseg.rfm_segments`.
        Not modified.
    segment_col
        The segment column. Categorical segments keep their order (empty ones included),
        the first category at the bottom and the last (best) at the top; plain columns of
        kamseg's names get kamseg's order; other plain columns are sorted. Default
        ``"rfm_segment"``.
    value_col
        The value whose share each segment makes. Default ``"revenue"``. Shares are of the
        sum of all values; the value bars are empty when that sum is <= 0.
    ax
        The axes to draw on; ``None`` (default) draws on a new figure.
    labels
        Language of the texts and of kamseg's segment names: ``"en"`` or ``"zh"``.

    Returns
    -------
    matplotlib.axes.Axes
        `ax` (or the new axes). ``ax.containers[0]`` holds the customer-share bars and
        ``ax.containers[1]`` the value-share bars, one per segment in order.

    Raises
    ------
    ColumnNotFoundError
        If `segment_col` or `value_col` is missing.
    SchemaError
        If the values are not numbers or are infinite.
    EmptyInputError
        If `customers` is empty, or no row has both a segment and a value.
    ConfigError
        If `labels` is invalid.
    ImportError
        If matplotlib is not installed.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from kamseg.plot import segment_sizes
    >>> customers = pd.DataFrame(
    ...     {"rfm_segment": ["Lost", "Lost", "Lost", "Champions"], "revenue": [5.0, 5, 10, 80]}
    ... )
    >>> ax = segment_sizes(customers)
    >>> [float(p.get_width()) for p in ax.containers[0]]
    [0.75, 0.25]
    >>> [float(p.get_width()) for p in ax.containers[1]]
    [0.2, 0.8]
    >>> plt.close("all")
    """
    func = "segment_sizes"
    lang = _start(
        customers,
        func=func,
        columns={"segment_col": segment_col, "value_col": value_col},
        ax=ax,
        labels=labels,
    )
    names, counts, sums, note = _class_counts(
        customers, segment_col, value_col, lang=lang, func=func
    )
    k = len(names)
    customer_share = counts / counts.sum()
    value_share = _value_shares(sums)
    value = _col(value_col, lang)

    ax = _axes(ax, (7.0, max(3.0, 0.45 * k + 1.5)))
    y = np.arange(k)
    h = 0.38
    ax.barh(
        y + h / 2, customer_share, height=h, color="tab:blue", label=_t("segments_customers", lang)
    )
    drawn = np.nan_to_num(value_share)
    ax.barh(
        y - h / 2, drawn, height=h, color="tab:orange", label=_t("share_of", lang, value=value)
    )
    for i in range(k):
        ax.text(customer_share[i], y[i] + h / 2, f" {counts[i]:,}", va="center", fontsize=8)
        ax.text(
            max(drawn[i], 0.0),
            y[i] - h / 2,
            f" {_pct(value_share[i])}",
            va="center",
            fontsize=8,
        )
    high = max(float(customer_share.max()), float(drawn.max()), 0.01)
    ax.set_xlim(min(float(drawn.min()), 0.0), 1.2 * high)
    _percent_axis(ax.xaxis)
    ax.set_yticks(y, _names(names, lang, segment_col))
    ax.set_ylim(-0.6, k - 0.4)
    ax.set_title(_t("segments_title", lang, value=value))
    ax.set_xlabel(_with_note(_t("segments_x", lang), note))
    ax.legend(loc="lower right")
    return _finish(ax, lang, func=func)
