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

import os
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import pandas as pd

from kamseg._files import atomic_write
from kamseg._report_html import (
    Section,
    _e,
    _figures,
    _fmt_int,
    _fmt_money,
    _fmt_num,
    _fmt_pct,
    _kpi,
    _missing,
    _money,
    _num,
    _page,
    _Plots,
    _table,
    _Text,
    _txt,
)
from kamseg._report_sections import (
    _classes,
    _clv,
    _health,
    _key_accounts,
    _ReportData,
    _share_table,
    _with_values,
)
from kamseg._tables import customer_column
from kamseg._validation import check_choice, check_columns, check_frame, check_int, examples
from kamseg.errors import (
    ColumnNotFoundError,
    ConfigError,
    KamsegError,  # noqa: F401 (docs links)
    SchemaError,
)
from kamseg.evaluate import CalendarFreq
from kamseg.labels import Language, check_language, translate
from kamseg.transactions import PreparedTransactions

if TYPE_CHECKING:
    from kamseg.pareto import Concentration

__all__ = ["render_report", "write_report"]

# --------------------------------------------------------------------------------------
# the report's data
# --------------------------------------------------------------------------------------


class _Report(_ReportData):
    """The report's data, and the revenue concentration its sections share."""

    def __init__(self, table: pd.DataFrame, text: _Text, plots: _Plots, top: int) -> None:
        super().__init__(table, text, plots, top)
        self.conc: Concentration | None = None  # computed once, by _concentration


def _plot_module() -> Any:
    """:mod:`kamseg.plot`, or None when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401

        from kamseg import plot
    except ImportError:
        return None
    return plot


# --------------------------------------------------------------------------------------
# sections: each returns (anchor, heading, body html) or None when its columns are missing
# --------------------------------------------------------------------------------------


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
    # profit net of the cost to serve when the job computed it (seed 001), else profit
    profit_col = "net_profit" if r.has("net_profit") else "profit"
    if r.has(profit_col) and len(_with_values(r.buyers, profit_col)):
        from kamseg.pareto import whale_curve

        profits = _with_values(r.buyers, profit_col)
        if float(profits[profit_col].sum()) > 0:
            whale = whale_curve(profits, profit_col=profit_col)
            rows.append([_txt(t("conc_whale")), _txt(whale.describe(labels=t.lang))])
    headers = [_txt(t("col_measure")), _num(t("col_value"))]
    body = _table(headers, rows)
    lorenz = r.plots.figure("lorenz_curve", r.buyers, value_col="revenue")
    whales = (
        "" if whale is None else r.plots.figure("whale_curve", r.buyers, profit_col=profit_col)
    )
    body += _figures([lorenz, whales])
    return "concentration", t("sec_concentration"), body


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
        summary = pareto_summary(classed, segment_col=col, value_col="revenue").rename(
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


def _performance(
    r: _Report,
    transactions: pd.DataFrame | PreparedTransactions,
    *,
    freq: CalendarFreq,
    columns: Mapping[str, Any],
) -> Section:
    """Key accounts per period (kamseg.kam_performance): revenue, share, growth, retention."""
    from kamseg.evaluate import KAM_GROUP_LABELS, KAM_GROUPS, kam_performance

    t = r.text
    performance = kam_performance(
        transactions, key_accounts=r.table, freq=freq, labels=t.lang, **columns
    )
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
    caption = t("performance_caption", period=t(f"period_{freq}"))
    body = _table(headers, rows, caption=caption)
    body += _figures(
        r.plots.figure("kam_performance_plot", performance, metric_col=metric)
        for metric in ("revenue_growth", "retention_rate")
    )
    return "performance", t("sec_performance"), body


# --------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------


def render_report(
    customers: pd.DataFrame,
    *,
    transactions: pd.DataFrame | PreparedTransactions | None = None,
    labels: Language = "en",
    title: str | None = None,
    top: int = 25,
    freq: CalendarFreq = "Q",
    customer_col: Hashable | None = None,
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    profit_col: Hashable | None = None,
) -> str:
    """Render the annotated customer table as one self-contained HTML page.

    Parameters
    ----------
    customers
        One row per customer, indexed by customer id, e.g. from :func:`kamseg.segment`
        (or any table with some of its columns: ``revenue``, ``rfm_segment``,
        ``abc_class``, ``pyramid_tier``, ``account_rank``, ``is_key_account``, the five
        class columns, ``clv``, ``p_alive``, ``health_band``, ``n_warnings``, ...).
        Sections whose columns are missing are left out. Rows with no ``revenue`` (the
        prospects) count only in the class tables. Not modified.
    transactions
        Optional transactions, prepared (:func:`kamseg.prepare_transactions`, used as they
        are) or a DataFrame (`customer_col`, `date_col`, `amount_col`, and `profit_col`
        if given); adds the key-account performance per `freq`
        (:func:`kamseg.kam_performance`), for which `customers` needs ``is_key_account``.
        Not modified.
    labels
        Language of the page: ``"en"`` or ``"zh"``. Canonical English class names in
        `customers` are translated too; other names are shown as they are.
    title
        Page title; default "Customer segmentation report" (or its Chinese name).
    top
        Number of key accounts listed (best ``account_rank`` first), and of customers
        with early warnings. Default 25.
    freq
        The period of the performance section: ``"Q"`` calendar quarters (default), ``"M"``
        months or ``"Y"`` years.
    customer_col, date_col, amount_col, profit_col
        Columns of `transactions`, as in :func:`kamseg.kam_performance`. `customer_col`
        defaults to the name of the index of `customers` (``"customer_id"`` when the index
        has no name).

    Returns
    -------
    str
        The HTML document (UTF-8 text, ``<!DOCTYPE html>``). It loads nothing: CSS is
        inline, plots are PNG ``data:`` URIs, there is no script. Every value from the
        data is HTML-escaped.

    Raises
    ------
    EmptyInputError
        If `customers` has no rows.
    ColumnNotFoundError
        If `customers` has none of the columns the report shows (often: the transactions
        were passed instead of the customer table), or a column of `transactions` is
        missing.
    SchemaError
        If the index of `customers` has duplicated ids, or a column has invalid values.
    ConfigError
        If `labels`, `top`, `freq` or `title` are invalid, or `transactions` is given but
        `customers` has no ``is_key_account`` column or no key account.

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
    >>> segmented = kamseg.rfm_segments(kamseg.rfm_scores(customers))
    >>> page = render_report(segmented, title="Q4 <review>")
    >>> page.startswith("<!DOCTYPE html>"), "<title>Q4 &lt;review&gt;</title>" in page
    (True, True)
    >>> 'id="rfm"' in page, 'id="key-accounts"' in page  # no account_rank column
    (True, False)
    """
    func = "render_report"
    table = check_frame(customers, func=func, arg="customers")
    lang = check_language(labels, func=func)
    n_top = check_int(top, func=func, arg="top", low=1)
    check_choice(freq, get_args(CalendarFreq), func=func, arg="freq")
    if title is not None and not isinstance(title, str):
        raise ConfigError(
            f"{func}: `title` must be a string or None; got {type(title).__name__}. "
            "Hint: pass the page title as text."
        )
    if not table.index.is_unique:
        dup = table.index[table.index.duplicated()]
        raise SchemaError(
            f"{func}: the index of `customers` has duplicated customer ids, e.g. "
            f"{examples(dup)}. Hint: the report needs one row per customer, indexed by "
            "customer id."
        )
    tx_cols = {"customer_col": customer_column(table, customer_col), "date_col": date_col}
    tx_cols |= {"amount_col": amount_col, "profit_col": profit_col}
    if transactions is not None:
        if not isinstance(transactions, PreparedTransactions):
            check_frame(transactions, func=func, arg="transactions")
        if "is_key_account" not in table.columns:
            raise ConfigError(
                f"{func}: `transactions` is given for the key-account performance, but "
                "`customers` has no 'is_key_account' column. Hint: run "
                "kamseg.select_key_accounts first, or leave transactions=None."
            )
        if not isinstance(transactions, PreparedTransactions):
            check_columns(transactions, tx_cols, func=func)

    text = _Text(lang)
    plots = _Plots(text, _plot_module())
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
            f"{func}: `customers` has none of the columns of the report's sections (e.g. "
            f"'revenue', 'rfm_segment', 'pyramid_tier', 'lifecycle_stage', 'health_band'); "
            f"its columns are {shown}. Hint: pass the customer table (kamseg.segment or "
            "kamseg.summarize), not the transactions."
        )
    sections.insert(0, _key_figures(report))
    if transactions is not None:
        sections.append(_performance(report, transactions, freq=freq, columns=tx_cols))
    from kamseg import __version__

    return _page(
        [s for s in sections if s is not None],
        text=text,
        title=text("title") if title is None else title,
        plots_available=plots.available,
        latest=_latest_purchase(table),
        version=__version__,
    )


def _latest_purchase(table: pd.DataFrame) -> str | None:
    if "last_purchase" not in table.columns:
        return None
    dates = table["last_purchase"]
    if not pd.api.types.is_datetime64_any_dtype(dates.dtype):
        return None
    latest = dates.max()
    return None if _missing(latest) else str(pd.Timestamp(latest).date())


def write_report(
    customers: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    transactions: pd.DataFrame | PreparedTransactions | None = None,
    labels: Language = "en",
    title: str | None = None,
    top: int = 25,
    freq: CalendarFreq = "Q",
    customer_col: Hashable | None = None,
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
    >>> customers = kamseg.summarize(data.transactions, as_of=data.as_of)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = write_report(customers, pathlib.Path(folder) / "report.html")
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
        customers,
        transactions=transactions,
        labels=labels,
        title=title,
        top=top,
        freq=freq,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        profit_col=profit_col,
    )
    atomic_write(p, lambda tmp: tmp.write_text(page, encoding="utf-8", newline="\n"))
    return p
