"""The records the pipeline produces: spots, solar reports, announcements and other lines.

`Spot` is a `NamedTuple` rather than a frozen dataclass: the collector and importer build
hundreds of thousands of them a second, a tuple is several times cheaper to construct than a
frozen dataclass with thirty-odd fields, and it is already the row the writer hands to COPY.
The rarer records are frozen, slotted dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple


class Spot(NamedTuple):
    """One DX spot: the fields read from the line, then the fields enrichment derives.

    Parsers fill the first group and leave the second at its defaults; `Enricher.enrich`
    returns a new `Spot` with both. `mode` and `locator` close the first group because
    enrichment may fill them too. Field order is the column order of the `spots` table.
    """

    # -- read from the line -------------------------------------------------------------
    spot_time: datetime
    """When the spot was made (UTC, minute resolution as clusters send it)."""
    freq_khz: float
    dx_call: str
    spotter: str
    """The spotting station as sent, SSID and skimmer suffix (`-#`) included."""
    comment: str
    received_at: datetime
    """When the line was received (UTC); for imports, the time the file gives."""
    raw: str
    """The line as received (after Latin-1 decoding and line-ending removal)."""
    source: str
    """Wire format: `dx`, `rbn`, `cc11`, `shdx` or `rbn-archive`."""
    node: str | None = None
    """The collector's name for the node the line came from (or the import file)."""
    snr_db: int | None = None
    wpm: int | None = None
    bps: int | None = None
    spot_type: str | None = None
    """Skimmer spot type: `CQ`, `DX`, `BEACON` or `NCDXF B`."""
    is_skimmer: bool = False
    spotter_locator: str | None = None
    """The spotter's locator, as AR-Cluster/DXSpider print after the time."""
    dx_state: str | None = None
    spotter_state: str | None = None
    origin_node: str | None = None
    """The node the spot entered the network at, when the format says (CC11)."""
    mode: str | None = None
    """Mode: from an explicit field (RBN) after parsing; filled from comment/band plan by
    enrichment."""
    locator: str | None = None
    """The DX station's Maidenhead locator, when the line or comment gives it."""
    # -- derived by enrichment ----------------------------------------------------------
    band: str | None = None
    spotter_base: str | None = None
    qsx_khz: float | None = None
    dx_entity: str | None = None
    dx_adif: int | None = None
    dx_continent: str | None = None
    dx_cq_zone: int | None = None
    dx_itu_zone: int | None = None
    dx_lat: float | None = None
    dx_lon: float | None = None
    spotter_entity: str | None = None
    spotter_adif: int | None = None
    spotter_continent: str | None = None
    spotter_cq_zone: int | None = None
    spotter_itu_zone: int | None = None
    spotter_lat: float | None = None
    spotter_lon: float | None = None


PARSED_FIELDS = Spot._fields[: Spot._fields.index("band")]
"""The fields a parser fills; the rest are enrichment's."""
UNENRICHED = (None,) * (len(Spot._fields) - len(PARSED_FIELDS))
"""The enrichment fields of a spot not yet enriched."""


@dataclass(frozen=True, slots=True)
class SolarReport:
    """A WWV or WCY propagation report.

    WWV carries SFI, A, K and a forecast; WCY adds expected K, sunspot number R, solar
    activity (SA), geomagnetic field (GMF) and aurora (Au).
    """

    kind: str
    """`wwv` or `wcy`."""
    report_time: datetime
    """The hour the report is for (UTC); the received time when the line gives none."""
    reporter: str
    received_at: datetime
    raw: str
    sfi: int | None = None
    a_index: int | None = None
    k_index: int | None = None
    expk: int | None = None
    r: int | None = None
    sa: str | None = None
    gmf: str | None = None
    aurora: str | None = None
    forecast: str | None = None
    node: str | None = None


@dataclass(frozen=True, slots=True)
class Announcement:
    """A broadcast or personal message: `To ALL de`, `To LOCAL de`, `WX de`, talk."""

    kind: str
    """`all`, `local`, `wx` or `talk`."""
    sender: str
    text: str
    received_at: datetime
    raw: str
    recipient: str | None = None
    """For talk messages: who it was sent to."""
    sent_time: datetime | None = None
    """When the line gives a time (`<1044Z>`), that time on the received date."""
    node: str | None = None


@dataclass(frozen=True, slots=True)
class Other:
    """Anything else a node sends: prompts, banners, command replies, garbled lines."""

    raw: str
    received_at: datetime
    reason: str = "unrecognised"
    """Why it is not a record: `unrecognised`, `empty`, or what failed (`bad frequency`...)."""
    node: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


Record = Spot | SolarReport | Announcement | Other
"""What the parser returns for one line."""


def record_kind(record: Record) -> str:
    """Name a record's kind as `dxspots parse` prints it."""
    if isinstance(record, Spot):
        return "spot"
    if isinstance(record, SolarReport):
        return record.kind
    if isinstance(record, Announcement):
        return "announcement"
    return "other"
