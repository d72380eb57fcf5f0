"""Legacy S3 client detector: finds S3 callers that sign with SigV2, run outdated SDKs or use TLS 1.0/1.1.

`core` is shared by both sides, `aws` runs in the Lambda, `local` runs on a laptop, `sources` describes each kind
of log. See docs/ARCHITECTURE.md.
"""

__version__ = "0.1.0"
"""The release; the package build reads it from here (pyproject.toml, tool.hatch.version)."""
