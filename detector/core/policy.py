"""The bucket-policy statements that refuse SigV2 and TLS below 1.2, printed for a person to paste, never applied.

Each is its own statement: the conditions of one statement must all hold, so a single statement with both keys would
deny only the requests that are SigV2 *and* old TLS. S3 has no report-only mode, so the report prints a statement
only for a bucket that had no such request in the whole window (../shared/REFERENCE.md section 12).
"""

from __future__ import annotations

import json
from typing import Any

SIGNATURE_VERSION_KEY = "s3:signatureversion"
SIGV2_VALUE = "AWS"
"""`s3:signatureversion` is `AWS` for SigV2 and `AWS4-HMAC-SHA256` for SigV4.

Source: https://docs.aws.amazon.com/AmazonS3/latest/API/bucket-policy-s3-sigv4-conditions.html
"""

TLS_VERSION_KEY = "s3:TlsVersion"
MIN_TLS_VERSION = 1.2
"""`s3:TlsVersion` is numeric; `NumericLessThan 1.2` matches TLS 1.0 and 1.1.

Source: https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html
"""

POLICY_VERSION = "2012-10-17"

PARTITIONS = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"))
"""A region's partition by its prefix; every other region is `aws`.

Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
"""


def partition(region: str | None) -> str:
    return next((name for prefix, name in PARTITIONS if (region or "").startswith(prefix)), "aws")


def bucket_resources(bucket: str, region: str | None) -> list[str]:
    """The bucket and every object in it: bucket-level and object-level requests alike."""
    arn = f"arn:{partition(region)}:s3:::{bucket}"
    return [arn, f"{arn}/*"]


def _deny(sid: str, bucket: str, region: str | None, condition: dict[str, Any]) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": bucket_resources(bucket, region),
        "Condition": condition,
    }


REFUSES = {"DenySigV2": "SigV2", "DenyTlsBelow12": "TLS < 1.2"}
"""Each statement's Sid (letters and digits only, as IAM allows) and what it refuses, as a person reads it."""


def deny_sigv2(bucket: str, region: str | None) -> dict[str, Any]:
    return _deny("DenySigV2", bucket, region, {"StringEquals": {SIGNATURE_VERSION_KEY: SIGV2_VALUE}})


def deny_legacy_tls(bucket: str, region: str | None) -> dict[str, Any]:
    return _deny("DenyTlsBelow12", bucket, region, {"NumericLessThan": {TLS_VERSION_KEY: MIN_TLS_VERSION}})


def refuses(statements: list[dict[str, Any]]) -> str:
    """`SigV2, TLS < 1.2`: what the statements refuse."""
    return ", ".join(REFUSES[statement["Sid"]] for statement in statements)


def policy_document(statements: list[dict[str, Any]]) -> str:
    """A whole bucket policy of `statements`, as JSON to paste (or to merge into the bucket's own statements)."""
    return json.dumps({"Version": POLICY_VERSION, "Statement": statements}, indent=2)
