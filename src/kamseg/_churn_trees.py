"""The fitted churn model as data, scored with numpy alone (used by :mod:`kamseg.churn`).

:func:`export_estimator` reads the calibrated gradient boosting classifier of
:func:`kamseg.churn.churn_model` into arrays: the node arrays of every tree
(:class:`Trees`) and the calibration (:class:`Calibrator`). :class:`ChurnState` holds them
with the model's features, window and evaluation; it is saved without pickle
(:mod:`kamseg._state`) and scores without importing scikit-learn, with the very operations
of scikit-learn, so that the probabilities are bit for bit those of
``estimator.predict_proba(X)[:, 1]``:

- ``HistGradientBoostingClassifier.decision_function``: a zero plus the baseline
  prediction, plus each tree's leaf value in turn (``_raw_predict``); a row goes down a
  tree to the left when its value is ``<= num_threshold`` and, when the value is NaN, to
  the side ``missing_go_to_left`` says (``_predict_one_from_raw_data``);
- ``CalibratedClassifierCV`` calibrates that decision function (not ``predict_proba``):
  isotonic, ``numpy.interp`` of the value clipped to the fitted range (what
  ``IsotonicRegression(out_of_bounds="clip")`` calls through scipy's ``interp1d``), or
  sigmoid, ``1 / (1 + exp(a * d + b))`` (``_SigmoidCalibration``: ``expit(-(a * d +
  b))``, with the C library's ``exp`` as scipy's ``expit``; numpy's own ``exp`` differs
  in the last bit for about 2 % of the values); then the mean over the one calibrated
  classifier and the clip of values a hair above 1.

:class:`ChurnFit` adds what the scores learn from the scored table (the base gap of the
overdue ratio, the order of the repeat-spend sums), frozen at the base, so that each
customer's probability depends on its own transactions only; :func:`score` is the one
implementation of :func:`kamseg.churn.predict_churn` and :meth:`ChurnFit.apply`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from kamseg._state import state
from kamseg._types import ReturnsPolicy
from kamseg._validation import check_columns, check_frame, check_no_overwrite, examples
from kamseg.errors import ConfigError, SchemaError
from kamseg.features import prepared_for
from kamseg.features._cutoffs import features_at
from kamseg.transactions import PreparedTransactions, as_prepared

__all__ = [
    "Calibrator",
    "ChurnFit",
    "ChurnState",
    "Trees",
    "check_base_gap",
    "describe",
    "evaluation_dict",
    "export_estimator",
    "score",
    "state_of",
]

#: Rows scored in one pass of the tree traversal (bounds the memory: rows x trees).
BLOCK_ROWS = 4096


def _array(value: Any, dtype: Any, name: str) -> np.ndarray:
    a = np.asarray(value)
    if a.ndim != 1:
        raise ValueError(f"churn trees: `{name}` must be one-dimensional; got shape {a.shape}")
    return a.astype(dtype, copy=False)


@state("churn.Trees")
@dataclasses.dataclass(frozen=True, eq=False)
class Trees:
    """The trees of a fitted binary ``HistGradientBoostingClassifier``, in arrays.

    The nodes of every tree (one per boosting iteration, in order) are concatenated: tree
    `i` holds the nodes ``bounds[i]:bounds[i + 1]``, its root first; `left` and `right`
    number the children within the tree, as scikit-learn's ``nodes`` records do.

    Attributes
    ----------
    feature, threshold, missing_left, left, right, is_leaf, value : ndarray
        Per node: ``feature_idx`` (int64), ``num_threshold`` (float64),
        ``missing_go_to_left`` (bool), ``left``, ``right`` (int64), ``is_leaf`` (bool),
        ``value`` (float64, the raw prediction of a leaf).
    bounds : ndarray
        int64, the first node of each tree and, last, the number of nodes.
    baseline : float
        ``_baseline_prediction``, the raw prediction every sum starts from.
    n_features : int
        The columns of the feature matrix.
    """

    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    left: np.ndarray
    right: np.ndarray
    is_leaf: np.ndarray
    value: np.ndarray
    bounds: np.ndarray
    baseline: float
    n_features: int

    def __post_init__(self) -> None:
        arrays = {
            "feature": np.int64,
            "threshold": np.float64,
            "missing_left": bool,
            "left": np.int64,
            "right": np.int64,
            "is_leaf": bool,
            "value": np.float64,
            "bounds": np.int64,
        }
        for name, dtype in arrays.items():
            object.__setattr__(self, name, _array(getattr(self, name), dtype, name))
        n = self.feature.size
        if any(getattr(self, name).size != n for name in list(arrays)[:-1]):
            raise ValueError("churn trees: the node arrays have different lengths")
        b = self.bounds
        if b.size < 2 or b[0] != 0 or b[-1] != n or (np.diff(b) <= 0).any():
            raise ValueError("churn trees: `bounds` must rise from 0 to the number of nodes")
        tree = np.repeat(np.arange(b.size - 1), np.diff(b))
        local = np.arange(n) - b[tree]
        size = np.diff(b)[tree]
        split = ~self.is_leaf
        for child in (self.left, self.right):  # children come after their parent
            if ((child[split] <= local[split]) | (child[split] >= size[split])).any():
                raise ValueError("churn trees: a split points to a node outside its tree")
        if ((self.feature[split] < 0) | (self.feature[split] >= self.n_features)).any():
            raise ValueError(f"churn trees: a split reads a feature outside 0..{self.n_features}")
        self._plan  # noqa: B018 - built (and checked) once, here, for every thread

    @functools.cached_property
    def _plan(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """Global child positions (a leaf points to itself, so going down `depth` levels
        leaves every row on its leaf), the feature of each split (0 at a leaf) and the
        depth of the deepest leaf."""
        b = self.bounds
        offset = np.repeat(b[:-1], np.diff(b))
        here = np.arange(self.feature.size)
        split = ~self.is_leaf
        go_left = np.where(split, offset + self.left, here)
        go_right = np.where(split, offset + self.right, here)
        depth, level = 0, b[:-1]
        while True:
            level = level[split[level]]
            if level.size == 0:
                break
            level = np.unique(np.concatenate((go_left[level], go_right[level])))
            depth += 1
        return go_left, go_right, np.where(split, self.feature, 0), depth

    @property
    def n_trees(self) -> int:
        """The number of trees."""
        return int(self.bounds.size - 1)

    def leaves(self, x: np.ndarray) -> np.ndarray:
        """The leaf (global node number) of each tree and row of `x`: shape (trees, rows)."""
        go_left, go_right, feature, depth = self._plan
        rows = np.arange(x.shape[0])
        columns = x.T
        node = np.repeat(self.bounds[:-1, None], x.shape[0], axis=1)
        for _ in range(depth):
            v = columns[feature[node], rows]
            left = np.where(np.isnan(v), self.missing_left[node], v <= self.threshold[node])
            node = np.where(left, go_left[node], go_right[node])
        return node

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        """The raw predictions (log-odds) of the rows of `x`, summed as scikit-learn does:
        zero, plus the baseline, plus each tree's leaf value, tree after tree."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(
                f"churn trees: expected a matrix of {self.n_features} feature columns; got "
                f"shape {x.shape}"
            )
        raw = np.zeros(x.shape[0])
        raw += self.baseline
        for lo in range(0, x.shape[0], BLOCK_ROWS):
            values = self.value[self.leaves(x[lo : lo + BLOCK_ROWS])]
            out = raw[lo : lo + BLOCK_ROWS]
            for tree_values in values:
                out += tree_values
        return raw


def _exp(v: float) -> float:
    try:
        return math.exp(v)
    except OverflowError:
        return math.inf


@state("churn.Calibrator")
@dataclasses.dataclass(frozen=True, eq=False)
class Calibrator:
    """The calibration of the raw predictions into probabilities.

    Attributes
    ----------
    method : str
        ``"isotonic"``: ``numpy.interp(clip(d, x_min, x_max), x, y)`` (`x`, `y`: the
        ``X_thresholds_`` and ``y_thresholds_`` of the isotonic regression; a single
        threshold gives its `y` everywhere). ``"sigmoid"``: ``1 / (1 + exp(a * d + b))``.
    a, b : float
        The sigmoid's parameters (NaN for isotonic).
    x, y : ndarray
        The isotonic thresholds (float64; empty for sigmoid).
    x_min, x_max : float
        The range of the raw predictions the isotonic regression was fitted on.
    """

    method: str
    a: float
    b: float
    x: np.ndarray
    y: np.ndarray
    x_min: float
    x_max: float

    def __post_init__(self) -> None:
        if self.method not in ("isotonic", "sigmoid"):
            raise ValueError(f"churn calibration: unknown method {self.method!r}")
        x, y = _array(self.x, np.float64, "x"), _array(self.y, np.float64, "y")
        if x.size != y.size or (self.method == "isotonic" and x.size == 0):
            raise ValueError("churn calibration: the isotonic thresholds do not match")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        """The probabilities of the raw predictions `raw`."""
        if self.method == "isotonic":
            t = np.clip(raw, self.x_min, self.x_max)
            p = self.y.repeat(t.shape) if self.y.size == 1 else np.interp(t, self.x, self.y)
        else:
            # expit(-(a * d + b)) = 1 / (1 + exp(a * d + b)), exp from the C library
            e = np.array([_exp(v) for v in (self.a * raw + self.b).tolist()], dtype=np.float64)
            p = 1.0 / (1.0 + e)
        out: np.ndarray = np.zeros(p.shape) + p  # the mean over the one calibrated classifier
        out[(out > 1.0) & (out <= 1.0 + 1e-5)] = 1.0
        return out


def export_estimator(estimator: Any) -> tuple[Trees, Calibrator]:
    """The trees and calibration of a fitted ``CalibratedClassifierCV`` over one
    ``FrozenEstimator(HistGradientBoostingClassifier)`` (binary, numeric features), as
    :func:`kamseg._churn_eval.estimator` builds it; anything else raises ValueError."""
    calibrated = getattr(estimator, "calibrated_classifiers_", None)
    if calibrated is None or len(calibrated) != 1:
        raise ValueError("churn model: expected a CalibratedClassifierCV with one classifier")
    (one,) = calibrated
    booster = getattr(one.estimator, "estimator", one.estimator)  # inside FrozenEstimator
    if type(booster).__name__ != "HistGradientBoostingClassifier":
        raise ValueError(f"churn model: cannot export a {type(booster).__name__}")
    if (
        booster.n_trees_per_iteration_ != 1
        or len(booster.classes_) != 2
        or len(one.calibrators) != 1
        or list(one.classes) != list(booster.classes_)
    ):
        raise ValueError("churn model: expected a binary classifier")
    categorical = booster.is_categorical_
    if (categorical is not None and np.any(categorical)) or booster._preprocessor is not None:
        raise ValueError("churn model: categorical features cannot be exported")
    nodes = [predictors[0].nodes for predictors in booster._predictors]
    if any(p[0].nodes["is_categorical"].any() for p in booster._predictors):
        raise ValueError("churn model: categorical splits cannot be exported")
    sizes = [len(n) for n in nodes]
    allnodes = np.concatenate(nodes)
    trees = Trees(
        feature=allnodes["feature_idx"],
        threshold=allnodes["num_threshold"],
        missing_left=allnodes["missing_go_to_left"].astype(bool),
        left=allnodes["left"],
        right=allnodes["right"],
        is_leaf=allnodes["is_leaf"].astype(bool),
        value=allnodes["value"],
        bounds=np.concatenate(([0], np.cumsum(sizes))),
        baseline=float(np.asarray(booster._baseline_prediction).reshape(-1)[0]),
        n_features=int(booster.n_features_in_),
    )
    (cal,) = one.calibrators
    nan, empty = math.nan, np.empty(0)
    if one.method == "isotonic":
        if not (cal.increasing_ and cal.out_of_bounds == "clip"):
            raise ValueError("churn model: expected an increasing isotonic regression (clip)")
        calibrator = Calibrator(
            "isotonic", nan, nan, cal.X_thresholds_, cal.y_thresholds_, cal.X_min_, cal.X_max_
        )
    elif one.method == "sigmoid":
        calibrator = Calibrator("sigmoid", float(cal.a_), float(cal.b_), empty, empty, nan, nan)
    else:
        raise ValueError(f"churn model: cannot export the calibration {one.method!r}")
    return trees, calibrator


def describe(
    kind: str, window: int, n_cutoffs: int, n_train: int, eval_cutoff: pd.Timestamp, auc: Any
) -> str:
    """The repr of a churn model."""
    auc_text = "" if auc is None else f", eval AUC {auc:.3f}"
    return (
        f"{kind}(window_days={window}, {n_cutoffs} training cut-offs, {n_train:,} rows, "
        f"eval cut-off {eval_cutoff.date().isoformat()}{auc_text})"
    )


def evaluation_dict(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """An evaluation table as ``{model: {column: value}}`` (plain floats and ints)."""
    columns = {str(c): table[c].to_numpy() for c in table.columns}
    return {
        str(model): {c: int(v[i]) if c == "n" else float(v[i]) for c, v in columns.items()}
        for i, model in enumerate(table.index)
    }


@state("churn.ChurnState")
@dataclasses.dataclass(frozen=True, eq=False)
class ChurnState:
    """A fitted churn model as data: saved without pickle, scored without scikit-learn.

    :meth:`kamseg.churn.ChurnModel.to_state` makes one; :func:`kamseg.churn.predict_churn`
    takes it in place of the model and gives the same probabilities, bit for bit.

    Attributes
    ----------
    trees : Trees
        The boosting trees in arrays.
    calibrator : Calibrator
        The calibration of their raw predictions.
    features, window_days, train_cutoffs, eval_cutoff, n_train, calibration, seed, \
customer_col, date_col, amount_col, n_train_rows
        As the :class:`~kamseg.churn.ChurnModel`'s.
    evaluation, evaluation_active : dict
        The rows of the model's evaluation tables: ``{model: {"auc": ..., "precision_at_k":
        ..., "brier": ..., "n": ..., "base_rate": ...}}`` (see :meth:`evaluation_table`).
    evaluation_k, evaluation_active_k : int
        The k of their precision among the top k.

    Examples
    --------
    >>> import io
    >>> import kamseg
    >>> from kamseg import _state
    >>> from kamseg.churn import churn_model, predict_churn
    >>> data = kamseg.datasets.make_transactions(n_customers=300, seed=1)
    >>> model = churn_model(data.transactions, max_cutoffs=3, baselines=False)
    >>> buf = io.BytesIO()
    >>> _state.write(buf, model.to_state(), {"kind": "churn"})
    >>> loaded = _state.read(buf)
    >>> loaded
    ChurnState(window_days=180, 3 training cut-offs, 611 rows, eval cut-off 2024-07-04, ...)
    >>> a = predict_churn(data.transactions, loaded)["churn_probability"]
    >>> b = predict_churn(data.transactions, model)["churn_probability"]
    >>> bool((a == b).all())
    True
    """

    trees: Trees
    calibrator: Calibrator
    features: tuple[str, ...]
    window_days: int
    train_cutoffs: tuple[pd.Timestamp, ...]
    eval_cutoff: pd.Timestamp
    evaluation: dict[str, dict[str, Any]]
    evaluation_active: dict[str, dict[str, Any]]
    evaluation_k: int
    evaluation_active_k: int
    n_train: int
    calibration: str
    seed: int
    customer_col: Hashable = "customer_id"
    date_col: Hashable = "date"
    amount_col: Hashable = "amount"
    n_train_rows: int | None = None

    def __post_init__(self) -> None:
        if len(self.features) != self.trees.n_features:
            raise ValueError(
                f"churn model: {len(self.features)} feature names for "
                f"{self.trees.n_features} feature columns"
            )

    def __repr__(self) -> str:
        gbm = self.evaluation.get("gbm")
        auc = None if gbm is None else gbm["auc"]
        n = len(self.train_cutoffs)
        return describe("ChurnState", self.window_days, n, self.n_train, self.eval_cutoff, auc)

    def to_state(self) -> ChurnState:
        """This state (as :meth:`kamseg.churn.ChurnModel.to_state`)."""
        return self

    def decision_function(self, features: np.ndarray | pd.DataFrame) -> np.ndarray:
        """The raw predictions (log-odds) of the boosting for each row."""
        return self.trees.decision_function(self._matrix(features))

    def predict_proba(self, features: np.ndarray | pd.DataFrame) -> np.ndarray:
        """The churn probability of each row: a matrix of the `features` columns in order,
        or a :func:`~kamseg.churn.churn_features` table (its `features` columns are used).

        Bit for bit ``estimator.predict_proba(X)[:, 1]`` of the model's estimator (tested),
        which is what a state made by :meth:`kamseg.churn.ChurnModel.to_state` calls in the
        process that trained it (several times faster for large tables); a state read from a
        file scores with numpy.
        """
        x = self._matrix(features)
        if len(x) == 0:
            return np.empty(0)
        fitted = getattr(self, "_estimator", None)
        if fitted is not None:  # the process that trained it: scikit-learn's compiled trees
            proba: np.ndarray = fitted.predict_proba(x)[:, 1]
            return proba
        return self.calibrator(self.trees.decision_function(x))

    def _matrix(self, features: np.ndarray | pd.DataFrame) -> np.ndarray:
        if isinstance(features, pd.DataFrame):
            check_columns(features, {f: f for f in self.features}, func="predict_proba")
            return features[list(self.features)].to_numpy(dtype=np.float64)
        return np.asarray(features, dtype=np.float64)

    def evaluation_table(self, *, active: bool = False) -> pd.DataFrame:
        """The model's ``evaluation`` (or ``evaluation_active``) table, as
        :class:`~kamseg.churn.ChurnModel` has it."""
        rows = self.evaluation_active if active else self.evaluation
        columns = ["auc", "precision_at_k", "brier", "n", "base_rate"]
        table = pd.DataFrame(
            [[r[c] for c in columns] for r in rows.values()],
            index=pd.Index(list(rows), name="model"),
            columns=columns,
        )
        table = table.astype({c: np.int64 if c == "n" else np.float64 for c in columns})
        table.attrs = {
            "k": self.evaluation_active_k if active else self.evaluation_k,
            "eval_cutoff": self.eval_cutoff.date().isoformat(),
            "window_days": self.window_days,
        }
        return table


def state_of(model: Any) -> ChurnState:
    """The :class:`ChurnState` of a :class:`~kamseg.churn.ChurnModel` (holding on to its
    estimator, not saved, to score in the process that trained it)."""
    trees, calibrator = export_estimator(model.estimator)
    state = ChurnState(
        trees=trees,
        calibrator=calibrator,
        features=tuple(model.features),
        window_days=int(model.window_days),
        train_cutoffs=tuple(model.train_cutoffs),
        eval_cutoff=model.eval_cutoff,
        evaluation=evaluation_dict(model.evaluation),
        evaluation_active=evaluation_dict(model.evaluation_active),
        evaluation_k=int(model.evaluation.attrs.get("k", 0)),
        evaluation_active_k=int(model.evaluation_active.attrs.get("k", 0)),
        n_train=int(model.n_train),
        calibration=str(model.calibration),
        seed=int(model.seed),
        customer_col=model.customer_col,
        date_col=model.date_col,
        amount_col=model.amount_col,
        n_train_rows=model.n_train_rows,
    )
    object.__setattr__(state, "_estimator", model.estimator)
    return state


def check_base_gap(value: Any, *, func: str) -> float | None:
    """`value` as a float when it is a positive number of days (None stays None)."""
    if value is None:
        return None
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )
    if not (ok and math.isfinite(value) and value > 0):
        raise ConfigError(
            f"{func}: `base_gap` must be a positive number of days or None; got {value!r}."
        )
    return float(value)


def score(
    customers: Any,
    model: ChurnState,
    *,
    transactions: Any,
    as_of: Any,
    overwrite: bool,
    dropna: bool,
    returns: ReturnsPolicy,
    base_gap: float | None,
    sum_by_day: bool | None,
    func: str,
) -> pd.DataFrame:
    """:func:`kamseg.churn.predict_churn` with the model's state (see there); `base_gap`
    and `sum_by_day` as in :func:`kamseg.features._cutoffs.features_at`."""
    cols: dict[str, Any] = {
        "customer_col": model.customer_col,
        "date_col": model.date_col,
        "amount_col": model.amount_col,
        "dropna": dropna,
        "returns": returns,
    }
    frozen: dict[str, Any] = {"base_gap": base_gap, "sum_by_day": sum_by_day}
    if transactions is None:  # `customers` are the transactions
        if not isinstance(customers, PreparedTransactions):
            check_frame(customers, func=func, arg="customers")
        prepared = as_prepared(customers, func=func, as_of=as_of, stacklevel=7, **cols)
        feats = features_at(prepared, func=func, **frozen)
        return feats.assign(churn_probability=model.predict_proba(feats))
    target = check_frame(customers, func=func, arg="customers")
    if not isinstance(transactions, PreparedTransactions):
        check_frame(transactions, func=func, arg="transactions")
    prepared = prepared_for(
        target, transactions=transactions, func=func, as_of=as_of, stacklevel=8, **cols
    )
    feats = features_at(prepared, func=func, **frozen)
    p = model.predict_proba(feats)
    check_no_overwrite(target, ["churn_probability"], func=func, overwrite=overwrite)
    if not target.index.is_unique:
        raise SchemaError(
            f"{func}: the index of `customers` has duplicated ids, e.g. "
            f"{examples(target.index[target.index.duplicated()])}. Hint: aggregate to one "
            "row per customer first."
        )
    pos = feats.index.get_indexer(target.index)
    if (pos < 0).all() and len(feats):
        raise ConfigError(
            f"{func}: none of the customer ids of `customers` has transactions up to "
            f"{prepared.as_of.date()}. Hint: check that the ids have the same type in both "
            "tables."
        )
    prob = np.where(pos >= 0, p[np.maximum(pos, 0)], np.nan)
    return target.assign(churn_probability=prob)


@state("churn.ChurnFit")
@dataclasses.dataclass(frozen=True, eq=False)
class ChurnFit:
    """A churn model and what its scores learn from the base, frozen (see
    :func:`kamseg.churn.fit_churn`).

    Attributes
    ----------
    model : ChurnState
        The fitted model.
    as_of : Timestamp
        The day the base statistics were taken at.
    base_gap : float
        The usual gap (days) of single-purchase customers in the overdue ratio: the median
        usual gap of the base's repeat buyers at `as_of`.
    sum_by_day : bool
        Whether the base had a return on or before `as_of`: then ``monetary_value`` sums
        every customer's spend by purchase day, else by row (a customer with a return of
        its own: by day). The same numbers, rounded alike for every table.

    Examples
    --------
    >>> import kamseg
    >>> from kamseg.churn import fit_churn
    >>> data = kamseg.datasets.make_transactions(n_customers=300, seed=1)
    >>> fit = fit_churn(data.transactions, max_cutoffs=3, baselines=False)
    >>> fit.as_of.date().isoformat(), round(fit.base_gap, 2), fit.sum_by_day
    ('2024-12-31', 37.91, False)
    >>> everyone = fit.apply(data.transactions)
    >>> some = data.transactions[data.transactions.customer_id.isin(everyone.index[:5])]
    >>> bool(fit.apply(some).equals(everyone.iloc[:5]))
    True
    """

    model: ChurnState
    as_of: pd.Timestamp
    base_gap: float
    sum_by_day: bool

    def apply(
        self,
        customers: Any,
        *,
        transactions: Any = None,
        as_of: Any = None,
        overwrite: bool = False,
        dropna: bool = False,
        returns: ReturnsPolicy = "net",
    ) -> pd.DataFrame:
        """Append ``churn_probability`` row by row: as :func:`kamseg.churn.predict_churn`
        (same arguments, same output), with the base gap and the order of sums of the
        base, so that a customer's probability depends on its own transactions only.

        `as_of` defaults to the fitted one (:attr:`as_of`), whatever the dates of the
        transactions given: a subset of the customers is scored at the same day as the
        base. Pass a later day to score later transactions.
        """
        if as_of is None:
            as_of = self.as_of
        return score(
            customers,
            self.model,
            transactions=transactions,
            as_of=as_of,
            overwrite=overwrite,
            dropna=dropna,
            returns=returns,
            base_gap=self.base_gap,
            sum_by_day=self.sum_by_day,
            func="ChurnFit.apply",
        )
