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
max_key_accounts = 10
key_criteria = { revenue = 0.6, "cost to serve" = { weight = 0.4, direction = "min" } }

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
    assert config.profit_col is None and config.key_criteria is None
    assert config.steps == STEPS
    assert (config.freq, config.clv_model, config.labels) == ("W", "mbgnbd", "en")
    assert (config.min_key_accounts, config.max_key_accounts) == (5, 25)


def test_hand_written_toml_is_read_into_the_fields():
    config = SegmentConfig.from_toml_text(HAND_WRITTEN)
    assert config.customer_col == "client"
    assert config.amount_col == "value"
    assert config.profit_col == "margin_eur"
    assert config.date_col == "date"  # not given: default
    assert config.freq == "M" and config.as_of == "2024-06-30"
    assert config.steps == ("rfm", "pareto")
    assert config.max_key_accounts == 10
    assert config.labels == "zh"
    assert config.key_criteria == {
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
    ],
)
def test_toml_round_trip(config, tmp_path):
    assert SegmentConfig.from_toml_text(config.to_toml_text()) == config
    path = config.to_toml(tmp_path / "kamseg.toml")
    assert SegmentConfig.from_toml(path) == config
    assert SegmentConfig.from_dict(config.to_dict()) == config


def test_frozen_and_criteria_read_only():
    config = SegmentConfig(key_criteria={"revenue": 1.0, "x": {"weight": 1, "direction": "min"}})
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.freq = "D"  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.key_criteria["revenue"] = 2.0  # type: ignore[index]
    with pytest.raises(TypeError):
        config.key_criteria["x"]["weight"] = 2  # type: ignore[index]


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
        ({"clv_model": "bgbb"}, "`clv_model` must be one of"),
        ({"steps": ("rfm", "nps")}, "`steps` must be one of .*got 'nps'"),
        ({"steps": "rfm"}, "`steps` must be a list"),
        ({"rfm_bins": 1}, "`rfm_bins` must be between 2 and 10"),
        ({"rfm_bins": 5.0}, "`rfm_bins` must be an integer"),
        ({"rfm_bins": True}, "`rfm_bins` must be an integer"),
        ({"discount_rate": 1.0}, r"`discount_rate` must be a number in \[0, 1\)"),
        ({"discount_rate": "0.01"}, "`discount_rate` must be a number"),
        ({"dropna": "yes"}, "`dropna` must be true or false"),
        ({"customer_col": ""}, "`customer_col` must be a non-empty string"),
        ({"profit_col": 3}, "`profit_col` must be a non-empty string"),
        ({"min_key_accounts": 10, "max_key_accounts": 5}, "`max_key_accounts` must be"),
        ({"inactive_days": -1}, "`inactive_days` must be at least 0"),
        ({"key_criteria": {}}, "`key_criteria` must be a non-empty table"),
        ({"key_criteria": ["revenue"]}, "`key_criteria` must be a non-empty table"),
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
        pickle.loads(pickle.dumps(config)).key_criteria["revenue"] = 1.0  # type: ignore[index]


def test_the_documented_file_holds_the_defaults():
    from pathlib import Path

    page = (Path(__file__).parents[1] / "docs" / "configuration.md").read_text(encoding="utf-8")
    block = page.split("```toml\n", 1)[1].split("```", 1)[0]
    assert SegmentConfig.from_toml_text(block) == SegmentConfig()
    commented = block.replace("# key_criteria", "key_criteria")
    criteria = SegmentConfig.from_toml_text(commented).key_criteria
    assert criteria == {
        "revenue": 0.4,
        "profit_clv": 0.4,
        "cost_to_serve": {"weight": 0.2, "direction": "min"},
    }
