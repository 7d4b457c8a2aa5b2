"""The churn model's cut-offs, training rows, estimator and evaluation (used by
:mod:`kamseg.churn`).

The training and evaluation cut-offs (automatic or checked), the labels and the (sampled)
training rows at each cut-off (and :func:`kamseg.churn.churn_training_data`, defined
here), the calibrated gradient boosting classifier, the metrics of the evaluation tables
(ROC AUC, precision among the top k, Brier score) and the BTYD baselines scored beside it.
scikit-learn and kamseg.clv are imported when a model is fitted or scored, not at import.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from kamseg._types import ReturnsPolicy
from kamseg._validation import as_of_day, check_frame, check_int, warn
from kamseg.errors import ConfigError, EmptyInputError, KamsegWarning, SchemaError
from kamseg.features._cutoffs import (
    CutoffHistory,
    cutoff_history,
    cutoff_labels,
    features_at_cutoffs,
    rows_features,
)
from kamseg.transactions import PreparedTransactions, as_prepared

__all__ = [
    "auto_cutoffs",
    "btyd_baselines",
    "calibration_folds",
    "check_cutoffs",
    "check_two_classes",
    "churn_training_data",
    "cutoff_days",
    "date_day",
    "estimator",
    "evaluate",
    "evaluations",
    "iso",
    "labels_at",
    "precision_at_k",
    "prepared_history",
    "sampled_training",
    "stratified_sample",
    "train_rows_bound",
    "training_rows",
]

_Transactions = pd.DataFrame | PreparedTransactions

#: Default upper bound on the training rows of the churn model (customer x cut-off rows).
MAX_TRAIN_ROWS = 200_000

#: Default lower bound of the training sample (when the data have more rows than that).
MIN_TRAIN_ROWS = 100_000

#: Boosting iterations and learning rate of the churn model (issue 14: 30 at 0.3 instead
#: of 100 at 0.1, the same AUC within 0.001 at a third of the trees, see docs/health.md).
MAX_ITER, LEARNING_RATE = 30, 0.3


def train_rows_bound(max_train_rows: int | str | None, n_customers: int) -> int | None:
    """The bound on the training rows of ``max_train_rows`` (``"auto"``: one row per
    customer, at least :data:`MIN_TRAIN_ROWS` and at most :data:`MAX_TRAIN_ROWS`).

    The error of a fitted model depends on the number of rows it learns from, not on the
    share of all rows they are: above 100,000 rows more rows hardly move the AUC
    (docs/health.md), while the fit's cost is a fixed time that the rest of a job, linear in
    the customers, does not dwarf on a small base. So the sample grows with the customers
    (the training's share of the job stays about the same) between the two bounds.

    >>> train_rows_bound("auto", 20_000), train_rows_bound("auto", 150_000)
    (100000, 150000)
    >>> train_rows_bound("auto", 3_000_000), train_rows_bound(5_000, 10**6)
    (200000, 5000)
    """
    if max_train_rows == "auto":
        return min(max(n_customers, MIN_TRAIN_ROWS), MAX_TRAIN_ROWS)
    return None if max_train_rows is None else int(max_train_rows)


def calibration_folds(groups: np.ndarray, seed: int) -> np.ndarray:
    """The fold (0, 1 or 2) of each row: its customer's (`groups`), the customers dealt to
    three folds of equal numbers of customers in a random order drawn with `seed`.

    It replaces scikit-learn's ``GroupKFold``, whose greedy assignment loops in Python over
    the customers (0.1 s at 50,000 sampled customers, 0.4 s at 180,000): one unique and one
    permutation. A customer's rows are all in one fold.

    >>> calibration_folds(np.array([7, 7, 3, 9, 3, 5]), 0).tolist()
    [0, 0, 1, 0, 1, 2]
    """
    unique, inverse = np.unique(groups, return_inverse=True)
    fold = np.empty(unique.size, dtype=np.int64)
    fold[np.random.default_rng(seed).permutation(unique.size)] = np.arange(unique.size) % 3
    return np.asarray(fold[inverse.reshape(-1)])


def estimator(
    calibration: str, seed: int, groups: np.ndarray, x: np.ndarray, y: np.ndarray
) -> Any:
    """The gradient boosting classifier fitted on two thirds of the customers (`groups`) of
    `x`, `y`, calibrated on the other third (:func:`calibration_folds`).

    One booster, not one per fold: training and scoring cost a third of an ensemble of three
    (issue 14), for about 0.001 of AUC (docs/health.md). 30 iterations at a learning rate
    of 0.3 (issue 14; 100 at 0.1 before): the fit and every scoring take a third of the
    time, for an AUC within 0.001 (docs/health.md).
    """
    from sklearn.calibration import CalibratedClassifierCV  # type: ignore[import-untyped]
    from sklearn.ensemble import HistGradientBoostingClassifier  # type: ignore[import-untyped]
    from sklearn.frozen import FrozenEstimator  # type: ignore[import-untyped]

    booster = HistGradientBoostingClassifier(
        learning_rate=LEARNING_RATE,
        max_iter=MAX_ITER,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=seed,
    )
    # the first held-out fold for which both parts hold churned and retained rows (the
    # calibration needs both); one customer alone cannot be split
    fold = calibration_folds(groups, seed)
    split = None
    if groups.size and (groups != groups[0]).any():
        for f in range(3):
            held = fold == f
            churned_held, n_held = int(y[held].sum()), int(held.sum())
            churned_train, n_train = int(y.sum()) - churned_held, y.size - n_held
            if 0 < churned_held < n_held and 0 < churned_train < n_train:
                split = np.flatnonzero(~held), np.flatnonzero(held)
                break
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


def stratified_sample(
    sizes: np.ndarray, labels: np.ndarray, max_rows: int | None, seed: int
) -> np.ndarray:
    """Positions of at most `max_rows` rows, in order, drawn without replacement from each
    stratum in proportion to its size. The rows come in blocks (`sizes`: the rows of each
    block, consecutive; a cut-off's customers) and a stratum is a block's rows of one
    label (`labels`, bool: churned): stratum ``2 * block + label``.

    Each stratum gets ``floor(size * max_rows / n)`` rows, the rows left over go to the
    largest remainders (ties: lower stratum first); the rows of a stratum are those with
    the smallest keys ``stratum rank + 0.5 * u`` (``u``: uniforms drawn with `seed`, one
    per row in row order; equal keys: the earlier row). All rows when `max_rows` is None
    or not smaller than their number.

    A block at a time: its uniforms (the same stream as one draw for every row), and the
    edge of each of its strata by a partition of their keys; the temporaries are those of
    one block, not of every row (at 1M customers x 19 cut-offs, 0.7 GB).
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    n = int(sizes.sum())
    if max_rows is None or n <= max_rows:
        return np.arange(n, dtype=np.int64)
    ends = np.cumsum(sizes)
    starts = ends - sizes
    ones = np.array([np.count_nonzero(labels[a:b]) for a, b in zip(starts, ends, strict=True)])
    counts = np.column_stack((sizes - ones, ones)).reshape(-1)  # stratum 2 * block + label
    present = counts > 0
    share = counts[present] * (max_rows / n)
    quota = np.floor(share).astype(np.int64)
    left = max_rows - int(quota.sum())
    if left > 0:
        quota[np.argsort(-(share - quota), kind="stable")[:left]] += 1
    quotas = np.zeros(counts.size, dtype=np.int64)
    quotas[present] = quota
    rank = np.cumsum(present) - 1  # the strata's keys lie apart: [rank, rank + 0.5]
    rng = np.random.default_rng(seed)
    kept = []
    for block, (a, b) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        u = rng.random(b - a)
        chosen = np.zeros(b - a, dtype=bool)
        churned = labels[a:b]
        for label, rows in ((0, np.flatnonzero(~churned)), (1, np.flatnonzero(churned))):
            stratum = 2 * block + label
            k = int(quotas[stratum])
            if k == 0:
                continue
            key = rank[stratum] + 0.5 * u[rows]
            edge = np.partition(key, k - 1)[k - 1]
            mine = key < edge
            short = k - int(np.count_nonzero(mine))  # the last key taken may repeat
            mine[np.flatnonzero(key == edge)[:short]] = True  # the earliest rows
            chosen[rows[mine]] = True
        kept.append(np.flatnonzero(chosen) + a)
    return np.concatenate(kept)


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


def _metrics(
    y: np.ndarray, p: np.ndarray, k: int, order: np.ndarray | None = None
) -> dict[str, float]:
    both = 0 < y.sum() < y.size
    if order is None:
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
    orders: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """The evaluation table: one row per model (NaN metrics for a missing model).
    `orders`: each model's positions by decreasing score (stable), when known."""
    n = y.size
    k = int(top_k) if isinstance(top_k, int | np.integer) else math.ceil(float(top_k) * n)
    k = min(max(k, 1), n) if n else 0
    y_num = y.astype(np.float64)
    rows = []
    for name, p in scores.items():
        if p is None or n == 0:
            rows.append({"auc": math.nan, "precision_at_k": math.nan, "brier": math.nan})
        else:
            rows.append(_metrics(y_num, p, k, None if orders is None else orders.get(name)))
    table = pd.DataFrame(rows, index=pd.Index(list(scores), name="model"))
    table["n"] = np.int64(n)
    table["base_rate"] = float(y_num.mean()) if n else math.nan
    attrs: dict[Hashable, Any] = {"k": k}
    attrs.update(info)
    table.attrs = attrs
    return table


def evaluations(
    y: np.ndarray,
    scores: dict[str, np.ndarray | None],
    active: np.ndarray,
    top_k: float,
    info: dict[str, Any],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The evaluation tables of all the customers and of the `active` ones (a mask).

    Each model's scores are sorted once: the active customers' order is the order of all
    of them with the others left out (a stable sort orders ties by position, and leaving
    rows out keeps the positions' order), the very order a sort of their scores gives.
    """
    orders = {m: np.argsort(-p, kind="stable") for m, p in scores.items() if p is not None}
    position = np.cumsum(active) - 1  # an active customer's position among them
    sub_orders = {m: position[o[active[o]]] for m, o in orders.items()}
    sub_scores = {m: None if p is None else p[active] for m, p in scores.items()}
    return (
        evaluate(y, scores, top_k, info, orders),
        evaluate(y[active], sub_scores, top_k, info, sub_orders),
    )


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


# --------------------------------------------------------------------------------------
# labels and training rows
# --------------------------------------------------------------------------------------


def labels_at(
    prepared: PreparedTransactions, codes: np.ndarray, cutoff: int, window: int
) -> np.ndarray:
    """True when the customer made no purchase in ``(cutoff, cutoff + window]``."""
    inside = (prepared.day > cutoff) & (prepared.day <= cutoff + window)
    bought = np.zeros(len(prepared.ids), dtype=bool)
    bought[prepared.code[inside]] = True
    return np.asarray(~bought[codes])


def training_rows(
    prepared: PreparedTransactions, cutoffs: Sequence[int], window: int, *, func: str
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Features at each cut-off (index: cut-off, customer id), customer codes, labels.

    The rows of :func:`~kamseg.features.features_at_cutoffs` are the customers of each
    distinct cut-off in date order, in id order within it: those of
    :func:`~kamseg.features._cutoffs.cutoff_labels` on the sorted cut-offs, whose labels
    come from one pass over the purchase-day pairs."""
    feats = features_at_cutoffs(prepared, cutoffs, func=func)
    days = sorted(set(cutoffs))
    codes_at, labels, _ = cutoff_labels(cutoff_history(prepared), days, window, func=func)
    return feats, np.concatenate(codes_at), np.concatenate(labels)


def sampled_training(
    hist: CutoffHistory,
    cutoffs: Sequence[int],
    window: int,
    *,
    names: Sequence[str],
    max_rows: int | None,
    seed: int,
    func: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The training matrix of a stratified sample of the customer x cut-off rows (at most
    `max_rows`, by cut-off and label), their customer codes and labels, and the number of
    rows sampled from. Labels first, for every row (with the customers and base gaps of
    every cut-off, from one pass over the purchase-day pairs: :func:`~kamseg.features.\
_cutoffs.cutoff_labels`); features only at the rows kept."""
    codes_at, labels, gaps = cutoff_labels(hist, cutoffs, window, func=func)
    y = np.concatenate(labels)
    del labels
    check_two_classes(y, func=func)
    sizes = np.array([c.size for c in codes_at], dtype=np.int64)
    keep = stratified_sample(sizes, y, max_rows, seed)
    # the kept rows' customers, cut-offs and base gaps, in row order (by cut-off, then id),
    # and their features in one pass over their rows
    ends = np.cumsum(sizes)
    at = np.searchsorted(ends, keep, side="right")  # each kept row's cut-off
    starts = ends - sizes
    codes = np.concatenate([codes_at[i][keep[at == i] - starts[i]] for i in range(len(codes_at))])
    del codes_at
    days = np.asarray(cutoffs, dtype=np.int64)[at]
    columns = rows_features(hist, codes, days, np.asarray(gaps, dtype=np.float64)[at])
    y_kept = y[keep]
    check_two_classes(y_kept, func=func)
    return np.column_stack([columns[name] for name in names]), codes, y_kept, int(y.size)


def check_two_classes(y: np.ndarray, *, func: str) -> None:
    """Raise EmptyInputError when every label `y` is the same."""
    if y.all() or not y.any():
        raise EmptyInputError(
            f"{func}: every training row has the same label (churned={bool(y[0])}); "
            "there is nothing to learn. Hint: use more or other cut-offs, or another "
            "window_days."
        )


def prepared_history(
    transactions: Any,
    *,
    func: str,
    customer_col: Hashable,
    date_col: Hashable,
    amount_col: Hashable,
    dropna: bool,
    returns: ReturnsPolicy,
    as_of: Any = None,
) -> PreparedTransactions:
    """The whole history (up to `as_of`) prepared: a PreparedTransactions as it is, a
    DataFrame prepared with the options (one warning, pointing at the caller of `func`)."""
    if not isinstance(transactions, PreparedTransactions):
        check_frame(transactions, func=func, arg="transactions")
    return as_prepared(
        transactions,
        func=func,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        as_of=as_of,
        dropna=dropna,
        returns=returns,
        stacklevel=7,
    )


def churn_training_data(
    transactions: _Transactions,
    *,
    cutoffs: Sequence[Any],
    window_days: int = 180,
    customer_col: Hashable = "customer_id",
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
) -> pd.DataFrame:
    """Features at each cut-off and whether the customer then stopped buying.

    Parameters
    ----------
    transactions
        One row per order or order line (`customer_col`, `date_col`, `amount_col`), the
        whole history: a DataFrame (not modified), prepared with `dropna` and `returns`
        (one warning), or :class:`~kamseg.transactions.PreparedTransactions`, used as they
        are (see :func:`churn_features`).
    cutoffs
        The cut-off dates. Each must leave a full label window in the data:
        ``cutoff + window_days`` on or before the latest transaction date (the `as_of` of
        prepared transactions).
    window_days
        Length of the label window in days (>= 1).
    customer_col, date_col, amount_col, dropna, returns
        The columns and options of a DataFrame, as in :func:`churn_features`.

    Returns
    -------
    DataFrame
        One row per cut-off and customer with a purchase on or before the cut-off, in
        cut-off order then customer order, with a default index:

        - ``cutoff`` (datetime64[ns]);
        - `customer_col`: the customer id;
        - the :data:`CHURN_FEATURES` (float64) as of the cut-off (see
          :func:`churn_features`);
        - ``churned`` (bool): no purchase in ``(cutoff, cutoff + window_days]`` (the day
          after the cut-off to the window's last day, both included).

    Raises
    ------
    ConfigError
        If a label window ends after the data, or on invalid options.
    ColumnNotFoundError, SchemaError, EmptyInputError
        On bad transactions, or a cut-off before the first transaction.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.churn import churn_training_data
    >>> tx = pd.DataFrame(
    ...     {"customer_id": ["a", "a", "b", "a"],
    ...      "date": ["2024-01-01", "2024-02-15", "2024-01-20", "2024-06-30"],
    ...      "amount": [10.0, 20.0, 5.0, 7.0]}
    ... )
    >>> rows = churn_training_data(tx, cutoffs=["2024-01-31", "2024-03-01"], window_days=60)
    >>> rows[["cutoff", "customer_id", "n_orders", "churned"]]
          cutoff customer_id  n_orders  churned
    0 2024-01-31           a       1.0    False
    1 2024-01-31           b       1.0     True
    2 2024-03-01           a       2.0     True
    3 2024-03-01           b       1.0     True
    """
    func = "churn_training_data"
    window = check_int(window_days, func=func, arg="window_days", low=1)
    prepared = prepared_history(
        transactions,
        func=func,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        dropna=dropna,
        returns=returns,
    )
    days = cutoff_days(cutoffs, func=func, what="")
    if not days:
        raise ConfigError(f"{func}: `cutoffs` is empty. Hint: pass at least one date.")
    last = prepared.as_of_day
    if days[-1] + window > last:
        raise ConfigError(
            f"{func}: the label window of cut-off {iso(days[-1])} ends after the data "
            f"({iso(last)}). Hint: use cut-offs on or before {iso(last - window)}."
        )
    feats, _, churned = training_rows(prepared, days, window, func=func)
    out = feats.reset_index(drop=True)
    out.insert(0, "cutoff", feats.index.get_level_values(0).to_numpy())
    out.insert(1, str(prepared.ids.name), feats.index.get_level_values(1).to_numpy())
    out["churned"] = churned
    return out
