"""Fixtures: log trees written per test, generated trees per seed, catalogs loaded from them, moto, result rows.

Helpers they use live in tests/helpers.py; tests import from there, never from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from moto import mock_aws

from detector.local.loading import LocalCatalog
from detector.sources import cloudtrail
from samples.generate import generate
from tests.helpers import GENERATED, GENERATED_SEEDS, LogTree, load_catalog


@pytest.fixture
def log_tree(tmp_path: Path) -> LogTree:
    return LogTree(tmp_path / "logs")


@pytest.fixture
def load() -> Callable[[Sequence[Path]], LocalCatalog]:
    return load_catalog


@pytest.fixture(scope="session", params=GENERATED_SEEDS, ids=lambda seed: f"seed{seed}")
def generated_logs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated tree: 3 days, 4 regions, 75 events a file."""
    root = tmp_path_factory.mktemp(f"generated-{request.param}")
    list(generate(root, seed=request.param, **GENERATED))
    return root / cloudtrail.LOG_PREFIX.rstrip("/")


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials in us-east-1; every AWS call in the test is answered by moto."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def detection_row() -> Callable[..., dict[str, str | None]]:
    """A result row of the detection query as Athena returns it (text, lists comma-joined), for principal `n`."""

    def row(n: int, **overrides: str | None) -> dict[str, str | None]:
        values: dict[str, str | None] = {
            "principal_arn": f"arn:aws:iam::123456789012:user/app-{n}",
            "account_id": "123456789012",
            "source_ip": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}",
            "user_agent": f"[aws-cli/1.11.{n % 100} Python/2.7.8 Linux/3.2.0 botocore/1.4.67]",
            "client": "aws-cli",
            "client_version": f"1.11.{n % 100}",
            "sigv4_default_version": "1.11.108",
            "signature_versions": "SigV2",
            "tls_versions": "TLSv1.2",
            "auth_methods": "AuthHeader",
            "reasons": "outdated_sdk,sigv2",
            "requests": str(n + 1),
            "sigv2_requests": str(n + 1),
            "legacy_tls_requests": "0",
            "failed_requests": "0",
            "buckets": "acme-data",
            "event_names": "GetObject,PutObject",
            "regions": "us-east-1",
            "first_seen": "2026-11-20T00:00:00Z",
            "last_seen": "2026-11-22T23:59:59Z",
        }
        values.update(overrides)
        return values

    return row
