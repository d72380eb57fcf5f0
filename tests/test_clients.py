"""The client catalog and the version rule: which client an agent names, and whether it predates SigV4 by default."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from detector.core.clients import CATALOG, Client, by_name, catalog_values_sql, parse_version
from detector.core.findings import Finding
from detector.core.window import Window
from detector.local.loading import LocalCatalog
from tests import oracle
from tests.helpers import LogTree, cloudtrail_event

Load = Callable[[Sequence[Path]], LocalCatalog]


@dataclass(frozen=True)
class Verdict:
    client: str | None
    version: str | None
    outdated: bool


def sql_verdicts(log_tree: LogTree, load: Load, agents: Sequence[str]) -> dict[str, Verdict]:
    """Each agent sends one SigV4 request over TLS 1.3 as its own principal; the queries say what they make of it."""
    log_tree.write(
        [cloudtrail_event(arn=f"arn:aws:iam::111122223333:user/u{i}", agent=a) for i, a in enumerate(agents)]
    )
    catalog = load([log_tree.root])
    window = Window()
    named = {row["user_agent"]: row for row in catalog.run("sigv2_region_user_agents", window)}
    outdated = {row["user_agent"] for row in catalog.run("outdated_clients", window)}
    flagged = {Finding.from_row(row).user_agent for row in catalog.run("detection", window)}
    assert outdated == flagged, "with SigV4 over TLS 1.3, an agent is a finding exactly when it is outdated"
    return {
        agent: Verdict(text(named[agent]["client"]), text(named[agent]["client_version"]), agent in outdated)
        for agent in agents
    }


def text(value: object) -> str | None:
    return None if value is None else str(value)


def oracle_verdict(agent: str) -> Verdict:
    info = oracle.identify(agent)
    return Verdict(info.name, info.version, info.outdated) if info else Verdict(None, None, False)


def verdicts(log_tree: LogTree, load: Load, agents: Sequence[str]) -> dict[str, Verdict]:
    """The SQL's verdicts, checked against the oracle's."""
    from_sql = sql_verdicts(log_tree, load, agents)
    assert from_sql == {agent: oracle_verdict(agent) for agent in agents}
    return from_sql


def test_oracle_knows_every_catalog_client() -> None:
    # GIVEN the client catalog and the oracle
    # WHEN the oracle's products are listed
    products = set(oracle.PRODUCTS)

    # THEN they are the same clients
    assert products == {client.name for client in CATALOG}


def test_every_catalog_example_is_recognised_as_its_client(log_tree: LogTree, load: Load) -> None:
    # GIVEN one agent for each catalog client's example
    agents = [f"[{client.example} Linux/5.10 x86_64]" for client in CATALOG]

    # WHEN the queries and the oracle judge them
    found = verdicts(log_tree, load, agents)

    # THEN each is recognised as its own client
    assert [found[agent].client for agent in agents] == [client.name for client in CATALOG]


@pytest.mark.parametrize("client", CATALOG, ids=lambda client: client.name)
def test_catalog_pattern_reads_the_version_after_the_token_in_any_case(client: Client) -> None:
    # GIVEN the client's product token
    product = client.example.split("/")[0]
    for agent in (f"{product}/1.2.3", f"[{product.upper()}/1.2.3 x]", f"x ({product.lower()}/1.2.3)"):
        # WHEN its pattern is searched for in an agent naming it as is, in upper or in lower case
        match = re.search(client.pattern, agent)

        # THEN the version after the token is read
        assert match is not None and match[1] == "1.2.3", agent


@pytest.mark.parametrize("client", CATALOG, ids=lambda client: client.name)
def test_catalog_pattern_ignores_the_token_inside_another_word(client: Client) -> None:
    # GIVEN an agent holding the client's token only inside other words
    product = client.example.split("/")[0]
    agent = f"[x-{product}/1.2.3 md/{product}#1.2.3]"

    # WHEN the client's pattern is searched for in it
    match = re.search(client.pattern, agent)

    # THEN nothing matches
    assert match is None


def test_wrappers_come_before_the_sdks_they_carry() -> None:
    # GIVEN the catalog
    # WHEN its clients are listed in order
    order = [client.name for client in CATALOG]

    # THEN each wrapper comes before the SDK it carries
    assert order.index("aws-cli") < order.index("Botocore")
    assert order.index("Boto3") < order.index("Botocore")
    assert order.index("AWSPowerShell") < order.index("aws-sdk-dotnet")


def test_catalog_values_rank_clients_in_catalog_order() -> None:
    # GIVEN the catalog as SQL VALUES
    sql = catalog_values_sql()

    # WHEN its rows are read back
    rows = re.findall(r"\('([^']*)', '(?:[^']|'')*', '[^']*', (\d+)\)", sql)

    # THEN the clients are ranked 1, 2, 3, ... in catalog order
    assert rows == [(client.name, str(rank)) for rank, client in enumerate(CATALOG, start=1)]


def test_by_name_finds_a_client_and_returns_none_for_strangers() -> None:
    # GIVEN the name of a catalog client, and of a client not in the catalog
    # WHEN each is looked up by name
    found, stranger = by_name("aws-cli"), by_name("curl")

    # THEN the first is found and the second is None
    assert found is CATALOG[0]
    assert stranger is None


@pytest.mark.parametrize(
    ("text", "parts"),
    [("3", (3, 0, 0, 0)), ("1.11.108", (1, 11, 108, 0)), ("3.1.10.0", (3, 1, 10, 0)), ("1.2.3.4.5", (1, 2, 3, 4))],
)
def test_parse_version_pads_and_cuts_to_four_parts(text: str, parts: tuple[int, ...]) -> None:
    # GIVEN a version of one to five parts
    # WHEN it is parsed
    result = parse_version(text)

    # THEN it has four parts, padded with zeros or cut
    assert result == parts


@pytest.mark.parametrize("text", ["", "v1.2", "1.2-beta", "1..2"])
def test_parse_version_rejects_text_that_is_not_a_version(text: str) -> None:
    # GIVEN text that is not a dotted number
    # WHEN it is parsed
    # THEN it is refused, quoting the text
    with pytest.raises(ValueError, match=re.escape(repr(text))):
        parse_version(text)


def test_every_catalog_default_is_a_numeric_version() -> None:
    # GIVEN the catalog
    # WHEN each client's SigV4 default version is parsed
    # THEN every one is a version
    assert all(parse_version(client.sigv4_default) for client in CATALOG)


# --- the version rule, run through the SQL on DuckDB and the oracle ----------------------------


def test_versions_compare_as_numbers_not_as_text(log_tree: LogTree, load: Load) -> None:
    # GIVEN a Node.js SDK 2.1693.0, later than 2.67.0 as numbers but not as text
    new, old = "[aws-sdk-nodejs/2.1693.0 linux/v18.20.4 promise]", "[aws-sdk-nodejs/2.67.0 linux/v8.11.1 callback]"

    # WHEN the queries and the oracle judge both
    found = verdicts(log_tree, load, [new, old])

    # THEN only the older is outdated
    assert found[new] == Verdict("aws-sdk-nodejs", "2.1693.0", outdated=False)
    assert found[old].outdated


def test_aws_cli_is_outdated_up_to_the_release_before_the_default_changed(log_tree: LogTree, load: Load) -> None:
    # GIVEN the AWS CLI release just before SigV4 became its default, and the release that made it so
    before, at = (
        "[aws-cli/1.11.107 Python/2.7.12 Linux/4.4 botocore/1.5.70]",
        "[aws-cli/1.11.108 Python/2.7.12 botocore/1.5.71]",
    )

    # WHEN the queries and the oracle judge both
    found = verdicts(log_tree, load, [before, at])

    # THEN only the earlier is outdated
    assert (found[before].outdated, found[at].outdated) == (True, False)


def test_four_part_dotnet_versions_compare_on_the_fourth_part(log_tree: LogTree, load: Load) -> None:
    # GIVEN .NET SDK agents of four-part versions around the default 3.1.10.0
    agents = [
        f"[aws-sdk-dotnet-45/{version} .NET_Runtime/4.0 .NET_Framework/4.0]"
        for version in ("3.1.9.9", "3.1.10.0", "3.1.10.1")
    ]

    # WHEN the queries and the oracle judge them
    found = verdicts(log_tree, load, agents)

    # THEN only the one before 3.1.10.0 is outdated
    assert [found[agent].outdated for agent in agents] == [True, False, False]


def test_all_four_version_parts_count_and_a_fifth_does_not(
    log_tree: LogTree, load: Load, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a catalog client whose SigV4 default is 1.2.3.4
    four_part = replace(CATALOG[0], name="four-part-sdk", token="four-part-sdk", sigv4_default="1.2.3.4")
    monkeypatch.setattr("detector.core.clients.CATALOG", (*CATALOG, four_part))
    monkeypatch.setattr(oracle, "CATALOG", (*CATALOG, four_part))
    monkeypatch.setitem(oracle.PRODUCTS, "four-part-sdk", lambda name: name == "four-part-sdk")
    # AND agents of versions of three to five parts on either side of it
    versions = ["1.2.3.3", "1.2.3", "1.2.3.3.9", "1.2.3.4", "1.2.3.4.1", "1.2.4", "1.10"]
    agents = [f"[four-part-sdk/{version}]" for version in versions]

    # WHEN the queries and the oracle judge them
    found = verdicts(log_tree, load, agents)

    # THEN those before 1.2.3.4 in the first four parts are outdated, whatever a fifth part says
    assert [found[agent].outdated for agent in agents] == [True, True, True, False, False, False, False]


def test_cli_agent_is_the_cli_not_the_botocore_it_carries(log_tree: LogTree, load: Load) -> None:
    # GIVEN an AWS CLI agent that also names its botocore
    agent = "[aws-cli/1.11.10 Python/2.7.8 Linux/3.2.0-4-amd64 botocore/1.4.67]"

    # WHEN the queries and the oracle judge it
    found = verdicts(log_tree, load, [agent])

    # THEN it is the CLI, judged by the CLI's version
    assert found[agent] == Verdict("aws-cli", "1.11.10", outdated=True)


@pytest.mark.parametrize(
    "agent",
    [
        "aws-cli/1.11.10 Python/2.7.8 Linux/3.2.0-4-amd64 botocore/1.4.67",
        "aws-sdk-nodejs/2.1693.0 linux/v18.20.4 promise",
        "aws-sdk-dotnet-45/3.1.9.9 .NET_Runtime/4.0",
        "Boto3/1.44.8 md/Botocore#1.44.8 ua/2.1 os/linux#6.1.0 m/Z,b",
    ],
)
def test_bracketed_and_bare_agents_get_the_same_verdict(log_tree: LogTree, load: Load, agent: str) -> None:
    # GIVEN an agent, bare and in brackets
    agents = [agent, f"[{agent}]"]

    # WHEN the queries and the oracle judge both
    found = verdicts(log_tree, load, agents)

    # THEN both get the same verdict, naming a client
    assert found[agent] == found[f"[{agent}]"]
    assert found[agent].client is not None


def test_ua21_agent_of_a_current_sdk_is_not_outdated(log_tree: LogTree, load: Load) -> None:
    # GIVEN a current Boto3 agent in the ua/2.1 format
    agent = "[Boto3/1.44.8 md/Botocore#1.44.8 ua/2.1 os/linux#6.1.0 lang/python#3.12.7 Botocore/1.44.8 m/Z,b]"

    # WHEN the queries and the oracle judge it
    found = verdicts(log_tree, load, [agent])

    # THEN it is Boto3 1.44.8, not outdated
    assert found[agent] == Verdict("Boto3", "1.44.8", outdated=False)


def test_agents_differing_only_in_the_feature_list_are_one_finding(log_tree: LogTree, load: Load) -> None:
    # GIVEN three SigV2 requests whose agents differ only in their feature list
    base = "[Boto3/1.44.8 md/Botocore#1.44.8 ua/2.1 os/linux#6.1.0 Botocore/1.44.8 m/{}]"
    events = [
        cloudtrail_event(agent=base.format(features), signature="SigV2") for features in ("Z,b", "Z,e,E,N,b", "b,U")
    ]
    log_tree.write(events)

    # WHEN the detection query runs over them
    rows = load([log_tree.root]).run("detection", Window())

    # THEN they are one finding of three requests, under the least of the agents, as the oracle finds
    assert [(row["requests"], row["user_agent"]) for row in rows] == [(3, min(e["userAgent"] for e in events))]
    assert len(oracle.findings(events)) == 1


def test_tokens_match_whatever_their_case(log_tree: LogTree, load: Load) -> None:
    # GIVEN the same Boto3 agent in lower case and in title case
    lower, title = "[boto3/1.4.5 Python/2.7 botocore/1.5.70]", "[Boto3/1.4.5 Python/2.7 Botocore/1.5.70]"

    # WHEN the queries and the oracle judge both
    found = verdicts(log_tree, load, [lower, title])

    # THEN both are the same outdated Boto3
    assert found[lower] == found[title] == Verdict("Boto3", "1.4.5", outdated=True)


def test_boto2_is_outdated_and_boto3_is_not_mistaken_for_it(log_tree: LogTree, load: Load) -> None:
    # GIVEN a boto 2 agent and a Boto3 agent
    boto2, boto3 = "[Boto/2.48.0 Python/2.7.18 Linux/4.14]", "[Boto3/1.4.6 Python/3.6.0 Linux/4.14 Botocore/1.5.71]"

    # WHEN the queries and the oracle judge both
    found = verdicts(log_tree, load, [boto2, boto3])

    # THEN boto 2 is outdated and Boto3 is itself, not outdated
    assert found[boto2] == Verdict("Boto", "2.48.0", outdated=True)
    assert found[boto3] == Verdict("Boto3", "1.4.6", outdated=False)


@pytest.mark.parametrize("agent", ["[rclone/]", "[]", "", "[curl/7.88.1]", "[aws-cli/ Python/3.12]"])
def test_agents_without_a_catalog_version_are_not_outdated(log_tree: LogTree, load: Load, agent: str) -> None:
    # GIVEN an agent naming no catalog client with a version
    # WHEN the queries and the oracle judge it
    found = verdicts(log_tree, load, [agent])

    # THEN it has no client, no version and is not outdated
    assert found[agent] == Verdict(None, None, outdated=False)
