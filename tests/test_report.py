"""Tests of kamseg.report: the HTML report, its content, its escaping, and how it renders in
a real headless Chromium (no console error, no request, no broken image)."""

from __future__ import annotations

import base64
import html
import importlib.util
import os
import re
import sys
import warnings
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kamseg
from kamseg.errors import (
    ColumnNotFoundError,
    ConfigError,
    EmptyInputError,
    KamsegWarning,
    SchemaError,
)
from kamseg.report import render_report, write_report

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
HAS_PLOTS = (
    importlib.util.find_spec("matplotlib") is not None
    and importlib.util.find_spec("kamseg.plot") is not None
)
ALL_SECTIONS = (
    "key-figures",
    "key-accounts",
    "concentration",
    "rfm",
    "pyramid",
    "classes",
    "clv",
    "health",
    "performance",
)


# --------------------------------------------------------------------------------------
# fixtures: the full customer table of `kamseg demo`, in English and in Chinese
# --------------------------------------------------------------------------------------

N_DEMO, SEED = 300, 3


@pytest.fixture(scope="module")
def demo() -> kamseg.datasets.Dataset:
    """A small synthetic customer base with every side table (do not mutate its frames)."""
    return kamseg.datasets.make_transactions(n_customers=N_DEMO, seed=SEED)


def _segment(demo: kamseg.datasets.Dataset, labels: str) -> pd.DataFrame:
    config = kamseg.SegmentConfig(profit_col="profit", labels=labels)
    return kamseg.segment(
        demo.transactions,
        master=demo.master,
        surveys=demo.surveys,
        complaints=demo.complaints,
        catalog=demo.catalog,
        config=config,
    )


@pytest.fixture(scope="module")
def full_table(demo: kamseg.datasets.Dataset) -> pd.DataFrame:
    """The full annotated table of kamseg.segment, English labels (do not mutate)."""
    return _segment(demo, "en")


@pytest.fixture(scope="module")
def full_table_zh(demo: kamseg.datasets.Dataset) -> pd.DataFrame:
    """The same with Chinese labels."""
    return _segment(demo, "zh")


@pytest.fixture(scope="module")
def transactions(demo: kamseg.datasets.Dataset) -> pd.DataFrame:
    return demo.transactions


@pytest.fixture(scope="module")
def full_page(full_table: pd.DataFrame, transactions: pd.DataFrame) -> str:
    """The report of the full table, with the performance section (and plots if possible)."""
    return render_report(full_table, transactions=transactions)


@pytest.fixture
def no_plots(monkeypatch: pytest.MonkeyPatch) -> None:
    """Render as without matplotlib: quicker, for tests of the tables."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)


@pytest.fixture(scope="module")
def rfm_table() -> pd.DataFrame:
    """Only the summary and the RFM columns, as when a user has only transactions."""
    data = kamseg.datasets.make_transactions(n_customers=200, seed=5)
    customers = kamseg.summarize(data.transactions, as_of=data.as_of)
    return kamseg.rfm_segments(kamseg.rfm_scores(customers))


# --------------------------------------------------------------------------------------
# a small reader of the page: sections, their tables, key figures, tags and attributes
# --------------------------------------------------------------------------------------


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str]] = []  # (tag, name, value)
        self.sections: dict[str, list[list[list[str]]]] = {}
        self.headings: dict[str, str] = {}
        self._section: str | None = None
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self._h2: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend((tag, k, v or "") for k, v in attrs)
        if tag == "section":
            self._section = dict(attrs)["id"]
            self.sections[self._section or ""] = []
        elif tag == "table":
            self._rows = []
            self.sections[self._section or ""].append(self._rows)
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "h2":
            self._h2 = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._rows is not None:
            self._rows[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._rows = None
        elif tag == "h2" and self._h2 is not None:
            self.headings[self._section or ""] = "".join(self._h2)
            self._h2 = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._h2 is not None:
            self._h2.append(data)


def read(page: str) -> _Reader:
    reader = _Reader()
    reader.feed(page)
    reader.close()
    return reader


def kpis(page: str) -> dict[str, str]:
    """Key figures by their data-key: the shown value."""
    found = re.findall(r'data-key="([^"]+)"><div class="kpi-value">([^<]*)</div>', page)
    return {key: html.unescape(value) for key, value in found}


def table_rows(page: str, section: str, index: int = 0) -> list[list[str]]:
    """The rows (header first) of table `index` of a section."""
    return read(page).sections[section][index]


def as_number(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


# --------------------------------------------------------------------------------------
# sections present or absent by column
# --------------------------------------------------------------------------------------


def test_full_table_has_every_section(full_page):
    page = full_page
    reader = read(page)
    assert tuple(reader.sections) == ALL_SECTIONS
    assert reader.headings["rfm"] == "RFM segments"
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert '<meta charset="utf-8">' in page
    assert "<title>Customer segmentation report</title>" in page


def test_summary_and_rfm_only(rfm_table):
    page = render_report(rfm_table)
    assert tuple(read(page).sections) == ("key-figures", "concentration", "rfm")
    # no key-account, CLV or health figures without their columns
    assert set(kpis(page)) == {"customers", "revenue", "top20_share", "gini"}


@pytest.mark.parametrize(
    ("dropped", "gone"),
    [
        (["account_rank"], {"key-accounts"}),
        (["pyramid_tier", "abc_class"], {"pyramid"}),
        (
            [
                "value_class",
                "behaviour_class",
                "lifecycle_stage",
                "need_level",
                "satisfaction_class",
            ],
            {"classes"},
        ),
        (["clv", "profit_clv", "p_alive", "churn_probability"], {"clv"}),
        (
            [
                "health_band",
                "health_score",
                "n_warnings",
                "warn_spend_drop",
                "warn_overdue",
                "warn_detractor",
                "warn_open_complaint",
            ],
            {"health"},
        ),
        (["rfm_segment"], {"rfm"}),
        (["revenue"], {"concentration", "rfm", "pyramid"}),
    ],
)
def test_sections_follow_columns(full_table, dropped, gone, no_plots):
    page = render_report(full_table.drop(columns=dropped))
    expected = [s for s in ALL_SECTIONS if s not in gone and s != "performance"]
    assert list(read(page).sections) == expected


def test_one_class_column_is_enough():
    table = pd.DataFrame(
        {"lifecycle_stage": ["new", "mature", "mature"]}, index=pd.Index(list("abc"), name="id")
    )
    page = render_report(table)
    assert list(read(page).sections) == ["key-figures", "classes"]
    rows = table_rows(page, "classes")
    assert rows[1:] == [["mature", "2", "66.7%"], ["new", "1", "33.3%"]]


# --------------------------------------------------------------------------------------
# numbers, checked against independent pandas computations
# --------------------------------------------------------------------------------------


def top_share(values: pd.Series, share: float) -> float:
    """Revenue share of the top `share` of customers, interpolating a partial customer."""
    x = np.sort(values.to_numpy(dtype=float))[::-1]
    k = share * len(x)
    whole = int(np.floor(k))
    part = x[:whole].sum() + (k - whole) * (x[whole] if whole < len(x) else 0.0)
    return float(part / x.sum())


def gini(values: pd.Series) -> float:
    """Mean absolute difference over twice the mean (no small-sample correction)."""
    x = values.to_numpy(dtype=float)
    return float(np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean()))


def test_key_figures_match_pandas(full_table, full_page):
    page = full_page
    shown = kpis(page)
    buyers = full_table[full_table["revenue"].notna()]
    assert len(buyers) < len(full_table)  # the demo has prospects
    assert shown["customers"] == f"{len(buyers):,}"
    assert f"plus {len(full_table) - len(buyers):,} prospects" in page
    assert shown["revenue"] == f"{buyers['revenue'].sum():,.0f}"
    assert shown["profit"] == f"{buyers['profit'].sum():,.0f}"
    assert shown["top20_share"] == f"{100 * top_share(buyers['revenue'], 0.2):.1f}%"
    assert shown["gini"] == f"{gini(buyers['revenue']):.3f}"
    assert shown["key_accounts"] == str(int(full_table["is_key_account"].sum()))
    assert shown["clv"] == f"{buyers['clv'].sum():,.0f}"
    assert shown["p_alive"] == f"{buyers['p_alive'].mean():.2f}"
    assert shown["at_risk"] == f"{int((full_table['health_band'] == 'red').sum()):,}"
    assert shown["warned"] == f"{int((full_table['n_warnings'] > 0).sum()):,}"
    assert shown["churn_high"] == f"{int((full_table['churn_probability'] >= 0.5).sum()):,}"


def test_top_share_by_hand():
    # 10 customers: the top 20 % are the two largest, 50 + 20 of 100
    revenue = [50.0, 20.0, 10.0, 5.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0]
    table = pd.DataFrame({"revenue": revenue}, index=pd.RangeIndex(10, name="customer_id"))
    assert kpis(render_report(table))["top20_share"] == "70.0%"


def test_rfm_table_matches_value_counts(full_table, full_page):
    page = full_page
    rows = table_rows(page, "rfm")
    buyers = full_table[full_table["rfm_segment"].notna()]
    counts = buyers["rfm_segment"].value_counts()
    revenue = buyers.groupby("rfm_segment", observed=True)["revenue"].sum()
    assert rows[0][:3] == ["RFM segment", "Customers", "% of customers"]
    shown = {row[0]: row for row in rows[1:]}
    assert list(shown) == list(full_table["rfm_segment"].cat.categories[::-1])  # best first
    for name, row in shown.items():
        n = int(counts.get(name, 0))
        assert row[1] == f"{n:,}"
        assert row[2] == f"{100 * n / len(buyers):.1f}%"
        assert as_number(row[3]) == pytest.approx(revenue.get(name, 0.0), abs=0.5)


def test_pyramid_and_abc_tables(full_table, full_page):
    reader = read(full_page)
    tier_rows, abc_rows = reader.sections["pyramid"]
    tiers = full_table["pyramid_tier"].value_counts()
    assert [r[0] for r in tier_rows[1:]] == ["Top", "Big", "Medium", "Small", "Inactive"]
    assert {r[0]: r[1] for r in tier_rows[1:]} == {k: f"{v:,}" for k, v in tiers.items()}
    buyers = full_table[full_table["revenue"].notna()]
    share_a = buyers.loc[buyers["abc_class"] == "A", "revenue"].sum() / buyers["revenue"].sum()
    assert abc_rows[1][0] == "A"
    assert abc_rows[1][4] == f"{100 * share_a:.1f}%"


def test_five_dimension_counts(full_table, full_page):
    tables = read(full_page).sections["classes"]
    assert len(tables) == 5
    by_header = {t[0][0]: t for t in tables}
    stage = by_header["Lifecycle stage"]
    counts = full_table["lifecycle_stage"].value_counts(sort=False)
    assert [(r[0], r[1]) for r in stage[1:]] == [(k, f"{v:,}") for k, v in counts.items()]
    value = by_header["Value"]
    assert value[-1][:2] == ["(none)", f"{int(full_table['value_class'].isna().sum()):,}"]


def test_key_account_list(full_table, no_plots):
    page = render_report(full_table, top=10)
    rows = table_rows(page, "key-accounts")
    keys = full_table[full_table["is_key_account"]].sort_values("account_rank")
    assert rows[0][:4] == ["customer_id", "Rank", "Score", "Revenue"]
    assert [r[0] for r in rows[1:]] == [str(i) for i in keys.index[:10]]
    assert [r[1] for r in rows[1:]] == [str(int(x)) for x in keys["account_rank"][:10]]
    assert f"10 of {len(keys)} key accounts" in page


def test_health_and_warnings(full_table, no_plots):
    tables = read(render_report(full_table, top=5)).sections["health"]
    bands, flags, warned = tables
    counts = full_table["health_band"].value_counts(sort=False)
    assert [(r[0], r[1]) for r in bands[1:4]] == [(k, f"{v:,}") for k, v in counts.items()]
    assert flags[1][:2] == ["Spend drop", f"{int(full_table['warn_spend_drop'].sum()):,}"]
    assert len(warned) == 1 + 5
    # key accounts with warnings come first
    n_key_warned = int((full_table["is_key_account"] & (full_table["n_warnings"] > 0)).sum())
    assert [r[1] for r in warned[1 : 1 + min(5, n_key_warned)]] == ["yes"] * min(5, n_key_warned)
    # each band's mean health score
    means = full_table.groupby("health_band", observed=False)["health_score"].mean()
    assert [as_number(r[3]) for r in bands[1:4]] == pytest.approx(list(means), abs=0.05)
    # the warned customers: key accounts, then most warnings, then most revenue, then order
    w = full_table[full_table["n_warnings"] > 0]
    w = w.assign(
        _key=w["is_key_account"].eq(True), _rev=w["revenue"].fillna(0), _at=np.arange(len(w))
    )
    w = w.sort_values(["_key", "n_warnings", "_rev", "_at"], ascending=[False, False, False, True])
    assert [r[0] for r in warned[1:]] == [str(i) for i in w.index[:5]]


def test_performance_section(full_table, transactions, no_plots):
    page = render_report(full_table, transactions=transactions, freq="Y")
    rows = table_rows(page, "performance")
    tx = transactions.assign(year=pd.to_datetime(transactions["date"]).dt.year)
    keys = full_table.index[full_table["is_key_account"]]
    key_revenue = tx[tx["customer_id"].isin(keys)].groupby("year")["amount"].sum()
    assert [r[0].rstrip(" *") for r in rows[1:]] == [str(y) for y in key_revenue.index]
    for row, value in zip(rows[1:], key_revenue, strict=True):
        assert as_number(row[1]) == pytest.approx(value, abs=0.5)


def test_customer_col_defaults_to_the_index_name(full_table, transactions, no_plots):
    """Customers indexed by "client" read the transactions' "client" column."""
    expected = table_rows(render_report(full_table, transactions=transactions), "performance")
    clients = full_table.rename_axis("client")
    by_client = transactions.rename(columns={"customer_id": "client"})
    page = render_report(clients, transactions=by_client)
    assert table_rows(page, "performance") == expected
    with pytest.raises(ColumnNotFoundError, match=r"'client'.*customer_col"):
        render_report(clients, transactions=transactions)


# --------------------------------------------------------------------------------------
# escaping: nothing from the data becomes markup
# --------------------------------------------------------------------------------------

EVIL_ID = "<script>alert(1)</script>"
EVIL_CLASS = "A&B \"quoted\" 'single' <i>"


def evil_table(full_table: pd.DataFrame) -> pd.DataFrame:
    table = full_table.copy()
    key = table.index[table["account_rank"] == 1][0]
    table.index = table.index.map(lambda i: EVIL_ID if i == key else str(i)).rename("<id>")
    table["rfm_segment"] = table["rfm_segment"].cat.rename_categories({"Champions": EVIL_CLASS})
    table["lifecycle_stage"] = table["lifecycle_stage"].cat.rename_categories(
        {"mature": "<b>mature</b>"}
    )
    table["warning_reasons"] = table["warning_reasons"].where(
        table["n_warnings"] == 0, "<img src=x onerror=alert(2)>"
    )
    return table


def test_values_from_the_data_are_escaped(full_table, no_plots):
    page = render_report(evil_table(full_table), title="<Q4> & 'review'", labels="en")
    reader = read(page)
    assert "script" not in reader.tags
    assert "b" not in reader.tags and "i" not in reader.tags
    assert not [a for a in reader.attrs if a[1].startswith("on")]  # no event handler
    assert EVIL_ID not in page
    assert html.escape(EVIL_ID) in page
    assert html.escape(EVIL_CLASS) in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<title>&lt;Q4&gt; &amp; &#x27;review&#x27;</title>" in page
    assert '<th scope="col">&lt;id&gt;</th>' in page
    # the parsed text gives the values back unchanged
    rows = reader.sections["key-accounts"][0]
    assert rows[1][0] == EVIL_ID
    assert EVIL_CLASS in rows[1]


def test_every_resource_is_inline(full_page):
    page = full_page
    reader = read(page)
    assert "script" not in reader.tags and "link" not in reader.tags
    for tag, name, value in reader.attrs:
        if name in ("src", "href"):
            assert value.startswith(("#", "data:image/png;base64,")), (tag, value[:40])
    style = page[page.index("<style>") : page.index("</style>")]
    assert "url(" not in style and "@import" not in style and "@font-face" not in style


# --------------------------------------------------------------------------------------
# languages, plots, options, errors
# --------------------------------------------------------------------------------------


def test_chinese_report_translates_headings_and_english_classes(rfm_table, cjk_font_or_skip):
    page = render_report(rfm_table, labels="zh")
    assert '<html lang="zh">' in page
    assert read(page).headings["rfm"] == "RFM 客户细分"
    assert "冠军客户" in page and "Champions" not in page
    assert "<title>客户细分报告</title>" in page


def test_chinese_table_in_chinese(full_table_zh, transactions, no_plots):
    page = render_report(full_table_zh, transactions=transactions, labels="zh")
    reader = read(page)
    assert tuple(reader.sections) == ALL_SECTIONS
    assert "红灯" in page and "顶级客户" in page
    assert kpis(page)["at_risk"] == f"{int((full_table_zh['health_band'] == '红灯').sum()):,}"


def test_without_matplotlib_tables_and_a_notice(full_table, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    page = render_report(full_table)
    assert "<img" not in page
    assert 'pip install "kamseg[plot]"' in html.unescape(page)
    assert tuple(read(page).sections) == ALL_SECTIONS[:-1]


@pytest.mark.skipif(not HAS_PLOTS, reason="needs matplotlib and kamseg.plot")
def test_plots_are_inline_pngs(full_page):
    page = full_page
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]*)"', page)
    assert len(images) >= 8
    for data, alt in images:
        png = base64.b64decode(data, validate=True)
        assert png[:8] == b"\x89PNG\r\n\x1a\n", alt
    assert "kamseg[plot]" not in page
    import matplotlib.pyplot as plt

    assert plt.get_fignums() == []  # drawn on Figure objects of their own, none left open


@pytest.mark.skipif(not HAS_PLOTS, reason="needs matplotlib and kamseg.plot")
def test_a_plot_that_refuses_the_data_leaves_a_notice(rfm_table, monkeypatch):
    from kamseg import plot

    def refuse(*args: object, **kwargs: object) -> None:
        raise SchemaError("lorenz_curve: <no> data")

    monkeypatch.setattr(plot, "lorenz_curve", refuse)
    page = render_report(rfm_table)
    assert "Plot not drawn: lorenz_curve: &lt;no&gt; data" in page
    assert page.count("<img") == 2  # the RFM plots are still drawn


def test_negative_revenue_warns_and_renders(no_plots):
    table = pd.DataFrame(
        {"revenue": [100.0, 50.0, -10.0, 0.0]}, index=pd.Index(list("abcd"), name="id")
    )
    with pytest.warns(KamsegWarning, match="1 customer\\(s\\) have a negative 'revenue'"):
        page = render_report(table)
    assert kpis(page)["revenue"] == "140"
    # clipped to 0: the top 20 % (0.8 of the top customer) make 80 of 150
    assert kpis(page)["top20_share"] == "53.3%"


def test_input_not_mutated(full_table, transactions):
    table, tx = full_table.copy(), transactions.copy()
    attrs = dict(full_table.attrs)
    render_report(full_table, transactions=transactions)
    pd.testing.assert_frame_equal(full_table, table)
    pd.testing.assert_frame_equal(transactions, tx)
    assert full_table.attrs == attrs


def test_same_input_same_page(rfm_table):
    assert render_report(rfm_table) == render_report(rfm_table)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"labels": "fr"}, ConfigError, "`labels` must be one of"),
        ({"top": 0}, ConfigError, "`top` must be between 1"),
        ({"top": 2.5}, ConfigError, "`top` must be an integer"),
        ({"title": 3}, ConfigError, "`title` must be a string"),
        ({"freq": "W"}, ConfigError, "`freq` must be one of"),
    ],
)
def test_bad_options(rfm_table, kwargs, error, match):
    with pytest.raises(error, match=match):
        render_report(rfm_table, **kwargs)


def test_bad_tables(rfm_table, transactions):
    with pytest.raises(TypeError, match="`customers` must be a pandas DataFrame"):
        render_report([1, 2])  # type: ignore[arg-type]
    with pytest.raises(EmptyInputError, match="`customers` has no rows"):
        render_report(rfm_table.iloc[:0])
    with pytest.raises(SchemaError, match="duplicated customer ids"):
        render_report(pd.concat([rfm_table, rfm_table.iloc[:2]]))
    with pytest.raises(ColumnNotFoundError, match="not the transactions"):
        render_report(transactions.set_index("order_id"))
    with pytest.raises(ConfigError, match="no 'is_key_account' column"):
        render_report(rfm_table, transactions=transactions)


def test_performance_needs_a_key_account(full_table, transactions, no_plots):
    table = full_table.assign(is_key_account=False)
    with pytest.raises(ConfigError, match="names no key account"):
        render_report(table, transactions=transactions)


def test_missing_transaction_column(full_table, transactions):
    with pytest.raises(ColumnNotFoundError, match="'turnover'"):
        render_report(full_table, transactions=transactions, amount_col="turnover")


def test_write_report(tmp_path, rfm_table):
    out = write_report(rfm_table, tmp_path / "report.html", title="x")
    assert out == tmp_path / "report.html"
    assert out.read_text(encoding="utf-8") == render_report(rfm_table, title="x")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left
    # a string path works too, and the file is replaced
    assert write_report(rfm_table, str(out), title="y") == out
    assert "<title>y" in out.read_text(encoding="utf-8")


def test_write_report_in_chinese(tmp_path, rfm_table, cjk_font_or_skip):
    out = write_report(rfm_table, str(tmp_path / "report.html"), labels="zh")
    assert '<html lang="zh">' in out.read_text(encoding="utf-8")


def test_write_report_leaves_nothing_on_failure(tmp_path, rfm_table, monkeypatch):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_report(rfm_table, tmp_path / "missing" / "report.html")
    with pytest.raises(ConfigError):
        write_report(rfm_table, tmp_path / "report.html", top=-1)

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_report(rfm_table, tmp_path / "report.html")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------
# the page in a real browser: headless Chromium, no network
# --------------------------------------------------------------------------------------

BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def open_in_chromium(page_path: Path, screenshot: Path, profile: Path) -> dict[str, object]:
    """Open a local page in headless Chromium; return what went wrong and what it shows.

    Every request that is not for a ``file:`` or ``data:`` URL is aborted and recorded.
    """
    if not CHROMIUM.exists():
        pytest.skip(f"headless Chromium not found at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed"
    )
    errors: list[str] = []
    external: list[str] = []
    failed: list[str] = []
    dialogs: list[str] = []

    def route(r: object) -> None:
        url = r.request.url  # type: ignore[attr-defined]
        if url.startswith(("file:", "data:")):
            r.continue_()  # type: ignore[attr-defined]
        else:
            external.append(url)
            r.abort()  # type: ignore[attr-defined]

    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=BROWSER_ARGS,
            viewport={"width": 1280, "height": 900},
            offline=True,
        )
        try:
            context.route("**/*", route)
            tab = context.new_page()
            tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            tab.on("pageerror", lambda e: errors.append(str(e)))
            tab.on("requestfailed", lambda r: failed.append(r.url))
            tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            tab.on(
                "request",
                lambda r: None if r.url.startswith(("file:", "data:")) else external.append(r.url),
            )
            tab.goto(page_path.resolve().as_uri(), wait_until="load")
            images = tab.evaluate(
                "Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth])"
            )
            shown = tab.evaluate(
                "({lang: document.documentElement.lang, title: document.title,"
                " width: document.documentElement.scrollWidth, view: window.innerWidth,"
                " sections: Array.from(document.querySelectorAll('section')).map(s => s.id)})"
            )
            tab.screenshot(path=str(screenshot), full_page=True)
        finally:
            context.close()
    found = {"errors": errors, "external": external, "failed": failed, "dialogs": dialogs}
    return found | {"images": images} | shown


@pytest.mark.parametrize("labels", ["en", "zh"])
def test_report_in_headless_chromium(tmp_path, request, labels, transactions):
    if labels == "zh":
        request.getfixturevalue("cjk_font_or_skip")
    table = request.getfixturevalue("full_table" if labels == "en" else "full_table_zh")
    out = write_report(
        evil_table(table) if labels == "en" else table,
        tmp_path / "r.html",
        transactions=None if labels == "en" else transactions,
        labels=labels,
    )
    shot = tmp_path / f"report_{labels}.png"
    seen = open_in_chromium(out, shot, tmp_path / "profile")
    assert seen["errors"] == []
    assert seen["external"] == []
    assert seen["failed"] == []
    assert seen["dialogs"] == []  # the `<script>alert(1)</script>` customer is only text
    assert seen["lang"] == labels
    assert seen["title"] == ("客户细分报告" if labels == "zh" else "Customer segmentation report")
    expected = ALL_SECTIONS if labels == "zh" else ALL_SECTIONS[:-1]
    assert tuple(seen["sections"]) == expected  # type: ignore[arg-type]
    images = seen["images"]
    assert isinstance(images, list)
    if HAS_PLOTS:
        assert len(images) >= 8
    broken = [alt for alt, complete, width in images if not (complete and width > 0)]
    assert broken == []
    assert seen["width"] <= seen["view"]  # type: ignore[operator]  # no horizontal scroll
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000


@pytest.mark.skipif(not HAS_PLOTS, reason="needs matplotlib and kamseg.plot")
def test_chinese_report_without_a_cjk_font_says_so_once(rfm_table, monkeypatch):
    monkeypatch.setattr("kamseg.plot._common.cjk_font", lambda: None)  # a fresh machine
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        page = render_report(rfm_table, labels="zh")
    assert '<html lang="zh">' in page and "<img" in page
    texts = [str(w.message) for w in caught]
    assert len([t for t in texts if "no installed font has Chinese glyphs" in t]) == 1
    assert not [t for t in texts if "missing from font" in t]  # matplotlib's, one per glyph
