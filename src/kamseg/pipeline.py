"""One call for the whole job: :func:`segment` wires every analysis into one customer table.

This is the one module (with the report, plots and CLI) that imports the analyses; they
talk to each other through the columns of the customer table (see ``../shared/DESIGN.md``).
"""

from __future__ import annotations

import contextlib
import os
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from kamseg._job import Job, engine_summary
from kamseg._park import ParkedColumns
from kamseg._segment_inputs import indexed_master, progress_callback
from kamseg._threads import limited_threads
from kamseg._types import NeedMap
from kamseg._validation import check_frame
from kamseg.config import STEPS, SegmentConfig
from kamseg.errors import ConfigError, KamsegError, KamsegWarning, SchemaError
from kamseg.transactions import PreparedTransactions, as_prepared

__all__ = [
    "COLUMN_GROUPS",
    "checked_config",
    "fitted_need",
    "load_transactions",
    "prepare_with_config",
    "run_job",
    "segment",
]

_FUNC = "segment"

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
                return read_csv(path, id_columns=[config.customer_col], func=_FUNC)
            except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
                raise SchemaError(f"{_FUNC}: cannot read CSV {str(path)!r}: {exc}") from exc
        if os.path.isfile(path) and not Path(path).suffix:  # a file: its type is unknown
            raise ConfigError(
                f"{_FUNC}: the transactions file {str(path)!r} has no extension, and the "
                "file type is read from it. Hint: name it .csv, .parquet or .pq."
            )
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
            try:
                available = set(pq.read_schema(files[0]).names)
                wanted = [c for c in config.transaction_columns if c in available]
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
    products: bool = False,
) -> PreparedTransactions:
    """The transactions prepared as `config` says (columns, `dropna`, `returns`, `as_of`:
    the argument, else ``config.as_of``), as :func:`segment` prepares them; the CLI uses it
    to hand the same rows to the job and the report. The product column is read only when
    the need level will need it (a `catalog`, or `products` for a model whose need level
    holds its catalogue, and the classes step)."""
    with_products = (
        (catalog is not None or products)
        and "classes" in config.steps
        and isinstance(transactions, pd.DataFrame)
        and config.product_col in transactions.columns
    )
    return as_prepared(
        transactions,
        func=_FUNC,
        product_col=config.product_col if with_products else None,
        as_of=config.as_of if as_of is None else as_of,
        **config.reading,
        stacklevel=stacklevel,
        copy=copy,
    )


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
        reads the same rows. A PySpark DataFrame runs the whole job in Spark and gives a
        PySpark DataFrame: :func:`kamseg.fit_segments` on the rows collected to the driver
        (a hash sample of customers above ``config.pandas_max_rows`` rows), then
        :func:`kamseg.model_spark.apply_spark` on every partition (see the Spark page of
        the docs). With another engine, only the customer table comes back: the
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
    from kamseg.model_spark import is_spark_frame

    options: dict[str, Any] = {
        "master": master,
        "surveys": surveys,
        "complaints": complaints,
        "catalog": catalog,
        "config": config,
        "as_of": as_of,
        "progress": progress,
    }
    if is_spark_frame(transactions):  # the whole job in Spark: fit on the driver, apply_spark
        return _segment_spark(transactions, **options)  # type: ignore[no-any-return]
    import kamseg  # kamseg.model imports this module: reached through the package

    # the job with its fits kept (an engine input fits its need level and churn model on
    # a sample of customers' rows, and scores the churn from the engine's aggregates)
    _, table = kamseg.model.fit_and_label(transactions, func=_FUNC, **options)
    return table


def _segment_spark(transactions: Any, **options: Any) -> Any:
    """:func:`segment` of a PySpark DataFrame, a PySpark DataFrame: the model is fitted on
    the rows collected to the driver; when those are every row, the fitted base's table is
    the answer (one pass: the same rows :func:`kamseg.model_spark.apply_spark` would give),
    otherwise (a sample of customers above ``pandas_max_rows``) every partition is labelled
    by :func:`kamseg.model_spark.apply_spark`."""
    import kamseg  # kamseg.model imports this module: reached through the package
    from kamseg.model_spark import apply_spark, table_to_spark

    model, table = kamseg.model.fit_and_label(transactions, func=_FUNC, **options)
    if "fit" not in model.limited:  # fitted on every row
        return table_to_spark(table, model, transactions.sparkSession)
    return apply_spark(
        model,
        transactions,
        master=options["master"],
        surveys=options["surveys"],
        complaints=options["complaints"],
        catalog=options["catalog"],
        as_of=model.as_of,
        notices=True,  # the fit read a sample: the preparation's notice counts every row
    )


def checked_config(config: SegmentConfig | None, func: str = _FUNC) -> SegmentConfig:
    """`config`, or the default settings; anything else is a ConfigError."""
    config = SegmentConfig() if config is None else config
    if not isinstance(config, SegmentConfig):
        raise ConfigError(
            f"{func}: `config` must be a kamseg.SegmentConfig; got {type(config).__name__}. "
            "Hint: SegmentConfig.from_toml(path) reads a file."
        )
    return config


def run_job(
    transactions: Any,
    *,
    master: pd.DataFrame | None,
    surveys: pd.DataFrame | None,
    complaints: pd.DataFrame | None,
    catalog: pd.DataFrame | None,
    config: SegmentConfig | None,
    as_of: Any,
    progress: Progress | bool | None,
    fits: dict[str, Any] | None = None,
    fit_skipped: Mapping[str, str] | None = None,
    park: ParkedColumns | None = None,
) -> tuple[pd.DataFrame, Job]:
    """The whole job: read and prepare the transactions once, summarise, and run the steps
    (fitting each part, or with the `fits` of a model); the table and the job (its fits,
    steps, skipped and limited parts). With a `park`, a large table's columns that no later
    step reads are parked as the steps go: the table returned lacks them until
    ``job.whole(table)``."""
    config = checked_config(config)
    say = progress_callback(progress)
    # One limit for the whole job (never one per step): the libraries the steps use are
    # loaded first, since a limit reaches only the libraries loaded when it is entered.
    # (a model's parts: their modules came with it; but a fitted need level's KD-tree)
    steps = config.steps if fits is None else ("classes",) if fitted_need(fits) else ()
    load_step_libraries(steps, catalog=catalog is not None)
    with limited_threads(config.n_jobs):
        as_of = config.as_of if as_of is None else as_of
        master = indexed_master(master, config)
        for name, side in (("surveys", surveys), ("complaints", complaints), ("catalog", catalog)):
            if side is not None:  # a model may score customers with no survey, no complaint
                check_frame(side, func=_FUNC, arg=name, allow_empty=fits is not None)

        from kamseg.summary import summarize

        tx = load_transactions(transactions, config)
        in_pandas = isinstance(tx, pd.DataFrame | PreparedTransactions)
        say("summary: transactions -> customers")
        rows: PreparedTransactions | None = None
        need_map: NeedMap | None = None
        if in_pandas:
            # prepared once: every step sees exactly these rows, and each notice is given once
            rows = prepare_with_config(
                tx,
                config,
                catalog=catalog,
                as_of=as_of,
                copy=tx is not transactions,  # a table read here from a path is ours alone
                stacklevel=8,
                products=fitted_need(fits),
            )
            tx = None  # from here on the steps read the prepared rows (and free the table)
            table = summarize(rows, freq=config.freq)
            if not {"classes", "health", "warnings", "churn"} & set(config.steps):
                rows = None  # no later step reads transaction rows
        else:  # the activity in the trend windows, and the daily columns of the steps
            need_map = _engine_need_map(tx, config, catalog, fits)
            rhythm_steps = {"classes", "health", "warnings"} & set(config.steps)
            churn = "churn" in config.steps
            table = engine_summary(
                tx,
                config,
                as_of=as_of,
                freq=config.freq,
                activity_window=config.window_days if rhythm_steps or churn else None,
                quiet=False,
                job_columns=churn or (bool(rhythm_steps) and config.freq != "D"),
                need_map=need_map,
            )
        job = Job(
            config, fits=fits, fit_skipped=fit_skipped, say=say, need_map=need_map, park=park
        )
        summary = [table]  # handed over: the job holds the summary's only reference (memory)
        del table
        with _one_notice_per_fact():
            table = job.run(
                rows,
                summary.pop(),
                tx,
                in_pandas=in_pandas,
                master=master,
                surveys=surveys,
                complaints=complaints,
                catalog=catalog,
            )
        return table, job


@contextlib.contextmanager
def _one_notice_per_fact() -> Iterator[None]:
    """Each fact said once: the steps' notices that repeat an earlier one but for the
    function named and the counts (a fit and its apply, or two steps that read the same
    master, say "9 of 270 customer(s) are not in `master`" each) are left out."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    seen: set[str] = set()
    for w in caught:
        text = str(w.message)
        if issubclass(w.category, KamsegWarning):
            fact = re.sub(r"[-+]?\d[\d.,e+-]*", "#", text.partition(": ")[2])
            if fact in seen:
                continue
            seen.add(fact)
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _engine_need_map(
    tx: Any, config: SegmentConfig, catalog: pd.DataFrame | None, fits: Mapping[str, Any] | None
) -> NeedMap | None:
    """The catalogue a DuckDB input's summary matches rows to, so that the need level is
    labelled without rows (None: no need level to label, or a Spark input, whose
    partitions are labelled with their rows): a model's fitted catalogue, or, when fitting
    the classes with a catalogue and a product column, the catalogue as the need level
    reads it (one it cannot read is reported by the need level's fit)."""
    from kamseg.model_spark import is_spark_frame

    if is_spark_frame(tx) or "classes" not in config.steps:
        return None
    if fits is not None:
        need = getattr(fits.get("classes"), "need", None)
        return None if need is None else need.engine_map()
    if catalog is None or config.product_col is None:
        return None
    from kamseg.features._needs import need_map, read_catalog

    try:  # the need level's options in the job (kamseg.classification)
        cat = read_catalog(
            catalog,
            func=_FUNC,
            key_col=config.product_col,
            level_col="need_level",
            category_col="category",
        )
    except KamsegError:
        return None
    return need_map(cat)


def fitted_need(fits: Mapping[str, Any] | None) -> bool:
    """Whether a model's parts hold a fitted need level (which reads the product column)."""
    classes = None if fits is None else fits.get("classes")
    return getattr(classes, "need", None) is not None


def load_step_libraries(steps: tuple[str, ...], *, catalog: bool = False) -> None:
    """Load the native libraries whose thread pools the steps use, so that the job's
    thread limit reaches them: scikit-learn's OpenMP runtime (churn; it loads scipy's BLAS
    too) or scipy's BLAS (clv; or the KD-tree of the classes' latent needs, with a
    `catalog`: scipy's BLAS comes with it). numpy's BLAS is loaded already.
    The churn step's model modules (boosting, calibration) are imported with them, once,
    not while the model is fitted, and so are kamseg's modules of the steps
    (:data:`_STEP_MODULES`). (The CLI loads them before it starts its progress clock, as
    it imports everything else.)"""
    import importlib

    if "churn" in steps:
        for module in ("sklearn", "sklearn.ensemble", "sklearn.calibration", "sklearn.frozen"):
            importlib.import_module(module)
    elif catalog and "classes" in steps:
        importlib.import_module("scipy.spatial")
    elif "clv" in steps:
        importlib.import_module("scipy.linalg")
    for step in steps:
        for module in _STEP_MODULES.get(step, ()):
            importlib.import_module(module)


#: The kamseg modules each step of a job imports when it runs.
_STEP_MODULES: dict[str, tuple[str, ...]] = {
    "rfm": ("kamseg.rfm",),
    "clv": ("kamseg.clv",),
    "pareto": ("kamseg.pareto",),
    "key_accounts": ("kamseg.accounts",),
    "classes": (
        "kamseg.classification",
        "kamseg.lifecycle",
        "kamseg.needs",
        "kamseg.satisfaction",
        "kamseg.behaviour",
        "kamseg.value",
    ),
    "health": ("kamseg.health",),
    "warnings": ("kamseg.alerts",),
    "churn": ("kamseg.churn",),
}
