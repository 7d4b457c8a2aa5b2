"""The steps of the whole job, run once to learn and label (:func:`kamseg.segment`,
:func:`kamseg.fit_segments`) or to label with what was learned (:meth:`SegmentModel.apply`).

One code path for both: each step either fits its part on the table as the earlier steps
left it and applies it, or applies the part it is given. Every part's ``apply`` labels
customers row by row, so labelling the fitted base again gives the fitted table, and any
subset of customers gets exactly its own rows.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kamseg import _park
from kamseg._job_engine import engine_summary, hand_over, on_daily, recording
from kamseg._memory import release_index, release_memory
from kamseg._park import ParkedColumns
from kamseg._segment_inputs import (
    ProgressBar,
    aligned_master,
    aligned_side,
    master_columns,
    until_as_of,
)
from kamseg._state import state
from kamseg._types import (
    ACTIVITY_COLUMNS,
    ACTIVITY_WINDOW_ATTR,
    JOB_COLUMNS,
    NEED_NOTES_ATTR,
    P_ALIVE_INFORMATIVE,
    NeedMap,
)
from kamseg._validation import reindexed, warn
from kamseg.config import SegmentConfig
from kamseg.errors import ConfigError, KamsegError, KamsegWarning
from kamseg.lifecycle import LifecycleThresholds
from kamseg.transactions import PreparedTransactions

if TYPE_CHECKING:
    from kamseg._threads import Prefetched
    from kamseg.features._needs import EngineNeed

__all__ = ["ENGINE_NOTE", "ClvFit", "Job", "engine_summary"]

_FUNC = "segment"

#: Default key-account criteria (before scaling to the columns present): value, lifetime
#: profit, market influence, strategic fit, cost to serve (lower is better).
_DEFAULT_CRITERIA: dict[str, Any] = {
    "revenue": 0.25,
    "profit_clv": 0.25,
    "market_influence": 0.15,
    "strategic_fit": 0.15,
    "cost_to_serve": {"weight": 0.20, "direction": "min"},
}

#: The classes' note of a table labelled from an engine's aggregates (no need level).
ENGINE_NOTE = "no transaction rows (engine input)"

#: Shortest churn window the job picks by itself for a short history (days).
_MIN_CHURN_WINDOW = 30

#: Days of a year, for the cost to serve (yearly) over a customer's tenure.
_YEAR_DAYS = 365.25

#: Customers whose need level an engine job labels at once (memory).
_NEED_BLOCK = 1_000_000


@state("_job.ClvFit")
@dataclass(frozen=True)
class ClvFit:
    """The lifetime-value step: the purchase model and Gamma-Gamma fits, and whether the
    purchase model's P(alive) can tell who left (the lifecycle's P(alive) switch)."""

    purchases: Any  # kamseg.clv.FitResult
    spend: Any  # kamseg.clv.FitResult


def _criteria(config: SegmentConfig, table: pd.DataFrame) -> dict[str, Any]:
    if config.criteria is not None:
        return {k: dict(v) if isinstance(v, Mapping) else v for k, v in config.criteria.items()}
    criteria = {}
    for col, spec in _DEFAULT_CRITERIA.items():
        # lifetime profit; else profit so far; else lifetime revenue
        names = ("profit_clv", "profit", "clv") if col == "profit_clv" else (col,)
        name = next((n for n in names if n in table.columns), None)
        if name is not None:
            criteria[name] = spec
    return criteria


class Job:
    """One run of the steps: fitting (``fits`` empty, filled as the steps run) or applying
    (``fits`` from a model; a step the model skipped is skipped with the model's reason)."""

    def __init__(
        self,
        config: SegmentConfig,
        *,
        fits: dict[str, Any] | None = None,
        fit_skipped: Mapping[str, str] | None = None,
        say: Callable[[str], None],
        need_map: NeedMap | None = None,
        park: ParkedColumns | None = None,
    ) -> None:
        self.config = config
        self.fitting = fits is None
        self.fits: dict[str, Any] = {} if fits is None else dict(fits)
        self.fit_skipped = dict(fit_skipped or {})
        self.say = say
        self.steps = ["summary"]
        self.skipped: dict[str, str] = {}
        self.limited: dict[str, str] = {}
        self.in_pandas = True  # whether the transaction rows were in pandas
        self._daily: pd.DataFrame | None = None  # an engine input's daily customer table
        self._daily_park: ParkedColumns | None = None  # its churn features, while parked
        self._need_back: Callable[[], dict[str, Any]] | None = None  # need sums, parked
        self._fit_backs: dict[str, Callable[[], Any]] = {}  # fitted parts, parked
        self._need_map = need_map  # the catalogue an engine's summary matched rows to
        self.need_inputs: EngineNeed | None = None  # and what it found per customer
        self.park = park  # where the columns no later step reads go (large tables)

    # --- bookkeeping ---------------------------------------------------------------------

    def wanted(self, step: str) -> bool:
        """Whether `step` runs: in the config and, when applying, fitted by the model
        (:meth:`runs`); a step the model did not fit is recorded as skipped."""
        if step in self.config.steps and not self.runs(step):
            self.skipped[step] = self.fit_skipped.get(step, "not fitted by the model")
        return self.runs(step)

    def runs(self, step: str) -> bool:
        """Whether `step` will run (what :meth:`wanted` says, nothing recorded)."""
        return step in self.config.steps and (self.fitting or step in self.fits)

    def begin(self, step: str) -> None:
        release_memory()  # what the previous step's texts left in Arrow's pool
        self.say(step)
        self.steps.append(step)

    def skip(self, step: str, reason: str) -> None:
        if step in self.steps:
            self.steps.remove(step)
        self.skipped[step] = reason

    @contextlib.contextmanager
    def guarded(self, step: str) -> Iterator[None]:
        """Run a step; a data problem (not the configuration) skips it, with a reason."""
        try:
            yield
        except ConfigError:
            raise
        except KamsegError as exc:
            reason = " ".join(str(exc).split()).removeprefix(f"{_FUNC}: ")
            self.skip(step, reason)
            if self.fitting:
                self.fits.pop(step, None)
            warn(f"{_FUNC}: step {step!r} skipped: {reason}", stacklevel=4)

    def part(self, step: str, make: Callable[[], Any]) -> Any:
        """The step's fitted part: made now when fitting, else the model's."""
        if self.fitting:
            self.fits[step] = make()
        return self.fits[step]

    # --- the job -------------------------------------------------------------------------

    def run(
        self,
        rows: PreparedTransactions | None,
        table: pd.DataFrame,
        tx: Any,
        *,
        in_pandas: bool,
        master: pd.DataFrame | None,
        surveys: pd.DataFrame | None,
        complaints: pd.DataFrame | None,
        catalog: pd.DataFrame | None,
    ) -> pd.DataFrame:
        """The steps after the summary: `table` is the summary, `rows` the prepared
        transactions (None with an engine input, whose rows are `tx`); `master` indexed by
        customer id (:func:`~kamseg._segment_inputs.indexed_master`), side tables checked."""
        config = self.config
        self.in_pandas = in_pandas
        lang = config.labels
        attrs = dict(table.attrs)  # as_of, freq, ...: joins below need not keep them
        # side tables with the ids of the customer table's kind, converted once
        surveys = aligned_side(surveys, table, config.customer_col, "surveys")
        complaints = aligned_side(complaints, table, config.customer_col, "complaints")
        # rows after as_of left out once, here, with one notice (not once per step)
        side_date_col = config.side_date_col or config.date_col  # surveys, complaints
        surveys = until_as_of(surveys, "surveys", side_date_col, attrs.get("as_of"))
        complaints = until_as_of(complaints, "complaints", side_date_col, attrs.get("as_of"))
        if master is not None:
            table, master = self._join_master(table, master, attrs)
        table = self.read_job_columns(table)
        table = self._read_need_columns(table)
        attrs.pop(NEED_NOTES_ATTR, None)
        if len(table) >= _park.PARK_FROM:
            self._park_engine_inputs()  # not read until the classes
        # what the steps from the classes on read of the rows, computed in a thread of its
        # own while the steps before the classes run (numpy work: a second core)
        ahead = None if rows is None else self._ahead_of_classes(rows)

        if self.wanted("rfm"):
            from kamseg.rfm import fit_rfm_scores, rfm_segments

            self.begin("rfm")
            with self.guarded("rfm"):
                fit = self.part("rfm", lambda: fit_rfm_scores(table, bins=config.bins))
                table = rfm_segments(fit.apply(table), labels=lang)

        clv: ClvFit | None = None
        if self.wanted("clv"):
            reason = _clv_reason(table) if self.fitting else None
            if reason is None:
                self.begin("clv")
                with self.guarded("clv"):
                    clv = self.part("clv", lambda: _fit_clv(table, config))
                    table = self._predict_clv(table, clv, master)
            else:
                self.skipped["clv"] = reason
        table = self._with_net_profit(table, master)

        if self.wanted("pareto"):
            self.begin("pareto")
            with self.guarded("pareto"):
                table = self._pareto(table)

        table = self._key_accounts(table)
        if self.park is not None and len(table) < _park.PARK_FROM:
            self.park = None  # a small table: kept whole
        table = self._parked(table, "classes")
        self._park_side_inputs()

        # The usual gap between purchases counts purchase days. With transaction rows they are
        # counted from them; an engine's weekly or monthly summary counts periods, so the
        # rhythm steps read the daily repeat purchases of a second, daily engine summary.
        daily = None
        rhythm_steps = {"classes", "health", "warnings"} & set(config.steps)
        if rows is None and config.freq != "D" and rhythm_steps:
            daily = self.daily_summary(tx, as_of=attrs["as_of"])["frequency"]

        # P(alive) vetoes churn calls by rhythm only when the model could tell who dropped out
        use_p_alive: bool | str = "auto"
        if clv is not None and getattr(clv.purchases, "dropout_identified", True) is False:
            use_p_alive = False
            self.limited["classes"] = (
                "P(alive) not used by the lifecycle: the purchase model found no dropout in "
                "these data, so its P(alive) cannot tell who left"
            )

        if self.wanted("classes"):
            from kamseg.classification import fit_and_classify

            self.begin("classes")
            if ahead is not None:
                self._take_ahead(rows, ahead)  # type: ignore[arg-type]
                ahead = None
            if rows is not None and self.fitting and self.runs("churn"):
                # the churn's training sample, beside the classes
                from kamseg.churn import prefetch_training

                prefetch_training(rows, window_days=self._churn_window(rows))
            # handed over: the classes let go of it once they have appended the prospects
            box, back, done = hand_over(self.park, table)
            del table
            classified = None
            with self.guarded("classes"), recording(self.limited, "classes"):
                need_catalog = (
                    catalog if rows is not None and rows.product_col else None
                )  # applying: None is the model's own

                def classes(t: list[pd.DataFrame]) -> pd.DataFrame:
                    data: dict[str, Any] = {
                        "transactions": rows,
                        "surveys": surveys,
                        "complaints": complaints,
                        "catalog": need_catalog,
                        "master": master,
                    }
                    if not self.fitting:
                        out: pd.DataFrame = self.fits["classes"].apply(
                            t.pop(), **data, need_inputs=self.need_inputs
                        )
                        return out
                    fit, out = fit_and_classify(
                        t,
                        **data,
                        value_col="revenue",
                        profit_col="auto",
                        # one window for every trend of the job (lifecycle, health, warnings)
                        thresholds=LifecycleThresholds(trend_window_days=config.window_days),
                        use_p_alive=use_p_alive,
                        customer_col=config.customer_col,
                        date_col=side_date_col,
                        amount_col="amount",
                        product_col=config.product_col,
                        dropna=False,
                        returns="net",
                        latent_k=3,
                        labels=lang,
                        action=config.action,
                        overwrite=False,
                    )
                    fit.warn_skipped()
                    self.fits["classes"] = fit
                    return out

                classified = on_daily(box, daily, classes)
            table = back() if classified is None else classified
            done()
            del box, back, done, classified  # the fallback too
            # prospects (appended by the classes) are not key accounts, and have no revenue
            # or profit to be <= 0 or < 0 (the rule of the summary: false for NaN)
            for flag in ("is_key_account", "nonpositive_revenue", "negative_profit"):
                if flag in table.columns:
                    table[flag] = table[flag].fillna(False).astype(bool)

        if ahead is not None:  # no classes
            self._take_ahead(rows, ahead)  # type: ignore[arg-type]
            ahead = None
        if rows is not None and self.fitting and self.runs("churn"):
            # the churn's features at the evaluation cut-off and at as_of, beside the
            # health and warnings
            from kamseg.churn import prefetch_scoring

            prefetch_scoring(rows, window_days=self._churn_window(rows))
        table = self._parked(table, "health")
        if self.wanted("health"):
            from kamseg.health import fit_health_score

            self.begin("health")
            if use_p_alive is False:  # the health score leaves such a P(alive) out too
                table.attrs[P_ALIVE_INFORMATIVE] = False

            def health(t: pd.DataFrame) -> pd.DataFrame:
                fit = self.part(
                    "health",
                    lambda: fit_health_score(
                        t, transactions=rows, window_days=config.window_days, labels=lang
                    ),
                )
                out: pd.DataFrame = fit.apply(t, transactions=rows)
                return out

            with self.guarded("health"), recording(self.limited, "health"):
                table = on_daily(table, daily, health)

        table = self._parked(table, "warnings")
        if self.wanted("warnings"):
            from kamseg.alerts import fit_early_warnings

            self.begin("warnings")

            def alerts(t: pd.DataFrame) -> pd.DataFrame:
                data: dict[str, Any] = {
                    "transactions": rows,
                    "surveys": surveys,
                    "complaints": complaints,
                }
                fit = self.part(
                    "warnings",
                    lambda: fit_early_warnings(
                        t,
                        **data,
                        window_days=config.window_days,
                        customer_col=config.customer_col,
                        date_col=side_date_col,
                        labels=lang,
                    ),
                )
                out: pd.DataFrame = fit.apply(t, **data)
                return out

            with self.guarded("warnings"), recording(self.limited, "warnings"):
                table = on_daily(table, daily, alerts)

        table = self._churn(self._parked(table, "churn"), rows, tx)
        # an engine's activity and job columns have served the steps: not in the table
        drop = [*ACTIVITY_COLUMNS.values(), *JOB_COLUMNS]
        table = table.drop(columns=[c for c in drop if c in table.columns])
        if self.park is not None:
            self.park.forget(drop)
        attrs.pop(ACTIVITY_WINDOW_ATTR, None)
        table.attrs.pop(ACTIVITY_WINDOW_ATTR, None)
        need_fitted = getattr(self.fits.get("classes"), "need", None) is not None
        if not in_pandas and need_fitted and self.need_inputs is None:
            # a model's need level labels rows in pandas (a fit: kamseg.model says it)
            self.limited["classes"] = "; ".join(
                x for x in (self.limited.get("classes"), ENGINE_NOTE) if x
            )
        release_memory()
        if isinstance(self.say, ProgressBar):
            self.say.close()
        table.attrs.update(attrs)
        table.attrs["kamseg_steps"] = self.steps
        table.attrs["kamseg_skipped"] = self.skipped
        table.attrs["kamseg_limited"] = self.limited
        return table

    def _parked(self, table: pd.DataFrame, step: str) -> pd.DataFrame:
        """`table` before `step`: with a park, without the columns that neither `step`
        nor a later one reads (:data:`kamseg._park.STEP_READS`), which are parked."""
        if self.park is None:
            return table
        release_index(table.index)  # its hash table: built again by the step that needs it
        later = _park.LATER_STEPS[_park.LATER_STEPS.index(step) :]
        keep = set().union(*(_park.STEP_READS[s] for s in later if self.runs(s)))
        return self.park.park(table, keep)

    def _park_side_inputs(self) -> None:
        """With a park, before the classes, when fitting: the parts fitted so far (Pareto
        and key-account references), read again by the model alone (:meth:`parts`)."""
        if self.park is None or not self.fitting:
            return
        for step in list(self.fits):
            self._fit_backs[step] = self.park.park_object(self.fits[step])
            self.fits[step] = None  # in place: the parts keep their order

    def _park_engine_inputs(self) -> None:
        """With a park, as soon as the summary gives them (1.2 GB at 10M customers): the
        daily churn features wait for the churn step (the rhythm reads the repeat purchase
        days), the need sums for their labelling after the sample."""
        if self.park is None:
            return
        if self._daily is not None:
            self._daily_park = self.park.other()
            self._daily = self._daily_park.park(self._daily, keep={"frequency"})
        need = self.need_inputs
        if self.fitting and need is not None:
            arrays = {"highest": need.highest, "spend": need.spend}
            self._need_back = self.park.other().park_arrays(need.index, arrays)
            self.need_inputs = dataclasses.replace(
                need, highest=np.empty(0, np.int64), spend=np.empty((0, need.spend.shape[1]))
            )

    def parts(self) -> dict[str, Any]:
        """The fitted parts, step by step (those parked read back)."""
        backs, self._fit_backs = self._fit_backs, {}
        for step, back in backs.items():
            self.fits[step] = back()
        return dict(self.fits)

    def columns(self, table: pd.DataFrame) -> list[Any]:
        """The columns of the whole table: `table`'s, with those parked in place."""
        return list(table.columns) if self.park is None else self.park.order(table)

    def whole(self, table: pd.DataFrame) -> pd.DataFrame:
        """The whole table: `table` with the parked columns put back (then none is)."""
        return table if self.park is None else self.park.restore(table)

    # --- steps ---------------------------------------------------------------------------

    def _join_master(
        self, table: pd.DataFrame, master: pd.DataFrame, attrs: dict[Any, Any]
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        master = aligned_master(master, table)
        extra, renamed = master_columns(master, table)
        if renamed:
            warn(
                f"{_FUNC}: the master's column(s) {renamed} have the names of columns this "
                f"job writes; they are joined as {['master_' + c for c in renamed]}.",
                stacklevel=4,
            )
        if len(extra.columns):
            from kamseg._validation import match_master

            match_master(table, master, func=_FUNC)  # warns about unknown customers
            table = table.join(extra, how="left")
            table.attrs.update(attrs)  # the later steps read as_of and freq from here
        return table, master.drop(columns=renamed)

    def _pareto(self, table: pd.DataFrame) -> pd.DataFrame:
        """The Pareto table and the pyramid (a method: the ranked table, which the pyramid's
        fit reads, is let go when it returns)."""
        from kamseg.pareto import fit_pareto_table, fit_pyramid

        config, value = self.config, self.config.pareto_value_col
        profit = "net_profit" if "net_profit" in table.columns else "profit"
        ranked = self.part(
            "pareto", lambda: fit_pareto_table(table, value_col=value, labels=config.labels)
        ).apply(table)
        tiers = self.part(
            "pyramid",
            lambda: fit_pyramid(
                ranked,
                kind=config.kind,
                value_col=value,
                profit_col=profit,
                inactive_days=config.inactive_days or None,
                labels=config.labels,
            ),
        )
        out: pd.DataFrame = tiers.apply(ranked)
        return out

    def _key_accounts(self, table: pd.DataFrame) -> pd.DataFrame:
        config = self.config
        if "key_accounts" not in config.steps:
            return table
        if self.fitting:
            criteria = _criteria(config, table)
            missing = [c for c in criteria if c not in table.columns]
            if missing:
                raise ConfigError(
                    f"{_FUNC}: key-account criteria name column(s) {missing} that the table "
                    f"does not have. Hint: columns are {list(table.columns)}; criteria come "
                    "from the master (join) or earlier steps."
                )
            if len(table) < config.min_accounts:
                self.skipped["key_accounts"] = (
                    f"{len(table)} customer(s), fewer than min_accounts {config.min_accounts}"
                )
                return table
        elif not self.wanted("key_accounts"):
            return table
        from kamseg.accounts import fit_score_accounts, fit_select_key_accounts

        self.begin("key_accounts")
        with self.guarded("key_accounts"):
            scoring = self.part(
                "key_accounts",
                lambda: fit_score_accounts(
                    table,
                    criteria=_criteria(config, table),
                    normalize_weights=True,
                    missing="worst",
                ),
            )
            scored = scoring.apply(table)
            selection = self.part(
                "key_account_selection",
                lambda: fit_select_key_accounts(
                    scored, min_accounts=config.min_accounts, max_accounts=config.max_accounts
                ),
            )
            table = selection.apply(scored)
        return table

    def _predict_clv(
        self, table: pd.DataFrame, fitted: ClvFit, master: pd.DataFrame | None
    ) -> pd.DataFrame:
        from kamseg import clv

        config = self.config
        kw: dict[str, Any] = {}
        cost = config.cost_to_serve_col
        has_cost = master is not None and cost in table.columns
        if "profit" in table.columns:  # each customer's margin so far (at most 1)
            table = table.assign(margin=_margin_so_far(table))
            kw["margin"] = "margin"
        elif config.margin is not None or has_cost:
            kw["margin"] = self._margin_without_profit("clv")
        if has_cost:  # customers missing from the master: 0
            table = table.assign(**{cost: table[cost].fillna(0.0)})
            kw["cost_to_serve"] = cost
        return clv.predict(
            table,
            fitted.purchases,
            spend=fitted.spend,
            horizon=config.horizon,
            discount_rate=config.discount_rate,
            freq=config.freq,
            **kw,
        )

    def _margin_without_profit(self, step: str) -> float:
        """The gross margin of a table without profit: the `margin` setting, else 1.0 (the
        revenue counted as gross profit), said in ``limited[step]``."""
        if self.config.margin is not None:
            return self.config.margin
        self.limited.setdefault(
            step,
            "no profit column and no margin setting: the revenue counts as gross profit "
            "(margin 1.0) less the cost to serve; set margin (--margin)",
        )
        return 1.0

    def _with_net_profit(self, table: pd.DataFrame, master: pd.DataFrame | None) -> pd.DataFrame:
        """With a master cost to serve: ``net_profit``, the profit so far (or revenue x
        margin) less the yearly cost to serve over each customer's tenure (seed 001: profit
        net of the cost to serve, which the profit pyramid, the whale curve and the report
        use)."""
        cost = self.config.cost_to_serve_col
        if master is None or cost not in table.columns or "net_profit" in table.columns:
            return table
        if "profit" in table.columns:
            gross = table["profit"].to_numpy(dtype=np.float64)
        else:
            margin = self._margin_without_profit("pareto")
            gross = table["revenue"].to_numpy(dtype=np.float64) * margin
        years = table["tenure_days"].to_numpy(dtype=np.float64) / _YEAR_DAYS
        served = pd.to_numeric(table[cost], errors="coerce").fillna(0.0).to_numpy() * years
        return table.assign(net_profit=gross - served)

    def _churn(
        self, table: pd.DataFrame, rows: PreparedTransactions | None, tx: Any
    ) -> pd.DataFrame:
        config = self.config
        if "churn" not in config.steps:
            return table
        if rows is None and (self.fitting or "churn" not in self.fits):
            # fitted on the rows of a sample of customers (kamseg.model), not here
            self.skipped["churn"] = "needs the transaction rows in pandas (engine input)"
            return table
        if not self.wanted("churn"):
            return table
        if rows is None:  # a model's churn part, scored from the engine's aggregates
            return self.churn_on_engine(table, tx)
        from kamseg.churn import fit_churn, predict_churn

        if self.fitting:
            window = self._churn_window(rows)
            if window != config.window_days:
                self.limited["churn"] = (
                    f"a history of {_history_days(rows)} days: churn window {window} days "
                    f"instead of window_days {config.window_days}"
                )
            self.begin("churn")  # said before the training, which is most of the step
            try:
                self.fits["churn"] = fit_churn(table, transactions=rows, window_days=window)
            except KamsegError as exc:
                self.skip("churn", f"no model: {' '.join(str(exc).split())}")
                return table
        else:
            self.begin("churn")
        with self.guarded("churn"):
            # as of the rows' as_of (a model applied to later or earlier data)
            table = predict_churn(table, self.fits["churn"], transactions=rows, as_of=rows.as_of)
        return table

    def _ahead_of_classes(self, rows: PreparedTransactions) -> Prefetched[dict[str, Any]] | None:
        """What the steps from the classes on read of the rows, computed in a thread of its
        own (:class:`~kamseg._threads.Prefetched`): the churn's history of purchase days
        (a churn step; the classes read it too) and every customer's activity in the
        trend windows (the classes, health or warnings on `window_days`)."""
        from kamseg._threads import BACKGROUND_MIN_ROWS, Prefetched

        makes: dict[str, Callable[[], Any]] = {}
        if self.runs("churn"):
            from kamseg.features._cutoffs import whole_history

            makes["history"] = functools.partial(whole_history, rows)
        if any(self.runs(step) for step in ("classes", "health", "warnings")):
            from kamseg.features._windows import every_customer

            window, end = self.config.window_days, rows.as_of_day
            makes["activity"] = functools.partial(every_customer, rows, window, end)
        if not makes:
            return None
        return Prefetched(
            lambda: {name: make() for name, make in makes.items()},
            background=rows.n_rows >= BACKGROUND_MIN_ROWS,
        )

    @staticmethod
    def _take_ahead(rows: PreparedTransactions, ahead: Prefetched[dict[str, Any]]) -> None:
        """Hand over what :meth:`_ahead_of_classes` computed (waiting for it)."""
        from kamseg.features._cutoffs import adopt_history
        from kamseg.features._windows import adopt_activity

        done = ahead.result()
        if "history" in done:
            adopt_history(rows, done["history"])
        if "activity" in done:
            adopt_activity(rows, done["activity"])

    def _churn_window(self, rows: PreparedTransactions) -> int:
        """The churn window of a fit: `window_days`, shorter for a short history (e.g. a
        one-year export): the automatic cut-offs need three windows (history, training
        labels, evaluation)."""
        history, window = _history_days(rows), self.config.window_days
        if history < 3 * window and history // 3 >= _MIN_CHURN_WINDOW:
            return history // 3
        return window

    def daily_summary(self, tx: Any, *, as_of: Any) -> pd.DataFrame:
        """The daily customer columns of an engine input that the steps read without rows
        (the rhythm's repeat purchase days; with a churn step, the churn features but the
        overdue ratio: :data:`~kamseg.features.CHURN_FEATURES` up to ``monetary_value``,
        ``spend_90d``, ``spend_180d``), made once: from the job columns of the job's
        summary (DuckDB), else from a second, daily summary of the engine (Spark)."""
        if self._daily is None:
            from kamseg.features import CHURN_FEATURES, SPEND_WINDOW_DAYS, table_activity

            # the churn features only to score a model's churn part (a fit on Spark's
            # aggregates leaves the churn to apply_spark)
            churn = "churn" in self.config.steps and "churn" in self.fits
            keep = [*CHURN_FEATURES[:9], "spend_90d", "spend_180d"] if churn else ["frequency"]
            day = engine_summary(
                tx,
                self.config,
                as_of=as_of,
                freq="D",
                activity_window=SPEND_WINDOW_DAYS if churn else None,
            )
            if churn:  # the spend of the last 90 days, and of the 90 before
                spend = table_activity(day, SPEND_WINDOW_DAYS)
                assert spend is not None
                day = day.assign(
                    spend_90d=spend.spend_recent,
                    spend_180d=spend.spend_recent + spend.spend_previous,
                )
            self._daily = day[keep]  # only what is read (memory: one row per customer)
        return self._daily

    def release_daily(self) -> None:
        """Let go of the daily customer columns (every step that reads them has run)."""
        self._daily = None
        self._daily_park = None

    def read_job_columns(self, table: pd.DataFrame) -> pd.DataFrame:
        """Keep the job columns of an engine's summary, if any, as the daily columns of
        :meth:`daily_summary`; the table without them (no step reads them there)."""
        if JOB_COLUMNS[0] in table.columns and self._daily is None:
            from kamseg.features import CHURN_FEATURES

            daily = {c: table[c] for c in CHURN_FEATURES[:9]}
            daily.update(
                frequency=table["daily_frequency"],
                recency=table["daily_recency"],
                T=table["tenure_days"].astype(np.float64),
                monetary_value=table["daily_monetary_value"],
                spend_90d=table["churn_spend_90d"],
                spend_180d=table["churn_spend_180d"],
            )
            if "churn" not in self.config.steps:
                daily = {"frequency": daily["frequency"]}
            self._daily = pd.DataFrame(daily, index=table.index)
        return table.drop(columns=[c for c in JOB_COLUMNS if c in table.columns])

    def _read_need_columns(self, table: pd.DataFrame) -> pd.DataFrame:
        """Keep what an engine's summary found for the need level (its columns, read with
        the job's catalogue map), as :attr:`need_inputs`; the table without them."""
        from kamseg.features._needs import need_columns, table_need

        if self._need_map is None:
            return table
        self.need_inputs = table_need(table, self._need_map)
        table = table.drop(columns=need_columns(table))
        table.attrs.pop(NEED_NOTES_ATTR, None)
        return table

    def need_on_engine(self, table: pd.DataFrame) -> pd.DataFrame:
        """`table` with the need level of the classes part (fitted on a sample's rows)
        labelled from what the engine's summary found of every customer's rows, its
        columns where the classes put them (after the lifecycle's)."""
        need = self.fits["classes"].need
        assert need is not None and self.need_inputs is not None
        if self._need_back is not None:  # parked since the classes
            self.need_inputs = dataclasses.replace(self.need_inputs, **self._need_back())
            self._need_back = None
        try:  # in blocks of customers (memory: the latent needs' search), the same bits
            blocks = []
            for at in range(0, max(len(table), 1), _NEED_BLOCK):
                with warnings.catch_warnings():
                    if at:  # the notices of unmatched rows: once
                        warnings.simplefilter("ignore", KamsegWarning)
                    blocks.append(
                        need.label_engine(table.iloc[at : at + _NEED_BLOCK], self.need_inputs)
                    )
        except ConfigError:
            raise
        except KamsegError as exc:  # the other classes stand: only the need level is left out
            reason = f"skipped need ({' '.join(str(exc).split())})"
            self.limited["classes"] = "; ".join(
                x for x in (self.limited.get("classes"), reason) if x
            )
            warn(f"{_FUNC}: {reason}", stacklevel=4)
            return table
        new = [c for c in blocks[0].columns if c not in table.columns]
        labelled = pd.concat([b[new] for b in blocks]) if len(blocks) > 1 else blocks[0][new]
        cols = self.columns(table)  # the parked ones too: the new go after the lifecycle's
        after = [i for i, c in enumerate(cols) if str(c).startswith("lifecycle_")]
        at = after[-1] + 1 if after else len(cols)
        order = [*cols[:at], *new, *cols[at:]]
        out: pd.DataFrame = table.assign(**{c: labelled[c] for c in new})
        if self.park is not None:
            self.park.set_order(order)
            order = [c for c in order if c in out.columns]
        return out[order]

    def churn_on_engine(self, table: pd.DataFrame, tx: Any) -> pd.DataFrame:
        """`table` with the churn probability of the churn part, the customers of an
        engine input (DuckDB, Spark) scored from the engine's daily columns with the
        spend in the last 90 and 180 days (:meth:`daily_summary`): the features of
        :func:`kamseg.features.features_at` at the table's as_of (sums may differ in the
        last bits: the engines add in another order)."""
        from kamseg.features import CHURN_FEATURES, rhythm

        self.begin("churn")
        self.skipped.pop("churn", None)
        fit = self.fits["churn"]
        with self.guarded("churn"):
            if self._daily_park is not None:  # the churn features, parked since the classes
                assert self._daily is not None
                self._daily = self._daily_park.restore(self._daily)
                self._daily_park = None
            day = self.daily_summary(tx, as_of=table.attrs["as_of"])
            feats = {c: day[c].to_numpy(dtype=np.float64) for c in day.columns}
            feats["overdue_ratio"] = rhythm(
                feats["days_since_last"],
                feats["tenure_days"],
                feats["frequency"],
                base_gap=fit.base_gap,
            ).overdue_ratio
            s90, s180 = feats["spend_90d"], feats["spend_180d"]
            ratio = np.full(len(day), np.nan)
            np.divide(s90, s180, out=ratio, where=s180 > 0)
            feats["spend_ratio_90_180"] = ratio
            frame = pd.DataFrame({c: feats[c] for c in CHURN_FEATURES}, index=day.index)
            p = pd.Series(fit.model.predict_proba(frame), index=day.index, name="p")
            prob = reindexed(p, table.index).to_numpy()  # prospects: NaN
            table = table.assign(churn_probability=prob)
        return table


def _clv_reason(table: pd.DataFrame) -> str | None:
    """Why lifetime value cannot be fitted on `table`, or None."""
    repeat = table["frequency"].to_numpy() > 0
    if not repeat.any():
        return "no customer bought in more than one period"
    spend_ok = repeat & (table["monetary_value"].to_numpy() > 0)
    if np.count_nonzero(spend_ok) < 2:
        return "fewer than 2 repeat buyers with positive spend (Gamma-Gamma)"
    return None


def _fit_clv(table: pd.DataFrame, config: SegmentConfig) -> ClvFit:
    from kamseg import clv

    purchases = clv.fit(table, model=config.clv_model, penalty=config.penalty)
    # Gamma-Gamma on the repeat buyers; those whose mean repeat spend is <= 0 are left out
    # by clv.fit with a counted warning (their expected spend is still predicted, shrunk
    # towards the population mean)
    spend = clv.fit(table[table["frequency"] > 0], model="gamma_gamma")
    return ClvFit(purchases, spend)


def _margin_so_far(table: pd.DataFrame) -> np.ndarray:
    """Each customer's profit per unit of revenue so far: 0 without revenue, at most 1."""
    revenue = table["revenue"].to_numpy()
    positive = revenue > 0
    profit = table["profit"].to_numpy()
    margin = np.where(positive, profit / np.where(positive, revenue, 1), 0.0)
    return np.minimum(margin, 1.0)


def _history_days(rows: PreparedTransactions) -> int:
    """The days from the first transaction to the `as_of` of `rows` (0: no row)."""
    return int(rows.as_of_day - rows.day.min()) if rows.n_rows else 0
