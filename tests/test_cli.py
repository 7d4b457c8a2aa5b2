"""Tests of the command line: demo, rfm, and every bad-input row of DESIGN.md."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import kamseg
from kamseg.cli import main

GOOD_CSV = """customer_id,date,amount
007,2024-01-01,10
007,2024-01-10,30
042,2024-01-05,8
042,2024-02-01,12
100,2024-02-03,99
"""


def _write(tmp_path: Path, text: str, name: str = "tx.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _only_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("kamseg: error:")]
    assert len(errors) == 1, err
    assert "Traceback" not in err
    return errors[0]


def test_demo_writes_table_and_prints_segments(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--n-customers", "300", "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    table = pd.read_parquet(out / "customers.parquet")
    csv = pd.read_csv(out / "customers.csv", index_col=0)
    assert len(table) == len(csv) > 0
    for col in (
        "revenue",
        "profit",
        "frequency",
        "r_score",
        "rfm_segment",
        "p_alive",
        "clv",
        "profit_clv",
    ):
        assert col in table.columns
    assert "Champions" in printed
    assert 5 <= int(table["is_key_account"].sum()) <= 25
    assert set(table["abc_class"].dropna().astype(str)) == {"A", "B", "C"}
    assert (table["lifecycle_stage"] == "potential").sum() == (table["n_orders"] == 0).sum() > 0
    assert f"{len(table) - 30:,} customers and 30 prospects" in printed


def test_rfm_csv_to_parquet_equals_api(tmp_path, capsys):
    src = _write(tmp_path, GOOD_CSV)
    out = tmp_path / "customers.parquet"
    assert main(["rfm", str(src), "-o", str(out), "--as-of", "2024-02-29", "--bins", "3"]) == 0
    got = pd.read_parquet(out)
    # ids keep their leading zeros: the customer column is read as text
    assert list(got.index) == ["007", "042", "100"]
    tx = pd.read_csv(src, dtype={"customer_id": str})
    expected = kamseg.rfm_segments(
        kamseg.rfm_scores(kamseg.summarize(tx, as_of="2024-02-29"), bins=3)
    )
    pd.testing.assert_frame_equal(got, expected, check_index_type=False, check_dtype=False)
    assert "rfm_segment" not in capsys.readouterr().err


def test_rfm_parquet_to_csv_with_custom_columns(tmp_path):
    tx = pd.DataFrame(
        {
            "kunde": [1, 1, 2],
            "tag": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-02"]),
            "betrag": [5.0, 7.0, 3.0],
        }
    )
    src = tmp_path / "tx.parquet"
    tx.to_parquet(src)
    out = tmp_path / "out.csv"
    code = main(
        [
            "rfm",
            str(src),
            "-o",
            str(out),
            "-q",
            "--customer-col",
            "kunde",
            "--date-col",
            "tag",
            "--amount-col",
            "betrag",
            "--labels",
            "zh",
        ]
    )
    assert code == 0
    got = pd.read_csv(out, index_col="kunde")
    assert got["revenue"].tolist() == [12.0, 3.0]
    assert got["n_orders"].tolist() == [2, 1]


BAD_INPUTS = [
    # (file content, extra args, expected message part)
    (GOOD_CSV, ["--amount-col", "amt"], "column 'amt' (argument `amount_col`)"),
    (GOOD_CSV.replace("2024-01-10", "tomorrow"), [], "are not dates"),
    (GOOD_CSV.replace(",30\n", ",thirty\n"), [], "are not numbers"),
    (GOOD_CSV.replace(",30\n", ",inf\n"), [], "are infinite"),
    (GOOD_CSV.replace("042,2024-01-05", ",2024-01-05"), [], "null values found"),
    (GOOD_CSV.replace("2024-02-01", ""), [], "null values found"),
    ("customer_id,date,amount\n", [], "no rows"),
    (GOOD_CSV, ["--as-of", "2023-01-01"], "no transactions left"),
    (GOOD_CSV.replace(",99\n", ",-99\n"), ["--returns", "error"], "negative 'amount'"),
    (GOOD_CSV, ["--freq", "Q"], "invalid choice"),
    (GOOD_CSV, ["--bins", "1"], "bins"),
    (GOOD_CSV, ["--as-of", "someday"], "`as_of` must be a date"),
]


@pytest.mark.parametrize(("content", "extra", "message"), BAD_INPUTS)
def test_bad_input_one_line_exit_2_no_output(tmp_path, capsys, content, extra, message):
    src = _write(tmp_path, content)
    out = tmp_path / "out.parquet"
    argv = ["rfm", str(src), "-o", str(out), *extra]
    if "--freq" in extra:  # rejected by the argument parser itself
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
    else:
        assert main(argv) == 2
    line = _only_error_line(capsys.readouterr().err)
    assert message in line
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [src]  # no temporary file left behind


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rfm", "missing.csv", "-o", "out.csv"], "no such file"),
        (["rfm", "tx.csv", "-o", "out.xlsx"], "unknown file type '.xlsx'"),
        (["rfm", "tx.txt", "-o", "out.csv"], "unknown file type '.txt'"),
        (["rfm", "tx.csv", "-o", "nowhere/out.csv"], "does not exist"),
    ],
)
def test_file_problems(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, GOOD_CSV)
    _write(tmp_path, GOOD_CSV, "tx.txt")
    assert main(args) == 2
    assert message in _only_error_line(capsys.readouterr().err)


def test_warnings_go_to_stderr_as_lines(tmp_path, capsys):
    src = _write(tmp_path, GOOD_CSV.replace(",99\n", ",-99\n"))
    out = tmp_path / "out.csv"
    assert main(["rfm", str(src), "-o", str(out), "-q", "--as-of", "2024-01-31"]) == 0
    err = capsys.readouterr().err
    assert "kamseg: warning: summarize: excluded 2 transaction(s) dated after as_of" in err
    assert out.exists()


def test_dropna_option(tmp_path, capsys):
    src = _write(tmp_path, GOOD_CSV.replace("042,2024-01-05", ",2024-01-05"))
    out = tmp_path / "out.csv"
    assert main(["rfm", str(src), "-o", str(out), "-q", "--dropna"]) == 0
    assert "dropped 1 row(s) with null values" in capsys.readouterr().err
    assert pd.read_csv(out)["n_orders"].sum() == 4


def test_existing_output_survives_a_failed_run(tmp_path):
    out = tmp_path / "out.csv"
    out.write_text("previous result\n")
    src = _write(tmp_path, GOOD_CSV.replace("2024-01-10", "tomorrow"))
    assert main(["rfm", str(src), "-o", str(out)]) == 2
    assert out.read_text() == "previous result\n"


def test_subprocess_exit_code_and_version(tmp_path):
    src = _write(tmp_path, GOOD_CSV.replace(",30\n", ",thirty\n"))
    proc = subprocess.run(
        [sys.executable, "-m", "kamseg", "rfm", str(src), "-o", str(tmp_path / "o.csv")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    _only_error_line(proc.stderr)
    version = subprocess.run(
        [sys.executable, "-m", "kamseg", "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.strip() == f"kamseg {kamseg.__version__}"


def test_output_has_ordinary_file_permissions(tmp_path):
    reference = tmp_path / "plain.txt"
    reference.write_text("x")  # created with the process umask, like any file
    src = _write(tmp_path, GOOD_CSV)
    out = tmp_path / "out.csv"
    assert main(["rfm", str(src), "-o", str(out), "-q"]) == 0
    assert out.stat().st_mode & 0o777 == reference.stat().st_mode & 0o777


# --- kamseg segment -------------------------------------------------------------------------


def _demo_csv(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    """Transactions with the user's own column names, as CSV."""
    data = kamseg.datasets.make_transactions(n_customers=150, seed=4)
    tx = data.transactions.rename(
        columns={"customer_id": "client", "date": "day", "amount": "value"}
    )[["client", "day", "value", "profit"]]
    path = tmp_path / "sales.csv"
    tx.to_csv(path, index=False)
    return path, tx


def test_segment_csv_with_column_options_equals_api(tmp_path, capsys):
    path, tx = _demo_csv(tmp_path)
    out = tmp_path / "customers.parquet"
    args = ["segment", str(path), "-o", str(out), "--customer-col", "client"]
    args += ["--date-col", "day", "--amount-col", "value", "--steps", "rfm,pareto,clv"]
    args += ["--bins", "3", "--horizon", "6", "--clv-model", "bgnbd"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "steps: summary, rfm, clv, pareto" in printed and "ABC classes" in printed
    got = pd.read_parquet(out)
    config = kamseg.SegmentConfig(
        customer_col="client",
        date_col="day",
        amount_col="value",
        steps=("rfm", "clv", "pareto"),
        bins=3,
        horizon=6,
        clv_model="bgnbd",
    )
    expected = kamseg.segment(tx.assign(client=tx["client"].astype(str)), config=config)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9, check_freq=False)


def test_segment_config_file_options_override_and_save(tmp_path, capsys):
    path, _ = _demo_csv(tmp_path)
    config = tmp_path / "kamseg.toml"
    config.write_text(
        '[columns]\ncustomer_col = "client"\ndate_col = "day"\namount_col = "value"\n'
        '[steps]\nsteps = ["rfm"]\n[output]\nlabels = "zh"\n'
    )
    out, saved = tmp_path / "c.csv", tmp_path / "used.toml"
    args = ["segment", str(path), "--config", str(config), "-o", str(out)]
    args += ["--labels", "en", "--save-config", str(saved), "-q"]
    assert main(args) == 0
    assert capsys.readouterr().out == ""  # --quiet
    table = pd.read_csv(out, index_col=0)
    assert "Champions" in set(table["rfm_segment"])  # --labels en beat the file's zh
    used = kamseg.SegmentConfig.from_toml(saved)
    assert (used.customer_col, used.steps, used.labels) == ("client", ("rfm",), "en")


def test_segment_setting_options_override_the_file_and_are_saved(tmp_path, capsys):
    path, _ = _demo_csv(tmp_path)
    config = tmp_path / "kamseg.toml"
    kept = kamseg.SegmentConfig(
        customer_col="client",
        date_col="day",
        amount_col="value",
        steps=("rfm",),
        bins=4,
        clv_model="pareto_nbd",
        max_accounts=10,
        dropna=True,
        criteria={"revenue": 1.0},
    )
    kept.to_toml(config)
    out, saved = tmp_path / "c.csv", tmp_path / "used.toml"
    args = ["segment", str(path), "--config", str(config), "-o", str(out), "-q"]
    args += ["--bins", "3", "--kind", "profit", "--no-action", "--no-dropna", "--min-accounts"]
    args += ["2", "--pareto-value-col", "profit", "--window-days", "90", "--save-config"]
    args += [str(saved)]
    assert main(args) == 0
    assert pd.read_csv(out, index_col=0)["r_score"].max() == 3  # --bins 3 beat the file's 4
    expected = kept.replace(
        bins=3,
        kind="profit",
        action=False,
        dropna=False,
        min_accounts=2,
        pareto_value_col="profit",
        window_days=90,
    )
    assert kamseg.SegmentConfig.from_toml(saved) == expected  # clv_model, criteria: the file's


def test_segment_has_an_option_for_every_setting_but_the_criteria():
    from dataclasses import fields

    from kamseg.cli import _parser

    parser = _parser()
    segment = parser._subparsers._group_actions[0].choices["segment"]  # type: ignore[union-attr]
    options = {o for action in segment._actions for o in action.option_strings}
    names = {f.name for f in fields(kamseg.SegmentConfig)} - {"criteria"}
    assert {f"--{name.replace('_', '-')}" for name in names} <= options
    for old in ("--rfm-bins", "--pyramid-kind", "--key-criteria", "--actions"):
        assert old not in options


def test_segment_side_tables_report_and_progress(tmp_path, capsys):
    data = kamseg.datasets.make_transactions(n_customers=200, seed=6)
    files = {}
    for name in ("transactions", "master", "surveys", "complaints", "catalog"):
        frame = getattr(data, name)
        if name == "master":
            frame = frame.reset_index()
        files[name] = tmp_path / f"{name}.parquet"
        frame.to_parquet(files[name], index=False)
    out, report = tmp_path / "customers.parquet", tmp_path / "report.html"
    args = ["segment", str(files["transactions"]), "-o", str(out), "--report", str(report)]
    for name in ("master", "surveys", "complaints", "catalog"):
        args += [f"--{name}", str(files[name])]
    args += ["--profit-col", "profit", "--progress", "--steps", "rfm,clv,classes"]
    assert main(args) == 0
    err = capsys.readouterr().err
    progress = [line for line in err.splitlines() if line.startswith("kamseg: [")]
    assert [line.split("] ")[1] for line in progress] == [
        "summary: transactions -> customers",
        "rfm",
        "clv",
        "classes",
        f"writing {out}",
        f"writing {report}",
        "done",
    ]
    table = pd.read_parquet(out)
    assert (table["behaviour_class"] == "potential").sum() == int(data.master["is_prospect"].sum())
    assert table["need_level"].notna().any() and table["satisfaction_class"].notna().any()
    html = report.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") or html.lower().startswith("<!doctype html>")


def test_segment_progress_is_silent_when_stderr_is_not_a_terminal(tmp_path, capsys):
    path, _ = _demo_csv(tmp_path)
    args = ["segment", str(path), "-o", str(tmp_path / "o.csv"), "--customer-col", "client"]
    args += ["--date-col", "day", "--amount-col", "value", "--steps", "rfm"]
    assert main(args) == 0
    assert "kamseg: [" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--report", "r.pdf"], "the report is HTML"),
        (["--steps", "rfm,nps"], "`steps` must be one of"),
        (["--config", "missing.toml"], "config 'missing.toml': no such file"),
        (["--customer-col", "client"], "date"),  # the file has no 'date' column
        (["--bins", "1"], "`bins` must be between 2 and 10"),
        (["--min-accounts", "30"], "`max_accounts` must be at least 30"),
        (["--horizon", "two"], "argument --horizon: invalid int value: 'two'"),
        (["--kind", "revenue"], "argument --kind: invalid choice: 'revenue'"),
    ],
)
def test_segment_bad_options_exit_2(tmp_path, capsys, extra, message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path, _ = _demo_csv(tmp_path)
    out = tmp_path / "out.parquet"
    argv = ["segment", str(path), "-o", str(out), *extra]
    if message.startswith("argument "):  # rejected by the argument parser itself
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
    else:
        assert main(argv) == 2
    line = _only_error_line(capsys.readouterr().err)
    assert message in line
    assert not out.exists()


def test_segment_missing_input_and_help(tmp_path, capsys):
    assert main(["segment", str(tmp_path / "nope.parquet"), "-o", "x.parquet"]) == 2
    assert "no such file" in _only_error_line(capsys.readouterr().err)
    with pytest.raises(SystemExit) as exc:
        main(["segment", "--help"])
    assert exc.value.code == 0
    shown = capsys.readouterr().out
    assert "--master" in shown and "--clv-model {mbgnbd,bgnbd,pareto_nbd}" in shown
    assert "RFM scores per dimension, 2..10 (5)" in shown  # the default of SegmentConfig


def test_segment_dropna_and_report_read_the_rows_once(tmp_path, capsys):
    data = kamseg.datasets.make_transactions(n_customers=300, seed=8)
    tx = data.transactions.copy()
    tx.loc[tx.index[:5], "amount"] = float("nan")
    src = tmp_path / "tx.csv"
    tx.to_csv(src, index=False)
    out, report = tmp_path / "out.parquet", tmp_path / "report.html"
    args = ["segment", str(src), "-o", str(out), "--profit-col", "profit", "-q"]
    assert main([*args, "--dropna", "--report", str(report)]) == 0
    err = capsys.readouterr().err
    notices = [line for line in err.splitlines() if line.startswith("kamseg: warning:")]
    assert notices == [
        "kamseg: warning: segment: dropped 5 row(s) with null values (5 in 'amount')."
    ]
    assert report.exists() and "kamseg: error" not in err
    assert pd.read_parquet(out)["n_orders"].sum() == len(tx) - 5
    # a job without key accounts still writes its report (without the KAM performance)
    partial = tmp_path / "partial.html"
    assert main([*args, "--dropna", "--steps", "rfm,pareto", "--report", str(partial)]) == 0
    assert partial.exists()


def test_segment_line_items(tmp_path, capsys):
    lines = """customer_id,date,qty,unit_price
007,2024-01-01,2,5
007,2024-01-10,-1,5
042,2024-01-05,3,2.5
042,2024-02-01,1,12
100,2024-02-03,1,99
"""
    src = _write(tmp_path, lines)
    out = tmp_path / "out.csv"
    args = ["segment", str(src), "-o", str(out), "--steps", "rfm", "-q"]
    assert main([*args, "--quantity-col", "qty", "--price-col", "unit_price"]) == 0
    table = pd.read_csv(out, dtype={"customer_id": str}).set_index("customer_id")
    # net revenue = sum of quantity x price: 10 - 5, 7.5 + 12, 99
    assert table["revenue"].to_dict() == {"007": 5.0, "042": 19.5, "100": 99.0}
    assert "1 row(s) have negative amounts" in capsys.readouterr().err
    assert main([*args, "--quantity-col", "qty"]) == 2
    assert "go together" in _only_error_line(capsys.readouterr().err)
    # kamseg rfm reads line items alike
    rfm = ["rfm", str(src), "-o", str(out), "-q", "--quantity-col", "qty", "--price-col"]
    assert main([*rfm, "unit_price"]) == 0
    table = pd.read_csv(out, dtype={"customer_id": str}).set_index("customer_id")
    assert table["revenue"].to_dict() == {"007": 5.0, "042": 19.5, "100": 99.0}


def test_terminated_segment_removes_its_temporary_files(tmp_path):
    """A SIGTERM in the middle of `kamseg segment` (a scheduler's timeout) ends it with exit
    code 143 and removes what it wrote so far: the folder of parked columns and the
    outputs' temporary files; no output is left half written. Here the process sends the
    signal to itself while the classes run, its table parked from the first customer."""
    data = kamseg.datasets.make_transactions(n_customers=200, seed=4)
    src = tmp_path / "tx.csv"
    data.transactions.to_csv(src, index=False)
    temp = tmp_path / "temp"
    temp.mkdir()
    out = tmp_path / "out"
    script = f"""
import os, signal, sys, time
import kamseg._park, kamseg.classification
kamseg._park.PARK_FROM = 0
real = kamseg.classification.fit_and_classify
def stopped(*args, **kwargs):
    assert any(name.startswith("kamseg-park-") for name in os.listdir({str(temp)!r}))
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(30)
kamseg.classification.fit_and_classify = stopped
from kamseg.cli import main
sys.exit(main(["segment", {str(src)!r}, "-o", {str(out / "t.parquet")!r}, "--profit-col",
               "profit", "--report", {str(out / "t.html")!r}, "-q"]))
"""
    out.mkdir()
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "TMPDIR": str(temp)},
        timeout=120,
    )
    assert proc.returncode == 143, proc.stderr[-2000:]
    assert os.listdir(temp) == []  # the parked columns' folder is gone
    assert os.listdir(out) == []  # no output, no temporary file beside one
