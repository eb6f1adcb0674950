"""The one catalogue of read queries, shared by the dashboard and the API.

`plan(name, params)` validates parameters and returns the SQL to run (`ParameterError`
names a bad parameter); `fetch`/`afetch` run it for rows, `copy_csv`/`acopy_csv` for CSV.
"""

from dxspots.queries.catalogue import (
    CATALOGUE,
    LATEST_SPOT_ID,
    READY_CHECK,
    Plan,
    Query,
    all_spots,
    new_spots,
    plan,
)
from dxspots.queries.filters import matches, spot_conditions, where
from dxspots.queries.params import Filters, ParameterError, SpotFilters, read_params
from dxspots.queries.replication import (
    REPLICATION_STATE,
    ReplicationState,
    aread_replication,
    read_replication,
)
from dxspots.queries.run import (
    Page,
    acopy_csv,
    afetch,
    aprepare_reader,
    copy_csv,
    fetch,
    prepare_reader,
    reader_setup,
)
from dxspots.queries.statement import Statement

__all__ = [
    "CATALOGUE",
    "LATEST_SPOT_ID",
    "READY_CHECK",
    "REPLICATION_STATE",
    "Filters",
    "Page",
    "ParameterError",
    "Plan",
    "Query",
    "ReplicationState",
    "SpotFilters",
    "Statement",
    "acopy_csv",
    "afetch",
    "all_spots",
    "aprepare_reader",
    "aread_replication",
    "copy_csv",
    "fetch",
    "matches",
    "new_spots",
    "plan",
    "prepare_reader",
    "read_params",
    "read_replication",
    "reader_setup",
    "spot_conditions",
    "where",
]
