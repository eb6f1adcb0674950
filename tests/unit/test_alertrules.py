"""Alert rules (dxspots/alertrules.py): the file checked at start with errors naming the rule
and field, and each condition matching what it says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dxspots.alertrules import RulesError, load_rules, parse_rules

RULES = """
[defaults]
cooldown_minutes = 20
channels = ["json://127.0.0.1:9/hook"]

[[rule]]
name = "Bouvet"
calls = ["3y0*", "3Y/?*"]
bands = ["20M", "40m"]

[[rule]]
name = "New ones for me"
owner = "dl9zz"
needed = ["entity", "Band"]
spotter_continents = ["eu"]
skimmer = false
comment_words = ["UP", "split"]
channels = ["mailto://127.0.0.1:2525?from=dx@example.org&to=me@example.org"]
cooldown_minutes = 60

[[rule]]
name = "Loud FT8 from zone 14"
modes = ["ft8"]
spotter_cq_zones = [14]
min_snr = 10

[[rule]]
name = "Any CW to Africa"
mode_classes = ["cw"]
dx_continents = ["AF"]
entities = ["bouvet"]
"""

SPOT: dict[str, Any] = {
    "dx_call": "3Y0J", "band": "20m", "mode": "CW", "dx_entity": "Bouvet",
    "dx_continent": "AF", "spotter_continent": "EU", "spotter_cq_zone": 14, "is_skimmer": False,
    "snr_db": None, "comment": "QSX up 2",
}  # fmt: skip


def test_a_good_file_with_its_defaults() -> None:
    rules = parse_rules(RULES)
    bouvet, mine, ft8, africa = rules.rule
    assert bouvet.calls == ["3Y0*", "3Y/?*"] and bouvet.bands == ["20m", "40m"]
    assert rules.cooldown(bouvet) == 20 and rules.channels(bouvet) == ["json://127.0.0.1:9/hook"]
    assert rules.cooldown(mine) == 60 and rules.channels(mine)[0].startswith("mailto://")
    assert mine.owner == "DL9ZZ" and mine.needed == ["entity", "band"]
    assert ft8.modes == ["FT8"] and africa.mode_classes == ["CW"]


def test_each_condition_matches_what_it_says() -> None:
    bouvet, mine, ft8, africa = parse_rules(RULES).rule
    assert bouvet.matches(SPOT)
    assert bouvet.matches(SPOT | {"dx_call": "3Y/LA9XX"})
    assert not bouvet.matches(SPOT | {"dx_call": "3Y"})  # 3Y/?* wants a character after /
    assert not bouvet.matches(SPOT | {"band": "15m"})
    assert mine.matches(SPOT, needed="band") and not mine.matches(SPOT, needed="mode")
    assert not mine.matches(SPOT, needed=None)
    assert not mine.matches(SPOT | {"is_skimmer": True}, needed="entity")
    assert not mine.matches(SPOT | {"comment": "upper"}, needed="entity")  # a word, not a part
    assert not mine.matches(SPOT | {"spotter_continent": "NA"}, needed="entity")
    loud = SPOT | {"mode": "FT8", "snr_db": 12}
    assert ft8.matches(loud) and not ft8.matches(loud | {"snr_db": 9})
    assert not ft8.matches(loud | {"snr_db": None})
    assert not ft8.matches(loud | {"spotter_cq_zone": 5})
    assert africa.matches(SPOT) and not africa.matches(SPOT | {"mode": "SSB"})
    assert not africa.matches(SPOT | {"dx_entity": None})


def test_a_rule_without_conditions_matches_every_spot() -> None:
    (everything,) = parse_rules('[[rule]]\nname = "all"\nchannels = ["json://127.0.0.1:9/"]').rule
    assert everything.matches({}) and everything.matches(SPOT)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[rule]]\nname = "x"\nbands = ["21m"]\nchannels = ["json://h/"]',
         "rule 1 ('x'): bands: unknown band '21m'"),
        ('[[rule]]\nname = "a"\nchannels = ["json://h/"]\n[[rule]]\nname = "b"\nmodez = ["CW"]',
         "rule 2 ('b'): modez: Extra inputs are not permitted"),
        ('[[rule]]\nname = "n"\nneeded = ["entity"]\nchannels = ["json://h/"]',
         "rule 1 ('n'): needed: give owner"),
        ('[[rule]]\nname = "n"\nneeded = ["dxcc"]\nowner = "X1X"\nchannels = ["json://h/"]',
         "rule 1 ('n'): needed: 'dxcc' is not one of"),
        ('[[rule]]\nname = "c"', "rule 1 ('c'): channels: none, and no default"),
        ('[[rule]]\nname = "c"\ncalls = ["3Y[0]"]\nchannels = ["json://h/"]',
         "calls: '3Y[0]' is not a call pattern"),
        ('[[rule]]\nname = "s"\nmin_snr = "loud"\nchannels = ["json://h/"]',
         "rule 1 ('s'): min_snr"),
        ('[[rule]]\nname = "d"\nchannels = ["json://h/"]\n'
         '[[rule]]\nname = "d"\nchannels = ["json://h/"]',
         "rule 2 ('d'): name: rule 1 has it too"),
        ("[[rule]]\nname = ", "not TOML"),
        ('[defaults]\ncooldown_minutes = -1', "defaults.cooldown_minutes"),
        ('[[rule]]\nchannels = ["json://h/"]', "rule 1: name: Field required"),
    ],
)  # fmt: skip
def test_mistakes_name_the_rule_and_field(text: str, message: str) -> None:
    with pytest.raises(RulesError) as error:
        parse_rules(text, "alerts.toml")
    assert str(error.value).startswith("alerts.toml: ") and message in str(error.value)


def test_the_file_is_read_once_with_its_name_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text(RULES)
    assert len(load_rules(path).rule) == 4
    with pytest.raises(RulesError, match="cannot be read"):
        load_rules(tmp_path / "missing.toml")
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(RulesError, match="cannot be read"):
        load_rules(path)


def test_each_rule_is_described_in_words_for_the_dashboard() -> None:
    bouvet, mine, ft8, africa = parse_rules(RULES).rule
    assert bouvet.describe() == "calls 3Y0*, 3Y/?*; bands 20m, 40m"
    assert mine.describe() == (
        "spotters in EU; comment has up, split; humans only; new for DL9ZZ's log: entity, band"
    )
    assert ft8.describe() == "modes FT8; spotters in CQ zones 14; SNR at least 10 dB"
    assert africa.describe() == "entities bouvet; mode classes CW; DX in AF"
    anything = parse_rules('[[rule]]\nname = "all"\nchannels = ["json://127.0.0.1:9/"]')
    assert anything.rule[0].describe() == "every spot"


def test_spacing_is_optional_and_bounded() -> None:
    assert parse_rules(RULES).defaults.spacing_seconds is None  # apprise's own per service
    text = RULES.replace("[defaults]\n", "[defaults]\nspacing_seconds = 0\n")
    assert parse_rules(text).defaults.spacing_seconds == 0
    with pytest.raises(RulesError, match=r"defaults\.spacing_seconds: .*greater than or equal"):
        parse_rules(RULES.replace("[defaults]\n", "[defaults]\nspacing_seconds = -1\n"))
