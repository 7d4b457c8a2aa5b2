"""Tests of ``kamseg segment --save-model`` and ``kamseg score``: the saved model scores
later files exactly as the API does, and bad inputs end as one error line, exit 2, no
output written."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

import kamseg
from kamseg.cli import main


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("score")
    data = kamseg.datasets.make_transactions(n_customers=250, seed=9)
    paths = {}
    for name in ("transactions", "master", "surveys", "complaints", "catalog"):
        frame = getattr(data, name)
        if name == "master":
            frame = frame.reset_index()
        paths[name] = folder / f"{name}.parquet"
        frame.to_parquet(paths[name], index=False)
    # a few customers' rows only, as CSV: what a later run scores
    tx = data.transactions
    ids = tx["customer_id"].unique()[:7]
    paths["few"] = folder / "few.csv"
    tx[tx["customer_id"].isin(ids)].to_csv(paths["few"], index=False)
    # their master rows only: the master's other ids would be appended as prospects
    paths["few_master"] = folder / "few_master.csv"
    data.master.loc[ids].reset_index().to_csv(paths["few_master"], index=False)
    paths["model"] = folder / "model.kamseg"
    paths["table"] = folder / "customers.parquet"
    args = ["segment", str(paths["transactions"]), "-o", str(paths["table"]), "-q"]
    args += ["--save-model", str(paths["model"]), "--profit-col", "profit"]
    for name in ("master", "surveys", "complaints", "catalog"):
        args += [f"--{name}", str(paths[name])]
    assert main(args) == 0
    return paths


def _sides(files: dict[str, Path]) -> list[str]:
    args = []
    for name in ("master", "surveys", "complaints", "catalog"):
        args += [f"--{name}", str(files[name])]
    return args


def test_save_model_writes_a_model_that_reproduces_the_table(files, tmp_path):
    model = kamseg.SegmentModel.load(files["model"])
    assert model.segment_config.profit_col == "profit"
    out = tmp_path / "scored.parquet"
    args = ["score", str(files["transactions"]), "--model", str(files["model"]), "-o", str(out)]
    assert main([*args, *_sides(files), "-q"]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out), pd.read_parquet(files["table"]))


def test_score_a_few_customers_from_csv(files, tmp_path, capsys):
    out = tmp_path / "few.csv"
    args = ["score", str(files["few"]), "--model", str(files["model"]), "-o", str(out)]
    sides = _sides(files)
    sides[1] = str(files["few_master"])
    assert main([*args, *sides]) == 0
    printed = capsys.readouterr().out
    assert "customers" in printed and "steps:" in printed
    scored = pd.read_csv(out, index_col=0)
    table = pd.read_parquet(files["table"])
    # CSV ids come back as text; the model's table has the ids of the Parquet input
    scored.index = scored.index.astype(table.index.dtype)
    assert len(scored) == 7
    for col in ("rfm_segment", "abc_class", "value_class", "lifecycle_stage"):
        assert (
            scored[col].astype(str).tolist() == table.loc[scored.index, col].astype(str).tolist()
        ), col
    for col in ("clv", "account_score", "health_score", "churn_probability"):
        pd.testing.assert_series_equal(
            scored[col], table.loc[scored.index, col], check_names=False, rtol=1e-12
        )


def test_score_at_a_later_as_of(files, tmp_path):
    out = tmp_path / "later.parquet"
    args = ["score", str(files["transactions"]), "--model", str(files["model"]), "-o", str(out)]
    assert main([*args, "--as-of", "2025-06-30", "-q", *_sides(files)]) == 0
    later = pd.read_parquet(out)
    table = pd.read_parquet(files["table"])
    buyers = table["first_purchase"].notna()
    shift = later.loc[buyers, "days_since_last"] - table.loc[buyers, "days_since_last"]
    assert (shift == (pd.Timestamp("2025-06-30") - pd.Timestamp("2024-12-31")).days).all()


def _error(capsys) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("kamseg: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_score_bad_inputs_exit_2_and_write_nothing(files, tmp_path, capsys):
    out = tmp_path / "out.parquet"
    base = ["score", str(files["few"]), "-o", str(out)]

    assert main([*base, "--model", str(tmp_path / "missing.kamseg")]) == 2
    assert "missing.kamseg" in _error(capsys)

    text = tmp_path / "text.kamseg"
    text.write_text("not a model")
    assert main([*base, "--model", str(text)]) == 2
    assert "not a kamseg model file" in _error(capsys)

    newer = tmp_path / "newer.kamseg"
    with zipfile.ZipFile(files["model"]) as zin, zipfile.ZipFile(newer, "w") as zout:
        for name in zin.namelist():
            raw = zin.read(name)
            if name == "kamseg-model.json":
                raw = json.dumps({**json.loads(raw), "format_version": 99}).encode()
            zout.writestr(name, raw)
    assert main([*base, "--model", str(newer)]) == 2
    assert "format version 99" in _error(capsys)

    # the output may not be one of the inputs (here: the model file)
    assert main(["score", str(files["few"]), "--model", str(files["model"]), "-o",
                 str(files["model"])]) == 2  # fmt: skip
    _error(capsys)
    assert kamseg.SegmentModel.load(files["model"]).steps  # untouched

    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,date\n1,2024-01-01\n")  # no amount column
    assert main(["score", str(bad), "--model", str(files["model"]), "-o", str(out)]) == 2
    assert "amount" in _error(capsys)

    assert main([*base, "--model", str(files["model"]), "--as-of", "not a date"]) == 2
    _error(capsys)
    assert not out.exists()


def test_save_model_is_not_written_when_the_run_fails(files, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,date,amount\n1,2024-01-01,x\n")
    model = tmp_path / "m.kamseg"
    args = ["segment", str(bad), "-o", str(tmp_path / "o.csv"), "--save-model", str(model)]
    assert main(args) == 2
    _error(capsys)
    assert not model.exists()
