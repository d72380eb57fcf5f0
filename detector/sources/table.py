"""What a source's Glue table is, as plain data: `stacks/catalog.py` renders it, tests read it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PROJECTION_START = "2024/01/01"
"""First day Athena may project; queries always filter on a window, so older days are never listed."""


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


def projection(*, enums: Mapping[str, tuple[str, ...]], date_key: str, template: str) -> dict[str, str]:
    """Partition projection properties: each enum key over its values, `date_key` a daily `yyyy/MM/dd` date."""
    parameters = {"projection.enabled": "true"}
    for key, values in enums.items():
        parameters[f"projection.{key}.type"] = "enum"
        parameters[f"projection.{key}.values"] = ",".join(values)
    parameters |= {
        f"projection.{date_key}.type": "date",
        f"projection.{date_key}.format": "yyyy/MM/dd",
        f"projection.{date_key}.range": f"{PROJECTION_START},NOW",
        f"projection.{date_key}.interval": "1",
        f"projection.{date_key}.interval.unit": "DAYS",
        "storage.location.template": template,
    }
    return parameters
