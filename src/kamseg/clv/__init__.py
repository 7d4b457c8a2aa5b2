"""Customer lifetime value: BTYD models fitted by maximum likelihood, and predictions.

Models (``kamseg.clv.fit(customers, model=...)``):

- ``"bgnbd"``: BG/NBD (Fader, Hardie & Lee 2005), non-contractual, continuous time;
- ``"mbgnbd"``: MBG/NBD (Batislam, Denizel & Filiztekin 2007), like BG/NBD but customers
  may also drop out right after their first purchase;
- ``"pareto_nbd"``: Pareto/NBD (Schmittlein, Morrison & Colombo 1987), dropout at any time;
- ``"bgbb"``: BG/BB (Fader, Hardie & Shang 2010), discrete purchase opportunities;
- ``"gamma_gamma"``: spend per transaction (Fader, Hardie & Lee 2005);
- ``"sbg"``: shifted-beta-geometric contract retention (Fader & Hardie 2007).

``kamseg.clv.predict(customers, fitted, spend=...)`` appends ``p_alive``,
``expected_purchases``, ``expected_spend``, ``clv`` and ``profit_clv``.

The model modules ``kamseg.clv.bgnbd`` (BG/NBD and, with ``modified=True``, MBG/NBD),
``pareto_nbd``, ``bgbb``, ``gamma_gamma`` and ``sbg`` hold each model's formulas: P(alive),
expected purchases, survival, retention, DERL, ... They take a fitted result or the
parameters in the model's order.

``calibration_holdout``, ``evaluate_holdout`` and ``compare_models`` test the models on a
later period than the one they were fitted on.

When a transaction model's likelihood is highest on the boundary of its parameter space
(e.g. no dropout in the data), ``fit`` returns the limit model, flagged in
``FitResult.boundary``, and ``FitResult.dropout_identified`` says whether P(alive) can tell
lapsed customers (see the CLV page of the docs). So does ``"gamma_gamma"`` when customers'
spend shows no heterogeneity, or no variation within customers (:mod:`kamseg.clv.gamma_gamma`).

This subpackage imports scipy; ``import kamseg`` does not load it until it is used.
"""

from __future__ import annotations

from kamseg.clv import _bgbb as bgbb
from kamseg.clv import _bgnbd as bgnbd
from kamseg.clv import _gamma_gamma as gamma_gamma
from kamseg.clv import _pareto_nbd as pareto_nbd
from kamseg.clv import _sbg as sbg
from kamseg.clv._api import MONTH_IN_PERIODS, ModelName, fit, predict
from kamseg.clv._base import FitResult
from kamseg.clv._holdout import (
    HoldoutReport,
    calibration_holdout,
    compare_models,
    evaluate_holdout,
)

__all__ = [
    "MONTH_IN_PERIODS",
    "FitResult",
    "HoldoutReport",
    "ModelName",
    "bgbb",
    "bgnbd",
    "calibration_holdout",
    "compare_models",
    "evaluate_holdout",
    "fit",
    "gamma_gamma",
    "pareto_nbd",
    "predict",
    "sbg",
]
