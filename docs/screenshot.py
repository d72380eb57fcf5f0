"""`python -m docs.screenshot`: the README's picture of the HTML report, from the sample logs (`make screenshot`)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from detector.core import report_html
from detector.local.scan import scan
from docs.browser import visit
from docs.render import EXAMPLE_ACCOUNT, EXAMPLE_WINDOW
from samples.generate import DEMO_LOGS

SCREENSHOT = Path(__file__).resolve().parent / "report-screenshot.png"


def main() -> int:
    page_html = report_html.render(scan([DEMO_LOGS], EXAMPLE_WINDOW, views=True), account=EXAMPLE_ACCOUNT)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.html"
        path.write_text(page_html, encoding="utf-8")
        with visit(path) as seen:
            if seen.errors:
                print("\n".join(seen.errors), file=sys.stderr)
                return 1
            seen.page.screenshot(path=str(SCREENSHOT), full_page=True)
    print(SCREENSHOT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
