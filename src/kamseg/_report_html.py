"""The HTML of kamseg.report (no analysis imports): the page and its building blocks.

CSS, escaping (every text that reaches the page goes through ``_e``), number formats, the
report's texts in one language, tables, key-figure cards, plots as inline PNG figures,
and the page that holds the sections.
"""

from __future__ import annotations

import base64
import html
import io
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from kamseg.errors import KamsegError, KamsegWarning
from kamseg.labels import (
    ABC_CLASS_LABELS,
    BEHAVIOUR_CLASS_LABELS,
    HEALTH_BAND_LABELS,
    LIFECYCLE_STAGE_LABELS,
    NEED_LEVEL_LABELS,
    PYRAMID_TIER_LABELS,
    REPORT_TEXT,
    RFM_SEGMENT_LABELS,
    SATISFACTION_CLASS_LABELS,
    VALUE_CLASS_LABELS,
    LabelTable,
    Language,
    translate,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# the label tables of the class columns, to translate canonical class names
_CLASS_TABLES: Mapping[str, LabelTable] = {
    "rfm_segment": RFM_SEGMENT_LABELS,
    "abc_class": ABC_CLASS_LABELS,
    "pyramid_tier": PYRAMID_TIER_LABELS,
    "value_class": VALUE_CLASS_LABELS,
    "behaviour_class": BEHAVIOUR_CLASS_LABELS,
    "lifecycle_stage": LIFECYCLE_STAGE_LABELS,
    "need_level": NEED_LEVEL_LABELS,
    "satisfaction_class": SATISFACTION_CLASS_LABELS,
    "health_band": HEALTH_BAND_LABELS,
}
_DASH = "\N{EN DASH}"
_FIGSIZE = (6.4, 3.8)
_DPI = 96

_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f6f8; color: #1d2733; line-height: 1.45;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Noto Sans", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei",
    "WenQuanYi Micro Hei", sans-serif; }
header { background: #1f3a5f; color: #fff; padding: 24px 32px 18px; }
header h1 { margin: 0 0 6px; font-size: 26px; font-weight: 600; }
header p { margin: 0; opacity: 0.85; font-size: 14px; }
nav { display: flex; flex-wrap: wrap; gap: 4px 18px; padding: 10px 32px;
  background: #fff; border-bottom: 1px solid #dde3ea; font-size: 14px; }
nav a { color: #1f3a5f; text-decoration: none; white-space: nowrap; }
main { max-width: 1180px; margin: 0 auto; padding: 8px 24px 40px; }
section { background: #fff; border: 1px solid #dde3ea; border-radius: 8px;
  margin: 18px 0; padding: 16px 22px 20px; }
h2 { margin: 0 0 12px; font-size: 20px; font-weight: 600; color: #1f3a5f; }
h3 { margin: 16px 0 8px; font-size: 16px; font-weight: 600; }
.notice { background: #fff7e0; border: 1px solid #f0d58a; border-radius: 6px;
  padding: 8px 12px; margin: 12px 0; font-size: 14px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr));
  gap: 12px; }
.kpi { border: 1px solid #dde3ea; border-radius: 6px; padding: 10px 12px;
  background: #f9fbfd; }
.kpi-value { font-size: 22px; font-weight: 600; color: #1f3a5f;
  font-variant-numeric: tabular-nums; }
.kpi-label { font-size: 13px; color: #4a5866; }
.kpi-note { font-size: 12px; color: #6b7885; }
.tables { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
.tables > div { flex: 1 1 300px; min-width: 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; margin: 4px 0 8px; }
caption { caption-side: top; text-align: left; font-size: 13px; color: #4a5866;
  padding: 0 0 4px; }
th, td { padding: 4px 8px; border-bottom: 1px solid #e6ebf0; text-align: left;
  vertical-align: top; }
th { background: #eef2f6; font-weight: 600; }
th.num { text-align: right; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fafbfc; }
.figures { display: flex; flex-wrap: wrap; gap: 14px; margin-top: 10px; }
figure { margin: 0; flex: 1 1 420px; max-width: 620px; }
figure img { width: 100%; height: auto; border: 1px solid #e6ebf0; border-radius: 4px; }
footer { text-align: center; font-size: 12px; color: #6b7885; padding: 0 0 24px; }
@media print { body { background: #fff; } nav { display: none; }
  section { break-inside: avoid; border: none; } }
"""


# --------------------------------------------------------------------------------------
# formatting: every text that reaches the page goes through _e (html.escape)
# --------------------------------------------------------------------------------------


def _e(value: object) -> str:
    """HTML-escape the text of any value (quotes included)."""
    return html.escape(str(value), quote=True)


def _missing(x: object) -> bool:
    try:
        return bool(pd.isna(x))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def _fmt_num(x: object, decimals: int = 0) -> str:
    """A number with thousands separators; an en dash for a missing value."""
    if _missing(x):
        return _DASH
    return f"{float(x):,.{decimals}f}"  # type: ignore[arg-type]


def _fmt_int(x: object) -> str:
    if _missing(x):
        return _DASH
    return f"{int(x):,}"  # type: ignore[call-overload]


def _fmt_pct(x: object, decimals: int = 1) -> str:
    """A share as a percentage ("12.3%"); an en dash for a missing value."""
    if _missing(x):
        return _DASH
    return f"{100 * float(x):.{decimals}f}%"  # type: ignore[arg-type]


def _money(values: Iterable[object]) -> Callable[[object], str]:
    """A formatter for the amounts of one column or figure: whole numbers when some amount
    reaches 100, else two decimals (the amounts of a small shop)."""
    amounts = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce")
    decimals = 0 if amounts.abs().max() >= 100 else 2
    return lambda x: _fmt_num(x, decimals)


def _fmt_money(x: object) -> str:
    """One amount (see :func:`_money`)."""
    return _money([x])(x)


class _Text:
    """The report's texts in one language."""

    def __init__(self, lang: Language) -> None:
        self.lang = lang

    def __call__(self, key: str, **fields: object) -> str:
        text = REPORT_TEXT[key][self.lang]
        return text.format(**fields) if fields else text

    def category(self, col: str, name: object) -> str:
        """The display name of a class of column `col` (canonical names translated)."""
        if _missing(name):
            return self("none")
        text = str(name)
        table = _CLASS_TABLES.get(col)
        return text if table is None else translate(text, labels=self.lang, table=table)

    def column(self, col: str) -> str:
        key = f"col_{col}"
        return self(key) if key in REPORT_TEXT else col


Cell = tuple[str, bool]  # (text, right-aligned number)


def _num(text: str) -> Cell:
    return (text, True)


def _txt(value: object) -> Cell:
    return (str(value), False)


def _table(
    headers: Sequence[Cell], rows: Iterable[Sequence[Cell]], *, caption: str | None = None
) -> str:
    """An HTML table; every header and cell text is escaped here."""

    def cls(is_num: bool) -> str:
        return ' class="num"' if is_num else ""

    out = ['<div class="scroll"><table>']
    if caption:
        out.append(f"<caption>{_e(caption)}</caption>")
    out.append("<thead><tr>")
    out.extend(f'<th scope="col"{cls(n)}>{_e(h)}</th>' for h, n in headers)
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td{cls(n)}>{_e(c)}</td>" for c, n in row) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _kpi(key: str, value: str, label: str, note: str | None = None) -> str:
    extra = f'<div class="kpi-note">{_e(note)}</div>' if note else ""
    return (
        f'<div class="kpi" data-key="{_e(key)}"><div class="kpi-value">{_e(value)}</div>'
        f'<div class="kpi-label">{_e(label)}</div>{extra}</div>'
    )


# --------------------------------------------------------------------------------------
# plots
# --------------------------------------------------------------------------------------


class _Plots:
    """Renders kamseg.plot functions to inline PNG figures (or says they need matplotlib).

    `module` is :mod:`kamseg.plot`, given by the report (this module imports no analysis),
    or None when matplotlib is missing: then every figure is "".
    """

    def __init__(self, text: _Text, module: Any) -> None:
        self.text = text
        self.module = module  # kamseg.plot, or None without matplotlib
        self.font_warned = False  # the missing-CJK-font notice, given once per report

    @property
    def available(self) -> bool:
        return self.module is not None

    def _pass_on(self, caught: list[warnings.WarningMessage]) -> None:
        """Re-emit a figure's warnings, but the missing-CJK-font notice only once per
        report, and none of matplotlib's missing-glyph warnings it stands for."""
        for w in caught:
            if _is_font_notice(w):
                if self.font_warned:
                    continue
                self.font_warned = True
            elif "missing from font" in str(w.message) and not issubclass(
                w.category, KamsegWarning
            ):
                continue
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)

    def figure(
        self,
        name: str,
        data: pd.DataFrame,
        *,
        figsize: tuple[float, float] = _FIGSIZE,
        **kwargs: Any,
    ) -> str:
        """A ``<figure>`` with the plot `name` of `data` as a PNG data URI ("" without
        matplotlib), its alt text the chart's title; if the plot function refuses the data
        (a KamsegError), a notice saying why.
        """
        func: Callable[..., Axes] | None = getattr(self.module, name, None)
        if func is None:
            return ""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize, dpi=_DPI, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        buffer = io.BytesIO()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                alt = func(data, ax=ax, labels=self.text.lang, **kwargs).get_title() or name
            except KamsegError as exc:  # the data cannot be drawn: say so, keep the tables
                message = self.text("plot_failed", error=" ".join(str(exc).split()))
                alt = None  # no figure: the notice instead
            else:
                fig.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
        self._pass_on(caught)
        if alt is None:
            return f'<p class="notice">{_e(message)}</p>'
        encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
        return f'<figure><img src="data:image/png;base64,{encoded}" alt="{_e(alt)}"></figure>'


def _is_font_notice(w: warnings.WarningMessage) -> bool:
    return issubclass(w.category, KamsegWarning) and "no installed font has Chinese" in str(
        w.message
    )


def _figures(parts: Iterable[str]) -> str:
    shown = [p for p in parts if p]
    return f'<div class="figures">{"".join(shown)}</div>' if shown else ""


# --------------------------------------------------------------------------------------
# the page: sections are (anchor, heading, body html)
# --------------------------------------------------------------------------------------

Section = tuple[str, str, str]


def _page(
    sections: Sequence[Section],
    *,
    text: _Text,
    title: str,
    plots_available: bool,
    latest: str | None,
    version: str,
) -> str:
    subtitle = [text("made_with", version=version)]
    if latest is not None:
        subtitle.insert(0, text("data_until", date=latest))
    nav = "".join(f'<a href="#{_e(a)}">{_e(h)}</a>' for a, h, _ in sections)
    notice = "" if plots_available else f'<p class="notice">{_e(text("plots_missing"))}</p>'
    body = "".join(
        f'<section id="{_e(a)}"><h2>{_e(h)}</h2>{content}</section>' for a, h, content in sections
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{_e(text.lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="kamseg {_e(version)}">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{_e(title)}</h1><p>{_e(' '.join(subtitle))}</p></header>\n"
        f'<nav aria-label="{_e(text("contents"))}">{nav}</nav>\n'
        f"<main>\n{notice}{body}\n</main>\n"
        f"<footer>{_e(text('made_with', version=version))}</footer>\n"
        "</body>\n</html>\n"
    )
