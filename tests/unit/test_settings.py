"""Settings: validation messages name the setting, and the docs list exactly the settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dxspots.settings import (
    ENV_PREFIX,
    NodeConfig,
    Settings,
    SettingsError,
    load_settings,
    unknown_settings,
)

REPO = Path(__file__).resolve().parents[2]
ALL_SETTINGS = {ENV_PREFIX + name.upper() for name in Settings.model_fields}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ALL_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_every_setting_is_in_env_example() -> None:
    text = (REPO / ".env.example").read_text()
    assert set(re.findall(r"^#?(DXSPOTS_[A-Z_]+)=", text, re.M)) == ALL_SETTINGS


def test_every_setting_is_in_configuration_doc() -> None:
    text = (REPO / "docs" / "configuration.md").read_text()
    assert set(re.findall(r"^\| `(DXSPOTS_[A-Z_]+)`", text, re.M)) == ALL_SETTINGS


def test_every_node_field_is_documented() -> None:
    """Each field of a `DXSPOTS_NODES` object: in the setting's row of configuration.md, in
    .env.example's comment, and in collector.md's table of node fields."""
    fields = set(NodeConfig.model_fields)
    config = (REPO / "docs" / "configuration.md").read_text()
    (row,) = re.findall(r"^\| `DXSPOTS_NODES` .*$", config, re.M)
    assert set(re.findall(r'"(\w+)"', row)) >= fields
    example = (REPO / ".env.example").read_text()
    comment = example[: example.index("#DXSPOTS_NODES=")].rsplit("\n\n", 1)[-1]
    assert fields <= set(re.findall(r"\w+", comment))
    collector = (REPO / "docs" / "collector.md").read_text()
    table = collector[collector.index("## Nodes") :].split("\n\n")[2]
    assert fields <= set(re.findall(r"`(\w+)`", table))


def test_defaults() -> None:
    settings = load_settings()
    assert settings.database_url is None and settings.nodes == [] and settings.callsign is None
    assert settings.data_dir == Path("data")


def test_nodes_as_host_port_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DXSPOTS_NODES", "dxc.example.org:7300, [::1]:7000")
    nodes = load_settings().nodes
    assert [(n.name, n.host, n.port) for n in nodes] == [
        ("dxc.example.org:7300", "dxc.example.org", 7300),
        ("::1:7000", "::1", 7000),
    ]


def test_nodes_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "DXSPOTS_NODES",
        '[{"name": "rbn", "host": "127.0.0.1", "port": 7000, "commands": ["set/skimmer"]}]',
    )
    (node,) = load_settings().nodes
    assert (node.name, node.port, node.commands) == ("rbn", 7000, ("set/skimmer",))


@pytest.mark.parametrize(
    "call", ["DL1ABC", "VP2V/W1ABC", "W1AW/4", "DL1ABC-7", "9K2/K2SES", "4X4AA"]
)
def test_real_callsigns_are_accepted(monkeypatch: pytest.MonkeyPatch, call: str) -> None:
    monkeypatch.setenv("DXSPOTS_CALLSIGN", call.lower())
    assert load_settings().callsign == call


def test_empty_cty_path_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DXSPOTS_CTY_PATH", "")
    assert load_settings().cty_path is None


@pytest.mark.parametrize(
    ("name", "field", "default"),
    [("DXSPOTS_API_PORT", "api_port", 8080), ("DXSPOTS_DASHBOARD_REFRESH", "dashboard_refresh",
     10.0), ("DXSPOTS_NODES", "nodes", []), ("DXSPOTS_API_CORS_ORIGINS", "api_cors_origins", [])],
)  # fmt: skip
def test_an_empty_value_is_the_default(
    monkeypatch: pytest.MonkeyPatch, name: str, field: str, default: object
) -> None:
    """As compose passes a setting .env does not set: `NAME=` must not be an error."""
    monkeypatch.setenv(name, "")
    assert getattr(load_settings(), field) == default


def test_unknown_settings_are_named(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DXSPOTS_CALLSGN=DL1ABC\nPOSTGRES_PASSWORD=x\n")
    environ = {"DXSPOTS_NODE": "x", "DXSPOTS_DATA_DIR": "d", "DXSPOTS_TEST_DATABASE_URL": "y"}
    assert unknown_settings(environ, tmp_path / ".env") == ["DXSPOTS_CALLSGN", "DXSPOTS_NODE"]


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DXSPOTS_CALLSIGN=dl1abc\nDXSPOTS_LOG_LEVEL=debug\n")
    settings = load_settings()
    assert (settings.callsign, settings.log_level) == ("DL1ABC", "DEBUG")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DXSPOTS_CALLSIGN", "N0CALL", "DXSPOTS_CALLSIGN: N0CALL is a placeholder"),
        ("DXSPOTS_CALLSIGN", "hello world", "DXSPOTS_CALLSIGN: 'HELLO WORLD' does not look like"),
        ("DXSPOTS_CALLSIGN", "HELLO", "DXSPOTS_CALLSIGN: 'HELLO' does not look like"),
        ("DXSPOTS_NODES", "nohostport", "DXSPOTS_NODES: expected host:port"),
        ("DXSPOTS_NODES", '[{"name": "x", "host": "h", "port": 99999}]', "DXSPOTS_NODES[0][port]"),
        ("DXSPOTS_NODES", "[not json", "DXSPOTS_NODES"),
        ("DXSPOTS_DATABASE_URL", "mysql://x", "DXSPOTS_DATABASE_URL: expected a postgresql://"),
        ("DXSPOTS_LOG_LEVEL", "LOUD", "DXSPOTS_LOG_LEVEL: expected DEBUG"),
        ("DXSPOTS_RETENTION_DAYS", "-30", "DXSPOTS_RETENTION_DAYS: Input should be greater"),
        ("DXSPOTS_RETENTION_DAYS", "0", "DXSPOTS_RETENTION_DAYS: Input should be greater"),
        ("DXSPOTS_RETENTION_DAYS", "a year", "DXSPOTS_RETENTION_DAYS: Input should be a valid"),
    ],
)
def test_bad_values_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert message in str(caught.value)


def test_several_bad_values_are_reported_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DXSPOTS_CALLSIGN", "N0CALL")
    monkeypatch.setenv("DXSPOTS_LOG_LEVEL", "LOUD")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "DXSPOTS_CALLSIGN" in str(caught.value) and "DXSPOTS_LOG_LEVEL" in str(caught.value)


def test_lookup_urls_default_to_qrz_and_hamqth() -> None:
    assert load_settings().lookup_urls == {
        "QRZ.com": "https://www.qrz.com/db/{call}",
        "HamQTH": "https://www.hamqth.com/{call}",
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" QRZ=https://qrz.example/db/{call} , Club=http://club.example/?q={call}&x=1 ",
         {"QRZ": "https://qrz.example/db/{call}", "Club": "http://club.example/?q={call}&x=1"}),
        ("none", {}),
    ],
)  # fmt: skip
def test_lookup_urls_are_read_in_order(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: dict[str, str]
) -> None:
    monkeypatch.setenv("DXSPOTS_LOOKUP_URLS", value)
    found = load_settings().lookup_urls
    assert found == expected and list(found) == list(expected)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("QRZ=https://qrz.example/db/", "'https://qrz.example/db/' has no {call}"),
        ("QRZ=https://qrz.example/{{call}}", "has no {call}"),
        ("QRZ=ftp://qrz.example/{call}", "is not an http:// or https:// URL"),
        ("QRZ=javascript:alert('{call}')", "is not an http:// or https:// URL"),
        ("QRZ=/db/{call}", "is not an http:// or https:// URL"),
        ("QRZ=https://qrz.example/{call}/{page}", "may hold only {call}"),
        ("https://qrz.example/{call}", "expected name=URL"),
    ],
)
def test_bad_lookup_urls_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("DXSPOTS_LOOKUP_URLS", value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "DXSPOTS_LOOKUP_URLS" in str(caught.value) and message in str(caught.value)


def test_archive_dir_defaults_to_the_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DXSPOTS_DATA_DIR", "/srv/dx")
    settings = load_settings()
    assert settings.retention_days is None
    assert settings.archive_path == Path("/srv/dx/archive")
    monkeypatch.setenv("DXSPOTS_ARCHIVE_DIR", "/mnt/cold")
    monkeypatch.setenv("DXSPOTS_RETENTION_DAYS", "400")
    settings = load_settings()
    assert (settings.archive_path, settings.retention_days) == (Path("/mnt/cold"), 400)
