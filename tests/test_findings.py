"""A finding's counts match its reasons, and its hint fits the case: configured, outdated or presigned."""

from __future__ import annotations

from detector.core.clients import by_name
from detector.core.findings import Finding
from detector.core.window import Window
from detector.local.scan import scan
from tests.helpers import LogTree, cloudtrail_event

AWS_CLI_2_15 = "[aws-cli/2.15.0 Python/3.11.6 Linux/6.1.61 exe/x86_64.amzn.2023 prompt/off command/s3.cp]"
OLD_CLI = "[aws-cli/1.11.10 Python/2.7.8 Linux/3.2.0-4-amd64 botocore/1.4.67]"
GO_SDK = "[aws-sdk-go/1.50.0 (go1.21.5; linux; amd64)]"


def only_finding(tree: LogTree) -> Finding:
    (finding,) = scan([tree.root], Window()).findings
    return finding


def test_modern_cli_signing_sigv2_once_is_one_finding_told_it_is_configured_to(log_tree: LogTree) -> None:
    # GIVEN aws-cli 2.15 sending 100 SigV4 requests and 1 SigV2 request
    events = [cloudtrail_event(agent=AWS_CLI_2_15) for _ in range(100)]
    log_tree.write([*events, cloudtrail_event(agent=AWS_CLI_2_15, signature="SigV2")])

    # WHEN the logs are scanned
    finding = only_finding(log_tree)

    # THEN one finding counts 1 SigV2 request of 101, for SigV2 alone
    assert (finding.sigv2_requests, finding.requests, finding.legacy_tls_requests) == (1, 101, 0)
    assert (finding.client, finding.client_version, finding.reasons) == ("aws-cli", "2.15.0", ["sigv2"])
    # AND its hint says it is configured to sign SigV2, not to upgrade to a release it is past
    assert "aws-cli 2.15.0 signs SigV4 by default (from 1.11.108), so it is configured to sign SigV2" in finding.hint()
    client = by_name("aws-cli")
    assert client is not None and client.upgrade not in finding.hint()


def test_outdated_cli_signing_sigv2_is_told_to_upgrade(log_tree: LogTree) -> None:
    # GIVEN aws-cli 1.11.10 on botocore 1.4.67 signing SigV2
    log_tree.write([cloudtrail_event(agent=OLD_CLI, signature="SigV2") for _ in range(3)])

    # WHEN the logs are scanned
    finding = only_finding(log_tree)

    # THEN botocore's upgrade advice is the hint, and nothing says it is configured
    client = by_name("Botocore")
    assert client is not None
    assert finding.hint() == client.upgrade
    assert (finding.sigv2_requests, finding.outdated) == (3, 1)


def test_family_that_always_signed_sigv4_is_told_it_is_configured(log_tree: LogTree) -> None:
    # GIVEN the Go SDK, SigV4 in every release, sending SigV2
    log_tree.write([cloudtrail_event(agent=GO_SDK, signature="SigV2")])

    # WHEN the logs are scanned
    finding = only_finding(log_tree)

    # THEN the hint says every release signs SigV4, so this one is configured to sign SigV2
    assert finding.hint().startswith("aws-sdk-go 1.50.0 signs SigV4 by default (every release), so it is configured")


def test_presigned_url_names_its_signer_not_the_fetcher(log_tree: LogTree) -> None:
    # GIVEN a SigV2 presigned URL signed by user/share-links and fetched with curl
    signer = "arn:aws:iam::111122223333:user/share-links"
    log_tree.write([cloudtrail_event(arn=signer, agent="[curl/8.5.0]", signature="SigV2", auth="QueryString")])

    # WHEN the logs are scanned
    finding = only_finding(log_tree)

    # THEN the hint names the signer and says the fetcher did not choose SigV2
    assert finding.hint().startswith(f"{signer} signed these presigned URLs with SigV2")
    assert "the fetcher, curl/8.5.0, did not choose it" in finding.hint()


def test_failed_requests_are_counted_apart(log_tree: LogTree) -> None:
    # GIVEN an old CLI whose SigV2 requests fail twice with SignatureDoesNotMatch and once with AccessDenied
    failures = ["SignatureDoesNotMatch", "SignatureDoesNotMatch", "AccessDenied"]
    events = [cloudtrail_event(agent=OLD_CLI, signature="SigV2", errorCode=code) for code in failures]
    log_tree.write([*events, cloudtrail_event(agent=OLD_CLI, signature="SigV2")])

    # WHEN the logs are scanned
    finding = only_finding(log_tree)

    # THEN 3 of its 4 requests are counted as failed, and the counts read so
    assert (finding.failed_requests, finding.requests) == (3, 4)
    assert finding.request_counts() == "4 (4 SigV2, 3 failed)"


def test_legacy_tls_requests_are_counted_apart_from_the_rest(log_tree: LogTree) -> None:
    # GIVEN a modern CLI sending 2 of its 5 requests over TLS 1.1
    log_tree.write([cloudtrail_event(agent=AWS_CLI_2_15, tls=tls) for tls in ["TLSv1.1"] * 2 + ["TLSv1.3"] * 3])

    # WHEN the logs are scanned
    finding = only_finding(log_tree)

    # THEN its legacy-TLS requests are 2 of 5 and its reason is legacy_tls alone
    assert (finding.legacy_tls_requests, finding.requests, finding.reasons) == (2, 5, ["legacy_tls"])
