"""Key-account identification: a multi-criteria score, a short list, and a periodic review.

Three functions, meant to be chained on a table with one row per account (for example the
customer table of :func:`kamseg.summarize` joined with the customer master)::

    scored = score_accounts(customers, criteria={"revenue": 0.5, "profit": 0.5})
    keys = select_key_accounts(scored)                 # the first list
    review = review_key_accounts(next_scored, previous=keys)  # every later period

- :func:`score_accounts` combines several criteria (revenue, profit, growth, lifetime value,
  market influence, strategic fit, cost to serve, ...) into ``account_score`` and
  ``account_rank``, with one contribution column per criterion so a ranking can be
  explained. Weights are given directly, derived from an AHP pairwise-comparison matrix
  (:func:`ahp_weights`, with Saaty's consistency ratio) or from the data (entropy).
- :func:`select_key_accounts` keeps a short list: 5 to 25 accounts by default, the rule of
  thumb of key-account management, with a stated rule for ties at the boundary.
- :func:`fit_score_accounts` and :func:`fit_select_key_accounts` learn the scoring and the
  short list from a base once (:class:`AccountScoreFit`, :class:`KeyAccountSelection`);
  their ``apply`` scores and marks other accounts row by row, consistently with the base
  (``score_accounts`` and ``select_key_accounts`` are the fit applied to the base itself).
- :func:`review_key_accounts` reviews the list period over period with hysteresis: an
  account enters above a strict threshold and leaves only after staying below a looser one
  for several periods, so removal is deliberately harder than entry.

The maths (min-max, rank and z-score normalisation, weighted sum, TOPSIS, AHP principal
eigenvector, Shannon-entropy weights) is small and written here with numpy; it is tested
against published examples.
"""

from kamseg.accounts._fit import AccountScoreFit, fit_score_accounts, score_accounts
from kamseg.accounts._scoring import (
    DECISIONS,
    SAATY_RANDOM_INDEX,
    SCORE_COLUMNS,
    AHPMatrix,
    AHPResult,
    Criteria,
    Direction,
    Method,
    MissingPolicy,
    Normalization,
    WeightSpec,
    ahp_weights,
)
from kamseg.accounts._selection import (
    KeyAccountSelection,
    fit_select_key_accounts,
    review_key_accounts,
    select_key_accounts,
)

__all__ = [
    "DECISIONS",
    "SAATY_RANDOM_INDEX",
    "SCORE_COLUMNS",
    "AHPMatrix",
    "AHPResult",
    "AccountScoreFit",
    "Criteria",
    "Direction",
    "KeyAccountSelection",
    "Method",
    "MissingPolicy",
    "Normalization",
    "WeightSpec",
    "ahp_weights",
    "fit_score_accounts",
    "fit_select_key_accounts",
    "review_key_accounts",
    "score_accounts",
    "select_key_accounts",
]
