"""The client catalog and the version rule: which client an agent names, and whether it predates SigV4 by default."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from detector.clients import CATALOG, Client, by_name, catalog_values_sql, parse_version
from detector.findings import Finding
from detector.local import LocalCatalog
from detector.window import Window
from tests import oracle
from tests.oracle import LogTree, cloudtrail_event

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
    assert set(oracle.PRODUCTS) == {client.name for client in CATALOG}


def test_every_catalog_example_is_recognised_as_its_client(log_tree: LogTree, load: Load) -> None:
    agents = [f"[{client.example} Linux/5.10 x86_64]" for client in CATALOG]

    found = verdicts(log_tree, load, agents)

    assert [found[agent].client for agent in agents] == [client.name for client in CATALOG]


@pytest.mark.parametrize("client", CATALOG, ids=lambda client: client.name)
def test_catalog_pattern_reads_the_version_after_the_token_in_any_case(client: Client) -> None:
    product = client.example.split("/")[0]
    for agent in (f"{product}/1.2.3", f"[{product.upper()}/1.2.3 x]", f"x ({product.lower()}/1.2.3)"):
        match = re.search(client.pattern, agent)

        assert match is not None and match[1] == "1.2.3", agent


@pytest.mark.parametrize("client", CATALOG, ids=lambda client: client.name)
def test_catalog_pattern_ignores_the_token_inside_another_word(client: Client) -> None:
    product = client.example.split("/")[0]

    assert re.search(client.pattern, f"[x-{product}/1.2.3 md/{product}#1.2.3]") is None


def test_wrappers_come_before_the_sdks_they_carry() -> None:
    order = [client.name for client in CATALOG]

    assert order.index("aws-cli") < order.index("Botocore")
    assert order.index("Boto3") < order.index("Botocore")
    assert order.index("AWSPowerShell") < order.index("aws-sdk-dotnet")


def test_catalog_values_rank_clients_in_catalog_order() -> None:
    rows = re.findall(r"\('([^']*)', '(?:[^']|'')*', '[^']*', (\d+)\)", catalog_values_sql())

    assert rows == [(client.name, str(rank)) for rank, client in enumerate(CATALOG, start=1)]


def test_by_name_finds_a_client_and_returns_none_for_strangers() -> None:
    assert by_name("aws-cli") is CATALOG[0]
    assert by_name("curl") is None


@pytest.mark.parametrize(
    ("text", "parts"),
    [("3", (3, 0, 0, 0)), ("1.11.108", (1, 11, 108, 0)), ("3.1.10.0", (3, 1, 10, 0)), ("1.2.3.4.5", (1, 2, 3, 4))],
)
def test_parse_version_pads_and_cuts_to_four_parts(text: str, parts: tuple[int, ...]) -> None:
    assert parse_version(text) == parts


@pytest.mark.parametrize("text", ["", "v1.2", "1.2-beta", "1..2"])
def test_parse_version_rejects_text_that_is_not_a_version(text: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(text))):
        parse_version(text)


def test_every_catalog_default_is_a_numeric_version() -> None:
    assert all(parse_version(client.sigv4_default) for client in CATALOG)


# --- the version rule, run through the SQL on DuckDB and the oracle ----------------------------


def test_versions_compare_as_numbers_not_as_text(log_tree: LogTree, load: Load) -> None:
    new, old = "[aws-sdk-nodejs/2.1693.0 linux/v18.20.4 promise]", "[aws-sdk-nodejs/2.67.0 linux/v8.11.1 callback]"

    found = verdicts(log_tree, load, [new, old])

    assert found[new] == Verdict("aws-sdk-nodejs", "2.1693.0", outdated=False)
    assert found[old].outdated


def test_aws_cli_is_outdated_up_to_the_release_before_the_default_changed(log_tree: LogTree, load: Load) -> None:
    before, at = (
        "[aws-cli/1.11.107 Python/2.7.12 Linux/4.4 botocore/1.5.70]",
        "[aws-cli/1.11.108 Python/2.7.12 botocore/1.5.71]",
    )

    found = verdicts(log_tree, load, [before, at])

    assert (found[before].outdated, found[at].outdated) == (True, False)


def test_four_part_dotnet_versions_compare_on_the_fourth_part(log_tree: LogTree, load: Load) -> None:
    agents = [
        f"[aws-sdk-dotnet-45/{version} .NET_Runtime/4.0 .NET_Framework/4.0]"
        for version in ("3.1.9.9", "3.1.10.0", "3.1.10.1")
    ]

    found = verdicts(log_tree, load, agents)

    assert [found[agent].outdated for agent in agents] == [True, False, False]


def test_all_four_version_parts_count_and_a_fifth_does_not(
    log_tree: LogTree, load: Load, monkeypatch: pytest.MonkeyPatch
) -> None:
    four_part = replace(CATALOG[0], name="four-part-sdk", token="four-part-sdk", sigv4_default="1.2.3.4")
    monkeypatch.setattr("detector.clients.CATALOG", (*CATALOG, four_part))
    monkeypatch.setattr(oracle, "CATALOG", (*CATALOG, four_part))
    monkeypatch.setitem(oracle.PRODUCTS, "four-part-sdk", lambda name: name == "four-part-sdk")
    versions = ["1.2.3.3", "1.2.3", "1.2.3.3.9", "1.2.3.4", "1.2.3.4.1", "1.2.4", "1.10"]
    agents = [f"[four-part-sdk/{version}]" for version in versions]

    found = verdicts(log_tree, load, agents)

    assert [found[agent].outdated for agent in agents] == [True, True, True, False, False, False, False]


def test_cli_agent_is_the_cli_not_the_botocore_it_carries(log_tree: LogTree, load: Load) -> None:
    agent = "[aws-cli/1.11.10 Python/2.7.8 Linux/3.2.0-4-amd64 botocore/1.4.67]"

    assert verdicts(log_tree, load, [agent])[agent] == Verdict("aws-cli", "1.11.10", outdated=True)


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
    found = verdicts(log_tree, load, [agent, f"[{agent}]"])

    assert found[agent] == found[f"[{agent}]"]
    assert found[agent].client is not None


def test_ua21_agent_of_a_current_sdk_is_not_outdated(log_tree: LogTree, load: Load) -> None:
    agent = "[Boto3/1.44.8 md/Botocore#1.44.8 ua/2.1 os/linux#6.1.0 lang/python#3.12.7 Botocore/1.44.8 m/Z,b]"

    assert verdicts(log_tree, load, [agent])[agent] == Verdict("Boto3", "1.44.8", outdated=False)


def test_agents_differing_only_in_the_feature_list_are_one_finding(log_tree: LogTree, load: Load) -> None:
    base = "[Boto3/1.44.8 md/Botocore#1.44.8 ua/2.1 os/linux#6.1.0 Botocore/1.44.8 m/{}]"
    events = [
        cloudtrail_event(agent=base.format(features), signature="SigV2") for features in ("Z,b", "Z,e,E,N,b", "b,U")
    ]
    log_tree.write(events)

    rows = load([log_tree.root]).run("detection", Window())

    assert [(row["requests"], row["user_agent"]) for row in rows] == [(3, min(e["userAgent"] for e in events))]
    assert len(oracle.findings(events)) == 1


def test_tokens_match_whatever_their_case(log_tree: LogTree, load: Load) -> None:
    lower, title = "[boto3/1.4.5 Python/2.7 botocore/1.5.70]", "[Boto3/1.4.5 Python/2.7 Botocore/1.5.70]"

    found = verdicts(log_tree, load, [lower, title])

    assert found[lower] == found[title] == Verdict("Boto3", "1.4.5", outdated=True)


def test_boto2_is_outdated_and_boto3_is_not_mistaken_for_it(log_tree: LogTree, load: Load) -> None:
    boto2, boto3 = "[Boto/2.48.0 Python/2.7.18 Linux/4.14]", "[Boto3/1.4.6 Python/3.6.0 Linux/4.14 Botocore/1.5.71]"

    found = verdicts(log_tree, load, [boto2, boto3])

    assert found[boto2] == Verdict("Boto", "2.48.0", outdated=True)
    assert found[boto3] == Verdict("Boto3", "1.4.6", outdated=False)


@pytest.mark.parametrize("agent", ["[rclone/]", "[]", "", "[curl/7.88.1]", "[aws-cli/ Python/3.12]"])
def test_agents_without_a_catalog_version_are_not_outdated(log_tree: LogTree, load: Load, agent: str) -> None:
    assert verdicts(log_tree, load, [agent])[agent] == Verdict(None, None, outdated=False)
