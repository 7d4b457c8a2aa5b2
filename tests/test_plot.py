"""Tests for kamseg.plot: the values drawn, bad input, Chinese text and fonts.

Drawn values are checked against hand computations with numpy/pandas on the same table
(sorted cumulative sums, ``groupby`` means, ``value_counts``), not against kamseg's code.
"""

from __future__ import annotations

import copy
import itertools
import math
import sys
import warnings
from collections.abc import Callable
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager, ft2font

import kamseg
from kamseg import clv, plot
from kamseg.errors import (
    ColumnNotFoundError,
    ConfigError,
    EmptyInputError,
    KamsegWarning,
    SchemaError,
)
from kamseg.labels import LIFECYCLE_STAGE_LABELS, RFM_SEGMENT_LABELS

HEALTH_COMPONENTS = ["recency", "frequency_trend", "spend_trend", "p_alive"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def demo() -> kamseg.datasets.Dataset:
    return kamseg.datasets.make_transactions(n_customers=300, seed=1)


def _build(demo: kamseg.datasets.Dataset, labels: str) -> pd.DataFrame:
    """A customer table with every column the plots read, as `kamseg demo` builds it."""
    tx = demo.transactions
    customers = kamseg.summarize(tx, profit_col="profit", as_of=demo.as_of, freq="W")
    table = kamseg.rfm_segments(kamseg.rfm_scores(customers), labels=labels)
    purchases = clv.fit(customers, model="mbgnbd")
    spend = clv.fit(customers, model="gamma_gamma")
    table = clv.predict(table, purchases, spend=spend, horizon=12)
    table = kamseg.pareto_table(table, labels=labels)
    table = kamseg.pyramid(table, kind="value", inactive_days=365, labels=labels)
    table = kamseg.lifecycle_stage(table, transactions=tx, labels=labels)
    return kamseg.health_score(table, components=HEALTH_COMPONENTS, transactions=tx, labels=labels)


@pytest.fixture(scope="module")
def table(demo: kamseg.datasets.Dataset) -> pd.DataFrame:
    """Do not mutate: shared by the module's tests."""
    return _build(demo, "en")


@pytest.fixture(scope="module")
def performance(demo: kamseg.datasets.Dataset, table: pd.DataFrame) -> pd.DataFrame:
    """Quarters up to 2024-11-15: the last one is partial."""
    key = table.nlargest(15, "revenue").index
    tx = demo.transactions
    tx = tx[tx["date"] <= "2024-11-15"]
    return kamseg.kam_performance(tx, key_accounts=list(key), freq="Q", as_of="2024-11-15")


def with_prospects(table: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """`table` plus `n` rows of prospects: every column null except the lifecycle stage."""
    ids = pd.Index([f"prospect{i}" for i in range(n)], name=table.index.name)
    out = table.reindex(table.index.append(ids))
    out.loc[ids, "lifecycle_stage"] = "potential"
    return out


def ydata(ax: Any, i: int = 0) -> np.ndarray:
    return np.asarray(ax.get_lines()[i].get_ydata(), dtype=float)


def widths(patches: Any) -> list[float]:
    return [float(p.get_width()) for p in patches]


def ticklabels(axis: Any) -> list[str]:
    return [t.get_text() for t in axis.get_ticklabels()]


# every public plot, with the table it reads
PLOTS: dict[str, Callable[..., Any]] = {
    "lorenz_curve": plot.lorenz_curve,
    "whale_curve": plot.whale_curve,
    "pyramid_chart": plot.pyramid_chart,
    "rfm_heatmap": plot.rfm_heatmap,
    "segment_sizes": plot.segment_sizes,
    "lifecycle_funnel": plot.lifecycle_funnel,
    "clv_distribution": plot.clv_distribution,
    "p_alive_matrix": plot.p_alive_matrix,
    "health_distribution": plot.health_distribution,
    "kam_performance_plot": plot.kam_performance_plot,
}


def data_for(name: str, table: pd.DataFrame, performance: pd.DataFrame) -> pd.DataFrame:
    return performance if name == "kam_performance_plot" else table


# --------------------------------------------------------------------------------------
# values drawn
# --------------------------------------------------------------------------------------


def test_lorenz_curve_is_the_sorted_cumulative_share(table):
    ax = plot.lorenz_curve(table, value_col="revenue")
    x = np.sort(table["revenue"].to_numpy())[::-1]
    n = x.size
    expected = np.concatenate(([0.0], np.cumsum(x))) / x.sum()
    np.testing.assert_allclose(ydata(ax), expected, atol=1e-12)
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), np.arange(n + 1) / n)
    # Gini as the mean absolute difference over twice the mean
    gini = np.abs(x[:, None] - x[None, :]).sum() / (2 * n * n * x.mean())
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == f"revenue (Gini {gini:.2f})"
    # the 80/20 point: the fewest top customers making at least 80 % of revenue
    k = int(np.argmax(expected >= 0.8))
    point = ax.get_lines()[3]
    assert (point.get_xdata()[0], point.get_ydata()[0]) == pytest.approx((k / n, expected[k]))
    assert ax.texts[0].get_text().startswith(f"{k / n:.0%} of customers make 80% of revenue")


def test_lorenz_curve_by_hand():
    ax = plot.lorenz_curve(pd.DataFrame({"profit": [40.0, 0.0, 10.0, 50.0]}), value_col="profit")
    assert ydata(ax).tolist() == pytest.approx([0.0, 0.5, 0.9, 1.0, 1.0])
    assert ax.get_title() == "Pareto curve of profit"


def test_rows_without_a_value_are_left_out_and_counted(table):
    full = plot.lorenz_curve(table)
    ax = plot.lorenz_curve(with_prospects(table, 3))
    np.testing.assert_array_equal(ydata(ax), ydata(full))
    assert ax.get_xlabel().endswith("\n3 customer(s) without revenue not shown")
    assert "\n" not in full.get_xlabel()


def test_whale_curve_is_the_cumulative_profit_share(table):
    ax = plot.whale_curve(table.assign(profit=table["profit"] - 40.0))
    p = np.sort(table["profit"].to_numpy() - 40.0)[::-1]
    assert (p < 0).any() and p.sum() > 0
    cum = np.concatenate(([0.0], np.cumsum(p)))
    np.testing.assert_allclose(ydata(ax), cum / p.sum(), atol=1e-12)
    peak = ax.get_lines()[2]  # the curve, the total (100 %), the peak
    n_profitable = int((p > 0).sum())
    assert peak.get_xdata()[0] == pytest.approx(n_profitable / p.size)
    assert peak.get_ydata()[0] == pytest.approx(cum.max() / p.sum())
    assert ax.texts[0].get_text().startswith(f"peak: {n_profitable / p.size:.0%} of customers")


def test_whale_curve_with_a_loss_shows_amounts():
    losses = pd.DataFrame({"profit": [30.0, -50.0, 10.0]})
    with pytest.warns(KamsegWarning, match="total profit is -10"):
        ax = plot.whale_curve(losses)
    assert ydata(ax).tolist() == [0.0, 30.0, 40.0, -10.0]
    assert ax.get_ylabel() == "cumulative profit"


def test_pyramid_bars_are_the_customers_per_tier(table):
    ax = plot.pyramid_chart(table)
    tiers = table["pyramid_tier"]
    counts = tiers.value_counts(sort=False).reindex(tiers.cat.categories)
    assert widths(ax.patches) == counts.astype(float).tolist()
    # centred bars, best tier at the top
    assert [p.get_x() for p in ax.patches] == pytest.approx((-counts / 2).tolist())
    assert ticklabels(ax.yaxis) == list(tiers.cat.categories)
    assert list(tiers.cat.categories)[-1] == "Top"
    # labels: customers and share of revenue
    revenue = table.groupby("pyramid_tier", observed=False)["revenue"].sum()
    top = ax.texts[-1].get_text()
    assert top.startswith(f"{counts['Top']:,} (")
    assert top.endswith(f"{revenue['Top'] / revenue.sum():.0%} of revenue")


def test_rfm_heatmap_cells_are_groupby_means(table):
    ax = plot.rfm_heatmap(table)
    expected = table.groupby(["f_score", "r_score"])["monetary_value"].mean().unstack("r_score")
    grid = ax.images[0].get_array()
    assert grid.shape == expected.shape == (5, 5)
    np.testing.assert_allclose(grid.filled(np.nan), expected.to_numpy(), rtol=1e-12)
    n = table.groupby(["f_score", "r_score"]).size()
    assert f"n={n.loc[(5, 5)]:,}" in [t.get_text().split("\n")[1] for t in ax.texts]
    assert ticklabels(ax.xaxis) == ["1", "2", "3", "4", "5"]


def test_rfm_heatmap_leaves_empty_cells_blank():
    scores = pd.DataFrame({"r_score": [1, 3], "f_score": [1, 1], "monetary_value": [4.0, 8.0]})
    grid = plot.rfm_heatmap(scores).images[0].get_array()
    assert grid.shape == (1, 3)
    assert grid.mask.tolist() == [[False, True, False]]
    assert grid[0, 2] == 8.0


def test_segment_sizes_are_shares_in_category_order(table):
    ax = plot.segment_sizes(table, segment_col="rfm_segment", value_col="revenue")
    seg = table["rfm_segment"]
    order = list(seg.cat.categories)
    assert order == list(RFM_SEGMENT_LABELS)  # every default segment, empty ones too
    customers = seg.value_counts(normalize=True).reindex(order, fill_value=0)
    revenue = table.groupby("rfm_segment", observed=False)["revenue"].sum().reindex(order)
    assert widths(ax.containers[0]) == pytest.approx(customers.tolist())
    assert widths(ax.containers[1]) == pytest.approx((revenue / revenue.sum()).tolist())
    assert ticklabels(ax.yaxis) == order


def test_lifecycle_funnel_counts_are_value_counts_first_stage_on_top(table):
    ax = plot.lifecycle_funnel(with_prospects(table, 4))
    stage = with_prospects(table, 4)["lifecycle_stage"]
    counts = stage.value_counts().reindex(stage.cat.categories, fill_value=0)
    assert counts["potential"] == 4
    assert widths(ax.patches) == counts.astype(float).tolist()
    ys = [p.get_y() for p in ax.patches]
    assert ys == sorted(ys, reverse=True)  # first stage highest
    assert ticklabels(ax.yaxis)[::-1] == list(LIFECYCLE_STAGE_LABELS)


def test_lifecycle_funnel_orders_plain_text_stages():
    stages = pd.DataFrame({"stage": ["churned", "new", "mature", "new", None]})
    ax = plot.lifecycle_funnel(stages, stage_col="stage")
    assert ticklabels(ax.yaxis)[::-1] == ["new", "mature", "churned"]
    assert widths(ax.patches) == [2.0, 1.0, 1.0]
    assert ax.get_xlabel().endswith("1 customer(s) without stage not shown")


def test_clv_distribution_log_scale_counts_every_customer(table):
    ax = plot.clv_distribution(table)
    x = table["clv"].to_numpy()
    assert x.max() > 100 * np.median(x)
    assert ax.get_xscale() == "log"
    assert sum(p.get_height() for p in ax.patches) == x.size
    mean, median = (line.get_xdata()[0] for line in ax.get_lines())
    assert (mean, median) == pytest.approx((x.mean(), np.median(x)))
    # values below a thousandth of the median go to the first bar, and the label says so
    below = int((x < np.median(x) / 1000).sum())
    assert below > 0
    assert ax.get_xlabel().endswith(
        f"\n{below} customer(s) below {np.median(x) / 1000:.2f} counted in the first bar"
    )
    assert ax.patches[0].get_x() == pytest.approx(np.median(x) / 1000)


def test_clv_distribution_linear_with_negative_values():
    values = pd.DataFrame({"profit_clv": [-50.0, 10, 20, 20, 30, 5_000]})
    ax = plot.clv_distribution(values, clv_col="profit_clv")
    assert ax.get_xscale() == "linear"
    assert sum(p.get_height() for p in ax.patches) == 6
    assert ax.get_lines()[1].get_xdata()[0] == 20.0


def test_p_alive_matrix_cells_are_groupby_means(table):
    ax = plot.p_alive_matrix(table)
    f, r, t = table["frequency"], table["recency"], table["T"]
    # the documented bins, written out again
    column = np.minimum(np.floor(10 * r / t.max()), 9)
    assert f.max() - f.min() + 1 > 12
    q = np.quantile(f, np.linspace(0, 1, 11))
    edges = np.unique([math.floor(f.min()), *np.ceil(q[1:-1]), math.floor(f.max()) + 1])
    row = pd.cut(f, edges, right=False, labels=False)
    expected = (
        table["p_alive"]
        .groupby([row, column])
        .mean()
        .unstack()
        .reindex(index=range(edges.size - 1), columns=range(10))
    )
    grid = ax.collections[0].get_array()
    assert grid.shape == expected.shape
    np.testing.assert_allclose(grid.filled(np.nan), expected.to_numpy(), rtol=1e-12)
    expected_labels = [
        f"{a:g}" if b - a == 1 else f"{a:g}–{b - 1:g}" for a, b in itertools.pairwise(edges)
    ]
    assert ticklabels(ax.yaxis) == expected_labels
    assert expected_labels[0] == "0" and expected_labels[-1].endswith(f"–{f.max():g}")


def test_p_alive_matrix_one_row_per_small_frequency():
    customers = pd.DataFrame(
        {
            "frequency": [0, 2, 2, 3],
            "recency": [0.0, 4.0, 6.0, 20.0],
            "T": [20.0, 20.0, 20.0, 20.0],
            "p_alive": [0.5, 0.2, 0.4, 1.0],
        }
    )
    ax = plot.p_alive_matrix(customers)
    grid = ax.collections[0].get_array()
    assert grid.shape == (4, 10)  # frequencies 0, 1, 2, 3
    assert ticklabels(ax.yaxis) == ["0", "1", "2", "3"]
    assert grid[2, 2] == pytest.approx(0.2) and grid[2, 3] == pytest.approx(0.4)
    assert grid[3, 9] == 1.0 and grid.mask[1].all()


def test_health_distribution_stacks_bands(table):
    ax = plot.health_distribution(table)
    bands = table["health_band"]
    assert len(ax.containers) == len(bands.cat.categories)
    per_bin = np.sum([[p.get_height() for p in bars] for bars in ax.containers], axis=0)
    expected, _ = np.histogram(table["health_score"], bins=np.linspace(0, 100, 21))
    np.testing.assert_array_equal(per_bin, expected)
    per_band = [sum(p.get_height() for p in bars) for bars in ax.containers]
    assert per_band == bands.value_counts().reindex(bands.cat.categories).tolist()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == f"red ({(bands == 'red').sum():,})"


def test_kam_performance_plot_lines_are_the_groups(performance):
    ax = plot.kam_performance_plot(performance, metric_col="revenue")
    for i, group in enumerate(["key", "other", "all"]):
        expected = performance.xs(group, level="group")["revenue"].to_numpy()
        np.testing.assert_allclose(ydata(ax, i), expected)
    labels = ticklabels(ax.xaxis)
    periods = performance.index.get_level_values("period").unique()
    assert labels[-1] == f"{periods[-1]}*"  # 2024Q4 ends after as_of
    assert ax.get_xlabel().endswith("* partial period")


def test_kam_performance_plot_default_metric_is_growth(performance):
    ax = plot.kam_performance_plot(performance)
    expected = performance.xs("key", level="group")["revenue_growth"].to_numpy()
    np.testing.assert_allclose(ydata(ax), expected)
    assert ax.get_title() == "revenue growth: key accounts and other customers"


def test_kam_performance_plot_reads_chinese_groups(demo, table):
    key = list(table.nlargest(10, "revenue").index)
    zh = kamseg.kam_performance(demo.transactions, key_accounts=key, labels="zh")
    ax = plot.kam_performance_plot(zh, metric_col="churn_rate", labels="en")
    expected = zh.xs("其他客户", level="group")["churn_rate"].to_numpy()
    np.testing.assert_allclose(ydata(ax, 1), expected)
    assert ax.get_legend().get_texts()[0].get_text() == "key accounts"


# --------------------------------------------------------------------------------------
# shared behaviour
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PLOTS)
def test_draws_on_the_given_axes_and_leaves_the_input_alone(name, table, performance):
    data = data_for(name, table, performance)
    before = copy.deepcopy(data)
    _, ax = plt.subplots()
    out = PLOTS[name](data, ax=ax)
    assert out is ax
    pd.testing.assert_frame_equal(data, before)
    assert data.attrs == before.attrs
    assert ax.get_title()


def test_new_figure_when_no_axes(table):
    n = len(plt.get_fignums())
    ax = plot.segment_sizes(table)
    assert len(plt.get_fignums()) == n + 1
    assert ax.figure.number == plt.get_fignums()[-1]


MISSING = [
    ("lorenz_curve", {"value_col": "revenu"}, "value_col", "revenue"),
    ("whale_curve", {"profit_col": "proft"}, "profit_col", "profit"),
    ("pyramid_chart", {"tier_col": "pyramid"}, "tier_col", "pyramid_tier"),
    ("rfm_heatmap", {"f_score_col": "fscore"}, "f_score_col", "f_score"),
    ("segment_sizes", {"segment_col": "segment"}, "segment_col", "rfm_segment"),
    ("lifecycle_funnel", {"stage_col": "lifecycle_stag"}, "stage_col", "lifecycle_stage"),
    ("clv_distribution", {"clv_col": "cvl"}, "clv_col", "clv"),
    ("p_alive_matrix", {"p_alive_col": "palive"}, "p_alive_col", "p_alive"),
    ("health_distribution", {"band_col": "health_bnd"}, "band_col", "health_band"),
    ("kam_performance_plot", {"metric_col": "growth"}, "metric_col", None),
]


@pytest.mark.parametrize(("name", "kwargs", "arg", "hint"), MISSING, ids=[m[0] for m in MISSING])
def test_missing_column_names_function_argument_and_hint(
    name, kwargs, arg, hint, table, performance
):
    with pytest.raises(ColumnNotFoundError, match=f"^{name}: column .* \\(argument `{arg}`\\)"):
        PLOTS[name](data_for(name, table, performance), **kwargs)
    if hint is not None:
        with pytest.raises(ColumnNotFoundError, match=f"Did you mean '{hint}'"):
            PLOTS[name](data_for(name, table, performance), **kwargs)


@pytest.mark.parametrize("name", PLOTS)
def test_empty_table_raises(name, table, performance):
    empty = data_for(name, table, performance).iloc[:0]
    with pytest.raises(EmptyInputError, match=f"^{name}: .* has no rows"):
        PLOTS[name](empty)
    assert plt.get_fignums() == []  # no figure left behind


@pytest.mark.parametrize(
    "name", [n for n in PLOTS if n not in ("kam_performance_plot", "lifecycle_funnel")]
)
def test_only_null_values_raise(name, table):
    prospects = with_prospects(table, 2).iloc[-2:]
    with pytest.raises(EmptyInputError, match=f"^{name}: every row of `customers` has a null"):
        PLOTS[name](prospects)


def test_bad_options_raise(table):
    with pytest.raises(ConfigError, match="`labels` must be one of 'en', 'zh'; got 'fr'"):
        plot.lorenz_curve(table, labels="fr")
    with pytest.raises(TypeError, match="`ax` must be a matplotlib Axes or None; got Figure"):
        plot.lorenz_curve(table, ax=plt.figure())
    with pytest.raises(
        TypeError, match=r"`customers` must be a pandas DataFrame, got pandas\.Series"
    ):
        plot.clv_distribution(table["clv"])


def test_bad_values_raise(table):
    with pytest.raises(SchemaError, match="of column 'revenue' are not numbers"):
        plot.lorenz_curve(table.assign(revenue="a lot"))
    with pytest.raises(SchemaError, match=r"'p_alive' are outside 0\.\.1"):
        plot.p_alive_matrix(table.assign(p_alive=table["p_alive"] * 2))
    with pytest.raises(SchemaError, match="not swapped"):
        plot.p_alive_matrix(table, recency_col="T", T_col="recency")


def test_kam_performance_plot_needs_a_performance_table(table, performance):
    with pytest.raises(SchemaError, match=r"indexed by \(period, group\)"):
        plot.kam_performance_plot(table, metric_col="revenue")
    renamed = performance.rename(index={"other": "others"}, level="group")
    with pytest.raises(SchemaError, match="unknown group"):
        plot.kam_performance_plot(renamed)


def test_missing_matplotlib_says_how_to_install(table, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "kamseg\[plot\]"'):
        plot.lorenz_curve(table)


# --------------------------------------------------------------------------------------
# languages and fonts
# --------------------------------------------------------------------------------------


def test_chinese_table_shown_in_english_and_back(demo, table):
    zh_table = _build(demo, "zh")
    en = plot.segment_sizes(zh_table, labels="en")
    assert ticklabels(en.yaxis) == list(RFM_SEGMENT_LABELS)
    if plot.cjk_font() is None:
        pytest.skip("no CJK font installed (CI installs fonts-wqy-microhei)")
    zh = plot.segment_sizes(table, labels="zh")
    assert ticklabels(zh.yaxis) == list(zh_table["rfm_segment"].cat.categories)
    assert zh.get_title() == "各细分群的客户数与收入"


@pytest.fixture
def cjk() -> str:
    family = plot.cjk_font()
    if family is None:
        pytest.skip("no CJK font installed (CI installs fonts-wqy-microhei)")
    return family


def test_cjk_font_has_the_glyphs(cjk):
    path = font_manager.findfont(
        font_manager.FontProperties(family=cjk), fallback_to_default=False
    )
    charmap = ft2font.FT2Font(path).get_charmap()
    assert all(ord(c) in charmap for c in "客户金字塔生命周期漏斗基尼系数")


@pytest.mark.parametrize("name", PLOTS)
def test_chinese_plots_miss_no_glyph(name, cjk, table, performance):
    before = dict(matplotlib.rcParams)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" is a UserWarning
        ax = PLOTS[name](data_for(name, table, performance), labels="zh")
        ax.figure.canvas.draw()
    assert any("\u4e00" <= c <= "\u9fff" for c in ax.get_title())
    assert ax.title.get_fontfamily()[0] == cjk
    assert dict(matplotlib.rcParams) == before  # global settings untouched


def test_an_english_chart_of_chinese_names_asks_for_a_cjk_font(table, monkeypatch):
    """The font check reads the tick labels too: an English chart whose only Chinese text
    is the user's own segment names (the axis' tick labels) needs the CJK font as well."""
    named = table.assign(region=np.where(np.arange(len(table)) % 2 == 0, "华东", "华南"))
    monkeypatch.setattr("kamseg.plot._common.cjk_font", lambda: None)
    with pytest.warns(KamsegWarning, match="no installed font has Chinese glyphs"):
        ax = plot.segment_sizes(named, segment_col="region", labels="en")
    assert ticklabels(ax.yaxis) == ["华东", "华南"]
    assert not any("\u4e00" <= c <= "\u9fff" for c in ax.get_title() + ax.get_xlabel())


def test_chinese_without_a_font_warns_with_what_to_install(table, monkeypatch):
    monkeypatch.setattr("kamseg.plot._common.cjk_font", lambda: None)  # where it is called
    with pytest.warns(KamsegWarning, match="fonts-noto-cjk or fonts-wqy-microhei") as record:
        plot.pyramid_chart(table, labels="zh")
    assert record[0].filename == __file__  # points at the caller
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plot.pyramid_chart(table, labels="en")  # English needs no CJK font
