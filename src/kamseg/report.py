"""A self-contained HTML report of an annotated customer table.

:func:`render_report` turns the customer table that :func:`kamseg.segment` returns (or any
table with some of its columns, e.g. only the summary and the RFM segments) into one HTML
page; :func:`write_report` writes it to a file. The page has:

- **key figures**: customers, revenue, profit, the share of revenue from the top 20 % of
  customers, the Gini coefficient, key accounts, predicted CLV, mean P(alive), customers
  at risk and with early warnings;
- the **key-account list** (the best `top` by ``account_rank``);
- **revenue concentration** (Lorenz curve, top shares, the profit whale curve);
- the **RFM segments** (:func:`kamseg.rfm_segment_summary`), the **customer pyramid** and
  the **ABC classes** (:func:`kamseg.pareto_summary`);
- the **five-dimension classes** (value, behaviour, lifecycle, need, satisfaction);
- **lifetime value and churn risk**, **health bands and early warnings**;
- given the transactions, **key-account performance over time**
  (:func:`kamseg.kam_performance`).

A section appears only when the table has its columns. Plots (:mod:`kamseg.plot`, which
needs matplotlib: ``pip install "kamseg[plot]"``) are inline PNG images; without
matplotlib the report still has every table and says that plots need ``kamseg[plot]``.

The page is one file with no external resource: CSS inline, images as ``data:`` URIs, no
JavaScript, no web font. Every value from the data (customer ids, class names, warning
texts, the title) is HTML-escaped, so a customer called ``<script>`` shows as text.

Rows without purchases (the prospects that :func:`kamseg.classify` appends, with no
revenue) count in the class tables but not in the revenue figures; the key figures give
their number.
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np
import pandas as pd

from kamseg._files import atomic_write
from kamseg._validation import check_choice, check_columns, check_frame, check_int, examples
from kamseg.errors import ColumnNotFoundError, ConfigError, KamsegError, SchemaError
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
    check_language,
    translate,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from kamseg.pareto import Concentration

__all__ = ["ReportPeriod", "render_report", "write_report"]

ReportPeriod = Literal["M", "Q", "Y"]
"""Period of the key-account performance section: months, quarters or years."""

# class columns, in the order of the key-account list and of the five dimensions
_CLASS_COLUMNS = (
    "rfm_segment",
    "abc_class",
    "pyramid_tier",
    "value_class",
    "behaviour_class",
    "lifecycle_stage",
    "need_level",
    "satisfaction_class",
    "health_band",
)
_FIVE_DIMENSIONS = (
    "value_class",
    "behaviour_class",
    "lifecycle_stage",
    "need_level",
    "satisfaction_class",
)
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
_WARNING_FLAGS = ("warn_spend_drop", "warn_overdue", "warn_detractor", "warn_open_complaint")
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
    """Renders kamseg.plot functions to inline PNG figures (or says they need matplotlib)."""

    def __init__(self, text: _Text) -> None:
        self.text = text
        self.module: Any = None
        try:
            import matplotlib  # noqa: F401

            from kamseg import plot
        except ImportError:
            return
        self.module = plot

    @property
    def available(self) -> bool:
        return self.module is not None

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
        try:
            alt = func(data, ax=ax, labels=self.text.lang, **kwargs).get_title() or name
        except KamsegError as exc:  # the data cannot be drawn: say so, keep the tables
            message = self.text("plot_failed", error=" ".join(str(exc).split()))
            return f'<p class="notice">{_e(message)}</p>'
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
        encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
        return f'<figure><img src="data:image/png;base64,{encoded}" alt="{_e(alt)}"></figure>'


def _figures(parts: Iterable[str]) -> str:
    shown = [p for p in parts if p]
    return f'<div class="figures">{"".join(shown)}</div>' if shown else ""


# --------------------------------------------------------------------------------------
# the report's data
# --------------------------------------------------------------------------------------


class _Report:
    """What every section needs: the table, its buyers, the language and the plots."""

    def __init__(self, table: pd.DataFrame, text: _Text, plots: _Plots, top: int) -> None:
        self.table = table
        self.text = text
        self.plots = plots
        self.top = top
        if "revenue" in table.columns:
            buyer = table["revenue"].notna().to_numpy()
            self.buyers = table[buyer]
        else:
            self.buyers = table
        self.n_prospects = len(table) - len(self.buyers)
        self.conc: Concentration | None = None  # computed once, by _concentration

    def has(self, *cols: str) -> bool:
        return all(c in self.table.columns for c in cols)

    def id_header(self) -> Cell:
        name = self.table.index.name
        return _txt(self.text("col_customer") if name is None else name)

    def flag(self, col: str, frame: pd.DataFrame | None = None) -> pd.Series:
        """A boolean column with missing values as False."""
        data = self.table if frame is None else frame
        return data[col].eq(True)


def _with_values(frame: pd.DataFrame, *cols: str) -> pd.DataFrame:
    """The rows of `frame` with a value in each of `cols`."""
    keep = frame[list(cols)].notna().all(axis=1).to_numpy()
    return frame if keep.all() else frame[keep]


# --------------------------------------------------------------------------------------
# sections: each returns (anchor, heading, body html) or None when its columns are missing
# --------------------------------------------------------------------------------------

Section = tuple[str, str, str]


def _key_figures(r: _Report) -> Section:
    t, b = r.text, r.buyers
    cards = []
    note = t("kpi_prospects", n=f"{r.n_prospects:,}") if r.n_prospects else None
    cards.append(_kpi("customers", f"{len(b):,}", t("kpi_customers"), note))
    if r.has("revenue"):
        cards.append(_kpi("revenue", _fmt_money(b["revenue"].sum()), t("kpi_revenue")))
    if r.has("profit"):
        cards.append(_kpi("profit", _fmt_money(b["profit"].sum()), t("kpi_profit")))
    conc = _concentration(r)
    if conc is not None:
        share = float(conc.top_shares.iloc[-1])
        cards.append(_kpi("top20_share", _fmt_pct(share), t("kpi_top20")))
        cards.append(_kpi("gini", f"{conc.gini:.3f}", t("kpi_gini")))
    if r.has("is_key_account"):
        n_key = int(r.flag("is_key_account").sum())
        cards.append(_kpi("key_accounts", f"{n_key:,}", t("kpi_key_accounts")))
    if r.has("clv"):
        cards.append(_kpi("clv", _fmt_money(b["clv"].sum()), t("kpi_clv")))
    if r.has("p_alive"):
        cards.append(_kpi("p_alive", _fmt_num(b["p_alive"].mean(), 2), t("kpi_p_alive")))
    if r.has("health_band"):
        band = r.table["health_band"]
        if isinstance(band.dtype, pd.CategoricalDtype) and len(band.cat.categories):
            worst = band.cat.categories[0]
            label = t("kpi_at_risk", band=t.category("health_band", worst))
            cards.append(_kpi("at_risk", f"{int((band == worst).sum()):,}", label))
    if r.has("n_warnings"):
        warned = int(r.table["n_warnings"].gt(0).sum())
        cards.append(_kpi("warned", f"{warned:,}", t("kpi_warnings")))
    if r.has("churn_probability"):
        high = int(r.table["churn_probability"].ge(0.5).sum())
        cards.append(_kpi("churn_high", f"{high:,}", t("kpi_churn")))
    body = f'<div class="kpis">{"".join(cards)}</div>'
    return "key-figures", t("sec_key_figures"), body


def _concentration(r: _Report) -> Concentration | None:
    """The revenue concentration of the buyers (top shares 1 %, 5 %, 20 %), or None."""
    from kamseg.pareto import concentration

    if not r.has("revenue") or len(r.buyers) == 0:
        return None
    if not float(r.buyers["revenue"].clip(lower=0).sum()) > 0:
        return None
    if r.conc is None:
        r.conc = concentration(r.buyers, value_col="revenue", top=(0.01, 0.05, 0.2))
    return r.conc


def _key_accounts(r: _Report) -> Section | None:
    if not r.has("account_rank"):
        return None
    t = r.text
    ranked = r.table[r.table["account_rank"].notna().to_numpy()]
    if r.has("is_key_account"):
        ranked = ranked[r.flag("is_key_account", ranked).to_numpy()]
    ranked = ranked.sort_values("account_rank", kind="stable")
    shown = ranked.head(r.top)
    key = "key_accounts_caption" if r.has("is_key_account") else "top_accounts_caption"
    caption = t(key, shown=f"{len(shown):,}", n=f"{len(ranked):,}")
    formats: dict[str, Callable[[object], str]] = {
        "account_rank": _fmt_int,
        "account_score": lambda x: _fmt_num(x, 3),
    }
    formats |= {c: _money(shown[c]) for c in ("revenue", "profit_clv") if r.has(c)}
    numeric = [(c, fmt) for c, fmt in formats.items() if r.has(c)]
    classes = [c for c in _CLASS_COLUMNS if r.has(c)]
    col_key = {"account_rank": "rank", "account_score": "score"}
    headers = [r.id_header()]
    headers += [_num(t.column(col_key.get(c, c))) for c, _ in numeric]
    headers += [_txt(t.column(c)) for c in classes]
    rows = []
    for ident, row in shown.iterrows():
        cells = [_txt(ident)]
        cells += [_num(fmt(row[c])) for c, fmt in numeric]
        cells += [_txt(t.category(c, row[c])) for c in classes]
        rows.append(cells)
    return "key-accounts", t("sec_key_accounts"), _table(headers, rows, caption=caption)


def _concentration_section(r: _Report) -> Section | None:
    conc = _concentration(r)
    if conc is None:
        return None
    t = r.text
    rows = [[_txt(t("kpi_gini")), _num(f"{conc.gini:.3f}")]]
    for share, value in conc.top_shares.items():
        label = t("conc_top", share=_fmt_pct(share, 0))
        rows.append([_txt(label), _num(_fmt_pct(value))])
    rows.append([_txt(t("conc_target")), _num(_fmt_pct(conc.customers_for_target))])
    rows.append([_txt(t("conc_hhi")), _num(f"{conc.hhi:.4f}")])
    whale = None
    if r.has("profit") and len(_with_values(r.buyers, "profit")):
        from kamseg.pareto import whale_curve

        profits = _with_values(r.buyers, "profit")
        if float(profits["profit"].sum()) > 0:
            whale = whale_curve(profits, profit_col="profit")
            rows.append([_txt(t("conc_whale")), _txt(whale.describe(labels=t.lang))])
    headers = [_txt(t("col_measure")), _num(t("col_value"))]
    body = _table(headers, rows)
    lorenz = r.plots.figure("lorenz_curve", r.buyers, value_col="revenue")
    whales = "" if whale is None else r.plots.figure("whale_curve", r.buyers)
    body += _figures([lorenz, whales])
    return "concentration", t("sec_concentration"), body


def _share_table(
    r: _Report, summary: pd.DataFrame, col: str, *, value: str, best_first: bool
) -> str:
    """Rows of an RFM or Pareto summary: customers, shares, revenue, mean revenue."""
    t = r.text
    rows_frame = summary.iloc[::-1] if best_first else summary
    headers = [
        _txt(t.column(col)),
        _num(t("col_customers")),
        _num(t("col_customer_share")),
        _num(t("col_revenue")),
        _num(t("col_revenue_share")),
    ]
    money = _money(rows_frame[value])
    rows = []
    for name, row in rows_frame.iterrows():
        rows.append(
            [
                _txt(t.category(col, name)),
                _num(_fmt_int(row["customers"])),
                _num(_fmt_pct(row["customer_share"])),
                _num(money(row[value])),
                _num(_fmt_pct(row[f"{value}_share"])),
            ]
        )
    return _table(headers, rows)


def _rfm(r: _Report) -> Section | None:
    from kamseg.rfm import rfm_segment_summary

    cols = ("rfm_segment", "revenue", "days_since_last", "n_orders")
    if not r.has(*cols):
        return None
    t = r.text
    segmented = _with_values(r.buyers, *cols)
    if len(segmented) == 0:
        return None
    summary = rfm_segment_summary(segmented)
    headers = [
        _txt(t.column("rfm_segment")),
        _num(t("col_customers")),
        _num(t("col_customer_share")),
        _num(t("col_revenue")),
        _num(t("col_revenue_share")),
        _num(t("col_mean_days")),
        _num(t("col_mean_orders")),
        _num(t("col_mean_revenue")),
    ]
    money, mean_money = _money(summary["revenue"]), _money(summary["mean_monetary"])
    rows = [
        [
            _txt(t.category("rfm_segment", name)),
            _num(_fmt_int(row["customers"])),
            _num(_fmt_pct(row["customer_share"])),
            _num(money(row["revenue"])),
            _num(_fmt_pct(row["revenue_share"])),
            _num(_fmt_num(row["mean_days_since_last"])),
            _num(_fmt_num(row["mean_frequency"], 1)),
            _num(mean_money(row["mean_monetary"])),
        ]
        for name, row in summary.iloc[::-1].iterrows()
    ]
    body = _table(headers, rows)
    parts = [r.plots.figure("segment_sizes", segmented)]
    if r.has("r_score", "f_score", "monetary_value"):
        parts.append(r.plots.figure("rfm_heatmap", r.buyers))
    body += _figures(parts)
    return "rfm", t("sec_rfm"), body


def _pyramid(r: _Report) -> Section | None:
    from kamseg.pareto import pareto_summary

    present = [c for c in ("pyramid_tier", "abc_class") if r.has(c)]
    if not present or not r.has("revenue"):
        return None
    t = r.text
    parts = []
    for col in present:
        classed = _with_values(r.buyers, col)
        if len(classed) == 0:
            continue
        summary = pareto_summary(classed, by=col, value_col="revenue").rename(
            columns={"value": "revenue", "value_share": "revenue_share"}
        )
        table = _share_table(r, summary, col, value="revenue", best_first=True)
        parts.append(f"<div><h3>{_e(t.column(col))}</h3>{table}</div>")
    if not parts:
        return None
    body = f'<div class="tables">{"".join(parts)}</div>'
    if "pyramid_tier" in present:
        body += _figures([r.plots.figure("pyramid_chart", r.buyers)])
    return "pyramid", t("sec_pyramid"), body


def _counts_table(r: _Report, col: str, extra: Mapping[str, Callable[[pd.DataFrame], str]]) -> str:
    """Customers per class of `col` (every category, then missing values) and `extra`."""
    t = r.text
    values = r.table[col]
    counts = values.value_counts(sort=False, dropna=False)
    if not isinstance(values.dtype, pd.CategoricalDtype):
        counts = counts.sort_index(key=lambda idx: idx.astype(str))
    total = int(counts.sum())
    headers = [_txt(t.column(col)), _num(t("col_customers")), _num(t("col_customer_share"))]
    headers += [_num(t(k)) for k in extra]
    rows = []
    for name, n in counts.items():
        members = r.table[values.isna() if _missing(name) else values.isin([name])]
        cells = [_txt(t.category(col, name)), _num(f"{int(n):,}"), _num(_fmt_pct(n / total))]
        cells += [_num(f(members)) for f in extra.values()]
        rows.append(cells)
    return _table(headers, rows)


def _classes(r: _Report) -> Section | None:
    present = [c for c in _FIVE_DIMENSIONS if r.has(c)]
    if not present:
        return None
    t = r.text
    parts = [f"<div><h3>{_e(t.column(c))}</h3>{_counts_table(r, c, {})}</div>" for c in present]
    body = f'<p>{_e(t("classes_caption"))}</p><div class="tables">{"".join(parts)}</div>'
    if "lifecycle_stage" in present:
        body += _figures([r.plots.figure("lifecycle_funnel", r.table)])
    return "classes", t("sec_classes"), body


def _clv(r: _Report) -> Section | None:
    present = [c for c in ("clv", "profit_clv", "p_alive", "churn_probability") if r.has(c)]
    if not present:
        return None
    t, b = r.text, r.buyers
    rows: list[list[Cell]] = []
    if r.has("clv"):
        rows.append([_txt(t("clv_total")), _num(_fmt_money(b["clv"].sum()))])
        rows.append([_txt(t("clv_mean")), _num(_fmt_money(b["clv"].mean()))])
        rows.append([_txt(t("clv_median")), _num(_fmt_money(b["clv"].median()))])
    if r.has("profit_clv"):
        rows.append([_txt(t("profit_clv_total")), _num(_fmt_money(b["profit_clv"].sum()))])
    if r.has("p_alive"):
        rows.append([_txt(t("p_alive_mean")), _num(_fmt_num(b["p_alive"].mean(), 3))])
        rows.append([_txt(t("p_alive_low")), _num(f"{int(b['p_alive'].lt(0.5).sum()):,}")])
    if r.has("churn_probability"):
        churn = r.table["churn_probability"]
        rows.append([_txt(t("churn_mean")), _num(_fmt_num(churn.mean(), 3))])
        rows.append([_txt(t("churn_high")), _num(f"{int(churn.ge(0.5).sum()):,}")])
    body = _table([_txt(t("col_measure")), _num(t("col_value"))], rows)
    parts = [r.plots.figure("clv_distribution", r.buyers) if r.has("clv") else ""]
    if r.has("p_alive", "frequency", "recency", "T"):
        parts.append(r.plots.figure("p_alive_matrix", r.buyers))
    body += _figures(parts)
    return "clv", t("sec_clv"), body


def _health(r: _Report) -> Section | None:
    present = [c for c in ("health_band", "health_score", "n_warnings") if r.has(c)]
    flags = [c for c in _WARNING_FLAGS if r.has(c)]
    if not present and not flags:
        return None
    t = r.text
    parts = []
    if r.has("health_band"):
        extra: dict[str, Callable[[pd.DataFrame], str]] = {}
        if r.has("health_score"):
            extra["col_mean_health"] = lambda m: _fmt_num(m["health_score"].mean(), 1)
        parts.append(f"<div>{_counts_table(r, 'health_band', extra)}</div>")
    if flags:
        n = len(r.table)
        rows = []
        for c in flags:
            count = int(r.flag(c).sum())
            rows.append([_txt(t(f"flag_{c}")), _num(f"{count:,}"), _num(_fmt_pct(count / n))])
        headers = [_txt(t("col_warning")), _num(t("col_customers")), _num(t("col_customer_share"))]
        parts.append(f"<div>{_table(headers, rows)}</div>")
    body = f'<div class="tables">{"".join(parts)}</div>' if parts else ""
    if r.has("n_warnings"):
        body += _warned_list(r)
    if r.has("health_score"):
        body += _figures([r.plots.figure("health_distribution", r.table)])
    return "health", t("sec_health"), body


def _warned_list(r: _Report) -> str:
    """The customers with warnings, key accounts first, then by warnings and revenue."""
    t = r.text
    frame = r.table[r.table["n_warnings"].gt(0).to_numpy()]
    if len(frame) == 0:
        return ""
    order = pd.DataFrame(
        {
            "key": r.flag("is_key_account", frame).to_numpy()
            if r.has("is_key_account")
            else np.zeros(len(frame), dtype=bool),
            "n": frame["n_warnings"].to_numpy(),
            "revenue": frame["revenue"].fillna(0).to_numpy()
            if r.has("revenue")
            else np.zeros(len(frame)),
            "pos": np.arange(len(frame)),
        }
    ).sort_values(["key", "n", "revenue", "pos"], ascending=[False, False, False, True])
    shown = frame.iloc[order["pos"].to_numpy()[: r.top]]
    headers = [r.id_header()]
    if r.has("is_key_account"):
        headers.append(_txt(t("col_key")))
    for c in ("health_score", "n_warnings"):
        if r.has(c):
            headers.append(_num(t.column(c)))
    if r.has("health_band"):
        headers.append(_txt(t.column("health_band")))
    if r.has("warning_reasons"):
        headers.append(_txt(t("col_reasons")))
    is_key = r.flag("is_key_account", shown).to_numpy() if r.has("is_key_account") else None
    rows = []
    for i, (ident, row) in enumerate(shown.iterrows()):
        cells = [_txt(ident)]
        if is_key is not None:
            cells.append(_txt(t("yes") if is_key[i] else ""))
        if r.has("health_score"):
            cells.append(_num(_fmt_num(row["health_score"], 1)))
        cells.append(_num(_fmt_int(row["n_warnings"])))
        if r.has("health_band"):
            cells.append(_txt(t.category("health_band", row["health_band"])))
        if r.has("warning_reasons"):
            reasons = row["warning_reasons"]
            cells.append(_txt("" if _missing(reasons) else reasons))
        rows.append(cells)
    caption = t("health_warned", shown=f"{len(shown):,}", n=f"{len(frame):,}")
    return _table(headers, rows, caption=caption)


def _performance(
    r: _Report, transactions: pd.DataFrame, *, period: ReportPeriod, columns: Mapping[str, Any]
) -> Section:
    """Key accounts per period (kamseg.kam_performance): revenue, share, growth, retention."""
    from kamseg.evaluate import KAM_GROUP_LABELS, KAM_GROUPS, kam_performance

    t = r.text
    performance = kam_performance(transactions, r.table, period=period, labels=t.lang, **columns)
    key_name, other_name, _ = (
        translate(g, labels=t.lang, table=KAM_GROUP_LABELS) for g in KAM_GROUPS
    )
    key = performance.xs(key_name, level="group")
    other = performance.xs(other_name, level="group")
    headers = [
        _txt(t("col_period")),
        _num(t("col_key_revenue")),
        _num(t("col_key_share")),
        _num(t("col_key_growth")),
        _num(t("col_key_active")),
        _num(t("col_key_retention")),
        _num(t("col_other_retention")),
    ]
    money = _money(key["revenue"])
    rows = []
    for i, per in enumerate(key.index):
        mark = " *" if bool(key["partial"].iloc[i]) else ""
        rows.append(
            [
                _txt(f"{per}{mark}"),
                _num(money(key["revenue"].iloc[i])),
                _num(_fmt_pct(key["revenue_share"].iloc[i])),
                _num(_fmt_pct(key["revenue_growth"].iloc[i])),
                _num(_fmt_int(key["active_customers"].iloc[i])),
                _num(_fmt_pct(key["retention_rate"].iloc[i])),
                _num(_fmt_pct(other["retention_rate"].iloc[i])),
            ]
        )
    caption = t("performance_caption", period=t(f"period_{period}"))
    body = _table(headers, rows, caption=caption)
    body += _figures(
        r.plots.figure("kam_performance_plot", performance, metric=metric)
        for metric in ("revenue_growth", "retention_rate")
    )
    return "performance", t("sec_performance"), body


# --------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------


def render_report(
    table: pd.DataFrame,
    *,
    transactions: pd.DataFrame | None = None,
    labels: Language = "en",
    title: str | None = None,
    top: int = 25,
    period: ReportPeriod = "Q",
    customer_col: Hashable = "customer_id",
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    profit_col: Hashable | None = None,
) -> str:
    """Render the annotated customer table as one self-contained HTML page.

    Parameters
    ----------
    table
        One row per customer, indexed by customer id, e.g. from :func:`kamseg.segment`
        (or any table with some of its columns: ``revenue``, ``rfm_segment``,
        ``abc_class``, ``pyramid_tier``, ``account_rank``, ``is_key_account``, the five
        class columns, ``clv``, ``p_alive``, ``health_band``, ``n_warnings``, ...).
        Sections whose columns are missing are left out. Rows with no ``revenue`` (the
        prospects) count only in the class tables. Not modified.
    transactions
        Optional transactions (`customer_col`, `date_col`, `amount_col`, and `profit_col`
        if given); adds the key-account performance per `period`
        (:func:`kamseg.kam_performance`), for which `table` needs ``is_key_account``.
        Not modified.
    labels
        Language of the page: ``"en"`` or ``"zh"``. Canonical English class names in
        `table` are translated too; other names are shown as they are.
    title
        Page title; default "Customer segmentation report" (or its Chinese name).
    top
        Number of key accounts listed (best ``account_rank`` first), and of customers
        with early warnings. Default 25.
    period
        Period of the performance section: ``"Q"`` quarters (default), ``"M"`` months or
        ``"Y"`` years.
    customer_col, date_col, amount_col, profit_col
        Columns of `transactions`, as in :func:`kamseg.kam_performance`.

    Returns
    -------
    str
        The HTML document (UTF-8 text, ``<!DOCTYPE html>``). It loads nothing: CSS is
        inline, plots are PNG ``data:`` URIs, there is no script. Every value from the
        data is HTML-escaped.

    Raises
    ------
    EmptyInputError
        If `table` has no rows.
    ColumnNotFoundError
        If `table` has none of the columns the report shows (often: the transactions were
        passed instead of the customer table), or a column of `transactions` is missing.
    SchemaError
        If the index of `table` has duplicated ids, or a column has invalid values.
    ConfigError
        If `labels`, `top`, `period` or `title` are invalid, or `transactions` is given but
        `table` has no ``is_key_account`` column or no key account.

    Notes
    -----
    Key figures: *customers* are the rows with a ``revenue`` (the prospects are counted
    apart); *revenue from the top 20 % of customers* and the *Gini coefficient* are those
    of :func:`kamseg.concentration` on their revenue; *predicted CLV* is the sum of
    ``clv`` (over the horizon it was predicted for, 12 months by default); *at risk* are
    the customers in the worst ``health_band``; *with early warnings* those with
    ``n_warnings > 0``; *churn probability >= 50 %* counts ``churn_probability``.

    Examples
    --------
    >>> import kamseg
    >>> from kamseg.report import render_report
    >>> data = kamseg.datasets.make_transactions(n_customers=200, seed=0)
    >>> customers = kamseg.summarize(data.transactions, as_of=data.as_of)
    >>> table = kamseg.rfm_segments(kamseg.rfm_scores(customers))
    >>> page = render_report(table, title="Q4 <review>")
    >>> page.startswith("<!DOCTYPE html>"), "<title>Q4 &lt;review&gt;</title>" in page
    (True, True)
    >>> 'id="rfm"' in page, 'id="key-accounts"' in page  # no account_rank column
    (True, False)
    """
    func = "render_report"
    check_frame(table, func=func, arg="table")
    lang = check_language(labels, func=func)
    n_top = check_int(top, func=func, arg="top", low=1)
    check_choice(period, get_args(ReportPeriod), func=func, arg="period")
    if title is not None and not isinstance(title, str):
        raise ConfigError(
            f"{func}: `title` must be a string or None; got {type(title).__name__}. "
            "Hint: pass the page title as text."
        )
    if not table.index.is_unique:
        dup = table.index[table.index.duplicated()]
        raise SchemaError(
            f"{func}: the index of `table` has duplicated customer ids, e.g. {examples(dup)}. "
            "Hint: the report needs one row per customer, indexed by customer id."
        )
    tx_cols = {"customer_col": customer_col, "date_col": date_col}
    tx_cols |= {"amount_col": amount_col, "profit_col": profit_col}
    if transactions is not None:
        check_frame(transactions, func=func, arg="transactions")
        if "is_key_account" not in table.columns:
            raise ConfigError(
                f"{func}: `transactions` is given for the key-account performance, but "
                "`table` has no 'is_key_account' column. Hint: run "
                "kamseg.select_key_accounts first, or leave transactions=None."
            )
        check_columns(transactions, tx_cols, func=func)

    text = _Text(lang)
    plots = _Plots(text)
    report = _Report(table, text, plots, n_top)
    sections: list[Section | None] = [
        _key_accounts(report),
        _concentration_section(report),
        _rfm(report),
        _pyramid(report),
        _classes(report),
        _clv(report),
        _health(report),
    ]
    if all(s is None for s in sections):
        shown = ", ".join(repr(str(c)) for c in list(table.columns)[:10])
        raise ColumnNotFoundError(
            f"{func}: `table` has none of the columns of the report's sections (e.g. "
            f"'revenue', 'rfm_segment', 'pyramid_tier', 'lifecycle_stage', 'health_band'); "
            f"its columns are {shown}. Hint: pass the customer table (kamseg.segment or "
            "kamseg.summarize), not the transactions."
        )
    sections.insert(0, _key_figures(report))
    if transactions is not None:
        sections.append(_performance(report, transactions, period=period, columns=tx_cols))
    return _page(
        [s for s in sections if s is not None],
        text=text,
        title=text("title") if title is None else title,
        plots_available=plots.available,
        latest=_latest_purchase(table),
    )


def _latest_purchase(table: pd.DataFrame) -> str | None:
    if "last_purchase" not in table.columns:
        return None
    dates = table["last_purchase"]
    if not pd.api.types.is_datetime64_any_dtype(dates.dtype):
        return None
    latest = dates.max()
    return None if _missing(latest) else str(pd.Timestamp(latest).date())


def _page(
    sections: Sequence[Section],
    *,
    text: _Text,
    title: str,
    plots_available: bool,
    latest: str | None,
) -> str:
    from kamseg import __version__

    subtitle = [text("made_with", version=__version__)]
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
        f'<meta name="generator" content="kamseg {_e(__version__)}">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{_e(title)}</h1><p>{_e(' '.join(subtitle))}</p></header>\n"
        f'<nav aria-label="{_e(text("contents"))}">{nav}</nav>\n'
        f"<main>\n{notice}{body}\n</main>\n"
        f"<footer>{_e(text('made_with', version=__version__))}</footer>\n"
        "</body>\n</html>\n"
    )


def write_report(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    transactions: pd.DataFrame | None = None,
    labels: Language = "en",
    title: str | None = None,
    top: int = 25,
    period: ReportPeriod = "Q",
    customer_col: Hashable = "customer_id",
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    profit_col: Hashable | None = None,
) -> Path:
    """Write the HTML report of :func:`render_report` to `path`, atomically.

    The page goes to a temporary file in the target folder that is renamed over `path`
    only once it is complete, so a failure never leaves a partial file. Parameters other
    than `path` are those of :func:`render_report`.

    Returns
    -------
    Path
        The path written (`path` as a :class:`pathlib.Path`).

    Raises
    ------
    FileNotFoundError
        If the folder of `path` does not exist.
    KamsegError
        As :func:`render_report` (nothing is written).

    Examples
    --------
    >>> import tempfile, pathlib, kamseg
    >>> from kamseg.report import write_report
    >>> data = kamseg.datasets.make_transactions(n_customers=200, seed=0)
    >>> table = kamseg.summarize(data.transactions, as_of=data.as_of)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = write_report(table, pathlib.Path(folder) / "report.html")
    ...     out.name, out.read_text(encoding="utf-8").count("<section")
    ('report.html', 2)
    """
    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(
            f"write_report: folder {str(folder)!r} of {str(p)!r} does not exist. "
            "Hint: create it first."
        )
    page = render_report(
        table,
        transactions=transactions,
        labels=labels,
        title=title,
        top=top,
        period=period,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        profit_col=profit_col,
    )
    atomic_write(p, lambda tmp: tmp.write_text(page, encoding="utf-8", newline="\n"))
    return p
