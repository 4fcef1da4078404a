"""Speakable text: what of an answer is spoken, the same whatever pieces it arrives in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from pathlib import Path
import random

import pytest

from custom_components.qwen_tts_realtime.realtime.speakable import (
    Speakable,
    speakable_chunks,
    speakable_text,
)
from custom_components.qwen_tts_realtime.realtime.timing import MAX_HELD_CHARS

# Answers in the styles of common conversation agents (`NAME.md`) and what is spoken of each
# (`NAME.txt`), both without the file's final line break.
CORPUS = Path(__file__).parents[1] / "data" / "speakable"
CASES = sorted(CORPUS.glob("*.md"))


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8").removesuffix("\n")


def answer(case: Path) -> str:
    return read(case)


def spoken(case: Path) -> str:
    return read(case.with_suffix(".txt"))


def in_pieces(pieces: Iterable[str]) -> str:
    """Feed `pieces` one by one, checking the bound on held text after each; return the output."""
    cleaner = Speakable()
    out = []
    for piece in pieces:
        out.append(cleaner.feed(piece))
        assert cleaner.held <= MAX_HELD_CHARS
    return "".join(out) + cleaner.finish()


def random_cuts(text: str, rnd: random.Random) -> list[str]:
    """Cut `text` into pieces of 1 to 12 characters, like an LLM's deltas."""
    pieces = []
    i = 0
    while i < len(text):
        size = rnd.randint(1, 12)
        pieces.append(text[i : i + size])
        i += size
    return pieces


def test_the_corpus_has_english_and_chinese_answers() -> None:
    assert {case.stem.split("_")[0] for case in CASES} >= {"en", "zh"}
    assert all(case.with_suffix(".txt").exists() for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.stem)
def test_the_corpus_is_spoken_as_expected(case: Path) -> None:
    assert speakable_text(answer(case)) == spoken(case)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.stem)
def test_splitting_an_answer_anywhere_changes_nothing(case: Path) -> None:
    text = answer(case)

    for cut in range(len(text) + 1):
        assert in_pieces([text[:cut], text[cut:]]) == spoken(case), cut


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.stem)
def test_any_pieces_change_nothing(case: Path) -> None:
    text = answer(case)
    rnd = random.Random(case.stem)

    assert in_pieces(text) == spoken(case)  # one character at a time
    for _ in range(100):
        assert in_pieces(random_cuts(text, rnd)) == spoken(case)


# Markup fragments, and runs longer than the held bound, for answers no model would write.
FRAGMENTS = [
    "\n", " ", "  ", "\t", "\r", "-", "*", "**", "_", "__", "~", "~~", "`", "```", "~~~", "#",
    "## ", "> ", "|", "| ", "---", "===", "[", "]", "(", ")", "![", "](", "[1]", "[^2]", "[ ]",
    "[x]", "[1]:", "<", ">", "<b>", "</b>", "<br>", "<think>", "</think>", "<thin", "</thi",
    "<https://a.b/c>", "https://", "http://", "www.", "h", "w", "ht", "example.com", "/path",
    "?q=1", ".", ",", "!", "?", ":", "1.", "2)", "12", "3.5", "2*3", "a_b", "1️⃣", "😀", "👍🏽",
    "👨‍👩‍👧", "🇬🇧", "\u200d", "\ufe0f", "\\", "\\*", "•", "word", "kitchen", "灯", "，", "。",
    "-" * 70, " " * 70, "<span " + "x" * 70, "https://" + "a" * 70, "`" * 70, "#" * 70,
    "*" * 70, "[" + "1" * 70, "|" + "-|" * 40, "[" + "x" * 70 + "]:",
]  # fmt: skip


def test_splitting_any_markup_anywhere_changes_nothing() -> None:
    rnd = random.Random(22)
    for _ in range(300):
        text = "".join(rnd.choice(FRAGMENTS) for _ in range(rnd.randint(1, 25)))
        whole = speakable_text(text)

        assert in_pieces(text) == whole, text
        for cut in range(len(text) + 1):
            assert in_pieces([text[:cut], text[cut:]]) == whole, (text, cut)


@pytest.mark.parametrize("case", ["en_plain", "zh_plain"])
def test_plain_text_goes_on_unchanged_at_once(case: Path) -> None:
    text = answer(CORPUS / f"{case}.md")
    deltas = [text[i : i + 3] for i in range(0, len(text), 3)]
    cleaner = Speakable()

    assert [cleaner.feed(delta) for delta in deltas] == deltas
    assert cleaner.finish() == ""


async def test_a_stream_goes_on_piece_by_piece_as_soon_as_decided() -> None:
    async def deltas() -> AsyncIterator[str]:
        for delta in ["Hello **wor", "ld**! See h", "ttps://x.com/a", " ok", "ay 👍"]:
            yield delta

    assert [piece async for piece in speakable_chunks(deltas())] == [
        "Hello wor",
        "ld! See ",  # "h" may start a web address: it waits
        "x.com",
        " ok",
        "ay ",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Say **bold**, *italic*, __bold__, _italic_", "Say bold, italic, bold, italic"),
        ("~~old~~ new", "old new"),
        ("2*3 = 6, and 2 * 3 = 6", "2*3 = 6, and 2 * 3 = 6"),
        ("Set light.kitchen_lights", "Set light.kitchen lights"),
        ("~20 minutes, 18~26 °C", "~20 minutes, 18~26 °C"),
        ("Run `ha core restart` now", "Run ha core restart now"),
        ("# Today\nSunny.", "Today.\nSunny."),
        ("## Why?\nBecause.", "Why?\nBecause."),
        ("#1 priority, #hashtag", "#1 priority, #hashtag"),
        ("- one\n* two\n+ three\n• four", "one.\ntwo.\nthree.\nfour."),
        ("- Done!\n- Closed (both)", "Done!\nClosed (both)."),
        ("- a\n  - nested", "a.\nnested."),
        ("- a\r\n- b", "a.\nb."),
        ("-5 °C outside", "-5 °C outside"),
        ("1) first\n2. second", "1. first.\n2. second."),
        ("1️⃣ Preheat the oven", "1. Preheat the oven."),
        ("1、打开灯\n2.关窗", "1、打开灯。\n2.关窗。"),
        ("2026 was warm. 3.5 kg", "2026 was warm. 3.5 kg"),
        ("- [x] Buy milk\n- [ ] Call Bob", "Buy milk.\nCall Bob."),
        ("> Tip: drink water.", "Tip: drink water."),
        ("- 打开客厅灯", "打开客厅灯。"),
        ("**Ingredients**\n- flour", "Ingredients.\nflour."),
        ("| a | b |\n|---|:-:|\n| 1 | 2 |", "a, b.\n1, 2."),
        ("| 房间 | 温度 |\n| --- | --- |\n| 客厅 | 24°C |", "房间，温度。\n客厅，24°C。"),
        ("Before:\n```yaml\nkey: value\n```\nAfter.", "Before:\nAfter."),
        ("~~~\ncode\n~~~\nok", "ok"),
        ("Here:\n```\nx = 1", "Here:\n"),
        ("A\n\n---\n\nB\n***\nC", "A\n\n\nB\nC"),
        ("Title\n=====\nText", "Title\nText"),
        ("See [the docs](https://example.com/a_(b)).", "See the docs."),
        ("![a chart](https://x.com/c.png)Done.", "Done."),
        ("It is sunny.[1][^2]", "It is sunny."),
        ("Sunny.\n[1]: https://example.com\nok", "Sunny.\nok"),
        ("See https://www.example.com/a/b?c=d.", "See example.com."),
        ("Visit www.example.com today", "Visit example.com today"),
        ("(https://en.wikipedia.org/wiki/Foo_(bar))", "(en.wikipedia.org)"),
        ("At **https://example.com/a** now", "At example.com now"),
        ("访问https://www.home-assistant.io了解", "访问home-assistant.io了解"),
        ("Go to <https://example.com/x>", "Go to example.com"),
        ("21<sup>°C</sup><br>Humidity <b>45%</b>", "21°C Humidity 45%"),
        ("<speak>Hi</speak>", "<speak>Hi</speak>"),
        ("a < b and x<5", "a < b and x<5"),
        ("<think>The user wants it on.</think>It is on.", "It is on."),
        ("Good night 🌙 sleep well", "Good night sleep well"),
        ("Hi 👍🏽👨‍👩‍👧🇬🇧🏴󠁧󠁢󠁥󠁮󠁧󠁿 ok", "Hi ok"),
        ("✅ Done\n💡 Lights: off", "Done.\nLights: off."),
        ("Home Assistant™ © 2025‼", "Home Assistant™ © 2025‼"),
        ("क्‍ष", "क्‍ष"),  # a ZWJ between letters stays
        ("\\*not bold\\*", "*not bold*"),
        ("Great![2]", "Great!"),
        ("It's 12:30; a well-known, 3.5-hour trip.", "It's 12:30; a well-known, 3.5-hour trip."),
        ("你好，世界！今天１８℃。", "你好，世界！今天１８℃。"),
        ("Line one\nLine two", "Line one\nLine two"),
    ],
)
def test_what_is_spoken(text: str, expected: str) -> None:
    assert speakable_text(text) == expected


# Hostile text no markdown parser expects: lone surrogates, right-to-left text and marks,
# combining marks, joiners without emoji, and markup nested or left open at the end.
HOSTILE = [
    "\ud800", "\udfff", "\u200d", "\u200c", "\u0301", "\u0300" * 5, "e\u0301", "שלום", "مرحبا",
    "\u202e", "\u200f", "**" * 40, "[" * 40, "<" * 40, "<b" * 40, "```", "~~~", "](", "(", ")",
    "\n", " ", "https://", "![", "<think>", "|", "1.", "a", "灯", "\\", "_", "😀",
]  # fmt: skip


def test_hostile_text_is_cleaned_the_same_in_any_pieces_and_never_grows() -> None:
    rnd = random.Random(7)
    for _ in range(300):
        text = "".join(rnd.choice(HOSTILE) for _ in range(rnd.randint(1, 30)))
        whole = speakable_text(text)

        # Only a period per line and a comma per table cell are ever added.
        assert len(whole) <= len(text) + text.count("\n") + text.count("|") + 1, text
        assert in_pieces(text) == whole, text
        assert in_pieces(random_cuts(text, rnd)) == whole, text


@pytest.mark.parametrize(
    "text",
    ["a" * 1_000_000, "**" * 100_000, "[" * 100_000, "<b" * 100_000, "\u200d" * 100_000],
    ids=["no_newline", "emphasis", "brackets", "tags", "joiners"],
)
def test_megabytes_without_a_line_break_hold_no_more_than_the_bound(text: str) -> None:
    assert in_pieces(random_cuts(text, random.Random(3))) == speakable_text(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Run this:\n```python\nprint(1)\n", "Run this:\n"),
        ("See [the docs](https://example.com/a", "See the docs"),
    ],
    ids=["fence_left_open", "link_left_open"],
)
def test_a_stream_that_ends_inside_markup_ends_cleanly(text: str, expected: str) -> None:
    assert in_pieces(text) == speakable_text(text) == expected
