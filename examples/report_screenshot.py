"""Screenshot of the HTML report, for the docs (docs/img/report.png).

Usage::

    python examples/report_screenshot.py [--out docs/img/report.png] [--n-customers 2000]
        [--labels en] [--top 8] [--height 1750] [--html report.html]

Builds the demo customer table with :func:`kamseg.segment`, writes its report with
:func:`kamseg.report.write_report`, opens it in headless Chromium and saves the top of the
page as a PNG. Needs matplotlib (``pip install "kamseg[plot]"``), the ``playwright``
package (``pip install playwright``; ``playwright install`` is not needed) and Chromium at
``--chromium`` (Debian/Ubuntu: ``apt-get install chromium fonts-wqy-microhei``; the font
is for ``--labels zh``). The page makes no network request; any would be blocked.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import kamseg
from kamseg.report import write_report

BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def screenshot(page: Path, out: Path, *, chromium: str, width: int, height: int) -> None:
    """Open `page` in headless Chromium and save its top `height` pixels to `out`."""
    from playwright.sync_api import Route, sync_playwright

    def local_only(route: Route) -> None:
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            route.abort()

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=chromium,
            headless=True,
            args=BROWSER_ARGS,
            viewport={"width": width, "height": height},
            offline=True,
        )
        try:
            context.route("**/*", local_only)
            tab = context.new_page()
            tab.goto(page.resolve().as_uri(), wait_until="load")
            full = tab.evaluate("document.documentElement.scrollHeight")
            clip = {"x": 0, "y": 0, "width": width, "height": min(height, full)}
            tab.screenshot(path=str(out), clip=clip, full_page=True)
        finally:
            context.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/img/report.png", help="PNG to write")
    parser.add_argument("--html", default=None, help="also keep the report at this path")
    parser.add_argument("--n-customers", type=int, default=2000)
    parser.add_argument("--labels", choices=["en", "zh"], default="en")
    parser.add_argument("--top", type=int, default=8, help="key accounts listed")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1750, help="pixels of the page shown")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)

    data = kamseg.datasets.make_transactions(n_customers=args.n_customers, seed=42)
    config = kamseg.SegmentConfig(profit_col="profit", labels=args.labels)
    table = kamseg.segment(
        data.transactions,
        master=data.master,
        surveys=data.surveys,
        complaints=data.complaints,
        catalog=data.catalog,
        config=config,
    )
    out = Path(args.out)
    with tempfile.TemporaryDirectory() as folder:
        page = Path(args.html) if args.html else Path(folder) / "report.html"
        write_report(
            table,
            page,
            transactions=data.transactions,
            labels=args.labels,
            top=args.top,
            title="kamseg demo: customer segmentation report",
        )
        screenshot(page, out, chromium=args.chromium, width=args.width, height=args.height)
    print(f"wrote {out} ({out.stat().st_size / 1000:.0f} kB)")


if __name__ == "__main__":
    main()
