"""Key-account short list and its period-over-period review with hysteresis.

Part of :mod:`kamseg.accounts`; see its docstring for the workflow.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamseg._state import state
from kamseg._validation import (
    check_columns,
    check_frame,
    check_int,
    check_no_overwrite,
    examples,
    to_float,
    warn,
)
from kamseg.accounts._fit import _id_array
from kamseg.accounts._scoring import DECISIONS, _is_number
from kamseg.errors import ConfigError, SchemaError
from kamseg.labels import ACCOUNT_DECISION_LABELS, Language, check_language, translate

__all__ = [
    "KeyAccountSelection",
    "fit_select_key_accounts",
    "review_key_accounts",
    "select_key_accounts",
]


def _numeric_column(df: pd.DataFrame, col: Hashable, *, func: str) -> np.ndarray:
    x = to_float(df[col], func=func, col=str(col))
    if np.isnan(x).any():
        raise SchemaError(
            f"{func}: {int(np.isnan(x).sum())} value(s) of column {col!r} are null; "
            f"examples at index {examples(df.index[np.isnan(x)])}. Hint: score the accounts "
            "with score_accounts, which never leaves nulls."
        )
    return x


def _check_score_threshold(value: object, *, func: str, arg: str) -> float | None:
    if value is None:
        return None
    if not _is_number(value) or not math.isfinite(float(value)):  # type: ignore[arg-type]
        raise ConfigError(f"{func}: `{arg}` must be a finite number or None; got {value!r}.")
    return float(value)  # type: ignore[arg-type]


def select_key_accounts(
    customers: pd.DataFrame,
    *,
    min_accounts: int = 5,
    max_accounts: int = 25,
    min_score: float | None = None,
    rank_col: Hashable = "account_rank",
    score_col: Hashable = "account_score",
    exclude_col: Hashable | None = "nonpositive_revenue",
    overwrite: bool = False,
) -> pd.DataFrame:
    """Mark the key accounts: the best-ranked few, 5 to 25 by default.

    Parameters
    ----------
    customers
        One row per account with a rank (1 = best), e.g. from :func:`score_accounts`.
        Not modified.
    min_accounts
        Smallest list (default 5); when the data has fewer accounts, all of them.
    max_accounts
        Largest list (default 25, the rule of thumb for a key-account programme).
    min_score
        Entry criterion: only accounts whose score is at least this are key, unless that
        leaves fewer than `min_accounts` (see Notes). Default None: no score criterion.
    rank_col, score_col
        The rank and score columns (defaults ``"account_rank"``, ``"account_score"``);
        `score_col` is read only when `min_score` is given.
    exclude_col
        A boolean column whose true rows are never key accounts, read when it exists.
        Default ``"nonpositive_revenue"`` (from :func:`kamseg.summarize`): a customer whose
        returns and cancellations leave a net revenue <= 0 is no key account, however it
        ranks. None: every row may be chosen.
    overwrite
        Replace an existing ``is_key_account`` column instead of raising.

    Returns
    -------
    DataFrame
        A copy of `customers` (same index and row order) with ``is_key_account`` (bool).

    Raises
    ------
    ColumnNotFoundError
        If the rank column (or, with `min_score`, the score column) is missing.
    SchemaError
        If those columns have nulls, non-numbers or inf.
    EmptyInputError
        If `customers` has no rows.
    ConfigError
        If `min_accounts` > `max_accounts`, a bound is invalid, or ``is_key_account``
        exists and `overwrite` is false.

    Notes
    -----
    Accounts are taken in rank order, a **tie group** (accounts sharing a rank) at a time:

    1. Groups are taken while every member scores at least `min_score` and the list stays
       within `max_accounts`. A tie group that would push the list past `max_accounts` is
       left out whole, and so is every account ranked after it.
    2. If the list then has fewer than `min_accounts` accounts (or all of them, if there are
       fewer), the next groups are added in rank order, even below `min_score` (with a
       :class:`~kamseg.errors.KamsegWarning`), whole while the list stays within
       `max_accounts`. When a tie group is too big to fit, it is split: its members are
       taken in row order (the order of `customers`) up to `min_accounts`, and a warning names
       the accounts left out.

    Hence ties are never broken arbitrarily unless the bounds leave no other choice.

    This is ``fit_select_key_accounts(customers, ...).apply(customers)``: to mark other
    accounts later by the same threshold, keep the fit (see :func:`fit_select_key_accounts`).

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.accounts import select_key_accounts
    >>> customers = pd.DataFrame(
    ...     {"account_score": [0.9, 0.7, 0.7, 0.4, 0.2], "account_rank": [1, 2, 2, 4, 5]},
    ...     index=pd.Index(list("abcde"), name="customer_id"),
    ... )
    >>> select_key_accounts(customers, min_accounts=1, max_accounts=2)["is_key_account"].tolist()
    [True, False, False, False, False]
    >>> keys = select_key_accounts(customers, min_accounts=2, max_accounts=4, min_score=0.5)
    >>> keys["is_key_account"].tolist()
    [True, True, True, False, False]
    """
    return _fit_select_key_accounts(
        customers,
        min_accounts=min_accounts,
        max_accounts=max_accounts,
        min_score=min_score,
        rank_col=rank_col,
        score_col=score_col,
        exclude_col=exclude_col,
        overwrite=overwrite,
        func="select_key_accounts",
        check_output=True,
    )._apply(customers, func="select_key_accounts")


@state("accounts.KeyAccountSelection")
@dataclass(frozen=True, eq=False, repr=False)
class KeyAccountSelection:
    """The key-account short list learned by :func:`fit_select_key_accounts`, as a threshold.

    Attributes
    ----------
    last_rank : float
        The worst rank of the tie groups taken whole (``-inf`` when none was): an eligible
        account ranked at most this is key.
    split_rank : float or None
        The rank of the tie group that was split (see *Notes* of
        :func:`select_key_accounts`), or None when no group was split.
    split_ids : ndarray or None
        The ids of the members taken from that group (int64, or object array of str).
    min_accounts, max_accounts, min_score, rank_col, score_col, exclude_col
        The options, as in :func:`select_key_accounts`.
    overwrite : bool
        Whether :meth:`apply` may replace an existing ``is_key_account`` column.
    n_key_accounts, n_customers : int
        The size of the base's short list, and of the base.
    """

    last_rank: float
    split_rank: float | None
    split_ids: np.ndarray | None
    min_accounts: int
    max_accounts: int
    min_score: float | None
    rank_col: Hashable
    score_col: Hashable
    exclude_col: Hashable | None
    overwrite: bool
    n_key_accounts: int
    n_customers: int

    def apply(self, customers: pd.DataFrame) -> pd.DataFrame:
        """Mark the key accounts of `customers` by the frozen threshold, row by row.

        An account is key when it is eligible (not excluded by `exclude_col`, read when the
        column exists) and its rank is at most `last_rank`, or equals `split_rank` and its
        id is one of `split_ids`. On the fitted table this is the short list of
        :func:`select_key_accounts` exactly; a subset of customers gets the same rows as
        everyone. The list is not capped again: with ranks from the same scoring fit
        (:meth:`AccountScoreFit.apply`), a new account ranked within the threshold is key.
        `customers` may be empty. The score column is not read.

        Raises
        ------
        ColumnNotFoundError, SchemaError, ConfigError
            The rank column is missing or has nulls or non-numbers, or
            ``is_key_account`` exists and `overwrite` is false.

        Examples
        --------
        >>> import pandas as pd
        >>> from kamseg.accounts import fit_select_key_accounts
        >>> base = pd.DataFrame(
        ...     {"account_rank": [1, 2, 2, 4, 5]}, index=pd.Index(list("abcde"), name="id")
        ... )
        >>> sel = fit_select_key_accounts(base, min_accounts=1, max_accounts=3)
        >>> sel.last_rank
        2.0
        >>> new = pd.DataFrame({"account_rank": [2, 4]}, index=pd.Index(["f", "b"], name="id"))
        >>> sel.apply(new)["is_key_account"].tolist()
        [True, False]
        """
        return self._apply(customers, func="KeyAccountSelection.apply")

    def _apply(self, customers: pd.DataFrame, *, func: str) -> pd.DataFrame:
        check_frame(customers, func=func, arg="customers", allow_empty=True)
        check_columns(customers, {"rank_col": self.rank_col}, func=func)
        check_no_overwrite(customers, ["is_key_account"], func=func, overwrite=self.overwrite)
        rank = _numeric_column(customers, self.rank_col, func=func)
        eligible = _eligible(customers, self.exclude_col)
        is_key = eligible & (rank <= self.last_rank)
        if self.split_rank is not None and self.split_ids is not None:
            taken = pd.Index(_id_array(customers.index)).isin(self.split_ids)
            is_key |= eligible & (rank == self.split_rank) & taken
        out = customers.drop(columns=["is_key_account"], errors="ignore")
        return out.assign(is_key_account=is_key)

    def __repr__(self) -> str:
        taken = 0 if self.split_ids is None else len(self.split_ids)
        split = (
            "" if self.split_rank is None else f", split_rank={self.split_rank:g} ({taken} taken)"
        )
        return (
            f"KeyAccountSelection(n_customers={self.n_customers}, "
            f"n_key_accounts={self.n_key_accounts}, last_rank={self.last_rank:g}{split})"
        )


def _eligible(customers: pd.DataFrame, exclude_col: Hashable | None) -> np.ndarray:
    if exclude_col is not None and exclude_col in customers.columns:
        flags = customers[exclude_col]
        return ~np.asarray(flags.fillna(False).astype(bool), dtype=bool)
    return np.ones(len(customers), dtype=bool)


def fit_select_key_accounts(
    customers: pd.DataFrame,
    *,
    min_accounts: int = 5,
    max_accounts: int = 25,
    min_score: float | None = None,
    rank_col: Hashable = "account_rank",
    score_col: Hashable = "account_score",
    exclude_col: Hashable | None = "nonpositive_revenue",
    overwrite: bool = False,
) -> KeyAccountSelection:
    """Learn the key-account short list of :func:`select_key_accounts` as a rank threshold.

    ``fit_select_key_accounts(customers, ...).apply(customers)`` is
    ``select_key_accounts(customers, ...)``; :meth:`KeyAccountSelection.apply` then marks
    other accounts (one new account, a partition, later data) row by row.

    Parameters
    ----------
    customers
        The scored base, one row per account with a rank (1 = best), e.g. from
        :func:`score_accounts`. Not modified.
    min_accounts, max_accounts, min_score, rank_col, score_col, exclude_col, overwrite
        As in :func:`select_key_accounts`.

    Returns
    -------
    KeyAccountSelection
        The threshold and the options (see :class:`KeyAccountSelection`).

    Raises
    ------
    ColumnNotFoundError, SchemaError, EmptyInputError, ConfigError
        As :func:`select_key_accounts` (except the overwrite check, made by
        :meth:`KeyAccountSelection.apply`). Its warnings (accounts below `min_score`
        added, a tie group split) are given here, about the base.

    Notes
    -----
    The short list is always a prefix of the eligible accounts in rank order: whole tie
    groups, then possibly part of one more group (taken in row order). So it is frozen as
    the rank of the last whole group (`last_rank`) and, when a group was split, its rank and
    the ids of the members taken (`split_ids`; rows sharing an id share the decision). This
    reproduces the base's list exactly whatever the row order; a new account at the split
    rank is not key (that group had no room left).

    Examples
    --------
    >>> import kamseg
    >>> from kamseg.accounts import fit_score_accounts, fit_select_key_accounts
    >>> data = kamseg.datasets.make_transactions(n_customers=200, seed=0)
    >>> customers = kamseg.summarize(data.transactions, as_of=data.as_of, profit_col="profit")
    >>> scoring = fit_score_accounts(customers, criteria={"revenue": 0.5, "profit": 0.5})
    >>> scored = scoring.apply(customers)
    >>> selection = fit_select_key_accounts(scored, max_accounts=10)
    >>> selection.n_key_accounts, selection.last_rank
    (10, 10.0)
    >>> one = scoring.apply(customers.iloc[[0]])
    >>> selection.apply(one)["is_key_account"].item() == (one["account_rank"].item() <= 10)
    True
    """
    return _fit_select_key_accounts(
        customers,
        min_accounts=min_accounts,
        max_accounts=max_accounts,
        min_score=min_score,
        rank_col=rank_col,
        score_col=score_col,
        exclude_col=exclude_col,
        overwrite=overwrite,
        func="fit_select_key_accounts",
        check_output=False,
    )


def _fit_select_key_accounts(
    customers: pd.DataFrame,
    *,
    min_accounts: int,
    max_accounts: int,
    min_score: float | None,
    rank_col: Hashable,
    score_col: Hashable,
    exclude_col: Hashable | None,
    overwrite: bool,
    func: str,
    check_output: bool,
) -> KeyAccountSelection:
    check_frame(customers, func=func, arg="customers")
    lo = check_int(min_accounts, func=func, arg="min_accounts", low=0)
    hi = check_int(max_accounts, func=func, arg="max_accounts", low=1)
    if lo > hi:
        raise ConfigError(
            f"{func}: `min_accounts` ({lo}) is larger than `max_accounts` ({hi}). Hint: the "
            "rule of thumb is 5 to 25 key accounts."
        )
    threshold = _check_score_threshold(min_score, func=func, arg="min_score")
    check_columns(customers, {"rank_col": rank_col}, func=func)
    if threshold is not None:
        check_columns(customers, {"score_col": score_col}, func=func)
    if check_output:  # select_key_accounts refuses before reading any value, as it always did
        check_no_overwrite(customers, ["is_key_account"], func=func, overwrite=overwrite)

    rank = _numeric_column(customers, rank_col, func=func)
    limit = -np.inf if threshold is None else threshold
    score = (
        np.zeros(len(customers))
        if threshold is None
        else _numeric_column(customers, score_col, func=func)
    )
    n = len(customers)
    eligible = _eligible(customers, exclude_col)
    order = np.lexsort((np.arange(n), rank))  # by rank, then row order
    order = order[eligible[order]]  # excluded rows are never chosen
    lo = min(lo, order.size)
    n_eligible = order.size
    ranks_sorted = rank[order]
    starts = np.flatnonzero(np.r_[True, ranks_sorted[1:] != ranks_sorted[:-1]])
    ends = np.r_[starts[1:], n_eligible]

    last_rank = -np.inf
    split_rank: float | None = None
    split_ids: np.ndarray | None = None
    count = 0
    g = 0
    while g < starts.size and n_eligible:  # 1. score and size
        grp = order[starts[g] : ends[g]]
        if (score[grp] < limit).any() or count + grp.size > hi:
            break
        last_rank = float(ranks_sorted[starts[g]])
        count += grp.size
        g += 1
    below: list[int] = []
    while count < lo:  # 2. up to min_accounts
        grp = order[starts[g] : ends[g]]
        below.extend(grp[score[grp] < limit].tolist())
        if count + grp.size <= hi:
            last_rank = float(ranks_sorted[starts[g]])
            count += grp.size
        else:
            members = np.sort(grp)  # row order
            take, left = members[: lo - count], members[lo - count :]
            split_rank = float(ranks_sorted[starts[g]])
            split_ids = _id_array(customers.index)[take]
            count += take.size
            warn(
                f"{func}: {grp.size} accounts tie at rank {ranks_sorted[starts[g]]:g}; taking "
                f"them all would exceed max_accounts={hi} and leaving them all out would "
                f"leave fewer than min_accounts={lo}, so {take.size} were taken in row "
                f"order and {left.size} left out: {examples(customers.index[left], 5)}.",
                stacklevel=4,
            )
        g += 1
    if below:
        warn(
            f"{func}: fewer than min_accounts={lo} accounts score at least min_score="
            f"{limit:g}; {len(below)} account(s) below it were added by rank: "
            f"{examples(customers.index[below], 5)}.",
            stacklevel=4,
        )
    return KeyAccountSelection(
        last_rank=last_rank,
        split_rank=split_rank,
        split_ids=split_ids,
        min_accounts=int(min_accounts),
        max_accounts=int(max_accounts),
        min_score=threshold,
        rank_col=rank_col,
        score_col=score_col,
        exclude_col=exclude_col,
        overwrite=bool(overwrite),
        n_key_accounts=count,
        n_customers=n,
    )


# --------------------------------------------------------------------------------------
# review
# --------------------------------------------------------------------------------------


def _reasons(
    rank: np.ndarray,
    score: np.ndarray,
    rank_limit: int | None,
    score_limit: float | None,
    what: str,
    *,
    passed: bool,
) -> list[str]:
    """Per row, the thresholds passed (or failed), e.g. 'rank 31 > exit rank 30'."""
    parts: list[list[str]] = []
    if rank_limit is not None:
        keep = (rank <= rank_limit) == passed
        integral = bool((rank == np.round(rank)).all())
        shown = rank.astype(np.int64).tolist() if integral else rank.tolist()
        op = f" <= {what} rank {rank_limit}" if passed else f" > {what} rank {rank_limit}"
        fmt = "rank {}" if integral else "rank {:.4g}"
        parts.append(
            [fmt.format(r) + op if k else "" for r, k in zip(shown, keep.tolist(), strict=True)]
        )
    if score_limit is not None:
        keep = (score >= score_limit) == passed
        op = f" {'>=' if passed else '<'} {what} score {score_limit:.4g}"
        parts.append(
            [
                f"score {v:.4g}{op}" if k else ""
                for v, k in zip(score.tolist(), keep.tolist(), strict=True)
            ]
        )
    if len(parts) == 1:
        return parts[0]
    return [" and ".join(p for p in row if p) for row in zip(*parts, strict=True)]


def _bool_column(df: pd.DataFrame, col: str, *, func: str, arg: str) -> np.ndarray:
    s = df[col]
    if pd.api.types.is_bool_dtype(s.dtype) and not s.isna().any():
        return s.to_numpy(dtype=bool)
    ok = s.map(lambda v: isinstance(v, bool | np.bool_) or (v in (0, 1) and _is_number(v)))
    if s.isna().any() or not ok.all():
        bad = s[s.isna() | ~ok.astype(bool)]
        raise SchemaError(
            f"{func}: column {col!r} of `{arg}` must be True/False without nulls; found "
            f"{len(bad)} other value(s), e.g. {examples(bad)}. Hint: pass the output of "
            "select_key_accounts or review_key_accounts."
        )
    return s.astype(bool).to_numpy(dtype=bool)


def review_key_accounts(
    customers: pd.DataFrame,
    *,
    previous: pd.DataFrame,
    enter_rank: int | None = 20,
    exit_rank: int | None = 30,
    enter_score: float | None = None,
    exit_score: float | None = None,
    patience: int = 2,
    max_accounts: int | None = 25,
    rank_col: Hashable = "account_rank",
    score_col: Hashable = "account_score",
    labels: Language = "en",
) -> pd.DataFrame:
    """Review the key-account list for a new period, with hysteresis.

    An account enters the list only when it clears the strict *entry* threshold; a key
    account stays while it clears the looser *exit* threshold, goes on *watch* when it
    falls below it, and is removed only after `patience` consecutive periods below. So
    removal is deliberately harder than entry, and accounts near the boundary do not flip
    in and out.

    Parameters
    ----------
    customers
        This period's accounts with their rank (1 = best) and, for score thresholds, their
        score: the output of :func:`score_accounts`, indexed by account id. Not modified.
    previous
        Last period's list (keyword-only), indexed by account id, with ``is_key_account``
        (bool) and optionally ``periods_below`` (int, consecutive periods a key account has
        been below the exit threshold; 0 when absent): the output of
        :func:`select_key_accounts` or of the previous review. May be empty.
    enter_rank, enter_score
        Entry threshold: rank at most `enter_rank` (default 20) and score at least
        `enter_score` (default None: not used). At least one must be given.
    exit_rank, exit_score
        Exit threshold, looser than the entry one: rank at most `exit_rank` (default 30)
        and score at least `exit_score` (default None). At least one must be given, and
        each needs its entry counterpart (``enter_rank <= exit_rank``,
        ``enter_score >= exit_score``), so an account that clears the entry threshold
        always clears the exit threshold.
    patience
        Consecutive periods below the exit threshold after which a key account is removed
        (default 2: one bad period only puts it on watch). 1 removes it at once.
    max_accounts
        Largest list (default 25); None for no cap. See Notes for who keeps a place.
    rank_col, score_col
        Column names in `customers` (defaults ``"account_rank"``, ``"account_score"``).
    labels
        Language of the ``decision`` labels: ``"en"`` or ``"zh"``.

    Returns
    -------
    DataFrame
        One row per account in `customers` (in its order) or in `previous` (then the
        accounts of `previous` no longer in `customers`, in their order), indexed by
        account id, with:

        - ``was_key_account`` (bool): key account last period;
        - ``is_key_account`` (bool): key account from this period on;
        - ``decision`` (ordered categorical, lifecycle order): ``"added"``, ``"kept"``,
          ``"watch"`` (still key, below the exit threshold), ``"removed"`` or
          ``"not key"``, translated with `labels`;
        - ``reason`` (str, English): the rule with the numbers, e.g. ``"rank 31 > exit rank
          30 for 2 periods"``;
        - ``periods_below`` (int64): consecutive periods a key account has been below the
          exit threshold, this one included (0 when it clears it, for accounts that were
          not key and for accounts no longer in the data); for removed accounts, the
          count that removed them.

        Pass it as `previous` to the next review.

    Raises
    ------
    ColumnNotFoundError
        If ``is_key_account`` or the rank (or score) column is missing.
    SchemaError
        If ``is_key_account`` is not boolean, ``periods_below`` not a count, ranks or scores
        are null or not numbers, or an index has duplicate account ids.
    EmptyInputError
        If `customers` has no rows.
    ConfigError
        If the thresholds are missing, the exit threshold is stricter than the entry
        threshold, `enter_rank` exceeds `max_accounts`, or an option is invalid.

    Notes
    -----
    Rules, for each account of `customers`:

    - not key last period: ``"added"`` if it clears the entry threshold, else ``"not key"``;
    - key last period and clears the exit threshold: ``"kept"`` (counter back to 0);
    - key last period and below it: the counter goes up by one; ``"removed"`` when it
      reaches `patience`, else ``"watch"`` (still a key account).

    A key account missing from `customers` (a lost customer) is ``"removed"`` at once, with the
    reason "no longer in the data"; a missing non-key account is ``"not key"``.

    **Capacity.** When more than `max_accounts` accounts would be key, incumbents keep
    their places first: kept accounts, then accounts on watch, then newly added ones, each
    by rank (ties broken by row order). So a full list makes newcomers wait until an
    incumbent leaves by the rules above, rather than pushing incumbents out: demoting a
    key account costs more than admitting one a period later. Accounts left without a
    place are ``"not key"`` (newcomers) or ``"removed"`` (incumbents, only when the
    incumbents alone overflow the list, e.g. after `max_accounts` was lowered), with the
    reason "the list is full"; a :class:`~kamseg.errors.KamsegWarning` is issued when an
    incumbent is removed this way or a tie in rank is split.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.accounts import review_key_accounts
    >>> ids = pd.Index(list("abcde"), name="customer_id")
    >>> previous = pd.DataFrame(
    ...     {"is_key_account": [True, True, True, False, False], "periods_below": [0, 0, 1, 0, 0]},
    ...     index=ids,
    ... )
    >>> customers = pd.DataFrame({"account_rank": [1, 4, 5, 2, 3]}, index=ids)
    >>> out = review_key_accounts(customers, previous=previous, enter_rank=2, exit_rank=3)
    >>> out[["decision", "reason", "periods_below"]]
                decision                                  reason  periods_below
    customer_id
    a               kept                   rank 1 <= exit rank 3              0
    b              watch  rank 4 > exit rank 3 for 1 of 2 periods              1
    c            removed         rank 5 > exit rank 3 for 2 periods              2
    d              added                  rank 2 <= entry rank 2              0
    e            not key                  rank 3 > entry rank 2              0
    """
    func = "review_key_accounts"
    check_frame(customers, func=func, arg="customers")
    check_frame(previous, func=func, arg="previous", allow_empty=True)
    lang = check_language(labels, func=func)
    en_r = (
        None if enter_rank is None else check_int(enter_rank, func=func, arg="enter_rank", low=1)
    )
    ex_r = None if exit_rank is None else check_int(exit_rank, func=func, arg="exit_rank", low=1)
    en_s = _check_score_threshold(enter_score, func=func, arg="enter_score")
    ex_s = _check_score_threshold(exit_score, func=func, arg="exit_score")
    pat = check_int(patience, func=func, arg="patience", low=1)
    cap = (
        None
        if max_accounts is None
        else check_int(max_accounts, func=func, arg="max_accounts", low=1)
    )
    if en_r is None and en_s is None:
        raise ConfigError(
            f"{func}: no entry threshold. Hint: pass enter_rank= (e.g. 20) and/or enter_score=."
        )
    if ex_r is None and ex_s is None:
        raise ConfigError(
            f"{func}: no exit threshold, so key accounts could never leave. Hint: pass "
            "exit_rank= (e.g. 30) and/or exit_score=."
        )
    if ex_r is not None and (en_r is None or en_r > ex_r):
        raise ConfigError(
            f"{func}: the exit rank must be at least as loose as the entry rank; got "
            f"enter_rank={en_r}, exit_rank={ex_r}. Hint: e.g. enter_rank=20, exit_rank=30: "
            "removal should be harder than entry."
        )
    if ex_s is not None and (en_s is None or en_s < ex_s):
        raise ConfigError(
            f"{func}: the exit score must be at most the entry score; got enter_score="
            f"{en_s}, exit_score={ex_s}. Hint: removal should be harder than entry, e.g. "
            "enter_score=0.7, exit_score=0.6."
        )
    if cap is not None and en_r is not None and en_r > cap:
        raise ConfigError(
            f"{func}: enter_rank={en_r} admits more accounts than max_accounts={cap}. Hint: "
            "lower enter_rank or raise max_accounts."
        )
    check_columns(previous, {"previous": "is_key_account"}, func=func)
    check_columns(customers, {"rank_col": rank_col}, func=func)
    use_score = en_s is not None or ex_s is not None
    if use_score:
        check_columns(customers, {"score_col": score_col}, func=func)
    for df, arg in ((previous, "previous"), (customers, "customers")):
        if not df.index.is_unique:
            dup = df.index[df.index.duplicated()]
            raise SchemaError(
                f"{func}: the index of `{arg}` has duplicate account ids, e.g. "
                f"{examples(dup)}. Hint: one row per account."
            )

    prev_key_all = _bool_column(previous, "is_key_account", func=func, arg="previous")
    if "periods_below" in previous.columns:
        pb = to_float(previous["periods_below"], func=func, col="periods_below")
        bad = np.isnan(pb) | (pb < 0) | (pb != np.round(pb))
        if bad.any():
            raise SchemaError(
                f"{func}: column 'periods_below' of `previous` must hold counts >= 0; found "
                f"{examples(previous['periods_below'][bad])}."
            )
        prev_below_all = pb.astype(np.int64)
    else:
        prev_below_all = np.zeros(len(previous), dtype=np.int64)

    rank = _numeric_column(customers, rank_col, func=func)
    score = (
        _numeric_column(customers, score_col, func=func)
        if use_score
        else np.full(len(customers), np.nan)
    )
    n = len(customers)
    pos_prev = previous.index.get_indexer(customers.index)
    in_prev = pos_prev >= 0
    was = (
        np.where(in_prev, prev_key_all[np.maximum(pos_prev, 0)], False)
        if len(previous)
        else np.zeros(n, bool)
    )
    prev_below = (
        np.where(in_prev & was, prev_below_all[np.maximum(pos_prev, 0)], 0)
        if len(previous)
        else np.zeros(n, np.int64)
    )

    ok_exit = np.ones(n, dtype=bool) if ex_r is None else rank <= ex_r
    ok_entry = np.ones(n, dtype=bool) if en_r is None else rank <= en_r
    if ex_s is not None:
        ok_exit &= score >= ex_s
    if en_s is not None:
        ok_entry &= score >= en_s
    failing = was & ~ok_exit
    below = np.where(failing, prev_below + 1, 0).astype(np.int64)
    removed = failing & (below >= pat)
    watch = failing & ~removed
    kept = was & ok_exit
    added = ~was & ok_entry
    is_key = kept | watch | added
    code = np.select([added, kept, watch, removed], [0, 1, 2, 3], 4).astype(np.int8)
    reason = np.empty(n, dtype=object)
    for mask, what, passed in (
        (kept, "exit", True),
        (failing, "exit", False),
        (added, "entry", True),
        (~was & ~ok_entry, "entry", False),
    ):
        idx = np.flatnonzero(mask)
        if idx.size:
            lim = (ex_r, ex_s) if what == "exit" else (en_r, en_s)
            texts = _reasons(rank[idx], score[idx], *lim, what, passed=passed)
            if what == "exit" and not passed:
                texts = [
                    f"{t} for {b} {'period' if b == 1 else 'periods'}"
                    if b >= pat
                    else f"{t} for {b} of {pat} periods"
                    for t, b in zip(texts, below[idx].tolist(), strict=True)
                ]
            reason[idx] = texts

    if cap is not None and int(is_key.sum()) > cap:
        cand = np.flatnonzero(is_key)
        prio = np.select([kept, watch], [0, 1], 2)  # kept, then watch, then added
        order = cand[np.lexsort((cand, rank[cand], prio[cand]))]
        keep, drop = order[:cap], order[cap:]
        full = f"the list is full (max_accounts={cap})"
        is_key[drop] = False
        code[drop] = np.where(was[drop], 3, 4)  # removed / not key
        reason[drop] = [f"{r}, but {full}" for r in reason[drop].tolist()]
        last = keep[-1]
        split = drop[(rank[drop] == rank[last]) & (prio[drop] == prio[last])]
        evicted = drop[was[drop]]
        if split.size or evicted.size:
            warn(
                f"{func}: {drop.size} account(s) got no place because {full}; "
                f"{evicted.size} of them were key accounts and {split.size} tie in rank with "
                "an account that got a place (broken by row order): "
                f"{examples(customers.index[np.r_[evicted, split]], 5)}."
            )

    lost = previous.index[~previous.index.isin(customers.index)]
    lost_pos = previous.index.get_indexer(lost)
    lost_was = prev_key_all[lost_pos] if len(lost) else np.zeros(0, dtype=bool)
    gone = "no longer in the data"
    name = customers.index.name if customers.index.name is not None else previous.index.name
    index = customers.index.append(lost).rename(name)
    shown_names = [translate(d, labels=lang, table=ACCOUNT_DECISION_LABELS) for d in DECISIONS]
    codes = np.r_[code, np.where(lost_was, 3, 4).astype(np.int8)]  # removed / not key
    return pd.DataFrame(
        {
            "was_key_account": np.r_[was.astype(bool), lost_was.astype(bool)],
            "is_key_account": np.r_[is_key, np.zeros(len(lost), dtype=bool)],
            "decision": pd.Categorical.from_codes(
                codes, categories=pd.Index(shown_names), ordered=True
            ),
            "reason": pd.Series(
                np.r_[reason, np.full(len(lost), gone, dtype=object)], index=index, dtype=object
            ).astype(str),
            "periods_below": np.r_[below, np.zeros(len(lost), dtype=np.int64)],
        },
        index=index,
    )
