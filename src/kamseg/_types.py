"""Type aliases shared by every layer (the words of docs/vocabulary.md)."""

from __future__ import annotations

from typing import Literal

__all__ = ["Freq", "ReturnsPolicy"]

Freq = Literal["D", "W", "M"]
"""The period of the BTYD columns and models: days, weeks (Monday to Sunday), months."""

ReturnsPolicy = Literal["net", "exclude", "error"]
"""What to do with negative amounts (returns): net them, drop them, or raise."""
