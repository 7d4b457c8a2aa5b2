"""Tests of kamseg._threads and of the thread limit of kamseg.segment (``n_jobs``)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import threadpoolctl

import kamseg
from kamseg._threads import available_cores, limited_threads, resolve_n_jobs
from kamseg.cli import main
from kamseg.errors import ConfigError

# every step; churn runs scikit-learn's OpenMP gradient boosting, clv scipy's BLAS
STEPS = ("rfm", "clv", "pareto", "key_accounts", "classes", "health", "warnings", "churn")


def _pools() -> dict[str, int]:
    """Thread count of each loaded BLAS/OpenMP library, by file."""
    return {info["filepath"]: info["num_threads"] for info in threadpoolctl.threadpool_info()}


@pytest.fixture(scope="module")
def demo():
    return kamseg.datasets.make_transactions(n_customers=300, seed=3)


def _segment(demo, config, progress):
    return kamseg.segment(
        demo.transactions,
        master=demo.master,
        surveys=demo.surveys,
        complaints=demo.complaints,
        catalog=demo.catalog,
        config=config,
        progress=progress,
    )


def test_available_cores_is_the_affinity_of_the_process():
    if hasattr(os, "sched_getaffinity"):
        assert available_cores() == len(os.sched_getaffinity(0))
    else:  # pragma: no cover - macOS, Windows
        assert available_cores() == (os.cpu_count() or 1)


def test_available_cores_without_affinity_is_the_cpu_count(monkeypatch):
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 7)
    assert available_cores() == 7
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # "cannot tell"
    assert available_cores() == 1


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_resolve_n_jobs_refuses_what_is_not_a_thread_count(bad):
    with pytest.raises(ConfigError, match=r"n_jobs: must be an integer >= 1.*got"):
        resolve_n_jobs(bad)


def test_resolve_n_jobs():
    assert resolve_n_jobs(1) == 1
    assert resolve_n_jobs(64) == 64
    assert resolve_n_jobs(None) == available_cores()


def test_limited_threads_limits_every_pool_and_restores_them():
    import scipy.linalg  # noqa: F401  (loads scipy's BLAS: more than one pool to limit)

    before = _pools()
    assert before  # numpy's BLAS at least
    with limited_threads(1) as n:
        assert n == 1
        assert set(_pools().values()) == {1}
    assert _pools() == before


def test_limited_threads_inside_another_keeps_the_outer_limit():
    before = _pools()
    with limited_threads(1):
        with limited_threads(3) as inner:
            assert inner == 1
            assert set(_pools().values()) == {1}
        assert set(_pools().values()) == {1}  # the inner block did not restore anything
    assert _pools() == before


def test_limited_threads_restores_the_pools_after_an_error():
    before = _pools()
    with pytest.raises(RuntimeError, match="boom"), limited_threads(1):
        raise RuntimeError("boom")
    assert _pools() == before
    with limited_threads(2) as n:  # and the next block is not taken for an inner one
        assert n == 2


@pytest.mark.parametrize("n_jobs", [1, None])
def test_segment_runs_every_step_inside_the_limit(demo, n_jobs):
    before = _pools()
    seen: dict[str, dict[str, int]] = {}
    config = kamseg.SegmentConfig(profit_col="profit", order_col="order_id", n_jobs=n_jobs)
    table = _segment(demo, config, lambda message: seen.setdefault(message, _pools()))
    assert table.attrs["kamseg_steps"] == ["summary", *STEPS]
    expected = available_cores() if n_jobs is None else n_jobs
    for step in STEPS:
        assert set(seen[step].values()) == {expected}, step
    apis = {info["user_api"] for info in threadpoolctl.threadpool_info()}
    assert {"blas", "openmp"} <= apis  # scikit-learn's OpenMP was there to be limited
    after = _pools()
    for path, threads in before.items():
        assert after[path] == threads  # restored


def test_segment_enters_one_limit_for_the_whole_job(demo, monkeypatch):
    entered = []
    real = threadpoolctl.threadpool_limits

    def counting(*args, **kwargs):
        entered.append(kwargs.get("limits", args[0] if args else None))
        return real(*args, **kwargs)

    monkeypatch.setattr(threadpoolctl, "threadpool_limits", counting)
    config = kamseg.SegmentConfig(profit_col="profit", order_col="order_id", n_jobs=1)
    table = _segment(demo, config, None)
    assert "churn" in table.attrs["kamseg_steps"]
    assert entered == [1]


def test_segment_limits_libraries_it_loads_itself():
    """In a fresh process scikit-learn is not loaded yet when the job starts: its OpenMP
    runtime is loaded before the limit, so the churn step runs limited too."""
    code = textwrap.dedent(
        """
        import sys, warnings
        warnings.simplefilter("ignore")
        import threadpoolctl, kamseg
        assert "sklearn" not in sys.modules
        data = kamseg.datasets.make_transactions(n_customers=300, seed=3)
        seen = {}
        def progress(message):
            seen[message] = [(i["user_api"], i["num_threads"])
                             for i in threadpoolctl.threadpool_info()]
        config = kamseg.SegmentConfig(n_jobs=1, steps=("clv", "churn"))
        kamseg.segment(data.transactions, config=config, progress=progress)
        print(sorted(set(seen["churn"])), sorted(set(seen["clv"])))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["[('blas',", "1),", "('openmp',", "1)]"] * 2


def test_config_n_jobs_round_trips_through_toml():
    config = kamseg.SegmentConfig(n_jobs=2)
    text = config.to_toml_text()
    assert text.endswith("[run]\nn_jobs = 2\n")
    assert kamseg.SegmentConfig.from_toml_text(text) == config
    assert kamseg.SegmentConfig.from_toml_text("n_jobs = 3\n").n_jobs == 3  # top level
    assert "[run]" not in kamseg.SegmentConfig().to_toml_text()  # None: left out
    assert kamseg.SegmentConfig.from_toml_text("[run]\n").n_jobs is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "`n_jobs` must be at least 1; got 0"),
        (-2, "`n_jobs` must be at least 1"),
        (1.0, "`n_jobs` must be an integer"),
        (True, "`n_jobs` must be an integer"),
        ("2", "`n_jobs` must be an integer"),
    ],
)
def test_config_n_jobs_is_validated(value, message):
    with pytest.raises(ConfigError, match=message):
        kamseg.SegmentConfig(n_jobs=value)


def test_cli_n_jobs_option(tmp_path, demo, capsys):
    source = tmp_path / "tx.csv"
    demo.transactions.head(2000).to_csv(source, index=False)
    out, saved = tmp_path / "out.csv", tmp_path / "used.toml"
    args = ["segment", str(source), "-o", str(out), "--steps", "rfm", "-q"]
    assert main([*args, "--n-jobs", "1", "--save-config", str(saved)]) == 0
    assert kamseg.SegmentConfig.from_toml(saved).n_jobs == 1
    assert main([*args, "--n-jobs", "0"]) == 2
    assert "`n_jobs` must be at least 1; got 0" in capsys.readouterr().err


def test_clv_row_work_uses_one_thread_when_the_job_has_one(monkeypatch):
    """kamseg's own two-thread row work (the CLV likelihood sums and row halves) stays in
    the calling thread under n_jobs=1, with the same bits as on two threads."""
    import numpy as np

    from kamseg.clv import _collapse

    x = np.random.default_rng(0).random(40 * _collapse.CHUNK)

    def part(sl):
        return np.array([np.log1p(x[sl]).sum(), x[sl].max()])

    with limited_threads(2):
        two = _collapse.chunked_sum(part, x.size)
        halves_two = _collapse.in_halves(lambda sl: np.exp(x[sl]), x.size)

    def no_pool():
        raise AssertionError("a thread pool was used under n_jobs=1")

    monkeypatch.setattr(_collapse, "_pool", no_pool)
    with limited_threads(1):
        one = _collapse.chunked_sum(part, x.size)
        halves_one = _collapse.in_halves(lambda sl: np.exp(x[sl]), x.size)
    assert one.tobytes() == two.tobytes()
    for a, b in zip(halves_one, halves_two, strict=True):
        assert a.tobytes() == b.tobytes()


def test_prefetched_runs_in_a_thread_of_its_own_when_the_budget_allows():
    """Two threads or more: `make` runs in another thread at once, with the caller's
    context (its thread budget); one: in the caller's thread, when the result is asked
    for, once."""
    import threading

    from kamseg._threads import Prefetched, thread_budget

    calls: list[tuple[int, int]] = []

    def make() -> int:
        calls.append((threading.get_ident(), thread_budget()))
        return 42

    with limited_threads(2):
        ahead = Prefetched(make)
        assert ahead.in_background
        assert ahead.result() == 42 and ahead.result() == 42
    assert len(calls) == 1 and calls[0] == (calls[0][0], 2)
    assert calls[0][0] != threading.get_ident()
    calls.clear()
    with limited_threads(1):
        later = Prefetched(make)
        assert not later.in_background and calls == []  # not computed yet
        assert later.result() == 42 and later.result() == 42
    assert calls == [(threading.get_ident(), 1)]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_prefetched_raises_its_error_in_the_caller(n_jobs):
    from kamseg._threads import Prefetched
    from kamseg.errors import EmptyInputError

    def make() -> None:
        raise EmptyInputError("f: nothing")

    with limited_threads(n_jobs):
        ahead = Prefetched(make)
        for _ in range(2):
            with pytest.raises(EmptyInputError, match="f: nothing"):
                ahead.result()


def test_segment_prepares_the_churn_beside_the_steps(demo, monkeypatch):
    """On two threads, the churn's purchase-day history and every customer's activity in
    the trend windows are built while the steps before the classes run, the churn's
    training sample while the classes run, and its features of the evaluation cut-off and
    of as_of while the health and warnings run, each in a thread of its own and once (the
    steps take them); on one thread, or for fewer rows than BACKGROUND_MIN_ROWS (the
    fixture's 3,000), in the job's own thread. The table is the same to the bit."""
    import threading

    import pandas as pd

    import kamseg._threads
    import kamseg.churn
    import kamseg.features._cutoffs as cutoffs
    import kamseg.features._windows as windows

    tables, where = {}, {}
    runs = {"one thread": (1, 0), "two threads": (2, 0), "two, few rows": (2, None)}
    for run, (n_jobs, min_rows) in runs.items():
        if min_rows is not None:
            monkeypatch.setattr(kamseg._threads, "BACKGROUND_MIN_ROWS", min_rows)
        seen: dict[str, list[bool]] = {
            "history": [],
            "activity": [],
            "training": [],
            "features": [],
        }

        def spy(name, real, seen=seen):
            def call(*args, **kwargs):
                seen[name].append(threading.current_thread() is threading.main_thread())
                return real(*args, **kwargs)

            return call

        monkeypatch.setattr(cutoffs, "whole_history", spy("history", cutoffs.whole_history))
        monkeypatch.setattr(
            kamseg.churn, "_sampled_training", spy("training", kamseg.churn._sampled_training)
        )
        monkeypatch.setattr(cutoffs, "_features_now", spy("features", cutoffs._features_now))
        monkeypatch.setattr(windows, "every_customer", spy("activity", windows.every_customer))
        config = kamseg.SegmentConfig(profit_col="profit", order_col="order_id", n_jobs=n_jobs)
        tables[run] = _segment(demo, config, None)
        monkeypatch.undo()
        where[run] = seen
        assert "churn" in tables[run].attrs["kamseg_steps"]
    assert len(demo.transactions) < kamseg._threads.BACKGROUND_MIN_ROWS
    for run, in_job in (("one thread", True), ("two threads", False), ("two, few rows", True)):
        assert where[run] == {
            "history": [in_job],
            "activity": [in_job],
            "training": [in_job],
            "features": [in_job, in_job],
        }, run
        pd.testing.assert_frame_equal(tables[run], tables["one thread"], check_exact=True)


def test_what_is_prepared_beside_the_steps_says_nothing():
    """The churn's history, training sample and features and the trend windows' activity,
    computed in another thread, must not warn (the warning filters are shared by the
    threads): none on a log with full and partial cancellations of orders (days later),
    order ids and a customer of one row."""
    import warnings

    import numpy as np
    import pandas as pd

    from kamseg.churn import _sampled_training
    from kamseg.features._cutoffs import CHURN_FEATURES, _features_now, whole_history
    from kamseg.features._windows import every_customer

    tx = kamseg.datasets.make_transactions(n_customers=400, seed=5).transactions
    later = tx["date"].iloc[:60] + pd.Timedelta(days=3)
    share = np.where(np.arange(60) % 2, -1.0, -0.5)  # full and partial
    returns = tx.iloc[:60].assign(amount=tx["amount"].iloc[:60] * share, date=later)
    one = tx.iloc[:1].assign(customer_id="only-once", order_id=-1)
    tx = pd.concat([tx, returns, one], ignore_index=True)
    with pytest.warns(kamseg.errors.KamsegWarning, match="negative amounts"):
        prepared = kamseg.prepare_transactions(tx, order_col="order_id")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hist = whole_history(prepared)
        days = [prepared.as_of_day - 180 - 30 * k for k in range(1, 8)]
        x, _, y, _ = _sampled_training(
            hist, days, 180, names=CHURN_FEATURES, max_rows=500, seed=0, func="t"
        )
        for day in (days[0], prepared.as_of_day):
            _features_now(hist, day, None, None)
        activity = every_customer(prepared, 180, prepared.as_of_day)
    assert activity.orders.sum() > 0
    assert x.shape == (500, len(CHURN_FEATURES)) and 0 < y.sum() < y.size
