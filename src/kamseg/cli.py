"""Command-line interface: ``kamseg demo``, ``kamseg segment``, ``kamseg score`` and
``kamseg rfm``.

Exit codes: 0 success; 2 bad input, bad options or a file that cannot be read or written
(one line on stderr, no traceback, nothing written); 1 an unexpected internal error.
Data-quality warnings are printed to stderr as ``kamseg: warning: ...`` lines.

Files: every output of a run (table, report, settings) is written to a hidden temporary
file and all are moved into place only when the whole run has succeeded; an output path
that is one of the inputs is refused before any work; CSV id columns are read as text (only
an empty cell is a missing id); text in CSV output that a spreadsheet would run as a
formula is escaped (``--no-escape-formulas`` keeps it as it is).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from kamseg._cli_parts import SETTING_OPTIONS as _SETTING_OPTIONS
from kamseg._cli_parts import SUMMARY_READS
from kamseg._cli_parts import print_summary as _print_summary
from kamseg._cli_parts import segment_table as _segment_table
from kamseg._files import StagedWrites, read_csv, staged_writes
from kamseg._park import ParkedColumns
from kamseg.config import SegmentConfig
from kamseg.labels import Language

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["main"]

_PROG = "kamseg"
_READERS = (".csv", ".parquet", ".pq")
_USE = "use .csv, .parquet or .pq"
_ON_OFF = argparse.BooleanOptionalAction  # --dropna / --no-dropna
_GLOB = "*?["


class _UsageError(Exception):
    """A problem with the command line or the files named on it (exit code 2)."""


def _suffix(path: Path, arg: str) -> str:
    suffix = path.suffix.lower()
    if suffix in _READERS:
        return suffix
    if not suffix:
        raise _UsageError(
            f"{arg} {str(path)!r}: no file extension, and the file type is read from it; {_USE}"
        )
    raise _UsageError(f"{arg} {str(path)!r}: unknown file type {suffix!r}; {_USE}")


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _reader_errors() -> tuple[type[BaseException], ...]:
    """The exception types of the Parquet readers (pyarrow, DuckDB) that are imported.

    Looked up when an exception is matched, so neither is imported for it."""
    found: list[type[BaseException]] = []
    arrow = sys.modules.get("pyarrow.lib")
    if arrow is not None:
        found.append(arrow.ArrowException)
    duckdb = sys.modules.get("duckdb")
    if duckdb is not None:
        found.append(duckdb.Error)
    return tuple(found)


def _not_utf8(arg: str, path: Path, exc: UnicodeDecodeError, kind: str) -> _UsageError:
    byte = exc.object[exc.start : exc.start + 1].hex() if exc.object else "?"
    return _UsageError(
        f"{arg} {str(path)!r}: not UTF-8 text (byte 0x{byte} is not UTF-8; e.g. GBK or "
        f"Latin-1). Hint: save the {kind} as UTF-8 (in Excel: CSV UTF-8)"
    )


def read_table(
    path: str | Path, *, str_columns: Sequence[str] = (), arg: str = "input"
) -> pd.DataFrame:
    """Read a CSV or Parquet file, chosen by extension.

    In a CSV file the `str_columns` (ids) are read as text, and only their empty cells are
    missing; the other columns get pandas' usual types and NA strings. Any problem (no such
    file, a folder, an empty file, text that is not UTF-8, a damaged Parquet file) raises
    an error naming `arg` and the path.
    """
    import pandas as pd

    p = Path(path)
    suffix = _suffix(p, arg)
    if not p.exists():
        raise _UsageError(f"{arg} {str(p)!r}: no such file")
    if suffix == ".csv" and p.is_dir():
        raise _UsageError(f"{arg} {str(p)!r}: is a folder, not a CSV file")
    if p.is_file() and p.stat().st_size == 0:
        raise _UsageError(f"{arg} {str(p)!r}: the file is empty")
    try:
        if suffix == ".csv":
            return read_csv(p, id_columns=str_columns, func=arg)
        return pd.read_parquet(p)
    except UnicodeDecodeError as exc:
        raise _not_utf8(arg, p, exc, "file") from exc
    except Exception as exc:
        if not isinstance(exc, (OSError, ValueError, *_reader_errors())):
            raise
        raise _UsageError(f"{arg} {str(p)!r}: cannot read: {_first_line(exc)}") from exc


@contextmanager
def _reading(arg: str, path: Path | None) -> Iterator[None]:
    """Errors of the Parquet readers inside the block, as one line naming the file."""
    if path is None:
        yield
        return
    try:
        yield
    except _reader_errors() as exc:
        raise _UsageError(
            f"{arg} {str(path)!r}: cannot read as Parquet: {_first_line(exc)}"
        ) from exc


def _load_config(path: str) -> SegmentConfig:
    """The settings of a TOML file; a missing, non-UTF-8 or invalid file is one line."""
    p = Path(path)
    if not p.exists():
        raise _UsageError(f"config {path!r}: no such file")
    if p.is_dir():
        raise _UsageError(f"config {path!r}: is a folder, not a TOML file")
    try:
        p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8("config", p, exc, "settings file") from exc
    return SegmentConfig.from_toml(p)


def _same_file(a: Path, b: Path) -> bool:
    """Whether `a` and `b` are one file: ``os.path.samefile`` when both exist (links,
    case-insensitive disks), else the resolved paths."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):  # e.g. a link loop
        return a.absolute() == b.absolute()


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _check_outputs(outputs: dict[str, Path | None], inputs: dict[str, Path | None]) -> None:
    """Refuse, before any work, an output that cannot be written or would overwrite an
    input (or another output): the files are compared after resolving links."""
    import fnmatch
    import glob

    named = [(arg, path) for arg, path in outputs.items() if path is not None]
    for i, (arg, path) in enumerate(named):
        if path.is_dir():
            raise _UsageError(f"{arg} {str(path)!r}: is a folder; name a file")
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.is_dir():
            raise _UsageError(f"{arg} {str(path)!r}: folder {str(folder)!r} does not exist")
        for other_arg, other in named[:i]:
            if _same_file(path, other):
                raise _UsageError(
                    f"{other_arg} {str(other)!r} and {arg} {str(path)!r} are the same file. "
                    "Hint: give each output its own path"
                )
        for in_arg, source in inputs.items():
            if source is None:
                continue
            text = str(source)
            if source.is_dir():  # a folder of Parquet files: the next run would read it
                clash = path.suffix.lower() == ".parquet" and _inside(path, source)
            elif any(ch in text for ch in _GLOB) and not source.exists():
                clash = any(_same_file(path, Path(f)) for f in glob.glob(text, recursive=True))
                clash = clash or fnmatch.fnmatch(str(path.resolve()), str(source.resolve()))
            else:
                clash = _same_file(path, source)
            if clash:
                raise _UsageError(
                    f"{arg} {str(path)!r} would overwrite the {in_arg} {text!r}. "
                    "Hint: write the output to another path"
                )


def _stage(stage: StagedWrites, arg: str, path: Path, write: Callable[[Path], object]) -> None:
    """Write `path` in `stage`; a write that fails is one line naming `path`."""
    try:
        stage.write(path, write)
    except OSError as exc:
        raise _UsageError(f"{arg} {str(path)!r}: cannot write: {exc.strerror or exc}") from exc
    except _reader_errors() as exc:  # e.g. a column pyarrow cannot store
        raise _UsageError(f"{arg} {str(path)!r}: cannot write: {_first_line(exc)}") from exc


def _stage_table(
    stage: StagedWrites, df: pd.DataFrame, path: Path, *, arg: str, escape: bool
) -> None:
    """Stage `df` (with its index) as CSV or Parquet by extension; in CSV, text that a
    spreadsheet would run as a formula is escaped when `escape` (see escape_formulas)."""
    if _suffix(path, arg) == ".csv":
        from kamseg._files import escape_formulas

        frame = escape_formulas(df) if escape else df
        _stage(stage, arg, path, frame.to_csv)
    else:
        _stage(stage, arg, path, df.to_parquet)


def write_table(df: pd.DataFrame, path: str | Path, *, escape: bool = True) -> None:
    """Write `df` (with its index) to CSV or Parquet by extension, atomically.

    The table goes to a temporary file in the target folder that is renamed over `path`
    only once it is complete, so a failure never leaves a partial output file. In CSV,
    text cells that start like a formula are escaped (:func:`kamseg._files.escape_formulas`)
    unless `escape` is False.
    """
    p = Path(path)
    _check_outputs({"output": p}, {})
    with staged_writes() as stage:
        _stage_table(stage, df, p, arg="output", escape=escape)


@contextmanager
def _warnings_to_stderr() -> Iterator[None]:
    """Print warnings raised inside the block as one ``kamseg: warning:`` line each."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for w in caught:
                print(f"{_PROG}: warning: {w.message}", file=sys.stderr)


def _progress(quiet: bool, force: bool = False) -> Callable[[str], None]:
    """Print progress lines on stderr when it is a terminal (or `force`), unless quiet."""
    import time

    if quiet or not (force or sys.stderr.isatty()):
        return lambda message: None
    start = time.perf_counter()

    def say(message: str) -> None:
        print(f"{_PROG}: [{time.perf_counter() - start:6.1f} s] {message}", file=sys.stderr)

    return say


def _report_rows(table: pd.DataFrame, transactions: object) -> object:
    """The rows for the report's key-account performance: the transactions when they are
    in memory and the table has key accounts, else None (the section is left out)."""
    import pandas as pd

    from kamseg.transactions import PreparedTransactions

    if not isinstance(transactions, pd.DataFrame | PreparedTransactions):
        return None
    if "is_key_account" not in table.columns or not table["is_key_account"].any():
        return None
    return transactions


def _write_outputs(
    table: pd.DataFrame,
    output: Path,
    report: Path | None,
    *,
    transactions: object,
    labels: Language,
    say: Callable[[str], None],
    escape: bool,
    config: SegmentConfig | None = None,
    config_path: Path | None = None,
    csv_copy: Path | None = None,
    model: Any = None,
    model_path: Path | None = None,
    park: ParkedColumns | None = None,
) -> None:
    """Write the table, the report and the settings used, all or none of them (the table
    with the columns `park` holds, written from their files: only to Parquet).

    Each file is written to a hidden temporary file next to its target; they are renamed
    into place only once every one of them is complete, so a failure (a full disk, a report
    that cannot be drawn) leaves no new file behind and every existing file as it was."""
    with staged_writes() as stage:
        say(f"writing {output}")
        if park is not None and park.parked:
            parked = park

            def write(tmp: Path) -> None:
                if not parked.write_parquet(table, tmp):  # rows it cannot write in pieces
                    parked.restore(table).to_parquet(tmp)

            _stage(stage, "output", output, write)
        else:
            _stage_table(stage, table, output, arg="output", escape=escape)
        if report is not None:
            from kamseg.report import write_report

            say(f"writing {report}")
            rows: Any = _report_rows(table, transactions)

            def render(tmp: Path) -> None:
                write_report(table, tmp, transactions=rows, labels=labels)

            _stage(stage, "report", report, render)
        if csv_copy is not None:
            say(f"writing {csv_copy}")
            _stage_table(stage, table, csv_copy, arg="output", escape=escape)
        if config is not None and config_path is not None:
            settings = config

            def save(tmp: Path) -> None:
                settings.to_toml(tmp)

            say(f"writing {config_path}")
            _stage(stage, "save-config", config_path, save)
        if model is not None and model_path is not None:
            fitted = model
            say(f"writing {model_path}")
            _stage(stage, "save-model", model_path, lambda tmp: fitted.save(tmp))
    say("done")


def _make_folder(folder: Path) -> list[Path]:
    """Create `folder` (and its parents); return the folders created, deepest first."""
    created = []
    p = folder
    while not p.exists() and p != p.parent:
        created.append(p)
        p = p.parent
    folder.mkdir(parents=True, exist_ok=True)
    return created


def _cmd_demo(args: argparse.Namespace) -> int:
    from kamseg.datasets import make_transactions
    from kamseg.pipeline import segment

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise _UsageError(f"--out {str(out)!r}: is a file, not a folder")
    names = ("customers.parquet", "report.html", "customers.csv", "kamseg.toml")
    for name in names if out.is_dir() else ():
        _check_outputs({"output": out / name}, {})  # e.g. a folder in the way
    say = _progress(args.quiet)
    say("making the demo data")
    data = make_transactions(n_customers=args.n_customers, seed=args.seed)
    config = SegmentConfig(
        profit_col="profit", order_col="order_id", labels=args.labels, n_jobs=args.n_jobs
    )
    table = segment(
        data.transactions,
        master=data.master,
        surveys=data.surveys,
        complaints=data.complaints,
        catalog=data.catalog,
        config=config,
        progress=say,
    )
    created = _make_folder(out)  # after the work: a failed run leaves no empty folder
    try:
        _write_outputs(
            table,
            out / "customers.parquet",
            out / "report.html",
            transactions=data.transactions,
            labels=args.labels,
            say=say,
            escape=True,
            config=config,
            config_path=out / "kamseg.toml",
            csv_copy=out / "customers.csv",
        )
    except BaseException:
        for folder in created:
            with suppress(OSError):
                folder.rmdir()  # only if still empty
        raise
    print(f"kamseg demo: {len(data.transactions):,} transactions of synthetic demo data")
    _print_summary(table)
    print(
        f"\nwrote {out / 'customers.parquet'}, {out / 'customers.csv'}, "
        f"{out / 'report.html'} and the settings used, {out / 'kamseg.toml'}"
    )
    return 0


def _shown(value: object) -> str:
    """A default as the help shows it."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return "none" if value is None else str(value)


def _read_transactions(source: Path, config: SegmentConfig) -> object:
    """The transactions of ``kamseg segment``: a table read here (CSV; Parquet when the
    engine is pandas), or the Parquet path, folder or glob for the engine to read."""
    suffix = source.suffix.lower()
    if suffix in (".csv", ".pq"):
        return read_table(source, str_columns=[config.customer_col])
    if suffix not in (".parquet", ""):
        _suffix(source, "input")  # raises: unknown file type
    if not (any(ch in str(source) for ch in _GLOB) and not source.exists()):
        if not source.exists():
            raise _UsageError(f"input {str(source)!r}: no such file or folder")
        if not source.is_dir():
            _suffix(source, "input")  # a file without an extension
            if source.stat().st_size == 0:
                raise _UsageError(f"input {str(source)!r}: the file is empty")
    from kamseg.pipeline import load_transactions

    with _reading("input", source):
        return load_transactions(str(source), config)


def _report_path(args: argparse.Namespace) -> Path | None:
    report = None if args.report is None else Path(args.report)
    if report is not None and report.suffix.lower() not in (".html", ".htm"):
        raise _UsageError(f"report {str(report)!r}: the report is HTML; name it *.html")
    return report


def _side_paths(args: argparse.Namespace) -> dict[str, Path | None]:
    return {
        name: None if getattr(args, name) is None else Path(getattr(args, name))
        for name in ("master", "surveys", "complaints", "catalog")
    }


def _read_sides(args: argparse.Namespace, config: SegmentConfig) -> dict[str, Any]:
    """The side tables named on the command line (ids read as text)."""
    id_columns = {
        "master": config.master_id_col or config.customer_col,
        "surveys": config.customer_col,
        "complaints": config.customer_col,
    }
    sides = {}
    for name in ("master", "surveys", "complaints", "catalog"):
        path = getattr(args, name)
        ids = [id_columns[name]] if name in id_columns else []
        sides[name] = None if path is None else read_table(path, str_columns=ids, arg=name)
    return sides


def _read_and_run(
    args: argparse.Namespace,
    source: Path,
    config: SegmentConfig,
    job: Callable[[Any, dict[str, Any], Callable[[str], None]], pd.DataFrame],
    *,
    as_of: Any = None,
    products: bool = False,
) -> tuple[Any, pd.DataFrame, Callable[[str], None]]:
    """Read the transactions and the side tables named on the command line, prepare the
    transactions once (the job and the report read the same rows, one notice), and run
    ``job(transactions, sides, say)``: ``(transactions, table, say)``."""
    import pandas as pd

    from kamseg.pipeline import load_step_libraries, prepare_with_config

    # imports: before the clock of the progress lines
    load_step_libraries(config.steps, catalog=getattr(args, "catalog", None) is not None)
    say = _progress(args.quiet, args.progress)  # the job's time includes reading the inputs
    transactions = _read_transactions(source, config)
    sides = _read_sides(args, config)
    if isinstance(transactions, pd.DataFrame):
        transactions = prepare_with_config(
            transactions,
            config,
            catalog=sides["catalog"],
            as_of=as_of,
            copy=False,  # the table read from the file is the command's alone
            products=products,
        )
    read_by_engine = isinstance(transactions, str)
    with _reading("input", source if read_by_engine else None):
        table = job(transactions, sides, say)
    return transactions, table, say


def _cmd_segment(args: argparse.Namespace) -> int:
    from kamseg.model import fit_and_label
    from kamseg.pipeline import segment

    output = Path(args.output)
    _suffix(output, "output")  # fail before the work, not after
    report = _report_path(args)
    save = None if args.save_config is None else Path(args.save_config)
    model_path = None if args.save_model is None else Path(args.save_model)
    source = Path(args.input)
    inputs: dict[str, Path | None] = {"input": source, **_side_paths(args)}
    inputs["config"] = None if args.config is None else Path(args.config)
    outputs = {"output": output, "report": report, "save-config": save, "save-model": model_path}
    _check_outputs(outputs, inputs)

    config = SegmentConfig() if args.config is None else _load_config(args.config)
    changes = {
        name: getattr(args, name)
        for name, _, _ in _SETTING_OPTIONS
        if getattr(args, name) is not None
    }
    if args.steps is not None:
        changes["steps"] = tuple(s.strip() for s in args.steps.split(",") if s.strip())
    config = config.replace(**changes)
    if save is not None:
        config.to_toml_text()  # settings that TOML cannot hold fail here, before the work

    model = None
    # a large table's parked columns go from their files to the Parquet file a row group at
    # a time (the whole table is not put together); a report, a model or a CSV file read
    # the whole table
    stream = report is None and model_path is None and _suffix(output, "output") == ".parquet"

    with ParkedColumns("segment") as park:

        def job(transactions: Any, sides: dict[str, Any], say: Callable[[str], None]) -> Any:
            nonlocal model
            if stream:  # segment's job, the parked columns left in `park`
                _, table = fit_and_label(
                    transactions,
                    config=config,
                    as_of=None,
                    progress=say,
                    func="segment",
                    park=park,
                    **sides,
                )
                return table
            if model_path is None:
                return segment(transactions, config=config, progress=say, **sides)
            model, table = fit_and_label(
                transactions, config=config, as_of=None, progress=say, **sides
            )
            return table

        transactions, table, say = _read_and_run(args, source, config, job)
        _write_outputs(
            table,
            output,
            report,
            transactions=transactions,
            labels=config.labels,
            say=say,
            escape=args.escape_formulas,
            config=config if save is not None else None,
            config_path=save,
            model=model,
            model_path=model_path,
            park=park,
        )
        if not args.quiet:
            _print_summary(park.select(table, SUMMARY_READS) if park.parked else table)
    return 0


def _cmd_score(args: argparse.Namespace) -> int:
    from kamseg.model import SegmentModel
    from kamseg.pipeline import fitted_need

    output = Path(args.output)
    _suffix(output, "output")  # fail before the work, not after
    report = _report_path(args)
    source = Path(args.input)
    model_path = Path(args.model)
    inputs: dict[str, Path | None] = {"input": source, "model": model_path, **_side_paths(args)}
    _check_outputs({"output": output, "report": report}, inputs)
    model = SegmentModel.load(model_path)
    config = model.segment_config
    as_of = model.as_of if args.as_of is None else args.as_of
    transactions, table, say = _read_and_run(
        args,
        source,
        config,
        lambda tx, sides, say: model.apply(tx, as_of=as_of, progress=say, **sides),
        as_of=as_of,
        products=fitted_need(model.parts),
    )
    _write_outputs(
        table,
        output,
        report,
        transactions=transactions,
        labels=config.labels,
        say=say,
        escape=args.escape_formulas,
    )
    if not args.quiet:
        _print_summary(table)
    return 0


def _cmd_rfm(args: argparse.Namespace) -> int:
    from kamseg.rfm import rfm_scores, rfm_segments
    from kamseg.summary import summarize

    output = Path(args.output)
    _suffix(output, "output")  # fail before the work, not after
    report = _report_path(args)
    source = Path(args.input)
    _check_outputs({"output": output, "report": report}, {"input": source})
    tx = read_table(source, str_columns=[args.customer_col])
    customers = summarize(
        tx,
        customer_col=args.customer_col,
        date_col=args.date_col,
        amount_col=args.amount_col,
        profit_col=args.profit_col,
        quantity_col=args.quantity_col,
        price_col=args.price_col,
        as_of=args.as_of,
        freq=args.freq,
        dropna=args.dropna,
        returns=args.returns,
    )
    table = rfm_segments(rfm_scores(customers, bins=args.bins), labels=args.labels)
    _write_outputs(
        table,
        output,
        report,
        transactions=None,  # no key accounts: no performance section
        labels=args.labels,
        say=lambda message: None,
        escape=args.escape_formulas,
    )
    if not args.quiet:
        print(_segment_table(table))
    return 0


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr (exit code 2)."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix(_PROG).strip()
        where = f"{command}: " if command else ""
        self.exit(2, f"{_PROG}: error: {where}{message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    from kamseg import __version__

    parser = _Parser(
        prog=_PROG,
        description="Key-account and customer segmentation analytics over transaction tables.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=_Parser
    )

    demo = sub.add_parser(
        "demo",
        help="run the whole job on built-in synthetic demo data",
        description="Generate demo transactions with a customer master, surveys, complaints "
        "and a product catalogue; run kamseg.segment on them; write the customer table "
        "(Parquet and CSV), the HTML report and the settings used (kamseg.toml) to a "
        "folder, and print the key figures.",
    )
    demo.add_argument("--out", default="kamseg-demo", help="output folder (default: %(default)s)")
    demo.add_argument("--n-customers", type=int, default=2000, help="default: %(default)s")
    demo.add_argument("--seed", type=int, default=42, help="default: %(default)s")
    demo.add_argument("--labels", choices=["en", "zh"], default="en", help="class names")
    demo.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        metavar="N",
        help="threads of BLAS and OpenMP (default: the cores this process may use)",
    )
    demo.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    demo.set_defaults(func=_cmd_demo)

    seg = sub.add_parser(
        "segment",
        help="the whole job on a transaction file: one annotated row per customer",
        description="Read transactions (CSV or Parquet; a large Parquet file is summarised "
        "out of core by DuckDB) and optional side tables, run kamseg.segment, and write one "
        "row per customer with every dimension the data allow (CSV or Parquet, by "
        "extension), optionally with an HTML report. The settings are those of the config "
        "file (--config), overridden by the options named after them (see "
        "docs/configuration.md).",
    )
    seg.add_argument("input", help="transactions: .csv, .parquet, or a folder/glob of Parquet")
    seg.add_argument("-o", "--output", required=True, help="output file, .csv or .parquet")
    seg.add_argument("--master", help="customer master (.csv/.parquet), ids in --master-id-col")
    seg.add_argument("--surveys", help="survey answers (nps, csat)")
    seg.add_argument("--complaints", help="complaints")
    seg.add_argument("--catalog", help="product catalogue (need levels)")
    seg.add_argument("--config", help="settings file (TOML, see docs/configuration.md)")
    seg.add_argument("--save-config", metavar="FILE", help="write the settings used to FILE")
    seg.add_argument("--report", metavar="FILE", help="also write an HTML report")
    seg.add_argument(
        "--save-model",
        metavar="FILE",
        help="also write what the job learned to FILE (score later data with kamseg score)",
    )
    seg.add_argument("--steps", help="comma-separated steps to run (default: all)")
    settings = seg.add_argument_group(
        "settings",
        "each sets the SegmentConfig field of its name (--clv-model: clv_model), over the "
        "config file; defaults without a config file in parentheses",
    )
    defaults = SegmentConfig()
    for name, text, keywords in _SETTING_OPTIONS:
        if "(" not in text:
            text = f"{text} ({_shown(getattr(defaults, name))})"
        if name.endswith("_col"):
            keywords = {"metavar": "COL", **keywords}
        settings.add_argument(
            f"--{name.replace('_', '-')}", dest=name, default=None, help=text, **keywords
        )
    seg.add_argument(
        "--escape-formulas",
        action=_ON_OFF,
        default=True,
        help="CSV output: prefix text cells that start with = + - @ (a formula in a "
        "spreadsheet) with ' (default: on)",
    )
    seg.add_argument(
        "--progress",
        action="store_true",
        help="print progress on stderr even when it is not a terminal (e.g. to a log)",
    )
    seg.add_argument(
        "-q", "--quiet", action="store_true", help="no progress and no summary printed"
    )
    seg.set_defaults(func=_cmd_segment)

    score = sub.add_parser(
        "score",
        help="label customers with a model saved by kamseg segment --save-model",
        description="Read a saved model (kamseg segment --save-model) and transactions (and "
        "side tables) with the model's column names, and write one row per customer "
        "labelled with the model's frozen thresholds and fits: the columns of kamseg "
        "segment. Each customer is labelled from its own rows only.",
    )
    score.add_argument("input", help="transactions: .csv, .parquet, or a folder/glob of Parquet")
    score.add_argument("--model", required=True, help="model file (kamseg segment --save-model)")
    score.add_argument("-o", "--output", required=True, help="output file, .csv or .parquet")
    score.add_argument("--as-of", default=None, help="observation date (default: the model's)")
    score.add_argument("--master", help="customer master (.csv/.parquet)")
    score.add_argument("--surveys", help="survey answers (nps, csat)")
    score.add_argument("--complaints", help="complaints")
    score.add_argument("--catalog", help="product catalogue (need levels)")
    score.add_argument("--report", metavar="FILE", help="also write an HTML report")
    for cmd in (score,):
        cmd.add_argument(
            "--escape-formulas",
            action=_ON_OFF,
            default=True,
            help="CSV output: prefix text cells that start with = + - @ with ' (default: on)",
        )
        cmd.add_argument("--progress", action="store_true", help="progress on stderr always")
        cmd.add_argument("-q", "--quiet", action="store_true", help="no progress, no summary")
    score.set_defaults(func=_cmd_score)

    rfm = sub.add_parser(
        "rfm",
        help="RFM scores and segments for a transaction file",
        description="Read transactions (CSV or Parquet), write one row per customer with the "
        "customer summary, RFM scores and segments (CSV or Parquet, by extension).",
    )
    rfm.add_argument("input", help="transactions, .csv or .parquet")
    rfm.add_argument("-o", "--output", required=True, help="output file, .csv or .parquet")
    rfm.add_argument("--customer-col", default="customer_id")
    rfm.add_argument("--date-col", default="date")
    rfm.add_argument("--amount-col", default="amount")
    rfm.add_argument("--profit-col", default=None)
    rfm.add_argument("--quantity-col", default=None, help="line items: amount = quantity x price")
    rfm.add_argument("--price-col", default=None, help="line items: unit price column")
    rfm.add_argument("--as-of", default=None, help="observation date (default: latest date)")
    rfm.add_argument("--freq", choices=["D", "W", "M"], default="D", help="BTYD period")
    rfm.add_argument("--bins", type=int, default=5, help="scores per dimension (2..10)")
    rfm.add_argument("--labels", choices=["en", "zh"], default="en", help="segment names")
    rfm.add_argument(
        "--returns",
        choices=["net", "exclude", "error"],
        default="net",
        help="negative amounts: net them (default), exclude them, or fail",
    )
    rfm.add_argument("--dropna", action="store_true", help="drop rows with nulls (warns)")
    rfm.add_argument("--report", metavar="FILE", help="also write an HTML report")
    rfm.add_argument(
        "--escape-formulas",
        action=_ON_OFF,
        default=True,
        help="CSV output: prefix text cells that start with = + - @ (a formula in a "
        "spreadsheet) with ' (default: on)",
    )
    rfm.add_argument("-q", "--quiet", action="store_true", help="do not print the summary")
    rfm.set_defaults(func=_cmd_rfm)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``kamseg`` command line; return the exit code."""
    from kamseg.errors import KamsegError

    parser = _parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        with _warnings_to_stderr(), _terminated_as_exit():
            return func(args)
    except (KamsegError, _UsageError, OSError) as exc:
        message = " ".join(str(exc).split())  # always one line
        print(f"{_PROG}: error: {message}", file=sys.stderr)
        return 2


@contextmanager
def _terminated_as_exit() -> Iterator[None]:
    """A SIGTERM (a batch scheduler's timeout, ``kill``) ends the command as SystemExit
    143 instead of at once, so that the job's temporary files (the parked columns, the
    outputs written beside their names) are removed on the way out; the handler before is
    restored after. Nothing outside the main thread, or where another handler is set."""
    import signal
    import threading

    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
