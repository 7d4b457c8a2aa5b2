"""Tests of kamseg.fit_segments / SegmentModel: fit once, apply anywhere.

- applying the model to the base it was fitted on gives exactly what segment gives;
- apply is row-wise: any subset of customers, in any order, gets exactly its own rows;
- a saved and loaded model labels exactly as the model did; bad files give clear errors;
- scoring a loaded model imports no scikit-learn (the churn trees are scored in numpy).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kamseg
from kamseg.config import SegmentConfig
from kamseg.model import FORMAT_VERSION, ModelFileError, SegmentModel, fit_and_label


@pytest.fixture(scope="module")
def data() -> kamseg.datasets.Dataset:
    return kamseg.datasets.make_transactions(n_customers=500, seed=11)


def _sides(data) -> dict:
    return {
        "master": data.master,
        "surveys": data.surveys,
        "complaints": data.complaints,
        "catalog": data.catalog,
    }


CONFIG = SegmentConfig(profit_col="profit", order_col="order_id")


@pytest.fixture(scope="module")
def fitted(data) -> tuple[SegmentModel, pd.DataFrame]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # clean demo data: no warning at all
        return fit_and_label(
            data.transactions, config=CONFIG, as_of=None, progress=None, **_sides(data)
        )


@pytest.fixture(scope="module")
def applied(data, fitted) -> pd.DataFrame:
    model, _ = fitted
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return model.apply(data.transactions, **_sides(data))


def test_fitted_table_is_segment(data, fitted):
    _, table = fitted
    expected = kamseg.segment(data.transactions, config=CONFIG, **_sides(data))
    pd.testing.assert_frame_equal(table, expected)
    assert table.attrs == expected.attrs


def test_apply_on_the_base_is_segment(fitted, applied):
    model, table = fitted
    assert model.steps == tuple(table.attrs["kamseg_steps"])
    assert set(model.steps) >= {"rfm", "clv", "pareto", "key_accounts", "classes", "health"}
    pd.testing.assert_frame_equal(applied, table)
    assert applied.attrs == table.attrs


def _subset_rows(data, ids) -> dict:
    """The transactions and side-table rows of the customers `ids`."""
    tx = data.transactions
    keep = tx["customer_id"].isin(ids)
    sides = _sides(data)
    sides["master"] = data.master[data.master.index.isin(ids)]
    for name in ("surveys", "complaints"):
        side = sides[name]
        sides[name] = side[side["customer_id"].isin(ids)]
    return {"transactions": tx[keep], **sides}


@settings(max_examples=8, deadline=None)
@given(st.data())
def test_apply_is_row_wise(data, fitted, applied, draw):
    model, _ = fitted
    buyers = applied.index[applied["first_purchase"].notna()].to_numpy()
    ids = draw.draw(st.lists(st.sampled_from(list(buyers)), min_size=1, max_size=12, unique=True))
    parts = _subset_rows(data, ids)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kamseg.errors.KamsegWarning)  # e.g. master misses
        out = model.apply(parts.pop("transactions"), **parts)
    pd.testing.assert_frame_equal(out, applied.loc[sorted(ids)], check_like=False)


def test_one_customer_is_its_row_of_the_base(data, fitted, applied):
    model, _ = fitted
    cid = applied.index[applied["first_purchase"].notna()][17]
    tx = data.transactions[data.transactions["customer_id"] == cid]
    # the master row only: no survey, complaint or catalogue; the columns made without them
    # are the base's
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = model.apply(tx, master=data.master.loc[[cid]])
    assert list(out.index) == [cid]
    for col in (
        "rfm_score",
        "clv",
        "abc_class",
        "account_rank",
        "value_class",
        "churn_probability",
    ):
        assert out[col].iloc[0] == applied.loc[cid, col], col
    assert "satisfaction_class" not in out.columns
    assert any("skipped" in str(w.message) for w in caught)


def test_save_load_round_trip(tmp_path, data, fitted, applied):
    model, _ = fitted
    path = tmp_path / "model.kamseg"
    model.save(path)
    loaded = SegmentModel.load(path)
    assert repr(loaded) == repr(model)
    assert loaded.steps == model.steps and loaded.as_of == model.as_of
    out = loaded.apply(data.transactions, **_sides(data))
    pd.testing.assert_frame_equal(out, applied)
    with zipfile.ZipFile(path) as zf:  # no pickle anywhere: JSON and .npy only
        names = zf.namelist()
        assert all(n.endswith((".json", ".npy")) for n in names)
        for n in names:
            if n.endswith(".npy"):
                np.load(io.BytesIO(zf.read(n)), allow_pickle=False)


def test_summary_and_repr_say_what_was_learned(fitted):
    model, _ = fitted
    text = repr(model)
    assert f"n_customers={model.n_customers}" in text and f"as_of={model.as_of.date()}" in text
    summary = model.summary()
    assert {"rfm", "clv", "classes"} <= set(summary.index)
    assert summary.loc["clv", "learned"]


def _rewrite(src, dst, *, header=None, drop=None, state=None) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            if name == drop:
                continue
            raw = zin.read(name)
            if name == "kamseg-model.json" and header is not None:
                raw = json.dumps({**json.loads(raw), **header}).encode()
            if name == "state.json" and state is not None:
                raw = state(raw)
            zout.writestr(name, raw)


def test_incompatible_and_corrupt_files(tmp_path, fitted):
    model, _ = fitted
    good = tmp_path / "good.kamseg"
    model.save(good)

    newer = tmp_path / "newer.kamseg"
    _rewrite(good, newer, header={"format_version": FORMAT_VERSION + 1})
    with pytest.raises(ModelFileError, match=r"format version 2 .*reads version 1"):
        SegmentModel.load(newer)

    other = tmp_path / "other.kamseg"
    _rewrite(good, other, header={"format": "something-else"})
    with pytest.raises(ModelFileError, match="not a kamseg segment model"):
        SegmentModel.load(other)

    text = tmp_path / "text.kamseg"
    text.write_text("hello")
    with pytest.raises(ModelFileError, match="not a kamseg model file"):
        SegmentModel.load(text)

    truncated = tmp_path / "truncated.kamseg"
    truncated.write_bytes(good.read_bytes()[:2000])
    with pytest.raises(ModelFileError):
        SegmentModel.load(truncated)

    missing_array = tmp_path / "missing.kamseg"
    _rewrite(good, missing_array, drop="arrays/a0.npy")
    with pytest.raises(ModelFileError, match="corrupt"):
        SegmentModel.load(missing_array)

    unknown = tmp_path / "unknown.kamseg"
    _rewrite(good, unknown, state=lambda raw: raw.replace(b'"rfm.', b'"evil.', 1))
    with pytest.raises(ModelFileError, match="unknown part"):
        SegmentModel.load(unknown)

    with pytest.raises(FileNotFoundError):
        SegmentModel.load(tmp_path / "nope.kamseg")


def test_scoring_a_loaded_model_imports_no_sklearn(tmp_path, data, fitted):
    model, _ = fitted
    path = tmp_path / "model.kamseg"
    model.save(path)
    tx = data.transactions[data.transactions["customer_id"] == data.transactions.iloc[0, 0]]
    tx_path = tmp_path / "one.parquet"
    tx.to_parquet(tx_path)
    code = f"""
import sys, warnings, pandas as pd
import kamseg
model = kamseg.SegmentModel.load({str(path)!r})
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    out = model.apply(pd.read_parquet({str(tx_path)!r}))
assert len(out) == 1 and out["churn_probability"].notna().all(), out
heavy = [m for m in ("sklearn", "matplotlib") if m in sys.modules]
print(heavy)
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_apply_at_a_later_as_of(data, fitted, applied):
    model, _ = fitted
    later = model.as_of + pd.Timedelta(days=90)
    out = model.apply(data.transactions, as_of=later, **_sides(data))
    assert pd.Timestamp(out.attrs["as_of"]) == later
    # 90 more days of silence: nobody is more recent, many are less
    buyers = applied["first_purchase"].notna()
    shift = out.loc[buyers, "days_since_last"] - applied.loc[buyers, "days_since_last"]
    assert (shift == 90).all()
    assert (out.loc[buyers, "p_alive"] <= applied.loc[buyers, "p_alive"] + 1e-12).all()
    assert (
        out["lifecycle_stage"].eq("churned").sum()
        >= applied["lifecycle_stage"].eq("churned").sum()
    )


def test_concurrent_apply_calls_give_the_same_rows(data, fitted, applied):
    """A service calls apply from several threads at once on one model."""
    from concurrent.futures import ThreadPoolExecutor

    model, _ = fitted
    buyers = list(applied.index[applied["first_purchase"].notna()][:24])

    def one(cid):
        parts = _subset_rows(data, [cid])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", kamseg.errors.KamsegWarning)
            return model.apply(parts.pop("transactions"), **parts)

    with ThreadPoolExecutor(max_workers=4) as pool:
        rows = list(pool.map(one, buyers))
    for cid, row in zip(buyers, rows, strict=True):
        pd.testing.assert_frame_equal(row, applied.loc[[cid]])


def test_side_rows_after_as_of_said_once_and_an_earlier_as_of_scores(data, fitted):
    """A model applied as of an earlier date: every step (churn too) works as of it, and
    the survey and complaint rows after it are left out with one notice each (they were
    said by both the satisfaction class and the warnings before)."""
    model, _ = fitted
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = model.apply(data.transactions, as_of="2023-06-30", **_sides(data))
    assert pd.Timestamp(out.attrs["as_of"]) == pd.Timestamp("2023-06-30")
    assert out["churn_probability"].notna().any()
    texts = [str(w.message) for w in caught]
    for arg in ("surveys", "complaints"):
        said = [t for t in texts if f"of `{arg}` dated after as_of" in t]
        assert len(said) == 1, texts
    assert all(w.filename == __file__ for w in caught if "dated after" in str(w.message))


def test_a_fitted_need_level_without_products_is_skipped_not_fatal(data, fitted, applied):
    model, _ = fitted
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        out = model.apply(data.transactions.drop(columns=["product"]), **_sides(data))
    assert "need_level" not in out.columns
    assert "no product column" in out.attrs["kamseg_limited"]["classes"]
    pd.testing.assert_series_equal(out["value_class"], applied["value_class"])
