"""Modes: canonical names, and how a spot's mode is found from its fields, comment or frequency.

A spot's mode comes from the best evidence it carries, in this order (`detect_mode`):

1. an explicit mode field (the RBN's mode column), normalised by `normalise_mode`;
2. a mode word in the free-text comment (`mode_from_comment`);
3. the frequency (`mode_from_frequency`): first the well-known FT8 and FT4 dial
   frequencies, then the IARU band plan's CW / digital / phone segments.

Everything here runs for every spot, so the tables are bisected and the comment is read by
one precompiled regular expression. Nothing raises on odd input; unknown stays None.
"""

from __future__ import annotations

import re
from bisect import bisect_right

MODES: tuple[str, ...] = (
    "CW", "SSB", "AM", "FM", "RTTY", "PSK31", "PSK63", "PSK125", "FT8", "FT4", "JS8",
    "JT65", "JT9", "Q65", "MSK144", "FST4", "FST4W", "WSPR", "SSTV", "OLIVIA", "CONTESTIA",
    "MFSK", "HELL", "VARA", "FREEDV", "DIGI",
)  # fmt: skip
"""The canonical mode names this package produces.

`SSB` is the family: USB and LSB are reported as SSB. `PSK31` stands for plain "PSK" and
BPSK31. `DIGI` means "a data mode, which one unknown": the band plan's digital segments
give it, as do comments saying DIGI or DIGITAL. `normalise_mode` may also pass through an
unknown but mode-like token from an explicit field (`C4FM`, `DSTAR`), upper-cased.
"""

MODE_ALIASES: dict[str, str] = {
    **{mode: mode for mode in MODES},
    "A1A": "CW", "CWT": "CW",
    "USB": "SSB", "LSB": "SSB", "PHONE": "SSB", "PH": "SSB",
    "NFM": "FM",
    "PSK": "PSK31", "BPSK": "PSK31", "BPSK31": "PSK31", "QPSK31": "PSK31",
    "BPSK63": "PSK63", "QPSK63": "PSK63", "BPSK125": "PSK125",
    "JS8CALL": "JS8",
    "JT65A": "JT65", "JT65B": "JT65", "JT65C": "JT65", "JT9A": "JT9",
    "MFSK8": "MFSK", "MFSK16": "MFSK", "MFSK32": "MFSK",
    "FELDHELL": "HELL", "HELLSCHREIBER": "HELL",
    "DIG": "DIGI", "DIGITAL": "DIGI", "DATA": "DIGI",
}  # fmt: skip
"""Upper-case raw spellings (RBN mode column, ADIF modes and submodes, comments) to MODES."""

# Words that name a mode in a comment. Those in `_ANY_CASE` are unambiguous in any case
# ("cw", "ft8"); those in `_UPPER_ONLY` are English words or names in lower or mixed case
# ("I am", "what the hell", "Olivia"), so only their upper-case form counts. A word must
# stand alone: letters or digits on either side (CWops, FM18, AMSAT, SSBxx) disqualify it,
# while ASCII punctuation and blanks ("TKS(CW)QSL", "FT8/FT4", "RTTY-contest") separate.
# The comment is split into words with C-speed bytes operations and checked against one
# set, so the common comment with no mode word costs well under a microsecond.
_ANY_CASE: dict[bytes, str] = {
    word.encode(): MODE_ALIASES[word]
    for word in (
        "FT8", "FT4", "CW", "CWT", "SSB", "USB", "LSB", "RTTY", "PSK", "BPSK", "PSK31",
        "BPSK31", "PSK63", "BPSK63", "PSK125", "BPSK125", "JS8", "JS8CALL", "SSTV", "MSK144",
        "Q65", "JT65", "JT9", "FST4", "FST4W", "WSPR", "MFSK", "DIGI", "DIGITAL", "FREEDV",
        "CONTESTIA",
    )
}  # fmt: skip
_UPPER_ONLY: dict[bytes, str] = {
    word.encode(): word for word in ("AM", "FM", "HELL", "VARA", "OLIVIA")
}
# "FT-8", "FT 8", "JT-65": the prefix alone is a hit, then joined with the number after it.
_SPLIT_PREFIXES = frozenset((b"FT", b"JT"))
_COMMENT_WORDS = frozenset(_ANY_CASE) | frozenset(_UPPER_ONLY) | _SPLIT_PREFIXES
_SEPARATORS = bytes.maketrans(b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", b" " * 32)
_MODE_TOKEN_RE = re.compile(r"[A-Z0-9]{1,8}")

# FT8 and FT4 dial frequencies (kHz) from WSJT-X's default frequency list. A decoded
# signal sits 0-3 kHz above the dial (the audio passband), so a spot counts from the dial
# to 3 kHz above it. DXpedition (Fox/Hound) and region-specific extras are left out: they
# move from one expedition to the next and would claim RTTY and CW frequencies.
_DIAL_WINDOW_KHZ = 3.0
_DIALS: tuple[tuple[float, str], ...] = tuple(
    sorted(
        [(dial, "FT8") for dial in (
            1_840.0, 3_573.0, 5_357.0, 7_074.0, 10_136.0, 14_074.0, 18_100.0, 21_074.0,
            24_915.0, 28_074.0, 50_313.0, 50_323.0, 70_154.0, 144_174.0, 222_174.0,
            432_174.0, 1_296_174.0,
        )]
        + [(dial, "FT4") for dial in (
            3_575.0, 7_047.5, 10_140.0, 14_080.0, 18_104.0, 21_140.0, 24_919.0, 28_180.0,
            50_318.0, 144_170.0,
        )]
    )
)  # fmt: skip
_DIAL_STARTS = tuple(dial for dial, _ in _DIALS)
_DIAL_MODES = tuple(mode for _, mode in _DIALS)

# IARU Region 1 band plan, reduced to the mode a spot in each segment most likely uses:
# (lower kHz, upper kHz, mode), inclusive, sorted, not overlapping; a frequency on a shared
# edge takes the upper segment. Beacon segments (IBP 14100, 18110, 21150, 24930, 28200,
# VHF/UHF beacons) are CW. Frequencies in no segment (60 m, 10 m above 29 MHz but below the
# FM repeaters, VHF all-mode and FM sections, microwaves) have no mode. Where Region 2 draws
# the phone edge higher (40 m 7125, 20 m 14150, 17 m 18110, 15 m 21200) US stations'
# CW and data spots between the edges come out as SSB; their comments or RBN field usually
# settle it before the band plan is consulted.
_PLAN: tuple[tuple[float, float, str], ...] = (
    (472.0, 475.0, "CW"), (475.0, 479.0, "DIGI"),
    (1_800.0, 1_838.0, "CW"), (1_838.0, 1_843.0, "DIGI"), (1_843.0, 2_000.0, "SSB"),
    (3_500.0, 3_570.0, "CW"), (3_570.0, 3_600.0, "DIGI"), (3_600.0, 4_000.0, "SSB"),
    (7_000.0, 7_040.0, "CW"), (7_040.0, 7_060.0, "DIGI"), (7_060.0, 7_300.0, "SSB"),
    (10_100.0, 10_130.0, "CW"), (10_130.0, 10_150.0, "DIGI"),
    (14_000.0, 14_070.0, "CW"), (14_070.0, 14_099.0, "DIGI"), (14_099.0, 14_101.0, "CW"),
    (14_101.0, 14_112.0, "DIGI"), (14_112.0, 14_350.0, "SSB"),
    (18_068.0, 18_095.0, "CW"), (18_095.0, 18_109.0, "DIGI"), (18_109.0, 18_111.0, "CW"),
    (18_111.0, 18_120.0, "DIGI"), (18_120.0, 18_168.0, "SSB"),
    (21_000.0, 21_070.0, "CW"), (21_070.0, 21_120.0, "DIGI"), (21_120.0, 21_151.0, "CW"),
    (21_151.0, 21_450.0, "SSB"),
    (24_890.0, 24_915.0, "CW"), (24_915.0, 24_929.0, "DIGI"), (24_929.0, 24_931.0, "CW"),
    (24_931.0, 24_990.0, "SSB"),
    (28_000.0, 28_070.0, "CW"), (28_070.0, 28_150.0, "DIGI"), (28_150.0, 28_300.0, "CW"),
    (28_300.0, 29_000.0, "SSB"), (29_520.0, 29_700.0, "FM"),
    (50_000.0, 50_100.0, "CW"), (50_100.0, 50_300.0, "SSB"), (50_300.0, 50_400.0, "DIGI"),
    (70_000.0, 70_090.0, "CW"),
    (144_000.0, 144_110.0, "CW"), (144_150.0, 144_400.0, "SSB"), (144_400.0, 144_490.0, "CW"),
    (432_000.0, 432_100.0, "CW"), (432_100.0, 432_400.0, "SSB"), (432_400.0, 432_490.0, "CW"),
    (1_296_000.0, 1_296_150.0, "CW"), (1_296_150.0, 1_296_800.0, "SSB"),
    (1_296_800.0, 1_296_994.0, "CW"),
)  # fmt: skip
_PLAN_STARTS = tuple(lower for lower, _, _ in _PLAN)
_PLAN_ENDS = tuple(upper for _, upper, _ in _PLAN)
_PLAN_MODES = tuple(mode for _, _, mode in _PLAN)


def normalise_mode(text: str) -> str | None:
    """Return the canonical name for a raw mode value (`USB` -> `SSB`, `BPSK31` -> `PSK31`).

    Case and surrounding blanks are ignored. A value that is not a known spelling but looks
    like a mode token (letters and digits, at most 8, at least one letter) comes back
    upper-cased; anything else (blank, punctuation, a number) gives None.
    """
    upper = text.strip().upper()
    mode = MODE_ALIASES.get(upper)
    if mode is not None:
        return mode
    if _MODE_TOKEN_RE.fullmatch(upper) is None or upper.isdigit():
        return None
    return upper


def mode_from_comment(comment: str) -> str | None:
    """Return the mode a free-text comment names, or None; the leftmost mode word wins.

    USB and LSB give `SSB`, PSK and BPSK31 give `PSK31`, JS8CALL gives `JS8`, CWT (the
    CWops test) gives `CW`. AM, FM, HELL, VARA and OLIVIA count only in upper case.
    """
    data = comment.encode("latin-1", "replace").translate(_SEPARATORS)
    upper_words = data.upper().split()
    hits = _COMMENT_WORDS.intersection(upper_words)
    if not hits:
        return None
    if len(hits) == 1:  # the usual case: one mode word, maybe repeated
        hit = next(iter(hits))
        mode = _ANY_CASE.get(hit)
        if mode is not None:
            return mode
        if hit in _UPPER_ONLY:  # "AM" counts, "am" and "Am" do not
            return _UPPER_ONLY[hit] if hit in data.split() else None
    words = data.split()  # bytes.upper() maps byte for byte, so the lists line up
    for index, upper in enumerate(upper_words):
        mode = _ANY_CASE.get(upper) or _UPPER_ONLY.get(words[index])
        if mode is not None:
            return mode
        if upper in _SPLIT_PREFIXES and index + 1 < len(upper_words):
            mode = _ANY_CASE.get(upper + upper_words[index + 1])
            if mode is not None:
                return mode
    return None


def mode_from_frequency(freq_khz: float) -> str | None:
    """Return the mode a frequency in kHz suggests, or None when the band plan is silent.

    Within 3 kHz above an FT8 or FT4 dial frequency the answer is that mode; elsewhere it
    is the IARU Region 1 band plan's CW, DIGI, SSB or FM for the segment. NaN, infinities
    and negative values give None.
    """
    index = bisect_right(_DIAL_STARTS, freq_khz) - 1
    if index >= 0 and freq_khz - _DIAL_STARTS[index] <= _DIAL_WINDOW_KHZ:
        return _DIAL_MODES[index]
    index = bisect_right(_PLAN_STARTS, freq_khz) - 1
    if index < 0 or not freq_khz <= _PLAN_ENDS[index]:
        return None
    return _PLAN_MODES[index]


def detect_mode(comment: str, freq_khz: float, explicit: str | None = None) -> str | None:
    """Return a spot's mode from the best evidence: explicit field, then comment, then frequency.

    `explicit` is a raw mode value such as the RBN's mode column; it wins when
    `normalise_mode` accepts it.
    """
    if explicit:
        mode = normalise_mode(explicit)
        if mode is not None:
            return mode
    if comment:
        mode = mode_from_comment(comment)
        if mode is not None:
            return mode
    return mode_from_frequency(freq_khz)
