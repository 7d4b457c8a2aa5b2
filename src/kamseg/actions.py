"""Recommended actions per class of the five classification dimensions.

The actions summarise the source document on classifying core customers (seed 002 in the
project's shared notes): for every class of the value, need, behaviour, lifecycle and
satisfaction dimensions, what an account manager should do. Classes the document does not
name (``one-time`` buyers, the ``declining`` lifecycle stage, ``unknown`` satisfaction)
carry actions in the same spirit, marked as kamseg's own in :data:`ACTION_SOURCES`.

Examples
--------
>>> from kamseg.actions import recommended_action
>>> recommended_action("lifecycle_stage", "churned")
'Analyse why they left; win them back with a targeted offer; keep in touch.'
>>> recommended_action("value_class", "high", labels="zh")
'提供个性化定制服务；售后与技术支持优先；专属忠诚度计划。'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd

from kamseg.errors import ConfigError
from kamseg.labels import Language, check_language

__all__ = ["ACTIONS", "ACTION_SOURCES", "action_column", "recommended_action"]


def _freeze(
    rows: dict[str, dict[str, tuple[str, str]]],
) -> Mapping[str, Mapping[str, Mapping[str, str]]]:
    return MappingProxyType(
        {
            dim: MappingProxyType(
                {cls: MappingProxyType({"en": en, "zh": zh}) for cls, (en, zh) in classes.items()}
            )
            for dim, classes in rows.items()
        }
    )


#: dimension column -> class -> {"en": action, "zh": action}
ACTIONS = _freeze(
    {
        "value_class": {
            "high": (
                "Personalised service; priority support; an exclusive loyalty programme.",
                "提供个性化定制服务；售后与技术支持优先；专属忠诚度计划。",
            ),
            "medium": (
                "Regular contact; promotions to raise frequency and spend; customer education.",
                "定期沟通；用促销提升购买频率和金额；开展客户教育。",
            ),
            "low": (
                "Automated, low-cost service; targeted marketing; collect their feedback.",
                "以自动化服务降低成本；精准营销；收集反馈。",
            ),
        },
        "need_level": {
            "basic": (
                "Secure the basics: quality, on-time delivery, a fair price.",
                "保障基本需求：质量可靠、及时交付、价格合理。",
            ),
            "expected": (
                "Personalise; add value-added services; regular customer care.",
                "个性化产品与服务；提供增值服务；定期客户关怀。",
            ),
            "latent": (
                "Research and analyse their unstated needs; offer new products that meet them.",
                "通过调研和数据分析发现潜在需求；以创新产品满足。",
            ),
        },
        "behaviour_class": {
            "frequent": (
                "Loyalty programme; personalised recommendations; premium service.",
                "忠诚度计划；个性化推荐；优质的售前、售中、售后服务。",
            ),
            "occasional": (
                "Regular promotions; follow-up calls; personalised marketing.",
                "定期促销；客户回访；个性化营销。",
            ),
            "one-time": (
                "Follow up the first order; give a reason to come back.",
                "跟进首单体验；给出再次购买的理由。",
            ),
            "potential": (
                "Market to them; offer a trial; educate with demos and cases.",
                "市场推广；提供试用体验；以产品演示和案例开展客户教育。",
            ),
        },
        "lifecycle_stage": {
            "potential": (
                "Market to them; offer a trial; educate with demos and cases.",
                "市场推广；提供试用体验；以产品演示和案例开展客户教育。",
            ),
            "new": (
                "Welcome pack; regular follow-up calls; training on the product.",
                "提供欢迎礼包；定期回访；开展客户培训。",
            ),
            "growing": (
                "Loyalty programme; personalised recommendations; premium service.",
                "忠诚度计划；个性化推荐；优质服务。",
            ),
            "mature": (
                "Personalised service; priority support; regular customer care.",
                "个性化定制服务；优先支持；定期客户关怀。",
            ),
            "declining": (
                "Find out what changed now; act before they leave (visit, offer, fix issues).",
                "及时了解变化原因；在流失前干预（拜访、优惠、解决问题）。",
            ),
            "churned": (
                "Analyse why they left; win them back with a targeted offer; keep in touch.",
                "分析流失原因；制定挽回策略；定期跟踪。",
            ),
        },
        "satisfaction_class": {
            "high": (
                "Customer care; word-of-mouth and referrals; rewards.",
                "客户关怀；口碑营销；客户奖励。",
            ),
            "medium": (
                "Collect feedback; improve the product; customer education.",
                "收集反馈；改进产品和服务；开展客户教育。",
            ),
            "low": (
                "Solve their problems fast; win back trust; track their feedback.",
                "及时解决问题；挽回信任；跟踪反馈。",
            ),
            "unknown": (
                "Ask: survey them (NPS, CSAT) at the next contact.",
                "在下次接触时开展满意度调查（NPS、CSAT）。",
            ),
        },
    }
)

#: where each class's action comes from: "seed 002" or "kamseg" (classes the seed lacks)
ACTION_SOURCES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        dim: MappingProxyType(
            {
                cls: "kamseg"
                if (dim, cls)
                in {
                    ("behaviour_class", "one-time"),
                    ("lifecycle_stage", "declining"),
                    ("satisfaction_class", "unknown"),
                }
                else "seed 002"
                for cls in classes
            }
        )
        for dim, classes in ACTIONS.items()
    }
)


def recommended_action(dimension: str, cls: str, *, labels: Language = "en") -> str:
    """The action the source document recommends for class `cls` of `dimension`.

    Parameters
    ----------
    dimension
        The class column: ``"value_class"``, ``"need_level"``, ``"behaviour_class"``,
        ``"lifecycle_stage"`` or ``"satisfaction_class"``.
    cls
        The canonical (English) class name, e.g. ``"high"``, ``"churned"``.
    labels
        ``"en"`` or ``"zh"``.

    Raises
    ------
    ConfigError
        On an unknown dimension, class or language.
    """
    lang = check_language(labels, func="recommended_action")
    if dimension not in ACTIONS:
        raise ConfigError(
            f"recommended_action: unknown dimension {dimension!r}; known: "
            f"{', '.join(map(repr, ACTIONS))}."
        )
    classes = ACTIONS[dimension]
    if cls not in classes:
        raise ConfigError(
            f"recommended_action: {dimension} has no class {cls!r}; classes are "
            f"{', '.join(map(repr, classes))}."
        )
    return classes[cls][lang]


def action_column(
    dimension: str, classes: Sequence[str], codes: np.ndarray, *, labels: Language = "en"
) -> pd.Categorical[str]:
    """The recommended action of each row's class, as a categorical column.

    `codes` are positions in `classes` (canonical class names; -1: no class, a missing
    action). The categories are the distinct action texts in the order of `classes`, so a
    million rows hold a million small codes, not a million strings.

    Examples
    --------
    >>> import numpy as np
    >>> col = action_column("value_class", ["high", "low"], np.array([1, -1, 0]))
    >>> col.codes.tolist(), len(col.categories)
    ([1, -1, 0], 2)
    >>> col[2] == recommended_action("value_class", "high")
    True
    """
    texts = [recommended_action(dimension, c, labels=labels) for c in classes]
    categories = list(dict.fromkeys(texts))
    lookup = np.array([categories.index(t) for t in texts] + [-1], dtype=np.int64)
    return pd.Categorical.from_codes(lookup[np.asarray(codes)], categories=pd.Index(categories))
