"""80/20 analysis of the real CDNOW customers: Lorenz curve and profit whale curve.

Usage::

    python examples/pareto_lorenz.py [--out docs/img/lorenz.png] [--n-customers 5000]

Reads the CDNOW log (``pip install "kamseg[lifetimes]"``) for the Lorenz curve of revenue,
and the synthetic demo base for the whale curve of profit net of the cost to serve (CDNOW
has no costs). Needs matplotlib (``pip install "kamseg[plot]"``). Prints the key figures and
writes one PNG with both curves.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import kamseg


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/img/lorenz.png")
    parser.add_argument("--n-customers", type=int, default=5000, help="demo base size")
    args = parser.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Lorenz curve of CDNOW revenue
    customers = kamseg.summarize(kamseg.datasets.load_cdnow(), as_of="1998-06-30")
    conc = kamseg.concentration(customers, value_col="revenue")
    print(
        f"CDNOW: {conc.n_customers:,} customers; Gini {conc.gini:.3f}; "
        f"{conc.customers_for_target:.1%} of customers make 80% of revenue; "
        f"top 20% make {conc.top_shares.loc[0.2]:.1%}"
    )

    # whale curve of demo profit net of the yearly cost to serve over each customer's tenure
    data = kamseg.datasets.make_transactions(n_customers=args.n_customers, seed=42)
    demo = kamseg.summarize(data.transactions, profit_col="profit", as_of=data.as_of)
    cost = data.master["cost_to_serve"].reindex(demo.index) * demo["tenure_days"] / 365.25
    demo = demo.assign(net_profit=demo["profit"] - cost)
    whale = kamseg.whale_curve(demo, profit_col="net_profit")
    print(f"demo base: {whale.describe()}")

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    lorenz = conc.lorenz
    left.plot(lorenz["cum_customer_share"], lorenz["cum_value_share"], label="CDNOW revenue")
    left.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="equal shares")
    left.set(
        title=f"Lorenz curve (Gini {conc.gini:.2f})",
        xlabel="share of customers, smallest first",
        ylabel="share of revenue",
    )
    left.legend(loc="upper left")
    points = whale.points
    right.plot(points["cum_customer_share"], points["cum_profit_share"], color="tab:green")
    right.axhline(1.0, color="grey", linestyle="--", linewidth=1)
    right.scatter([whale.peak_customer_share], [whale.peak_profit_share], color="tab:red")
    right.set(
        title="Profit whale curve (demo base)",
        xlabel="share of customers, most profitable first",
        ylabel="share of total net profit",
    )
    fig.tight_layout()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
