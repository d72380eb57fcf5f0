"""Headless Chromium for looking at the HTML report as a person would: the browser test and the README screenshot.

Debian's `chromium` (`make test` installs it when missing), driven by Playwright over its own pipe with a fresh profile;
the flags keep it from reaching the network on its own (updates, sync, QUIC), which a closed network refuses.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import ConsoleMessage, Dialog, Page, Request, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
VIEWPORT = {"width": 1360, "height": 900}


@dataclass
class Visit:
    """A loaded page, and what it said and asked for while loading."""

    page: Page
    errors: list[str] = field(default_factory=list)
    """Console errors and uncaught exceptions."""
    requests: list[str] = field(default_factory=list)
    """Every URL the page asked for, its own included."""
    dialogs: list[str] = field(default_factory=list)
    """Alerts, confirms and prompts the page opened (each dismissed)."""

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@contextmanager
def visit(path: Path) -> Iterator[Visit]:
    """The file at `path`, loaded in headless Chromium with a profile of its own."""
    if not CHROMIUM.exists():
        raise FileNotFoundError(f"no {CHROMIUM}: `make test` installs Debian's chromium, or apt-get install chromium")
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=list(FLAGS),
            viewport=VIEWPORT,  # type: ignore[arg-type]
        )
        try:
            page = context.new_page()
            seen = Visit(page)
            page.on("console", seen.console)
            page.on("pageerror", lambda error: seen.errors.append(str(error)))
            page.on("request", lambda request: seen.requests.append(_url(request)))
            page.on("dialog", seen.dialog)
            page.goto(path.resolve().as_uri(), wait_until="load")
            yield seen
        finally:
            context.close()


def _url(request: Request) -> str:
    return request.url
