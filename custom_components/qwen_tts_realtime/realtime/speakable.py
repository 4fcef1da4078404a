r"""Speakable text: a conversation agent's answer without the formatting a listener cannot use.

Language models write markdown, links and emoji; read aloud, they become symbols, web addresses
and billed characters. This module alone decides what of an answer is spoken:

- Emphasis (`**`, `*`, `__`, `_`, `~~`), inline code's backticks, `[` and `]`, HTML tags: dropped,
  their words kept (a tag this module does not know, such as SSML's `<speak>`, stays). A `*`
  between two ASCII letters or digits (`2*3`) or between spaces stays, as does a single `~`
  (`~20 min`); an `_` inside a word (`kitchen_lights`) becomes a space.
- Headings, bullets, task boxes (`[ ]`, `[x]`) and quote markers: dropped. A numbered item keeps
  its number (`1.`; `1)` and a keycap `1️⃣` become `1.`), so that a step can be referred to.
- Tables: the separator row is dropped and each row is read as its cells, separated by commas
  (any `|` between words becomes one).
- A heading, list item, table row, or a line led by an emoji or emphasis, ends as a sentence: a
  period (`。` after Chinese) is added when it ends without punctuation, for the pause.
- Fenced code blocks (```` ``` ```` or `~~~`) are dropped whole: code and configuration read aloud
  help no listener, and the words around a block say what it is. Horizontal rules are dropped.
- Links `[text](url)`: their text. Images `![alt](url)`, citations `[1]`, `[^1]` and a line that
  defines one (`[1]: https://…`): dropped.
- Bare web addresses (`https://…`, `www.…`): the site's name (`example.com`), without the path.
- A reasoning model's `<think>…</think>`: dropped with what is inside.
- Emoji and pictographs, with their ZWJ sequences, skin tones, variation selectors, flags and tag
  sequences: dropped. A keycap keeps its digit; © ® ™ ‼ ⁉ stay.
- Backslash escapes (`\\*`): the escaped character, as is.

Everything else passes unchanged: words, numbers, decimals, times, units, apostrophes, hyphens,
Chinese and full-width punctuation, line breaks. Text without markup comes out as it went in;
where an emoji was dropped between words, one space is left.

Streamed text goes on as soon as it is decided: plain text at once. A character that may start
markup (a `*`, a line's first `-` or digits, a `<`, a word starting like `https://`) is held until
the characters after it decide, at most `MAX_HELD_CHARS` (a construct still undecided then is
decided from what it holds). The output does not depend on where the text was split: feeding an
answer in any pieces gives what `speakable_text()` gives for the whole.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable, Callable
from enum import Enum, auto
import re
from typing import Final

from .timing import MAX_HELD_CHARS

# Extended_Pictographic (Unicode 16), less © ® ™ ‼ ⁉ (text symbols and punctuation, which stay).
_PICTOGRAPHS: Final = (
    (0x2139, 0x2139), (0x2194, 0x2199), (0x21A9, 0x21AA), (0x231A, 0x231B), (0x2328, 0x2328),
    (0x2388, 0x2388), (0x23CF, 0x23CF), (0x23E9, 0x23F3), (0x23F8, 0x23FA), (0x24C2, 0x24C2),
    (0x25AA, 0x25AB), (0x25B6, 0x25B6), (0x25C0, 0x25C0), (0x25FB, 0x25FE), (0x2600, 0x2605),
    (0x2607, 0x2612), (0x2614, 0x2685), (0x2690, 0x2705), (0x2708, 0x2712), (0x2714, 0x2714),
    (0x2716, 0x2716), (0x271D, 0x271D), (0x2721, 0x2721), (0x2728, 0x2728), (0x2733, 0x2734),
    (0x2744, 0x2744), (0x2747, 0x2747), (0x274C, 0x274C), (0x274E, 0x274E), (0x2753, 0x2755),
    (0x2757, 0x2757), (0x2763, 0x2767), (0x2795, 0x2797), (0x27A1, 0x27A1), (0x27B0, 0x27B0),
    (0x27BF, 0x27BF), (0x2934, 0x2935), (0x2B05, 0x2B07), (0x2B1B, 0x2B1C), (0x2B50, 0x2B50),
    (0x2B55, 0x2B55), (0x3030, 0x3030), (0x303D, 0x303D), (0x3297, 0x3297), (0x3299, 0x3299),
    (0x1F000, 0x1F0FF), (0x1F10D, 0x1F10F), (0x1F12F, 0x1F12F), (0x1F16C, 0x1F171),
    (0x1F17E, 0x1F17F), (0x1F18E, 0x1F18E), (0x1F191, 0x1F19A), (0x1F1AD, 0x1F1E5),
    (0x1F201, 0x1F20F), (0x1F21A, 0x1F21A), (0x1F22F, 0x1F22F), (0x1F232, 0x1F23A),
    (0x1F23C, 0x1F23F), (0x1F249, 0x1F3FA), (0x1F400, 0x1F53D), (0x1F546, 0x1F64F),
    (0x1F680, 0x1F6FF), (0x1F774, 0x1F77F), (0x1F7D5, 0x1F7FF), (0x1F80C, 0x1F80F),
    (0x1F848, 0x1F84F), (0x1F85A, 0x1F85F), (0x1F888, 0x1F88F), (0x1F8AE, 0x1F8FF),
    (0x1F90C, 0x1F93A), (0x1F93C, 0x1F945), (0x1F947, 0x1FAFF), (0x1FC00, 0x1FFFD),
    # Check and cross marks outside the set, used like emoji.
    (0x2713, 0x2713), (0x2717, 0x2718),
)  # fmt: skip
# Parts of emoji sequences, never spoken: variation selectors, the keycap mark, skin tones,
# regional indicators (flags) and tags (subdivision flags).
_COMPONENTS: Final = (
    (0xFE0E, 0xFE0F), (0x20E3, 0x20E3), (0x1F3FB, 0x1F3FF), (0x1F1E6, 0x1F1FF), (0xE0020, 0xE007F),
)  # fmt: skip
_ZWJ: Final = "\u200d"  # joins emoji into one; between letters of some scripts it stays


def _char_class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


_EMOJI_CLASS: Final = _char_class(_PICTOGRAPHS) + _char_class(_COMPONENTS)
_EMOJI: Final = re.compile(f"[{_EMOJI_CLASS}]")
# Where plain text stops being plain: anything that may be markup. In a line that ends as a
# sentence, spaces too (trailing ones are dropped, so that the period follows the last word).
_STOPS_BODY: Final = r"\n*_~`\\\[\]!<|" + _EMOJI_CLASS
_WEB_START: Final = r"|(?<![A-Za-z0-9])[hHwW]"
_STOPS: Final = re.compile(f"[{_STOPS_BODY}]{_WEB_START}")
_LINE_STOPS: Final = re.compile(f"[{_STOPS_BODY} \t\r\u3000]{_WEB_START}")

_SPACES: Final = " \t\r\u3000"
_INDENT: Final = " \t"
_DIGITS: Final = "0123456789"
_ASCII_PUNCTUATION: Final = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# Ends that need no added period (a heading or item ending with one of these is already paused).
_ENDS: Final = frozenset(".!?;:,…‼⁉。！？；：，、．")
_CLOSERS: Final = "\"')]}”’）」』》】"
_BULLETS: Final = "•◦‣"
_RULE_CHARS: Final = frozenset("-*_=|: \t")
_TASK_BOXES: Final = ("[ ]", "[x]", "[X]")

_WEB_TRIGGERS: Final = ("https://", "http://", "www.")
_HOST_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
# A web address ends at whitespace, at any non-ASCII character, or at one of these; a run of the
# trailing ones ends it unless more of the address follows (`example.com/a.` ends with a period).
_URL_ENDS: Final = frozenset('<>"`|[]{}')
_URL_TRAILING: Final = frozenset(".,:;!?'\")*_~")
_URL_STOPS: Final = re.compile(r"""[\s<>"`|\[\]{}()'.,:;!?*_~]|[^\x00-\x7f]""")
_TARGET_STOPS: Final = re.compile(r"[()\s]")
_IMAGE_STOPS: Final = re.compile(r"[\]\n]")

_TAG: Final = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)(?:\s[^<>\n]*)?/?>")
_AUTOLINK: Final = re.compile(r"<[A-Za-z][A-Za-z0-9+.-]*://([A-Za-z0-9.-]*)[^\s<>]*>")
_THINK_CLOSE: Final = "</think>"
# Tags dropped without a trace (formatting inside a sentence); any other known tag becomes a space.
_INLINE_TAGS: Final = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "del", "dfn", "em", "font", "i", "ins",
    "kbd", "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time",
    "tt", "u", "var", "wbr",
})  # fmt: skip
_BLOCK_TAGS: Final = frozenset({
    "address", "article", "aside", "blockquote", "br", "caption", "center", "col", "colgroup",
    "dd", "details", "div", "dl", "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4",
    "h5", "h6", "header", "hr", "img", "li", "main", "nav", "ol", "p", "pre", "section",
    "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "think",
})  # fmt: skip

type _Step = Callable[[str, int, bool], int | None]
type _Marker = Callable[[str, int, int, bool], int | None]


class _Mode(Enum):
    LINE_START = auto()  # a line's markers (indentation, bullet, heading, quote, table, fence)
    INLINE = auto()
    LINK_MAYBE = auto()  # after `]`: a `(` starts the link's target
    LINK_TARGET = auto()  # inside `(…)` of a link or image, dropped
    IMAGE = auto()  # an image's alt text, dropped
    URL_HOST = auto()
    URL_PATH = auto()  # dropped
    FENCE_INFO = auto()  # the rest of a fence's opening line, dropped
    FENCE_LINE = auto()  # a line of a fenced block: its closing fence?
    FENCE_BODY = auto()  # dropped
    THINK = auto()  # inside <think>, dropped
    RULE = auto()  # a horizontal rule longer than the held bound, dropped
    DEFINITION = auto()  # a link or footnote definition's line, dropped


def _is_cjk(char: str) -> bool:
    cp = ord(char)
    return (
        0x2E80 <= cp <= 0x9FFF
        or 0xAC00 <= cp <= 0xD7AF
        or 0xF900 <= cp <= 0xFAFF
        or 0xFF00 <= cp <= 0xFFEF
        or 0x20000 <= cp <= 0x3FFFF
    )


def _ascii_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _blank(char: str) -> bool:
    """Return whether `char` is whitespace, or no character (the start or end of the text)."""
    return not char or char.isspace()


def _scan(text: str, start: int, end: int, chars: str | frozenset[str]) -> int:
    """Return the first position from `start` (before `end`) whose character is not in `chars`."""
    while start < end and text[start] in chars:
        start += 1
    return start


def _is_rule(line: str) -> bool:
    """Return whether a line of rule characters is a horizontal rule or a table's separator row."""
    return max(line.count(c) for c in "-*_=") >= 3 or ("|" in line and "-" in line)


def _site(host: str) -> str:
    return host[4:] if host[:4].lower() == "www." else host


class Speakable:
    """Cleans one answer, fed in pieces: `feed()` each, then `finish()` once."""

    def __init__(self) -> None:
        """Start at the beginning of an answer."""
        self._pending = ""  # text not decided yet (at most MAX_HELD_CHARS after every feed)
        self._out: list[str] = []
        self._mode = _Mode.LINE_START
        self._prev = "\n"  # the last character consumed
        self._depth = 0  # parentheses open inside a link target or web address
        self._fence = ""  # the opening fence of the code block being dropped
        # The line being spoken: whether it ends as a sentence, its last characters, and whether
        # it is Chinese (or Japanese, Korean): its pauses are then full-width.
        self._sentence = False
        self._tail = ""
        self._cjk = False
        self._steps: dict[_Mode, _Step] = {
            _Mode.LINE_START: self._line_start,
            _Mode.INLINE: self._inline,
            _Mode.LINK_MAYBE: self._link_maybe,
            _Mode.LINK_TARGET: self._link_target,
            _Mode.IMAGE: self._image,
            _Mode.URL_HOST: self._url_host,
            _Mode.URL_PATH: self._url_path,
            _Mode.FENCE_INFO: self._fence_info,
            _Mode.FENCE_LINE: self._fence_line,
            _Mode.FENCE_BODY: self._fence_body,
            _Mode.THINK: self._think,
            _Mode.RULE: self._rule,
            _Mode.DEFINITION: self._definition_line,
        }
        self._chars: dict[str, _Step] = {
            "\n": self._newline,
            "*": self._delimiter,
            "_": self._delimiter,
            "~": self._delimiter,
            "`": self._backticks,
            "\\": self._escape,
            "[": self._bracket,
            "]": self._close_bracket,
            "!": self._bang,
            "<": self._angle,
            "|": self._pipe,
            **dict.fromkeys(_SPACES, self._gap),
            **dict.fromkeys("hHwW", self._web),
        }
        # The markers a line may start with, in the order they are tried (then an emoji).
        self._markers: tuple[tuple[str, _Marker], ...] = (
            ("`~", self._fence_open),
            ("-*_=|:", self._rule_line),
            ("-*+" + _BULLETS, self._bullet),
            ("[", self._definition),
            ("#", self._heading),
            (">", self._quote),
            ("|", self._table_row),
            (_DIGITS, self._numbered),
            ("*_", self._emphasis_led),
        )

    @property
    def held(self) -> int:
        """Return how many characters are held back, waiting for the next piece."""
        return len(self._pending)

    def feed(self, text: str) -> str:
        """Take the next piece of the answer; return what of it is decided, cleaned."""
        self._run(self._pending + text, final=False)
        return self._take()

    def finish(self) -> str:
        """Take the end of the answer; return the rest, cleaned."""
        self._run(self._pending, final=True)
        self._end_line()
        return self._take()

    def _take(self) -> str:
        out = "".join(self._out)
        self._out.clear()
        return out

    def _run(self, text: str, *, final: bool) -> None:
        i = 0
        n = len(text)
        while i < n:
            step = self._steps[self._mode](text, i, final)
            if step is None:
                break
            i = step
        self._pending = text[i:]

    # Output and the line's state.

    def _say(self, text: str) -> None:
        self._out.append(text)
        self._tail = (self._tail + text)[-8:]
        if not self._cjk and max(text) >= "\u2e80":
            self._cjk = any(map(_is_cjk, text))

    def _spoken_end(self) -> str:
        """Return the line's last spoken character before closing quotes and brackets, or ''."""
        tail = self._tail.rstrip(_SPACES)
        return tail.rstrip(_CLOSERS)[-1:] or tail[-1:]

    def _end_line(self) -> None:
        """Close a line that ends as a sentence with a period if it needs one."""
        last = self._spoken_end()
        if self._sentence and last and last not in _ENDS:
            self._say("。" if self._cjk else ".")
        self._sentence = self._cjk = False
        self._tail = ""

    @staticmethod
    def _wait(text: str, start: int, final: bool) -> bool:
        """Return whether a construct from `start` reaching the end of `text` waits for more."""
        return not final and len(text) - start < MAX_HELD_CHARS

    @staticmethod
    def _window(text: str, start: int) -> int:
        """Return the end of what a construct starting at `start` may hold."""
        return min(len(text), start + MAX_HELD_CHARS)

    # Line start: markers before the words.

    def _line_start(self, text: str, i: int, final: bool) -> int | None:
        end = self._window(text, i)
        j = _scan(text, i, end, _INDENT)
        if j == end:
            if self._wait(text, i, final):
                return None
            self._mode = _Mode.INLINE
            return i
        char = text[j]
        for starts, marker in self._markers:
            if char in starts and (result := marker(text, i, j, final)) != _NOT_THIS:
                return result
        if _EMOJI.match(char):
            return self._emoji_bullet(text, i, j, final)
        self._mode = _Mode.INLINE
        return i

    def _marked(
        self,
        text: str,
        start: int,
        k: int,
        final: bool,
        mode: _Mode = _Mode.INLINE,
        *,
        sentence: bool = True,
    ) -> int | None:
        """Drop a line's marker from `start` to `k` and the spaces after it; go on in `mode`."""
        end = self._window(text, start)
        k = _scan(text, k, end, _INDENT)
        if k == end and self._wait(text, start, final):
            return None
        self._sentence = self._sentence or sentence
        self._prev = " "
        self._mode = mode
        return k

    def _fence_open(self, text: str, i: int, j: int, final: bool) -> int | None:
        end = self._window(text, i)
        k = _scan(text, j, end, text[j])
        if k == end and self._wait(text, i, final):
            return None
        if k - j < 3:
            return _NOT_THIS
        self._fence = text[j:k]
        self._mode = _Mode.FENCE_INFO
        return k

    def _rule_line(self, text: str, i: int, j: int, final: bool) -> int | None:
        end = self._window(text, i)
        k = _scan(text, j, end, _RULE_CHARS)
        if k == end:
            if self._wait(text, i, final):
                return None
            if not _is_rule(text[j:k]):
                return _NOT_THIS
            self._mode = _Mode.RULE if k - i == MAX_HELD_CHARS else _Mode.LINE_START
            return k
        if text[k] != "\n" or not _is_rule(text[j:k]):
            return _NOT_THIS
        self._prev = "\n"
        return k + 1  # the rule's line break goes with it

    def _bullet(self, text: str, i: int, j: int, final: bool) -> int | None:
        if text[j] not in _BULLETS:
            if j + 1 == len(text) and self._wait(text, i, final):
                return None
            if text[j + 1 : j + 2] not in ("", " ", "\t", "\n"):
                return _NOT_THIS
        end = self._window(text, i)
        k = _scan(text, j + 1, end, _INDENT)
        box = text[k : min(k + 3, end)]
        if box in _TASK_BOXES:
            k += 3
        elif (
            box
            and k + len(box) == len(text)
            and any(whole.startswith(box) for whole in _TASK_BOXES)
            and self._wait(text, i, final)
        ):
            return None
        return self._marked(text, i, k, final)

    def _definition(self, text: str, i: int, j: int, final: bool) -> int | None:
        """`[1]: …` or `[^1]: …`: a link or footnote definition, not shown by a reader either."""
        end = self._window(text, i)
        k = j + 1
        while k < end and text[k] not in "[]\n":
            k += 1
        if k + 1 >= end and self._wait(text, i, final):
            return None
        if k == j + 1 or text[k : k + 2] != "]:":
            return _NOT_THIS
        self._mode = _Mode.DEFINITION
        return k + 2

    def _heading(self, text: str, i: int, j: int, final: bool) -> int | None:
        end = self._window(text, i)
        k = _scan(text, j, end, "#")
        if k == end and self._wait(text, i, final):
            return None
        after = text[k] if k < end else ""
        if k - j > 6 or after not in ("", " ", "\t", "\n"):
            return _NOT_THIS
        return self._marked(text, i, k, final)

    def _quote(self, text: str, i: int, j: int, final: bool) -> int | None:
        return self._marked(text, i, j + 1, final, _Mode.LINE_START, sentence=False)

    def _table_row(self, text: str, i: int, j: int, final: bool) -> int | None:
        return self._marked(text, i, j + 1, final)

    def _numbered(self, text: str, i: int, j: int, final: bool) -> int | None:
        end = self._window(text, i)
        k = _scan(text, j, end, _DIGITS)
        if k + 1 >= end and self._wait(text, i, final):
            return None  # the digits, their delimiter and what follows it decide
        delimiter = text[k] if k < end else ""
        after = text[k + 1] if k + 1 < end else ""
        if k - j > 9:
            return _NOT_THIS
        number = text[j:k]
        if delimiter == "\ufe0f" and after == "\u20e3":
            k += 1  # a keycap: 1️⃣
        elif delimiter in (".", ")"):
            if not (after in ("", " ", "\t", "\n") or ord(after) >= 0x2E80):
                return _NOT_THIS
        elif delimiter not in ("、", "\u20e3"):
            return _NOT_THIS
        self._sentence = True
        self._say(number + ("、" if delimiter == "、" else "."))
        self._prev = "."
        self._mode = _Mode.INLINE
        return k + 1

    def _emoji_bullet(self, text: str, i: int, j: int, final: bool) -> int | None:
        end = self._window(text, i)
        k = j
        while k < end and (_EMOJI.match(text[k]) or text[k] == _ZWJ):
            k += 1
        if k == end and self._wait(text, i, final):
            return None
        return self._marked(text, i, k, final)

    def _emphasis_led(self, text: str, i: int, j: int, final: bool) -> int | None:
        end = self._window(text, i)
        k = _scan(text, j, end, text[j])
        if k == end and self._wait(text, i, final):
            return None
        if k < end and not text[k].isspace():
            self._sentence = True
        return _NOT_THIS  # the delimiters themselves are inline markup

    # Inside a line.

    def _inline(self, text: str, i: int, final: bool) -> int | None:
        found = (_LINE_STOPS if self._sentence else _STOPS).search(text, i)
        k = found.start() if found else len(text)
        if k > i:
            self._say(text[i:k])
            self._prev = text[k - 1]
            return k
        char = text[i]
        step = self._chars.get(char)
        if step is not None:
            return step(text, i, final)
        return self._gap(text, i, final)  # an emoji

    def _literal(self, text: str, i: int, k: int) -> int:
        self._say(text[i:k])
        self._prev = text[k - 1]
        return k

    def _newline(self, text: str, i: int, final: bool) -> int | None:
        self._end_line()
        self._out.append("\n")
        self._prev = "\n"
        self._mode = _Mode.LINE_START
        return i + 1

    def _gap(self, text: str, i: int, final: bool) -> int | None:
        """Spaces and emoji: the emoji dropped, and the spaces where they would end a line.

        In a line that ends as a sentence, spaces before its end or a cell's `|` are dropped (so
        that the period follows the last word); where an emoji was dropped, one space is left
        between words, none at the start of a line.
        """
        end = self._window(text, i)
        k = i
        emoji = False
        while k < end and ((char := text[k]) in _SPACES or char == _ZWJ or _EMOJI.match(char)):
            emoji = emoji or char not in _SPACES
            k += 1
        if k == end and self._wait(text, i, final):
            return None
        spaces = "".join(char for char in text[i:k] if char in _SPACES)
        ends_line = k == len(text) or text[k] in "\n|"
        if emoji:
            spaces = spaces[:1] if self._tail[-1:] not in ("", *_SPACES) else ""
        if spaces and not (self._sentence and ends_line and k - i < MAX_HELD_CHARS):
            self._say(spaces)
        self._prev = text[k - 1]
        return k

    def _delimiter(self, text: str, i: int, final: bool) -> int | None:
        """Drop a run of `*`, `_` or `~` that is emphasis; keep one meant as written."""
        char = text[i]
        end = self._window(text, i)
        k = _scan(text, i, end, char)
        if k == end and self._wait(text, i, final):
            return None
        before, after = self._prev, text[k] if k < end else ""
        if (
            (char == "~" and k - i == 1)
            or (_blank(before) and _blank(after))
            or (char == "*" and _ascii_alnum(before) and _ascii_alnum(after))
            or (char == "~" and before.isalnum() and after.isalnum())
        ):
            return self._literal(text, i, k)
        if char == "_" and before.isalnum() and after.isalnum():
            self._say(" ")  # snake_case
        self._prev = char
        return k

    def _backticks(self, text: str, i: int, final: bool) -> int | None:
        self._prev = "`"
        return i + 1

    def _escape(self, text: str, i: int, final: bool) -> int | None:
        if i + 1 == len(text):
            return None if not final else self._literal(text, i, i + 1)
        escaped = text[i + 1]
        if escaped == "\n":
            return i + 1  # a hard line break: the break stays
        if escaped in _ASCII_PUNCTUATION:
            return self._literal(text, i + 1, i + 2)
        return self._literal(text, i, i + 1)

    def _bracket(self, text: str, i: int, final: bool) -> int | None:
        """`[`: dropped; `[1]` and `[^1]` (citations) with what they hold."""
        end = self._window(text, i)
        j = i + 1 + (text[i + 1 : i + 2] == "^")
        k = _scan(text, j, end, _DIGITS)
        if k == end and self._wait(text, i, final):
            return None
        self._prev = "["
        if j < k < end and text[k] == "]":
            self._prev = "]"
            self._mode = _Mode.LINK_MAYBE
            return k + 1
        return i + 1

    def _close_bracket(self, text: str, i: int, final: bool) -> int | None:
        self._prev = "]"
        self._mode = _Mode.LINK_MAYBE
        return i + 1

    def _link_maybe(self, text: str, i: int, final: bool) -> int | None:
        if text[i] == "(":
            self._depth = 0
            self._mode = _Mode.LINK_TARGET
            return i + 1
        self._mode = _Mode.INLINE
        return i

    def _link_target(self, text: str, i: int, final: bool) -> int | None:
        found = _TARGET_STOPS.search(text, i)
        if found is None:
            return len(text)
        k = found.start()
        char = text[k]
        if char == "(":
            self._depth += 1
        elif char == ")" and self._depth:
            self._depth -= 1
        elif char == ")":
            self._prev = ")"
            self._mode = _Mode.INLINE
        else:  # whitespace: the target (of a malformed link) ends
            self._mode = _Mode.INLINE
            return k
        return k + 1

    def _bang(self, text: str, i: int, final: bool) -> int | None:
        """`!`: an image's start after a space or bracket, otherwise punctuation."""
        if _blank(self._prev) or self._prev in "([":
            if i + 1 == len(text) and not final:
                return None
            if text[i + 1 : i + 2] == "[":
                self._prev = "["
                self._mode = _Mode.IMAGE
                return i + 2
        return self._literal(text, i, i + 1)

    def _image(self, text: str, i: int, final: bool) -> int | None:
        found = _IMAGE_STOPS.search(text, i)
        if found is None:
            return len(text)
        k = found.start()
        if text[k] == "]":
            self._mode = _Mode.LINK_MAYBE
            return k + 1
        self._mode = _Mode.INLINE
        return k

    def _angle(self, text: str, i: int, final: bool) -> int | None:
        """`<`: an HTML tag or an autolink, or meant as written (`a < b`)."""
        end = self._window(text, i)
        if i + 1 == end and self._wait(text, i, final):
            return None
        after = text[i + 1 : i + 2]
        if not (after.isascii() and (after.isalpha() or after == "/")):
            return self._literal(text, i, i + 1)
        if link := _AUTOLINK.match(text, i, end):
            if host := _site(link[1].rstrip(".-")):
                self._say(host)
            self._prev = ">"
            return link.end()
        tag = _TAG.match(text, i, end)
        if tag is None:
            rest = text[i + 1 : end]
            if not any(stop in rest for stop in "<>\n") and self._wait(text, i, final):
                return None
            return self._literal(text, i, i + 1)
        name = tag[1].lower()
        if name not in _INLINE_TAGS and name not in _BLOCK_TAGS:
            return self._literal(text, i, i + 1)
        if name == "think" and text[i + 1] != "/":
            self._mode = _Mode.THINK
        elif name in _BLOCK_TAGS:
            self._say(" ")
        self._prev = ">"
        return tag.end()

    def _think(self, text: str, i: int, final: bool) -> int | None:
        k = text.find(_THINK_CLOSE, i)
        if k >= 0:
            self._mode = _Mode.INLINE
            self._prev = ">"
            return k + len(_THINK_CLOSE)
        if final:
            return len(text)
        keep = next(
            (size for size in range(min(len(_THINK_CLOSE) - 1, len(text) - i), 0, -1)
             if _THINK_CLOSE.startswith(text[len(text) - size :])),
            0,
        )  # fmt: skip
        return None if keep == len(text) - i else len(text) - keep

    def _pipe(self, text: str, i: int, final: bool) -> int | None:
        """`|`: between table cells a comma; a row's last one is dropped."""
        end = self._window(text, i)
        k = _scan(text, i + 1, end, _SPACES)
        if k == end and self._wait(text, i, final):
            return None
        self._prev = "|"
        if k == end or text[k] == "\n":
            return k
        last = self._spoken_end()
        if last in _ENDS:
            self._say(" ")
        elif last:
            self._say("，" if self._cjk else ", ")
        return k

    def _web(self, text: str, i: int, final: bool) -> int | None:
        """Start a web address at `https://`, `http://` or `www.` (a word starting so waits)."""
        if _ascii_alnum(self._prev):
            return self._literal(text, i, i + 1)
        start = text[i : i + 8].lower()
        for trigger in _WEB_TRIGGERS:
            if start.startswith(trigger):
                self._mode = _Mode.URL_HOST
                self._prev = "/"
                return i + len(trigger)
        if not final and any(
            trigger.startswith(start) and len(start) < len(trigger) for trigger in _WEB_TRIGGERS
        ):
            return None
        return self._literal(text, i, i + 1)

    def _url_host(self, text: str, i: int, final: bool) -> int | None:
        """Say a web address's host as the site's name (`www.` dropped)."""
        end = self._window(text, i)
        k = _scan(text, i, end, _HOST_CHARS)
        if k == end and self._wait(text, i, final):
            return None
        host = text[i:k].rstrip(".-")  # trailing dots and dashes belong to the sentence
        if site := _site(host):
            self._say(site)
            self._prev = site[-1]
        if i + len(host) < k:
            self._mode = _Mode.INLINE
            return i + len(host)
        self._depth = 0
        self._mode = _Mode.URL_PATH if k == end or text[k] in "/?#:" else _Mode.INLINE
        return k

    def _url_path(self, text: str, i: int, final: bool) -> int | None:
        """Drop the rest of a web address, up to where it ends."""
        found = _URL_STOPS.search(text, i)
        if found is None:
            return len(text)
        k = found.start()
        if k > i:
            return k
        char = text[k]
        if char == "(":
            self._depth += 1
            return k + 1
        if char == ")" and self._depth:
            self._depth -= 1
            return k + 1
        if char in _URL_TRAILING:
            end = self._window(text, k)
            r = _scan(text, k, end, _URL_TRAILING)
            if r == end and self._wait(text, k, final):
                return None
            if r == end and r - k == MAX_HELD_CHARS:
                return r
            following = text[r] if r < end else ""
            if following.isascii() and not _blank(following) and following not in _URL_ENDS:
                return r  # more of the address follows
        self._mode = _Mode.INLINE
        return k

    # Fenced code blocks and rules: dropped.

    def _fence_info(self, text: str, i: int, final: bool) -> int | None:
        k = text.find("\n", i)
        if k < 0:
            return len(text)
        self._mode = _Mode.FENCE_LINE
        return k + 1

    def _fence_line(self, text: str, i: int, final: bool) -> int | None:
        end = self._window(text, i)
        j = _scan(text, i, end, _INDENT)
        k = _scan(text, j, end, self._fence[0])
        r = _scan(text, k, end, _SPACES)
        if r == end:
            if self._wait(text, i, final):
                return None
            if r - i == MAX_HELD_CHARS:
                self._mode = _Mode.FENCE_BODY
            return r
        if text[r] == "\n" and k - j >= len(self._fence):
            self._mode = _Mode.LINE_START
            self._prev = "\n"
            return r + 1
        self._mode = _Mode.FENCE_BODY
        return r

    def _fence_body(self, text: str, i: int, final: bool) -> int | None:
        k = text.find("\n", i)
        if k < 0:
            return len(text)
        self._mode = _Mode.FENCE_LINE
        return k + 1

    def _definition_line(self, text: str, i: int, final: bool) -> int | None:
        k = text.find("\n", i)
        if k < 0:
            return len(text)
        self._mode = _Mode.LINE_START
        self._prev = "\n"
        return k + 1

    def _rule(self, text: str, i: int, final: bool) -> int | None:
        k = _scan(text, i, len(text), _RULE_CHARS)
        if k < len(text):
            if text[k] == "\n":
                self._mode = _Mode.LINE_START
                self._prev = "\n"
                return k + 1
            self._mode = _Mode.INLINE
        return k


_NOT_THIS: Final = -1  # a line-start marker that is not there: the next one is tried


def speakable_text(text: str) -> str:
    """Return a whole answer as spoken."""
    cleaner = Speakable()
    return cleaner.feed(text) + cleaner.finish()


async def speakable_chunks(chunks: AsyncIterable[str]) -> AsyncGenerator[str]:
    """Pass a streamed answer on as spoken, each piece as soon as it is decided."""
    cleaner = Speakable()
    async for chunk in chunks:
        if text := cleaner.feed(chunk):
            yield text
    if text := cleaner.finish():
        yield text
