"""A walkthrough of kamseg on the real CDNOW purchase log, from raw transactions to CLV.

Usage::

    python examples/cdnow_walkthrough.py [--top 10]

CDNOW sold music CDs online. Its log holds every purchase until 1998-06-30 of the 23,570
customers who first bought in the first quarter of 1997 (Fader & Hardie's data, shipped by
the ``lifetimes`` package: ``pip install "kamseg[lifetimes]"``). The script:

1. builds the customer table with weekly BTYD periods;
2. scores RFM and names segments;
3. measures concentration: ABC classes and the Gini coefficient of revenue;
4. fits BG/NBD to the published 1/10th sample and prints the published estimates beside it;
5. fits BG/NBD on the first 39 weeks of the full log and checks it on the next 39 weeks;
6. fits BG/NBD and Gamma-Gamma on the whole period and ranks customers by 12-month CLV.

It prints short tables and takes a few seconds.
"""

from __future__ import annotations

import argparse

import pandas as pd

import kamseg

AS_OF = "1998-06-30"  # end of the CDNOW log
CALIBRATION_END = "1997-09-30"  # 39 weeks after the first purchases, as in the papers

# Fader, Hardie & Lee (2005), "Counting your customers the easy way", table 1 and section 4:
# BG/NBD on the 2,357-customer CDNOW sample, weekly periods, 39-week calibration window.
PUBLISHED_BGNBD = {"r": 0.2426, "alpha": 4.4136, "a": 0.7929, "b": 2.4259}
PUBLISHED_LOG_LIKELIHOOD = -9582.43
PUBLISHED_PREDICTION = 1.226  # x=2, t_x=30.43, T=38.86: purchases in the next 39 weeks


def show(title: str, table: pd.DataFrame | pd.Series, digits: int = 3) -> None:
    """Print a titled table with rounded floats."""
    print(f"\n== {title}")
    print(table.round(digits).to_string())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=10, help="customers in the CLV ranking")
    args = parser.parse_args(argv)

    # 1. transactions -> one row per customer; BTYD columns in calendar weeks
    log = kamseg.datasets.load_cdnow()
    print(
        f"CDNOW log: {len(log):,} transactions of {log['customer_id'].nunique():,} customers, "
        f"{log['date'].min():%Y-%m-%d} to {log['date'].max():%Y-%m-%d}"
    )
    customers = kamseg.summarize(log, as_of=AS_OF, freq="W")
    show(
        "customer table (first rows)",
        customers[["n_orders", "revenue", "days_since_last", "frequency", "recency", "T"]].head(),
        2,
    )

    # 2. RFM scores and named segments
    segments = kamseg.rfm_segments(kamseg.rfm_scores(customers))
    summary = kamseg.rfm_segment_summary(segments)
    show(
        "RFM segments",
        summary.loc[summary["customers"] > 0, ["customers", "customer_share", "revenue_share"]],
    )

    # 3. concentration: ABC classes (A = the customers making the first 80 % of revenue)
    abc = kamseg.pareto_summary(kamseg.pareto_table(customers, value_col="revenue"))
    show("ABC classes by revenue", abc[["customers", "customer_share", "value_share"]])
    conc = kamseg.concentration(customers, value_col="revenue")
    print(
        f"Gini {conc.gini:.3f}; {conc.customers_for_target:.1%} of customers make 80% of "
        f"revenue; the top 1% make {conc.top_shares.loc[0.01]:.1%}"
    )

    # 4. BG/NBD on the sample of the original paper reproduces the published estimates
    sample = kamseg.datasets.load_cdnow_summary()
    paper = kamseg.clv.fit(sample, model="bgnbd")
    estimates = paper.summary()["estimate"]
    show(
        f"BG/NBD on the {len(sample):,}-customer sample vs Fader, Hardie & Lee (2005)",
        pd.DataFrame({"kamseg": estimates, "published": pd.Series(PUBLISHED_BGNBD)}),
        4,
    )
    expected = kamseg.clv.bgnbd.conditional_expected_purchases(paper, 39, [2], [30.43], [38.86])
    print(
        f"log-likelihood {paper.log_likelihood:.2f} (published {PUBLISHED_LOG_LIKELIHOOD}); "
        f"customer x=2, t_x=30.43, T=38.86 buys {expected[0]:.3f} times in the next 39 weeks "
        f"(published {PUBLISHED_PREDICTION})"
    )

    # 5. calibration/holdout on the full log: fit on 39 weeks, predict the next 39
    cal_hold = kamseg.clv.calibration_holdout(
        log, calibration_end=CALIBRATION_END, holdout_end=AS_OF, freq="W"
    )
    calibrated = kamseg.clv.fit(cal_hold, model="bgnbd")
    print(f"\ncalibration fit on all {len(cal_hold):,} customers: {calibrated}")
    report = kamseg.clv.evaluate_holdout(cal_hold, calibrated)
    show("holdout purchases by calibration frequency (means per customer)", report.by_frequency)
    metrics = report.metrics
    print(
        f"holdout: {metrics['actual']:,.0f} purchase weeks observed, "
        f"{metrics['predicted']:,.0f} predicted ({metrics['aggregate_error']:+.1%}); "
        f"MAE {metrics['mae']:.3f}, correlation {metrics['correlation']:.3f}"
    )
    show(
        "model comparison on the holdout",
        kamseg.clv.compare_models(cal_hold)[["log_likelihood", "aic", "mae", "aggregate_error"]],
    )

    # 6. 12-month CLV on the whole period: purchases (BG/NBD) times spend (Gamma-Gamma)
    purchases = kamseg.clv.fit(customers, model="bgnbd")
    repeaters = customers[customers["monetary_value"] > 0]  # Gamma-Gamma needs positive spend
    correlation = repeaters["frequency"].corr(repeaters["monetary_value"])
    spend = kamseg.clv.fit(repeaters, model="gamma_gamma")
    print(f"\npurchases: {purchases}")
    print(f"spend: {spend} (frequency-spend correlation {correlation:.3f})")
    valued = kamseg.clv.predict(customers, purchases, spend=spend, horizon=12, discount_rate=0.01)
    top = valued.nlargest(args.top, "clv")
    show(
        f"top {args.top} customers by 12-month CLV (1% a month discount)",
        top[["frequency", "recency", "T", "monetary_value", "p_alive", "clv"]],
        2,
    )
    share = top["clv"].sum() / valued["clv"].sum()
    print(
        f"total 12-month CLV {valued['clv'].sum():,.0f} dollars; "
        f"the top {args.top} customers hold {share:.1%} of it"
    )


if __name__ == "__main__":
    main()
