"""Measure how often dxspots.cty agrees with an established cty.dat implementation.

The reference is pyhamtools' ``Callinfo`` (call dismantling: exact calls, /MM, /AM, /QRP,
/B, call-area digits, prefix/call) over a ``LookupLib(lookuptype="countryfile")`` whose
cty.plist is built offline from the same cty.dat by ctyparser's ``BigCty.import_dat``.
Neither of those packages shares code with dxspots, so the comparison covers both the
parsing and the lookup rules. Both sides get the call after `base_call` (pyhamtools does
not strip the skimmer ``-#`` suffix itself).

Calls come from the real cluster lines in shared/data/lines (DX and spotter calls of
``DX de`` and ``CC11`` lines), a sample of ``=`` exact calls of the country file, every
alias prefix turned into a call (``DL`` → ``DL1ABC``, ``3B9`` → ``3B9ABC``) and portable
forms built from a sample of prefixes (``EA8/DL1ABC``, ``DL1ABC/EA8``, ``UA9ABC/3``, ...).

Run from the repository root (needs pyhamtools and ctyparser, dev-only)::

    .venv/bin/python -m bench.cty_agreement
    .venv/bin/python -m bench.cty_agreement --cty ../shared/data/cty/bigcty.dat --no-wae
"""

from __future__ import annotations

import argparse
import json
import plistlib
import random
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from dxspots.cty import CountryFile, Entity, base_call

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
SPOT_RE = re.compile(r"DX de ([A-Za-z0-9/#@-]+):?\s+\d+\.\d+\s+([A-Za-z0-9/]+)")
CC11_RE = re.compile(r"CC11\^[\d.]+\^([A-Za-z0-9/]+)\^[^^]*\^[^^]*\^[^^]*\^([A-Za-z0-9/#@-]+)\^")
HOME_PREFIX_RE = re.compile(r"[0-9]?[A-Z]{1,2}[0-9]?")  # prefixes that start ordinary calls
HOMES = ("DL1ABC", "W1AW", "JA1XYZ", "PA3ABC", "G4ABC", "VK2ABC", "UA9ABC", "LU1ABC")
SUFFIXES = ("P", "M", "A", "B", "QRP", "LH", "MM", "AM")
HAND_PICKED = (
    "DL/PA3ABC", "PA3ABC/P", "PA3ABC/QRP", "PA3ABC/A", "AB8Z/B", "PA3ABC/LH", "W1AW/4",
    "VP2V/W1ABC", "W1ABC/MM", "W1ABC/AM", "KH6/N0XYZ", "W1AW/KH6", "JA1ABC/6", "UA9ABC/1",
    "DL/PA3ABC/P", "DK8NE-#", "KM3T-2-#", "DL1ABC-7", "3B9FR", "RW1M", "UA9XYZ", "K2GT/P",
    "K2GT/4", "OH/DL1ABC", "EA8/DL1ABC/P", "RV0AL/0/P", "E73ABC/9", "IT9ABC/4",
)  # fmt: skip

Answer = tuple[str, str, int, int, int] | None  # name, continent, CQ, ITU, ADIF


def collect_calls(cty_text: str, lines_dir: Path, sample: int, seed: int) -> dict[str, str]:
    """Return call → where it came from, in a stable order."""
    rnd = random.Random(seed)
    calls: dict[str, str] = {}

    def add(group: str, items: Iterable[str]) -> None:
        for item in items:
            calls.setdefault(item, group)

    for path in sorted(lines_dir.glob("*.txt")):
        text = path.read_text("latin-1")
        for regex in (SPOT_RE, CC11_RE):
            add("spot lines", (c for m in regex.finditer(text) for c in m.groups()))
    tokens = re.findall(r"(=?[A-Z0-9/]+)[^,;\s]*[,;]", cty_text)
    exact = sorted({t[1:] for t in tokens if t.startswith("=")})
    prefixes = sorted({t for t in tokens if not t.startswith("=")})
    add("exact calls", rnd.sample(exact, min(sample, len(exact))))
    add("prefix+1ABC", (p + ("ABC" if p[-1].isdigit() else "1ABC") for p in prefixes))
    picked = rnd.sample(prefixes, min(sample // 4, len(prefixes)))
    portable = [f"{p}/{rnd.choice(HOMES)}" for p in picked]
    portable += [f"{rnd.choice(HOMES)}/{p}" for p in picked]
    homes = [p for p in prefixes if HOME_PREFIX_RE.fullmatch(p)]
    portable += [f"{p}{'' if p[-1].isdigit() else '1'}ABC/{rnd.randint(0, 9)}" for p in homes]
    portable += [f"{rnd.choice(HOMES)}/{rnd.choice(SUFFIXES)}" for _ in picked]
    add("portable", portable)
    add("hand-picked", HAND_PICKED)
    return calls


def reference_lookup(cty_path: Path, workdir: Path) -> Callable[[str], Answer]:
    """Build the pyhamtools lookup over a cty.plist made by ctyparser from ``cty_path``."""
    import pyhamtools  # type: ignore[import-untyped]
    from ctyparser.bigcty import BigCty
    from pyhamtools import Callinfo, LookupLib

    cty = BigCty()
    cty.import_dat(cty_path)
    plist = {
        key: {
            "Country": value["entity"].removesuffix(" (not DXCC)"),
            "Prefix": value["primary_pfx"],
            "CQZone": value["cq"],
            "ITUZone": value["itu"],
            "Continent": value["continent"],
            "Latitude": value["lat"],
            "Longitude": value["long"],  # +W, as in AD1C's cty.plist; pyhamtools flips it
            "GMTOffset": value["tz"],
            "ExactCallsign": value["exact_match"],
        }
        for key, value in cty.items()
    }
    plist_path = workdir / "cty.plist"
    plist_path.write_bytes(plistlib.dumps(plist))
    package_mapping = Path(pyhamtools.__file__).with_name("countryfilemapping.json")
    mapping = json.loads(package_mapping.read_text())
    for entry in plist.values():
        mapping.setdefault(entry["Country"], -1)  # names newer than pyhamtools' table
    mapping_path = workdir / "countryfilemapping.json"
    mapping_path.write_text(json.dumps(mapping))

    class LocalCountryFile(LookupLib):  # type: ignore[misc]
        def _load_countryfile(self, *args: Any, **kwargs: Any) -> bool:
            kwargs["country_mapping_filename"] = str(mapping_path)
            return bool(super()._load_countryfile(*args, **kwargs))

    info = Callinfo(LocalCountryFile(lookuptype="countryfile", filename=str(plist_path)))

    def lookup(call: str) -> Answer:
        try:
            data = info.get_all(base_call(call))
        except KeyError:
            return None
        if data.get("adif") in {998, 999}:  # pyhamtools' maritime / aeronautical mobile
            return None
        return data["country"], data["continent"], data["cqz"], data["ituz"], data["adif"]

    return lookup


class FileFacts:
    """What the classifier needs to know about the country file, read with plain regexes."""

    def __init__(self, cty_text: str) -> None:
        """Collect WAE names, prefixes also listed as exact calls, and clashing primaries."""
        records = [r.split(":") for r in cty_text.split(";") if r.count(":") >= 8]
        self.wae_names = {r[0].strip() for r in records if r[7].strip().startswith("*")}
        tokens = set(re.findall(r"(=?[A-Z0-9/]+)[^,;\s]*(?=[,;])", cty_text))
        self.prefix_and_exact = {t for t in tokens if f"={t}" in tokens}
        aliases = {
            r[0].strip(): set(re.findall(r"(?<![=A-Z0-9/])([A-Z0-9]+)", r[8])) for r in records
        }
        self.primaries = {  # primary prefixes that are an alias of another entity
            r[7].strip().lstrip("*"): r[0].strip()
            for r in records
            if any(r[7].strip().lstrip("*") in a for n, a in aliases.items() if n != r[0].strip())
        }


def classify(call: str, ours: Answer, theirs: Answer, facts: FileFacts) -> str:
    """Name the reason for one disagreement (see docs/cty-agreement.md)."""
    parts = [p for p in base_call(call).split("/") if p]
    if len(parts) > 1 and parts[-1].isdigit() and len(parts[-1]) == 1:
        if re.match(r"(?:A[A-L]|[KNW][A-Z]?)[0-9]", parts[0]):
            return "call-area digit on a US call: we go to the mainland district"
        return "call-area digit: we replace it, pyhamtools never does"
    if parts[-1] in {"MM", "AM"}:
        return "=CALL/MM listed in cty.dat (pyhamtools answers 'maritime mobile' first)"
    if ours and theirs and ours[0] in facts.wae_names and theirs[0] not in facts.wae_names:
        return "exact call under a WAE entity and its parent (ctyparser keeps the last)"
    if ours and theirs and theirs[0] in facts.wae_names and ours[0] not in facts.wae_names:
        return "WAE-only entity left out (--no-wae, the DXCC view)"
    if ours and theirs and any(p.startswith(x) for p in parts for x in facts.prefix_and_exact):
        return "prefix also listed as =call (ctyparser keeps one entry per string)"
    if (
        ours
        and theirs
        and ours[0] != theirs[0]
        and any(call.startswith(p) and theirs[0] == n for p, n in facts.primaries.items())
    ):
        return "primary prefix that is another entity's alias (ctyparser keeps the primary)"
    if len(parts) == 2 and len(parts[0]) == len(parts[1]):
        return "equal-length parts (we take the left like Tlf, pyhamtools the right)"
    if len(parts) == 2 and theirs is None and max(len(p) for p in parts) > 4:
        return "location part longer than 4 characters (pyhamtools gives up)"
    if len(parts) == 2 and re.fullmatch(r"[A-Z]{3,}", parts[1]):
        return "all-letter suffix that is a cty.dat prefix (NLD: Kuwait)"
    if len(parts) == 1 and theirs is None:
        return "call shape pyhamtools rejects"
    if len(parts) > 1 and ours and theirs:
        return "modifier stripped, then =exact call (pyhamtools: prefix only)"
    return "other"


def describe(entity: Entity | None) -> Answer:
    """Reduce our entity to the fields compared."""
    if entity is None:
        return None
    return entity.name, entity.continent, entity.cq_zone, entity.itu_zone, entity.adif or -1


def field_match(ours: Answer, theirs: Answer, index: int) -> bool:
    """Compare one field; two None answers agree, one None disagrees."""
    if ours is None or theirs is None:
        return ours is theirs
    return ours[index] == theirs[index]


def main() -> None:
    """Parse arguments, run both lookups over every call and print the agreement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cty", type=Path, default=SHARED / "cty" / "cty.dat")
    parser.add_argument("--csv", type=Path, default=SHARED / "cty" / "cty.csv")
    parser.add_argument("--lines", type=Path, default=SHARED / "lines")
    parser.add_argument("--sample", type=int, default=4000, help="exact calls to sample")
    parser.add_argument("--seed", type=int, default=20260714)
    parser.add_argument("--wae", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--show", type=int, default=5000, help="disagreements to list")
    args = parser.parse_args()

    ours = CountryFile.load(args.cty, args.csv, wae=args.wae)
    cty_text = args.cty.read_text("latin-1")
    calls = collect_calls(cty_text, args.lines, args.sample, args.seed)
    with tempfile.TemporaryDirectory() as workdir:
        theirs = reference_lookup(args.cty, Path(workdir))
        rows = [
            (call, group, describe(ours.lookup(call)), theirs(call))
            for call, group in calls.items()
        ]

    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("pyhamtools", "ctyparser"))
    print(f"country file {args.cty} (version {ours.version}), WAE entities {args.wae}")
    print(f"reference: {versions}")
    print(f"{'group':<14}{'calls':>7}{'entity':>9}{'cont':>9}{'CQ':>9}{'ITU':>9}{'all':>9}")
    groups = Counter(group for _, group, _, _ in rows)
    for group in [*groups, "total"]:
        picked = [r for r in rows if group in {"total", r[1]}]
        rates = [
            100 * sum(field_match(o, t, i) for _, _, o, t in picked) / len(picked) for i in range(4)
        ]
        full = sum(all(field_match(o, t, i) for i in range(4)) for _, _, o, t in picked)
        cells = "".join(f"{rate:>8.2f}%" for rate in [*rates, 100 * full / len(picked)])
        print(f"{group:<14}{len(picked):>7}{cells}")
    adif_pairs = [(o[4], t[4]) for _, _, o, t in rows if o and t and o[0] == t[0] and t[4] != -1]
    adif_same = sum(a == b for a, b in adif_pairs)
    print(f"ADIF (cty.csv vs pyhamtools' name table, same entity): {adif_same}/{len(adif_pairs)}")

    facts = FileFacts(cty_text)
    differing = [
        (classify(call, own, ref, facts), call, group, own, ref)
        for call, group, own, ref in rows
        if not all(field_match(own, ref, i) for i in range(4))
    ]
    print(f"\n{len(differing)} disagreements, by reason")
    for reason, count in Counter(d[0] for d in differing).most_common():
        print(f"{count:>6}  {reason}")
    print("\ncall, group: ours | theirs")
    for reason, call, group, own, ref in sorted(differing)[: args.show]:
        print(f"  {call:<16} {group:<12} {own and own[:4]} | {ref and ref[:4]}   [{reason[:30]}]")


if __name__ == "__main__":
    main()
