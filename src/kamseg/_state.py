"""What a fitted step learned, as data: registered frozen dataclasses <-> JSON and arrays.

Every part of a :class:`kamseg.SegmentModel` (RFM cut points, model parameters, thresholds,
reference values, the churn trees) is a frozen dataclass registered with :func:`state`.
:func:`to_payload` turns one into a JSON tree plus named numpy arrays, and
:func:`from_payload` turns them back; :func:`write` and :func:`read` keep both in one zip
file. Nothing is pickled: arrays are ``.npy`` entries read with ``allow_pickle=False``, and
only registered classes can be built from a file.

Field values may be None, bool, int, float (NaN and infinities too), str, a
:class:`pandas.Timestamp`, tuples, lists and dicts of these, numpy arrays (numbers, bools,
text; object arrays of str come back as object arrays of str), or registered dataclasses.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import io
import json
import math
import zipfile
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from kamseg.errors import ModelFileError

__all__ = ["ModelFileError", "from_payload", "read", "read_header", "state", "to_payload", "write"]

T = TypeVar("T")

_REGISTRY: dict[str, type] = {}
_NAME = "__kamseg_state__"


def state(name: str) -> Callable[[type[T]], type[T]]:
    """Register a frozen dataclass under `name`: ``"<module>.<class>"``, where importing
    ``kamseg.<module>`` registers it (e.g. ``"rfm.RfmFit"``), so that a file can be read
    before that module is loaded.

    Examples
    --------
    >>> import dataclasses
    >>> @state("doc.Cuts")
    ... @dataclasses.dataclass(frozen=True)
    ... class Cuts:
    ...     cuts: tuple[float, ...]
    >>> tree, arrays = to_payload(Cuts((1.0, float("nan"))))
    >>> from_payload(tree, arrays)
    Cuts(cuts=(1.0, nan))
    """

    def register(cls: type[T]) -> type[T]:
        params = getattr(cls, "__dataclass_params__", None)
        if params is None or not params.frozen:
            raise TypeError(f"{cls.__name__}: a saved state must be a frozen dataclass")
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise TypeError(f"state name {name!r} is registered twice")
        _REGISTRY[name] = cls
        setattr(cls, _NAME, name)
        return cls

    return register


def _encode_array(a: np.ndarray, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    key = f"a{len(arrays)}"
    kind = "plain"
    if a.dtype == object:
        values = a.ravel().tolist()
        if not all(isinstance(v, str) for v in values):
            types = sorted({type(v).__name__ for v in values})
            raise TypeError(f"an object array can be saved when it holds str only; has {types}")
        a = np.asarray(values, dtype=str).reshape(a.shape) if values else a.astype(str)
        kind = "object_str"
    elif a.dtype.kind not in "biufcUM":
        raise TypeError(f"arrays of dtype {a.dtype} cannot be saved")
    arrays[key] = np.ascontiguousarray(a)
    return {"__array__": key, "kind": kind}


def to_payload(obj: Any) -> tuple[Any, dict[str, np.ndarray]]:
    """A registered dataclass (or any allowed value) as ``(JSON tree, arrays)``."""
    arrays: dict[str, np.ndarray] = {}

    def enc(v: Any) -> Any:
        if v is None or isinstance(v, bool | str):
            return v
        if isinstance(v, np.bool_):
            return bool(v)
        if isinstance(v, int | np.integer):
            return int(v)
        if isinstance(v, float | np.floating):
            f = float(v)
            return f if math.isfinite(f) else {"__float__": repr(f)}
        if isinstance(v, np.ndarray):
            return _encode_array(v, arrays)
        if isinstance(v, pd.Timestamp):
            return {"__timestamp__": v.isoformat()}
        if isinstance(v, tuple):
            return {"__tuple__": [enc(x) for x in v]}
        if isinstance(v, list):
            return [enc(x) for x in v]
        if isinstance(v, Mapping):
            return {"__dict__": [[enc(k), enc(x)] for k, x in v.items()]}
        name = getattr(type(v), _NAME, None)
        if name is not None and dataclasses.is_dataclass(v):
            fields = {f.name: enc(getattr(v, f.name)) for f in dataclasses.fields(v)}
            return {"__state__": name, "fields": fields}
        raise TypeError(f"a value of type {type(v).__name__} cannot be saved in a model")

    return enc(obj), arrays


def from_payload(tree: Any, arrays: Mapping[str, np.ndarray]) -> Any:
    """The value :func:`to_payload` encoded; unknown classes raise :class:`ModelFileError`."""

    def dec(v: Any) -> Any:
        if isinstance(v, list):
            return [dec(x) for x in v]
        if not isinstance(v, dict):
            return v
        if "__float__" in v:
            return float(v["__float__"])
        if "__array__" in v:
            a = arrays[v["__array__"]]
            return a.astype(object) if v["kind"] == "object_str" else a
        if "__timestamp__" in v:
            return pd.Timestamp(v["__timestamp__"])
        if "__tuple__" in v:
            return tuple(dec(x) for x in v["__tuple__"])
        if "__dict__" in v:
            return {_key(dec(k)): dec(x) for k, x in v["__dict__"]}
        if "__state__" in v:
            cls = _registered(v["__state__"])
            return cls(**{k: dec(x) for k, x in v["fields"].items()})
        raise ModelFileError(f"unexpected entry in the model file: {sorted(v)}")

    try:
        return dec(tree)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ModelFileError):
            raise
        raise ModelFileError(f"the model file is corrupt: {exc!r}") from exc


def _registered(name: str) -> type:
    """The class registered as `name`, importing its kamseg module first if needed (a
    name is ``"<module under kamseg>.<class>"``); nothing outside kamseg is imported."""
    if name not in _REGISTRY:
        module = name.rpartition(".")[0]
        if module and all(part.isidentifier() for part in module.split(".")):
            with contextlib.suppress(ImportError):
                importlib.import_module(f"kamseg.{module}")
    cls = _REGISTRY.get(name)
    if cls is None:
        raise ModelFileError(f"unknown part {name!r} in the model file")
    return cls


def _key(k: Any) -> Any:
    return tuple(k) if isinstance(k, list) else k


_HEADER = "kamseg-model.json"
_STATE = "state.json"


def write(path: Any, obj: Any, header: Mapping[str, Any]) -> None:
    """Write `obj` and a JSON `header` into one zip file at `path` (a path or binary file)."""
    tree, arrays = to_payload(obj)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(_HEADER, json.dumps(dict(header), indent=1, sort_keys=True))
        zf.writestr(_STATE, json.dumps(tree, allow_nan=False))
        for key, a in arrays.items():
            buf = io.BytesIO()
            np.save(buf, a, allow_pickle=False)
            zf.writestr(f"arrays/{key}.npy", buf.getvalue())


def read_header(path: Any) -> dict[str, Any]:
    """The JSON header of a model file (nothing else is read)."""
    try:
        with zipfile.ZipFile(path) as zf:
            header = json.loads(zf.read(_HEADER))
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ModelFileError(f"not a kamseg model file ({exc})") from exc
    if not isinstance(header, dict):
        raise ModelFileError("not a kamseg model file (its header is not a JSON object)")
    return header


def read(path: Any) -> Any:
    """The object :func:`write` wrote (the header is checked by the caller first)."""
    try:
        with zipfile.ZipFile(path) as zf:
            tree = json.loads(zf.read(_STATE))
            arrays = {}
            for name in zf.namelist():
                if name.startswith("arrays/") and name.endswith(".npy"):
                    with zf.open(name) as f:
                        arrays[name[7:-4]] = np.load(io.BytesIO(f.read()), allow_pickle=False)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, EOFError) as exc:
        raise ModelFileError(f"the model file is corrupt ({exc})") from exc
    return from_payload(tree, arrays)
