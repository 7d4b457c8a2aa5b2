"""One call for the whole job: :func:`segment` wires every analysis into one customer table.

This is the one module (with the report, plots and CLI) that imports the analyses; they
talk to each other through the columns of the customer table (see ``../shared/DESIGN.md``).
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kamseg._segment_inputs import (
    ProgressBar,
    aligned_master,
    aligned_side,
    indexed_master,
    master_columns,
    progress_callback,
)
from kamseg._threads import limited_threads
from kamseg._types import P_ALIVE_INFORMATIVE
from kamseg._validation import check_frame, warn
from kamseg.config import STEPS, SegmentConfig
from kamseg.errors import (
    ConfigError,
    KamsegError,
    KamsegWarning,
    SchemaError,
)
from kamseg.lifecycle import LifecycleThresholds
from kamseg.transactions import PreparedTransactions, as_prepared

__all__ = ["COLUMN_GROUPS", "load_transactions", "prepare_with_config", "segment"]

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

#: Column groups of the result, in the order they appear (see docs/segment.md).
COLUMN_GROUPS: tuple[str, ...] = ("summary", "master", *STEPS)

Progress = Callable[[str], None]


def _is_parquet_path(obj: object) -> bool:
    return isinstance(obj, str | os.PathLike) and Path(os.fspath(obj)).suffix.lower() in (
        ".parquet",
        ".pq",
        "",
    )


def _parquet_files(path: str) -> list[str]:
    """The Parquet files of a file, folder (every ``*.parquet`` below it) or glob, sorted."""
    import glob

    if os.path.isdir(path):
        path = os.path.join(path, "**", "*.parquet")
    files = sorted(glob.glob(path, recursive=True))
    if not files:
        raise FileNotFoundError(f"{_FUNC}: no Parquet file matches {path!r}.")
    return files


def load_transactions(transactions: Any, config: SegmentConfig) -> Any:
    """Pandas transactions when the config says so; otherwise the input as given."""
    if isinstance(transactions, pd.DataFrame):
        return transactions
    if isinstance(transactions, str | os.PathLike):
        path = os.fspath(transactions)
        if str(path).lower().endswith(".csv"):
            from kamseg._files import read_csv

            try:  # ids as text, only empty cells missing
                return read_csv(path, id_columns=[config.customer_col])
            except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
                raise SchemaError(f"{_FUNC}: cannot read CSV {str(path)!r}: {exc}") from exc
        if not _is_parquet_path(path):
            raise ConfigError(
                f"{_FUNC}: a transactions path must be a .parquet or .csv file (or a folder "
                f"or glob of Parquet files); got {str(path)!r}."
            )
        import pyarrow.parquet as pq  # type: ignore[import-untyped]

        engine = config.engine
        files = [] if engine == "duckdb" else _parquet_files(str(path))
        if engine == "auto":  # row counts from the files' metadata, no data read
            rows = sum(_parquet_rows(f) for f in files)
            engine = "pandas" if rows <= config.pandas_max_rows else "duckdb"
        if engine == "pandas":
            names = [
                config.customer_col,
                config.date_col,
                config.amount_col,
                config.profit_col,
                config.order_col,
                config.product_col,
                config.quantity_col,
                config.price_col,
            ]
            try:
                available = set(pq.read_schema(files[0]).names)
                wanted = [c for c in dict.fromkeys(names) if c is not None and c in available]
                return pd.read_parquet(path, columns=wanted)
            except (OSError, ValueError) as exc:  # pyarrow's errors derive from these
                raise SchemaError(f"{_FUNC}: cannot read Parquet {str(path)!r}: {exc}") from exc
    return transactions


def _parquet_rows(path: str) -> int:
    """Rows of a Parquet file from its metadata; an unreadable file is a SchemaError."""
    import pyarrow.parquet as pq

    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except (OSError, ValueError) as exc:  # e.g. pyarrow.ArrowInvalid: not a Parquet file
        raise SchemaError(f"{_FUNC}: cannot read Parquet {path!r}: {exc}") from exc


def prepare_with_config(
    transactions: pd.DataFrame | PreparedTransactions,
    config: SegmentConfig,
    *,
    catalog: pd.DataFrame | None = None,
    as_of: Any = None,
    copy: bool = True,
    stacklevel: int = 6,
) -> PreparedTransactions:
    """The transactions prepared as `config` says (columns, `dropna`, `returns`, `as_of`:
    the argument, else ``config.as_of``), as :func:`segment` prepares them; the CLI uses it
    to hand the same rows to the job and the report. The product column is read only when
    the need level will need it (a `catalog` and the classes step)."""
    with_products = (
        catalog is not None
        and "classes" in config.steps
        and isinstance(transactions, pd.DataFrame)
        and config.product_col in transactions.columns
    )
    return as_prepared(
        transactions,
        func=_FUNC,
        customer_col=config.customer_col,
        date_col=config.date_col,
        amount_col=config.amount_col,
        profit_col=config.profit_col,
        order_col=config.order_col,
        quantity_col=config.quantity_col,
        price_col=config.price_col,
        product_col=config.product_col if with_products else None,
        as_of=config.as_of if as_of is None else as_of,
        dropna=config.dropna,
        returns=config.returns,
        stacklevel=stacklevel,
        copy=copy,
    )


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


def segment(
    transactions: Any,
    *,
    master: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
    complaints: pd.DataFrame | None = None,
    catalog: pd.DataFrame | None = None,
    config: SegmentConfig | None = None,
    as_of: Any = None,
    progress: Progress | bool | None = None,
) -> pd.DataFrame:
    """The whole job in one call: one annotated row per customer.

    Runs the summary, then each step of ``config.steps`` that the given data allow, and
    returns one table with every column (groups in the order of :data:`COLUMN_GROUPS`):

    1. **summary** (:func:`kamseg.summarize`): purchases, revenue, BTYD columns;
    2. **master**: the master's columns (industry, region, influence, ...), joined by id;
    3. **rfm**: scores, cell and named segment;
    4. **clv**: ``p_alive``, expected purchases and spend, ``clv``, ``profit_clv``
       (``config.clv_model`` + Gamma-Gamma, fitted on the repeat buyers with a positive
       mean repeat spend; margin from profit, cost to serve from the master);
    5. **pareto**: cumulative shares, ABC class, pyramid tier;
    6. **key_accounts**: multi-criteria score, rank, ``is_key_account`` (short list);
    7. **classes**: value, behaviour, lifecycle, need (with a catalog) and satisfaction
       (with surveys) classes, and their recommended actions; with a master, its
       prospects are appended as rows;
    8. **health**: 0-100 health score, band and drivers;
    9. **warnings**: early churn warnings;
    10. **churn**: a gradient-boosting churn model fitted on the history, its probability.

    ``result.attrs["kamseg_steps"]`` lists the steps run. A step that the data do not
    allow is skipped and named in ``result.attrs["kamseg_skipped"]`` with the reason (e.g.
    CLV when no customer bought twice); parts of a step left out for want of a side table
    are named in ``result.attrs["kamseg_limited"]`` (e.g. the need level without a
    catalog). Key-account criteria naming columns the table does not have raise
    :class:`~kamseg.errors.ConfigError`. Every step works as of the summary's `as_of`:
    later transactions are left out once, with the summary's warning.

    Parameters
    ----------
    transactions
        One row per order or order line: a pandas DataFrame, a ``.csv`` path, or anything
        :func:`kamseg.summarize` accepts (Parquet path/folder/glob, PyArrow, Polars, DuckDB
        relation, PySpark DataFrame). A Parquet path is read into pandas or summarised out
        of core by DuckDB as ``config.engine`` says. Or transactions already prepared
        (:func:`kamseg.prepare_transactions`), used as they are. Otherwise they are
        prepared once (one notice for every row dropped or return netted) and every step
        reads the same rows. With an engine, only the customer table comes back: the
        lifecycle spend trend, health trends and spend-drop warning are left out, the
        usual gap counts the purchase days of a second, daily engine summary when
        ``config.freq`` is not ``"D"``, and the need level and churn model (which need
        transaction rows) are skipped. Not modified.
    master
        Customer master indexed by customer id (or with a `customer_col` column):
        attributes to join and prospects (ids without purchases).
    surveys, complaints, catalog
        Side tables of :func:`kamseg.classify` and :func:`kamseg.early_warnings`.
    config
        :class:`kamseg.SegmentConfig` (column names, steps, options); default settings
        when None. Its ``n_jobs`` sizes the thread pools of BLAS and OpenMP once for the
        whole job (None: the cores this process may use); they are restored after.
    as_of
        Observation date; default ``config.as_of``, else the latest transaction date.
    progress
        ``True``: a progress bar (tqdm) on stderr; or a function called with a short
        message at the start of each step (the CLI prints them); None or False: quiet.

    Returns
    -------
    DataFrame
        Indexed by customer id; column meanings in the glossary (docs/columns.md).

    Examples
    --------
    >>> import kamseg
    >>> data = kamseg.datasets.make_transactions(n_customers=400, seed=1)
    >>> config = kamseg.SegmentConfig(profit_col="profit", steps=("rfm", "clv", "pareto"))
    >>> table = kamseg.segment(data.transactions, master=data.master, config=config)
    >>> table.attrs["kamseg_steps"]
    ['summary', 'rfm', 'clv', 'pareto']
    >>> table[["rfm_segment", "abc_class"]].notna().all().all()
    np.True_
    """
    config = SegmentConfig() if config is None else config
    if not isinstance(config, SegmentConfig):
        raise ConfigError(
            f"{_FUNC}: `config` must be a kamseg.SegmentConfig; got {type(config).__name__}. "
            "Hint: SegmentConfig.from_toml(path) reads a file."
        )
    say = progress_callback(progress)
    # One limit for the whole job (never one per step): the libraries the steps use are
    # loaded first, since a limit reaches only the libraries loaded when it is entered.
    _load_thread_pools(config.steps)
    with limited_threads(config.n_jobs):
        as_of = config.as_of if as_of is None else as_of
        lang = config.labels
        master = indexed_master(master, config)
        for name, side in (("surveys", surveys), ("complaints", complaints), ("catalog", catalog)):
            if side is not None:
                check_frame(side, func=_FUNC, arg=name)

        from kamseg.summary import summarize

        tx = load_transactions(transactions, config)
        in_pandas = isinstance(tx, pd.DataFrame | PreparedTransactions)
        say("summary: transactions -> customers")
        rows: PreparedTransactions | None = None
        if in_pandas:
            # prepared once: every step sees exactly these rows, and each notice is given once
            rows = prepare_with_config(
                tx,
                config,
                catalog=catalog,
                as_of=as_of,
                copy=tx is not transactions,  # a table read here from a path is ours alone
                stacklevel=7,
            )
            tx = None  # from here on the steps read the prepared rows (and free the table)
            table = summarize(rows, freq=config.freq)
            if not {"classes", "health", "warnings", "churn"} & set(config.steps):
                rows = None  # no later step reads transaction rows
        else:
            table = summarize(
                tx,
                customer_col=config.customer_col,
                date_col=config.date_col,
                amount_col=config.amount_col,
                profit_col=config.profit_col,
                order_col=config.order_col,
                quantity_col=config.quantity_col,
                price_col=config.price_col,
                as_of=as_of,
                freq=config.freq,
                dropna=config.dropna,
                returns=config.returns,
            )
        attrs = dict(table.attrs)  # as_of, freq, ...: joins below need not keep them
        steps = ["summary"]
        skipped: dict[str, str] = {}
        limited: dict[str, str] = {}
        # side tables with the ids of the customer table's kind, converted once
        surveys = aligned_side(surveys, table, config.customer_col, "surveys")
        complaints = aligned_side(complaints, table, config.customer_col, "complaints")

        if master is not None:
            master = aligned_master(master, table)
            extra, renamed = master_columns(master, table)
            if renamed:
                warn(
                    f"{_FUNC}: the master's column(s) {renamed} have the names of columns this "
                    f"job writes; they are joined as {['master_' + c for c in renamed]}.",
                    stacklevel=3,
                )
            if len(extra.columns):
                from kamseg._validation import match_master

                match_master(table, master, func=_FUNC)  # warns about unknown customers
                table = table.join(extra, how="left")
                table.attrs.update(attrs)  # the later steps read as_of and freq from here
            master = master.drop(columns=renamed)

        def run(step: str) -> bool:
            if step not in config.steps:
                return False
            say(f"{step}")
            steps.append(step)
            return True

        @contextlib.contextmanager
        def guarded(step: str) -> Iterator[None]:
            """Run a step; a data problem (not the configuration) skips it, with a reason."""
            try:
                yield
            except ConfigError:
                raise
            except KamsegError as exc:
                reason = " ".join(str(exc).split()).removeprefix(f"{_FUNC}: ")
                if step in steps:
                    steps.remove(step)
                skipped[step] = reason
                warn(f"{_FUNC}: step {step!r} skipped: {reason}", stacklevel=4)

        if run("rfm"):
            from kamseg.rfm import rfm_scores, rfm_segments

            with guarded("rfm"):
                table = rfm_segments(rfm_scores(table, bins=config.bins), labels=lang)

        fitted: tuple[Any, Any] | None = None
        if run("clv"):
            reason = _clv_reason(table)
            if reason is None:
                with guarded("clv"):
                    fitted = _fit_clv(table, config)
                    table = _predict_clv(table, config, fitted, master, limited)
            if reason is not None:
                steps.remove("clv")
                skipped["clv"] = reason
        table = _with_net_profit(table, config, master, limited)

        if run("pareto"):
            from kamseg.pareto import pareto_table, pyramid

            with guarded("pareto"):
                value = config.pareto_value_col
                profit = "net_profit" if "net_profit" in table.columns else "profit"
                ranked = pareto_table(table, value_col=value, labels=lang)
                table = pyramid(
                    ranked,
                    kind=config.kind,
                    value_col=value,
                    profit_col=profit,
                    inactive_days=config.inactive_days or None,
                    labels=lang,
                )

        if "key_accounts" in config.steps:
            criteria = _criteria(config, table)
            missing = [c for c in criteria if c not in table.columns]
            if missing:
                raise ConfigError(
                    f"{_FUNC}: key-account criteria name column(s) {missing} that the table does "
                    f"not have. Hint: columns are {list(table.columns)}; criteria come from the "
                    "master (join) or earlier steps."
                )
            if len(table) < config.min_accounts:
                skipped["key_accounts"] = (
                    f"{len(table)} customer(s), fewer than min_accounts {config.min_accounts}"
                )
            else:
                from kamseg.accounts import score_accounts, select_key_accounts

                run("key_accounts")
                with guarded("key_accounts"):
                    scored = score_accounts(
                        table, criteria=criteria, normalize_weights=True, missing="worst"
                    )
                    table = select_key_accounts(
                        scored,
                        min_accounts=config.min_accounts,
                        max_accounts=config.max_accounts,
                    )

        # The usual gap between purchases counts purchase days. With transaction rows they are
        # counted from them; an engine's weekly or monthly summary counts periods, so the
        # rhythm steps read the daily repeat purchases of a second, daily engine summary.
        daily = None
        rhythm_steps = {"classes", "health", "warnings"} & set(config.steps)
        if rows is None and config.freq != "D" and rhythm_steps:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", KamsegWarning)  # given by the first summary
                daily = summarize(
                    tx,
                    customer_col=config.customer_col,
                    date_col=config.date_col,
                    amount_col=config.amount_col,
                    quantity_col=config.quantity_col,
                    price_col=config.price_col,
                    as_of=attrs["as_of"],
                    freq="D",
                    dropna=config.dropna,
                    returns=config.returns,
                )["frequency"]

        # P(alive) vetoes churn calls by rhythm only when the model could tell who dropped out
        use_p_alive: bool | str = "auto"
        if fitted is not None and getattr(fitted[0], "dropout_identified", True) is False:
            use_p_alive = False
            limited["classes"] = (
                "P(alive) not used by the lifecycle: the purchase model found no dropout in "
                "these data, so its P(alive) cannot tell who left"
            )

        side_date_col = config.side_date_col or config.date_col  # surveys, complaints
        if run("classes"):
            from kamseg.classification import classify

            with guarded("classes"), _recording(limited, "classes"):
                table = _on_daily(
                    table,
                    daily,
                    lambda t: classify(
                        t,
                        transactions=rows,
                        surveys=surveys,
                        complaints=complaints,
                        catalog=catalog
                        if rows is not None and rows.product_col is not None
                        else None,
                        master=master,
                        # one window for every trend of the job (lifecycle, health, warnings)
                        thresholds=LifecycleThresholds(trend_window_days=config.window_days),
                        use_p_alive=use_p_alive,
                        customer_col=config.customer_col,
                        date_col=side_date_col,
                        product_col=config.product_col,
                        labels=lang,
                        action=config.action,
                    ),
                )
            # prospects (appended by the classes) are not key accounts, and have no revenue
            # to be <= 0 (the summary's rule: revenue <= 0 is false for NaN)
            for flag in ("is_key_account", "nonpositive_revenue"):
                if flag in table.columns:
                    table[flag] = table[flag].fillna(False).astype(bool)

        if run("health"):
            from kamseg.health import health_score

            if use_p_alive is False:  # the health score leaves such a P(alive) out too
                table.attrs[P_ALIVE_INFORMATIVE] = False

            with guarded("health"), _recording(limited, "health"):
                table = _on_daily(
                    table,
                    daily,
                    lambda t: health_score(
                        t, transactions=rows, window_days=config.window_days, labels=lang
                    ),
                )

        if run("warnings"):
            from kamseg.alerts import early_warnings

            with guarded("warnings"), _recording(limited, "warnings"):
                table = _on_daily(
                    table,
                    daily,
                    lambda t: early_warnings(
                        t,
                        transactions=rows,
                        surveys=surveys,
                        complaints=complaints,
                        window_days=config.window_days,
                        customer_col=config.customer_col,
                        date_col=side_date_col,
                        labels=lang,
                    ),
                )

        if "churn" in config.steps:
            if rows is None:
                skipped["churn"] = "needs the transaction rows in pandas (engine input)"
            else:
                from kamseg.churn import churn_model, predict_churn

                # a short history (e.g. a one-year export) gets a shorter churn window: the
                # automatic cut-offs need three windows (history, training labels, evaluation)
                history = int(rows.as_of_day - rows.day.min()) if rows.n_rows else 0
                window = config.window_days
                if history < 3 * window and history // 3 >= _MIN_CHURN_WINDOW:
                    window = history // 3
                    limited["churn"] = (
                        f"a history of {history} days: churn window {window} days instead of "
                        f"window_days {config.window_days}"
                    )
                run("churn")  # said before the training, which is most of the step
                try:
                    model = churn_model(rows, window_days=window)
                except KamsegError as exc:
                    steps.remove("churn")
                    skipped["churn"] = f"no model: {' '.join(str(exc).split())}"
                else:
                    with guarded("churn"):
                        table = predict_churn(table, model, transactions=rows)
        if not in_pandas:
            for step in ("classes", "health", "warnings"):
                if step in steps:
                    limited[step] = "; ".join(
                        x for x in (limited.get(step), "no transaction rows (engine input)") if x
                    )
        if isinstance(say, ProgressBar):
            say.close()

        table.attrs.update(attrs)
        table.attrs["kamseg_steps"] = steps
        table.attrs["kamseg_skipped"] = skipped
        table.attrs["kamseg_limited"] = limited
        return table


def _load_thread_pools(steps: tuple[str, ...]) -> None:
    """Load the native libraries whose thread pools the steps use, so that the job's
    thread limit reaches them: scikit-learn's OpenMP runtime (churn; it loads scipy's BLAS
    too) or scipy's BLAS (clv). numpy's BLAS is loaded already."""
    import importlib

    if "churn" in steps:
        importlib.import_module("sklearn")
    elif "clv" in steps:
        importlib.import_module("scipy.linalg")


def _clv_reason(table: pd.DataFrame) -> str | None:
    """Why lifetime value cannot be fitted on `table`, or None."""
    repeat = table["frequency"].to_numpy() > 0
    if not repeat.any():
        return "no customer bought in more than one period"
    spend_ok = repeat & (table["monetary_value"].to_numpy() > 0)
    if np.count_nonzero(spend_ok) < 2:
        return "fewer than 2 repeat buyers with positive spend (Gamma-Gamma)"
    return None


def _fit_clv(table: pd.DataFrame, config: SegmentConfig) -> tuple[Any, Any]:
    from kamseg import clv

    purchases = clv.fit(table, model=config.clv_model, penalty=config.penalty)
    # Gamma-Gamma on the repeat buyers; those whose mean repeat spend is <= 0 are left out
    # by clv.fit with a counted warning (their expected spend is still predicted, shrunk
    # towards the population mean)
    spend = clv.fit(table[table["frequency"] > 0], model="gamma_gamma")
    return purchases, spend


def _predict_clv(
    table: pd.DataFrame,
    config: SegmentConfig,
    fitted: tuple[Any, Any],
    master: pd.DataFrame | None,
    limited: dict[str, str],
) -> pd.DataFrame:
    from kamseg import clv

    purchases, spend = fitted
    kw: dict[str, Any] = {}
    cost = config.cost_to_serve_col
    has_cost = _has_cost(table, config, master)
    if "profit" in table.columns:  # each customer's margin so far (at most 1)
        table = table.assign(margin=_margin_so_far(table))
        kw["margin"] = "margin"
    elif config.margin is not None or has_cost:
        kw["margin"] = _margin_without_profit(config, limited, "clv")
    if has_cost:  # customers missing from the master: 0
        table = table.assign(**{cost: table[cost].fillna(0.0)})
        kw["cost_to_serve"] = cost
    return clv.predict(
        table,
        purchases,
        spend=spend,
        horizon=config.horizon,
        discount_rate=config.discount_rate,
        freq=config.freq,
        **kw,
    )


def _has_cost(table: pd.DataFrame, config: SegmentConfig, master: pd.DataFrame | None) -> bool:
    """Whether the master gave the table a cost to serve column."""
    return master is not None and config.cost_to_serve_col in table.columns


def _margin_without_profit(config: SegmentConfig, limited: dict[str, str], step: str) -> float:
    """The gross margin of a table without profit: the `margin` setting, else 1.0 (the
    revenue counted as gross profit), said in ``limited[step]``."""
    if config.margin is not None:
        return config.margin
    limited.setdefault(
        step,
        "no profit column and no margin setting: the revenue counts as gross profit "
        "(margin 1.0) less the cost to serve; set margin (--margin)",
    )
    return 1.0


def _margin_so_far(table: pd.DataFrame) -> np.ndarray:
    """Each customer's profit per unit of revenue so far: 0 without revenue, at most 1."""
    revenue = table["revenue"].to_numpy()
    positive = revenue > 0
    profit = table["profit"].to_numpy()
    margin = np.where(positive, profit / np.where(positive, revenue, 1), 0.0)
    return np.minimum(margin, 1.0)


#: Shortest churn window the job picks by itself for a short history (days).
_MIN_CHURN_WINDOW = 30

#: Days of a year, for the cost to serve (yearly) over a customer's tenure.
_YEAR_DAYS = 365.25


def _with_net_profit(
    table: pd.DataFrame,
    config: SegmentConfig,
    master: pd.DataFrame | None,
    limited: dict[str, str],
) -> pd.DataFrame:
    """With a master cost to serve: ``net_profit``, the profit so far (or revenue x margin)
    less the yearly cost to serve over each customer's tenure (seed 001: profit net of the
    cost to serve, which the profit pyramid, the whale curve and the report use)."""
    cost = config.cost_to_serve_col
    if not _has_cost(table, config, master) or "net_profit" in table.columns:
        return table
    if "profit" in table.columns:
        gross = table["profit"].to_numpy(dtype=np.float64)
    else:
        margin = _margin_without_profit(config, limited, "pareto")
        gross = table["revenue"].to_numpy(dtype=np.float64) * margin
    years = table["tenure_days"].to_numpy(dtype=np.float64) / _YEAR_DAYS
    served = pd.to_numeric(table[cost], errors="coerce").fillna(0.0).to_numpy() * years
    return table.assign(net_profit=gross - served)


def _on_daily(
    table: pd.DataFrame, daily: pd.Series | None, step: Callable[[pd.DataFrame], pd.DataFrame]
) -> pd.DataFrame:
    """Run `step` on `table`, or, with `daily` repeat purchases (an engine's weekly or
    monthly summary), on a view whose ``frequency`` is daily; the table's own ``frequency``
    and ``attrs["freq"]`` come back on the result."""
    if daily is None:
        return step(table)
    view = table.assign(frequency=daily.reindex(table.index))
    view.attrs = {**table.attrs, "freq": "D"}
    out = step(view)
    out = out.assign(frequency=table["frequency"].reindex(out.index))
    out.attrs = {**out.attrs, "freq": table.attrs.get("freq")}
    return out


@contextlib.contextmanager
def _recording(limited: dict[str, str], step: str) -> Iterator[None]:
    """Record a step's warnings that list parts skipped for want of data in `limited`;
    re-emit every other warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        _, _, text = str(w.message).partition(": ")
        if issubclass(w.category, KamsegWarning) and text.startswith(
            ("skipped", "check(s) not made")
        ):
            part = text.split(". Hint:")[0].rstrip(".")
            limited[step] = "; ".join(x for x in (limited.get(step), part) if x)
            continue
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
