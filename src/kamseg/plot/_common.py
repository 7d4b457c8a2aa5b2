"""Shared parts of kamseg.plot: matplotlib loading, labels, the CJK font, axes finishing."""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kamseg._validation import check_columns, check_frame, to_float, warn
from kamseg.errors import EmptyInputError
from kamseg.evaluate import KAM_GROUP_LABELS
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
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.text import Text


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
    customers: object,
    *,
    func: str,
    columns: Mapping[str, Hashable | None],
    ax: object,
    labels: object,
    arg: str = "customers",
) -> Language:
    """Check matplotlib, the table, its columns, `ax` and `labels`; return the language."""
    _pyplot()
    from matplotlib.axes import Axes as _Axes

    frame = check_frame(customers, func=func, arg=arg)
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
    keep: np.ndarray,
    cols: Sequence[Hashable],
    *,
    lang: Language,
    func: str,
    arg: str = "customers",
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


def _texts(artist: Artist) -> list[Text]:
    """The texts of `artist` and of the artists it holds, as ``artist.findobj(Text)`` finds
    them, but the minor ticks: an axis creates those (a tick, its lines and two labels each,
    a few milliseconds) when asked for its children, and their labels are numbers or empty
    (their font follows ``tick_params(which="both")``)."""
    from matplotlib.axis import Axis
    from matplotlib.text import Text

    found: list[Text] = []
    stack = [artist]
    while stack:
        item = stack.pop()
        if isinstance(item, Text):
            found.append(item)
        if isinstance(item, Axis):
            stack.extend([item.label, item.offsetText, *item.get_major_ticks()])
        else:
            stack.extend(item.get_children())
    return found


def _finish(ax: Axes, lang: Language, *, func: str, extra: Iterable[Axes] = ()) -> Axes:
    """Give the chart's texts a CJK font when they need one (warn when none is installed)."""
    axes = [ax, *extra]
    texts = [t for a in axes for t in _texts(a)]
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
