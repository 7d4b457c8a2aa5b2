"""The thread pools of the native libraries (BLAS, OpenMP), sized once for a whole job.

scikit-learn's OpenMP runtime (the churn model's gradient boosting) and the BLAS libraries
of numpy and scipy each start one thread per core by default. On a machine where other work
runs, those threads wait on each other at every parallel region while the other work holds
a core, and a job that takes 5 s alone can take 50 s. :func:`limited_threads` sizes every
pool once, around the whole job (:func:`kamseg.segment` enters it; the steps inside open
no pools of their own).

A limit reaches only the libraries loaded when it is entered: load them first (the pipeline
imports scikit-learn and scipy before it enters the limit when its steps need them).
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Generic, TypeVar

from kamseg.errors import ConfigError

__all__ = [
    "BACKGROUND_MIN_ROWS",
    "Prefetched",
    "available_cores",
    "limited_threads",
    "resolve_n_jobs",
    "thread_budget",
]

_T = TypeVar("_T")

#: Transaction rows from which a job computes ahead in a thread of its own
#: (:class:`Prefetched`): below, numpy's calls are too short to let go of the interpreter
#: lock for long, and a second thread slows the job (the demo's 20,000 rows: 1.45 s
#: against 1.28 s without it); at 1M rows it saves a tenth.
BACKGROUND_MIN_ROWS = 200_000

#: The thread count of the :func:`limited_threads` block this code runs in, or None.
_ACTIVE: ContextVar[int | None] = ContextVar("kamseg_threads", default=None)


def available_cores() -> int:
    """The cores this process may run on: its CPU affinity where the system tells it (a
    container or ``taskset`` may allow fewer than the machine has), else ``os.cpu_count()``.

    Examples
    --------
    >>> available_cores() >= 1
    True
    """
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):  # e.g. macOS and Windows have no sched_getaffinity
        return os.cpu_count() or 1


def resolve_n_jobs(n_jobs: int | None) -> int:
    """The thread count of `n_jobs`: the number itself (at least 1), or
    :func:`available_cores` for None.

    Examples
    --------
    >>> resolve_n_jobs(3)
    3
    >>> resolve_n_jobs(None) == available_cores()
    True
    """
    if n_jobs is None:
        return available_cores()
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise ConfigError(
            f"n_jobs: must be an integer >= 1, or None for the cores this process may use "
            f"({available_cores()}); got {n_jobs!r}."
        )
    return n_jobs


def thread_budget() -> int:
    """The threads kamseg's own code may use here: the count of the
    :func:`limited_threads` block it runs in, else :func:`available_cores`.

    Examples
    --------
    >>> with limited_threads(1):
    ...     thread_budget()
    1
    """
    active = _ACTIVE.get()
    return available_cores() if active is None else active


@contextmanager
def limited_threads(n_jobs: int | None) -> Iterator[int]:
    """Limit the BLAS and OpenMP thread pools of the loaded libraries to `n_jobs` threads
    (None: :func:`available_cores`) inside the block; restore them after. Yields the
    thread count.

    Inside another ``limited_threads`` block, the outer limit stays (the job's one limit
    is never changed by a part of it) and its thread count is yielded. Blocks running at
    the same time in other threads (e.g. concurrent :meth:`kamseg.SegmentModel.apply`
    calls of a service) share one limit: the first sets it, the last restores the pools.

    Examples
    --------
    >>> with limited_threads(1) as n:
    ...     with limited_threads(4) as inner:
    ...         (n, inner)
    (1, 1)
    """
    outer = _ACTIVE.get()
    if outer is not None:
        yield outer
        return
    n = resolve_n_jobs(n_jobs)
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    global _USERS, _LIMITER, _LIMIT
    with _LOCK:
        if _USERS == 0:
            _LIMITER, _LIMIT = threadpool_limits(limits=n), n
        _USERS += 1
        n = _LIMIT
    token = _ACTIVE.set(n)
    try:
        yield n
    finally:
        _ACTIVE.reset(token)
        with _LOCK:
            _USERS -= 1
            if _USERS == 0:
                _LIMITER.restore_original_limits()
                _LIMITER = None


# the one limit of the blocks running now in any thread (see limited_threads)
_LOCK = threading.Lock()
_USERS = 0
_LIMITER: Any = None
_LIMIT = 0


class Prefetched(Generic[_T]):
    """The result of `make`, computed in a thread of its own while the caller goes on, when
    :func:`thread_budget` allows two threads or more and `background` is true (e.g. rows
    enough: :data:`BACKGROUND_MIN_ROWS`); else computed in the caller's thread when
    :meth:`result` first asks for it.

    For numpy work that a later step reads (numpy lets go of the interpreter lock in its
    loops, so two such threads use two cores). `make` must be a pure function of data that
    no one changes meanwhile, and say nothing (no warning: the warning filters are shared
    by the threads): its result is then the same whichever thread computes it, and when.
    An exception it raises is raised by :meth:`result`. The thread runs in a copy of the
    caller's context (the job's thread budget).

    Examples
    --------
    >>> later = Prefetched(lambda: sum(range(10)))
    >>> later.result()
    45
    """

    def __init__(self, make: Callable[[], _T], *, background: bool = True) -> None:
        self._make: Callable[[], _T] | None = make
        self._value: _T | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if background and thread_budget() >= 2:
            context = contextvars.copy_context()
            self._thread = threading.Thread(
                target=context.run, args=(self._run,), name="kamseg-prefetch", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        assert self._make is not None
        try:
            self._value = self._make()
        except BaseException as exc:  # raised again by result(), in the caller's thread
            self._error = exc
        self._make = None  # let go of what it read

    @property
    def in_background(self) -> bool:
        """Whether a thread of its own computes it."""
        return self._thread is not None

    def result(self) -> _T:
        """The result of `make` (waiting for its thread, or computed now)."""
        if self._thread is not None:
            self._thread.join()
        elif self._make is not None:
            self._run()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]
