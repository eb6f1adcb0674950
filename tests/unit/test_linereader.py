"""Framing a node's byte stream into lines."""

from __future__ import annotations

from collector.linereader import LineReader


def test_crlf_split_across_packets_and_lone_prompts() -> None:
    reader = LineReader()
    assert reader.feed(b"login: ") == []
    assert reader.pending == "login: "
    reader.clear()
    assert reader.feed(b"DX de K1ABC: 14025.0 DL1ABC cq 2259Z\x07\x07\r") == []
    assert reader.feed(b"\nWWV de VE7CC <0") == [
        ("DX de K1ABC: 14025.0 DL1ABC cq 2259Z\x07\x07\r", False)
    ]
    assert reader.feed(b"9>: SFI=1\n") == [("WWV de VE7CC <09>: SFI=1", False)]


def test_latin1_bytes_are_kept() -> None:
    assert LineReader().feed("tnx Jürgen Ørsted\r\n".encode("latin-1")) == [
        ("tnx Jürgen Ørsted\r", False)
    ]


def test_an_endless_line_is_one_bad_line_and_the_stream_goes_on() -> None:
    reader = LineReader(max_line=100)
    out = []
    for _ in range(50):
        out += reader.feed(b"X" * 1000)  # 50 kB without a newline
    out += reader.feed(b"XXXX\r\nnext line\r\n")
    assert out == [("X" * 100, True), ("next line\r", False)]
    assert reader.overflows == 1


def test_many_lines_in_one_packet() -> None:
    assert [line for line, _ in LineReader().feed(b"a\nb\r\n\nc\n")] == ["a", "b\r", "", "c"]


def test_a_long_line_whose_end_comes_later_is_cut_too() -> None:
    reader = LineReader(max_line=100)
    assert reader.feed(b"Y" * 90) == []
    assert reader.feed(b"Y" * 60 + b"\nok\n") == [("Y" * 100, True), ("ok", False)]
    assert reader.overflows == 1
