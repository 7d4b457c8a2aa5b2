"""Plots of the customer table: 80/20 curves, pyramid, RFM grid, funnel, CLV, P(alive), health.

Each function draws one chart from the tables kamseg makes and returns the matplotlib
``Axes``:

- :func:`lorenz_curve`: the Pareto (Lorenz) curve of a value column, with its Gini
  coefficient and the 80/20 point;
- :func:`whale_curve`: the profit whale curve and its peak;
- :func:`pyramid_chart`: the customer pyramid, customers and share of value per tier;
- :func:`rfm_heatmap`: mean monetary value in each R x F score cell;
- :func:`segment_sizes`: share of customers and share of value per segment;
- :func:`lifecycle_funnel`: customers per lifecycle stage, as a funnel;
- :func:`clv_distribution`: the histogram of lifetime value, mean and median marked;
- :func:`p_alive_matrix`: mean P(alive) by frequency and recency;
- :func:`health_distribution`: the histogram of health scores, coloured by band;
- :func:`kam_performance_plot`: key accounts against the other customers, period by period.

Matplotlib is an optional dependency (``pip install "kamseg[plot]"``), imported on the first
call. Rules shared by every function here:

- ``ax=None`` draws on a new figure; pass an ``Axes`` to draw into your own layout;
- the table is never modified, and no global matplotlib setting (``rcParams``) is changed;
- titles, axis labels and category names are in English (``labels="en"``) or Chinese
  (``labels="zh"``); category names are translated both ways when kamseg knows them
  (the texts are in :data:`kamseg.labels.PLOT_TEXT`);
- rows with a null in a plotted column are left out and the x-axis label says how many
  (prospects, for example, have no revenue and no scores);
- Chinese text needs a font with CJK glyphs: kamseg finds one with :func:`cjk_font` and
  sets it on the chart's own texts only; without one it warns
  (:class:`~kamseg.errors.KamsegWarning`) and says which font to install.

Examples
--------
>>> import matplotlib.pyplot as plt
>>> import kamseg
>>> from kamseg import plot
>>> data = kamseg.datasets.make_transactions(n_customers=200, seed=1)
>>> customers = kamseg.summarize(data.transactions, as_of=data.as_of)
>>> ax = plot.lorenz_curve(customers, value_col="revenue")
>>> ax.get_title()
'Pareto curve of revenue'
>>> plt.close("all")
"""

from __future__ import annotations

from kamseg.plot._common import CJK_FONTS, cjk_font
from kamseg.plot._outlook import (
    clv_distribution,
    health_distribution,
    kam_performance_plot,
    p_alive_matrix,
)
from kamseg.plot._segments import lifecycle_funnel, rfm_heatmap
from kamseg.plot._value import lorenz_curve, pyramid_chart, segment_sizes, whale_curve

__all__ = [
    "CJK_FONTS",
    "cjk_font",
    "clv_distribution",
    "health_distribution",
    "kam_performance_plot",
    "lifecycle_funnel",
    "lorenz_curve",
    "p_alive_matrix",
    "pyramid_chart",
    "rfm_heatmap",
    "segment_sizes",
    "whale_curve",
]
