"""Five-dimension classification in one call: value, behaviour, lifecycle, need, satisfaction.

A composing module (like the pipeline): it wires the analysis modules together and adds
nothing of its own but the choice of what the given data allow.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from kamseg._state import state
from kamseg._tables import customer_column
from kamseg._types import ReturnsPolicy
from kamseg._validation import check_frame, warn
from kamseg.features import prepared_for
from kamseg.labels import Language, check_language
from kamseg.lifecycle import DEFAULT_THRESHOLDS, LifecycleThresholds
from kamseg.transactions import PreparedTransactions

__all__ = ["ClassifyFit", "classify", "fit_classify"]


def classify(
    customers: pd.DataFrame,
    *,
    transactions: pd.DataFrame | PreparedTransactions | None = None,
    surveys: pd.DataFrame | None = None,
    complaints: pd.DataFrame | None = None,
    catalog: pd.DataFrame | None = None,
    master: pd.DataFrame | None = None,
    value_col: Hashable = "revenue",
    profit_col: Hashable | None = "auto",
    thresholds: LifecycleThresholds = DEFAULT_THRESHOLDS,
    use_p_alive: bool | str = "auto",
    customer_col: Hashable | None = None,
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    product_col: Hashable = "product",
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
    latent_k: int | None = 3,
    labels: Language = "en",
    action: bool = False,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Add every classification dimension that the given data allow.

    - **value** (needs the customer table): ``value_class``, ``negative_profit``;
    - **behaviour** (the customer table, + master for prospects): ``behaviour_class``,
      ``orders_per_year``;
    - **lifecycle** (the customer table, + transactions for the spend trend, + ``p_alive``
      when present): ``lifecycle_stage``, ``lifecycle_reason``, ``usual_gap_days``,
      ``overdue_ratio``, ``spend_trend``;
    - **need** (transactions and catalog): ``need_level``, ``latent_needs``;
    - **satisfaction** (surveys, + complaints): ``satisfaction_class``,
      ``satisfaction_score``, ``n_answers``, ``recent_complaints``.

    Parameters
    ----------
    customers
        The customer table of :func:`kamseg.summarize` (possibly already annotated, e.g.
        with ``p_alive`` from :func:`kamseg.clv.predict`). Not modified.
    transactions, surveys, complaints, catalog, master
        Side tables; each dimension that needs a missing one is skipped, and a single
        :class:`~kamseg.errors.KamsegWarning` lists what was skipped and why.
        With `master`, known customers who never bought are **appended as rows** (class
        ``potential`` in behaviour and lifecycle; their value, need and satisfaction
        classes are missing, since they have no purchases).
    value_col
        Basis of the value class: ``"revenue"``, ``"profit"``, ``"clv"``, ...
    profit_col
        Column flagged when negative (``negative_profit``); ``"auto"`` uses ``"profit"`` when
        the table has it, ``None`` flags nothing.
    thresholds, use_p_alive
        Passed to :func:`kamseg.lifecycle_stage`.
    customer_col, date_col, amount_col, product_col, dropna, returns
        How `transactions` are read when they are a DataFrame: they are prepared once
        (:func:`kamseg.prepare_transactions`, one notice) and every dimension reads the
        same rows. Prepared transactions are used as they are. `customer_col` and
        `date_col` also name the columns of `surveys` and `complaints`; `customer_col`
        defaults to the name of the index of `customers` (``"customer_id"`` when the
        index has no name). The satisfaction class uses the measures the surveys have
        (an ``nps`` column, a ``csat`` column, or both).
    latent_k
        With transactions and a catalogue, the top `latent_k` latent-need categories per
        customer as text in ``latent_needs``; None skips them.
    labels, action
        Class names in ``"en"`` or ``"zh"``; with ``action=True`` each dimension also adds
        the action the source document recommends (``value_action``, ...).

    Returns
    -------
    DataFrame
        `customers` with the columns above (prospect rows appended when `master` is given).

    Examples
    --------
    >>> import warnings
    >>> import kamseg
    >>> data = kamseg.datasets.make_transactions(n_customers=300, seed=2)
    >>> customers = kamseg.summarize(data.transactions, profit_col="profit", as_of=data.as_of)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")   # "skipped: need, satisfaction"
    ...     out = kamseg.classify(customers, transactions=data.transactions, master=data.master)
    >>> int(out["behaviour_class"].eq("potential").sum()) == int(data.master.is_prospect.sum())
    True
    """
    fit, out = fit_and_classify(
        customers,
        transactions=transactions,
        surveys=surveys,
        complaints=complaints,
        catalog=catalog,
        master=master,
        value_col=value_col,
        profit_col=profit_col,
        thresholds=thresholds,
        use_p_alive=use_p_alive,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        product_col=product_col,
        dropna=dropna,
        returns=returns,
        latent_k=latent_k,
        labels=labels,
        action=action,
        overwrite=overwrite,
        stacklevel=7,
    )
    fit.warn_skipped()
    return out


@state("classification.ClassifyFit")
@dataclass(frozen=True)
class ClassifyFit:
    """What :func:`classify` learned from a customer base: one fit per dimension (None for
    a dimension the data did not allow), applied in order by :meth:`apply`."""

    value: Any
    behaviour: Any
    lifecycle: Any
    need: Any
    satisfaction: Any
    skipped: tuple[str, ...]
    customer_col: Any
    date_col: Any
    amount_col: Any
    product_col: Any
    dropna: bool
    returns: str

    def warn_skipped(self) -> None:
        """The one notice of the dimensions left out for want of a side table."""
        _warn_skipped(self.skipped)

    def apply(
        self,
        customers: pd.DataFrame,
        *,
        transactions: pd.DataFrame | PreparedTransactions | None = None,
        surveys: pd.DataFrame | None = None,
        complaints: pd.DataFrame | None = None,
        catalog: pd.DataFrame | None = None,
        master: pd.DataFrame | None = None,
        need_inputs: Any = None,
    ) -> pd.DataFrame:
        """Classify `customers` with the fitted thresholds, row by row (each customer from
        its own row, transactions and side-table rows); the dimensions the fit skipped are
        skipped again, with the same notice, and so is a fitted dimension whose data are not
        given (the need level without transactions, satisfaction without surveys). The side
        tables are those :func:`classify` takes (the catalogue defaults to the fitted
        one). Without transactions, `need_inputs` (:func:`kamseg.features.table_need`:
        what an engine's summary found of each customer's rows) label the need level."""
        func = "ClassifyFit.apply"
        check_frame(customers, func=func, arg="customers", allow_empty=True)
        if transactions is not None:
            transactions = self._prepared(customers, transactions, catalog, func=func)
        as_of = customers.attrs.get("as_of")
        out: pd.DataFrame = self.value.apply(customers)
        out = self.behaviour.apply(out, master=master)
        out = self.lifecycle.apply(out, transactions=transactions, master=master)
        skipped = list(self.skipped)
        if self.need is not None and transactions is None and need_inputs is not None:
            out = self.need.label_engine(out, need_inputs)
        elif self.need is not None and transactions is None:
            skipped.append("need (no transactions)")
        elif self.need is not None and getattr(transactions, "product_col", None) is None:
            skipped.append("need (no product column in the transactions)")
        elif self.need is not None:
            out = self.need.apply(out, transactions=transactions, catalog=catalog)
        if self.satisfaction is not None and surveys is None:
            skipped.append("satisfaction (no surveys)")
        elif self.satisfaction is not None:
            out = self.satisfaction.apply(out, surveys=surveys, complaints=complaints, as_of=as_of)
        _warn_skipped(skipped)
        return out

    def _prepared(
        self, customers: pd.DataFrame, transactions: Any, catalog: Any, *, func: str
    ) -> PreparedTransactions:
        with_product = (
            (catalog is not None or self.need is not None)
            and isinstance(transactions, pd.DataFrame)
            and self.product_col in transactions.columns
        )
        return prepared_for(
            customers,
            transactions=transactions,
            func=func,
            customer_col=self.customer_col,
            date_col=self.date_col,
            amount_col=self.amount_col,
            product_col=self.product_col if with_product else None,
            dropna=self.dropna,
            returns=self.returns,  # type: ignore[arg-type]
            stacklevel=7,
        )


def _warn_skipped(skipped: Sequence[str]) -> None:
    if skipped:
        warn(f"classify: skipped {'; '.join(skipped)}.", stacklevel=5)


def fit_classify(
    customers: pd.DataFrame,
    *,
    transactions: pd.DataFrame | PreparedTransactions | None = None,
    surveys: pd.DataFrame | None = None,
    complaints: pd.DataFrame | None = None,
    catalog: pd.DataFrame | None = None,
    master: pd.DataFrame | None = None,
    value_col: Hashable = "revenue",
    profit_col: Hashable | None = "auto",
    thresholds: LifecycleThresholds = DEFAULT_THRESHOLDS,
    use_p_alive: bool | str = "auto",
    customer_col: Hashable | None = None,
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    product_col: Hashable = "product",
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
    latent_k: int | None = 3,
    labels: Language = "en",
    action: bool = False,
    overwrite: bool = False,
) -> ClassifyFit:
    """Learn what :func:`classify` learns from a customer base (each dimension's
    thresholds, the lifecycle's base gap, the need level's reference profiles), to classify
    customers later with :meth:`ClassifyFit.apply`. Parameters are those of
    :func:`classify`; ``classify(...)`` equals ``fit_classify(...).apply(...)`` on the same
    data.

    Examples
    --------
    >>> import warnings
    >>> import kamseg
    >>> from kamseg.classification import fit_classify
    >>> data = kamseg.datasets.make_transactions(n_customers=300, seed=2)
    >>> customers = kamseg.summarize(data.transactions, as_of=data.as_of)
    >>> fit = fit_classify(customers, transactions=data.transactions)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")   # "skipped: need, satisfaction"
    ...     one = fit.apply(customers.iloc[[5]], transactions=data.transactions[
    ...         data.transactions["customer_id"] == customers.index[5]])
    ...     everyone = fit.apply(customers, transactions=data.transactions)
    >>> one["lifecycle_stage"].iloc[0] == everyone["lifecycle_stage"].iloc[5]
    True
    """
    fit, _ = fit_and_classify(
        customers,
        transactions=transactions,
        surveys=surveys,
        complaints=complaints,
        catalog=catalog,
        master=master,
        value_col=value_col,
        profit_col=profit_col,
        thresholds=thresholds,
        use_p_alive=use_p_alive,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        product_col=product_col,
        dropna=dropna,
        returns=returns,
        latent_k=latent_k,
        labels=labels,
        action=action,
        overwrite=overwrite,
    )
    return fit


def fit_and_classify(
    customers: pd.DataFrame | list[pd.DataFrame],
    *,
    transactions: pd.DataFrame | PreparedTransactions | None,
    surveys: pd.DataFrame | None,
    complaints: pd.DataFrame | None,
    catalog: pd.DataFrame | None,
    master: pd.DataFrame | None,
    value_col: Hashable,
    profit_col: Hashable | None,
    thresholds: LifecycleThresholds,
    use_p_alive: bool | str,
    customer_col: Hashable | None,
    date_col: Hashable,
    amount_col: Hashable,
    product_col: Hashable,
    dropna: bool,
    returns: ReturnsPolicy,
    latent_k: int | None,
    labels: Language,
    action: bool,
    overwrite: bool,
    stacklevel: int = 6,
) -> tuple[ClassifyFit, pd.DataFrame]:
    """The fit of :func:`fit_classify` and the classified base, in one pass: each dimension
    is fitted on the table the earlier ones made and applied to it.

    `customers` in a list of one is handed over: taken out of the list and let go once the
    prospects are appended to a copy of it (the job's large tables: the table before the
    classes is not held beside the classified one)."""
    from kamseg.behaviour import fit_behaviour_class
    from kamseg.lifecycle import fit_lifecycle_stage
    from kamseg.value import fit_value_class

    if isinstance(customers, list):
        customers = customers.pop()

    func = "classify"
    check_frame(customers, func=func, arg="customers")
    customer_col = customer_column(customers, customer_col)
    lang = check_language(labels, func=func)
    common: dict[str, Any] = {"labels": lang, "action": action, "overwrite": overwrite}
    if profit_col == "auto":
        profit_col = "profit" if "profit" in customers.columns else None

    if transactions is not None:  # prepared once for lifecycle and need
        with_product = (
            catalog is not None
            and isinstance(transactions, pd.DataFrame)
            and product_col in transactions.columns
        )
        transactions = prepared_for(
            customers,
            transactions=transactions,
            func=func,
            customer_col=customer_col,
            date_col=date_col,
            amount_col=amount_col,
            product_col=product_col if with_product else None,
            dropna=dropna,
            returns=returns,
            stacklevel=stacklevel,
        )
    value = fit_value_class(customers, value_col=value_col, profit_col=profit_col, **common)
    out = value.apply(customers)
    behaviour = fit_behaviour_class(out, master=master, **common)
    out = behaviour.apply(out, master=master)
    as_of = customers.attrs.get("as_of")
    del customers  # the classified table has its columns (a caller that handed it over)
    lifecycle = fit_lifecycle_stage(
        out,
        transactions=transactions,
        thresholds=thresholds,
        use_p_alive=use_p_alive,  # type: ignore[arg-type]
        master=master,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        **common,
    )
    out = lifecycle.apply(out, transactions=transactions, master=master)
    skipped: list[str] = []
    need = None
    if transactions is not None and catalog is not None:
        from kamseg.needs import fit_and_label_need_level

        need, out = fit_and_label_need_level(  # fitted and applied in one pass
            out,
            transactions=transactions,
            catalog=catalog,
            customer_col=customer_col,
            product_col=product_col,
            date_col=date_col,
            amount_col=amount_col,
            latent_k=latent_k,
            stacklevel=stacklevel,
            **common,
        )
    else:
        missing = " and ".join(
            name for name, t in (("transactions", transactions), ("catalog", catalog)) if t is None
        )
        skipped.append(f"need (no {missing})")
    satisfaction = None
    if surveys is not None:
        from kamseg.satisfaction import fit_satisfaction_class

        # the measures the surveys have (NPS, CSAT or both); with neither, the error says so
        has = {m: m in surveys.columns for m in ("nps", "csat")}
        either = any(has.values())
        satisfaction = fit_satisfaction_class(
            out,
            surveys=surveys,
            complaints=complaints,
            customer_col=customer_col,
            date_col=date_col,
            nps_col="nps" if has["nps"] or not either else None,
            csat_col="csat" if has["csat"] or not either else None,
            **common,
        )
        out = satisfaction.apply(out, surveys=surveys, complaints=complaints, as_of=as_of)
    else:
        skipped.append("satisfaction (no surveys)")
    fit = ClassifyFit(
        value=value,
        behaviour=behaviour,
        lifecycle=lifecycle,
        need=need,
        satisfaction=satisfaction,
        skipped=tuple(skipped),
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        product_col=product_col,
        dropna=dropna,
        returns=returns,
    )
    return fit, out
