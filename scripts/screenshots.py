"""Screenshots of every page of the command centre into docs/screenshots/, from a demo warehouse
served for real on 127.0.0.1 and shown in headless Chromium.

    .venv/bin/python scripts/screenshots.py --db signalroom.duckdb

Works on a copy (it adds users); pages are shown as the role that sees them best.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "benchmarks")]

from page_times import PASSWORD, _facts  # noqa: E402

from live_server import browser, log_in, serve  # noqa: E402

OUT = REPO / "docs" / "screenshots"
PAGES = [
    ("overview", "bench-admin", "/"),
    ("drivers", "bench-admin", "/drivers?outcome=repeat_contact"),
    ("drivers-drill", "bench-admin", None),  # the first drill-down link of the drivers page
    ("board", "bench-admin", "/board"),
    ("signal", "bench-admin", "/signals/{signal_id}"),
    ("customers", "bench-admin", "/customers"),
    ("customer", "bench-admin", "/customers/{person_id}"),
    ("interactions", "bench-supervisor", "/interactions"),
    ("interaction", "bench-admin", "/interactions/{source}/{interaction_id}"),
    ("qa", "bench-admin", "/qa"),
    ("qa-disputes", "bench-admin", "/qa/disputes?status=all"),
    ("qa-calibration", "bench-admin", "/qa/calibration"),
    ("agents", "bench-admin", "/agents"),
    ("agent-own-view", "bench-advisor", "/agents/{agent_id}"),
    ("settings-users", "bench-admin", "/settings/users"),
    ("settings-scorecards", "bench-admin", "/settings/scorecards"),
    ("settings-taxonomy", "bench-admin", "/settings/taxonomy"),
    ("settings-routing", "bench-admin", "/settings/routing"),
    ("audit", "bench-admin", "/audit"),
    ("login", None, "/login"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a demo warehouse (copied)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="signalroom-shots-"))
    db = folder / "demo.duckdb"
    shutil.copyfile(args.db, db)
    facts = _facts(db)
    OUT.mkdir(parents=True, exist_ok=True)
    with serve(db) as base, browser() as chromium:
        sessions = {}
        for name, user, path in PAGES:
            if user not in sessions:
                context = chromium.new_context(viewport={"width": 1440, "height": 900})
                page = context.new_page()
                if user:
                    log_in(page, base, user, PASSWORD)
                sessions[user] = page
            page = sessions[user]
            if path is None:
                page.goto(base + "/drivers?outcome=repeat_contact")
                path = page.locator('a[href^="/drivers/interactions"]').first.get_attribute("href")
            page.goto(base + path.format(**facts))
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
            print(f"{name}: {path.format(**facts)}")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
