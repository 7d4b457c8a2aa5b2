"""`import kamseg` changes no global state and imports no heavy library."""

from __future__ import annotations

import json
import subprocess
import sys

import kamseg

_PROBE = r"""
import copy, json, sys, warnings
import numpy as np
import pandas as pd
from pandas._config import config

def snapshot():
    return (
        copy.deepcopy(config._global_config),
        list(warnings.filters),
        np.geterr(),
        np.get_printoptions(),
    )

before = snapshot()
import kamseg
_ = (kamseg.summarize, kamseg.rfm_scores, kamseg.rfm_segments, kamseg.datasets, kamseg.errors)
after = snapshot()
heavy = sorted(m for m in ("scipy", "sklearn", "lifetimes", "matplotlib", "duckdb")
               if m in sys.modules)
print(json.dumps({"same": before == after, "heavy": heavy}))
"""


def test_import_changes_no_global_state_and_stays_light():
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result == {"same": True, "heavy": []}


def test_public_names_resolve():
    for name in kamseg.__all__:
        assert getattr(kamseg, name) is not None
    assert set(kamseg.__all__) <= set(dir(kamseg))
