"""The example scripts run, on small data, and write what they say."""

from __future__ import annotations

import importlib.util
import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

needs_plot_and_data = pytest.mark.skipif(
    importlib.util.find_spec("matplotlib") is None
    or importlib.util.find_spec("lifetimes") is None,
    reason="needs matplotlib and lifetimes",
)


@needs_plot_and_data
def test_pareto_lorenz_example(tmp_path, monkeypatch, capsys):
    out = tmp_path / "lorenz.png"
    monkeypatch.setattr(
        sys, "argv", ["pareto_lorenz.py", "--out", str(out), "--n-customers", "400"]
    )
    runpy.run_path(str(ROOT / "examples" / "pareto_lorenz.py"), run_name="__main__")
    printed = capsys.readouterr().out
    assert "CDNOW: 23,570 customers; Gini 0.635" in printed
    assert out.stat().st_size > 10_000
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
