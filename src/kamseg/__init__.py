"""kamseg: key-account and customer segmentation analytics over transaction tables.

Give it a transaction table (customer, date, amount, optionally profit); get back pandas
DataFrames with one row per customer, annotated with RFM scores and segments, and more.

Importing kamseg is cheap and has no side effects: the public functions are loaded from
their modules on first use, and no pandas option or warning filter is changed.

Examples
--------
>>> import kamseg
>>> data = kamseg.datasets.make_transactions(n_customers=300, seed=1)
>>> customers = kamseg.summarize(data.transactions, as_of=data.as_of)
>>> segments = kamseg.rfm_segments(kamseg.rfm_scores(customers))
>>> customers.index.is_unique and len(segments) == len(customers)
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0.dev0"

# public name -> module that defines it (loaded on first attribute access)
_LAZY: dict[str, str] = {
    "summarize": "kamseg.summary",
    "prepare_transactions": "kamseg.transactions",
    "PreparedTransactions": "kamseg.transactions",
    "rfm_scores": "kamseg.rfm",
    "rfm_segments": "kamseg.rfm",
    "rfm_segment_summary": "kamseg.rfm",
    "DEFAULT_SEGMENT_MAP": "kamseg.rfm",
    "pareto_table": "kamseg.pareto",
    "pyramid": "kamseg.pareto",
    "concentration": "kamseg.pareto",
    "whale_curve": "kamseg.pareto",
    "pareto_summary": "kamseg.pareto",
    "score_accounts": "kamseg.accounts",
    "select_key_accounts": "kamseg.accounts",
    "review_key_accounts": "kamseg.accounts",
    "ahp_weights": "kamseg.accounts",
    "value_class": "kamseg.value",
    "behaviour_class": "kamseg.behaviour",
    "lifecycle_stage": "kamseg.lifecycle",
    "LifecycleThresholds": "kamseg.lifecycle",
    "need_level": "kamseg.needs",
    "latent_needs": "kamseg.needs",
    "satisfaction_class": "kamseg.satisfaction",
    "nps": "kamseg.satisfaction",
    "csat": "kamseg.satisfaction",
    "classify": "kamseg.classification",
    "recommended_action": "kamseg.actions",
    "kam_performance": "kamseg.evaluate",
    "cohort_retention": "kamseg.evaluate",
    "cluster_customers": "kamseg.cluster",
    "cluster_profile": "kamseg.cluster",
    "health_score": "kamseg.health",
    "early_warnings": "kamseg.alerts",
    "churn_model": "kamseg.churn",
    "predict_churn": "kamseg.churn",
    "segment": "kamseg.pipeline",
    "fit_segments": "kamseg.model",
    "SegmentModel": "kamseg.model",
    "SegmentConfig": "kamseg.config",
    "render_report": "kamseg.report",
    "write_report": "kamseg.report",
}
_SUBMODULES = (
    "accounts",
    "alerts",
    "actions",
    "behaviour",
    "churn",
    "cluster",
    "clv",
    "config",
    "datasets",
    "errors",
    "evaluate",
    "features",
    "health",
    "labels",
    "lifecycle",
    "model",
    "needs",
    "pareto",
    "pipeline",
    "plot",
    "report",
    "rfm",
    "satisfaction",
    "summary",
    "transactions",
    "value",
)

__all__ = [
    "DEFAULT_SEGMENT_MAP",
    "LifecycleThresholds",
    "PreparedTransactions",
    "SegmentConfig",
    "SegmentModel",
    "__version__",
    "accounts",
    "ahp_weights",
    "alerts",
    "behaviour_class",
    "churn_model",
    "classify",
    "cluster_customers",
    "cluster_profile",
    "clv",
    "cohort_retention",
    "concentration",
    "csat",
    "datasets",
    "early_warnings",
    "errors",
    "features",
    "fit_segments",
    "health_score",
    "kam_performance",
    "latent_needs",
    "lifecycle_stage",
    "model",
    "need_level",
    "nps",
    "pareto_summary",
    "pareto_table",
    "plot",
    "predict_churn",
    "prepare_transactions",
    "pyramid",
    "recommended_action",
    "render_report",
    "review_key_accounts",
    "rfm_scores",
    "rfm_segment_summary",
    "rfm_segments",
    "satisfaction_class",
    "score_accounts",
    "segment",
    "select_key_accounts",
    "summarize",
    "transactions",
    "value_class",
    "whale_curve",
    "write_report",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from kamseg import accounts, alerts, clv, datasets, errors, features, plot, transactions
    from kamseg.accounts import (
        ahp_weights,
        review_key_accounts,
        score_accounts,
        select_key_accounts,
    )
    from kamseg.actions import recommended_action
    from kamseg.alerts import early_warnings
    from kamseg.behaviour import behaviour_class
    from kamseg.churn import churn_model, predict_churn
    from kamseg.classification import classify
    from kamseg.cluster import cluster_customers, cluster_profile
    from kamseg.config import SegmentConfig
    from kamseg.evaluate import cohort_retention, kam_performance
    from kamseg.health import health_score
    from kamseg.lifecycle import LifecycleThresholds, lifecycle_stage
    from kamseg.model import SegmentModel, fit_segments
    from kamseg.needs import latent_needs, need_level
    from kamseg.pareto import concentration, pareto_summary, pareto_table, pyramid, whale_curve
    from kamseg.pipeline import segment
    from kamseg.report import render_report, write_report
    from kamseg.rfm import DEFAULT_SEGMENT_MAP, rfm_scores, rfm_segment_summary, rfm_segments
    from kamseg.satisfaction import csat, nps, satisfaction_class
    from kamseg.summary import summarize
    from kamseg.transactions import PreparedTransactions, prepare_transactions
    from kamseg.value import value_class


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        module = importlib.import_module(f"kamseg.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'kamseg' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
