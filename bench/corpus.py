"""A synthetic but realistic stream of cluster lines for benchmarks (deterministic).

Mixed, roughly as a busy node with skimmer spots on: 65 % RBN skimmer lines, 33 % human DX de
lines (some with grids, states, long frequencies), 2 % other lines: announcements and prompts,
and WWV/WCY at one in ten of those (a node sends a few dozen reports a day, against
hundreds of thousands of spots).
Calls are drawn from 20,000 distinct DX calls over real prefixes, so the country-file cache
sees misses as it would on a live feed.
"""

from __future__ import annotations

import random

PREFIXES = [
    "DL",
    "DK",
    "DJ",
    "DF",
    "G",
    "M",
    "F",
    "EA",
    "I",
    "IK",
    "OK",
    "OM",
    "SP",
    "HA",
    "YO",
    "LZ",
    "UA",
    "RA",
    "R",
    "UR",
    "UT",
    "SM",
    "OH",
    "LA",
    "OZ",
    "PA",
    "ON",
    "HB9",
    "OE",
    "S5",
    "9A",
    "YU",
    "E7",
    "Z3",
    "SV",
    "4X",
    "K",
    "W",
    "N",
    "AA",
    "KB",
    "VE",
    "VA",
    "XE",
    "CO",
    "KP4",
    "HI",
    "YV",
    "PY",
    "LU",
    "CE",
    "CX",
    "OA",
    "HC",
    "HK",
    "JA",
    "JH",
    "JE",
    "BV",
    "BY",
    "HL",
    "VU",
    "9M",
    "YB",
    "DU",
    "VK",
    "ZL",
    "ZS",
    "5Z",
    "5N",
    "EA8",
    "CT3",
    "TF",
    "JW",
    "EI",
    "GI",
    "GM",
    "GW",
    "CN",
    "SU",
    "A6",
    "A7",
    "HZ",
    "4L",
    "EK",
    "EX",
    "UN",
    "VR2",
    "XV",
]
SKIMMERS = [
    f"{p}{d}{s}-#"
    for p, d, s in zip(
        ["DK", "W3", "K1", "G4", "OH6", "JA1", "VE7", "LZ3", "F8", "EA5"] * 6,
        "1234567890" * 6,
        ["XYZ", "LPL", "TTT", "ZFE", "BG", "ABC", "CC", "CB", "DGY", "WU"] * 6,
        strict=True,
    )
]
MODES_FREQS = [
    ("CW", (1810, 1840)),
    ("CW", (3500, 3560)),
    ("CW", (7000, 7040)),
    ("CW", (10100, 10130)),
    ("CW", (14000, 14070)),
    ("CW", (18068, 18095)),
    ("CW", (21000, 21070)),
    ("CW", (28000, 28070)),
    ("RTTY", (14080, 14099)),
    ("FT8", (14074, 14077)),
    ("FT8", (7074, 7077)),
]
COMMENTS = [
    "",
    "599 tnx",
    "up 2",
    "CQ DX",
    "FT8 -12 dB",
    "QSX 14.205",
    "JN48QT<ES>IM98",
    "tnx QSO 73",
    "LSB",
    "POTA K-1234",
    "IOTA EU-052",
    "CWops",
    "pse QSL via LoTW",
]


NAMES = ["Bob", "Jim", "Hans", "Yuri", "Kenji", "Ana", "Luis", "Pete", "Ole", "Marco"]
TEMPLATES = [
    "tnx {name} 73", "{rst} {name}", "QSL via {call}", "up {n}", "POTA K-{n4}", "{mode} {snr} dB",
    "IOTA EU-{n3}", "{rst} in {grid}", "tnx QSO {name}", "QSX {qsx}", "{grid}<ES>{grid2}",
    "CQ {cont}", "nice signal {rst}", "{mode} tnx {name}", "pse QRZ {n} up", "SOTA {call}/{n3}",
]  # fmt: skip


def make_comment(rng: random.Random, calls: list[str]) -> str:
    """A comment as people write them: half a stock phrase, half with names and numbers."""
    if rng.random() < 0.5:
        return rng.choice(COMMENTS)
    return rng.choice(TEMPLATES).format(
        name=rng.choice(NAMES), rst=rng.choice(["599", "579", "559", "59+10", "5NN"]),
        call=rng.choice(calls), n=rng.randint(1, 9), n3=f"{rng.randint(1, 999):03d}",
        n4=f"{rng.randint(1, 9999):04d}", mode=rng.choice(["CW", "FT8", "SSB", "RTTY"]),
        snr=rng.randint(-20, 20), grid=f"JO{rng.randint(10, 99)}", grid2=f"FN{rng.randint(10, 99)}",
        cont=rng.choice(["EU", "NA", "JA", "DX"]), qsx=f"14.{rng.randint(100, 350)}",
    )  # fmt: skip


def make_calls(
    rng: random.Random, count: int, prefixes: list[str] | tuple[str, ...] = PREFIXES
) -> list[str]:
    """Invent `count` distinct plausible callsigns over real prefixes (`PREFIXES` or given)."""
    calls: set[str] = set()
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    while len(calls) < count:
        prefix = rng.choice(prefixes)
        digit = "" if prefix[-1].isdigit() else str(rng.randrange(10))
        suffix = "".join(rng.choice(letters) for _ in range(rng.randint(1, 3)))
        call = prefix + digit + suffix
        if rng.random() < 0.03:
            call += rng.choice(["/P", "/M", "/QRP"])
        calls.add(call)
    return sorted(calls)


MIXES = {"mixed": (0.65, 0.98), "rbn": (1.0, 1.0), "human": (0.0, 1.0)}
"""Cumulative shares of (RBN skimmer lines, + human DX de lines); the rest is other lines."""


def make_lines(count: int, seed: int = 1, mix: str = "mixed") -> list[str]:
    """Build `count` lines as a node would send them, in one of the `MIXES`."""
    rbn_share, spot_share = MIXES[mix]
    rng = random.Random(seed)
    calls = make_calls(rng, 20_000)
    spotters = make_calls(rng, 2_000)
    lines = []
    for i in range(count):
        hhmm = f"{(i // 600) % 24:02d}{(i // 10) % 60:02d}"
        roll = rng.random()
        mode, (low, high) = rng.choice(MODES_FREQS)
        freq = rng.uniform(low, high)
        dx = rng.choice(calls)
        if roll < rbn_share:
            speed = (
                f"{rng.randint(12, 40):>2} WPM"
                if mode == "CW"
                else ("45 BPS" if mode == "RTTY" else "JO62 ")
            )
            lines.append(
                f"DX de {rng.choice(SKIMMERS) + ':':<10}{freq:>8.1f}  {dx:<13}  {mode:<4} "
                f"{rng.randint(-20, 40):>3} dB  {speed}  "
                f"{rng.choice(['CQ', 'CQ', 'CQ', 'DX', 'BEACON']):<7} {hhmm}Z"
            )
        elif roll < spot_share:
            tail = rng.choice(["", "", " JO62", " WI", " FN20"])
            lines.append(
                f"DX de {rng.choice(spotters) + ':':<10}{freq:>8.1f}  {dx:<12} "
                f"{make_comment(rng, calls):<30} {hhmm}Z{tail}\x07\x07"
            )
        elif rng.random() < 0.1:
            lines.append(f"WWV de VE7CC <{hhmm[:2]}>:   SFI=113, A=18, K=2, No Storms -> No Storms")
        elif rng.random() < 0.5:
            lines.append(f"To ALL de {rng.choice(spotters)}: pse QSY {rng.randint(1, 9)} up")
        else:
            lines.append(f"{rng.choice(spotters)} de GB7DJK 27-Nov-2026 {hhmm}Z dxspider >")
    return lines
