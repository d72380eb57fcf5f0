"""The organization's accounts in one run: names from one ListAccounts (moto), the IDs when it is denied (botocore
Stubber: moto answers an empty list where AWS refuses), and the account folders a run finds under a trail's prefix."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from detector.aws.accounts import AccountNames, account_folders, label


def organization_with(*names: str) -> tuple[Any, dict[str, str]]:
    """A moto organization with one account per name; its client and the name of each account ID."""
    client = boto3.client("organizations", region_name="us-east-1")
    client.create_organization(FeatureSet="ALL")
    for name in names:
        client.create_account(Email=f"{name}@example.com", AccountName=name)
    listed = {a["Id"]: a["Name"] for page in client.get_paginator("list_accounts").paginate() for a in page["Accounts"]}
    return client, listed


def count_list_accounts(client: Any) -> list[int]:
    calls = [0]

    def counted(**_: Any) -> None:
        calls[0] += 1

    client.meta.events.register("before-call.organizations.ListAccounts", counted)
    return calls


def test_names_are_listed_once_and_reused_for_every_lookup(aws: None) -> None:
    # GIVEN an organization of the management account and three teams' accounts
    client, listed = organization_with("payments-prod", "data-lake", "sandbox")
    calls = count_list_accounts(client)
    names = AccountNames(client)
    ids = {name: account for account, name in listed.items()}
    # WHEN the run names findings of two accounts, then every account, then one again
    first = names.names([ids["payments-prod"], ids["data-lake"], None])
    everyone = names.names(listed)
    again = names.name(ids["sandbox"])
    # THEN each account has its name, and the organization was asked once (its pages included)
    assert first == {ids["payments-prod"]: "payments-prod", ids["data-lake"]: "data-lake"}
    assert everyone == listed
    assert again == "sandbox"
    assert calls == [1]
    assert names.problem is None


def test_names_on_later_pages_are_found() -> None:
    # GIVEN an organization whose accounts come in two pages (AWS may even send an empty page with a NextToken)
    client = boto3.client("organizations", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.add_response("list_accounts", {"Accounts": [], "NextToken": "t1"})
    stubber.add_response("list_accounts", {"Accounts": [account("111122223333", "first")], "NextToken": "t2"})
    stubber.add_response("list_accounts", {"Accounts": [account("444455556666", "last")]}, {"NextToken": "t2"})
    # WHEN the account on the last page is named
    with stubber:
        name = AccountNames(client).name("444455556666")
    # THEN its name is found, every page having been read
    assert name == "last"
    stubber.assert_no_pending_responses()


def account(account_id: str, name: str) -> dict[str, Any]:
    return {"Id": account_id, "Name": name, "Arn": f"arn:aws:organizations::111111111111:account/o-x/{account_id}"}


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("AccessDeniedException", "You don't have permissions to access this resource."),
        ("AWSOrganizationsNotInUseException", "Your account is not a member of an organization."),
    ],
)
def test_a_denied_list_falls_back_to_the_ids_and_says_why(code: str, message: str) -> None:
    # GIVEN a member account that is no delegated administrator: ListAccounts is refused
    client = boto3.client("organizations", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.add_client_error("list_accounts", service_error_code=code, service_message=message, http_status_code=400)
    names = AccountNames(client)
    # WHEN findings of two accounts are named, twice
    with stubber:
        first = names.names(["111122223333", "444455556666"])
        second = names.name("111122223333")
    # THEN no account has a name, the labels are the IDs, the call was made once, and the problem names the error
    assert first == {}
    assert second is None
    assert label("111122223333", first) == "111122223333"
    stubber.assert_no_pending_responses()
    assert names.problem is not None
    assert names.problem.startswith(f"{code}: {message}")
    assert "organizations:ListAccounts" in names.problem


def test_a_named_account_is_labelled_with_its_name_and_id() -> None:
    # GIVEN a name for one account
    names = {"111122223333": "payments-prod"}
    # WHEN accounts with and without a name, and an unknown one, are labelled
    labels = [label("111122223333", names), label("444455556666", names), label(None, names)]
    # THEN the name comes with its ID, else the ID alone
    assert labels == ["payments-prod (111122223333)", "444455556666", "unknown account"]


def test_account_folders_are_the_twelve_digit_folders_under_the_prefix(aws: None) -> None:
    # GIVEN an organization trail's bucket with three accounts' logs, a digest folder and a stray key
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="org-trail")
    keys = [
        "logs/AWSLogs/o-abcdefghij/111122223333/CloudTrail/us-east-1/2026/11/20/a.json.gz",
        "logs/AWSLogs/o-abcdefghij/444455556666/CloudTrail/eu-west-1/2026/11/20/b.json.gz",
        "logs/AWSLogs/o-abcdefghij/777788889999/CloudTrail-Digest/us-east-1/2026/11/20/c.json.gz",
        "logs/AWSLogs/o-abcdefghij/notes/readme.txt",
        "logs/AWSLogs/o-abcdefghij/stray.txt",
    ]
    for key in keys:
        s3.put_object(Bucket="org-trail", Key=key, Body=b"{}")
    # WHEN the account folders under the trail's prefix are listed
    accounts = account_folders(s3, "s3://org-trail/logs/AWSLogs/o-abcdefghij/")
    # THEN only the account IDs are found, the digest-only account included (its folder is an account's)
    assert accounts == ["111122223333", "444455556666", "777788889999"]
