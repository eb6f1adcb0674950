"""What a spot's comment reports: a skimmer's reading, or a human's signal report.

Every wire format that carries a spot (a `DX de` line, an `sh/dx` row, CC11) reads its comment
here, so the same spot comes out with the same fields whichever way it arrived. Whether a spot
is a skimmer's is never read from the comment: the spotter's `-#` says so (the RBN, CW Skimmer,
DXSpider, AR-Cluster and CC Cluster all mark skimmers that way). The comment only says what the
skimmer, or the human, measured.

A skimmer's comment is read in the two forms nodes send:

- the RBN's raw report, as its telnet server prints it between the DX call and the time:
  `CW    24 dB  22 WPM  CQ`, `RTTY  -3 dB  45 BPS  CQ`, `FT8  -12 dB  FN42  CQ`: an optional
  mode column, the SNR in dB, then a speed (WPM for CW, BPS for RTTY) or the DX's grid (FT8),
  then the spot type (`CQ`, `DX`, `BEACON`, `NCDXF B`); some nodes collapse the padding
  (`CW 30 dB 23 WPM CQ`) or drop the mode column. AR-Cluster's "DX extension" (`set/dx
  extension`) appends its own fields about the DX station after the report (`... CQ  MA`):
  state, ARRL section, zones, a `+` for LoTW. They are the node's, not the skimmer's, so they
  are split off the comment (they stay in the line's `raw`); a US state or Canadian province
  among them is the DX's state, as AR-Cluster's column just before the time is.
- DXSpider's curated form: `CW  23dB Q:9* Z:20` (mode, SNR, a quality and the zones that
  heard it); read for mode and SNR, kept whole as the comment.

A human's comment is the human's: only a signal report written the way digital-mode software
prints it, a mode word then a signed number of dB at the start (`FT8 -12 dB`, `ft8 +03db
tnx`), is read, into `snr_db`. Nothing else is taken from free text (`20 dB over S9` is not
an SNR). The mode itself is left to enrichment, which reads it from the comment for every
path alike.
"""

from __future__ import annotations

import re

from dxspots.parse.fields import STATES

_RBN_RE = re.compile(
    r"(?:([A-Z][A-Z0-9]{1,7})\s+)?([-+]?\d{1,3})\s?dB"
    r"(?:\s+(?:(\d{1,4})\s?(WPM|BPS)|([A-R]{2}\d\d(?:[A-X]{2})?)))?"
    r"(?:\s+(NCDXF B|BEACON|CQ|DX))?"
    r"((?:\s+[A-Z0-9+/-]{1,10}){1,8})?\s*$"
)
"""The raw RBN report, then at most eight short upper-case words a node appended to it."""
_CURATED_RE = re.compile(r"([A-Z][A-Z0-9]{1,7})\s+([-+]?\d{1,3})dB\s+Q:\d+[*+]*(?:\s+Z:[\d,]+)?")
"""DXSpider's curated RBN report."""
_HUMAN_RE = re.compile(r"([A-Za-z][A-Za-z0-9]{1,5})\s+([-+]?\d{1,2})\s?[dD][bB](?:\s|$)")

HUMAN_REPORT_MODES = frozenset(
    ["CW", "RTTY", "PSK31", "PSK63", "PSK125", "BPSK31", "FT8", "FT4", "JT65", "JT9", "JS8",
     "Q65", "FST4", "MSK144", "WSPR"]
)  # fmt: skip
"""Modes whose operators report a received signal as an SNR in dB (`FT8 -12 dB`)."""

SkimmerReport = tuple[
    str, str | None, int, int | None, int | None, str | None, str | None, str | None, bool
]
"""(comment, mode, snr_db, wpm, bps, spot_type, locator, dx_state, raw_form)."""


def read_skimmer_report(comment: str) -> SkimmerReport | None:
    """Read a skimmer's stripped comment as a raw RBN or a curated DXSpider report.

    Returns the comment to keep (the report without a node's extension fields), the fields
    read, the DX's state when an extension gave one, and whether the report had the raw RBN
    form (the only form a node sends without a `Z` on its time). None when it is neither form.
    """
    rbn = _RBN_RE.match(comment)
    if rbn is not None:
        mode, snr_text, speed_text, unit, locator, spot_type, extension = rbn.groups()
        wpm = bps = None
        if speed_text is not None:
            if unit == "WPM":
                wpm = int(speed_text)
            else:
                bps = int(speed_text)
        dx_state = None
        if extension is not None:
            comment = comment[: rbn.start(7)]
            dx_state = next((word for word in extension.split() if word in STATES), None)
        return comment, mode, int(snr_text), wpm, bps, spot_type, locator, dx_state, True
    curated = _CURATED_RE.match(comment)
    if curated is not None:
        return comment, curated[1], int(curated[2]), None, None, None, None, None, False
    return None


def read_human_snr(comment: str) -> int | None:
    """The SNR a human's stripped comment reports (`FT8 -12 dB ...`), or None."""
    report = _HUMAN_RE.match(comment)
    if report is None or report[1].upper() not in HUMAN_REPORT_MODES:
        return None
    return int(report[2])


CommentFields = tuple[
    str, str | None, int | None, int | None, int | None, str | None, str | None, str | None
]
"""(comment, mode, snr_db, wpm, bps, spot_type, locator, dx_state)."""


def read_comment(comment: str, is_skimmer: bool) -> CommentFields:
    """Read a stripped comment as a skimmer's report or a human's, for formats (`sh/dx`,
    CC11) that carry no more about the spot's kind than the spotter's call."""
    if is_skimmer:
        report = read_skimmer_report(comment)
        if report is not None:
            return report[:8]
        return comment, None, None, None, None, None, None, None
    return comment, None, read_human_snr(comment), None, None, None, None, None
