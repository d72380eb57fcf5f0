"""The generated parts of the docs match their declarations: a changed catalog, reason or setting fails here."""

from __future__ import annotations

import pytest

from docs import render


def test_generated_docs_are_up_to_date() -> None:
    # GIVEN the README and docs/email-example.txt as committed
    # WHEN each generated part is rendered from its declaration
    stale = render.drifted()
    # THEN none differs (`make docs` rewrites them)
    assert stale == [], f"out of date, run `make docs`: {stale}"


def test_a_missing_section_marker_is_named() -> None:
    # GIVEN a README without the settings markers
    text = render.README.read_text(encoding="utf-8").replace("<!-- settings:start -->", "")
    # WHEN it is rendered
    # THEN the missing section is named
    with pytest.raises(LookupError, match="settings:start"):
        render.render_readme(text)
