"""A rebuild fills fresh tables and builds their declared indexes only before the swap: every row
a handler updates or deletes must be found through the table's primary key or a UNIQUE column,
else each event scans the table and a rebuild grows with the square of the log (found by
bench/run at 200k requests: the retention view updated by ``owner_id``)."""

from __future__ import annotations

import inspect
import re

import pytest

from projections import ALL
from projections.base import Projection

WRITE = re.compile(r"(?:UPDATE|DELETE FROM) \{\{?(\w+)\}\}?.*?WHERE (\w+) =", re.S)


def keyed_columns(definition: str) -> set[str]:
    """Columns of a table definition that carry an index from its creation."""
    found = set(re.findall(r"(\w+) [A-Z]+[^,]*?\b(?:PRIMARY KEY|UNIQUE)", definition))
    for group in re.findall(r"PRIMARY KEY \(([^)]*)\)", definition):
        found.add(group.split(",")[0].strip())
    return found


@pytest.mark.parametrize("projection", ALL, ids=lambda p: p.name)
def test_every_update_finds_its_row_by_a_key_the_fresh_table_has(projection: Projection) -> None:
    module = inspect.getmodule(projection)
    source = "".join(
        inspect.getsource(m)
        for m in {inspect.getmodule(h) for h in projection.handlers.values()} | {module}
        if m is not None
    )
    writes = WRITE.findall(source)
    for table, column in writes:
        if table not in projection.tables:
            continue
        assert column in keyed_columns(projection.tables[table]), (projection.name, table, column)
