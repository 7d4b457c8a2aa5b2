"""The columns parked while the job runs (kamseg._park): the job that parks them gives the
table, notices and model schema of the job that keeps them in memory, bit for bit."""

from __future__ import annotations

import contextlib
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import kamseg
import kamseg._job as job_module
from kamseg import _park
from kamseg._park import ParkedColumns
from kamseg._validation import append_ids
from kamseg.errors import KamsegWarning
from kamseg.model import fit_and_label

SIDES = ("master", "surveys", "complaints", "catalog")


@pytest.fixture(scope="module")
def data() -> Any:
    return kamseg.datasets.make_transactions(n_customers=600, seed=5)


@pytest.fixture
def own_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder the park writes under (TMPDIR)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


@contextlib.contextmanager
def _parking(park: bool) -> Iterator[list[int]]:
    """Parking from 0 customers, or never; yields the count of columns each park took out."""
    parked: list[int] = []
    park_columns = ParkedColumns.park

    def counted(self: ParkedColumns, table: pd.DataFrame, keep: Any) -> pd.DataFrame:
        out = park_columns(self, table, keep)
        parked.append(len(table.columns) - len(out.columns))
        return out

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_park, "PARK_FROM", 0 if park else 10**12)
        mp.setattr(ParkedColumns, "park", counted)
        yield parked


def _job(
    data: Any, tmp: Path, *, park: bool, engine: str, sides: bool, **options: Any
) -> tuple[Any, pd.DataFrame, list[str], list[int]]:
    """fit_and_label on `data` (parking from 0 customers, or never), the columns each
    park took out, and the notices."""
    tx: Any = data.transactions
    if engine == "duckdb":
        tx = str(tmp / "tx.parquet")
        data.transactions.to_parquet(tx)
    config = kamseg.SegmentConfig(
        profit_col="profit", order_col="order_id", product_col="product", **options
    )
    with _parking(park) as parked, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model, table = fit_and_label(
            tx,
            config=config.replace(engine=engine),
            as_of=None,
            progress=None,
            func="segment",
            **{n: getattr(data, n) if sides else None for n in SIDES},
        )
    assert list(tmp.glob("kamseg-park-*")) == []  # every park's folder removed
    return model, table, [str(w.message) for w in caught], parked


@pytest.mark.parametrize(
    ("engine", "freq", "sides", "steps"),
    [
        ("pandas", "D", True, None),
        ("pandas", "W", False, None),
        ("duckdb", "W", True, None),
        ("duckdb", "D", False, None),
        # no classes: health and warnings read the summary's columns, not the lifecycle's
        ("pandas", "W", True, ("rfm", "clv", "key_accounts", "health", "warnings", "churn")),
        ("duckdb", "W", True, ("rfm", "pareto", "key_accounts", "health", "warnings")),
        # other labels, no action columns, monthly periods, a margin setting
        ("pandas", "M", True, {"labels": "zh", "action": False, "margin": 0.3}),
    ],
)
def test_parked_job_is_the_whole_job(
    data: Any, own_tmp: Path, engine: str, freq: str, sides: bool, steps: Any
) -> None:
    options: dict[str, Any] = {"freq": freq}
    if isinstance(steps, dict):
        options.update(steps)
    elif steps is not None:
        options["steps"] = steps
    model, table, said, parked = _job(
        data, own_tmp, park=True, engine=engine, sides=sides, **options
    )
    model0, table0, said0, parked0 = _job(
        data, own_tmp, park=False, engine=engine, sides=sides, **options
    )
    assert parked0 == [] and sum(parked) >= 10  # the job parked, the other did not
    assert_frame_equal(table, table0, check_exact=True)
    assert table.attrs == table0.attrs
    assert said == said0
    assert list(model.schema.items()) == list(model0.schema.items())
    _assert_same_parts(model, model0)
    assert list(own_tmp.glob("kamseg-park-*")) == []  # the folder is removed


def _assert_same_parts(model: Any, model0: Any) -> None:
    """The fitted parts, in the same order, with the same values (arrays bit for bit):
    those the job parked came back."""
    from kamseg import _state

    assert list(model.parts) == list(model0.parts)
    tree, arrays = _state.to_payload(dict(model.parts))
    tree0, arrays0 = _state.to_payload(dict(model0.parts))
    assert tree == tree0
    assert list(arrays) == list(arrays0)
    for name, a in arrays.items():
        assert a.dtype == arrays0[name].dtype and a.tobytes() == arrays0[name].tobytes()


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_a_model_applied_with_parking_gives_the_same_table(
    data: Any, own_tmp: Path, engine: str
) -> None:
    """SegmentModel.apply (kamseg score) parks as the fit's job does: the same table."""
    model, _, _, _ = _job(data, own_tmp, park=False, engine=engine, sides=True)
    tx: Any = data.transactions
    if engine == "duckdb":
        tx = str(own_tmp / "tx.parquet")  # written by _job
    sides = {n: getattr(data, n) for n in SIDES}
    tables, parked = [], []
    for park in (True, False):
        with _parking(park) as took, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tables.append(model.apply(tx, **sides))
        tables[-1].attrs["said"] = [str(w.message) for w in caught]
        parked.append(sum(took))
    assert parked[0] >= 10 and parked[1] == 0
    assert_frame_equal(tables[0], tables[1], check_exact=True)
    assert tables[0].attrs == tables[1].attrs
    assert list(own_tmp.glob("kamseg-park-*")) == []


def test_a_small_table_is_not_parked(data: Any, own_tmp: Path) -> None:
    """Below PARK_FROM customers the job keeps every column in memory (no file)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_park, "PARK_FROM", len(data.master) + 1)
        wrote = []
        mp.setattr(ParkedColumns, "park", lambda self, t, keep: wrote.append(1) or t)
        kamseg.segment(data.transactions, config=kamseg.SegmentConfig(steps=("rfm", "health")))
    assert wrote == []


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "revenue": rng.random(n),
            "orders": rng.integers(1, 9, n),
            "flag": rng.random(n) > 0.5,
            "tier": pd.Categorical(rng.choice(["a", "b", "c"], n), ordered=True),
            "text": pd.Series([f"t{i}" for i in range(n)], dtype="str"),
            "obj": pd.Series([None, "x"] * (n // 2), dtype=object),
            "when": pd.date_range("2024-01-01", periods=n, freq="D"),
            "is_key_account": rng.random(n) > 0.9,
        },
        index=pd.Index([f"c{i}" for i in range(n)], name="customer_id"),
    )


@pytest.mark.parametrize("piece", [_park.PIECE_ROWS, 3])
def test_restore_puts_the_columns_back_on_the_rows_and_in_order(
    own_tmp: Path, monkeypatch: pytest.MonkeyPatch, piece: int
) -> None:
    """Parked columns come back in their places, with the dtypes a whole table gets when
    prospects are appended (int to float, bool to object), new columns after them, and the
    order a step sets; from one piece per column or several."""
    monkeypatch.setattr(_park, "PIECE_ROWS", piece)
    full = _frame(10)
    park = ParkedColumns("segment")
    narrow = park.park(full, keep={"revenue"})
    assert list(narrow.columns) == ["revenue", "is_key_account"]  # KEPT: never parked
    assert len(list(own_tmp.glob("kamseg-park-*"))) == 1  # its folder (files: by a thread)
    # a later step appends prospects and adds a column; another parks it
    prospects = pd.Index(["p1", "p2"], name="customer_id")
    grown = append_ids(narrow, prospects).assign(score=np.arange(12.0))
    grown = park.park(grown, keep=set())
    assert park.order(grown) == [*full.columns, "score"]
    whole = park.restore(grown.assign(late=1))
    expected = append_ids(full, prospects).assign(score=np.arange(12.0), late=1)
    assert_frame_equal(whole, expected, check_exact=True)
    assert whole["orders"].dtype == np.float64 and whole["flag"].dtype == object
    assert list(own_tmp.glob("kamseg-park-*/*")) == []  # each file read once, deleted
    park.close()
    assert list(own_tmp.glob("kamseg-park-*")) == []


def _grown(park: ParkedColumns) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A table parked in two steps with prospects appended between them, as the job parks
    it, and the whole table it stands for."""
    full = _frame(10)
    narrow = park.park(full, keep={"revenue"})
    prospects = pd.Index(["p1", "p2"], name="customer_id")
    grown = park.park(append_ids(narrow, prospects).assign(score=np.arange(12.0)), keep=set())
    grown = grown.assign(late=1)
    grown.attrs = {"as_of": "2024-12-31", "kamseg_steps": ["summary", "rfm"]}
    whole = append_ids(full, prospects).assign(score=np.arange(12.0), late=1)
    whole.attrs = grown.attrs
    return grown, whole


@pytest.mark.parametrize("piece", [_park.PIECE_ROWS, 3, 5])
def test_parquet_written_from_the_pieces_is_the_whole_table_s(
    own_tmp: Path, monkeypatch: pytest.MonkeyPatch, piece: int
) -> None:
    """write_parquet writes the file to_parquet writes of the whole table: the same bytes
    in one row group; in row groups of `piece` rows, the same table, schema and metadata
    (attrs included) and one row group per piece (the last: prospects only, for 5)."""
    import pyarrow.parquet as pq

    monkeypatch.setattr(_park, "PIECE_ROWS", piece)
    park = ParkedColumns("segment")
    grown, whole = _grown(park)
    assert park.dtypes(grown) == dict(whole.dtypes.items())
    ours, theirs = own_tmp / "ours.parquet", own_tmp / "theirs.parquet"
    assert park.write_parquet(grown, ours)
    whole.to_parquet(theirs, row_group_size=piece)
    if piece == _park.PIECE_ROWS:
        assert ours.read_bytes() == theirs.read_bytes()
    a, b = pq.ParquetFile(ours), pq.ParquetFile(theirs)
    assert a.schema_arrow.equals(b.schema_arrow, check_metadata=True)
    assert a.metadata.num_row_groups == b.metadata.num_row_groups == -(-12 // min(piece, 12))
    assert a.read().equals(b.read())
    back = pd.read_parquet(ours)
    assert_frame_equal(back, pd.read_parquet(theirs), check_exact=True)
    assert back.attrs == whole.attrs
    # the files stay for more reads: a few columns, then the whole table
    picked = park.select(grown, ["when", "orders", "score", "absent"])
    assert_frame_equal(picked, whole[["orders", "when", "score"]], check_exact=True)
    assert_frame_equal(park.restore(grown), whole, check_exact=True)
    park.close()


def test_parquet_needs_the_parked_rows_first(own_tmp: Path) -> None:
    """Rows in another order than the parked ones: no dtypes, no file (restore puts the
    columns in place)."""
    park = ParkedColumns("segment")
    grown, whole = _grown(park)
    shuffled = grown.iloc[::-1]
    assert park.dtypes(shuffled) is None
    assert not park.write_parquet(shuffled, own_tmp / "out.parquet")
    assert not (own_tmp / "out.parquet").exists()
    assert_frame_equal(park.restore(shuffled), whole.iloc[::-1], check_exact=True)
    park.close()


def test_set_order_and_forget(own_tmp: Path) -> None:
    full = _frame(4)
    park = ParkedColumns("segment")
    narrow = park.park(full, keep={"revenue", "orders"})
    narrow = narrow.assign(need=1)
    cols = park.order(narrow)
    park.set_order([*cols[:2], "need", *cols[2:-1]])  # the need level after "orders"
    park.forget(["orders", "text"])  # dropped by the job: kept or parked
    whole = park.restore(narrow.drop(columns="orders"))
    assert list(whole.columns) == [
        "revenue", "need", "flag", "tier", "obj", "when", "is_key_account"
    ]  # fmt: skip
    assert_frame_equal(whole[["tier", "when"]], full[["tier", "when"]], check_exact=True)
    park.close()


def test_a_folder_that_cannot_be_written_keeps_the_table(
    data: Any, own_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk: one notice, the columns stay in memory, the same table."""

    def full_disk(*args: Any, **kwargs: Any) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "mkdtemp", full_disk)
    _, table, said, _ = _job(data, own_tmp, park=True, engine="pandas", sides=True)
    _, table0, said0, _ = _job(data, own_tmp, park=False, engine="pandas", sides=True)
    assert_frame_equal(table, table0, check_exact=True)
    notes = [s for s in said if "temporary folder" in s]
    assert notes == [
        "segment: could not write columns to a temporary folder (No space left on device); "
        "the whole table stays in memory. Hint: set TMPDIR to a folder with room for the "
        "table."
    ]
    assert [s for s in said if s not in notes] == said0


def test_the_folder_is_removed_when_the_job_fails(
    data: Any, own_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Any, table: pd.DataFrame) -> pd.DataFrame:
        assert list(own_tmp.glob("kamseg-park-*"))  # columns parked by then
        raise RuntimeError("broken")

    monkeypatch.setattr(job_module.Job, "whole", broken)
    with pytest.raises(RuntimeError, match="broken"):
        _job(data, own_tmp, park=True, engine="pandas", sides=True)
    assert list(own_tmp.glob("kamseg-park-*")) == []


def test_a_write_that_fails_keeps_the_columns_in_memory(own_tmp: Path) -> None:
    """The files cannot be written (their folder is gone): the columns stay in memory and
    come back in place, with one notice, and nothing more is parked."""
    full = _frame(4)
    park = ParkedColumns("segment")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tempfile, "mkdtemp", lambda **kw: str(own_tmp / "gone"))
        narrow = park.park(full, keep={"revenue"})
        with pytest.warns(KamsegWarning, match="could not write columns") as caught:
            again = park.park(narrow.assign(x=1.0), keep=set())
            whole = park.restore(again)
    assert len(caught) == 1
    assert_frame_equal(whole, full.assign(x=1.0), check_exact=True)
    assert park.park(whole, keep=set()) is whole  # nothing more is parked
    park.close()


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_the_cli_writes_the_parked_table_from_the_pieces(
    data: Any, own_tmp: Path, capsys: pytest.CaptureFixture[str], engine: str
) -> None:
    """kamseg segment to Parquet with parked columns (every step and side table): the file
    (byte for byte) and the printed summary of the job that keeps them in memory, with the
    whole table never put back together."""
    from kamseg.cli import main

    args = ["segment", str(own_tmp / "tx.parquet"), "--engine", engine]
    data.transactions.to_parquet(args[1])
    for name in SIDES:
        getattr(data, name).to_parquet(own_tmp / f"{name}.parquet")
        args += [f"--{name}", str(own_tmp / f"{name}.parquet")]
    args += ["--profit-col", "profit", "--order-col", "order_id", "--product-col", "product"]
    printed = []
    restored: list[int] = []
    restore = ParkedColumns.restore

    def counted(self: ParkedColumns, table: pd.DataFrame) -> pd.DataFrame:
        if "rfm_segment" in table.columns:  # the job's table (not its daily churn features)
            restored.append(1)
        return restore(self, table)

    for park in (False, True):
        out = own_tmp / f"out_{park}.parquet"
        with _parking(park) as parked, pytest.MonkeyPatch.context() as mp:
            mp.setattr(ParkedColumns, "restore", counted)
            assert main([*args[:2], "-o", str(out), *args[2:]]) == 0
        assert (sum(parked) > 40 and restored == []) if park else parked == []
        printed.append(capsys.readouterr().out)
    ours, theirs = (own_tmp / f"out_{park}.parquet" for park in (True, False))
    assert ours.read_bytes() == theirs.read_bytes()
    assert printed[0] == printed[1] != ""


def test_arrays_parked_come_back_as_they_were(own_tmp: Path) -> None:
    """park_arrays (the need level's sums per customer): 1-d and 2-d arrays, none of their
    memory held while parked, back with their dtypes, shapes and values."""
    import weakref

    rng = np.random.default_rng(2)
    index = pd.Index([f"c{i}" for i in range(9)], name="customer_id")
    highest = rng.integers(-1, 3, 9)
    spend = rng.random((9, 4))
    spend[2, 1] = -0.0
    empty = np.empty((9, 0))
    park = ParkedColumns("segment")
    back = park.park_arrays(index, {"highest": highest, "spend": spend, "none": empty})
    held = weakref.ref(spend.base if spend.base is not None else spend)
    expected = (highest.copy(), spend.copy())
    del spend
    for parked in park._files.values():  # the writes are done
        parked.write.result()
    assert held() is None  # the 2-d array is not kept while parked
    out = back()
    assert out["highest"].dtype == np.int64 and out["spend"].shape == (9, 4)
    assert out["none"].shape == (9, 0)
    np.testing.assert_array_equal(out["highest"], expected[0])
    assert out["spend"].flags["C_CONTIGUOUS"]
    assert out["spend"].tobytes() == expected[1].tobytes()  # -0.0 too
    park.close()


def test_an_object_parked_comes_back_equal_and_is_not_held(own_tmp: Path) -> None:
    """park_object (the fitted parts no later step reads): back equal, its memory let go
    while parked, the file removed once read; one that does not pickle stays as it is."""
    import weakref

    from kamseg import _state
    from kamseg.pareto import ParetoFit, fit_pareto_table

    def payload(fit: Any) -> Any:
        tree, arrays = _state.to_payload(fit)
        return tree, [(n, a.dtype.str, a.tobytes()) for n, a in arrays.items()]

    customers = kamseg.summarize(kamseg.datasets.make_transactions(50, seed=1).transactions)
    fit = fit_pareto_table(customers)
    expected = payload(fit)
    held = weakref.ref(fit)
    park = ParkedColumns("segment")
    back = park.park_object(fit)
    del fit
    assert park._pool is not None
    park._pool.submit(lambda: None).result()  # the write, queued before, is done
    assert held() is None
    files = list(own_tmp.glob("kamseg-park-*/*"))
    assert len(files) == 1
    out = back()
    assert type(out) is ParetoFit and payload(out) == expected
    assert not files[0].exists()

    def local() -> None:  # a local function does not pickle: kept as it is
        return None

    assert park.park_object(local)() is local
    park.close()
    assert list(own_tmp.glob("kamseg-park-*")) == []


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_the_classes_let_go_of_the_table_before_them(
    data: Any, own_tmp: Path, engine: str
) -> None:
    """With a park, the job hands its table over to the classes, which let go of it once
    they have appended the prospects (a copy of it): while the satisfaction class is fitted
    no frame of the buyers' table before the classes is alive. Without a park the job keeps
    it (to go on with if the classes fail). DuckDB runs the classes on a daily view."""
    import gc

    import kamseg.satisfaction as satisfaction

    fit_satisfaction = satisfaction.fit_satisfaction_class
    n_buyers = data.transactions["customer_id"].nunique()
    alive: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        gc.collect()
        alive.append(
            sum(
                isinstance(o, pd.DataFrame)
                and len(o) == n_buyers
                and {"revenue", "is_key_account"} <= set(o.columns)
                for o in gc.get_objects()
            )
        )
        return fit_satisfaction(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(satisfaction, "fit_satisfaction_class", counted)
        _job(data, own_tmp, park=False, engine=engine, sides=True, freq="W")
        _job(data, own_tmp, park=True, engine=engine, sides=True, freq="W")
    assert alive == [1, 0]


def test_a_failed_classes_step_goes_on_with_the_table_parked_before_it(
    data: Any, own_tmp: Path
) -> None:
    """The classes fail (a survey without a date): the parked job goes on with the table
    it handed over, read back from its copy, and gives the unparked job's table."""
    from types import SimpleNamespace

    surveys = data.surveys.copy()
    surveys.loc[surveys.index[0], "date"] = None
    broken = SimpleNamespace(**{n: getattr(data, n) for n in ("transactions", *SIDES)})
    broken.surveys = surveys
    _, table, said, parked = _job(broken, own_tmp, park=True, engine="pandas", sides=True)
    _, table0, said0, _ = _job(broken, own_tmp, park=False, engine="pandas", sides=True)
    assert "classes" in table.attrs["kamseg_skipped"] and sum(parked) >= 10
    assert_frame_equal(table, table0, check_exact=True)
    assert table.attrs == table0.attrs
    assert said == said0 and sum("step 'classes' skipped" in s for s in said) == 1


def test_a_folder_that_cannot_be_written_is_said_once_for_every_park(
    own_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A park that could not write says so once; the parks made from it (other()) then
    neither park nor say it again, and a child's failure stops its parent too."""

    def full_disk(*args: Any, **kwargs: Any) -> str:
        raise OSError(28, "No space left on device")

    table = pd.DataFrame({"a": [1.0, 2.0], "b": [3, 4]}, index=pd.Index([1, 2], name="id"))
    monkeypatch.setattr(tempfile, "mkdtemp", full_disk)
    for first in ("parent", "child"):
        parent = ParkedColumns("segment")
        child = parent.other()
        order = (parent, child) if first == "parent" else (child, parent)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            kept = [park.park(table, keep=()) for park in order]
            kept.append(parent.other().park(table, keep=()))
        assert all(k is table for k in kept)
        assert len([w for w in caught if "temporary folder" in str(w.message)]) == 1, first
        parent.close()


def test_kept_columns_let_go_of_the_parked_ones(own_tmp: Path) -> None:
    """Columns built together share one block: the columns kept are copied, so that the
    parked ones' memory is not held by a view of the block; the same table comes back."""
    n = 1000
    rng = np.random.default_rng(0)
    table = pd.DataFrame(  # one block of floats, as pyarrow's to_pandas makes them
        rng.random((n, 3)), columns=["a", "b", "c"], index=pd.Index(np.arange(n) * 3)
    ).assign(d=np.arange(n))
    table.index.name = "customer_id"
    table.attrs["as_of"] = "2024-06-30"
    block = _park._owner(table["b"])  # the memory of the block of floats
    assert _park._owner(table["a"]) is block and _park._owner(table["d"]) is not block
    park = ParkedColumns("segment")
    narrow = park.park(table, keep={"a", "d"})
    assert list(narrow.columns) == ["a", "d"] and narrow.attrs == table.attrs
    assert _park._owner(narrow["a"]) is not block  # a copy: the block can go
    assert_frame_equal(park.restore(narrow), table, check_exact=True)
    park.close()
    # columns of their own: nothing copied
    apart = pd.DataFrame({c: table[c].to_numpy().copy() for c in table.columns}, copy=False)
    park = ParkedColumns("segment")
    kept = apart["a"].to_numpy()
    narrow = park.park(apart, keep={"a"})
    assert np.shares_memory(narrow["a"].to_numpy(), kept)
    park.close()


def test_an_engine_s_side_inputs_are_parked_before_the_first_step(
    data: Any, own_tmp: Path
) -> None:
    """On a DuckDB input with a park, the daily churn features and the need level's sums
    per customer wait parked from the summary on: while the RFM scores are fitted, the
    daily table holds the repeat purchase days alone and the need sums are empty. The same
    table as without a park (test_parked_job_is_the_whole_job)."""
    import kamseg.rfm as rfm

    fit_rfm = rfm.fit_rfm_scores
    seen: list[tuple[list[str], int]] = []

    def watched(*args: Any, **kwargs: Any) -> Any:
        import gc

        jobs = [o for o in gc.get_objects() if isinstance(o, job_module.Job)]
        assert len(jobs) == 1
        job = jobs[0]
        assert job._daily is not None and job.need_inputs is not None
        seen.append((list(job._daily.columns), len(job.need_inputs.spend)))
        return fit_rfm(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rfm, "fit_rfm_scores", watched)
        _, whole, _, _ = _job(data, own_tmp, park=False, engine="duckdb", sides=True, freq="W")
        _, parked, _, _ = _job(data, own_tmp, park=True, engine="duckdb", sides=True, freq="W")
    n_buyers = data.transactions["customer_id"].nunique()
    assert len(seen[0][0]) > 1  # without a park: every daily column
    assert seen[0][1] == n_buyers
    assert seen[1] == (["frequency"], 0)  # parked
    assert_frame_equal(parked, whole, check_exact=True)
