"""Fit once, apply anywhere: what :func:`kamseg.segment` learns from a customer base, frozen.

:func:`fit_segments` runs the whole job on a base and keeps what each step learned: RFM cut
points, the purchase and spend models, Pareto and pyramid thresholds, the key-account
normalisation and selection threshold, the class thresholds, the rhythm base gap, the
latent-needs reference profiles, the health normalisation and the churn model, with the
config and the `as_of` of the fit. :meth:`SegmentModel.apply` labels customers with those
frozen values, row by row: scoring a subset of customers gives exactly the rows that
scoring everyone gives, and scoring the base again gives the fitted table
(``segment(data) == fit_segments(data).apply(data)``).

:meth:`SegmentModel.save` writes one versioned file (JSON and ``.npy`` arrays in a zip, no
pickle); :meth:`SegmentModel.load` reads it back and refuses files of another format
version. Scoring a loaded model imports neither scikit-learn nor scipy unless the steps it
runs need them (the churn trees are scored with numpy).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import os
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from kamseg import _state
from kamseg._job import ENGINE_NOTE
from kamseg._park import ParkedColumns
from kamseg._state import state
from kamseg.config import SegmentConfig
from kamseg.errors import KamsegWarning, ModelFileError

__all__ = ["FORMAT", "FORMAT_VERSION", "ModelFileError", "SegmentModel", "fit_segments"]

#: The ``format`` of a saved model's header.
FORMAT = "kamseg-segment-model"
#: The format version this kamseg writes and reads; a file of another version is refused.
FORMAT_VERSION = 1

_FUNC = "fit_segments"


@state("model.SegmentModel")
@dataclasses.dataclass(frozen=True, repr=False)
class SegmentModel:
    """What :func:`fit_segments` learned from a customer base; label customers with
    :meth:`apply`, write it with :meth:`save`, read it with :meth:`load`.

    Attributes
    ----------
    config
        The settings of the fit (a plain dict; :attr:`segment_config` rebuilds the
        :class:`~kamseg.SegmentConfig`).
    as_of
        The observation date of the fit; :meth:`apply` works as of it unless told otherwise.
    freq
        The period of the BTYD columns ("D", "W", "M").
    parts
        Each step's fitted part, by name (e.g. ``"rfm"``, ``"clv"``, ``"classes"``).
    steps
        The steps the fit ran, in order.
    skipped, limited
        The steps the fit skipped, and the parts it left out, with reasons (as
        ``attrs["kamseg_skipped"]`` and ``attrs["kamseg_limited"]`` of :func:`segment`).
    n_customers
        The customers of the fitted base (rows of its table).
    kamseg_version
        The kamseg version that fitted the model.
    schema
        The dtype of each column of the fitted table (categoricals with their categories):
        :meth:`apply` gives its columns these dtypes, so that a few customers get the
        dtypes of the whole base (e.g. float scores where the base's prospects have none).
    """

    config: Mapping[str, Any]
    as_of: pd.Timestamp
    freq: str
    parts: Mapping[str, Any]
    steps: tuple[str, ...]
    skipped: Mapping[str, str]
    limited: Mapping[str, str]
    n_customers: int
    kamseg_version: str
    schema: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def segment_config(self) -> SegmentConfig:
        """The :class:`~kamseg.SegmentConfig` of the fit."""
        return SegmentConfig.from_dict(dict(self.config))

    def apply(
        self,
        transactions: Any,
        *,
        master: pd.DataFrame | None = None,
        surveys: pd.DataFrame | None = None,
        complaints: pd.DataFrame | None = None,
        catalog: pd.DataFrame | None = None,
        as_of: Any = None,
        progress: Any = None,
    ) -> pd.DataFrame:
        """Label customers with what the model learned: one row per customer, the columns
        of :func:`kamseg.segment`.

        Parameters
        ----------
        transactions
            The transactions of the customers to label (any input :func:`kamseg.segment`
            takes), with the column names of the fit's config. Each customer is labelled
            from its own rows and side-table rows only. A PySpark DataFrame is labelled in
            Spark by :func:`kamseg.model_spark.apply_spark` (side tables pandas or Spark)
            and gives a PySpark DataFrame.
        master, surveys, complaints, catalog
            Side tables, as for :func:`kamseg.segment` (give those the fit had, for the
            same columns).
        as_of
            Observation date; default the fit's `as_of` (then later transactions are left
            out, with the summary's warning). Give a later date to score later data with
            the same thresholds and models.
        progress
            As for :func:`kamseg.segment`.

        Returns
        -------
        DataFrame
            Indexed by customer id; ``attrs`` as :func:`kamseg.segment` sets them.

        Examples
        --------
        >>> import kamseg
        >>> data = kamseg.datasets.make_transactions(n_customers=300, seed=3)
        >>> config = kamseg.SegmentConfig(steps=("rfm", "clv", "pareto"))
        >>> model = kamseg.fit_segments(data.transactions, config=config)
        >>> cid = data.transactions["customer_id"].iloc[0]
        >>> row = model.apply(data.transactions[data.transactions["customer_id"] == cid])
        >>> base = model.apply(data.transactions)
        >>> row.equals(base.loc[[cid]])
        True
        """
        from kamseg.model_spark import is_spark_frame

        if is_spark_frame(transactions):  # labelled in Spark: a Spark DataFrame
            from kamseg.model_spark import apply_spark

            return apply_spark(  # type: ignore[return-value]
                self,
                transactions,
                master=master,
                surveys=surveys,
                complaints=complaints,
                catalog=catalog,
                as_of=as_of,
            )
        from kamseg.pipeline import run_job

        with ParkedColumns("segment") as park:  # a large table's columns, as the fit's job
            table, job = run_job(
                transactions,
                master=master,
                surveys=surveys,
                complaints=complaints,
                catalog=catalog,
                config=self.segment_config,
                as_of=self.as_of if as_of is None else as_of,
                progress=progress,
                fits=dict(self.parts),
                fit_skipped=self.skipped,
                park=park,
            )
            table = job.whole(table)
        # what the fit left out stays said (e.g. a churn window shortened for the history)
        limited = table.attrs.get("kamseg_limited", {})
        table.attrs["kamseg_limited"] = {**self.limited, **limited}
        return conform(table, self.schema)

    # --- files ---------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model to one file (JSON and ``.npy`` arrays in a zip; no pickle).

        The file is written next to `path` and renamed into place, so a reader never sees
        half a model.
        """
        import kamseg

        header = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "kamseg_version": kamseg.__version__,
            "written": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "as_of": self.as_of.isoformat(),
            "steps": list(self.steps),
        }
        target = os.fspath(path)
        tmp = f"{target}.{os.getpid()}.tmp"
        try:
            _state.write(tmp, self, header)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SegmentModel:
        """Read a model written by :meth:`save`.

        Raises
        ------
        ModelFileError
            If the file is not a kamseg model, is corrupt, or was written in another format
            version (the message names both versions).
        FileNotFoundError
            If there is no such file.
        """
        path = os.fspath(path)
        if not os.path.exists(path):
            raise FileNotFoundError(f"SegmentModel.load: no such file {path!r}")
        header = _state.read_header(path)
        if header.get("format") != FORMAT:
            raise ModelFileError(
                f"SegmentModel.load: {path!r} is not a kamseg segment model (format "
                f"{header.get('format')!r})."
            )
        version = header.get("format_version")
        if version != FORMAT_VERSION:
            raise ModelFileError(
                f"SegmentModel.load: {path!r} has model format version {version!r} (written "
                f"by kamseg {header.get('kamseg_version')}); this kamseg reads version "
                f"{FORMAT_VERSION}. Hint: fit the model again with this kamseg "
                "(kamseg segment ... --save-model)."
            )
        model = _state.read(path)
        if not isinstance(model, cls):
            raise ModelFileError(f"SegmentModel.load: {path!r} does not hold a segment model.")
        return model

    # --- what was learned ----------------------------------------------------------------

    def summary(self) -> pd.DataFrame:
        """What each step learned, one row per part (and per part of a composed one, e.g.
        ``classes.value``): its kind and the main values learned, then its options."""
        rows = []
        for name, part in self.parts.items():
            rows.append({"part": name, "kind": type(part).__name__, "learned": _describe(part)})
            for f in dataclasses.fields(part):
                inner = getattr(part, f.name)
                if hasattr(inner, "__kamseg_state__") and not hasattr(inner, "params"):
                    rows.append(
                        {
                            "part": f"{name}.{f.name}",
                            "kind": type(inner).__name__,
                            "learned": _describe(inner),
                        }
                    )
        for name, reason in self.skipped.items():
            rows.append({"part": name, "kind": "skipped", "learned": reason})
        return pd.DataFrame(rows, columns=["part", "kind", "learned"]).set_index("part")

    def __repr__(self) -> str:
        parts = ", ".join(self.parts)
        return (
            f"SegmentModel(as_of={self.as_of.date()}, freq={self.freq!r}, "
            f"n_customers={self.n_customers}, steps={list(self.steps)}, parts=[{parts}])"
        )


def table_schema(table: pd.DataFrame) -> dict[str, Any]:
    """Each column's dtype as text; a categorical's as its categories and order."""
    return dtypes_schema(table.dtypes.items())


def dtypes_schema(dtypes: Iterable[tuple[Any, Any]]) -> dict[str, Any]:
    """:func:`table_schema` of the (column, dtype) pairs `dtypes`."""
    schema: dict[str, Any] = {}
    for col, dtype in dtypes:
        if isinstance(dtype, pd.CategoricalDtype):
            schema[str(col)] = {
                "categories": [str(c) for c in dtype.categories],
                "ordered": bool(dtype.ordered),
            }
        else:
            schema[str(col)] = str(dtype)
    return schema


def conform(table: pd.DataFrame, schema: Mapping[str, Any]) -> pd.DataFrame:
    """`table` with the dtypes of `schema` where they differ and the values allow it
    (ints where the base had floats, bools where it had objects, categories)."""
    changes = {}
    for col in table.columns:
        want = schema.get(str(col))
        if want is None:
            continue
        have = table[col].dtype
        if isinstance(want, Mapping):
            target: Any = pd.CategoricalDtype(list(want["categories"]), bool(want["ordered"]))
            if have == target:
                continue
        elif str(have) == want:
            continue
        else:
            target = want
        try:
            changes[col] = table[col].astype(target)
        except (TypeError, ValueError):  # e.g. NaN where the base had only ints
            continue
    if not changes:
        return table
    out = table.assign(**{str(c): v for c, v in changes.items()})
    out.attrs = table.attrs
    return out


def _describe(part: Any, limit: int = 8) -> str:
    """A short text of what a part learned (numbers, small arrays, model parameters; the
    sizes of large arrays) first, then its options (names, flags)."""
    learned: list[str] = []
    options: list[str] = []
    for f in dataclasses.fields(part):
        value = getattr(part, f.name)
        text = _short(value)
        if text is not None:
            kind = learned if _is_learned(value) else options
            kind.append(f"{f.name}={text}")
    return "; ".join((learned + options)[:limit])


def _is_learned(value: Any) -> bool:
    import numpy as np

    if isinstance(value, bool) or value is None or isinstance(value, str):
        return False
    if isinstance(value, Mapping):
        return any(_is_learned(v) for v in value.values())
    if isinstance(value, tuple):
        return any(_is_learned(v) for v in value)
    return isinstance(value, int | float | np.ndarray) or dataclasses.is_dataclass(value)


def _short(value: Any, depth: int = 0) -> str | None:
    """`value` in a few characters, or None to leave it out."""
    import numpy as np

    if hasattr(value, "params") and hasattr(value, "model"):  # a clv FitResult
        shown = ", ".join(f"{k}={v:.4g}" for k, v in value.params.items())
        return f"{value.model}({shown})"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, bool | int | str) or value is None:
        return repr(value)
    if isinstance(value, np.ndarray):
        if value.size <= 6 and value.dtype.kind in "fiub":
            return "[" + ", ".join(f"{x:.4g}" for x in value.tolist()) + "]"
        return f"<{value.size} values>"
    if isinstance(value, Mapping) and depth == 0 and len(value) <= 6:
        pairs = [(k, _short(v, depth + 1)) for k, v in value.items()]
        return "{" + ", ".join(f"{k}: {t}" for k, t in pairs if t is not None) + "}"
    if isinstance(value, tuple) and len(value) <= 6:
        texts = [_short(v, depth + 1) for v in value]
        return "(" + ", ".join(t for t in texts if t is not None) + ")"
    if dataclasses.is_dataclass(value):
        return type(value).__name__
    return None


def fit_segments(
    transactions: Any,
    *,
    master: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
    complaints: pd.DataFrame | None = None,
    catalog: pd.DataFrame | None = None,
    config: SegmentConfig | None = None,
    as_of: Any = None,
    progress: Any = None,
) -> SegmentModel:
    """Learn from a customer base what :func:`kamseg.segment` learns, frozen in a model.

    Takes the arguments of :func:`kamseg.segment` and runs the same job; the model's
    :meth:`~SegmentModel.apply` on the same data gives the table :func:`kamseg.segment`
    gives.

    A PySpark DataFrame (side tables pandas or Spark) is collected to the driver through
    Arrow (the columns the job reads) and fitted as on pandas, up to
    ``config.pandas_max_rows`` rows; above that the model is fitted on the rows of a
    deterministic hash sample of customers, an estimate (``model.limited["fit"]`` and a
    :class:`~kamseg.errors.KamsegWarning` say so). See :mod:`kamseg.model_spark`.

    Examples
    --------
    >>> import kamseg
    >>> data = kamseg.datasets.make_transactions(n_customers=300, seed=3)
    >>> config = kamseg.SegmentConfig(steps=("rfm", "clv", "pareto"))
    >>> model = kamseg.fit_segments(data.transactions, config=config)
    >>> model.steps
    ('summary', 'rfm', 'clv', 'pareto')
    >>> model.apply(data.transactions).equals(kamseg.segment(data.transactions, config=config))
    True
    """
    model, _ = fit_and_label(
        transactions,
        master=master,
        surveys=surveys,
        complaints=complaints,
        catalog=catalog,
        config=config,
        as_of=as_of,
        progress=progress,
    )
    return model


def fit_and_label(
    transactions: Any,
    *,
    master: pd.DataFrame | None,
    surveys: pd.DataFrame | None,
    complaints: pd.DataFrame | None,
    catalog: pd.DataFrame | None,
    config: SegmentConfig | None,
    as_of: Any,
    progress: Any,
    func: str = _FUNC,
    park: ParkedColumns | None = None,
) -> tuple[SegmentModel, pd.DataFrame]:
    """The model and the fitted base's table, from one run of the job (`func`: the
    function named in the notices).

    A large table's columns are parked while the steps run (:mod:`kamseg._park`) and put
    back at the end; with the caller's `park`, those it holds stay there (the table
    returned is without them: ``park.restore``, ``park.select`` and ``park.write_parquet``
    give them), and the model's schema is the whole table's all the same."""
    with contextlib.ExitStack() as stack:
        own = park is None
        if park is None:  # a large table's columns, parked while the steps run
            park = stack.enter_context(ParkedColumns(func))
        import kamseg
        from kamseg.model_spark import is_spark_frame
        from kamseg.pipeline import checked_config, load_transactions, run_job

        config = checked_config(config, func)
        sampled = None
        if is_spark_frame(transactions):  # collected (or a sample of customers), fitted on pandas
            from kamseg.model_spark import fit_inputs

            rows, sides, as_of, sampled = fit_inputs(
                transactions,
                master=master,
                surveys=surveys,
                complaints=complaints,
                catalog=catalog,
                config=config,
                as_of=as_of,
            )
            master, surveys = sides["master"], sides["surveys"]
            complaints, catalog = sides["complaints"], sides["catalog"]
            if sampled is not None:
                from kamseg._validation import warn

                warn(
                    f"{func}: {sampled}. Hint: raise config.pandas_max_rows to fit on every "
                    "row (the driver then holds them all).",
                    stacklevel=4,
                )
            elif rows is not None:  # every row, collected: the pandas job
                transactions = rows
        table, job = run_job(
            transactions,
            master=master,
            surveys=surveys,
            complaints=complaints,
            catalog=catalog,
            config=config,
            as_of=as_of,
            progress=progress,
            park=park,
        )
        # the dtypes of the table's columns (the parked ones: as put back, below), each after
        # those of the sample's job's table, with the columns labelled later after them
        columns = job.columns(table)
        sample_schema: dict[str, Any] = {}
        if not job.in_pandas and set(_ROW_STEPS) & set(config.steps):
            # an engine input: the parts that read rows, from the rows of a sample of customers
            on_spark = is_spark_frame(transactions)
            tx = transactions if on_spark else load_transactions(transactions, config)
            if callable(progress):  # the caller's progress callback (not True: a bar)
                progress("sample: the need level and churn model on customers' rows")
            if sampled is None:  # DuckDB (a Spark input's sample is collected above)
                rows, sampled = _engine_sample(tx, config, func)
            assert rows is not None  # a Spark input with a step that reads rows: its sample
            # only the need level and the churn model are taken from the sample's job, and
            # neither reads the master, surveys or complaints: the other classes are not fitted
            sample_job, sample_table = _fit_on_rows(
                rows, config=config, as_of=table.attrs["as_of"], catalog=catalog
            )
            on_engine = job.need_inputs is not None  # DuckDB: labelled from the engine's sums
            _merge_row_parts(job, sample_job, rows_in_engine=not on_spark and not on_engine)
            sample_schema = table_schema(sample_table)
            del rows, sample_job, sample_table  # fitted: memory for the labelling below
            if on_engine and getattr(job.fits.get("classes"), "need", None) is not None:
                table = job.need_on_engine(table)
            job.need_inputs = None  # every customer's category spend: read
            if "churn" in job.fits and on_spark:  # kamseg.model_spark.apply_spark labels rows
                job.steps.append("churn")
            elif "churn" in job.fits:  # DuckDB: the table is scored from the engine's aggregates
                table = job.churn_on_engine(table, tx)
            job.release_daily()
        dtypes = None if own else park.dtypes(table)  # the whole table's, parked or not
        if dtypes is None:
            table = job.whole(table)
            dtypes = dict(table.dtypes.items())
        final = dtypes_schema(dtypes.items())
        schema = {**sample_schema, **{str(c): final[str(c)] for c in columns}, **final}

        if sampled is not None:
            job.limited["fit"] = sampled
        model = SegmentModel(
            config=config.to_dict(),
            as_of=pd.Timestamp(table.attrs["as_of"]),
            freq=str(table.attrs.get("freq", config.freq)),
            parts=job.parts(),
            steps=tuple(job.steps),
            skipped=dict(job.skipped),
            limited=dict(job.limited),
            n_customers=len(table),
            kamseg_version=kamseg.__version__,
            schema=schema,
        )
        table.attrs["kamseg_steps"] = list(model.steps)
        table.attrs["kamseg_skipped"] = dict(model.skipped)
        table.attrs["kamseg_limited"] = dict(model.limited)
        return model, table


#: The steps whose parts read transaction rows beyond the engine's summary and activity:
#: the need level (in the classes) and the churn model.
_ROW_STEPS = ("classes", "churn")


def _fit_on_rows(
    rows: pd.DataFrame, *, config: SegmentConfig, **inputs: Any
) -> tuple[Any, pd.DataFrame]:
    """The job of the steps that read rows, fitted on the rows of a sample of customers
    (its notices are the whole data's, given by the fit on every row: not repeated)."""
    from kamseg.pipeline import run_job

    steps = tuple(s for s in _ROW_STEPS if s in config.steps)
    sides = {"master": None, "surveys": None, "complaints": None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        table, job = run_job(
            rows, config=config.replace(steps=steps), progress=None, **sides, **inputs
        )
    return job, table


def _engine_sample(tx: Any, config: SegmentConfig, func: str) -> tuple[pd.DataFrame, str | None]:
    """The rows of a deterministic hash sample of customers of a DuckDB input `tx` (at most
    ``config.pandas_max_rows``), and the note that says so (None: every row)."""
    from kamseg.summary._common import SAMPLE_MAX_ROWS, sample_note
    from kamseg.summary._duckdb import sample_rows

    rows, n_rows, n_sampled = sample_rows(
        tx,
        columns=[str(c) for c in config.transaction_columns],
        customer_col=str(config.customer_col),
        max_rows=min(config.pandas_max_rows, SAMPLE_MAX_ROWS),
    )
    if n_sampled == n_rows:  # every row (engine="duckdb" on a small input)
        return rows, None
    n_customers = rows[config.customer_col].nunique()
    note = sample_note("DuckDB", n_rows, config.pandas_max_rows, n_sampled, n_customers)
    from kamseg._validation import warn

    hint = (
        "raise config.pandas_max_rows to fit on every row in pandas (the process then "
        "holds them all)"
        if n_rows > config.pandas_max_rows
        else "engine='pandas' (--engine pandas) fits on every row in pandas"
    )
    warn(f"{func}: {note}. Hint: {hint}.", stacklevel=5)
    return rows, note


def _merge_row_parts(job: Any, sample: Any, *, rows_in_engine: bool) -> None:
    """Take the need level and the churn model of the `sample` job into the parts of the
    `job` on every row (which had no rows to fit them on), with their notes. The classes'
    note is the one its apply gives: with `rows_in_engine` (DuckDB), the need level is
    skipped for want of rows in pandas; otherwise (Spark) every partition has its rows."""
    classes, on_sample = job.fits.get("classes"), sample.fits.get("classes")
    if classes is not None and on_sample is not None:
        need = [t for t in on_sample.skipped if t.startswith("need")]  # its own reason
        kept = [u for t in classes.skipped for u in (need if t.startswith("need") else [t])]
        job.fits["classes"] = dataclasses.replace(
            classes, need=on_sample.need, skipped=tuple(kept)
        )
        # the note of the dimensions skipped (kamseg.classification), as the apply says it
        said = "skipped " + "; ".join(classes.skipped) if classes.skipped else ""
        rows_needed = rows_in_engine and on_sample.need is not None
        unlabelled = [*kept, "need (no transactions)"] if rows_needed else kept
        notes = [n for n in job.limited.get("classes", "").split("; ") if n != ENGINE_NOTE]
        note = "; ".join(notes)
        skip = "skipped " + "; ".join(unlabelled) if unlabelled else ""
        note = (
            note.replace(said, skip)
            if said and said in note
            else "; ".join(x for x in (note, skip) if x)
        )
        note = "; ".join(x for x in (note, ENGINE_NOTE if rows_needed else "") if x)
        job.limited["classes"] = note  # in its place
        if not note:
            del job.limited["classes"]
    if "churn" in sample.fits:
        job.fits["churn"] = sample.fits["churn"]
        job.skipped.pop("churn", None)
        if "churn" in sample.limited:
            job.limited["churn"] = sample.limited["churn"]
    elif "churn" in sample.skipped:
        job.skipped["churn"] = sample.skipped["churn"]
