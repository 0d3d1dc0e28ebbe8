"""Make the README's screenshots: docs/img/page.png (web page) and docs/img/report.png (report).

Runs the app on a loopback port, drives Debian's Chromium (/usr/bin/chromium) with Playwright,
and writes PNGs. Needs the `web`, `plot` and `dev` extras and the `chromium` apt package; it
downloads nothing.

    python scripts/screenshots.py [--out docs/img] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "img")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args(argv)
    if not Path(args.chromium).exists():
        print(f"error: no Chromium at {args.chromium}; install it with: apt-get install -y chromium",
              file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    from detente.api.app import create_app
    from detente.api.server import running_server
    from detente.service import build_report

    args.out.mkdir(parents=True, exist_ok=True)
    with running_server(create_app()) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1700}, device_scale_factor=1)
        page.goto(base + "/")  # alaska-2025 is preselected and forecast at once
        page.wait_for_selector("#fc-weighted_median-territory", timeout=120_000)
        page.fill("#pos-russia-territory", "60")  # a what-if, to show the difference
        page.press("#pos-russia-territory", "Tab")
        page.click("#run")
        page.wait_for_selector("#diff-weighted_median-territory", timeout=120_000)
        page.wait_for_selector("#ended-by tr", timeout=120_000)
        page.wait_for_selector("#track-table tr.version", timeout=120_000)
        page.wait_for_selector("#sens-table tr", timeout=120_000)
        page.screenshot(path=str(args.out / "page.png"), full_page=True)
        with tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "report.html"
            report.write_text(build_report("alaska-2025"), encoding="utf-8")
            rp = browser.new_page(viewport={"width": 1100, "height": 1400}, device_scale_factor=1)
            rp.goto(report.as_uri())
            rp.screenshot(path=str(args.out / "report.png"), full_page=False)
        browser.close()
    for name in ("page.png", "report.png"):
        f = args.out / name
        print(f"wrote {f} ({f.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
