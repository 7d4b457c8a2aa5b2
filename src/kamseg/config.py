"""Settings of :func:`kamseg.segment` and ``kamseg segment``: one frozen dataclass, TOML I/O.

The same file drives the Python call and the command line::

    config = kamseg.SegmentConfig.from_toml("kamseg.toml")
    table = kamseg.segment(transactions, config=config)

    kamseg segment transactions.parquet --config kamseg.toml -o customers.parquet

TOML keys are the field names; the sections (``[columns]``, ``[summary]``, ...) only group
them. A field is named after the argument it feeds (``bins`` of :func:`kamseg.rfm_scores`,
``criteria`` of :func:`kamseg.score_accounts`, ...), with the step's name in front where
two steps have an argument of that name (``clv_model``, ``pareto_value_col``); the
``kamseg segment`` options have the same names. :meth:`SegmentConfig.to_toml` writes every
field, so a saved file documents the defaults it ran with.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, get_args

import tomli_w

from kamseg._types import Freq, ReturnsPolicy
from kamseg.errors import ConfigError
from kamseg.labels import Language

__all__ = ["STEPS", "Engine", "PurchaseModel", "PyramidKind", "SegmentConfig", "Step"]

Step = Literal["rfm", "clv", "pareto", "key_accounts", "classes", "health", "warnings", "churn"]
"""An analysis step of :func:`kamseg.segment`."""

#: The analysis steps of :func:`kamseg.segment`, in the order they run (the summary always
#: runs first).
STEPS: tuple[Step, ...] = get_args(Step)

Engine = Literal["auto", "pandas", "duckdb"]
"""Where the summary of a Parquet input runs: pandas, DuckDB, or chosen by size."""

PurchaseModel = Literal["mbgnbd", "bgnbd", "pareto_nbd"]
"""The purchase models :func:`kamseg.segment` fits for lifetime value (``clv.fit(model=)``)."""

PyramidKind = Literal["value", "profit"]
"""The kinds of :func:`kamseg.pyramid`."""

_FUNC = "SegmentConfig"

#: TOML section of each field, in the order they are written.
_SECTIONS: dict[str, tuple[str, ...]] = {
    "columns": (
        "customer_col",
        "date_col",
        "amount_col",
        "profit_col",
        "order_col",
        "product_col",
        "quantity_col",
        "price_col",
        "master_id_col",
        "side_date_col",
    ),
    "summary": ("as_of", "freq", "returns", "dropna", "engine", "pandas_max_rows"),
    "steps": ("steps",),
    "rfm": ("bins",),
    "clv": ("clv_model", "penalty", "horizon", "discount_rate", "margin", "cost_to_serve_col"),
    "pareto": ("pareto_value_col", "kind", "inactive_days"),
    "key_accounts": ("min_accounts", "max_accounts", "criteria"),
    "health": ("window_days",),
    "output": ("labels", "action"),
    "run": ("n_jobs",),
}


class _ReadOnlyDict(dict[str, Any]):
    """A dict that refuses changes (the config is immutable); pickles and copies as usual."""

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("SegmentConfig is immutable; use config.replace(criteria=...)")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]
    __ior__ = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (_ReadOnlyDict, (dict(self),))


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return _ReadOnlyDict({str(k): _freeze(v) for k, v in value.items()})
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True)
class SegmentConfig:
    """Every setting of :func:`kamseg.segment`; immutable, loadable from and savable to TOML.

    Parameters
    ----------
    customer_col, date_col, amount_col
        Column names of the transactions.
    profit_col, order_col
        Optional transaction columns: profit (margin, profit CLV, whale curve) and order id
        (order lines counted as one order). None: not used.
    product_col
        Product column of the transactions, used with a `catalog` for the need level.
    quantity_col, price_col
        Line items (e.g. an invoice export): give both, and each row's amount is quantity ×
        unit price (`amount_col` is not read). None: the amount is `amount_col`.
    master_id_col
        Column of the master that holds the customer ids. None: the master's index when it
        is named (or holds the transactions' ids), else a column named `customer_col`; a
        master with neither raises :class:`~kamseg.errors.ConfigError` (its row numbers
        are never taken for ids).
    side_date_col
        Date column of the surveys and complaints. None: the transactions' `date_col`.
    as_of
        Observation date (ISO text); None: the latest transaction date. The ``as_of``
        argument of :func:`kamseg.segment` wins over this.
    freq
        Period of the BTYD columns and CLV models: ``"D"`` (default, as
        :func:`kamseg.summarize` and :func:`kamseg.clv.predict`), ``"W"`` or ``"M"``.
    returns, dropna
        As in :func:`kamseg.summarize`.
    engine
        Where the per-transaction summary runs when `transactions` is a Parquet path:
        ``"pandas"`` (read into memory; every step available), ``"duckdb"`` (out of core;
        steps that need transaction rows use the customer table alone, see
        :func:`kamseg.segment`) or ``"auto"`` (pandas up to `pandas_max_rows` rows, DuckDB
        above).
    pandas_max_rows
        Threshold of ``engine="auto"``.
    steps
        The analyses to run, a subset of :data:`STEPS`; the summary always runs.
    bins
        Scores per RFM dimension (2 to 10), the ``bins`` of :func:`kamseg.rfm_scores`.
    clv_model
        Purchase model of the lifetime value (the ``model`` of ``kamseg.clv.fit``):
        ``"mbgnbd"`` (default), ``"bgnbd"`` or ``"pareto_nbd"``; spend is Gamma-Gamma.
        Named with its step because the churn step has a model too.
    penalty
        L2 penalty of the purchase model's fit (the ``penalty`` of ``kamseg.clv.fit``; 0:
        plain maximum likelihood). It does not depend on `freq`: time is rescaled before
        the fit.
    horizon, discount_rate
        CLV horizon in months and monthly discount rate (of ``kamseg.clv.predict``).
    margin
        Gross margin (profit per unit of revenue, at most 1) for the profit CLV and the
        net profit when the transactions have no `profit_col`. None: each customer's
        margin from `profit_col`; without one, and with a master cost to serve, 1.0 (the
        revenue counted as gross profit), said in ``attrs["kamseg_limited"]``.
    cost_to_serve_col
        Master column with each customer's yearly cost to serve. When the column exists,
        profit CLV is net of it, and so is the ``net_profit`` column (profit so far less
        the cost to serve over each customer's tenure) that the profit pyramid, the whale
        curve and the report use.
    pareto_value_col
        Value column of the Pareto/ABC analysis and the value pyramid (the ``value_col`` of
        :func:`kamseg.pareto_table` and :func:`kamseg.pyramid`). Named with its step
        because the value classes of the ``classes`` step have a ``value_col`` of their own
        (always ``revenue``).
    kind
        ``"value"`` (default) or ``"profit"`` pyramid (the ``kind`` of
        :func:`kamseg.pyramid`).
    inactive_days
        Customers without a purchase for this many days form the pyramid's inactive tier;
        0: no inactive tier.
    criteria
        Criteria of :func:`kamseg.score_accounts` (column -> weight, or -> ``{"weight": w,
        "direction": "min"}``). None: value (revenue), lifetime profit (``profit_clv``, else
        ``profit``, else ``clv``), and the master's ``market_influence``, ``strategic_fit`` and
        ``cost_to_serve`` (lower is better) when present, weights 25/25/15/15/20 % scaled
        to the criteria present.
    min_accounts, max_accounts
        Size of the key-account short list (of :func:`kamseg.select_key_accounts`).
    window_days
        Window of the health trends, early warnings and churn model.
    labels
        ``"en"`` or ``"zh"``: names of segments, tiers and classes.
    action
        Add each dimension's recommended action (``value_action``, ...), the ``action`` of
        :func:`kamseg.classify`.
    n_jobs
        Threads of the native libraries (the BLAS of numpy and scipy, scikit-learn's
        OpenMP) for the whole job, at least 1. None: the cores this process may use (its
        CPU affinity, else ``os.cpu_count()``). On a machine shared with other work, 1
        avoids threads that wait on each other while the other work holds a core.

    Examples
    --------
    >>> from kamseg import SegmentConfig
    >>> config = SegmentConfig(profit_col="profit", steps=("rfm", "pareto"))
    >>> config.freq, config.steps
    ('D', ('rfm', 'pareto'))
    >>> SegmentConfig.from_toml_text(config.to_toml_text()) == config
    True
    >>> SegmentConfig(freq="Q")
    Traceback (most recent call last):
    ...
    kamseg.errors.ConfigError: SegmentConfig: `freq` must be one of 'D', 'W', 'M'; got 'Q'.
    """

    customer_col: str = "customer_id"
    date_col: str = "date"
    amount_col: str = "amount"
    profit_col: str | None = None
    order_col: str | None = None
    product_col: str = "product"
    quantity_col: str | None = None
    price_col: str | None = None
    master_id_col: str | None = None
    side_date_col: str | None = None
    as_of: str | None = None
    freq: Freq = "D"
    returns: ReturnsPolicy = "net"
    dropna: bool = False
    engine: Engine = "auto"
    pandas_max_rows: int = 20_000_000
    steps: tuple[Step, ...] = STEPS
    bins: int = 5
    clv_model: PurchaseModel = "mbgnbd"
    penalty: float = 0.0
    horizon: int = 12
    discount_rate: float = 0.01
    margin: float | None = None
    cost_to_serve_col: str = "cost_to_serve"
    pareto_value_col: str = "revenue"
    kind: PyramidKind = "value"
    inactive_days: int = 365
    criteria: Mapping[str, Any] | None = field(default=None)
    min_accounts: int = 5
    max_accounts: int = 25
    window_days: int = 180
    labels: Language = "en"
    action: bool = True
    n_jobs: int | None = None

    def __post_init__(self) -> None:
        for name in ("customer_col", "date_col", "amount_col", "product_col"):
            _check_text(getattr(self, name), name)
        for name in (
            "profit_col",
            "order_col",
            "quantity_col",
            "price_col",
            "master_id_col",
            "side_date_col",
            "as_of",
        ):
            value = getattr(self, name)
            if value is not None:
                _check_text(value, name)
        if (self.quantity_col is None) != (self.price_col is None):
            raise ConfigError(
                f"{_FUNC}: `quantity_col` and `price_col` go together (line items: the amount "
                "is quantity x unit price); one of them is missing. Hint: set both, or neither "
                "to read `amount_col`."
            )
        _check_text(self.cost_to_serve_col, "cost_to_serve_col")
        _check_text(self.pareto_value_col, "pareto_value_col")
        _choice(self.freq, "freq", get_args(Freq))
        _choice(self.returns, "returns", get_args(ReturnsPolicy))
        _choice(self.engine, "engine", get_args(Engine))
        _choice(self.clv_model, "clv_model", get_args(PurchaseModel))
        _choice(self.kind, "kind", get_args(PyramidKind))
        _choice(self.labels, "labels", get_args(Language))
        for name in ("dropna", "action"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(
                    f"{_FUNC}: `{name}` must be true or false; got {getattr(self, name)!r}."
                )
        _integer(self.pandas_max_rows, "pandas_max_rows", 0, None)
        _integer(self.bins, "bins", 2, 10)
        _integer(self.horizon, "horizon", 1, 1200)
        _integer(self.inactive_days, "inactive_days", 0, None)
        _integer(self.min_accounts, "min_accounts", 1, None)
        _integer(self.max_accounts, "max_accounts", self.min_accounts, None)
        _integer(self.window_days, "window_days", 1, None)
        if self.n_jobs is not None:
            _integer(self.n_jobs, "n_jobs", 1, None)
        rate = self.discount_rate
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate < 1:
            raise ConfigError(
                f"{_FUNC}: `discount_rate` must be a number in [0, 1) per month; got {rate!r}."
            )
        object.__setattr__(self, "discount_rate", float(rate))
        penalty = self.penalty
        if (
            isinstance(penalty, bool)
            or not isinstance(penalty, int | float)
            or not 0 <= penalty < float("inf")
        ):
            raise ConfigError(
                f"{_FUNC}: `penalty` must be a number >= 0 (e.g. 0.001); got {penalty!r}."
            )
        object.__setattr__(self, "penalty", float(penalty))
        margin = self.margin
        if margin is not None:
            if (
                isinstance(margin, bool)
                or not isinstance(margin, int | float)
                or not (-float("inf") < margin <= 1)
            ):
                raise ConfigError(
                    f"{_FUNC}: `margin` must be a number at most 1 (profit per unit of "
                    f"revenue, e.g. 0.3); got {margin!r}."
                )
            object.__setattr__(self, "margin", float(margin))
        steps: Any = self.steps  # TOML and callers may give a list
        if isinstance(steps, str) or not isinstance(steps, tuple | list):
            raise ConfigError(f"{_FUNC}: `steps` must be a list of step names; got {steps!r}.")
        for step in steps:
            _choice(step, "steps", STEPS)
        # run order is fixed; keep the given ones, once each
        object.__setattr__(self, "steps", tuple(s for s in STEPS if s in steps))
        if self.criteria is not None:
            if not isinstance(self.criteria, Mapping) or not self.criteria:
                raise ConfigError(
                    f"{_FUNC}: `criteria` must be a non-empty table of column = weight; "
                    f"got {self.criteria!r}."
                )
            object.__setattr__(self, "criteria", _freeze(self.criteria))

    # --- dictionaries and TOML -----------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary of every field (lists for tuples, dicts for mappings)."""
        return {f.name: _thaw(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> SegmentConfig:
        """Config from field names to values; sections (TOML tables) are flattened.

        Unknown names raise :class:`~kamseg.errors.ConfigError` with a close-match hint.
        """
        flat: dict[str, Any] = {}
        names = [f.name for f in fields(cls)]
        for key, value in values.items():
            if key in _SECTIONS and isinstance(value, Mapping):  # a section
                for sub, sub_value in value.items():
                    if sub not in _SECTIONS[key]:
                        _unknown(sub, names, where=f"section [{key}]")
                    flat[sub] = sub_value
            elif key in names:
                flat[key] = value
            else:
                _unknown(key, names, where="the top level")
        if "steps" in flat and isinstance(flat["steps"], list):
            flat["steps"] = tuple(flat["steps"])
        return cls(**flat)

    @classmethod
    def from_toml_text(cls, text: str) -> SegmentConfig:
        """Config from TOML text (see :meth:`to_toml_text` for the layout)."""
        try:
            values = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{_FUNC}: not valid TOML: {exc}") from exc
        return cls.from_dict(values)

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> SegmentConfig:
        """Config read from a TOML file."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8-sig")  # a byte-order mark is allowed
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{_FUNC}: config file {str(p)!r} is not UTF-8 text ({exc.reason} at byte "
                f"{exc.start}). Hint: save it as UTF-8 (TOML files are UTF-8)."
            ) from exc
        except OSError as exc:
            raise ConfigError(f"{_FUNC}: cannot read config file {str(p)!r}: {exc}") from exc
        try:
            return cls.from_toml_text(text)
        except ConfigError as exc:
            raise ConfigError(f"{exc} (in {str(p)!r})") from exc

    def to_toml_text(self) -> str:
        """TOML text of every field, by section; None fields are left out."""
        tables: dict[str, dict[str, Any]] = {}
        for section, names in _SECTIONS.items():
            body = {name: getattr(self, name) for name in names}
            body = {name: value for name, value in body.items() if value is not None}
            if body:
                tables[section] = body
        try:
            text = tomli_w.dumps(tables)
        except (TypeError, ValueError) as exc:  # e.g. a criteria weight TOML cannot hold
            raise ConfigError(f"{_FUNC}: cannot write the settings as TOML: {exc}") from exc
        return f"# kamseg segment configuration (kamseg.SegmentConfig)\n\n{text}"

    def to_toml(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_toml_text` to `path` (UTF-8, atomically); return the path."""
        from kamseg._files import atomic_write

        p = Path(path)
        text = self.to_toml_text()
        atomic_write(p, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        return p

    @property
    def transaction_columns(self) -> list[str]:
        """The columns of the transactions the job reads (each once, in this order):
        customer, date, amount, profit, order, product, quantity, price, those named."""
        names = (
            self.customer_col,
            self.date_col,
            self.amount_col,
            self.profit_col,
            self.order_col,
            self.product_col,
            self.quantity_col,
            self.price_col,
        )
        return [c for c in dict.fromkeys(names) if c is not None]

    @property
    def reading(self) -> dict[str, Any]:
        """How the job reads the transactions, as keyword arguments of
        :func:`kamseg.prepare_transactions` and :func:`kamseg.summarize`: the column names
        (but the product's), `dropna` and `returns`."""
        names = ["customer_col", "date_col", "amount_col", "profit_col", "order_col"]
        names += ["quantity_col", "price_col", "dropna", "returns"]
        return {name: getattr(self, name) for name in names}

    def replace(self, **changes: Any) -> SegmentConfig:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)


def _check_text(value: object, name: str) -> None:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{_FUNC}: `{name}` must be a non-empty string; got {value!r}.")


def _choice(value: object, name: str, options: tuple[str, ...]) -> None:
    if value not in options:
        shown = ", ".join(repr(o) for o in options)
        raise ConfigError(f"{_FUNC}: `{name}` must be one of {shown}; got {value!r}.")


def _integer(value: object, name: str, low: int, high: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{_FUNC}: `{name}` must be an integer; got {value!r}.")
    if value < low or (high is not None and value > high):
        bound = f"at least {low}" if high is None else f"between {low} and {high}"
        raise ConfigError(f"{_FUNC}: `{name}` must be {bound}; got {value}.")


def _unknown(key: str, names: list[str], *, where: str) -> None:
    close = difflib.get_close_matches(key, names, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ConfigError(f"{_FUNC}: unknown setting {key!r} in {where}.{hint}")
