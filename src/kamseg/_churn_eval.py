"""The churn model's cut-offs, estimator and evaluation (used by :mod:`kamseg.churn`).

The training and evaluation cut-offs (automatic or checked), the calibrated gradient
boosting classifier, the metrics of the evaluation tables (ROC AUC, precision among the top
k, Brier score) and the BTYD baselines scored beside it. scikit-learn and kamseg.clv are
imported when a model is fitted or scored, not at import.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from kamseg._validation import as_of_day, warn
from kamseg.errors import ConfigError, EmptyInputError, KamsegWarning, SchemaError
from kamseg.transactions import PreparedTransactions

__all__ = [
    "auto_cutoffs",
    "btyd_baselines",
    "check_cutoffs",
    "cutoff_days",
    "date_day",
    "estimator",
    "evaluate",
    "iso",
    "precision_at_k",
    "stratified_sample",
]

#: Default bound on the training rows of the churn model (customer x cut-off rows).
MAX_TRAIN_ROWS = 200_000


def estimator(
    calibration: str, seed: int, groups: np.ndarray, x: np.ndarray, y: np.ndarray
) -> Any:
    """The gradient boosting classifier fitted on two thirds of the customers (`groups`) of
    `x`, `y`, calibrated on the other third.

    One booster, not one per fold: training and scoring cost a third of an ensemble of three
    (issue 14), for about 0.001 of AUC (docs/health.md).
    """
    from sklearn.calibration import CalibratedClassifierCV  # type: ignore[import-untyped]
    from sklearn.ensemble import HistGradientBoostingClassifier  # type: ignore[import-untyped]
    from sklearn.frozen import FrozenEstimator  # type: ignore[import-untyped]
    from sklearn.model_selection import GroupKFold  # type: ignore[import-untyped]

    booster = HistGradientBoostingClassifier(
        learning_rate=0.1,
        max_iter=100,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=seed,
    )
    n_groups = len(np.unique(groups))
    # the first customer-grouped split whose two parts both hold churned and retained rows
    # (the calibration needs both)
    splits = GroupKFold(n_splits=min(3, n_groups)).split(x, y, groups) if n_groups > 1 else ()
    split = next(
        (
            (train, held_out)
            for train, held_out in splits
            if 0 < y[train].sum() < train.size and 0 < y[held_out].sum() < held_out.size
        ),
        None,
    )
    if split is None:
        raise EmptyInputError(
            "churn_model: too few churned or retained customers to train the model on two "
            "thirds of them and calibrate it on the other third. Hint: use a longer "
            "history or more customers."
        )
    train, held_out = split
    booster.fit(x[train], y[train])
    # the booster is fitted already: one "split" that predicts every held-out row once
    # (scikit-learn's default would split them in five, stratified, for the same numbers)
    everything = [(np.arange(0), np.arange(held_out.size))]
    model = CalibratedClassifierCV(FrozenEstimator(booster), method=calibration, cv=everything)
    model.fit(x[held_out], y[held_out])
    return model


def stratified_sample(strata: np.ndarray, max_rows: int | None, seed: int) -> np.ndarray:
    """Positions of at most `max_rows` rows, in order, drawn without replacement from each
    stratum (``strata``: a stratum number per row) in proportion to its size.

    Each stratum gets ``floor(size * max_rows / n)`` rows, the rows left over go to the
    largest remainders (ties: lower stratum first); the rows of a stratum are those with
    the smallest uniform keys drawn with `seed` (equal keys: the earlier row). All rows when
    `max_rows` is None or not smaller than their number.
    """
    n = strata.size
    if max_rows is None or n <= max_rows:
        return np.arange(n, dtype=np.int64)
    if strata.dtype.kind in "iu" and strata.min() >= 0 and strata.max() <= n:
        counts = np.bincount(strata)  # small numbers (cut-off x label): no sort
        present = counts > 0
        sizes, inverse = counts[present], (np.cumsum(present) - 1)[strata]
    else:
        _, inverse, sizes = np.unique(strata, return_inverse=True, return_counts=True)
    share = sizes * (max_rows / n)
    quota = np.floor(share).astype(np.int64)
    left = max_rows - int(quota.sum())
    if left > 0:
        quota[np.argsort(-(share - quota), kind="stable")[:left]] += 1
    # stratum + a uniform key in [0, 0.5): the strata's keys lie apart, so the `quota`
    # smallest keys of each stratum end at one order statistic of the whole array (found
    # by a partition, not a sort)
    key = inverse + 0.5 * np.random.default_rng(seed).random(n)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    wanted = quota > 0
    kth = (starts + quota - 1)[wanted]
    edge = np.full(sizes.size, -np.inf)
    edge[wanted] = np.partition(key, kth)[kth]
    bound = edge[inverse]
    chosen = key < bound
    ties = key == bound  # the last key taken may repeat: take the earliest rows
    if ties.any():
        short = quota - np.bincount(inverse[chosen], minlength=sizes.size)
        tie_rows = np.flatnonzero(ties)
        tie_stratum = inverse[tie_rows]
        order = np.argsort(tie_stratum, kind="stable")
        first = np.searchsorted(tie_stratum[order], tie_stratum[order], side="left")
        rank = np.empty(tie_rows.size, dtype=np.int64)
        rank[order] = np.arange(tie_rows.size) - first
        chosen[tie_rows[rank < short[tie_stratum]]] = True
    return np.flatnonzero(chosen)


def precision_at_k(y: np.ndarray, score: np.ndarray, k: int) -> float:
    """Mean of `y` over the `k` highest scores (ties in input order)."""
    order = np.argsort(-score, kind="stable")
    return float(y[order[:k]].mean())


def _auc(y: np.ndarray, score: np.ndarray, order: np.ndarray) -> float:
    """ROC AUC of the 0/1 labels `y` for `score`, from `order` (positions by decreasing
    score): the share of (positive, negative) pairs in which the positive scores higher,
    a tie counting one half (the Mann-Whitney statistic; scikit-learn's roc_auc_score
    gives the same number, one sort instead of its several passes)."""
    s, pos = score[order], y[order].astype(np.float64)
    group = np.concatenate(([0], np.cumsum(s[1:] != s[:-1])))  # equal scores: one group
    pos_in = np.bincount(group, weights=pos)
    neg_in = np.bincount(group, weights=1.0 - pos)
    n_pos, n_neg = pos_in.sum(), neg_in.sum()
    neg_below = n_neg - np.cumsum(neg_in)  # negatives in the groups of lower scores
    return float(np.dot(pos_in, neg_below + 0.5 * neg_in) / (n_pos * n_neg))


def _metrics(y: np.ndarray, p: np.ndarray, k: int) -> dict[str, float]:
    both = 0 < y.sum() < y.size
    order = np.argsort(-p, kind="stable")
    return {
        "auc": _auc(y, p, order) if both else math.nan,
        "precision_at_k": float(y[order[:k]].mean()),
        "brier": float(np.mean((y - p) ** 2)),
    }


def evaluate(
    y: np.ndarray,
    scores: dict[str, np.ndarray | None],
    top_k: float,
    info: dict[str, Any],
) -> pd.DataFrame:
    """The evaluation table: one row per model (NaN metrics for a missing model)."""
    n = y.size
    k = int(top_k) if isinstance(top_k, int | np.integer) else math.ceil(float(top_k) * n)
    k = min(max(k, 1), n) if n else 0
    y_num = y.astype(np.float64)
    rows = []
    for p in scores.values():
        if p is None or n == 0:
            rows.append({"auc": math.nan, "precision_at_k": math.nan, "brier": math.nan})
        else:
            rows.append(_metrics(y_num, p, k))
    table = pd.DataFrame(rows, index=pd.Index(list(scores), name="model"))
    table["n"] = np.int64(n)
    table["base_rate"] = float(y_num.mean()) if n else math.nan
    attrs: dict[Hashable, Any] = {"k": k}
    attrs.update(info)
    table.attrs = attrs
    return table


def btyd_baselines(feats: pd.DataFrame, window: int, *, func: str) -> dict[str, np.ndarray | None]:
    """``1 - p_alive`` and P(no purchase in the window) of BG/NBD and MBG/NBD fits."""
    import kamseg.clv as clv
    from kamseg.errors import ConvergenceError

    table = feats[["frequency", "recency", "T"]]
    table.attrs = {"freq": "D"}
    out: dict[str, np.ndarray | None] = {}
    for model in ("bgnbd", "mbgnbd"):
        try:
            with warnings.catch_warnings():
                # a boundary fit is fine for a baseline; its warning would be noise here
                warnings.simplefilter("ignore", KamsegWarning)
                fitted = clv.fit(table, model=model)
        except (ConvergenceError, SchemaError) as exc:
            warn(
                f"{func}: the {model} baseline could not be fitted ({exc}); its rows are NaN.",
                stacklevel=4,
            )
            out[f"{model} 1-p_alive"] = out[f"{model} P(no purchase)"] = None
            continue
        p_alive = clv.predict(table, fitted, freq="D")["p_alive"].to_numpy(dtype=np.float64)
        out[f"{model} 1-p_alive"] = 1.0 - p_alive
        if not {"r", "alpha"} <= set(fitted.params):  # a limit model without them
            out[f"{model} P(no purchase)"] = None
            continue
        r, alpha = fitted.params["r"], fitted.params["alpha"]
        x = table["frequency"].to_numpy(dtype=np.float64)
        big_t = table["T"].to_numpy(dtype=np.float64)
        # alive customers buy nothing in (T, T + w] with probability
        # E[exp(-lambda w) | x, T] = ((alpha + T) / (alpha + T + w)) ** (r + x)
        quiet = np.exp((r + x) * np.log((alpha + big_t) / (alpha + big_t + window)))
        out[f"{model} P(no purchase)"] = 1.0 - p_alive * (1.0 - quiet)
    return out


# --------------------------------------------------------------------------------------
# cut-offs
# --------------------------------------------------------------------------------------


def date_day(value: Any, *, func: str, arg: str) -> int:
    """Day number of a date argument (not None)."""
    try:
        day = as_of_day(value, func=func)
    except ConfigError as exc:
        raise ConfigError(str(exc).replace("`as_of`", f"`{arg}`")) from exc
    if day is None:
        raise ConfigError(f"{func}: `{arg}` must be a date; got None.")
    return day


def iso(day: int) -> str:
    """A day number as ISO text."""
    return str(np.datetime64(day, "D"))


def auto_cutoffs(
    prepared: PreparedTransactions, *, window: int, step: int, max_cutoffs: int, func: str
) -> tuple[list[int], int]:
    """The default cut-offs: training ones every `step` days back from ``as_of - 2 *
    window`` (at most `max_cutoffs`, none before ``first + window``), the evaluation one at
    ``as_of - window``."""
    first, last = int(prepared.day.min()), prepared.as_of_day
    evaluation = last - window
    train: list[int] = []
    c = evaluation - window
    while c >= first + window and len(train) < max_cutoffs:
        train.append(c)
        c -= step
    if not train:
        raise EmptyInputError(
            f"{func}: the history ({iso(first)} to {iso(last)}, {last - first} days) is too "
            f"short for window_days={window}: automatic cut-offs need at least "
            f"{3 * window} days (one window of history, one of training labels, one of "
            "evaluation). Hint: pass a smaller window_days, or cutoffs=[...]."
        )
    return sorted(train), evaluation


def cutoff_days(cutoffs: object, *, func: str, what: str) -> list[int]:
    """Day numbers of a list of cut-off dates, sorted, without duplicates."""
    if isinstance(cutoffs, str) or not isinstance(cutoffs, Sequence | pd.Index | np.ndarray):
        raise ConfigError(f"{func}: `cutoffs` must be a list of dates{what}; got {cutoffs!r}.")
    return sorted({date_day(c, func=func, arg="cutoffs") for c in cutoffs})


def check_cutoffs(
    cutoffs: object, prepared: PreparedTransactions, *, window: int, func: str
) -> tuple[list[int], int]:
    """Training and evaluation cut-offs of `cutoffs`, whose label windows must end on or
    before the evaluation cut-off (training) or the `as_of` (evaluation)."""
    what = " (the last one is the evaluation cut-off)"
    days = cutoff_days(cutoffs, func=func, what=what)
    if len(days) < 2:
        raise ConfigError(
            f"{func}: `cutoffs` needs at least two dates: training cut-offs and, last, the "
            "evaluation cut-off."
        )
    *train, evaluation = days
    last = prepared.as_of_day
    if evaluation + window > last:
        raise ConfigError(
            f"{func}: the evaluation cut-off {iso(evaluation)} plus window_days={window} "
            f"ends after the data ({iso(last)}); its labels would be incomplete. Hint: the "
            f"latest possible evaluation cut-off is {iso(last - window)}."
        )
    late = [d for d in train if d + window > evaluation]
    if late:
        raise ConfigError(
            f"{func}: the label windows of training cut-off(s) "
            f"{', '.join(iso(d) for d in late)} end after the evaluation cut-off "
            f"{iso(evaluation)}, so training would see the evaluation period. Hint: use "
            f"training cut-offs on or before {iso(evaluation - window)}."
        )
    return train, evaluation
