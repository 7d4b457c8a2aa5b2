"""The example scripts run, on small data, and write what they say."""

from __future__ import annotations

import importlib.util
import re
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

import kamseg

ROOT = Path(__file__).resolve().parents[1]

needs_plot_and_data = pytest.mark.skipif(
    importlib.util.find_spec("matplotlib") is None
    or importlib.util.find_spec("lifetimes") is None,
    reason="needs matplotlib and lifetimes",
)
needs_data = pytest.mark.skipif(
    importlib.util.find_spec("lifetimes") is None, reason="needs lifetimes (the CDNOW data)"
)

# Fader, Hardie & Lee (2005): BG/NBD on the 2,357-customer CDNOW sample, weekly periods.
PUBLISHED_BGNBD = {"r": 0.2426, "alpha": 4.4136, "a": 0.7929, "b": 2.4259}


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


# scripts that no test runs, and why
NOT_RUN = {"report_screenshot.py": "makes a docs image; needs playwright and Chromium"}


def test_every_example_is_tested():
    source = Path(__file__).read_text(encoding="utf-8")
    tested = set(re.findall(r'"examples" / "(\w+\.py)"', source))  # run by a test
    scripts = {p.name for p in (ROOT / "examples").glob("*.py")}
    untested = scripts - tested - set(NOT_RUN)
    assert not untested, f"examples without a test: {sorted(untested)}"


@needs_data
def test_cdnow_walkthrough(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["cdnow_walkthrough.py", "--top", "5"])
    runpy.run_path(str(ROOT / "examples" / "cdnow_walkthrough.py"), run_name="__main__")
    printed = capsys.readouterr().out
    # the size of the CDNOW log (Fader & Hardie's description of the data)
    assert "69,659 transactions of 23,570 customers, 1997-01-01 to 1998-06-30" in printed
    # BG/NBD on the paper's sample: the published estimates, likelihood and prediction
    for name, published in PUBLISHED_BGNBD.items():
        row = re.search(rf"^{name}\s+(\S+)\s+(\S+)$", printed, re.MULTILINE)
        assert row is not None, f"no row {name!r} in the BG/NBD table"
        assert float(row[1]) == pytest.approx(published, rel=2e-3)
        assert float(row[2]) == published
    assert "log-likelihood -9582.43" in printed
    assert "buys 1.226 times in the next 39 weeks" in printed
    # Gini of revenue per customer, by the textbook formula on the raw log
    log = kamseg.datasets.load_cdnow()
    x = np.sort(log.groupby("customer_id")["amount"].sum().to_numpy())
    n = x.size
    gini = float(np.dot(2 * np.arange(1, n + 1) - n - 1, x) / (n * x.sum()))
    assert f"Gini {gini:.3f};" in printed
    # every customer bought in the first quarter of 1997, so all are in the calibration
    assert "calibration fit on all 23,570 customers" in printed
    assert "top 5 customers by 12-month CLV" in printed
