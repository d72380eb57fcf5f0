"""`python -m docs.render`: rewrites the generated parts of the docs from their one declaration each.

The README's catalog, reasons, settings, queries and cost tables sit between `<!-- name:start -->` and
`<!-- name:end -->` markers; `docs/email-example.txt` is the email the sample logs produce.
`python -m docs.render --check` changes nothing and exits 1 naming each part that drifted.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from rich.console import Console

from detector.aws import organization_email
from detector.aws.email import body, subject
from detector.aws.location import ReportLocation
from detector.core import clients, queries, reasons
from detector.core.window import Window
from detector.local import cost, organization_cost
from detector.local.scan import scan
from samples.generate import DEMO_LOGS
from samples.organization import ORGANIZATION, generate_organization, member_accounts
from stacks import settings
from stacks.dashboard import console_url

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
EMAIL_EXAMPLE = REPO / "docs" / "email-example.txt"

EXAMPLE_WINDOW = Window(date(2026, 11, 20), date(2026, 11, 22))
EXAMPLE_ACCOUNT = "123456789012"
EXAMPLE_REGION = "us-east-1"
EXAMPLE_BUCKET = "legacy-s3-detector-reports-123456789012"
EXAMPLE_PREFIX = "reports/"


def queries_table() -> str:
    """Each named query with the first line of its file's comment."""
    lines = ["| Query | What it returns |", "|---|---|"]
    for name in queries.names():
        text = (queries.QUERIES_DIR / f"{name}.sql").read_text(encoding="utf-8")
        first = next(line.lstrip("- ").strip() for line in text.splitlines() if line.startswith("--"))
        lines.append(f"| `{name}` | {first} |")
    return "\n".join(lines) + "\n"


COST_EXAMPLE_REQUESTS = 1_000_000
COST_EXAMPLE_WIDTH = 100


def cost_example() -> str:
    """What `python -m detector cost --events-per-day 1e6 --source S` prints for each source, in a text block."""
    console = Console(record=True, width=COST_EXAMPLE_WIDTH, file=io.StringIO(), color_system=None)
    for source in ("cloudtrail", "access-logs"):
        cost.print_estimate(cost.Usage(events_per_day=COST_EXAMPLE_REQUESTS, source=source), console)
        console.print()
    lines = [line.rstrip() for line in console.export_text().rstrip().splitlines()]
    return "```text\n" + "\n".join(lines) + "\n```\n"


ORGANIZATION_EXAMPLE_NAMES = ("payments-prod", "data-lake", "sandbox")
"""The names Organizations gives the example's three accounts."""


def organization_email_example() -> str:
    """The email of three generated accounts' organization trail (one region, three days), its top four findings."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        list(generate_organization(root, accounts=3, regions=("us-east-1",), days=3))
        report = scan([root / "AWSLogs"], EXAMPLE_WINDOW, workers=1)
    names = dict(zip(member_accounts(3), ORGANIZATION_EXAMPLE_NAMES, strict=True))
    location = ReportLocation(EXAMPLE_BUCKET, EXAMPLE_PREFIX, EXAMPLE_WINDOW, EXAMPLE_REGION)
    text = organization_email.body(report, location, ORGANIZATION, names, top=4)
    return f"```text\nSubject: {organization_email.subject(report, ORGANIZATION)}\n\n{text}```\n"


SECTIONS: dict[str, Callable[[], str]] = {
    "reasons": reasons.markdown_list,
    "catalog": clients.markdown_table,
    "queries": queries_table,
    "settings": settings.markdown_table,
    "cost": cost.markdown_comparison,
    "cost-example": cost_example,
    "organization-cost": organization_cost.markdown_comparison,
    "organization-email": organization_email_example,
}


def email_example() -> str:
    """The email for the sample logs, as the README shows it."""
    report = scan([DEMO_LOGS], EXAMPLE_WINDOW)
    dashboard = console_url(EXAMPLE_REGION, f"LegacyS3ClientDetector-{EXAMPLE_REGION}")
    location = ReportLocation(EXAMPLE_BUCKET, EXAMPLE_PREFIX, EXAMPLE_WINDOW, EXAMPLE_REGION, dashboard)
    return f"Subject: {subject(report, EXAMPLE_ACCOUNT)}\n\n{body(report, location, EXAMPLE_ACCOUNT)}"


def render_readme(text: str) -> str:
    """The README with every generated section filled in; raises LookupError for a missing marker pair."""
    for name, render in SECTIONS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.DOTALL)
        if not pattern.search(text):
            raise LookupError(f"README.md has no <!-- {name}:start --> ... <!-- {name}:end --> section")
        text = pattern.sub(lambda match, r=render: match[1] + r() + match[2], text)  # type: ignore[misc]
    return text


def drifted() -> list[str]:
    """The generated files whose content differs from what their declarations render."""
    expected = {README: render_readme(README.read_text(encoding="utf-8")), EMAIL_EXAMPLE: email_example()}
    return [str(path.relative_to(REPO)) for path, text in expected.items() if path.read_text(encoding="utf-8") != text]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m docs.render", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report the parts that drifted")
    args = parser.parse_args(argv)
    if args.check:
        stale = drifted()
        for path in stale:
            print(f"{path} is out of date: run `make docs`", file=sys.stderr)
        return 1 if stale else 0
    README.write_text(render_readme(README.read_text(encoding="utf-8")), encoding="utf-8")
    EMAIL_EXAMPLE.write_text(email_example(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
