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
