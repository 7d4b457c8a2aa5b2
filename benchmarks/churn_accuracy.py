"""Accuracy of the churn model against its training sample size (docs/health.md's table).

Usage::

    python benchmarks/churn_accuracy.py                      # 50k and 100k customers
    python benchmarks/churn_accuracy.py --sizes 20000 --rows all 200000 --seeds 0

For each size, ``kamseg.datasets.make_transactions(n, seed=1)`` is prepared once; then
``churn_model(prepared, max_train_rows=rows, seed=seed, baselines=False)`` is fitted for
each training bound (``all``: every customer x cut-off row; ``auto``: the default, one row
per customer from 100,000 to 200,000) and seed. Printed per fit: the
training rows used, the evaluation AUC for all customers and for the active ones (a
purchase in the window before the evaluation cut-off), the Brier score, and the AUC against
the truth of the generator: whether an evaluated customer had dropped out on or before the
evaluation cut-off. Accuracy does not depend on the machine, so no time is printed
(``bench_churn.py`` times the model).
"""

from __future__ import annotations

import argparse
import warnings
from typing import Literal

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 100_000])
    parser.add_argument("--rows", nargs="+", default=["all", "auto", "200000", "100000"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    from sklearn.metrics import roc_auc_score  # type: ignore[import-untyped]

    import kamseg
    from kamseg._threads import limited_threads
    from kamseg.churn import churn_model
    from kamseg.features import features_at

    print("customers | training rows | seed | AUC | AUC, active | AUC vs true dropout | Brier")
    for n in args.sizes:
        data = kamseg.datasets.make_transactions(n, seed=1)
        prepared = kamseg.prepare_transactions(data.transactions)
        for rows in args.rows:
            bound: int | Literal["auto"] | None = (
                None if rows == "all" else "auto" if rows == "auto" else int(rows)
            )
            for seed in args.seeds if bound is not None else args.seeds[:1]:
                with limited_threads(None):
                    model = churn_model(prepared, max_train_rows=bound, seed=seed, baselines=False)
                    feats = features_at(prepared, model.eval_cutoff)
                    score = model.predict_proba(feats)
                dropout = data.truth["dropout_date"].reindex(feats.index)
                dropped = (dropout <= model.eval_cutoff).to_numpy()
                gbm, active = model.evaluation.loc["gbm"], model.evaluation_active.loc["gbm"]
                print(
                    f"{n:,} | {model.n_train:,} of {model.n_train_rows:,} | {seed} | "
                    f"{gbm['auc']:.4f} | {active['auc']:.4f} | "
                    f"{roc_auc_score(dropped, np.asarray(score)):.4f} | {gbm['brier']:.4f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
