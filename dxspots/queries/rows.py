"""What each query returns: one row type per query, as the database hands rows back (dicts).

The API renders these as JSON objects or CSV rows, the dashboard as frames and charts, and
the OpenAPI document describes them from these definitions. Times are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import datetime

from typing_extensions import TypedDict  # pydantic reads these on Python < 3.12


class SpotRow(TypedDict):
    """One stored spot: every field of docs/fields.md, and its storage number `id`."""

    id: int
    spot_time: datetime
    freq_khz: float
    dx_call: str
    spotter: str
    comment: str
    received_at: datetime
    raw: str
    source: str
    node: str | None
    snr_db: int | None
    wpm: int | None
    bps: int | None
    spot_type: str | None
    is_skimmer: bool
    spotter_locator: str | None
    dx_state: str | None
    spotter_state: str | None
    origin_node: str | None
    mode: str | None
    locator: str | None
    band: str | None
    spotter_base: str | None
    qsx_khz: float | None
    dx_entity: str | None
    dx_adif: int | None
    dx_continent: str | None
    dx_cq_zone: int | None
    dx_itu_zone: int | None
    dx_lat: float | None
    dx_lon: float | None
    spotter_entity: str | None
    spotter_adif: int | None
    spotter_continent: str | None
    spotter_cq_zone: int | None
    spotter_itu_zone: int | None
    spotter_lat: float | None
    spotter_lon: float | None


class BandActivityRow(TypedDict):
    """Spots and distinct DX calls in one time bucket on one band (and mode, when asked)."""

    bucket: datetime
    band: str | None
    mode: str | None
    spots: int
    dx_calls: int


class HeatmapRow(TypedDict):
    """Spots on one band in one UTC hour of the day, over the window's whole hours."""

    band: str | None
    hour: int
    spots: int


class PathRow(TypedDict):
    """Spots heard from one continent to another on one band, in the window."""

    spotter_continent: str
    dx_continent: str
    band: str | None
    spots: int
    dx_calls: int
    spotters: int
    last_spot: datetime


class TopDxRow(TypedDict):
    """A most-spotted DX call (or entity, `by=entity`: `dx_call` is then empty)."""

    dx_call: str | None
    dx_entity: str | None
    dx_continent: str | None
    spots: int
    spotters: int
    dx_calls: int
    bands: str
    """The bands it was spotted on, comma-separated, in frequency order (`160m,40m,20m`)."""
    last_spot: datetime


class TopSpotterRow(TypedDict):
    """A spotter (base call) with the most spots in the window."""

    spotter: str | None
    spotter_entity: str | None
    spotter_continent: str | None
    is_skimmer: bool
    spots: int
    dx_calls: int
    bands: str
    """The bands it spotted on, comma-separated, in frequency order."""
    last_spot: datetime


class CallSummaryRow(TypedDict):
    """One DX call's whole stored history in a line."""

    dx_call: str
    dx_entity: str | None
    dx_continent: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    spots: int
    spotters: int


class CountRow(TypedDict):
    """How many spots one value (a band, a mode, a spotter continent) had, and when last."""

    value: str | None
    spots: int
    last_spot: datetime


class NodeRow(TypedDict):
    """What the collector last wrote about one node (table `node_status`)."""

    node: str
    host: str
    port: int
    software: str | None
    logged_in: bool
    connected_since: datetime | None
    last_line_at: datetime | None
    lines: int
    spots: int
    rejects: int
    overflows: int
    reconnects: int
    last_error: str | None
    lines_per_minute: float | None
    probes: int
    gaps: int
    missed: int
    updated_at: datetime
    gaps_24h: int
    """Gaps back-fill could not close in the last 24 hours (table `collector_gaps`)."""
    missed_24h: int
    last_gap_from: datetime | None
    last_gap_to: datetime | None


class CollectorRow(TypedDict):
    """One collector process (table `collector_status`)."""

    collector: str
    started_at: datetime
    spool_bytes: int
    queue_lines: int
    lines: int
    lost_lines: int
    spool_cap_bytes: int | None
    spool_full: bool
    lost_at: datetime | None
    updated_at: datetime


class SolarRow(TypedDict):
    """One WWV or WCY report (table `solar_reports`)."""

    kind: str
    report_time: datetime
    reporter: str
    sfi: int | None
    a_index: int | None
    k_index: int | None
    expk: int | None
    r: int | None
    sa: str | None
    gmf: str | None
    aurora: str | None
    forecast: str | None
    node: str | None
    received_at: datetime


class SummaryRow(TypedDict):
    """Totals: an estimate of all stored spots, exact counts of the last hour and day."""

    spots_estimate: int
    spots_last_hour: int
    spots_last_day: int
    dx_calls_last_day: int
    spotters_last_day: int
    first_spot: datetime | None
    last_spot: datetime | None
    nodes: int
    nodes_logged_in: int
    rejected_last_day: int
    simulated: bool
    """The built-in simulated node (`dxspots up` without a callsign) is logged in and reported
    within the last minute: the spots are made up, not from a real cluster."""
    country_file_missing: bool
    """The collector that reported last has no country file, so new spots get no entity or
    continent (false when no collector has reported)."""
    spots_without_entity_last_day: int
    """Spots of the last day with no DXCC entity (no country file then, or an unknown prefix)."""


class SpotCountRow(TypedDict):
    """How many spots pass the filters in the window."""

    spots: int


class BandNormalRow(TypedDict):
    """What a band usually has in this UTC hour of the day, per 15 minutes."""

    band: str | None
    normal: float
    """Mean spots per 15 minutes in this UTC hour over the days counted (a day without spots
    on the band counts as zero)."""
    peak: float
    """The busiest of those days' hour, per 15 minutes."""
    days: int
    """The days the normal is over: as many as asked, fewer when the database is younger."""


class DxBoardRow(TypedDict):
    """One DX call on one band in the window, as a DXer reads a live list."""

    dx_call: str
    band: str | None
    freq_khz: float
    """The latest spot's."""
    mode: str | None
    """The latest spot's."""
    dx_entity: str | None
    dx_continent: str | None
    spots: int
    spotters: int
    """Distinct spotters (base calls: `KM3T-2-#` and `KM3T-#` are one)."""
    first_seen: datetime
    last_seen: datetime
    best_snr: int | None
    """The highest SNR reported (skimmers), in dB."""
    latest_comment: str
    latest_spotter: str
    is_skimmer_only: bool
    """Every spot of it was a skimmer's: no human has spotted it in the window."""


class MapPathRow(TypedDict):
    """Spots from one place to another on one band (both ends to 0.1 degree)."""

    band: str | None
    spotter_lat: float
    spotter_lon: float
    dx_lat: float
    dx_lon: float
    spots: int
    dx_calls: int
    dx_call: str
    """The latest spot's DX call (a sample)."""
    spotter: str
    """The latest spot's spotter (a sample)."""


class BandNormalHistoryRow(TypedDict):
    """How many of the asked days the hourly counts go back over (whatever the bands)."""

    days: int


class MapTotalsRow(TypedDict):
    """The window's spots, and how many of them had no coordinates and are not drawn."""

    spots: int
    left_out: int


class MessageRow(TypedDict):
    """One announcement, talk or WX message (table `announcements`)."""

    kind: str
    """As stored: `all` and `local` (announcements), `talk`, `wx`."""
    sender: str
    recipient: str | None
    """For talk: who it was sent to."""
    text: str
    sent_time: datetime
    """The line's own time when it gave one, else the minute it was received."""
    received_at: datetime
    node: str | None


class NeededRow(TypedDict):
    """A DX call on a band and mode class that an owner's log needs, with the latest spot."""

    dx_call: str
    dx_entity: str
    dx_continent: str | None
    band: str | None
    mode_class: str | None
    needed: str
    """`entity`, `band`, `mode` or `unconfirmed` (dxspots.queries.needed)."""
    spots: int
    spotters: int
    last_spot: datetime
    freq_khz: float
    mode: str | None
    comment: str


class LogOwnerRow(TypedDict):
    """One owner of imported logs (`dxspots log import --owner`)."""

    owner: str
    qsos: int
    confirmed: int
    entities: int
    """Distinct DXCC entities worked (QSOs without an entity are not counted)."""
    entities_confirmed: int
    last_import: datetime


class AlertRuleRow(TypedDict):
    """An alert rule as `dxspots alerts` loaded it (its channels by service name only)."""

    position: int
    name: str
    conditions: str
    """What a spot must be, in words ("every spot" for a rule without conditions)."""
    channels: str
    cooldown_minutes: int
    loaded_at: datetime
    source: str
    """The rules file."""


class AlertRow(TypedDict):
    """One alert on one channel: what became of it, and the spot it was for."""

    at: datetime
    rule: str
    channel: str
    outcome: str
    """`sent`, `given up` (after every try) or `dropped` (the channel's queue was full)."""
    attempts: int
    spot_id: int | None
    spot_time: datetime | None
    dx_call: str | None
    freq_khz: float | None
    band: str | None
    mode: str | None
    needed: str | None
