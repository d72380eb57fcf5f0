"""The catalog of S3 clients and the release that made SigV4 their default for S3.

One row per client family. The queries receive the catalog as a VALUES table, so one
join covers every client; the README's table is printed from the same rows.

Sources:
  POST  C. Watcham, "Finding S3 API requests from previous versions of the AWS CLI and SDKs"
        (2018, updated 2019), https://www.deplication.net/2018/10/finding-s3-api-requests-from-previous.html
  AWS   "Specifying the Signature Version in Request Authentication",
        https://docs.aws.amazon.com/AmazonS3/latest/API/specify-signature-version.html
        (2019 copy: github.com/awsdocs/amazon-s3-developer-guide doc_source/UsingAWSSDK.md)
  FIELD ../shared/REFERENCE.md section 10: user agents and signing of real pinned releases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from detector.core.sql import quote_literal

VERSION_PARTS = 4
"""Versions compare on their first four numeric parts: .NET and PowerShell use four."""


@dataclass(frozen=True)
class Client:
    name: str
    token: str
    """Regex of the product token before the `/`, matched case-insensitively."""
    sigv4_default: str
    upgrade: str
    source: str
    example: str
    """A product token as real agents carry it, for the docs and the tests."""

    @property
    def pattern(self) -> str:
        """RE2/Java regex: the token at the agent's start or after a space, `[` or `(`; group 1 is the version.

        Not anchored at the start: S3 data events wrap the agent in square brackets.
        """
        return rf"(?i)(?:^|[\s\[(]){self.token}/([0-9]+(?:\.[0-9]+)*)"


CATALOG: tuple[Client, ...] = (
    Client(
        "aws-cli",
        "aws-cli",
        "1.11.108",
        "upgrade aws-cli to ≥ 1.11.108 (or v2), or set s3.signature_version = s3v4 in ~/.aws/config",
        "POST and AWS agree; FIELD: 1.11.107 signs SigV2, 1.11.108 SigV4.",
        "aws-cli/1.11.107",
    ),
    Client(
        "AWSPowerShell",
        r"AWSPowerShell(?:\.NetCore)?",
        "3.3.0.0",
        "upgrade AWSPowerShell to ≥ 3.3.0.0 (or the AWS.Tools modules)",
        "POST says 3.1.10.0, AWS 2019 3.3.99, AWS now 3.3.0.0: we take the current AWS page.",
        "AWSPowerShell/3.1.10.0",
    ),
    Client(
        "Boto3",
        "boto3",
        "1.4.6",
        "upgrade boto3 to ≥ 1.4.6, or pass botocore Config(signature_version='s3v4')",
        "POST and AWS agree. FIELD: botocore signs, so boto3 1.4.5 on botocore 1.5.71 already signs SigV4.",
        "Boto3/1.4.5",
    ),
    Client(
        "Boto",
        "boto",
        "2.49.0",
        "move to boto3; boto 2 signs SigV2 unless [s3] use-sigv4 = True is set in the boto config",
        "AWS names 2.49.0. FIELD: 2.49.0 still signs SigV2 by default; the sigv2 rule catches it.",
        "Boto/2.48.0",
    ),
    Client(
        "Botocore",
        "botocore",
        "1.5.71",
        "upgrade botocore to ≥ 1.5.71, or pass Config(signature_version='s3v4')",
        "POST and AWS agree; FIELD: 1.5.70 signs SigV2.",
        "Botocore/1.5.70",
    ),
    Client(
        "aws-sdk-java",
        "aws-sdk-java",
        "1.11.201",
        "upgrade aws-sdk-java to ≥ 1.11.201, or move to the Java SDK v2",
        "POST says 1.11.x (comparator 1.11.0); AWS now names 1.11.201: the exact, later release.",
        "aws-sdk-java/1.11.100",
    ),
    Client(
        "aws-sdk-dotnet",
        r"aws-sdk-dotnet(?:-[a-z0-9]+)?",
        "3.1.10.0",
        "upgrade AWSSDK.S3 to ≥ 3.1.10.0, or set AWSConfigsS3.UseSignatureVersion4 = true",
        "POST and AWS agree on 3.1.10; AWS's 3.3.0.0 note is about v3 packaging, not the default.",
        "aws-sdk-dotnet-45/3.1.9.0",
    ),
    Client(
        "aws-sdk-nodejs",
        "aws-sdk-nodejs",
        "2.68.0",
        "upgrade aws-sdk to ≥ 2.68.0 (or v3), or pass signatureVersion: 'v4' to the S3 client",
        "POST and AWS agree; FIELD: 2.67.0 signs SigV2, 2.68.0 SigV4.",
        "aws-sdk-nodejs/2.67.0",
    ),
    Client(
        "aws-sdk-php",
        "aws-sdk-php",
        "3.0.0",
        "upgrade aws-sdk-php to v3 (on ≥ 2.7.4, set 'signature' => 'v4')",
        "POST says 3; AWS now allows ≥ 2.7.4 only with signature v4 set: the default changed in 3.",
        "aws-sdk-php/2.8.0",
    ),
    Client(
        "aws-sdk-ruby",
        r"aws-sdk-ruby[23]?",
        "2.2.0",
        "upgrade aws-sdk to v3 (≥ 2.2.0 signs SigV4 by default), or pass signature_version: 'v4'",
        "POST says 2.2.0; AWS says upgrade to v3 (v2 is end of life): 2.2.0 is where the default changed.",
        "aws-sdk-ruby/1.67.0",
    ),
)


def by_name(name: str) -> Client | None:
    return next((client for client in CATALOG if client.name == name), None)


def version_parts_sql(version: str, prefix: str) -> str:
    """Columns `<prefix>1..<prefix>N` of a version text's numeric parts (0 when absent), in portable SQL.

    No `split_part`/`CAST`: Athena and DuckDB disagree on those out of range (../shared/REFERENCE.md section 8).
    """
    columns = []
    for part in range(VERSION_PARTS):
        pattern = "^" + r"[0-9]+\." * part + "([0-9]+)"
        extracted = f"nullif(regexp_extract({version}, '{pattern}', 1), '')"
        columns.append(f"coalesce(try_cast({extracted} AS bigint), 0) AS {prefix}{part + 1}")
    return ",\n    ".join(columns)


def older_sql(left: str, right: str) -> str:
    """SQL: version parts `<left>1..N` compare below `<right>1..N`, part by part."""
    condition = f"{left}{VERSION_PARTS} < {right}{VERSION_PARTS}"
    for part in range(VERSION_PARTS - 1, 0, -1):
        condition = f"{left}{part} < {right}{part} OR ({left}{part} = {right}{part} AND ({condition}))"
    return f"({condition})"


def catalog_values_sql() -> str:
    """The catalog as VALUES rows (client, ua_pattern, sigv4_default_version, precedence).

    Precedence resolves agents that name several products: a wrapper (aws-cli, PowerShell,
    boto3) is listed before the SDK it carries (botocore, .NET), so it is the client.
    """
    return ",\n    ".join(
        f"({quote_literal(c.name)}, {quote_literal(c.pattern)}, {quote_literal(c.sigv4_default)}, {rank})"
        for rank, c in enumerate(CATALOG, start=1)
    )


def parse_version(text: str) -> tuple[int, ...]:
    """`3.1.10.0` → (3, 1, 10, 0); compared part by part, missing parts count as 0."""
    if not re.fullmatch(r"[0-9]+(?:\.[0-9]+)*", text):
        raise ValueError(f"not a numeric version: {text!r}")
    parts = tuple(int(part) for part in text.split("."))[:VERSION_PARTS]
    return parts + (0,) * (VERSION_PARTS - len(parts))


def markdown_table() -> str:
    """The catalog as the README shows it; a test keeps the README in step."""
    lines = [
        "| Client | User agent carries | SigV4 default since | Why this version |",
        "|---|---|---|---|",
    ]
    lines += [f"| {c.name} | `{c.example}` | {c.sigv4_default} | {c.source} |" for c in CATALOG]
    return "\n".join(lines) + "\n"
