"""The command line against hostile input and failing output (DESIGN.md, "Bad input", CLI row).

Every failure: exit code 2, one ``kamseg: error:`` line on stderr without a traceback, and no
file written or changed (no output, no report, no settings file, no temporary file).
"""

from __future__ import annotations

import csv
import errno
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kamseg
from kamseg._files import atomic_write, escape_formulas, staged_writes
from kamseg.cli import main
from kamseg.errors import ConfigError

TX_CSV = """customer_id,date,amount
007,2024-01-01,10
007,2024-01-10,30
042,2024-01-05,8
042,2024-02-01,12
100,2024-02-03,99
"""


def _only_error_line(err: str) -> str:
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("kamseg: error:")]
    assert len(errors) == 1, err
    others = [
        line
        for line in err.splitlines()
        if line.strip() and not line.startswith(("kamseg: error:", "kamseg: warning:"))
    ]
    assert others == [], err
    return errors[0]


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file and folder below `folder` (hidden ones too), with the files' bytes."""
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
    }


def _fails_cleanly(argv: list[str], folder: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Run `argv`; assert exit 2, one error line, and `folder` unchanged; return the line."""
    before = _snapshot(folder)
    assert main(argv) == 2
    line = _only_error_line(capsys.readouterr().err)
    assert _snapshot(folder) == before
    return line


def _tx(tmp_path: Path, name: str = "tx.csv", *, n: int = 80, seed: int = 1) -> Path:
    """Synthetic transactions (customer_id, date, amount, profit) as CSV or Parquet."""
    data = kamseg.datasets.make_transactions(n_customers=n, seed=seed)
    frame = data.transactions[["customer_id", "date", "amount", "profit"]]
    path = tmp_path / name
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


# --- 1 and 2: all outputs or none; errors name the user's path -----------------------------


def _segment_args(tmp_path: Path) -> tuple[list[str], Path, Path, Path]:
    src = _tx(tmp_path)
    out, report, saved = tmp_path / "out.csv", tmp_path / "report.html", tmp_path / "used.toml"
    argv = ["segment", str(src), "-o", str(out), "--report", str(report), "-q"]
    argv += ["--steps", "rfm,pareto", "--save-config", str(saved)]
    return argv, out, report, saved


def test_segment_writes_table_report_and_settings_together(tmp_path):
    argv, out, report, saved = _segment_args(tmp_path)
    assert main(argv) == 0
    assert out.exists() and report.exists() and saved.exists()
    assert kamseg.SegmentConfig.from_toml(saved).steps == ("rfm", "pareto")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["tx.csv", "out.csv", "report.html", "used.toml"]
    )


def test_a_report_that_fails_to_render_leaves_no_file(tmp_path, capsys, monkeypatch):
    argv, out, _, saved = _segment_args(tmp_path)
    out.write_text("previous table\n")

    def refuse(*args: object, **kwargs: object) -> str:
        raise ConfigError("render_report: something in the table cannot be shown.")

    monkeypatch.setattr("kamseg.report.render_report", refuse)
    line = _fails_cleanly(argv, tmp_path, capsys)
    assert "cannot be shown" in line
    assert out.read_text() == "previous table\n" and not saved.exists()


def test_an_internal_error_while_rendering_exits_1_and_leaves_no_file(tmp_path, monkeypatch):
    argv = _segment_args(tmp_path)[0]
    before = _snapshot(tmp_path)

    def crash(*args: object, **kwargs: object) -> str:
        raise RuntimeError("a bug")

    monkeypatch.setattr("kamseg.report.render_report", crash)
    with pytest.raises(RuntimeError, match="a bug"):  # not a user error: exit code 1
        main(argv)
    assert _snapshot(tmp_path) == before


def test_a_full_disk_while_writing_the_report_names_the_report(tmp_path, capsys, monkeypatch):
    argv, _, report, _ = _segment_args(tmp_path)
    write_text = Path.write_text

    def full(self: Path, *args: object, **kwargs: object) -> int:
        if ".report.html." in self.name:  # a hidden temporary file
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return write_text(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", full)
    line = _fails_cleanly(argv, tmp_path, capsys)
    assert f"report {str(report)!r}: cannot write: {os.strerror(errno.ENOSPC)}" in line
    assert ".tmp" not in line and ".report.html" not in line


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_full_disk_while_writing_the_table_names_the_table(
    tmp_path, capsys, monkeypatch, suffix
):
    src = tmp_path / "tx.csv"
    src.write_text(TX_CSV)
    out = tmp_path / f"out{suffix}"
    out.write_bytes(b"previous")
    writer = "to_csv" if suffix == ".csv" else "to_parquet"

    def full(self: pd.DataFrame, path: object, *args: object, **kwargs: object) -> None:
        Path(str(path)).write_bytes(b"half a tab")  # a partial file, then the disk is full
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(pd.DataFrame, writer, full)
    line = _fails_cleanly(["rfm", str(src), "-o", str(out), "-q"], tmp_path, capsys)
    assert f"output {str(out)!r}: cannot write" in line
    assert ".tmp" not in line and f".{out.name}." not in line
    assert out.read_bytes() == b"previous"


def test_settings_are_not_saved_when_the_run_fails(tmp_path, capsys):
    src = tmp_path / "tx.csv"
    src.write_text(TX_CSV.replace("2024-01-10", "tomorrow"))
    saved, out = tmp_path / "used.toml", tmp_path / "out.csv"
    argv = ["segment", str(src), "-o", str(out), "--save-config", str(saved), "--steps", "rfm"]
    assert "are not dates" in _fails_cleanly(argv, tmp_path, capsys)


def test_rfm_report_failure_leaves_no_table(tmp_path, capsys, monkeypatch):
    src = tmp_path / "tx.csv"
    src.write_text(TX_CSV)
    out, report = tmp_path / "out.parquet", tmp_path / "r.html"

    def refuse(*args: object, **kwargs: object) -> str:
        raise ConfigError("render_report: no.")

    monkeypatch.setattr("kamseg.report.render_report", refuse)
    argv = ["rfm", str(src), "-o", str(out), "--report", str(report), "-q"]
    assert "render_report: no." in _fails_cleanly(argv, tmp_path, capsys)


def test_demo_failure_leaves_no_folder(tmp_path, capsys, monkeypatch):
    def refuse(*args: object, **kwargs: object) -> str:
        raise ConfigError("render_report: no.")

    monkeypatch.setattr("kamseg.report.render_report", refuse)
    segment = kamseg.pipeline.segment

    def quick(transactions: object, **kwargs: object) -> pd.DataFrame:
        config = kwargs.pop("config")
        assert isinstance(config, kamseg.SegmentConfig)
        return segment(transactions, config=config.replace(steps=("rfm",)), **kwargs)

    monkeypatch.setattr("kamseg.pipeline.segment", quick)  # the demo's job, cut short
    out = tmp_path / "new" / "demo"
    argv = ["demo", "--out", str(out), "--n-customers", "60", "--seed", "1", "-q"]
    _fails_cleanly(argv, tmp_path, capsys)
    assert not (tmp_path / "new").exists()


def test_demo_out_is_a_file(tmp_path, capsys):
    (tmp_path / "demo").write_text("x")
    line = _fails_cleanly(["demo", "--out", str(tmp_path / "demo")], tmp_path, capsys)
    assert "is a file, not a folder" in line


def test_demo_refuses_a_folder_in_the_way_before_the_work(tmp_path, capsys):
    (tmp_path / "demo" / "report.html").mkdir(parents=True)
    line = _fails_cleanly(["demo", "--out", str(tmp_path / "demo")], tmp_path, capsys)
    assert "report.html': is a folder" in line


def test_staged_writes_all_or_nothing(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    b.write_text("old")
    with pytest.raises(ValueError, match="second"), staged_writes() as stage:
        stage.write(a, lambda tmp: tmp.write_text("new a"))
        stage.write(b, lambda tmp: tmp.write_text("new b"))
        raise ValueError("the second step failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.txt"]
    assert b.read_text() == "old"
    with staged_writes() as stage:
        stage.write(a, lambda tmp: tmp.write_text("new a"))
        stage.write(b, lambda tmp: tmp.write_text("new b"))
        assert not a.exists() and b.read_text() == "old"  # nothing moved before the end
    assert (a.read_text(), b.read_text()) == ("new a", "new b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]


def test_atomic_write_errors_name_the_target(tmp_path):
    target = tmp_path / "t.txt"

    def denied(tmp: Path) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(tmp))

    with pytest.raises(PermissionError) as exc:
        atomic_write(target, denied)
    assert exc.value.filename == str(target)
    assert ".tmp" not in str(exc.value)
    assert list(tmp_path.iterdir()) == []


# --- 3: an output never overwrites an input ------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["rfm", "tx.csv", "-o", "tx.csv"], "output 'tx.csv' would overwrite the input"),
        (["rfm", "tx.csv", "-o", "sub/../tx.csv"], "would overwrite the input 'tx.csv'"),
        (["rfm", "tx.csv", "-o", "link.csv"], "would overwrite the input"),
        (["rfm", "tx.csv", "-o", "hard.csv"], "would overwrite the input"),
        (["rfm", "tx.csv", "-o", "o.csv", "--report", "tx.csv"], "the report is HTML"),
        (
            ["segment", "tx.csv", "-o", "master.csv", "--master", "master.csv"],
            "output 'master.csv' would overwrite the master 'master.csv'",
        ),
        (
            ["segment", "tx.csv", "-o", "o.csv", "--surveys", "s.csv", "--report", "s.csv"],
            "the report is HTML",
        ),
        (
            ["segment", "tx.csv", "-o", "o.csv", "--save-config", "s.csv", "--surveys", "s.csv"],
            "save-config 's.csv' would overwrite the surveys",
        ),
        (
            ["segment", "tx.csv", "-o", "o.csv", "--config", "k.toml", "--save-config", "k.toml"],
            "save-config 'k.toml' would overwrite the config 'k.toml'",
        ),
        (
            ["segment", "tx.csv", "-o", "o.csv", "--save-config", "sub/../o.csv"],
            "output 'o.csv' and save-config 'sub/../o.csv' are the same file",
        ),
        (
            ["segment", "tx.csv", "-o", "r.csv", "--catalog", "r.csv"],
            "would overwrite the catalog",
        ),
        (
            ["segment", "tx.csv", "-o", "r.parquet", "--complaints", "r.parquet"],
            "would overwrite the complaints",
        ),
        (["segment", "parts", "-o", "parts/x.parquet"], "would overwrite the input 'parts'"),
        (
            ["segment", "parts/*.parquet", "-o", "parts/new.parquet"],
            "would overwrite the input 'parts/*.parquet'",
        ),
        (["rfm", "tx.csv", "-o", "sub.csv"], "output 'sub.csv': is a folder"),
    ],
)
def test_an_output_equal_to_an_input_is_refused(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tx.csv").write_text(TX_CSV)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub.csv").mkdir()
    (tmp_path / "link.csv").symlink_to(tmp_path / "tx.csv")
    os.link(tmp_path / "tx.csv", tmp_path / "hard.csv")
    (tmp_path / "master.csv").write_text("customer_id,industry\n007,energy\n")
    (tmp_path / "s.csv").write_text("customer_id,date,nps\n007,2024-01-01,9\n")
    (tmp_path / "k.toml").write_text('[steps]\nsteps = ["rfm"]\n')
    (tmp_path / "parts").mkdir()
    pd.read_csv(io.StringIO(TX_CSV)).to_parquet(tmp_path / "parts" / "a.parquet")
    line = _fails_cleanly(argv, tmp_path, capsys)
    assert message in line


# --- 4: CSV text that a spreadsheet would run is escaped -----------------------------------

HOSTILE_CSV = """customer_id,date,amount
=HYPERLINK("http://x"),2024-01-01,10
+1,2024-01-02,20
-2,2024-01-03,-30
@SUM(A1),2024-01-04,40
a-b=c,2024-01-05,50
plain,2024-01-06,60
"""


def _raw_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_rfm_csv_output_escapes_formulas(tmp_path):
    src = tmp_path / "tx.csv"
    src.write_text(HOSTILE_CSV)
    out = tmp_path / "out.csv"
    assert main(["rfm", str(src), "-o", str(out), "-q"]) == 0
    rows = _raw_rows(out)
    ids = [row[0] for row in rows[1:]]
    assert sorted(ids) == sorted(
        ['\'=HYPERLINK("http://x")', "'+1", "'-2", "'@SUM(A1)", "a-b=c", "plain"]
    )
    header = rows[0]
    revenue = {row[0]: row[header.index("revenue")] for row in rows[1:]}
    assert revenue["'-2"] == "-30.0"  # a negative number stays a number
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in ids)


def test_no_escape_formulas_and_parquet_keep_the_text(tmp_path):
    src = tmp_path / "tx.csv"
    src.write_text(HOSTILE_CSV)
    raw, pq = tmp_path / "raw.csv", tmp_path / "out.parquet"
    assert main(["rfm", str(src), "-o", str(raw), "-q", "--no-escape-formulas"]) == 0
    assert main(["rfm", str(src), "-o", str(pq), "-q"]) == 0
    expected = {'=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "a-b=c", "plain"}
    assert {row[0] for row in _raw_rows(raw)[1:]} == expected
    assert set(pd.read_parquet(pq).index) == expected


def test_segment_escapes_master_text_and_column_names(tmp_path):
    src = tmp_path / "tx.csv"
    src.write_text(TX_CSV)
    master = tmp_path / "master.csv"
    master.write_text(
        'customer_id,=cmd(),note,balance\n007,-1+1,"=2+3",-5\n042,fine,@x,7\n100,ok,ok,0\n'
    )
    out = tmp_path / "out.csv"
    argv = ["segment", str(src), "-o", str(out), "--master", str(master), "-q"]
    assert main([*argv, "--steps", "rfm"]) == 0
    rows = _raw_rows(out)
    header = rows[0]
    assert "'=cmd()" in header and "=cmd()" not in header
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert by_id["007"]["'=cmd()"] == "'-1+1"
    assert by_id["007"]["note"] == "'=2+3"
    assert by_id["042"]["note"] == "'@x"
    assert by_id["007"]["balance"] == "-5"  # a number, not text


def test_escape_formulas_rules():
    frame = pd.DataFrame(
        {
            "-col": ["=1", None, "ok", "\rx", "a=b"],
            "n": [-1.0, 2.0, float("nan"), -4.0, 5.0],
            "tier": pd.Categorical(
                ["-low", "high", "-low", None, "high"], categories=["-low", "high"], ordered=True
            ),
            "mixed": np.array(["@x", -3, None, "y", 1.5], dtype=object),
            "when": pd.to_datetime(["2024-01-01"] * 5),
        },
        index=pd.Index(["+a", "b", "c", "d", "e"], name="=id"),
    )
    before = frame.copy()
    got = escape_formulas(frame)
    pd.testing.assert_frame_equal(frame, before)  # the input is not modified
    assert list(got.columns) == ["'-col", "n", "tier", "mixed", "when"]
    assert got.index.name == "'=id" and list(got.index) == ["'+a", "b", "c", "d", "e"]
    assert got["'-col"].tolist()[::2] == ["'=1", "ok", "a=b"]
    assert got["'-col"].isna().tolist() == [False, True, False, False, False]
    assert got["'-col"].tolist()[3] == "'\rx"
    assert got["n"].equals(frame["n"].set_axis(got.index))
    assert list(got["tier"].cat.categories) == ["'-low", "high"] and got["tier"].cat.ordered
    assert got["tier"].tolist()[:3] == ["'-low", "high", "'-low"]
    assert got["mixed"].tolist()[:2] == ["'@x", -3] and got["mixed"].tolist()[4] == 1.5
    assert got["when"].equals(frame["when"].set_axis(got.index))


# --- 5: unreadable inputs ------------------------------------------------------------------


def _gbk(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("gbk"))
    return path


def test_config_not_utf8(tmp_path, capsys):
    src = tmp_path / "tx.csv"
    src.write_text(TX_CSV)
    config = _gbk(tmp_path / "x.toml", '# 配置\n[output]\nlabels = "zh"\n')
    argv = ["segment", str(src), "-o", str(tmp_path / "o.csv"), "--config", str(config)]
    line = _fails_cleanly(argv, tmp_path, capsys)
    assert f"config {str(config)!r}: not UTF-8 text" in line


def _corrupt_parquet(tmp_path: Path, name: str) -> Path:
    good = _tx(tmp_path, "whole.parquet")
    data = good.read_bytes()
    good.unlink()
    path = tmp_path / name
    path.write_bytes(data[: len(data) // 2])  # cut short: the footer is missing
    return path


@pytest.mark.parametrize("engine", ["auto", "pandas", "duckdb"])
def test_segment_corrupt_parquet_input(tmp_path, capsys, engine):
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    src = _corrupt_parquet(tmp_path, "tx.parquet")
    argv = ["segment", str(src), "-o", str(tmp_path / "o.csv"), "--engine", engine]
    line = _fails_cleanly([*argv, "--steps", "rfm"], tmp_path, capsys)
    # said by the CLI ("input '...': cannot read as Parquet") or by kamseg.segment
    assert repr(str(src)) in line and "cannot read" in line and "Parquet" in line


def test_corrupt_parquet_side_table(tmp_path, capsys):
    src = tmp_path / "tx.csv"
    src.write_text(TX_CSV)
    master = _corrupt_parquet(tmp_path, "master.parquet")
    argv = ["segment", str(src), "-o", str(tmp_path / "o.csv"), "--master", str(master)]
    line = _fails_cleanly(argv, tmp_path, capsys)
    assert f"master {str(master)!r}: cannot read" in line


@pytest.mark.parametrize("command", ["rfm", "segment"])
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("tx", TX_CSV, "no file extension, and the file type is read from it; use .csv"),
        ("missing.csv", None, "no such file"),
        ("folder.csv", "dir", "is a folder, not a CSV file"),
        ("empty.csv", "", "the file is empty"),
        ("empty.parquet", "", "the file is empty"),
        ("ragged.csv", TX_CSV + "1,2,3,4,5\n", "cannot read: Error tokenizing data"),
        ("text.parquet", TX_CSV, "cannot read"),
        ("tx.xlsx", TX_CSV, "unknown file type '.xlsx'; use .csv, .parquet or .pq"),
    ],
)
def test_unreadable_transactions(tmp_path, capsys, command, name, content, message):
    src = tmp_path / name
    if content == "dir":
        src.mkdir()
    elif content is not None:
        src.write_text(content)
    line = _fails_cleanly([command, str(src), "-o", str(tmp_path / "o.csv")], tmp_path, capsys)
    assert repr(str(src)) in line
    assert message in line


@pytest.mark.parametrize("command", ["rfm", "segment"])
def test_csv_not_utf8_is_read_with_one_warning(tmp_path, capsys, command):
    """A Windows-1252 export (the public Online Retail CSV has £ signs in a text column
    the job does not read) is read, said once; so is a GBK file, whose text the warning
    asks to check (its ids still tell customers apart)."""
    latin = tmp_path / "latin.csv"
    text = "customer_id,date,amount,note\n1,2024-01-01,5,£ off\n2,2024-01-03,7,café\n"
    latin.write_bytes(text.encode("cp1252"))
    out = tmp_path / "o.csv"
    assert main([command, str(latin), "-o", str(out), "-q"]) == 0
    err = capsys.readouterr().err
    assert err.count("is not UTF-8 text") == 1 and "read as Windows-1252" in err
    assert repr(str(latin)) in err and "byte 0xa3 at position" in err  # the £
    assert pd.read_csv(out)["revenue"].tolist() == [5.0, 7.0]
    rows = "customer_id,date,amount\n张三,2024-01-01,5\n李四,2024-01-02,6\n"
    gbk = _gbk(tmp_path / "gbk.csv", rows)
    assert main([command, str(gbk), "-o", str(out), "-q"]) == 0
    assert "save it as UTF-8" in capsys.readouterr().err
    assert len(pd.read_csv(out)) == 2


@pytest.mark.parametrize("command", ["rfm", "segment"])
def test_csv_with_utf8_bom_is_read(tmp_path, command):
    src = tmp_path / "tx.csv"
    src.write_bytes(TX_CSV.encode("utf-8-sig"))
    out = tmp_path / "o.csv"
    extra = ["--steps", "rfm"] if command == "segment" else []
    assert main([command, str(src), "-o", str(out), "-q", *extra]) == 0
    table = pd.read_csv(out, dtype={"customer_id": str}).set_index("customer_id")
    assert table["revenue"].to_dict() == {"007": 40.0, "042": 20.0, "100": 99.0}


# --- 6: ids are text; only an empty cell is a missing id -----------------------------------

NA_IDS_CSV = """customer_id,date,amount
NA,2024-01-01,10
None,2024-01-02,20
null,2024-01-03,30
N/A,2024-01-04,40
nan,2024-01-05,50
1,2024-01-06,60
NA,2024-01-07,5
"""


@pytest.mark.parametrize("command", ["rfm", "segment"])
def test_na_like_ids_are_customers(tmp_path, command):
    src = tmp_path / "tx.csv"
    src.write_text(NA_IDS_CSV)
    out = tmp_path / "out.parquet"
    extra = ["--steps", "rfm"] if command == "segment" else []
    assert main([command, str(src), "-o", str(out), "-q", *extra]) == 0
    table = pd.read_parquet(out)
    assert len(table) == 6
    assert table["revenue"].to_dict() == {
        "NA": 15.0,
        "None": 20.0,
        "null": 30.0,
        "N/A": 40.0,
        "nan": 50.0,
        "1": 60.0,
    }


def test_an_empty_id_is_missing_and_other_columns_keep_na_strings(tmp_path, capsys):
    src = tmp_path / "tx.csv"
    src.write_text(NA_IDS_CSV.replace("None,2024-01-02", ",2024-01-02"))
    out = tmp_path / "out.csv"
    assert "null values found" in _fails_cleanly(
        ["rfm", str(src), "-o", str(out)], tmp_path, capsys
    )
    # "NA" in the amount column is a missing amount (pandas' default), not a bad number
    src.write_text(NA_IDS_CSV.replace("N/A,2024-01-04,40", "N/A,2024-01-04,NA"))
    assert main(["rfm", str(src), "-o", str(out), "-q", "--dropna"]) == 0
    assert "dropped 1 row(s) with null values (1 in 'amount')" in capsys.readouterr().err
    assert len(pd.read_csv(out)) == 5


def test_side_table_ids_are_text(tmp_path):
    src = tmp_path / "tx.csv"
    src.write_text(NA_IDS_CSV)
    master = tmp_path / "master.csv"
    master.write_text("customer_id,industry\nNA,energy\nnull,retail\n1,food\n0042,prospect\n")
    surveys = tmp_path / "surveys.csv"
    surveys.write_text("customer_id,date,nps,csat\nNA,2024-01-03,10,5\nnan,2024-01-04,2,1\n")
    out = tmp_path / "out.parquet"
    argv = ["segment", str(src), "-o", str(out), "-q", "--steps", "rfm,classes"]
    argv += ["--master", str(master), "--surveys", str(surveys)]
    assert main(argv) == 0
    table = pd.read_parquet(out)
    assert table.loc["NA", "industry"] == "energy" and table.loc["null", "industry"] == "retail"
    assert "0042" in table.index  # a prospect of the master, leading zeros kept
    assert table.loc["NA", "satisfaction_class"] != table.loc["nan", "satisfaction_class"]


def test_master_id_column_option_reads_its_ids_as_text(tmp_path):
    src = tmp_path / "tx.csv"
    src.write_text(NA_IDS_CSV.replace("1,2024-01-06", "007,2024-01-06"))
    master = tmp_path / "master.csv"
    master.write_text("kunde,industry\nNA,energy\n007,food\nnull,retail\n")
    out, saved = tmp_path / "out.parquet", tmp_path / "used.toml"
    argv = ["segment", str(src), "-o", str(out), "-q", "--steps", "rfm"]
    argv += ["--master", str(master), "--master-id-col", "kunde", "--save-config", str(saved)]
    assert main([*argv, "--margin", "0.3", "--penalty", "0.01"]) == 0
    table = pd.read_parquet(out)
    assert table.loc[["NA", "007", "null"], "industry"].tolist() == ["energy", "food", "retail"]
    used = kamseg.SegmentConfig.from_toml(saved)
    assert (used.master_id_col, used.margin, used.penalty) == ("kunde", 0.3, 0.01)


def test_side_date_column_option(tmp_path):
    data = kamseg.datasets.make_transactions(n_customers=150, seed=8)
    src = tmp_path / "invoices.csv"
    data.transactions.rename(columns={"date": "InvoiceDate"}).to_csv(src, index=False)
    surveys = tmp_path / "surveys.csv"
    data.surveys.to_csv(surveys, index=False)  # dated in "date"
    out = tmp_path / "out.parquet"
    argv = ["segment", str(src), "-o", str(out), "-q", "--steps", "classes"]
    argv += ["--date-col", "InvoiceDate", "--surveys", str(surveys), "--side-date-col", "date"]
    assert main(argv) == 0
    assert pd.read_parquet(out)["satisfaction_class"].astype(str).ne("unknown").any()


# --- 7: the report with the user's column names --------------------------------------------


def _custom_columns_csv(tmp_path: Path) -> Path:
    data = kamseg.datasets.make_transactions(n_customers=120, seed=5)
    tx = data.transactions.rename(columns={"customer_id": "CustomerID", "date": "InvoiceDate"})
    path = tmp_path / "invoices.csv"
    tx[["CustomerID", "InvoiceDate", "amount", "profit"]].to_csv(path, index=False)
    return path


def test_rfm_report_with_custom_columns(tmp_path):
    src = _custom_columns_csv(tmp_path)
    out, report = tmp_path / "out.csv", tmp_path / "r.html"
    argv = ["rfm", str(src), "-o", str(out), "--report", str(report), "-q"]
    assert main([*argv, "--customer-col", "CustomerID", "--date-col", "InvoiceDate"]) == 0
    page = report.read_text(encoding="utf-8")
    assert 'id="rfm"' in page and 'id="key-figures"' in page
    assert pd.read_csv(out).columns[0] == "CustomerID"


def test_segment_report_with_custom_columns_has_the_performance(tmp_path):
    src = _custom_columns_csv(tmp_path)
    out, report = tmp_path / "out.parquet", tmp_path / "r.html"
    argv = ["segment", str(src), "-o", str(out), "--report", str(report), "-q"]
    argv += ["--customer-col", "CustomerID", "--date-col", "InvoiceDate"]
    assert main([*argv, "--steps", "rfm,pareto,key_accounts"]) == 0
    page = report.read_text(encoding="utf-8")
    # the key-account performance over time reads the rows with the user's columns
    assert 'id="performance"' in page and 'id="key-accounts"' in page
    assert pd.read_parquet(out).index.name == "CustomerID"


# --- 8: other errors -----------------------------------------------------------------------


def test_unexpected_errors_are_not_passed_off_as_bad_input(tmp_path, monkeypatch):
    src = tmp_path / "tx.csv"
    src.write_text(TX_CSV)

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("kamseg.rfm.rfm_scores", crash)
    with pytest.raises(RuntimeError, match="a bug"):
        main(["rfm", str(src), "-o", str(tmp_path / "o.csv")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tx.csv"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["rfm", "tx.csv", "-o", "nowhere/o.csv"], "folder 'nowhere' does not exist"),
        (["rfm", "tx.csv", "-o", "o"], "output 'o': no file extension"),
        (["segment", "tx.csv", "-o", "o.csv", "--report", "no/r.html"], "does not exist"),
        (["segment", "tx.csv", "-o", "o.csv", "--config", "."], "is a folder"),
        (["segment", "tx.csv", "-o", "o.csv", "--config", "bad.toml"], "not valid TOML"),
        (["segment", "tx.csv", "-o", "o.csv", "--master", "m"], "master 'm': no file extension"),
        (["segment", "tx.csv", "-o", "o.csv", "--surveys", "no.csv"], "surveys 'no.csv': no such"),
        (["segment", "nothing/*.parquet", "-o", "o.csv"], "no Parquet file matches"),
    ],
)
def test_other_bad_paths(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tx.csv").write_text(TX_CSV)
    (tmp_path / "bad.toml").write_text("steps = [\n")
    assert message in _fails_cleanly(argv, tmp_path, capsys)


# --- the master and the ids, through the CLI (issue 13 cases 1, 2, 13 and the minor ones) ---


def _master_csv(tmp_path: Path, frame: pd.DataFrame, name: str = "master.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_master_without_an_id_column_is_one_error(tmp_path, capsys):
    src = _tx(tmp_path)
    data = kamseg.datasets.make_transactions(n_customers=80, seed=1)
    master = _master_csv(
        tmp_path, data.master.reset_index().rename(columns={"customer_id": "cid"})
    )
    argv = ["segment", str(src), "--master", str(master), "-o", str(tmp_path / "o.csv")]
    line = _fails_cleanly(argv, tmp_path, capsys)
    assert "neither a 'customer_id' column nor an id index" in line and "--master-id-col" in line


def test_master_problems_through_the_cli(tmp_path, capsys):
    """A cost to serve without a profit column (the README's --master command) runs with
    margin 1 or --margin; duplicated master ids are one error; a master 'revenue' column
    is joined as master_revenue with one notice; a margin above 1 is refused."""
    data = kamseg.datasets.make_transactions(n_customers=80, seed=1)
    src = tmp_path / "tx.csv"
    data.transactions[["customer_id", "date", "amount"]].to_csv(src, index=False)
    master = _master_csv(tmp_path, data.master.reset_index())
    out = tmp_path / "o.csv"
    assert main(["segment", str(src), "--master", str(master), "-o", str(out), "-q"]) == 0
    table = pd.read_csv(out)
    buyers = table[table["revenue"].notna()]  # not the master's prospects
    assert buyers["clv"].notna().all() and "net_profit" in table.columns
    assert (
        main(
            ["segment", str(src), "--master", str(master), "-o", str(out), "-q", "--margin", "0.3"]
        )
        == 0
    )
    with_margin = pd.read_csv(out).dropna(subset=["revenue"])  # profit CLV: 30 % less cost
    assert (with_margin["profit_clv"] <= 0.3 * with_margin["clv"] + 1e-9).all()
    capsys.readouterr()
    dup = _master_csv(tmp_path, pd.concat([data.master.reset_index()] * 2), "dup.csv")
    line = _fails_cleanly(
        ["segment", str(src), "--master", str(dup), "-o", str(tmp_path / "d.csv")],
        tmp_path,
        capsys,
    )
    assert "duplicated customer ids" in line
    named = _master_csv(tmp_path, data.master.reset_index().assign(revenue=1.0), "named.csv")
    assert (
        main(["segment", str(src), "--master", str(named), "-o", str(out), "-q", "--steps", "rfm"])
        == 0
    )
    assert "master_revenue" in capsys.readouterr().err
    assert (pd.read_csv(out)["master_revenue"].dropna() == 1.0).all()
    line = _fails_cleanly(
        ["segment", str(src), "-o", str(tmp_path / "m.csv"), "--margin", "1.5"], tmp_path, capsys
    )
    assert "margin" in line


def test_ids_spelled_two_ways_are_one_customer(tmp_path):
    """ "1" and "1.0" in one id column (two exports pasted together) are one customer."""
    src = tmp_path / "tx.csv"
    src.write_text("customer_id,date,amount\n1,2024-01-01,5\n1.0,2024-02-01,7\n2,2024-01-03,1\n")
    out = tmp_path / "o.csv"
    assert main(["segment", str(src), "-o", str(out), "-q", "--steps", "rfm"]) == 0
    table = pd.read_csv(out, dtype={"customer_id": str})
    assert table["customer_id"].tolist() == ["1", "2"] and table["revenue"].tolist() == [12.0, 1.0]


def test_a_grand_total_beyond_float_range_through_the_cli(tmp_path, capsys):
    src = tmp_path / "tx.csv"
    src.write_text(
        "customer_id,date,amount\n1,2024-01-01,1e308\n2,2024-01-02,1e308\n3,2024-01-02,5\n"
    )
    out = tmp_path / "o.csv"
    assert main(["segment", str(src), "-o", str(out), "--steps", "rfm,pareto"]) == 0
    err = capsys.readouterr().err
    assert "step 'pareto' skipped" in err and "beyond the float range" in err
    assert "RuntimeWarning" not in err and "overflow encountered" not in err
