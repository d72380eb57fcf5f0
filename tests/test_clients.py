"""The client catalog and the version rule: which client an agent names, and whether it predates SigV4 by default.

Real agents with their verdicts and the SDK source each format comes from are in tests/data/user_agents.json;
each runs through the queries on DuckDB and through the oracle.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from detector.core import queries
from detector.core.clients import (
    CATALOG,
    EVERY_RELEASE,
    NO_RELEASE,
    Client,
    by_name,
    catalog_values_sql,
    markdown_table,
    parse_version,
    version_key,
    version_key_sql,
)
from detector.core.findings import Finding
from detector.core.window import Window
from detector.local.loading import LocalCatalog
from tests import oracle
from tests.helpers import LogTree, cloudtrail_event, load_catalog

Load = Callable[[Sequence[Path]], LocalCatalog]

USER_AGENTS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "user_agents.json").read_text(encoding="utf-8")
)
"""Real agents: `user_agent`, its `family`, the expected `client`, `version` and `outdated`, `why` and `source`."""

ISSUE_FAMILIES: dict[str, set[str]] = {
    "js-v2-browser": {"aws-sdk-js"},
    "js-v2-node": {"aws-sdk-js"},
    "js-v3": {"aws-sdk-js-v3"},
    "php-v1": {"aws-sdk-php"},
    "php-v2": {"aws-sdk-php"},
    "ruby-v1": {"aws-sdk-ruby"},
    "ruby-v2": {"aws-sdk-ruby"},
    "ruby-v3": {"aws-sdk-ruby"},
    "dotnet-35": {"aws-sdk-dotnet"},
    "dotnet-45": {"aws-sdk-dotnet"},
    "dotnet-coreclr": {"aws-sdk-dotnet"},
    "dotnet-netstandard": {"aws-sdk-dotnet"},
    "powershell": {"AWSPowerShell"},
    "powershell-common": {"AWSPowerShell"},
    "terraform": {"aws-sdk-go", "aws-sdk-go-v2"},
    "hadoop-s3a": {"aws-sdk-java", "aws-sdk-java-v2"},
    "sagemaker": {"Botocore"},
    "go": {"aws-sdk-go"},
    "go-v2": {"aws-sdk-go-v2"},
    "cpp": {"aws-sdk-cpp"},
    "rust": {"aws-sdk-rust"},
    "swift": {"aws-sdk-swift"},
    "kotlin": {"aws-sdk-kotlin"},
    "boto3-on-botocore": {"Botocore"},
    "aws-cli-v1": {"Botocore"},
    "boto2": {"Boto"},
}
"""The families issue 11 names, and the clients their agents are (a wrapper's agents are the SDK it carries)."""

FALLBACK_ONLY = {"Boto3": "boto3 always appends Botocore/<v> (boto/boto3 boto3/session.py), which ranks first"}
"""Rows no real agent reaches, kept for agents cut short or written by hand; why none is real."""


@dataclass(frozen=True)
class Verdict:
    client: str | None
    version: str | None
    outdated: bool
    sigv4_default: str | None = None


def expected(entry: dict[str, Any]) -> Verdict:
    client = by_name(entry["client"]) if entry["client"] else None
    return Verdict(entry["client"], entry["version"], entry["outdated"], client.threshold if client else None)


def sql_verdicts(log_tree: LogTree, load: Load, agents: Sequence[str]) -> dict[str, Verdict]:
    """Each agent sends one SigV2 request from us-east-1 as its own principal, so each is one finding."""
    log_tree.write(
        [
            cloudtrail_event(arn=f"arn:aws:iam::111122223333:user/u{i}", agent=agent, signature="SigV2")
            for i, agent in enumerate(agents)
        ]
    )
    catalog = load([log_tree.root])
    window = Window()
    findings = {f.user_agent: f for f in map(Finding.from_row, catalog.run("detection", window))}
    named = {row["user_agent"]: row for row in catalog.run("sigv2_region_user_agents", window)}
    outdated = {row["user_agent"] for row in catalog.run("outdated_clients", window)}
    assert outdated == {agent for agent in agents if "outdated_sdk" in findings[agent].reasons}
    for agent in agents:
        assert (text(named[agent]["client"]), text(named[agent]["client_version"])) == (
            findings[agent].client,
            findings[agent].client_version,
        ), "every query names the same client"
    return {
        agent: Verdict(f.client, f.client_version, agent in outdated, f.sigv4_default_version)
        for agent, f in ((agent, findings[agent]) for agent in agents)
    }


def text(value: object) -> str | None:
    return None if value is None else str(value)


def oracle_verdict(agent: str) -> Verdict:
    info = oracle.identify(agent)
    return Verdict(info.name, info.version, info.outdated, info.default_version) if info else Verdict(None, None, False)


def verdicts(log_tree: LogTree, load: Load, agents: Sequence[str]) -> dict[str, Verdict]:
    """The SQL's verdicts, checked against the oracle's."""
    from_sql = sql_verdicts(log_tree, load, agents)
    assert from_sql == {agent: oracle_verdict(agent) for agent in agents}
    return from_sql


@pytest.fixture(scope="module")
def real_agent_verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Verdict]:
    """The SQL's verdict on every real agent, bare and in the brackets S3 data events put around it."""
    agents = [entry["user_agent"] for entry in USER_AGENTS]
    tree = LogTree(tmp_path_factory.mktemp("real-agents"))
    return sql_verdicts(tree, load_catalog, agents + [f"[{agent}]" for agent in agents])


# --- real agents ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", USER_AGENTS, ids=lambda entry: f"{entry['family']}:{entry['user_agent'][:60]}")
def test_real_agent_gets_its_verdict_from_the_queries_and_the_oracle(
    real_agent_verdicts: dict[str, Verdict], entry: dict[str, Any]
) -> None:
    # GIVEN a real agent and the verdict derived from its SDK's source
    agent, verdict = entry["user_agent"], expected(entry)

    # WHEN the queries on DuckDB (bare and bracketed) and the oracle judge it
    found = (real_agent_verdicts[agent], real_agent_verdicts[f"[{agent}]"], oracle_verdict(agent))

    # THEN all three give that verdict
    assert found == (verdict, verdict, verdict), entry["why"]


def test_real_agents_are_many_and_each_says_where_its_format_comes_from() -> None:
    # GIVEN the real agents
    # WHEN their provenance is read
    unexplained = [entry["user_agent"] for entry in USER_AGENTS if not (entry["source"].strip() and entry["why"])]

    # THEN there are at least forty, distinct, each with a source and a reason for its verdict
    assert len({entry["user_agent"] for entry in USER_AGENTS}) == len(USER_AGENTS) >= 40
    assert unexplained == []


@pytest.mark.parametrize(("family", "expected_clients"), ISSUE_FAMILIES.items())
def test_each_family_of_the_issue_has_real_agents_naming_its_clients(family: str, expected_clients: set[str]) -> None:
    # GIVEN a family the catalog must cover
    # WHEN its real agents are picked
    clients = {entry["client"] for entry in USER_AGENTS if entry["family"] == family}

    # THEN there are some, and they are expected to be the family's clients
    assert clients == expected_clients


def test_every_catalog_client_has_real_agents() -> None:
    # GIVEN the catalog and the real agents
    # WHEN the expected clients of the agents are collected
    covered = {entry["client"] for entry in USER_AGENTS}

    # THEN every catalog client is among them, but for the fallbacks no real agent reaches
    assert {client.name for client in CATALOG} - covered == set(FALLBACK_ONLY)


# --- the catalog as data -----------------------------------------------------------------------------------------


def test_oracle_knows_every_catalog_client() -> None:
    # GIVEN the client catalog and the oracle
    # WHEN the oracle's products are listed
    products = set(oracle.PRODUCTS)

    # THEN they are the same clients
    assert products == {client.name for client in CATALOG}


def test_catalog_names_are_unique() -> None:
    # GIVEN the catalog
    # WHEN its names are collected
    names = [client.name for client in CATALOG]

    # THEN none repeats, so a finding's client names one row
    assert len(names) == len(set(names))


@pytest.mark.parametrize("client", CATALOG, ids=lambda client: client.name)
def test_row_is_well_formed(client: Client) -> None:
    # GIVEN a catalog row
    # WHEN its products, default and version range are checked
    versions = [client.since] + ([client.before] if client.before else [])

    # THEN the products are plain tokens, the default a version or a named rule, the range ordered,
    # and the advice plain text for the email
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.-]*", product) for product in client.products)
    assert client.sigv4_default in (EVERY_RELEASE, NO_RELEASE) or parse_version(client.sigv4_default)
    assert all(parse_version(version) for version in versions)
    assert client.before is None or parse_version(client.since) < parse_version(client.before)
    assert client.threshold is None or parse_version(client.since) <= parse_version(client.threshold)
    assert "`" not in client.upgrade


def test_rows_sharing_a_product_cover_disjoint_versions() -> None:
    # GIVEN every pair of rows that name the same product
    pairs = [
        (first, second)
        for index, first in enumerate(CATALOG)
        for second in CATALOG[index + 1 :]
        if {name.lower() for name in first.products} & {name.lower() for name in second.products}
    ]

    # WHEN their version ranges are compared
    def disjoint(first: Client, second: Client) -> bool:
        end = parse_version(first.before) if first.before else None
        return end is not None and end <= parse_version(second.since)

    overlapping = [(a.name, b.name) for a, b in pairs if not (disjoint(a, b) or disjoint(b, a))]

    # THEN no version of a product is two clients (aws-sdk-js 2.x and 3.x, aws-sdk-java 1.x and 2.x are such pairs)
    assert len(pairs) == 2
    assert overlapping == []


@pytest.mark.parametrize("client", [c for c in CATALOG if c.threshold], ids=lambda client: client.name)
def test_advice_of_a_versioned_client_names_the_release_to_reach(client: Client) -> None:
    # GIVEN a client whose SigV4 default came with a release
    assert client.threshold is not None
    major = client.threshold.split(".")[0]

    # WHEN its advice is read
    advice = client.upgrade

    # THEN it names that release (or its major version)
    assert client.threshold in advice or f"v{major}" in advice


@pytest.mark.parametrize("client", [c for c in CATALOG if c.sigv4_default == EVERY_RELEASE], ids=lambda c: c.name)
def test_advice_of_a_client_that_always_signs_sigv4_does_not_say_upgrade(client: Client) -> None:
    # GIVEN a client that signs SigV4 by default in every release
    # WHEN its advice is read
    advice = client.upgrade.lower()

    # THEN it does not tell the owner to upgrade, and says where SigV2 comes from instead
    assert "upgrade" not in advice
    assert "sigv2" in advice


@pytest.mark.parametrize("client", CATALOG, ids=lambda client: client.name)
def test_catalog_pattern_reads_the_version_after_any_product_in_any_case(client: Client) -> None:
    for product in client.products:
        # GIVEN an agent naming one of the client's products, as is, in upper and in lower case
        for agent in (f"{product}/1.2.3", f"[{product.upper()}/1.2.3 x]", f"x ({product.lower()}/1.2.3)"):
            # WHEN the client's pattern is searched for in it
            match = re.search(client.pattern, agent)

            # THEN the version after the product is read
            assert match is not None and match[1] == "1.2.3", agent


@pytest.mark.parametrize("client", CATALOG, ids=lambda client: client.name)
def test_catalog_pattern_ignores_the_product_inside_another_word(client: Client) -> None:
    for product in client.products:
        # GIVEN an agent holding the product only inside other words, or as metadata
        agent = f"[x-{product}/1.2.3 md/{product}#1.2.3 {product}-extra/1.2.3]"

        # WHEN the client's pattern is searched for in it
        match = re.search(client.pattern, agent)

        # THEN nothing matches
        assert match is None, agent


def test_signer_comes_before_the_tools_it_signs_for() -> None:
    # GIVEN the catalog
    # WHEN its clients are listed in order
    order = [client.name for client in CATALOG]

    # THEN botocore, which signs, comes before the CLI and boto3 that carry it
    assert order.index("Botocore") < order.index("aws-cli")
    assert order.index("Botocore") < order.index("Boto3")


def test_catalog_values_rank_clients_in_catalog_order() -> None:
    # GIVEN the catalog as SQL VALUES
    sql = catalog_values_sql()

    # WHEN its rows are read back
    rows = re.findall(r"^\s*\('([^']*)', .*, (true|false), (\d+)\),?$", sql, re.MULTILINE)

    # THEN the clients are ranked 1, 2, 3, ... in catalog order, always outdated exactly when no release defaults
    assert rows == [
        (client.name, str(client.sigv4_default == NO_RELEASE).lower(), str(rank))
        for rank, client in enumerate(CATALOG, start=1)
    ]


def test_by_name_finds_a_client_and_returns_none_for_strangers() -> None:
    # GIVEN the name of a catalog client, and of a client not in the catalog
    # WHEN each is looked up by name
    found, stranger = by_name("aws-cli"), by_name("curl")

    # THEN the first is found and the second is None
    assert found is not None and found.name == "aws-cli"
    assert stranger is None


def test_readme_table_has_one_row_of_five_cells_per_client() -> None:
    # GIVEN the catalog's README table
    lines = markdown_table().splitlines()

    # WHEN its rows are split into cells at the pipes that are not escaped
    rows = [re.split(r"(?<!\\)\|", line)[1:-1] for line in lines[2:]]

    # THEN each client is one row of five cells, in catalog order, whatever its texts contain
    assert [row[0].strip() for row in rows] == [client.name for client in CATALOG]
    assert {len(row) for row in rows} == {5}


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


VERSIONS_IN_ORDER = ["0", "1.2", "1.2.3", "1.2.3.4", "1.10", "2.9.9.9", "2.68.0", "2.1692.0", "9223372036854775807"]


def test_version_keys_sort_as_the_versions_do() -> None:
    # GIVEN versions in ascending order, shuffled
    shuffled = VERSIONS_IN_ORDER[::2] + VERSIONS_IN_ORDER[1::2]

    # WHEN they are sorted by their keys
    ordered = sorted(shuffled, key=version_key)

    # THEN the order is theirs, and a fifth part or a missing one changes nothing
    assert ordered == VERSIONS_IN_ORDER
    assert version_key("1.2.3.4.5") == version_key("1.2.3.4") and version_key("1.2") == version_key("1.2.0.0")


def test_sql_version_key_is_the_python_one() -> None:
    # GIVEN the catalog's keys made in Python, and the agents' made by the queries' SQL
    select = ", ".join(version_key_sql(f"'{version}'") for version in VERSIONS_IN_ORDER)
    sql = sqlglot.transpile(f"SELECT {select}", read="athena", write="duckdb")[0]

    # WHEN DuckDB computes the SQL ones
    from_sql = duckdb.connect().execute(sql).fetchall()

    # THEN they are the same texts
    assert [list(row) for row in from_sql] == [[version_key(version) for version in VERSIONS_IN_ORDER]]


def test_each_catalog_pattern_reaches_the_engine_as_a_literal() -> None:
    # GIVEN the detection query as Athena saves it
    query = sqlglot.parse_one(queries.render(queries.DETECTION, "cloudtrail", source="cloudtrail"), read="trino")

    # WHEN its regular-expression calls on the user agent are found
    calls = [call for call in query.find_all(exp.RegexpExtract, exp.RegexpLike) if "user_agent" in call.this.sql()]

    # THEN each catalog row has one, with its pattern a literal, compiled once rather than once per agent
    patterns = {call.expression.this for call in calls if isinstance(call.expression, exp.Literal)}
    assert len(calls) == len(CATALOG)
    assert patterns == {client.pattern for client in CATALOG}


# --- the version rule, run through the SQL on DuckDB and the oracle ----------------------------------------------


def test_versions_compare_as_numbers_not_as_text(log_tree: LogTree, load: Load) -> None:
    # GIVEN a Node.js SDK 2.1692.0, later than 2.67.0 as numbers but not as text
    new, old = "[aws-sdk-nodejs/2.1692.0 linux/v18.20.4 promise]", "[aws-sdk-nodejs/2.67.0 linux/v8.11.1 callback]"

    # WHEN the queries and the oracle judge both
    found = verdicts(log_tree, load, [new, old])

    # THEN only the older is outdated
    assert found[new] == Verdict("aws-sdk-js", "2.1692.0", outdated=False, sigv4_default="2.68.0")
    assert found[old].outdated


def test_the_major_version_tells_families_that_share_a_token_apart(log_tree: LogTree, load: Load) -> None:
    # GIVEN the last JS v2 and the first JS v3 and Java v2 releases, all under the token their v1/v2 share
    agents = [
        "[aws-sdk-js/2.9999.9 promise]",
        "[aws-sdk-js/3.0.0 ua/2.1]",
        "[aws-sdk-java/1.99.9]",
        "[aws-sdk-java/2.0.0]",
    ]

    # WHEN the queries and the oracle judge them
    found = verdicts(log_tree, load, agents)

    # THEN each is the family its major version belongs to
    assert [found[agent].client for agent in agents] == [
        "aws-sdk-js",
        "aws-sdk-js-v3",
        "aws-sdk-java",
        "aws-sdk-java-v2",
    ]


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
    four_part = replace(CATALOG[0], name="four-part-sdk", products=("four-part-sdk",), sigv4_default="1.2.3.4")
    monkeypatch.setattr("detector.core.clients.CATALOG", (*CATALOG, four_part))
    monkeypatch.setattr(oracle, "CATALOG", (*CATALOG, four_part))
    monkeypatch.setitem(oracle.PRODUCTS, "four-part-sdk", oracle.family("four-part-sdk"))
    # AND agents of versions of three to five parts on either side of it
    versions = ["1.2.3.3", "1.2.3", "1.2.3.3.9", "1.2.3.4", "1.2.3.4.1", "1.2.4", "1.10"]
    agents = [f"[four-part-sdk/{version}]" for version in versions]

    # WHEN the queries and the oracle judge them
    found = verdicts(log_tree, load, agents)

    # THEN those before 1.2.3.4 in the first four parts are outdated, whatever a fifth part says
    assert [found[agent].outdated for agent in agents] == [True, True, True, False, False, False, False]


def test_cli_agent_is_judged_by_the_botocore_that_signs_for_it(log_tree: LogTree, load: Load) -> None:
    # GIVEN CLI agents whose botocore is older than the CLI's pin would bring (pip can break a pin)
    pinned, broken = (
        "[aws-cli/1.11.10 Python/2.7.8 Linux/3.2.0-4-amd64 botocore/1.4.67]",
        "[aws-cli/1.11.120 Python/2.7.8 Linux/3.2.0-4-amd64 botocore/1.5.70]",
    )

    # WHEN the queries and the oracle judge them
    found = verdicts(log_tree, load, [pinned, broken])

    # THEN each is its botocore, judged by botocore's version
    assert found[pinned] == Verdict("Botocore", "1.4.67", outdated=True, sigv4_default="1.5.71")
    assert found[broken] == Verdict("Botocore", "1.5.70", outdated=True, sigv4_default="1.5.71")


def test_cli_v2_without_a_botocore_token_is_judged_as_the_cli(log_tree: LogTree, load: Load) -> None:
    # GIVEN an AWS CLI v2 agent, which names no botocore
    agent = "[aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 exe/x86_64.amzn.2023 prompt/off command/s3.cp]"

    # WHEN the queries and the oracle judge it
    found = verdicts(log_tree, load, [agent])

    # THEN it is the CLI, at or past the release that made SigV4 its default
    assert found[agent] == Verdict("aws-cli", "2.15.0", outdated=False, sigv4_default="1.11.108")


def test_agents_differing_only_in_the_feature_list_are_one_finding(log_tree: LogTree, load: Load) -> None:
    # GIVEN three SigV2 requests whose agents differ only in their feature list
    base = "[Boto3/1.44.8 md/Botocore#1.44.8 ua/2.1 os/linux#6.1.0 m/{} cfg/retry-mode#legacy Botocore/1.44.8]"
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

    # THEN both are the same outdated botocore
    assert found[lower] == found[title] == Verdict("Botocore", "1.5.70", outdated=True, sigv4_default="1.5.71")


def test_every_boto2_is_outdated_and_boto3_is_not_mistaken_for_it(log_tree: LogTree, load: Load) -> None:
    # GIVEN boto 2.49.0, the release AWS names, and a Boto3 agent without a botocore token
    boto2, boto3 = "[Boto/2.49.0 Python/2.7.18 Linux/4.14]", "[Boto3/1.4.6 Python/3.6.0 Linux/4.14]"

    # WHEN the queries and the oracle judge both
    found = verdicts(log_tree, load, [boto2, boto3])

    # THEN boto 2 is outdated with no release to upgrade to, and Boto3 is itself, not outdated
    assert found[boto2] == Verdict("Boto", "2.49.0", outdated=True, sigv4_default=None)
    assert found[boto3] == Verdict("Boto3", "1.4.6", outdated=False, sigv4_default="1.4.6")


@pytest.mark.parametrize("agent", ["[rclone/]", "[]", "", "[curl/7.88.1]", "[aws-cli/ Python/3.12]"])
def test_agents_without_a_catalog_version_are_not_outdated(log_tree: LogTree, load: Load, agent: str) -> None:
    # GIVEN an agent naming no catalog client with a version
    # WHEN the queries and the oracle judge it
    found = verdicts(log_tree, load, [agent])

    # THEN it has no client, no version and is not outdated
    assert found[agent] == Verdict(None, None, outdated=False)


# --- how the rows without a SigV4-default version show in findings ------------------------------------------------


def test_client_that_always_signs_sigv4_is_named_but_never_outdated(log_tree: LogTree, load: Load) -> None:
    # GIVEN a Go SDK behind Terraform's prefix, sending one SigV2 and one SigV4 request, and another only SigV4
    terraform = (
        "[APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) aws-sdk-go/1.55.5 (go1.22.5; linux)]"
    )
    log_tree.write(
        [
            cloudtrail_event(arn="arn:aws:iam::111122223333:user/tf", agent=terraform, signature="SigV2"),
            cloudtrail_event(arn="arn:aws:iam::111122223333:user/tf", agent=terraform),
            cloudtrail_event(arn="arn:aws:iam::111122223333:user/go", agent="[aws-sdk-go/1.55.5 (go1.22.5; linux)]"),
        ]
    )

    # WHEN the detection query runs
    findings = [Finding.from_row(row) for row in load([log_tree.root]).run("detection", Window())]

    # THEN only the SigV2 caller is a finding: its client named, for SigV2 alone, told it is configured to sign SigV2
    assert [(f.principal_arn, f.client, f.client_version, f.reasons, f.sigv4_default_version) for f in findings] == [
        ("arn:aws:iam::111122223333:user/tf", "aws-sdk-go", "1.55.5", ["sigv2"], None)
    ]
    assert (
        findings[0].hint().startswith("aws-sdk-go 1.55.5 signs SigV4 by default (every release), so it is configured")
    )


def test_client_no_release_of_which_defaults_to_sigv4_is_outdated_on_sigv4_too(log_tree: LogTree, load: Load) -> None:
    # GIVEN boto 2.49.0 opted in to SigV4
    log_tree.write([cloudtrail_event(agent="[Boto/2.49.0 Python/2.7.18 Linux/4.14]")])

    # WHEN the detection query runs
    findings = [Finding.from_row(row) for row in load([log_tree.root]).run("detection", Window())]

    # THEN it is a finding for its SDK alone, with no release to upgrade to, and told to move to boto3
    assert [(f.client, f.reasons, f.sigv4_default_version) for f in findings] == [("Boto", ["outdated_sdk"], None)]
    assert "move to boto3" in findings[0].hint()
