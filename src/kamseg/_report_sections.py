"""The sections of kamseg.report that call no analysis (no analysis imports).

The key-account list, the class tables (five dimensions), lifetime value and churn risk,
health bands and early warnings; and the tables the report's other sections share.
Each section returns (anchor, heading, body html), or None when its columns are missing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from kamseg._report_html import (
    Cell,
    Section,
    _e,
    _figures,
    _fmt_int,
    _fmt_money,
    _fmt_num,
    _fmt_pct,
    _missing,
    _money,
    _num,
    _Plots,
    _table,
    _Text,
    _txt,
)

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
_WARNING_FLAGS = ("warn_spend_drop", "warn_overdue", "warn_detractor", "warn_open_complaint")


# --------------------------------------------------------------------------------------
# the report's data
# --------------------------------------------------------------------------------------


class _ReportData:
    """What every section needs: the table, its buyers, the language and the plots.

    kamseg.report extends it with what only its own sections need.
    """

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
# sections
# --------------------------------------------------------------------------------------


def _key_accounts(r: _ReportData) -> Section | None:
    if not r.has("account_rank"):
        return None
    t = r.text
    # the rows shown, picked before any copy of the table (a copy of every ranked customer
    # took 0.35 s at 1M)
    picked = r.table["account_rank"].notna().to_numpy()
    if r.has("is_key_account"):
        picked = picked & r.flag("is_key_account").to_numpy()
    ranked = r.table[picked].sort_values("account_rank", kind="stable")
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


def _share_table(
    r: _ReportData, summary: pd.DataFrame, col: str, *, value: str, best_first: bool
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


def _counts_table(
    r: _ReportData, col: str, extra: Mapping[str, Callable[[np.ndarray], str]]
) -> str:
    """Customers per class of `col` (every category, then missing values) and `extra`,
    each given the class's rows (a boolean mask: a copy of the whole table per class took
    3 s at 1M customers)."""
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
        cells = [_txt(t.category(col, name)), _num(f"{int(n):,}"), _num(_fmt_pct(n / total))]
        if extra:
            rows_in = (values.isna() if _missing(name) else values.isin([name])).to_numpy()
            cells += [_num(f(rows_in)) for f in extra.values()]
        rows.append(cells)
    return _table(headers, rows)


def _classes(r: _ReportData) -> Section | None:
    present = [c for c in _FIVE_DIMENSIONS if r.has(c)]
    if not present:
        return None
    t = r.text
    parts = [f"<div><h3>{_e(t.column(c))}</h3>{_counts_table(r, c, {})}</div>" for c in present]
    body = f'<p>{_e(t("classes_caption"))}</p><div class="tables">{"".join(parts)}</div>'
    if "lifecycle_stage" in present:
        body += _figures([r.plots.figure("lifecycle_funnel", r.table)])
    return "classes", t("sec_classes"), body


def _clv(r: _ReportData) -> Section | None:
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


def _health(r: _ReportData) -> Section | None:
    present = [c for c in ("health_band", "health_score", "n_warnings") if r.has(c)]
    flags = [c for c in _WARNING_FLAGS if r.has(c)]
    if not present and not flags:
        return None
    t = r.text
    parts = []
    if r.has("health_band"):
        extra: dict[str, Callable[[np.ndarray], str]] = {}
        if r.has("health_score"):
            score = r.table["health_score"]
            extra["col_mean_health"] = lambda rows_in: _fmt_num(score[rows_in].mean(), 1)
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


def _warned_list(r: _ReportData) -> str:
    """The customers with warnings, key accounts first, then by warnings and revenue."""
    t = r.text
    warned = np.flatnonzero(r.table["n_warnings"].gt(0).to_numpy())
    if warned.size == 0:
        return ""
    # sorted by their columns alone: only the rows shown are copied from the table
    order = pd.DataFrame(
        {
            "key": r.flag("is_key_account").to_numpy()[warned]
            if r.has("is_key_account")
            else np.zeros(warned.size, dtype=bool),
            "n": r.table["n_warnings"].to_numpy()[warned],
            "revenue": r.table["revenue"].fillna(0).to_numpy()[warned]
            if r.has("revenue")
            else np.zeros(warned.size),
            "pos": np.arange(warned.size),
        }
    ).sort_values(["key", "n", "revenue", "pos"], ascending=[False, False, False, True])
    shown = r.table.iloc[warned[order["pos"].to_numpy()[: r.top]]]
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
    caption = t("health_warned", shown=f"{len(shown):,}", n=f"{warned.size:,}")
    return _table(headers, rows, caption=caption)
