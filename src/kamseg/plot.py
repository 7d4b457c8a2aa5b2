"""Plots of the customer table: 80/20 curves, pyramid, RFM grid, funnel, CLV, P(alive), health.

Each function draws one chart from the tables kamseg makes and returns the matplotlib
``Axes``:

- :func:`lorenz_curve`: the Pareto (Lorenz) curve of a value column, with its Gini
  coefficient and the 80/20 point;
- :func:`whale_curve`: the profit whale curve and its peak;
- :func:`pyramid_chart`: the customer pyramid, customers and share of value per tier;
- :func:`rfm_heatmap`: mean monetary value in each R x F score cell;
- :func:`segment_sizes`: share of customers and share of value per segment;
- :func:`lifecycle_funnel`: customers per lifecycle stage, as a funnel;
- :func:`clv_distribution`: the histogram of lifetime value, mean and median marked;
- :func:`p_alive_matrix`: mean P(alive) by frequency and recency;
- :func:`health_distribution`: the histogram of health scores, coloured by band;
- :func:`kam_performance_plot`: key accounts against the other customers, period by period.

Matplotlib is an optional dependency (``pip install "kamseg[plot]"``), imported on the first
call. Rules shared by every function here:

- ``ax=None`` draws on a new figure; pass an ``Axes`` to draw into your own layout;
- the table is never modified, and no global matplotlib setting (``rcParams``) is changed;
- titles, axis labels and category names are in English (``labels="en"``) or Chinese
  (``labels="zh"``); category names are translated both ways when kamseg knows them
  (the texts are in :data:`kamseg.labels.PLOT_TEXT`);
- rows with a null in a plotted column are left out and the x-axis label says how many
  (prospects, for example, have no revenue and no scores);
- Chinese text needs a font with CJK glyphs: kamseg finds one with :func:`cjk_font` and
  sets it on the chart's own texts only; without one it warns
  (:class:`~kamseg.errors.KamsegWarning`) and says which font to install.

Examples
--------
>>> import matplotlib.pyplot as plt
>>> import kamseg
>>> from kamseg import plot
>>> data = kamseg.datasets.make_transactions(n_customers=200, seed=1)
>>> customers = kamseg.summarize(data.transactions, as_of=data.as_of)
>>> ax = plot.lorenz_curve(customers, value_col="revenue")
>>> ax.get_title()
'Pareto curve of revenue'
>>> plt.close("all")
"""

from __future__ import annotations

import functools
import itertools
import math
import os
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kamseg import pareto as _pareto
from kamseg._validation import check_columns, check_frame, examples, to_float, warn
from kamseg.errors import EmptyInputError, SchemaError
from kamseg.evaluate import KAM_GROUP_LABELS, KAM_GROUPS
from kamseg.labels import (
    ABC_CLASS_LABELS,
    ACCOUNT_DECISION_LABELS,
    BEHAVIOUR_CLASS_LABELS,
    HEALTH_BAND_LABELS,
    LIFECYCLE_STAGE_LABELS,
    NEED_LEVEL_LABELS,
    PLOT_TEXT,
    PYRAMID_TIER_LABELS,
    RFM_SEGMENT_LABELS,
    SATISFACTION_CLASS_LABELS,
    VALUE_CLASS_LABELS,
    LabelTable,
    Language,
    check_language,
)

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from matplotlib.axes import Axes

__all__ = [
    "CJK_FONTS",
    "cjk_font",
    "clv_distribution",
    "health_distribution",
    "kam_performance_plot",
    "lifecycle_funnel",
    "lorenz_curve",
    "p_alive_matrix",
    "pyramid_chart",
    "rfm_heatmap",
    "segment_sizes",
    "whale_curve",
]

#: Font families with Chinese glyphs that :func:`cjk_font` looks for first, in order.
CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Arial Unicode MS",
)

_INSTALL = 'install it with: pip install "kamseg[plot]"'
_SIZE = (7.0, 4.5)
# Tables used to translate category names shown on charts, both ways.
_CATEGORY_TABLES: tuple[LabelTable, ...] = (
    RFM_SEGMENT_LABELS,
    ABC_CLASS_LABELS,
    PYRAMID_TIER_LABELS,
    LIFECYCLE_STAGE_LABELS,
    HEALTH_BAND_LABELS,
    BEHAVIOUR_CLASS_LABELS,
    NEED_LEVEL_LABELS,
    ACCOUNT_DECISION_LABELS,
    VALUE_CLASS_LABELS,
    SATISFACTION_CLASS_LABELS,
)
# Orders of kamseg's labels (worst or earliest first), for plain (non-categorical) columns.
_KNOWN_ORDERS: tuple[tuple[str, ...], ...] = (
    tuple(RFM_SEGMENT_LABELS),
    ("Prospect", "Inactive", "Small", "Medium", "Big", "Top", "Lead", "Iron", "Gold", "Platinum"),
    tuple(LIFECYCLE_STAGE_LABELS),
    ("red", "amber", "green"),
    ("C", "B", "A"),
)
_STAGE_COLOURS: Mapping[str, str] = {
    "potential": "#b0b0b0",
    "new": "#9ecae1",
    "growing": "#41ab5d",
    "mature": "#006d2c",
    "declining": "#fd8d3c",
    "churned": "#cb181d",
}
_FRACTION_METRICS = frozenset({"revenue_growth", "revenue_share", "retention_rate", "churn_rate"})


# --------------------------------------------------------------------------------------
# helpers: matplotlib, texts, validation
# --------------------------------------------------------------------------------------


def _pyplot() -> Any:
    """Import pyplot, or say how to install matplotlib."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"kamseg.plot needs matplotlib, which is not installed; {_INSTALL}"
        ) from exc
    return plt


def _start(
    table: object,
    *,
    func: str,
    columns: Mapping[str, Hashable | None],
    ax: object,
    labels: object,
    arg: str = "table",
) -> Language:
    """Check matplotlib, the table, its columns, `ax` and `labels`; return the language."""
    _pyplot()
    from matplotlib.axes import Axes as _Axes

    frame = check_frame(table, func=func, arg=arg)
    lang = check_language(labels, func=func)
    check_columns(frame, columns, func=func)
    if ax is not None and not isinstance(ax, _Axes):
        raise TypeError(
            f"{func}: `ax` must be a matplotlib Axes or None; got {type(ax).__name__}. "
            "Hint: pass e.g. fig.add_subplot(), or leave ax=None for a new figure."
        )
    return lang


def _axes(ax: Axes | None, size: tuple[float, float] = _SIZE) -> Axes:
    """`ax`, or the axes of a new figure."""
    if ax is not None:
        return ax
    _, new = _pyplot().subplots(figsize=size, layout="constrained")
    out: Axes = new
    return out


def _t(key: str, lang: Language, **fields: Any) -> str:
    """The text `key` of :data:`~kamseg.labels.PLOT_TEXT` in `lang`, formatted."""
    return PLOT_TEXT[key][lang].format(**fields)


def _col(col: Hashable, lang: Language) -> str:
    """Display name of a column."""
    row = PLOT_TEXT.get(f"col.{col}")
    return row[lang] if row is not None else str(col)


def _lookup(texts: Sequence[str], col: Hashable) -> Mapping[str, Mapping[str, str]] | None:
    """The first label table that knows every name (English or Chinese), as a lookup."""
    tables = sorted(
        _CATEGORY_TABLES,
        key=lambda t: not (t is SATISFACTION_CLASS_LABELS and "satisf" in str(col).lower()),
    )
    for table in tables:
        lookup: dict[str, Mapping[str, str]] = {}
        for en, row in table.items():
            lookup[en] = row
            lookup[row["zh"]] = row
        if all(t in lookup for t in texts):
            return lookup
    return None


def _names(names: Sequence[Any], lang: Language, col: Hashable) -> list[str]:
    """Display names of categories: kamseg's names translated both ways; others unchanged."""
    texts = [str(n) for n in names]
    lookup = _lookup(texts, col)
    return texts if lookup is None else [lookup[t][lang] for t in texts]


def _pct(share: float) -> str:
    """A share as a short percentage: 0.5 -> '50%', 0.0071 -> '0.7%'."""
    if not math.isfinite(share):
        return "–"
    if share == 0 or 0.1 <= abs(share) <= 0.99 or abs(share) >= 1:
        return f"{share:.0%}"
    return f"{share:.1%}"


def _short(x: float) -> str:
    """A number in a few characters: 3.14, 512, 12.3k, 4.5M."""
    a = abs(x)
    if not math.isfinite(x):
        return "–"
    if a < 10:
        return f"{x:,.2f}"
    if a < 10_000:
        return f"{x:,.0f}"
    if a < 1_000_000:
        return f"{x / 1e3:,.1f}k"
    return f"{x / 1e6:,.1f}M"


def _numbers(table: pd.DataFrame, col: Hashable, *, func: str) -> np.ndarray:
    """A numeric column as float64 (nulls NaN); SchemaError on text or inf."""
    return to_float(table[col], func=func, col=str(col))


def _kept(
    keep: np.ndarray, cols: Sequence[Hashable], *, lang: Language, func: str, arg: str = "table"
) -> str:
    """The note on the rows left out (empty when none); EmptyInputError when all are."""
    n_out = int(np.count_nonzero(~keep))
    if n_out == keep.size:
        names = ", ".join(repr(c) for c in cols)
        raise EmptyInputError(
            f"{func}: every row of `{arg}` has a null in {names}; nothing to plot. Hint: "
            "check that the column is filled (e.g. run the analysis that writes it)."
        )
    if n_out == 0:
        return ""
    sep = "、" if lang == "zh" else ", "
    return _t("not_shown", lang, n=n_out, cols=sep.join(_col(c, lang) for c in cols))


def _with_note(text: str, *notes: str) -> str:
    return "\n".join([text, *(n for n in notes if n)])


def _categories(values: pd.Series, col: Hashable) -> tuple[list[Any], np.ndarray]:
    """The classes of a label column without nulls, in order, and each row's code.

    Categorical columns keep their categories (empty ones included) in their order; plain
    columns of kamseg's names get kamseg's order; other plain columns are sorted.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        cat = pd.Categorical(values)
    else:
        uniques = list(pd.unique(values))
        cat = pd.Categorical(values, categories=_order(uniques, col))
    return list(cat.categories), np.asarray(cat.codes, dtype=np.int64)


def _order(names: list[Any], col: Hashable) -> list[Any]:
    canon = _names(names, "en", col)
    for order in _KNOWN_ORDERS:
        if all(c in order for c in canon):
            return [
                n
                for _, n in sorted(zip(canon, names, strict=True), key=lambda p: order.index(p[0]))
            ]
    try:
        return sorted(names)
    except TypeError:
        return sorted(names, key=str)


def _side(x: float) -> str:
    """Horizontal alignment of a label at `x` (0..1 of the width), to stay inside."""
    return "left" if x < 0.3 else "right" if x > 0.7 else "center"


def _percent_axis(axis: Any) -> None:
    from matplotlib.ticker import PercentFormatter

    axis.set_major_formatter(PercentFormatter(xmax=1.0))


# --------------------------------------------------------------------------------------
# Chinese fonts
# --------------------------------------------------------------------------------------


def _has_cjk(text: str) -> bool:
    return any(0x2E80 <= ord(c) <= 0xFFEF for c in text)


def _needed_glyphs() -> frozenset[int]:
    """The CJK characters of every Chinese text the plots may show."""
    texts = [row["zh"] for row in PLOT_TEXT.values()]
    texts += [row["zh"] for table in _CATEGORY_TABLES for row in table.values()]
    texts += [row["zh"] for row in KAM_GROUP_LABELS.values()]
    return frozenset(ord(c) for text in texts for c in text if _has_cjk(c))


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed font that can show kamseg's Chinese texts.

    The plots call it when they show Chinese text (``labels="zh"``, or Chinese category
    names) and set the family on their own text objects only; use it the same way for
    texts you add (``ax.set_title("...", fontfamily=cjk_font())``) or, for a whole session,
    ``plt.rcParams["font.sans-serif"].insert(0, cjk_font())``.

    Returns
    -------
    str or None
        The first family of :data:`CJK_FONTS` that matplotlib knows and that has every
        glyph needed; else the first other known font that has them; else ``None``. The
        answer is cached: after installing a font, call ``cjk_font.cache_clear()`` (or
        restart Python).

    Notes
    -----
    matplotlib keeps a cache of the fonts it found when it was first used; fonts
    installed later are missing from it. When no known font fits, the system's font
    files are checked too, and a file that fits is registered with matplotlib's font
    manager (``matplotlib.font_manager.fontManager.addfont``) so that its family name
    works. That adds a font to the list matplotlib chooses from; it changes no
    ``rcParams``. Fonts to install: on Debian/Ubuntu ``apt-get install fonts-noto-cjk``
    (Noto Sans CJK SC) or ``fonts-wqy-microhei``; elsewhere Noto Sans CJK SC or Source
    Han Sans SC. Windows (Microsoft YaHei, SimHei) and macOS (PingFang SC) have one.

    Examples
    --------
    >>> from kamseg.plot import cjk_font
    >>> family = cjk_font()  # e.g. 'Noto Sans CJK SC'; None without a Chinese font
    >>> family is None or isinstance(family, str)
    True
    """
    _pyplot()
    from matplotlib import font_manager, ft2font

    needed = _needed_glyphs()

    def covers(path: str) -> bool:
        try:
            charmap = ft2font.FT2Font(path).get_charmap()
        except (OSError, RuntimeError, ValueError):
            return False
        return needed.issubset(charmap)

    entries = font_manager.fontManager.ttflist
    known: dict[str, str] = {}
    for entry in entries:
        known.setdefault(entry.name, entry.fname)
    for name in CJK_FONTS:
        if name in known and covers(known[name]):
            return name
    for name in sorted(known):
        # matplotlib's "Last Resort" font maps every character to a placeholder box
        if name not in CJK_FONTS and not name.startswith("Last Resort") and covers(known[name]):
            return name
    seen = {os.path.realpath(entry.fname) for entry in entries}
    for path in sorted(font_manager.findSystemFonts()):
        if (
            os.path.realpath(path) not in seen
            and "lastresort" not in path.lower()
            and covers(path)
        ):
            font_manager.fontManager.addfont(path)
            family: str = ft2font.FT2Font(path).family_name
            return family
    return None


def _finish(ax: Axes, lang: Language, *, func: str, extra: Iterable[Axes] = ()) -> Axes:
    """Give the chart's texts a CJK font when they need one (warn when none is installed)."""
    from matplotlib.text import Text

    axes = [ax, *extra]
    texts = [t for a in axes for t in a.findobj(Text)]
    if lang != "zh" and not any(_has_cjk(t.get_text()) for t in texts):
        return ax
    family = cjk_font()
    if family is None:
        warn(
            f"{func}: no installed font has Chinese glyphs, so Chinese text shows as empty "
            "boxes. Hint: install one (Debian/Ubuntu: apt-get install fonts-noto-cjk or "
            "fonts-wqy-microhei; elsewhere Noto Sans CJK SC or Source Han Sans SC), then "
            "restart Python.",
            stacklevel=4,
        )
        return ax
    families = [family, "DejaVu Sans"]  # DejaVu Sans (shipped with matplotlib) as fallback
    for text in texts:
        text.set_fontfamily(families)
    for a in axes:
        a.tick_params(axis="both", which="both", labelfontfamily=families)
    return ax


# --------------------------------------------------------------------------------------
# 80/20 curves
# --------------------------------------------------------------------------------------


def lorenz_curve(
    table: pd.DataFrame,
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
    table
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
        If the table is empty or every value is null.
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
    lang = _start(table, func=func, columns={"value_col": value_col}, ax=ax, labels=labels)
    x = _numbers(table, value_col, func=func)
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
    table: pd.DataFrame,
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
    table
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
        If the table is empty or every profit is null.
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
    lang = _start(table, func=func, columns={"profit_col": profit_col}, ax=ax, labels=labels)
    x = _numbers(table, profit_col, func=func)
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


def _class_counts(
    table: pd.DataFrame,
    class_col: Hashable,
    value_col: Hashable | None,
    *,
    lang: Language,
    func: str,
) -> tuple[list[Any], np.ndarray, np.ndarray, str]:
    """Classes in order, customers and value per class, and the note on left-out rows."""
    classes = table[class_col]
    keep = classes.notna().to_numpy()
    cols: list[Hashable] = [class_col]
    x = np.zeros(len(table))
    if value_col is not None:
        x = _numbers(table, value_col, func=func)
        keep = keep & ~np.isnan(x)
        cols.append(value_col)
    note = _kept(keep, cols, lang=lang, func=func)
    names, codes = _categories(classes[keep], class_col)
    k = len(names)
    counts = np.bincount(codes, minlength=k).astype(np.int64)
    sums = np.bincount(codes, weights=x[keep], minlength=k)
    return names, counts, sums, note


def _value_shares(sums: np.ndarray) -> np.ndarray:
    total = float(sums.sum())
    out: np.ndarray = sums / total if total > 0 else np.full(sums.size, np.nan)
    return out


def pyramid_chart(
    table: pd.DataFrame,
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
    table
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
        If the table is empty, or no row has both a tier and a value.
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
        table,
        func=func,
        columns={"tier_col": tier_col, "value_col": value_col},
        ax=ax,
        labels=labels,
    )
    names, counts, sums, note = _class_counts(table, tier_col, value_col, lang=lang, func=func)
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
    table: pd.DataFrame,
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
    table
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
        If the table is empty, or no row has both a segment and a value.
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
        table,
        func=func,
        columns={"segment_col": segment_col, "value_col": value_col},
        ax=ax,
        labels=labels,
    )
    names, counts, sums, note = _class_counts(table, segment_col, value_col, lang=lang, func=func)
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


def lifecycle_funnel(
    table: pd.DataFrame,
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
    table
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
        If the table is empty or no row has a stage.
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
    lang = _start(table, func=func, columns={"stage_col": stage_col}, ax=ax, labels=labels)
    names, counts, _, note = _class_counts(table, stage_col, None, lang=lang, func=func)
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
    table: pd.DataFrame,
    *,
    r_col: Hashable = "r_score",
    f_col: Hashable = "f_score",
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
    table
        One row per customer with RFM scores, e.g. from :func:`kamseg.rfm_scores`. Not
        modified.
    r_col, f_col
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
        If the table is empty or no row has all three values.
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
        table,
        func=func,
        columns={"r_col": r_col, "f_col": f_col, "value_col": value_col},
        ax=ax,
        labels=labels,
    )
    r = _numbers(table, r_col, func=func)
    f = _numbers(table, f_col, func=func)
    v = _numbers(table, value_col, func=func)
    keep = ~(np.isnan(r) | np.isnan(f) | np.isnan(v))
    note = _kept(keep, [r_col, f_col, value_col], lang=lang, func=func)
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


def _frequency_edges(f: np.ndarray) -> np.ndarray:
    """Row edges [a, b) of the P(alive) matrix: whole numbers, or deciles when many."""
    low, high = math.floor(float(f.min())), math.floor(float(f.max()))
    if high - low + 1 <= 12:
        return np.arange(low, high + 2, dtype=np.float64)
    inner = np.ceil(np.quantile(f, np.linspace(0, 1, 11))[1:-1])
    edges: np.ndarray = np.unique(np.concatenate(([low], inner, [high + 1])))
    return edges


def p_alive_matrix(
    table: pd.DataFrame,
    *,
    ax: Axes | None = None,
    labels: Language = "en",
    freq_col: Hashable = "frequency",
    recency_col: Hashable = "recency",
    t_col: Hashable = "T",
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
    table
        One row per customer with the BTYD columns of :func:`kamseg.summarize` and a
        P(alive) column. Not modified.
    ax
        The axes to draw on; ``None`` (default) draws on a new figure. A colour bar is
        added next to it.
    labels
        Language of the texts: ``"en"`` or ``"zh"``.
    freq_col, recency_col, t_col, p_alive_col
        Repeat purchases, recency (first to last purchase), T (first purchase to the
        observation date, in the same periods) and P(alive) (0..1). Defaults
        ``"frequency"``, ``"recency"``, ``"T"``, ``"p_alive"``.

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
        If the table is empty or no row has all four values.
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
        "freq_col": freq_col,
        "recency_col": recency_col,
        "t_col": t_col,
        "p_alive_col": p_alive_col,
    }
    lang = _start(table, func=func, columns=cols, ax=ax, labels=labels)
    f, r, t, p = (_numbers(table, c, func=func) for c in cols.values())
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
            f"or above T ({t_col!r}); (recency, T) examples: "
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
    table: pd.DataFrame,
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
    table
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
        If the table is empty or every value is null.
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
    lang = _start(table, func=func, columns={"clv_col": clv_col}, ax=ax, labels=labels)
    x = _numbers(table, clv_col, func=func)
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
    table: pd.DataFrame,
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
    table
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
        If the table is empty or no row has both a score and a band.
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
        table,
        func=func,
        columns={"score_col": score_col, "band_col": band_col},
        ax=ax,
        labels=labels,
    )
    score = _numbers(table, score_col, func=func)
    band = table[band_col]
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
    metric: Hashable = "revenue_growth",
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
    metric
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
        If `metric` is missing.
    SchemaError
        If `performance` is not indexed by unique (period, group) pairs with kamseg's
        groups, or `metric` is not numeric.
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
    >>> performance = kam_performance(tx, ["a", "b"], as_of="2024-09-30")
    >>> ax = kam_performance_plot(performance, metric="revenue")
    >>> ax.get_lines()[0].get_ydata().tolist()  # key accounts
    [300.0, 150.0, 420.0]
    >>> plt.close("all")
    """
    func = "kam_performance_plot"
    lang = _start(
        performance,
        func=func,
        columns={"metric": metric},
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
    values = to_float(performance[metric], func=func, col=str(metric))
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
    if metric in _FRACTION_METRICS:
        _percent_axis(ax.yaxis)
    if metric == "revenue_growth":
        ax.axhline(0.0, color="black", linewidth=0.8)
    shown_metric = _col(metric, lang)
    ax.set_title(_t("kam_title", lang, metric=shown_metric))
    ax.set_xlabel(_with_note(_t("kam_x", lang), _t("kam_partial", lang) if partial.any() else ""))
    ax.set_ylabel(shown_metric)
    ax.legend(loc="best")
    return _finish(ax, lang, func=func)
