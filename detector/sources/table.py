"""What a source's Glue table is, as plain data: `stacks/catalog.py` renders it, tests read it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from detector.core.partitions import PartitionFilter

PROJECTION_START = "2024/01/01"
"""First day Athena may project; queries always filter on a window, so older days are never listed."""

ENUM_MAX_ACCOUNTS = 36
"""Up to three dozen accounts are an `enum`, more an `injected` projection. Athena: "we recommend limiting the use of
`enum` based partition projections to a few dozen or less", the whole table's metadata (every enum value included)
must stay under Glue's "about 1 MB when gzip compressed", and "any white space is considered part of an enum value";
`injected` has no list at all but needs the values in every query, which the organization queries always name
(`detector.core.partitions`). Source: https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html
"""


@dataclass(frozen=True)
class TableSpec:
    source: str
    """The source whose `queries/sources/<source>.sql` maps this table to the common event columns."""
    description: str
    location: str
    """`s3://bucket/prefix/`: the table's root; partitions are found by `parameters['storage.location.template']`."""
    columns: tuple[tuple[str, str], ...]
    """(name, Glue type) of every data column."""
    partition_keys: tuple[str, ...]
    serde: str
    input_format: str
    output_format: str
    parameters: Mapping[str, str]
    """Table properties: classification and partition projection."""
    serde_parameters: Mapping[str, str] | None = None
    query_filter: PartitionFilter | None = None
    """An organization's table: the partition values every query over it names. Its account folders are right
    under `location` (the first `${account}` of the template), where a run finds them with `accounts=auto`."""


def account_projection(accounts: Sequence[str] | None) -> str:
    """`enum` for a known, short account list; `injected` for a long one or for accounts found at run time."""
    return "enum" if accounts is not None and len(accounts) <= ENUM_MAX_ACCOUNTS else "injected"


def projection(
    *, enums: Mapping[str, tuple[str, ...]], date_key: str, template: str, injected: Sequence[str] = ()
) -> dict[str, str]:
    """Partition projection properties: each enum key over its values, each `injected` key named by the queries,
    `date_key` a daily `yyyy/MM/dd` date."""
    parameters = {"projection.enabled": "true"}
    for key, values in enums.items():
        parameters[f"projection.{key}.type"] = "enum"
        parameters[f"projection.{key}.values"] = ",".join(values)
    for key in injected:
        parameters[f"projection.{key}.type"] = "injected"
    parameters |= {
        f"projection.{date_key}.type": "date",
        f"projection.{date_key}.format": "yyyy/MM/dd",
        f"projection.{date_key}.range": f"{PROJECTION_START},NOW",
        f"projection.{date_key}.interval": "1",
        f"projection.{date_key}.interval.unit": "DAYS",
        "storage.location.template": template,
    }
    return parameters


def organization_projection(
    accounts: Sequence[str] | None, enums: Mapping[str, tuple[str, ...]], *, template: str
) -> dict[str, str]:
    """An organization table's projection: `account` an `enum` ahead of `enums`, or `injected` (`account_projection`),
    and the daily `log_date`."""
    if account_projection(accounts) == "injected" or accounts is None:
        return projection(enums=enums, injected=("account",), date_key="log_date", template=template)
    return projection(enums={"account": tuple(accounts), **enums}, date_key="log_date", template=template)


def organization_filter(
    accounts: Sequence[str] | None, *, home_account: str, regions: Sequence[str], buckets: Sequence[str] = ()
) -> PartitionFilter:
    """What every query over an organization table names; `accounts` None: the accounts each run finds, the saved
    queries naming the home account until a run fills them in."""
    return PartitionFilter(
        accounts=tuple(accounts) if accounts is not None else (home_account,),
        regions=tuple(regions),
        buckets=tuple(buckets),
        accounts_at_run_time=accounts is None,
    )
