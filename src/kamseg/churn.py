"""Supervised churn model: gradient boosting on rolling cut-offs, checked on a later window.

Seed 004 asks for churn early warning *with predictive models*. This module learns, from
the history itself, which customers stop buying:

1. **Training data** (:func:`churn_training_data`). At each of several *cut-off* dates,
   the features of every customer who has bought by then are computed from the
   transactions up to the cut-off only (:func:`churn_features`), and the label says
   whether the customer then made **no purchase in the following** ``window_days``
   (``churned``).
2. **Model** (:func:`churn_model`). On a bounded sample of the training rows (at most
   ``max_train_rows``; by default one per customer, from 100,000 to 200,000; stratified
   by cut-off and label, seeded), a
   scikit-learn ``HistGradientBoostingClassifier`` fitted on two thirds of the customers
   and calibrated (isotonic or sigmoid, ``CalibratedClassifierCV``) on the other third, so
   that its output is a probability.
   It is trained on cut-offs whose label windows end on or before the evaluation
   cut-off, and evaluated on that later cut-off, whose window ends with the data: ROC
   AUC, precision among the top k, Brier score, for all customers and for the active
   ones (a purchase in the last window). The same tables score the BTYD baselines,
   ``1 - p_alive`` and the exact probability of no purchase in the window, of BG/NBD and
   MBG/NBD fits (:mod:`kamseg.clv`) made on the same data at the evaluation cut-off.
3. **Prediction** (:func:`predict_churn`) appends ``churn_probability``, the probability
   of no purchase in the next ``window_days``, to a customer table at any `as_of`.
4. **Fit once, apply anywhere.** :meth:`ChurnModel.to_state` turns the fitted model into
   data (:class:`ChurnState`: the trees and calibration in numpy arrays, saved without
   pickle), scored with numpy alone, bit for bit as scikit-learn scores it;
   :func:`fit_churn` also freezes what the scores learn from the base (:class:`ChurnFit`),
   so that :meth:`ChurnFit.apply` scores each customer from its own transactions only.

The transactions are prepared once (:func:`kamseg.prepare_transactions`: one validation,
one warning) and every cut-off reuses them; every function takes them prepared or as a
DataFrame, prepared with its keyword options. The features are those of the feature layer
(:mod:`kamseg.features`): the daily customer table, the overdue ratio of
:func:`kamseg.features.rhythm` and the spend in trailing windows. scikit-learn and
kamseg.clv are imported when a model is fitted, not at import nor to score.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from kamseg._churn_eval import (
    auto_cutoffs,
    btyd_baselines,
    check_cutoffs,
    churn_training_data,
    date_day,
    estimator,
    evaluations,
    iso,
    labels_at,
    prepared_history,
    train_rows_bound,
)
from kamseg._churn_eval import sampled_training as _sampled_training
from kamseg._churn_trees import (
    ChurnFit,
    ChurnState,
    check_base_gap,
    describe,
    export_estimator,
    score,
    state_of,
)
from kamseg._types import ReturnsPolicy
from kamseg._validation import check_choice, check_columns, check_frame, check_int
from kamseg.errors import ConfigError, KamsegError
from kamseg.features import prepared_for
from kamseg.features._cutoffs import (
    CHURN_FEATURES,
    CutoffHistory,
    base_statistics,
    cutoff_history,
    features_at,
)
from kamseg.transactions import PreparedTransactions, as_prepared

__all__ = [
    "CHURN_FEATURES",
    "Calibration",
    "ChurnFit",
    "ChurnModel",
    "ChurnState",
    "churn_features",
    "churn_model",
    "churn_training_data",
    "fit_churn",
    "predict_churn",
]

Calibration = Literal["isotonic", "sigmoid"]
"""How ``CalibratedClassifierCV`` turns the boosting scores into probabilities."""

_Transactions = pd.DataFrame | PreparedTransactions


# --------------------------------------------------------------------------------------
# features and training data
# --------------------------------------------------------------------------------------


def churn_features(
    transactions: _Transactions,
    *,
    as_of: Any = None,
    customer_col: Hashable = "customer_id",
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
    base_gap: float | None = None,
) -> pd.DataFrame:
    """The churn model's features of each customer, from the transactions up to `as_of`.

    Transactions dated after `as_of` are ignored, without a warning (they are the future
    the model predicts), so the features at a date are the same whether or not later
    transactions exist.

    Parameters
    ----------
    transactions
        One row per order or order line: `customer_col`, `date_col`, `amount_col`. Not
        modified. A DataFrame is prepared (:func:`kamseg.prepare_transactions`) with
        `dropna` and `returns`, and its whole history is checked (one warning counts the
        rows dropped and the returns netted); a
        :class:`~kamseg.transactions.PreparedTransactions` is used as it is (the column
        keywords, `dropna` and `returns` are not read, nothing is warned again).
    as_of
        The cut-off day (included). Default: the latest transaction date (the `as_of` of
        prepared transactions, which it cannot be after).
    customer_col, date_col, amount_col
        The columns of a DataFrame.
    dropna, returns
        Null values and negative amounts (returns) of a DataFrame, as in
        :func:`kamseg.prepare_transactions` (default: nulls raise, returns are netted).
    base_gap
        The base gap of ``overdue_ratio`` (days, > 0); default: learned from the table
        (see below).

    Returns
    -------
    DataFrame
        Indexed by customer id (named after `customer_col`, sorted), one row per customer
        with a purchase on or before `as_of`; all columns float64:

        - ``days_since_last``, ``n_orders``, ``revenue``, ``avg_order_value``,
          ``tenure_days``, ``frequency``, ``recency``, ``T``, ``monetary_value``: the columns
          of :func:`kamseg.summarize` at `as_of` (daily periods; ``n_orders`` counts rows,
          or the order ids of prepared transactions with an order column);
        - ``overdue_ratio``: ``days_since_last`` over the usual gap between purchases, the
          one rule of :func:`kamseg.features.rhythm`: ``max((tenure_days -
          days_since_last) / frequency, 1)`` for a repeat buyer; a customer with a single
          purchase day gets the base gap, the median usual gap of the repeat buyers at
          `as_of` (or `base_gap`);
        - ``spend_90d``, ``spend_180d``: net spend in the last 90 and 180 days (`as_of`
          included);
        - ``spend_ratio_90_180``: ``spend_90d / spend_180d``, NaN when ``spend_180d <= 0``.

        ``attrs["as_of"]`` holds the cut-off day (ISO text).

    Raises
    ------
    ColumnNotFoundError, SchemaError, EmptyInputError, ConfigError
        On missing columns, bad or null values, no transaction up to `as_of`, an
        unparseable `as_of`, or an `as_of` after that of prepared transactions.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.churn import churn_features
    >>> tx = pd.DataFrame(
    ...     {"customer_id": ["a", "a", "a", "b", "a"],
    ...      "date": ["2024-01-01", "2024-05-01", "2024-06-20", "2024-03-01", "2024-09-01"],
    ...      "amount": [100.0, 50.0, 30.0, 20.0, 999.0]}
    ... )
    >>> f = churn_features(tx, as_of="2024-06-30")
    >>> f[["days_since_last", "n_orders", "revenue", "tenure_days", "overdue_ratio"]].round(3)
                 days_since_last  n_orders  revenue  tenure_days  overdue_ratio
    customer_id
    a                       10.0       3.0    180.0        181.0          0.117
    b                      121.0       1.0     20.0        121.0          1.415

    The purchase of 2024-09-01 is after `as_of` and ignored. ``a`` bought on three days,
    so its usual gap is ``(181 - 10) / 2 = 85.5`` days and it is ``10 / 85.5`` gaps
    overdue; ``b`` bought once and gets the base gap, that of the only repeat buyer
    (``121 / 85.5``).

    >>> f[["spend_90d", "spend_180d", "spend_ratio_90_180"]].loc["a"].tolist()
    [80.0, 80.0, 1.0]
    """
    func = "churn_features"
    prepared = prepared_history(
        transactions,
        func=func,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        dropna=dropna,
        returns=returns,
    )
    day = prepared.as_of_day if as_of is None else date_day(as_of, func=func, arg="as_of")
    if day > prepared.as_of_day and not isinstance(transactions, PreparedTransactions):
        # prepared here from the whole table: no row is after its latest date, so a later
        # cut-off only moves "now"
        prepared = dataclasses.replace(prepared, as_of_day=day)
    gap = check_base_gap(base_gap, func=func)
    return features_at(as_prepared(prepared, func=func, as_of=iso(day)), func=func, base_gap=gap)


# --------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class ChurnModel:
    """A fitted churn model and its evaluation on a later window (see :func:`churn_model`).

    Attributes
    ----------
    estimator : sklearn.calibration.CalibratedClassifierCV
        The calibrated gradient boosting classifier; ``predict_proba(X)[:, 1]`` is the
        probability of no purchase in the next `window_days`, `X` being the `features`
        columns in order.
    features : tuple of str
        The feature columns the estimator takes (a subset of :data:`CHURN_FEATURES`).
    window_days : int
        The label window: churn = no purchase in the next `window_days` days.
    train_cutoffs : tuple of Timestamp
        The cut-offs of the training data.
    eval_cutoff : Timestamp
        The evaluation cut-off; its label window ends on or before the last transaction.
    evaluation : DataFrame
        One row per model, indexed by ``model``: ``"gbm"`` (this model) and the BTYD
        baselines ``"bgnbd 1-p_alive"``, ``"bgnbd P(no purchase)"``, ``"mbgnbd
        1-p_alive"``, ``"mbgnbd P(no purchase)"``; columns ``auc`` (ROC AUC), ``precision_at_k``
        (share of churners among the k customers scored most likely to churn), ``brier``
        (Brier score, lower is better), ``n`` (customers evaluated, int64) and
        ``base_rate`` (share that churned). ``attrs["k"]`` holds k. Every customer with a
        purchase on or before the evaluation cut-off is evaluated, long-lost ones too.
    evaluation_active : DataFrame
        The same table for the *active* customers only, those with a purchase in the
        `window_days` days up to the evaluation cut-off: the harder and more useful case
        for early warning (customers who left long ago are easy to call).
    n_train : int
        Training rows (customer x cut-off) the estimator was fitted on: all of them, or a
        sample of at most ``max_train_rows`` (see :func:`churn_model`).
    calibration : str
        ``"isotonic"`` or ``"sigmoid"``.
    seed : int
        The random seed of the boosting.
    customer_col, date_col, amount_col : Hashable
        The transaction columns the model was fitted with (used again by
        :func:`predict_churn`).
    n_train_rows : int or None
        All the customer x cut-off rows of the training cut-offs, before sampling.
    """

    estimator: Any
    features: tuple[str, ...]
    window_days: int
    train_cutoffs: tuple[pd.Timestamp, ...]
    eval_cutoff: pd.Timestamp
    evaluation: pd.DataFrame
    evaluation_active: pd.DataFrame
    n_train: int
    calibration: str
    seed: int
    customer_col: Hashable = "customer_id"
    date_col: Hashable = "date"
    amount_col: Hashable = "amount"
    n_train_rows: int | None = None

    def __repr__(self) -> str:
        gbm = self.evaluation.loc["gbm"] if "gbm" in self.evaluation.index else None
        auc = None if gbm is None else gbm["auc"]
        n = len(self.train_cutoffs)
        return describe("ChurnModel", self.window_days, n, self.n_train, self.eval_cutoff, auc)

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """Churn probability of each row of a :func:`churn_features` table (computed by
        :meth:`to_state`'s numpy trees: bit for bit the estimator's ``predict_proba``)."""
        check_columns(features, {f: f for f in self.features}, func="ChurnModel.predict_proba")
        return self.to_state().predict_proba(features)

    def to_state(self) -> ChurnState:
        """This model as data (:class:`ChurnState`): its trees and calibration in numpy
        arrays, its evaluation in plain numbers; saved without pickle, scored without
        scikit-learn, with the same probabilities. Built once, then shared."""
        return self._state

    @functools.cached_property
    def _state(self) -> ChurnState:
        return state_of(self)


def churn_model(
    transactions: _Transactions,
    *,
    customer_col: Hashable = "customer_id",
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
    window_days: int = 180,
    cutoffs: Sequence[Any] | None = None,
    step_days: int = 30,
    max_cutoffs: int = 24,
    features: Sequence[str] | None = None,
    calibration: Calibration = "isotonic",
    top_k: float = 0.1,
    baselines: bool = True,
    seed: int = 0,
    max_train_rows: int | Literal["auto"] | None = "auto",
) -> ChurnModel:
    """Fit a calibrated gradient boosting churn model and evaluate it on a later window.

    Parameters
    ----------
    transactions
        One row per order or order line (`customer_col`, `date_col`, `amount_col`), the
        whole history: a DataFrame (not modified), prepared once with `dropna` and
        `returns` (one warning), or :class:`~kamseg.transactions.PreparedTransactions`,
        used as they are; every cut-off reuses them.
    customer_col, date_col, amount_col, dropna, returns
        The columns and options of a DataFrame, as in :func:`churn_features`.
    window_days
        Churn means no purchase in the `window_days` days after a cut-off (>= 1; default
        180).
    cutoffs
        Cut-off dates. The latest is the **evaluation** cut-off; its label window must end
        on or before the latest transaction date (the `as_of` of prepared transactions).
        The others are the training cut-offs; each label window must end on or before the
        evaluation cut-off (so the training labels never see the evaluation period).
        Default (None): the evaluation cut-off is the latest transaction date minus
        `window_days`, and the training cut-offs go back from ``evaluation - window_days``
        every `step_days` days, at most `max_cutoffs` of them, none earlier than
        `window_days` after the first transaction.
    step_days, max_cutoffs
        Spacing (days, default 30: monthly) and number (default 24) of the automatic
        training cut-offs.
    features
        The feature columns to use, a subset of :data:`CHURN_FEATURES` (default: all).
    calibration
        ``"isotonic"`` (default) or ``"sigmoid"``: the calibration of
        ``CalibratedClassifierCV``, fitted on a third of the customers that the
        boosting did not see (a customer's rows at different cut-offs are all on one
        side).
    top_k
        For ``precision_at_k``: a fraction of the evaluated customers in (0, 1) (default
        0.1: the top 10 %, at least one customer), or a whole number of customers.
    baselines
        Also fit the BTYD baselines (BG/NBD and MBG/NBD at the evaluation cut-off, on
        daily periods) and score them in ``evaluation``.
    seed
        Random seed of the gradient boosting and of the training sample (the result is
        deterministic).
    max_train_rows
        Bound on the training rows: a number (at least 100), None (no bound) or
        ``"auto"`` (default): one row per customer of the transactions, at least 100,000
        and at most 200,000. When the training cut-offs have more customer x cut-off rows,
        the model is fitted on a sample of exactly that many of them, drawn without
        replacement with `seed`, stratified by cut-off and label: each (cut-off, churned)
        group keeps its share of the rows. Labels are computed for every row, features
        for the rows kept. (Above 100,000 rows, more rows hardly move the AUC; the sample
        grows with the base so that the fit stays a small share of a job's time, see
        docs/health.md.)

    Returns
    -------
    ChurnModel
        The estimator, its features and cut-offs, and ``evaluation``: one row per model
        (``"gbm"``, then the baselines), columns ``auc``, ``precision_at_k``, ``brier``,
        ``n``, ``base_rate``; ``evaluation_active``: the same for the customers with a
        purchase in the `window_days` before the evaluation cut-off. Its column names are
        those of the transactions (of prepared ones, when given).

    Raises
    ------
    ColumnNotFoundError, SchemaError
        On missing columns or bad values in `transactions`.
    EmptyInputError
        If the history is too short for automatic cut-offs, or the training data have a
        single class.
    ConfigError
        On invalid cut-offs (label windows that overlap the evaluation period or run past
        the data) or options.

    Notes
    -----
    **Model.** ``HistGradientBoostingClassifier(learning_rate=0.3, max_iter=30,
    max_leaf_nodes=15, min_samples_leaf=40, l2_regularization=1.0, early_stopping=False,
    random_state=seed)``, missing feature values handled natively, fitted on two thirds of
    the customers (the customers dealt at random, with `seed`, to three folds of equal
    numbers of customers: the first held-out fold for which both parts hold churned and
    retained rows), then
    ``CalibratedClassifierCV(FrozenEstimator(booster), method=calibration)`` fitted on the
    held-out third. The fitted model is the one evaluated: it has not seen the evaluation
    labels.

    **Baselines.** ``1 - p_alive`` ranks customers by the probability that they have
    dropped out, but even a live customer may not buy in the window, so it is not a
    probability of the label; ``P(no purchase)`` is: ``1 - p_alive * (1 - ((alpha + T) /
    (alpha + T + w)) ** (r + x))``, the BG/NBD probability of no purchase in the next `w`
    days.

    **Validation.** ``churn_model(make_transactions(20000, seed=1).transactions, seed=0)``
    (179,872 transactions from 2022-01-01 to 2024-12-31; window 180 days; evaluation
    cut-off 2024-07-04; 19 training cut-offs, 100,000 of 189,955 rows; about a second on
    2 idle cores):

    all customers (n 15,923, base rate 0.559) | active ones (n 8,628, base rate 0.293)::

        model                   AUC    p@10%  Brier | AUC    p@10%  Brier
        gbm                     0.895  0.999  0.131 | 0.782  0.709  0.163
        bgnbd 1-p_alive         0.655  0.999  0.286 | 0.581  0.610  0.225
        bgnbd P(no purchase)    0.898  0.999  0.129 | 0.789  0.722  0.160
        mbgnbd 1-p_alive        0.858  0.999  0.204 | 0.690  0.607  0.210
        mbgnbd P(no purchase)   0.899  0.999  0.128 | 0.789  0.718  0.160

    The boosting beats ``1 - p_alive`` by far (BG/NBD's P(alive) is 1 for every
    customer without a repeat purchase, so it cannot rank them), but it does **not** beat
    the BTYD probability of no purchase in the window: these synthetic data are drawn
    from a BG/NBD model, for which that probability is the right answer, and the
    boosting comes within 0.003-0.007 AUC of it. On real data, where no BTYD model holds
    exactly, compare the rows of ``evaluation`` before choosing. The top 10 % of all
    customers are long gone for every model (precision 1.0); ``evaluation_active`` tells
    the models apart. Against the true dropouts of the data (dropped out on or before the
    cut-off, 37 %), the AUC is 0.874 for the boosting, 0.875 for BG/NBD's P(no purchase),
    0.812 for BG/NBD's and 0.899 for MBG/NBD's ``1 - p_alive``, which estimates exactly
    that.

    Examples
    --------
    >>> import kamseg
    >>> from kamseg.churn import churn_model, predict_churn
    >>> data = kamseg.datasets.make_transactions(n_customers=1000, seed=2)
    >>> prepared = kamseg.prepare_transactions(data.transactions)
    >>> model = churn_model(prepared, max_cutoffs=6)
    >>> model.eval_cutoff.date().isoformat(), len(model.train_cutoffs)
    ('2024-07-04', 6)
    >>> list(model.evaluation.columns)
    ['auc', 'precision_at_k', 'brier', 'n', 'base_rate']
    >>> bool(model.evaluation.loc["gbm", "auc"] > 0.7)
    True
    >>> customers = kamseg.summarize(prepared)
    >>> scored = predict_churn(customers, model, transactions=prepared)
    >>> bool(scored["churn_probability"].between(0, 1).all())
    True
    """
    func = "churn_model"
    window = check_int(window_days, func=func, arg="window_days", low=1)
    step = check_int(step_days, func=func, arg="step_days", low=1)
    n_max = check_int(max_cutoffs, func=func, arg="max_cutoffs", low=1)
    seed = check_int(seed, func=func, arg="seed", low=0)
    if max_train_rows is not None and not (
        isinstance(max_train_rows, str) and max_train_rows == "auto"
    ):
        check_int(max_train_rows, func=func, arg="max_train_rows", low=100)
    check_choice(calibration, get_args(Calibration), func=func, arg="calibration")
    if isinstance(top_k, bool) or not (
        (isinstance(top_k, int | np.integer) and top_k >= 1)
        or (isinstance(top_k, float | np.floating) and 0 < top_k < 1)
    ):
        raise ConfigError(
            f"{func}: `top_k` must be a fraction in (0, 1) or a whole number >= 1; got {top_k!r}."
        )
    if not isinstance(baselines, bool | np.bool_):
        raise ConfigError(f"{func}: `baselines` must be True or False; got {baselines!r}.")
    if features is None:
        names = CHURN_FEATURES
    else:
        if isinstance(features, str) or not isinstance(features, Sequence) or not features:
            raise ConfigError(
                f"{func}: `features` must be a non-empty list of feature names; got {features!r}."
            )
        for f in features:
            check_choice(f, CHURN_FEATURES, func=func, arg="features")
        names = tuple(dict.fromkeys(features))
    prepared = prepared_history(
        transactions,
        func=func,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        dropna=dropna,
        returns=returns,
    )
    if cutoffs is None:
        train_days, eval_day = auto_cutoffs(
            prepared, window=window, step=step, max_cutoffs=n_max, func=func
        )
    else:
        train_days, eval_day = check_cutoffs(cutoffs, prepared, window=window, func=func)
    max_rows = train_rows_bound(max_train_rows, len(prepared.ids))
    hist = cutoff_history(prepared)
    x, codes, y, n_total = hist.taken(
        *_training(hist, train_days, window, names=names, max_rows=max_rows, seed=seed)
    )
    e_codes, e_columns = hist.features(eval_day, func=func)
    eval_feats = pd.DataFrame(e_columns, index=prepared.ids.take(e_codes), copy=False)
    fitted = estimator(calibration, seed, codes, x, y.astype(np.int64))
    export_estimator(fitted)  # a model that cannot be saved fails here, not later

    y_eval = labels_at(prepared, e_codes, eval_day, window)
    x_eval = eval_feats[list(names)].to_numpy(dtype=np.float64)
    # scikit-learn's compiled trees: bit for bit the numpy trees of a saved model (tested)
    scores: dict[str, np.ndarray | None] = {"gbm": fitted.predict_proba(x_eval)[:, 1]}
    if baselines:
        scores.update(btyd_baselines(eval_feats, window, func=func))
    info = {"eval_cutoff": iso(eval_day), "window_days": window}
    active = eval_feats["days_since_last"].to_numpy() < window
    evaluation, evaluation_active = evaluations(y_eval, scores, active, top_k, info)

    def stamp(day: int) -> pd.Timestamp:
        return pd.Timestamp(iso(day))

    return ChurnModel(
        estimator=fitted,
        features=tuple(names),
        window_days=window,
        train_cutoffs=tuple(stamp(d) for d in train_days),
        eval_cutoff=stamp(eval_day),
        evaluation=evaluation,
        evaluation_active=evaluation_active,
        n_train=int(y.size),
        calibration=str(calibration),
        seed=seed,
        n_train_rows=n_total,
        customer_col=prepared.customer_col,
        date_col=prepared.date_col,
        amount_col=prepared.amount_col,
    )


def predict_churn(
    customers: _Transactions,
    model: ChurnModel | ChurnState | ChurnFit,
    *,
    transactions: _Transactions | None = None,
    as_of: Any = None,
    overwrite: bool = False,
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
    base_gap: float | None = None,
) -> pd.DataFrame:
    """Append ``churn_probability``: the probability of no purchase in the next window.

    Parameters
    ----------
    customers
        The customer table to annotate, indexed by customer id (e.g. from
        :func:`kamseg.summarize`), with the transactions passed as `transactions`. Or, with
        ``transactions=None``, the transactions themselves (a DataFrame or
        :class:`~kamseg.transactions.PreparedTransactions`): the result is then their
        feature table (:func:`churn_features`) with the probability appended. Not
        modified.
    model
        A :class:`ChurnModel` from :func:`churn_model`, or its :class:`ChurnState` (e.g.
        loaded from a file; scikit-learn is then not imported); its `customer_col`,
        `date_col` and `amount_col` name the columns of transactions given as a DataFrame.
        Both score with the same numpy trees: the same probabilities, bit for bit. Or a
        :class:`ChurnFit` (:func:`fit_churn`): as its :meth:`~ChurnFit.apply`, with its
        frozen statistics and its `as_of` by default.
    transactions
        The transactions the features are computed from (features as of `as_of`, exactly
        as in training): a DataFrame, prepared with `dropna` and `returns` up to `as_of`
        (one warning counts the rows dropped, the later rows left out and the returns
        netted), or :class:`~kamseg.transactions.PreparedTransactions`, used as they are
        (cut at an earlier `as_of`, without a warning).
    as_of
        The day the probability refers to (the next ``model.window_days`` days follow it).
        Default: ``customers.attrs["as_of"]`` (set by :func:`kamseg.summarize`; prepared
        transactions with an earlier `as_of` are used up to theirs), else the latest
        transaction date (the `as_of` of prepared transactions).
    overwrite
        Replace an existing ``churn_probability`` column instead of raising.
    dropna, returns
        Null values and negative amounts of transactions given as a DataFrame, as in
        :func:`kamseg.prepare_transactions`.
    base_gap
        The usual gap of single-purchase customers in ``overdue_ratio`` (days, > 0).
        Default: the median usual gap of the repeat buyers in `transactions` at `as_of`
        (see :func:`churn_features`). :func:`fit_churn` freezes it, with the order of the
        sums, at the base, for scores that depend on each customer's own rows only.

    Returns
    -------
    DataFrame
        A copy of `customers` (same index and row order; or the feature table) with
        ``churn_probability`` (float64, 0..1; NaN for customers with no purchase up to
        `as_of`, such as prospects).

    Raises
    ------
    ConfigError
        If `model` is not a ChurnModel, ChurnState or ChurnFit, `base_gap` is not a
        positive number, or the column exists and `overwrite` is false.
    ColumnNotFoundError, SchemaError, EmptyInputError
        On bad transactions, duplicated customer ids, or no transaction up to `as_of`.

    Examples
    --------
    >>> import kamseg
    >>> from kamseg.churn import churn_model, predict_churn
    >>> data = kamseg.datasets.make_transactions(n_customers=600, seed=5)
    >>> model = churn_model(data.transactions, max_cutoffs=4, baselines=False)
    >>> table = predict_churn(data.transactions, model)
    >>> table.attrs["as_of"], bool(table["churn_probability"].notna().all())
    ('2024-12-31', True)
    """
    func = "predict_churn"
    if not isinstance(model, ChurnModel | ChurnState | ChurnFit):
        raise ConfigError(
            f"{func}: `model` must be a ChurnModel from kamseg.churn.churn_model (or its "
            f"ChurnState, or a ChurnFit); got {type(model).__name__}."
        )
    gap, sum_by_day = check_base_gap(base_gap, func=func), None
    if isinstance(model, ChurnFit):  # its frozen statistics, at its as_of by default
        gap = model.base_gap if gap is None else gap
        as_of, sum_by_day = model.as_of if as_of is None else as_of, model.sum_by_day
    return score(
        customers,
        model.model if isinstance(model, ChurnFit) else model.to_state(),
        transactions=transactions,
        as_of=as_of,
        overwrite=overwrite,
        dropna=dropna,
        returns=returns,
        base_gap=gap,
        sum_by_day=sum_by_day,
        func=func,
    )


def fit_churn(
    customers: _Transactions,
    *,
    transactions: _Transactions | None = None,
    as_of: Any = None,
    model: ChurnModel | ChurnState | None = None,
    customer_col: Hashable = "customer_id",
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
    window_days: int = 180,
    cutoffs: Sequence[Any] | None = None,
    step_days: int = 30,
    max_cutoffs: int = 24,
    features: Sequence[str] | None = None,
    calibration: Calibration = "isotonic",
    top_k: float = 0.1,
    baselines: bool = True,
    seed: int = 0,
    max_train_rows: int | Literal["auto"] | None = "auto",
) -> ChurnFit:
    """Fit the churn model and freeze what its scores learn from the base: a :class:`ChurnFit`.

    ``fit_churn(customers, transactions=tx, ...).apply(customers, transactions=tx)`` is
    ``predict_churn(customers, churn_model(tx, ...), transactions=tx)`` bit for bit, and
    row by row: the features of :func:`predict_churn` take two numbers from the whole
    table, which the fit freezes at the base's `as_of`: the **base gap** of
    ``overdue_ratio`` (the median usual gap of the repeat buyers, given to single-purchase
    customers) and the **order of the sums** of ``monetary_value`` (by purchase day for
    everyone when the base has a return, as :func:`kamseg.summarize` does; by row
    otherwise, except for a customer with a return of its own). Scoring a subset of the
    customers (with their transactions only) then gives exactly their rows of scoring
    everyone.

    Parameters
    ----------
    customers
        The base's customer table (its ``attrs["as_of"]`` is the default `as_of`, as in
        :func:`predict_churn`), with its transactions as `transactions`; or, with
        ``transactions=None``, the transactions themselves.
    transactions
        The whole history, as in :func:`churn_model`: a DataFrame (prepared with the
        column keywords, `dropna` and `returns` up to `as_of`: one warning) or
        :class:`~kamseg.transactions.PreparedTransactions` (cut at an earlier `as_of`).
    as_of
        The base's day: the model is trained on the transactions up to it and the
        statistics are taken at it. Default: as in :func:`predict_churn` (the table's
        ``attrs["as_of"]``, else the latest transaction date).
    model
        A model fitted already (:class:`ChurnModel` or :class:`ChurnState`): only the
        statistics are taken from the transactions, the options below are not used.
    customer_col, date_col, amount_col, dropna, returns
        The columns and options of a DataFrame, as in :func:`churn_model`.
    window_days, cutoffs, step_days, max_cutoffs, features, calibration, top_k, \
baselines, seed, max_train_rows
        The options of :func:`churn_model`.

    Returns
    -------
    ChurnFit
        The model's :class:`ChurnState`, the `as_of`, the base gap and the sum rule;
        saved without pickle (:mod:`kamseg._state`); :meth:`ChurnFit.apply` scores.

    Raises
    ------
    ConfigError, ColumnNotFoundError, SchemaError, EmptyInputError
        As :func:`churn_model` and :func:`predict_churn`.

    Examples
    --------
    >>> import kamseg
    >>> from kamseg.churn import fit_churn, predict_churn
    >>> data = kamseg.datasets.make_transactions(n_customers=300, seed=1)
    >>> prepared = kamseg.prepare_transactions(data.transactions)
    >>> customers = kamseg.summarize(prepared)
    >>> fit = fit_churn(customers, transactions=prepared, max_cutoffs=3, baselines=False)
    >>> scored = fit.apply(customers, transactions=prepared)
    >>> today = predict_churn(customers, fit.model, transactions=prepared)
    >>> bool(scored.equals(today))
    True
    """
    func = "fit_churn"
    if model is not None and not isinstance(model, ChurnModel | ChurnState):
        raise ConfigError(
            f"{func}: `model` must be a ChurnModel from kamseg.churn.churn_model (or its "
            f"ChurnState); got {type(model).__name__}."
        )
    cols: dict[str, Any] = {
        "customer_col": customer_col,
        "date_col": date_col,
        "amount_col": amount_col,
        "dropna": dropna,
        "returns": returns,
    }
    if transactions is None:  # `customers` are the transactions
        prepared = prepared_history(customers, func=func, as_of=as_of, **cols)
    else:
        target = check_frame(customers, func=func, arg="customers")
        if not isinstance(transactions, PreparedTransactions):
            check_frame(transactions, func=func, arg="transactions")
        prepared = prepared_for(
            target, transactions=transactions, func=func, as_of=as_of, stacklevel=7, **cols
        )
    if model is None:
        model = churn_model(
            prepared,
            window_days=window_days,
            cutoffs=cutoffs,
            step_days=step_days,
            max_cutoffs=max_cutoffs,
            features=features,
            calibration=calibration,
            top_k=top_k,
            baselines=baselines,
            seed=seed,
            max_train_rows=max_train_rows,
        )
    gap, by_day = base_statistics(prepared, func=func)
    return ChurnFit(
        model=model.to_state() if isinstance(model, ChurnModel) else model,
        as_of=prepared.as_of,
        base_gap=gap,
        sum_by_day=by_day,
    )


def _training(
    hist: CutoffHistory,
    train_days: Sequence[int],
    window: int,
    *,
    names: tuple[str, ...],
    max_rows: int | None,
    seed: int,
) -> tuple[Hashable, Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray, int]]]:
    """The key under which the training sample of these options is computed ahead
    (:meth:`CutoffHistory.ahead`), and its computation."""
    key = ("training", tuple(train_days), window, names, max_rows, seed)
    make = functools.partial(
        _sampled_training,
        hist,
        train_days,
        window,
        names=names,
        max_rows=max_rows,
        seed=seed,
        func="churn_model",
    )
    return key, make


def _fit_default(option: str) -> Any:
    """The default of one of :func:`fit_churn`'s options."""
    return inspect.signature(fit_churn).parameters[option].default


def _fit_cutoffs(prepared: PreparedTransactions, window_days: int) -> tuple[list[int], int] | None:
    """The training and evaluation cut-offs of ``fit_churn(customers, transactions=prepared,
    window_days=window_days)`` (its other options the defaults), or None when they cannot be
    made (``churn_model`` then says why)."""
    try:
        return auto_cutoffs(
            prepared,
            window=window_days,
            step=_fit_default("step_days"),
            max_cutoffs=_fit_default("max_cutoffs"),
            func="churn_model",
        )
    except KamsegError:
        return None


def prefetch_training(prepared: PreparedTransactions, *, window_days: int) -> None:
    """Start, in a thread of its own, the training sample that ``fit_churn(customers,
    transactions=prepared, window_days=window_days)`` will read (its other options the
    defaults): ``churn_model`` then takes it instead of computing it (the same arrays; a
    job starts it when the classes start, whose numpy work runs beside it on a second
    core). Nothing when the automatic cut-offs cannot be made (``churn_model`` then says
    why)."""
    cutoffs = _fit_cutoffs(prepared, window_days)
    if cutoffs is None:
        return
    hist = cutoff_history(prepared)
    key, make = _training(
        hist,
        cutoffs[0],
        window_days,
        names=CHURN_FEATURES,
        max_rows=train_rows_bound(_fit_default("max_train_rows"), len(prepared.ids)),
        seed=_fit_default("seed"),
    )
    hist.ahead({key: make})


def prefetch_scoring(prepared: PreparedTransactions, *, window_days: int) -> None:
    """Start, in a thread of its own, the features that the same fit evaluates its model on
    (every customer at the evaluation cut-off) and that its :meth:`ChurnFit.apply` to
    `prepared` scores (every customer at the `as_of`, with the base statistics): a job
    starts them when the health step starts (later than the training sample: started with
    the classes, they would add 0.3 GB to the classes' peak at 1M customers). Nothing when
    the cut-offs or the statistics cannot be made (the churn step then says why)."""
    cutoffs = _fit_cutoffs(prepared, window_days)
    if cutoffs is None:
        return
    try:
        gap, by_day = base_statistics(prepared, func="fit_churn")
    except KamsegError:
        return
    hist = cutoff_history(prepared)
    hist.ahead(hist.features_makes((cutoffs[1], None, None), (prepared.as_of_day, gap, by_day)))
