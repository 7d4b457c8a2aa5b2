"""Tests of kamseg.SegmentConfig: validation, immutability, TOML round trips."""

from __future__ import annotations

import dataclasses

import pytest

from kamseg.config import STEPS, SegmentConfig
from kamseg.errors import ConfigError

HAND_WRITTEN = """
[columns]
customer_col = "client"
amount_col = "value"
profit_col = "margin_eur"

[summary]
freq = "M"
as_of = "2024-06-30"

[steps]
steps = ["pareto", "rfm"]   # run order is fixed: rfm first

[key_accounts]
max_accounts = 10
criteria = { revenue = 0.6, "cost to serve" = { weight = 0.4, direction = "min" } }

[output]
labels = "zh"
"""


def test_defaults():
    config = SegmentConfig()
    assert (config.customer_col, config.date_col, config.amount_col) == (
        "customer_id",
        "date",
        "amount",
    )
    assert config.profit_col is None and config.criteria is None
    assert config.steps == STEPS
    assert (config.freq, config.clv_model, config.labels) == ("D", "mbgnbd", "en")
    assert (config.bins, config.horizon, config.pareto_value_col, config.kind) == (
        5,
        12,
        "revenue",
        "value",
    )
    assert (config.min_accounts, config.max_accounts, config.action) == (5, 25, True)
    assert config.n_jobs is None  # the cores this process may use


def test_hand_written_toml_is_read_into_the_fields():
    config = SegmentConfig.from_toml_text(HAND_WRITTEN)
    assert config.customer_col == "client"
    assert config.amount_col == "value"
    assert config.profit_col == "margin_eur"
    assert config.date_col == "date"  # not given: default
    assert config.freq == "M" and config.as_of == "2024-06-30"
    assert config.steps == ("rfm", "pareto")
    assert config.max_accounts == 10
    assert config.labels == "zh"
    assert config.criteria == {
        "revenue": 0.6,
        "cost to serve": {"weight": 0.4, "direction": "min"},
    }


@pytest.mark.parametrize(
    "config",
    [
        SegmentConfig(),
        SegmentConfig.from_toml_text(HAND_WRITTEN),
        SegmentConfig(profit_col='pro"fit\\x', as_of="2024-01-01", discount_rate=0.0),
        SegmentConfig(customer_col="客户", labels="zh", steps=()),
        SegmentConfig(n_jobs=1),
    ],
)
def test_toml_round_trip(config, tmp_path):
    assert SegmentConfig.from_toml_text(config.to_toml_text()) == config
    path = config.to_toml(tmp_path / "kamseg.toml")
    assert SegmentConfig.from_toml(path) == config
    assert SegmentConfig.from_dict(config.to_dict()) == config


def test_frozen_and_criteria_read_only():
    config = SegmentConfig(criteria={"revenue": 1.0, "x": {"weight": 1, "direction": "min"}})
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.freq = "D"  # type: ignore[misc]
    with pytest.raises(TypeError, match=r"config\.replace\(criteria="):
        config.criteria["revenue"] = 2.0  # type: ignore[index]
    with pytest.raises(TypeError):
        config.criteria["x"]["weight"] = 2  # type: ignore[index]


def test_replace_validates_again():
    config = SegmentConfig().replace(freq="D")
    assert config.freq == "D"
    with pytest.raises(ConfigError, match="`freq` must be one of"):
        SegmentConfig().replace(freq="Y")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"freq": "Q"}, "`freq` must be one of 'D', 'W', 'M'; got 'Q'"),
        ({"engine": "spark"}, "`engine` must be one of"),
        ({"labels": "fr"}, "`labels` must be one of"),
        ({"clv_model": "bgbb"}, "`clv_model` must be one of 'mbgnbd', 'bgnbd', 'pareto_nbd'"),
        ({"kind": "revenue"}, "`kind` must be one of 'value', 'profit'"),
        ({"returns": "drop"}, "`returns` must be one of 'net', 'exclude', 'error'"),
        ({"steps": ("rfm", "nps")}, "`steps` must be one of .*got 'nps'"),
        ({"steps": "rfm"}, "`steps` must be a list"),
        ({"bins": 1}, "`bins` must be between 2 and 10"),
        ({"bins": 5.0}, "`bins` must be an integer"),
        ({"bins": True}, "`bins` must be an integer"),
        ({"horizon": 0}, "`horizon` must be between 1 and 1200"),
        ({"discount_rate": 1.0}, r"`discount_rate` must be a number in \[0, 1\)"),
        ({"discount_rate": "0.01"}, "`discount_rate` must be a number"),
        ({"dropna": "yes"}, "`dropna` must be true or false"),
        ({"action": 1}, "`action` must be true or false"),
        ({"customer_col": ""}, "`customer_col` must be a non-empty string"),
        ({"profit_col": 3}, "`profit_col` must be a non-empty string"),
        ({"pareto_value_col": ""}, "`pareto_value_col` must be a non-empty string"),
        ({"min_accounts": 0}, "`min_accounts` must be at least 1"),
        ({"min_accounts": 10, "max_accounts": 5}, "`max_accounts` must be at least 10"),
        ({"inactive_days": -1}, "`inactive_days` must be at least 0"),
        ({"criteria": {}}, "`criteria` must be a non-empty table"),
        ({"criteria": ["revenue"]}, "`criteria` must be a non-empty table"),
        ({"n_jobs": 0}, "`n_jobs` must be at least 1; got 0"),
        ({"n_jobs": 2.0}, "`n_jobs` must be an integer"),
    ],
)
def test_bad_values_raise_config_error(changes, message):
    with pytest.raises(ConfigError, match=message):
        SegmentConfig(**changes)


def test_unknown_keys_name_a_close_match():
    message = r"unknown setting 'frq' in the top level\. Did you mean 'freq'"
    with pytest.raises(ConfigError, match=message):
        SegmentConfig.from_dict({"frq": "D"})
    with pytest.raises(ConfigError, match=r"unknown setting 'freq' in section \[columns\]"):
        SegmentConfig.from_toml_text('[columns]\nfreq = "D"\n')


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("rfm_bins", "bins"),
        ("clv_horizon", "horizon"),
        ("pareto_value", "pareto_value_col"),
        ("key_criteria", "criteria"),
        ("min_key_accounts", "min_accounts"),
        ("actions", "action"),
    ],
)
def test_names_before_the_renaming_are_unknown_with_a_hint(old, new):
    with pytest.raises(ConfigError, match=f"unknown setting '{old}'.*Did you mean '{new}'"):
        SegmentConfig.from_dict({old: 1})


def test_fields_are_named_after_the_arguments_they_feed():
    """A field carries the name of the argument it feeds; its choices are the argument's."""
    import inspect
    from typing import get_args

    import kamseg
    from kamseg import config as config_module
    from kamseg.clv import ModelName
    from kamseg.pareto import PyramidKind

    feeds = {
        "bins": [kamseg.rfm_scores],
        "horizon": [kamseg.clv.predict],
        "discount_rate": [kamseg.clv.predict],
        "kind": [kamseg.pyramid],
        "inactive_days": [kamseg.pyramid],
        "criteria": [kamseg.score_accounts],
        "min_accounts": [kamseg.select_key_accounts],
        "max_accounts": [kamseg.select_key_accounts],
        "action": [kamseg.classify],
        "window_days": [kamseg.health_score, kamseg.early_warnings],
        "freq": [kamseg.summarize, kamseg.clv.predict],
        "returns": [kamseg.summarize],
        "dropna": [kamseg.summarize],
        "labels": [kamseg.rfm_segments, kamseg.pareto_table, kamseg.classify],
    }
    # step name in front where another step has an argument of the same name
    qualified = {
        "clv_model": ([kamseg.clv.fit], "model", [kamseg.predict_churn]),
        "pareto_value_col": (
            [kamseg.pareto_table, kamseg.pyramid],
            "value_col",
            [kamseg.classify],
        ),
    }
    names = {f.name for f in dataclasses.fields(SegmentConfig)}
    for name, funcs in feeds.items():
        assert name in names
        for func in funcs:
            assert name in inspect.signature(func).parameters, (name, func.__name__)
    for name, (funcs, argument, others) in qualified.items():
        assert name in names and argument not in names
        for func in [*funcs, *others]:
            assert argument in inspect.signature(func).parameters, (name, func.__name__)
    assert get_args(config_module.PyramidKind) == get_args(PyramidKind)
    assert set(get_args(config_module.PurchaseModel)) <= set(get_args(ModelName))
    assert get_args(config_module.Step) == STEPS


def test_toml_text_has_the_comment_and_the_sections_in_order():
    text = SegmentConfig(criteria={"revenue": 1.0}).to_toml_text()
    assert text.startswith("# kamseg segment configuration (kamseg.SegmentConfig)\n\n[columns]\n")
    sections = [line for line in text.splitlines() if line.startswith("[")]
    assert sections == [
        "[columns]",
        "[summary]",
        "[steps]",
        "[rfm]",
        "[clv]",
        "[pareto]",
        "[key_accounts]",
        "[key_accounts.criteria]",
        "[health]",
        "[output]",
    ]
    assert "\nbins = 5\n" in text and '\nkind = "value"\n' in text


def test_settings_toml_cannot_hold_are_a_config_error():
    config = SegmentConfig(criteria={"revenue": object()})
    with pytest.raises(ConfigError, match="cannot write the settings as TOML"):
        config.to_toml_text()


def test_bad_toml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        SegmentConfig.from_toml_text("[summary\nfreq = 'D'")
    with pytest.raises(ConfigError, match="cannot read config file"):
        SegmentConfig.from_toml(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text('[summary]\nfreq = "Q"\n')
    with pytest.raises(ConfigError, match=r"bad\.toml"):
        SegmentConfig.from_toml(bad)


def test_pickle_and_copy_keep_the_config():
    import copy
    import pickle

    config = SegmentConfig.from_toml_text(HAND_WRITTEN)
    assert pickle.loads(pickle.dumps(config)) == config
    assert copy.deepcopy(config) == config
    with pytest.raises(TypeError):
        pickle.loads(pickle.dumps(config)).criteria["revenue"] = 1.0  # type: ignore[index]


def test_the_documented_file_holds_the_defaults():
    from pathlib import Path

    page = (Path(__file__).parents[1] / "docs" / "configuration.md").read_text(encoding="utf-8")
    block = page.split("```toml\n", 1)[1].split("```", 1)[0]
    assert SegmentConfig.from_toml_text(block) == SegmentConfig()
    commented = block.replace("# criteria", "criteria")
    criteria = SegmentConfig.from_toml_text(commented).criteria
    assert criteria == {
        "revenue": 0.4,
        "profit_clv": 0.4,
        "cost_to_serve": {"weight": 0.2, "direction": "min"},
    }
