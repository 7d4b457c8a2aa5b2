"""Display names for kamseg's segment, tier and class labels, in English and Chinese.

Every label kamseg produces has a canonical English name (the one used in the code and in
the default maps). The functions here turn canonical names into display names for a
language chosen with ``labels="en"`` or ``labels="zh"``. Each analysis module adds its own
table below (a read-only mapping from canonical name to ``{language: display name}``) and
registers it in ``_TABLES``.

Names that no table knows (for example segment names from a user's own map) are returned
unchanged, so translating is always safe.

Examples
--------
>>> from kamseg.labels import translate
>>> translate("Champions", labels="zh")
'冠军客户'
>>> translate("My own segment", labels="zh")
'My own segment'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Literal

from kamseg.errors import ConfigError

__all__ = [
    "ABC_CLASS_LABELS",
    "ACCOUNT_DECISION_LABELS",
    "BEHAVIOUR_CLASS_LABELS",
    "LANGUAGES",
    "LIFECYCLE_STAGE_LABELS",
    "NEED_LEVEL_LABELS",
    "PYRAMID_TIER_LABELS",
    "RFM_SEGMENT_LABELS",
    "SATISFACTION_CLASS_LABELS",
    "VALUE_CLASS_LABELS",
    "LabelTable",
    "Language",
    "check_language",
    "translate",
    "translate_all",
]

Language = Literal["en", "zh"]
"""A language code accepted by every ``labels=`` argument."""

LANGUAGES: tuple[Language, ...] = ("en", "zh")

LabelTable = Mapping[str, Mapping[str, str]]
"""Canonical (English) name -> {language code: display name}."""


def _table(rows: Mapping[str, str]) -> LabelTable:
    """Build a read-only label table from ``{english: chinese}`` pairs."""
    return MappingProxyType(
        {en: MappingProxyType({"en": en, "zh": zh}) for en, zh in rows.items()}
    )


RFM_SEGMENT_LABELS: LabelTable = _table(
    {
        "Lost": "已流失客户",
        "Hibernating": "休眠客户",
        "Can't Lose Them": "不可流失客户",
        "At Risk": "流失风险客户",
        "About to Sleep": "即将沉睡客户",
        "Need Attention": "需关注客户",
        "Promising": "有潜力客户",
        "New Customers": "新客户",
        "Potential Loyalist": "潜在忠诚客户",
        "Loyal Customers": "忠诚客户",
        "Champions": "冠军客户",
    }
)
"""Names of the 11 default RFM segments (see :data:`kamseg.rfm.DEFAULT_SEGMENT_MAP`)."""

ABC_CLASS_LABELS: LabelTable = _table({"A": "A类", "B": "B类", "C": "C类"})
"""ABC classes of :func:`kamseg.pareto_table` (A = the customers making most of the value)."""

PYRAMID_TIER_LABELS: LabelTable = _table(
    {
        "Top": "顶级客户",
        "Big": "大客户",
        "Medium": "中等客户",
        "Small": "小客户",
        "Platinum": "铂金客户",
        "Gold": "黄金客户",
        "Iron": "钢铁客户",
        "Lead": "铅客户",
        "Inactive": "不活跃客户",
        "Prospect": "潜在客户",
    }
)
"""Customer pyramid tiers: value pyramid, profitability pyramid, and the extra tiers."""

ACCOUNT_DECISION_LABELS: LabelTable = _table(
    {"added": "新增", "kept": "保留", "watch": "观察", "removed": "移出", "not key": "非重点"}
)
"""Decisions of the period-over-period key-account review."""

VALUE_CLASS_LABELS: LabelTable = _table({"high": "高价值", "medium": "中等价值", "low": "低价值"})
NEED_LEVEL_LABELS: LabelTable = _table(
    {"basic": "基本需求", "expected": "期望需求", "latent": "潜在需求"}
)
BEHAVIOUR_CLASS_LABELS: LabelTable = _table(
    {
        "frequent": "频繁购买",
        "occasional": "偶尔购买",
        "one-time": "一次性购买",
        "potential": "潜在客户",
    }
)
LIFECYCLE_STAGE_LABELS: LabelTable = _table(
    {
        "potential": "潜在期",
        "new": "初期",
        "growing": "成长期",
        "mature": "成熟期",
        "declining": "衰退期",
        "churned": "流失",
    }
)
SATISFACTION_CLASS_LABELS: LabelTable = _table(
    {"high": "高满意度", "medium": "中等满意度", "low": "低满意度", "unknown": "未知"}
)
"""Class names of the five classification dimensions (canonical English -> Chinese).

"high", "medium", "low" appear in two dimensions with different Chinese names: pass the
dimension's table to :func:`translate` explicitly for them."""

# Every table consulted when `translate` is called without an explicit table. Later
# modules append theirs here (canonical names must not collide between tables).
_TABLES: tuple[LabelTable, ...] = (
    RFM_SEGMENT_LABELS,
    ABC_CLASS_LABELS,
    PYRAMID_TIER_LABELS,
    ACCOUNT_DECISION_LABELS,
    NEED_LEVEL_LABELS,
    BEHAVIOUR_CLASS_LABELS,
    LIFECYCLE_STAGE_LABELS,
)


def check_language(labels: object, *, func: str, arg: str = "labels") -> Language:
    """Check that `labels` is a supported language code and return it.

    Raises
    ------
    ConfigError
        If `labels` is not one of :data:`LANGUAGES`.

    Examples
    --------
    >>> check_language("zh", func="demo")
    'zh'
    """
    if not isinstance(labels, str) or labels not in LANGUAGES:
        raise ConfigError(
            f"{func}: `{arg}` must be one of {', '.join(map(repr, LANGUAGES))}; "
            f"got {labels!r}. Hint: use 'en' for English or 'zh' for Chinese names."
        )
    return LANGUAGES[LANGUAGES.index(labels)]


def translate(name: str, *, labels: Language = "en", table: LabelTable | None = None) -> str:
    """Return the display name of the canonical label `name` in language `labels`.

    Parameters
    ----------
    name
        A canonical (English) label, e.g. ``"Champions"``.
    labels
        Language code: ``"en"`` or ``"zh"``.
    table
        The label table to look in; by default every table registered in this module.

    Returns
    -------
    str
        The display name, or `name` unchanged when no table knows it.

    Raises
    ------
    ConfigError
        If `labels` is not a supported language.

    Examples
    --------
    >>> translate("At Risk", labels="zh")
    '流失风险客户'
    >>> translate("At Risk")
    'At Risk'
    """
    lang = check_language(labels, func="translate")
    tables = _TABLES if table is None else (table,)
    for t in tables:
        row = t.get(name)
        if row is not None:
            return row.get(lang, name)
    return name


def translate_all(
    names: Iterable[str], *, labels: Language = "en", table: LabelTable | None = None
) -> list[str]:
    """Translate several canonical labels at once (see :func:`translate`).

    Examples
    --------
    >>> translate_all(["Lost", "Champions"], labels="zh")
    ['已流失客户', '冠军客户']
    """
    lang = check_language(labels, func="translate_all")
    return [translate(n, labels=lang, table=table) for n in names]


# --------------------------------------------------------------------------------------
# report text (kamseg.report)
# --------------------------------------------------------------------------------------


def _text_table(rows: Mapping[str, tuple[str, str]]) -> LabelTable:
    """Build a read-only text table from ``{key: (english, chinese)}`` pairs."""
    return MappingProxyType(
        {key: MappingProxyType({"en": en, "zh": zh}) for key, (en, zh) in rows.items()}
    )


REPORT_TEXT: LabelTable = _text_table(
    {
        # page
        "title": ("Customer segmentation report", "客户细分报告"),
        "contents": ("Contents", "目录"),
        "made_with": ("Made with kamseg {version}.", "由 kamseg {version} 生成。"),
        "data_until": ("Latest purchase in the data: {date}.", "数据中最近一次购买：{date}。"),
        "plots_missing": (
            'Plots need matplotlib: install kamseg[plot] (pip install "kamseg[plot]").',
            '图表需要 matplotlib：请安装 kamseg[plot]（pip install "kamseg[plot]"）。',
        ),
        "plot_failed": ("Plot not drawn: {error}", "未能绘制图表：{error}"),
        "none": ("(none)", "（无）"),
        "yes": ("yes", "是"),
        # key figures
        "sec_key_figures": ("Key figures", "关键指标"),
        "kpi_customers": ("Customers", "客户数"),
        "kpi_prospects": ("plus {n} prospects without purchases", "另有 {n} 个尚无购买的潜在客户"),
        "kpi_revenue": ("Revenue", "收入"),
        "kpi_profit": ("Profit", "利润"),
        "kpi_top20": ("Revenue from the top 20% of customers", "前 20% 客户贡献的收入占比"),
        "kpi_gini": ("Gini coefficient of revenue", "收入基尼系数"),
        "kpi_key_accounts": ("Key accounts", "重点客户数"),
        "kpi_clv": ("Predicted CLV, total", "预测客户终身价值合计"),
        "kpi_p_alive": ("Mean P(alive)", "平均存活概率"),
        "kpi_at_risk": ("At risk (health band “{band}”)", "风险客户（健康等级“{band}”）"),
        "kpi_warnings": ("Customers with early warnings", "有预警的客户"),
        "kpi_churn": ("Churn probability ≥ 50%", "流失概率 ≥ 50% 的客户"),
        # key accounts
        "sec_key_accounts": ("Key accounts", "重点客户"),
        "key_accounts_caption": (
            "{shown} of {n} key accounts, by account rank.",
            "按客户排名列出 {n} 个重点客户中的 {shown} 个。",
        ),
        "top_accounts_caption": (
            "The {shown} best-ranked of {n} scored customers.",
            "已评分的 {n} 个客户中排名最前的 {shown} 个。",
        ),
        # column headers
        "col_customer": ("Customer", "客户"),
        "col_rank": ("Rank", "排名"),
        "col_score": ("Score", "得分"),
        "col_revenue": ("Revenue", "收入"),
        "col_profit_clv": ("Profit CLV", "利润终身价值"),
        "col_rfm_segment": ("RFM segment", "RFM 细分"),
        "col_abc_class": ("ABC class", "ABC 分类"),
        "col_pyramid_tier": ("Pyramid tier", "金字塔层级"),
        "col_value_class": ("Value", "价值"),
        "col_behaviour_class": ("Behaviour", "购买行为"),
        "col_lifecycle_stage": ("Lifecycle stage", "生命周期阶段"),
        "col_need_level": ("Need level", "需求层次"),
        "col_satisfaction_class": ("Satisfaction", "满意度"),
        "col_health_band": ("Health", "健康等级"),
        "col_health_score": ("Health score", "健康得分"),
        "col_customers": ("Customers", "客户数"),
        "col_customer_share": ("% of customers", "客户占比"),
        "col_revenue_share": ("% of revenue", "收入占比"),
        "col_mean_revenue": ("Mean revenue", "平均收入"),
        "col_mean_days": ("Mean days since last purchase", "平均距上次购买天数"),
        "col_mean_orders": ("Mean orders", "平均订单数"),
        "col_mean_health": ("Mean health score", "平均健康得分"),
        "col_measure": ("Measure", "指标"),
        "col_value": ("Value", "数值"),
        "col_warning": ("Warning", "预警"),
        "col_n_warnings": ("Warnings", "预警数"),
        "col_reasons": ("Reasons", "原因"),
        "col_key": ("Key account", "重点客户"),
        "col_period": ("Period", "期间"),
        "col_key_revenue": ("Key-account revenue", "重点客户收入"),
        "col_key_share": ("Key-account % of revenue", "重点客户收入占比"),
        "col_key_growth": ("Key-account revenue growth", "重点客户收入增长"),
        "col_key_active": ("Active key accounts", "活跃重点客户数"),
        "col_key_retention": ("Key-account retention", "重点客户留存率"),
        "col_other_retention": ("Other customers' retention", "其他客户留存率"),
        # concentration
        "sec_concentration": ("Revenue concentration", "收入集中度"),
        "conc_top": ("Revenue from the top {share} of customers", "前 {share} 客户贡献的收入占比"),
        "conc_target": ("Share of customers making 80% of revenue", "贡献 80% 收入的客户占比"),
        "conc_hhi": ("Herfindahl-Hirschman index", "赫芬达尔-赫希曼指数"),
        "conc_whale": ("Profit whale curve", "利润鲸鱼曲线"),
        # rfm, pyramid, classes
        "sec_rfm": ("RFM segments", "RFM 客户细分"),
        "sec_pyramid": ("Customer pyramid and ABC classes", "客户金字塔与 ABC 分类"),
        "sec_classes": ("Five-dimension classification", "五维客户分类"),
        "classes_caption": (
            "Customers per class, prospects included.",
            "各类别的客户数（含潜在客户）。",
        ),
        # clv and churn
        "sec_clv": ("Lifetime value and churn risk", "客户终身价值与流失风险"),
        "clv_total": ("Predicted CLV, total", "预测客户终身价值合计"),
        "clv_mean": ("Predicted CLV, mean per customer", "预测客户终身价值均值"),
        "clv_median": ("Predicted CLV, median", "预测客户终身价值中位数"),
        "profit_clv_total": ("Predicted profit CLV, total", "预测利润终身价值合计"),
        "p_alive_mean": ("Mean P(alive)", "平均存活概率"),
        "p_alive_low": ("Customers with P(alive) < 50%", "存活概率低于 50% 的客户"),
        "churn_mean": ("Mean churn probability", "平均流失概率"),
        "churn_high": ("Customers with churn probability ≥ 50%", "流失概率 ≥ 50% 的客户"),
        # health
        "sec_health": ("Health and early warnings", "客户健康度与预警"),
        "health_warned": (
            "Customers with warnings: {shown} of {n}, key accounts first.",
            "有预警的客户：共 {n} 个，列出 {shown} 个，重点客户在前。",
        ),
        "flag_warn_spend_drop": ("Spend drop", "消费下降"),
        "flag_warn_overdue": ("Purchase overdue", "购买逾期"),
        "flag_warn_detractor": ("NPS detractor", "NPS 贬损者"),
        "flag_warn_open_complaint": ("Open complaint", "未解决投诉"),
        # kam performance
        "sec_performance": ("Key-account performance over time", "重点客户管理绩效"),
        "performance_caption": (
            "Per {period}; * marks a period that is not complete yet.",
            "按{period}统计；* 表示尚未结束的期间。",
        ),
        "period_M": ("month", "月"),
        "period_Q": ("quarter", "季度"),
        "period_Y": ("year", "年"),
    }
)
"""Headings, labels and sentences of the HTML report (:mod:`kamseg.report`), by key.

Templates use :meth:`str.format` fields such as ``{n}``. Look a text up with
``REPORT_TEXT[key][language]``.

Examples
--------
>>> REPORT_TEXT["sec_rfm"]["zh"]
'RFM 客户细分'
"""

__all__ += ["REPORT_TEXT"]


# ======================================================================================
# Plots (kamseg.plot)
# ======================================================================================
# Everything below is used by :mod:`kamseg.plot` only; the names above are unchanged.

HEALTH_BAND_LABELS: LabelTable = _table({"red": "红灯", "amber": "黄灯", "green": "绿灯"})
"""Default health bands of :func:`kamseg.health_score`: the names it shows in Chinese, and
the translation of the bands shown by :func:`kamseg.plot.health_distribution`."""

PLOT_TEXT: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        key: MappingProxyType({"en": en, "zh": zh})
        for key, (en, zh) in {
            # shared
            "customers": ("customers", "客户数"),
            "not_shown": (
                "{n:,} customer(s) without {cols} not shown",
                "未显示 {n:,} 位缺少{cols}的客户",
            ),
            "share_of": ("share of {value}", "{value}占比"),
            "mean": ("mean {x}", "均值 {x}"),
            "median": ("median {x}", "中位数 {x}"),
            # lorenz_curve
            "lorenz_title": ("Pareto curve of {value}", "{value}帕累托曲线"),
            "lorenz_x": (
                "share of customers, largest {value} first",
                "客户占比（按{value}从高到低）",
            ),
            "lorenz_line": ("{value} (Gini {gini:.2f})", "{value}（基尼系数 {gini:.2f}）"),
            "lorenz_equal": ("equal shares", "均等分布"),
            "lorenz_point": (
                "{customers} of customers make {target} of {value}",
                "{customers} 的客户贡献了 {target} 的{value}",
            ),
            # whale_curve
            "whale_title": ("Whale curve of {value}", "{value}鲸鱼曲线"),
            "whale_x": ("share of customers, most profitable first", "客户占比（按盈利从高到低）"),
            "whale_y": ("cumulative share of total {value}", "累计{value}占总{value}的比例"),
            "whale_y_amount": ("cumulative {value}", "累计{value}"),
            "whale_total": ("total {value}", "总{value}"),
            "whale_peak": (
                "peak: {customers} of customers earn {profit} of total {value}",
                "峰值：{customers} 的客户贡献了总{value}的 {profit}",
            ),
            "whale_peak_amount": (
                "peak: {customers} of customers earn {profit}",
                "峰值：{customers} 的客户贡献了 {profit}",
            ),
            # pyramid_chart
            "pyramid_title": ("Customer pyramid by {value}", "客户金字塔（{value}）"),
            "pyramid_bar": (
                "{count:,} ({customer_share}) · {value_share} of {value}",
                "{count:,} 位（{customer_share}）· {value}占比 {value_share}",
            ),
            # rfm_heatmap
            "rfm_title": ("Mean {value} by R and F score", "按 R、F 得分的平均{value}"),
            "rfm_x": ("recency score (R)", "最近购买得分（R）"),
            "rfm_y": ("frequency score (F)", "购买频率得分（F）"),
            # segment_sizes
            "segments_title": ("Customers and {value} by segment", "各细分群的客户数与{value}"),
            "segments_customers": ("share of customers", "客户占比"),
            "segments_x": ("share", "占比"),
            # lifecycle_funnel
            "funnel_title": ("Customer lifecycle funnel", "客户生命周期漏斗"),
            "funnel_bar": ("{count:,} ({share})", "{count:,} 位（{share}）"),
            # clv_distribution
            "clv_title": ("Distribution of {value}", "{value}分布"),
            "clv_log": ("{value} (log scale)", "{value}（对数刻度）"),
            "clv_floor": (
                "{n:,} customer(s) below {x} counted in the first bar",
                "{n:,} 位低于 {x} 的客户计入第一个柱",
            ),
            # p_alive_matrix
            "p_alive_title": (
                "Mean probability alive by frequency and recency",
                "按购买频次与最近购买时间的平均存活概率",
            ),
            "p_alive_x": (
                "recency (periods from first to last purchase)",
                "最近购买时间（首次至最后一次购买的周期数）",
            ),
            "p_alive_y": ("frequency (repeat purchases)", "购买频次（重复购买次数）"),
            # health_distribution
            "health_title": ("Distribution of health scores", "客户健康度分布"),
            # kam_performance_plot
            "kam_title": (
                "{metric}: key accounts and other customers",
                "{metric}：重点客户与其他客户",
            ),
            "kam_x": ("period", "期间"),
            "kam_partial": ("* partial period", "* 不完整期间"),
            "group.key": ("key accounts", "重点客户"),
            "group.other": ("other customers", "其他客户"),
            "group.all": ("all customers", "全部客户"),
            # column names shown in titles and axis labels (other columns: their own name)
            "col.revenue": ("revenue", "收入"),
            "col.profit": ("profit", "利润"),
            "col.net_profit": ("net profit", "净利润"),
            "col.clv": ("CLV", "客户终身价值"),
            "col.profit_clv": ("profit CLV", "利润终身价值"),
            "col.monetary_value": ("monetary value", "消费金额"),
            "col.avg_order_value": ("average order value", "平均订单金额"),
            "col.n_orders": ("orders", "订单数"),
            "col.p_alive": ("P(alive)", "存活概率"),
            "col.health_score": ("health score", "健康度得分"),
            "col.revenue_growth": ("revenue growth", "收入增长率"),
            "col.revenue_share": ("revenue share", "收入占比"),
            "col.active_customers": ("active customers", "活跃客户数"),
            "col.retained": ("retained customers", "留存客户数"),
            "col.churned": ("churned customers", "流失客户数"),
            "col.retention_rate": ("retention rate", "留存率"),
            "col.churn_rate": ("churn rate", "流失率"),
            "col.new": ("new customers", "新客户数"),
            "col.reactivated": ("reactivated customers", "回流客户数"),
            "col.gained": ("gained customers", "新增客户数"),
            "col.nps": ("NPS", "净推荐值"),
            "col.nps_responses": ("NPS responses", "NPS 答卷数"),
            "col.csat": ("CSAT", "客户满意度"),
            "col.csat_responses": ("CSAT responses", "CSAT 答卷数"),
        }.items()
    }
)
"""Titles, axis labels and legends of :mod:`kamseg.plot`: key -> ``{language: text}``.

Texts may hold ``str.format`` fields (``{value}``, ``{n:,}``, ...). Keys ``col.<name>`` give
the display name of a column; a column without a key is shown under its own name."""
