"""Exceptions and warnings raised by kamseg.

Every error kamseg raises on purpose subclasses :class:`KamsegError`, itself a
:class:`ValueError`, so ``except ValueError`` keeps working for callers that do not
know kamseg. Data-quality notices (rows dropped, returns netted, ...) are
:class:`KamsegWarning`.

Examples
--------
>>> from kamseg.errors import ConfigError, KamsegError
>>> issubclass(ConfigError, KamsegError) and issubclass(KamsegError, ValueError)
True
"""

from __future__ import annotations

__all__ = [
    "ColumnNotFoundError",
    "ConfigError",
    "ConvergenceError",
    "EmptyInputError",
    "KamsegError",
    "KamsegWarning",
    "ModelFileError",
    "SchemaError",
]


class KamsegError(ValueError):
    """Base class of every error kamseg raises on purpose."""


class ColumnNotFoundError(KamsegError, KeyError):
    """A column named by an argument is not in the frame."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable.
        return str(self.args[0]) if self.args else ""


class SchemaError(KamsegError):
    """A column has values of the wrong kind: unparseable dates, text amounts, inf, nulls."""


class EmptyInputError(KamsegError):
    """The input is empty, or nothing is left after filtering."""


class ConfigError(KamsegError):
    """An option, segment map, weight set or threshold is invalid."""


class ConvergenceError(KamsegError):
    """A model fit did not converge."""


class ModelFileError(KamsegError):
    """A saved model file is unreadable, corrupt, or of an incompatible format version."""


class KamsegWarning(UserWarning):
    """A data-quality notice: rows excluded, returns netted, values flagged."""
