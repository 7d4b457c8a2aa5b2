"""Type aliases shared by every layer (the words of docs/vocabulary.md)."""

from __future__ import annotations

from typing import Literal

__all__ = ["Freq", "ReturnsPolicy"]

Freq = Literal["D", "W", "M"]
"""The period of the BTYD columns and models: days, weeks (Monday to Sunday), months."""

ReturnsPolicy = Literal["net", "exclude", "error"]
"""What to do with negative amounts (returns): net them, drop them, or raise."""

#: ``attrs`` key of a customer table whose ``p_alive`` cannot tell who left: False when
#: :func:`kamseg.clv.predict` used a model that found no dropout (read by
#: :func:`kamseg.lifecycle_stage`, whose P(alive) switch then stays off).
P_ALIVE_INFORMATIVE = "kamseg_p_alive_informative"
