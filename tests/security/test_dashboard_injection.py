"""Markdown and HTML injection into the dashboard (issue 11, finding 8).

A crafted dashboard link (a bad `band`, `mode`, continent, prefix or call) and text stored
from strangers (a spot's band, entity, comment, node) must show as text: no link, image,
colour, formula or HTML element may come out of them. Streamlit renders an element's body
in the browser, so these tests check the body it is sent: parsed as CommonMark it must be one
paragraph of plain text that reads as the outside text, hold none of the constructs
Streamlit's renderer adds (GitHub autolinks, `:colour[...]`, `:material/...:`, `$...$`),
and the band tiles' HTML must hold no element but the tiles' own. The browser test
(tests/e2e/test_dashboard_browser.py) checks what Chromium draws from the same attacks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from dashboard.literal import literal
from dashboard.views.live import tile
from tests.conftest import login_role
from tests.e2e.test_dashboard import app, no_errors
from tests.spotset import make_spots, store

LINK = "[Log in again](https://evil.example/)"
PIXEL = "![x](https://evil.example/p.png)"
SCRIPT = "<img src=x onerror=alert(1)>"
STREAMLIT = ":red[big] :material/home: :smile: $x^2$ **bold** `code` ~~gone~~"
AUTOLINKS = "see https://evil.example/x or www.evil.example or me@evil.example"
BLOCKS = "text\n\n# Heading\n- item\n    indented\n| a | b |\n|---|---|\n> quote"
PAYLOADS = [LINK, PIXEL, SCRIPT, STREAMLIT, AUTOLINKS, "\\" + LINK, "a`b" + PIXEL + "`"]
ADDRESS_KEYS = ("band", "mode", "spotter_continent", "dx_continent", "dx_prefix")

MARKDOWN = MarkdownIt("commonmark").enable(["strikethrough", "table"])
WORD_JOINER = "\u2060"
# What GitHub's autolink literal finds in plain text (mdast-util-gfm-autolink-literal).
AUTOLINK_RE = re.compile(r"(?i)(https?://|www\.|[-.\w+]+@[-\w]+\.)")
# Streamlit's own syntax: colour and other directives, icons and emoji, LaTeX.
STREAMLIT_SYNTAX_RE = re.compile(r"(?<!\\):(?=[\w/])|(?<!\\)\$")


def shown_text(body: str) -> str:
    """The text a Markdown body shows, asserting that it is nothing but text.

    One paragraph of text and line breaks; no link, image, HTML, emphasis or code; nothing
    an autolink would take; none of Streamlit's directives, icons or formulas.
    """
    tokens = MARKDOWN.parse(body)
    assert [t.type for t in tokens] in (
        [],
        ["paragraph_open", "inline", "paragraph_close"],
    ), body
    if not tokens:
        return ""
    text = []
    for child in tokens[1].children or []:
        assert child.type in ("text", "softbreak", "hardbreak"), (child.type, body)
        text.append(child.content if child.type == "text" else "\n")
    shown = "".join(text)
    assert AUTOLINK_RE.search(shown) is None, body
    assert STREAMLIT_SYNTAX_RE.search(body) is None, body
    return shown.replace(WORD_JOINER, "")


def quoted(value: str) -> str:
    """How an error message starts to quote `value` (it may cut a long one short)."""
    return repr(value[:30])[:-1]


def as_text(value: str) -> str:
    """What `value` looks like shown on one line per line of it."""
    return "\n".join(line.strip() for line in value.splitlines() if line.strip())


@pytest.mark.parametrize("payload", [*PAYLOADS, BLOCKS])
def test_literal_is_the_text_and_nothing_else(payload: str) -> None:
    assert shown_text(literal(payload)) == as_text(payload)


def test_literal_cuts_long_text_and_blanks_control_characters() -> None:
    shown = shown_text(literal(LINK * 1000))
    assert shown.endswith("…") and len(shown) == 301
    assert shown_text(literal("A\x1b[31mB\u202eC\x00D")) == "A [31mB C D"


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def elements(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("band", [SCRIPT, '"><img src=x onerror=alert(1)>', LINK])
def test_a_band_tile_shows_a_hostile_band_name_as_text(band: str) -> None:
    found = elements(tile(band, 3, 1))
    assert {tag for tag, _ in found.tags} == {"div", "span"}
    assert found.tags[0][1]["data-band"] == band
    assert band in found.text


@pytest.mark.parametrize("payload", PAYLOADS)
def test_crafted_address_values_show_as_text_in_every_warning(
    db_dsn: str, monkeypatch: pytest.MonkeyPatch, payload: str
) -> None:
    """The attack: a link to the dashboard whose every filter, and the DX page's call,
    carry Markdown, HTML or an autolink."""
    at = app(db_dsn, monkeypatch, **dict.fromkeys(ADDRESS_KEYS, payload), dx_call=payload)
    at.run()
    no_errors(at)
    warnings = [shown_text(w.value) for w in at.sidebar.warning]
    assert len(warnings) == len(ADDRESS_KEYS), warnings
    for key, warning in zip(ADDRESS_KEYS, warnings, strict=True):
        assert key in warning and quoted(payload) in warning, (key, warning)
    at.switch_page("views/dx.py").run()
    no_errors(at)
    assert len(at.sidebar.warning) == len(ADDRESS_KEYS)
    assert all(shown_text(w.value) for w in at.sidebar.warning)
    [call] = [shown_text(w.value) for w in at.main.warning]
    assert quoted(payload.upper()) in call and "not a callsign" in call


HOSTILE = {
    "band": SCRIPT, "dx_entity": LINK + " " + PIXEL, "dx_continent": STREAMLIT,
    "comment": AUTOLINKS, "node": SCRIPT, "spotter_continent": "EU",
}  # fmt: skip


@pytest.fixture
def hostile_dsn(db_dsn: str) -> Iterator[str]:
    """The test spots, and two spots whose stored text is hostile (as a node could send)."""
    now = datetime.now(UTC)
    store(db_dsn, make_spots(now))
    stored = make_spots(now, count=2, seed=11)[:2]
    hostile = [
        spot._replace(dx_call="VP8EVL", spot_time=now - timedelta(minutes=2 + i), **HOSTILE)
        for i, spot in enumerate(stored)
    ]
    assert store(db_dsn, hostile) == 2
    with login_role(db_dsn, "dxspots_reader") as reader:
        yield reader


def test_hostile_stored_text_shows_as_text(
    hostile_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(hostile_dsn, monkeypatch, dx_call="VP8EVL").run()
    no_errors(at)
    tiles = [b.value for b in at.markdown if "dx-tiles" in b.value]
    assert len(tiles) == 1
    found = elements(tiles[0])
    assert {tag for tag, _ in found.tags} <= {"style", "div", "span"}
    assert [a["data-band"] for tag, a in found.tags if tag == "div" and "data-band" in a].count(
        SCRIPT
    ) == 1
    for block in at.markdown:
        if block.value is not tiles[0]:
            assert "evil.example" not in block.value and SCRIPT not in block.value
    at.switch_page("views/dx.py").run()
    no_errors(at)
    captions = [shown_text(c.value) for c in at.caption]
    assert f"{HOSTILE['dx_entity']}, {HOSTILE['dx_continent']}" in captions
    at.switch_page("views/propagation.py").run()
    no_errors(at)
