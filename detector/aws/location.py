"""Where one window's report, its copies and its email marker live in the results bucket."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from detector.core.window import Window

REPORT_JSON = "report.json"
REPORT_CSV = "report.csv"
MARKER = "notified.json"
"""Records that the window was emailed, so a retried event sends no second email."""


@dataclass(frozen=True)
class ReportLocation:
    """Where one window's report lives: `s3://<bucket>/<prefix><since>_<until>/<name>`."""

    bucket: str
    prefix: str
    window: Window
    region: str
    dashboard_url: str = ""
    """Where the trend is: the stack's CloudWatch dashboard, when it has one."""

    def __post_init__(self) -> None:
        if not (self.window.since and self.window.until):
            raise ValueError(f"a report needs a closed window, got {self.window.to_dict()}")

    @property
    def folder(self) -> str:
        prefix = self.prefix.strip("/")
        name = f"{self.window.since}_{self.window.until}/"
        return f"{prefix}/{name}" if prefix else name

    def key(self, name: str) -> str:
        return self.folder + name

    def uri(self, name: str) -> str:
        return f"s3://{self.bucket}/{self.key(name)}"

    @property
    def json_uri(self) -> str:
        return self.uri(REPORT_JSON)

    @property
    def csv_uri(self) -> str:
        return self.uri(REPORT_CSV)

    @property
    def console_url(self) -> str:
        return (
            f"https://console.aws.amazon.com/s3/buckets/{quote(self.bucket)}"
            f"?region={quote(self.region)}&prefix={quote(self.folder)}"
        )
