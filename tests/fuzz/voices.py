"""A seeded fuzzer of the voice customisation client's HTTP answers (`VoicesClient`).

Each seed picks one call (list designed or cloned voices, design, clone, delete), and for each of
its requests the answer a correct service gives (VOICE_CUSTOMISATION.md), mutated: any status
(2xx, redirects, 4xx, 5xx), bodies truncated, not JSON, larger than the client's bound, deeply
nested, with a wrong type at any level, odd voice ids and models, missing and extra fields,
voices repeated across pages, pages longer and more numerous than asked, answers slow within and
beyond the client's timeout, dropped connections, error messages that echo the key.

Judged by the protocol and the client's stated bounds, not by its code: every call either
returns a well-formed result (every voice id in the service's alphabet and length, of the call's
kind, for a model of that kind; a list deduplicated, within `MAX_LISTED_VOICES`, and exactly the
valid voices served when every mutation kept the answers valid) or raises a `RealtimeError`
that carries the key nowhere in its chain; it ends within its requests' timeouts, never follows a
redirect, and sends a create (billed) at most once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
import json
import random
import re
import time
from typing import Any, Final, Literal

from aiohttp import ClientSession, web

from custom_components.qwen_tts_realtime.realtime import (
    RealtimeError,
    VoicesClient,
)
from custom_components.qwen_tts_realtime.realtime.catalog import LANGUAGE_TYPES, kind_of_model
from custom_components.qwen_tts_realtime.realtime.timing import (
    MAX_LISTED_VOICES,
    MAX_RESPONSE_BYTES,
    MAX_VOICE_ID_CHARS,
)
from custom_components.qwen_tts_realtime.realtime.voices import (
    LIST_PAGE_SIZE,
    MAX_LIST_PAGES,
    TARGET_MODELS,
    ClonedVoice,
    CustomVoice,
    DesignedVoice,
    kind_of_voice,
)
from qwen_tts_emulator import CUSTOMIZATION_PATH

type Call = Literal["list design", "list clone", "design", "clone", "delete"]
type Effect = Literal["benign", "maybe", "fatal"]
type Outcome = Literal["success", "error", "either"]

CALLS: Final[tuple[Call, ...]] = ("list design", "list clone", "design", "clone", "delete")
TIMEOUT: Final = 0.5  # the client's, per request (shortened as test_voices_api.py does)
SLOW: Final = 0.02  # an answer slow well within the timeout
TOO_SLOW: Final = TIMEOUT * 3  # an answer slow beyond it
SCHEDULING_SLACK: Final = 2.0  # a loaded machine's event loop lag, on top of the bound
_KEY_PREFIX: Final = "sk-vfuzz-"
_ELSEWHERE: Final = "/elsewhere"
_PREFIXES: Final = {"design": "qwen-tts-vd-", "clone": "qwen-tts-vc-"}
_ALPHABET: Final = re.compile(r"[A-Za-z0-9_.-]+")  # the service's ids, as its guide states them
_WRONG_VALUES: Final[tuple[object, ...]] = (42, None, [], "text", {"x": 1}, True, -1.5, [1, "a"])
NESTED: Final = "[" * 100_000 + "]" * 100_000
ODD_IDS: Final = (
    "qwen-tts-vc-<img src=x onerror=alert(1)>",
    "qwen-tts-vd-[x](https://example.com)",
    "qwen-tts-vd-**bold**",
    "qwen-tts-vc-grandma\nvoice",
    "qwen-tts-vd-grandma voice",
    "qwen-tts-vd-日本語-voice-1",
    "qwen-tts-vd-",
    "qwen-tts-vc-",
    "qwen-tts-xx-grandma-voice-1",
    "Cherry",
    "",
    "qwen-tts-vd-" + "a" * (MAX_VOICE_ID_CHARS + 1),
    "qwen-tts-vc-" + "a" * 100_000,
)
ODD_MODELS: Final = (
    "",
    "qwen3-tts-vd-realtime-2025-12-16",
    "qwen3-tts-vc-realtime-2025-11-27",
    "qwen3-tts-flash-realtime",
    "qwen3-tts-vd-<b>",
    "qwen3-tts-vc-realtime-[x](y)",
    "qwen3-tts-vd-" + "z" * 200,
    "模型",
)
ERRORS: Final = (
    (200, "InternalError"),
    (400, "InvalidParameter"),
    (400, "Throttling.AllocationQuota"),
    (400, "BadRequest.VoiceNotFound"),
    (400, "Audio.DecoderError"),
    (401, "InvalidApiKey"),
    (403, "AccessDenied"),
    (404, None),
    (418, ""),
    (429, "Throttling.RateQuota"),
    (500, "InternalError"),
    (502, None),
    (503, "ServiceUnavailable"),
)


@dataclass(slots=True)
class Answer:
    """One HTTP answer: after `delay`, `status` and `body`, dripped in pieces `drip` apart.

    `declared` is a Content-Length of its own (a shorter body: the connection closes after it),
    `chunked` sends none;
    `redirect` sends the client elsewhere on this server; `abort` drops the connection unanswered.
    """

    status: int = 200
    body: bytes = b""
    delay: float = 0.0
    drip: float = 0.0
    declared: int | None = None
    redirect: bool = False
    abort: bool = False
    chunked: bool = False


@dataclass(slots=True)
class Page:
    """A list page as generated: its answer, and the ids of its items known to be valid."""

    answer: Answer
    valid: list[str | None]  # per item: its id when valid, None when not or not known


@dataclass(slots=True)
class VoiceCase:
    """What a seed chose: the call, the answer to each request, and what the oracle allows."""

    seed: int
    call: Call
    answers: list[Answer]
    response_bytes: int  # the client's bound on an answer (shortened by the test)
    pages: list[Page] = field(default_factory=list)
    current: int = 0  # the answer being made
    effects: list[tuple[int, str, Effect]] = field(default_factory=list)  # answer, what, effect

    @property
    def key(self) -> str:
        return f"{_KEY_PREFIX}{self.seed}-secret"

    def expect(self, served: int) -> Outcome:
        """Return what the first `served` answers allow (a list may stop before the others)."""
        effects = {effect for index, _, effect in self.effects if index < served}
        return "error" if "fatal" in effects else "either" if "maybe" in effects else "success"

    def fatal(self, served: int) -> list[str]:
        return [
            what for index, what, effect in self.effects if index < served and effect == "fatal"
        ]

    def note(self, mutation: str, effect: Effect) -> None:
        """Note a mutation of the answer being made (the last one, or the first to come)."""
        self.effects.append((self.current, mutation, effect))


# --- what a correct service answers, and its mutations -----------------------------------------


def _voice_id(rng: random.Random, kind: str) -> str:
    name = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz_0123456789", k=rng.randint(1, 16)))
    when = f"2026011510111{rng.randint(0, 9)}123"
    return f"{_PREFIXES[kind]}{name}-voice-{when}-{rng.randbytes(2).hex()}"


def _item(rng: random.Random, kind: str) -> dict[str, Any]:
    return {
        "voice": _voice_id(rng, kind),
        "target_model": TARGET_MODELS[kind],  # type: ignore[index]
        "language": rng.choice(list(LANGUAGE_TYPES)),
        "gmt_create": "2026-01-15 10:11:12",
        "gmt_modified": "2026-01-15 10:11:12",
    }


def _ok(payload: object, status: int = 200) -> Answer:
    return Answer(status, json.dumps(payload).encode())


def _mutate_item(rng: random.Random, case: VoiceCase, item: dict[str, Any]) -> bool:
    """Mutate one listed voice; return whether it stays valid (False: invalid or unknown)."""
    match rng.randrange(7):
        case 0:
            item["voice"] = rng.choice(ODD_IDS)
            case.note("odd listed id", "maybe")
        case 1:
            item["target_model"] = rng.choice(ODD_MODELS)
            case.note("odd listed model", "maybe")
        case 2:
            field_name = rng.choice(["voice", "target_model", "language", "gmt_create"])
            item[field_name] = rng.choice(_WRONG_VALUES)
            case.note(f"listed {field_name} of a wrong type", "maybe")
        case 3:
            del item[rng.choice(["voice", "target_model", "language", "gmt_create"])]
            case.note("listed field missing", "maybe")
        case 4:
            item["language"] = rng.choice(["<b>en</b>", "xx", "", "EN", "en\n"])
            item["gmt_create"] = rng.choice(["yesterday", "", "2026-13-45 99:99:99", "9" * 40])
            case.note("odd listed language and time", "benign")
            return True
        case 5:
            item.update(extra={"nested": [1, {"deep": None}]}, voice_prompt="<script>")
            case.note("extra listed fields", "benign")
            return True
        case _:
            item["voice"] = _voice_id(
                rng, "clone" if item["voice"].startswith("qwen-tts-vd") else "design"
            )
            case.note("listed voice of the other kind", "maybe")
    return False


def _list_pages(rng: random.Random, case: VoiceCase, kind: str) -> None:
    """The pages of a list: short, full, longer than asked, repeated voices, wrong totals."""
    count = rng.choice([1, 1, 2, 3, MAX_LIST_PAGES, MAX_LIST_PAGES + 2])
    seen: list[str] = []
    outputs: list[dict[str, Any]] = []
    for index in range(count):
        case.current = index
        last = index == count - 1
        size = (
            rng.choice([LIST_PAGE_SIZE, LIST_PAGE_SIZE, LIST_PAGE_SIZE + 50])
            if not last
            else rng.randint(0, 30)
        )
        if size > LIST_PAGE_SIZE:
            case.note("a page longer than asked", "benign")
        items: list[Any] = []
        valid: list[str | None] = []
        odd = (
            set(rng.sample(range(size), k=min(size, rng.randint(1, 3))))
            if rng.random() < 0.3
            else set()
        )
        for position in range(size):
            item = _item(rng, kind)
            if seen and rng.random() < 0.05:
                item["voice"] = rng.choice(seen)
                case.note("a voice listed twice", "benign")
            if position in odd and rng.random() < 0.2:
                items.append(rng.choice(_WRONG_VALUES))
                valid.append(None)
                case.note("a listed item of a wrong type", "maybe")
                continue
            stays = position not in odd or _mutate_item(rng, case, item)
            items.append(item)
            valid.append(item["voice"] if stays else None)
            if stays:
                seen.append(item["voice"])
        output: dict[str, Any] = {"page_index": index, "page_size": LIST_PAGE_SIZE}
        if rng.random() < 0.2:
            output["total_count"] = rng.choice([0, 5, 10**9, "many", None, True, -1])
            case.note("an odd total", "maybe")
        outputs.append(output | {"voice_list": items})
        case.pages.append(Page(Answer(), valid))
    total = sum(len(page.valid) for page in case.pages)  # every item, once
    for index, output in enumerate(outputs):
        output.setdefault("total_count", total)
        case.pages[index].answer.body = json.dumps({"output": output, "request_id": "r"}).encode()
        case.answers.append(case.pages[index].answer)


def _created(rng: random.Random, case: VoiceCase, kind: str) -> None:
    output: dict[str, Any] = {"voice": _voice_id(rng, kind), "target_model": TARGET_MODELS[kind]}  # type: ignore[index]
    if kind == "design":
        output["preview_audio"] = {
            "data": "UklGRg==",
            "sample_rate": 24000,
            "response_format": "wav",
        }
    elif rng.random() < 0.3:
        output.update(fallback_mode=True, fallback_reason="noisy")
    if rng.random() < 0.4:
        match rng.randrange(6):
            case 0:
                output["voice"] = rng.choice(ODD_IDS)
                case.note("odd created id", "fatal")
            case 1:
                output["target_model"] = rng.choice(ODD_MODELS)
                case.note("odd created model", "maybe")
            case 2:
                target = rng.choice(list(output))
                output[target] = rng.choice(_WRONG_VALUES)
                case.note(f"created {target} of a wrong type", "maybe")
            case 3:
                del output[rng.choice(list(output))]
                case.note("created field missing", "maybe")
            case 4:
                output.update(extra=[{"a": 1}], fallback_reason=rng.choice(_WRONG_VALUES))
                case.note("extra created fields", "maybe")
            case _:
                if kind == "design":
                    output["preview_audio"] = rng.choice(
                        [{"data": "not base64!"}, {"data": ""}, {"data": 42}, "UklGRg==", None]
                    )
                    case.note("odd preview", "fatal")
    case.answers.append(_ok({"output": output, "usage": {"count": 1}, "request_id": "r"}))


def _mutate_answer(rng: random.Random, case: VoiceCase, answer: Answer) -> None:
    """Change one answer as a whole: status, declared length, pace, connection, or its body."""
    match rng.randrange(13):
        case 0:
            answer.status = rng.choice([301, 302, 303, 307, 308])
            answer.redirect = True
            case.note("a redirect", "fatal")
        case 1:
            status, code = rng.choice(ERRORS)
            body: dict[str, Any] = {"request_id": "r"}
            if code is not None:
                body.update(code=code, message=rng.choice(["Refused.", "<b>no</b>", "x" * 5000]))
            answer.status, answer.body = status, json.dumps(body).encode()
            case.note("an error status", "fatal")
        case 2:
            answer.status = rng.choice([400, 401, 403, 500])
            answer.body = json.dumps(
                {
                    "code": f"InvalidApiKey {case.key}",
                    "message": f"Invalid API-key provided: Bearer {case.key}",
                }
            ).encode()
            case.note("an error that echoes the key", "fatal")
        case 3:
            answer.declared = len(answer.body) + rng.randint(1, 1000)
            case.note("a body shorter than declared", "fatal")
        case 4:
            answer.declared = case.response_bytes + 1
            answer.body = b"{}"
            case.note("a declared length beyond the bound", "fatal")
        case 5:
            answer.delay = TOO_SLOW
            case.note("an answer too slow", "fatal")
        case 6:
            answer.delay, answer.drip = SLOW, rng.choice([0.0, 0.001])
            case.note("an answer slow within the timeout", "benign")
        case 7:
            answer.abort = True
            case.note("a dropped connection", "fatal")
        case _:
            _break_body(rng, case, answer)


def _break_body(rng: random.Random, case: VoiceCase, answer: Answer) -> None:
    """Replace or change the body: not JSON, truncated, too large, deeply nested, wrong types."""
    match rng.randrange(5):
        case 0:
            answer.status = rng.choice([200, 201, 204, 206, 418, 500])
            answer.body = rng.choice(
                [
                    b"",
                    b"<html>oops</html>",
                    b"\xff\xfe\x00",
                    b"nul",
                    b"1e999",
                    b'"output"',
                    b"9" * 5000,
                ]
            )
            case.note("not a JSON object", "fatal")
        case 1:
            answer.body = answer.body[: rng.randrange(max(1, len(answer.body)))]
            case.note("a truncated body", "fatal")
        case 2:
            answer.body = answer.body[:-1] + b',"pad":"' + b"p" * (case.response_bytes + 1) + b'"}'
            answer.chunked = rng.random() < 0.5
            case.note("a body larger than the bound", "fatal")
        case 3:
            answer.body = rng.choice(
                [NESTED, '{"output":' + NESTED[:60_000] + NESTED[-60_000:] + "}"]
            ).encode()
            case.note("deeply nested", "fatal")
        case _:
            payload = json.loads(answer.body)
            where = rng.choice(
                ["root", "output", "voice_list"]
                if "voice_list" in payload["output"]
                else ["root", "output"]
            )
            if where == "root":
                payload = rng.choice(_WRONG_VALUES)
            elif where == "output":
                payload["output"] = rng.choice(
                    [v for v in _WRONG_VALUES if not isinstance(v, dict)]
                )
            else:
                lists = [v for v in _WRONG_VALUES if not isinstance(v, list)]
                payload["output"]["voice_list"] = rng.choice(lists)
            answer.body = json.dumps(payload).encode()
            case.note(f"{where} of a wrong type", "fatal")


def voice_case(seed: int, response_bytes: int = MAX_RESPONSE_BYTES) -> VoiceCase:
    """Return the call and answers of a seed, for a client that reads `response_bytes` at most."""
    rng = random.Random(seed)
    call = rng.choice(CALLS)
    case = VoiceCase(seed, call, [], response_bytes)
    if call.startswith("list"):
        _list_pages(rng, case, call.removeprefix("list "))
    elif call == "delete":
        case.answers.append(_ok({"output": {}, "request_id": "r"}))
        if rng.random() < 0.2:
            case.answers[0] = _ok({"request_id": "r", "output": {"extra": [1, 2]}, "x": None})
            case.note("extra delete fields", "benign")
    else:
        _created(rng, case, call)
    for index, answer in enumerate(case.answers):
        case.current = index
        if rng.random() < 0.5 / len(case.answers) ** 0.5:
            _mutate_answer(rng, case, answer)
    return case


# --- the server ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Record:
    """What the server saw of one case: each request's JSON (None: unreadable), redirect hits."""

    requests: list[Any] = field(default_factory=list)
    elsewhere: int = 0


class VoiceFuzzServer:
    """Answers each case's requests, in order, on 127.0.0.1; the key names the case."""

    def __init__(self) -> None:
        self._cases: dict[str, tuple[VoiceCase, Record]] = {}
        self._runner: web.AppRunner | None = None
        self.endpoint = ""
        self._base = ""

    async def start(self) -> None:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_post(CUSTOMIZATION_PATH, self._handle)
        app.router.add_route("*", _ELSEWHERE + "/{seed}", self._elsewhere)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._base = f"127.0.0.1:{self._runner.addresses[0][1]}"
        self.endpoint = f"ws://{self._base}/api-ws/v1/realtime"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def add(self, case: VoiceCase) -> Record:
        record = Record()
        self._cases[case.key] = (case, record)
        return record

    def remove(self, case: VoiceCase) -> None:
        self._cases.pop(case.key, None)

    def _case(self, request: web.Request) -> tuple[VoiceCase, Record] | None:
        return self._cases.get(request.headers.get("Authorization", "").removeprefix("Bearer "))

    async def _elsewhere(self, request: web.Request) -> web.Response:
        # Named by its seed: a client that followed may have dropped the key on the way.
        seed = request.match_info["seed"]
        for case, record in self._cases.values():
            if str(case.seed) == seed:
                record.elsewhere += 1
        return web.json_response({"output": {}})

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        found = self._case(request)
        if found is None:
            return web.json_response({"code": "InvalidApiKey"}, status=401)
        case, record = found
        try:
            record.requests.append(json.loads(await request.read()))
        except ValueError:
            record.requests.append(None)
        index = len(record.requests) - 1
        # Past the planned answers, a list's next page is empty (the client asked for more).
        answer = (
            case.answers[index]
            if index < len(case.answers)
            else _ok({"output": {"voice_list": []}})
        )
        if answer.delay:
            await asyncio.sleep(answer.delay)
        if answer.abort:
            if request.transport is not None:
                request.transport.abort()
            return web.Response()
        headers = {"Content-Type": "application/json"}
        if answer.redirect:
            headers["Location"] = f"http://{self._base}{_ELSEWHERE}/{case.seed}"
        response = web.StreamResponse(status=answer.status, headers=headers)
        if answer.declared is not None:
            response.content_length = answer.declared
        elif answer.chunked or answer.drip:
            response.enable_chunked_encoding()
        else:
            response.content_length = len(answer.body)
        piece = max(1, len(answer.body) // 4) if answer.drip else 256 * 1024
        try:
            await response.prepare(request)
            for start in range(0, len(answer.body), piece):
                await response.write(answer.body[start : start + piece])
                if answer.drip:
                    await asyncio.sleep(answer.drip)
            if answer.declared is not None and answer.declared > len(answer.body):
                response.force_close()
                if request.transport is not None:
                    request.transport.close()
                return response
            await response.write_eof()
        except ConnectionError:
            pass  # the client left (it gave up waiting, or refused the answer unread)
        return response


# --- the oracle ---------------------------------------------------------------------------------


def _is_service_id(value: object) -> bool:
    return (
        isinstance(value, str)
        and len(value) <= MAX_VOICE_ID_CHARS
        and _ALPHABET.fullmatch(value) is not None
    )


def _voice_problem(voice: object, kind: str) -> str | None:
    """Return what is wrong with a returned voice of `kind`, if anything."""
    if not isinstance(voice, CustomVoice):
        return f"not a CustomVoice: {type(voice).__name__}"
    if voice.kind != kind or kind_of_voice(voice.voice_id) != kind:
        return f"a voice of another kind: {voice.voice_id[:80]!r}"
    if not _is_service_id(voice.voice_id) or voice.voice_id == _PREFIXES[kind]:
        return f"an id outside the service's alphabet or length: {voice.voice_id[:80]!r}"
    if not _is_service_id(voice.target_model) or kind_of_model(voice.target_model) != kind:
        return f"a model of another kind: {voice.target_model[:80]!r}"
    if voice.language is not None and voice.language not in LANGUAGE_TYPES:
        return f"a language outside the catalogue: {voice.language!r}"
    if voice.created is not None and not isinstance(voice.created, datetime):
        return "a creation time that is not a datetime"
    return None


def _chain(err: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def judge(
    case: VoiceCase, record: Record, result: object, error: BaseException | None
) -> list[str]:
    """Return every invariant the call broke (empty: none)."""
    problems: list[str] = []
    if record.elsewhere:
        problems.append("followed a redirect")
    actions = [
        r.get("input", {}).get("action") if isinstance(r, dict) else None for r in record.requests
    ]
    if case.call in ("design", "clone") and actions.count("create") > 1:
        problems.append(f"sent a create {actions.count('create')} times")
    if case.call.startswith("list"):
        if len(actions) > MAX_LIST_PAGES:
            problems.append(f"asked for {len(actions)} pages")
        sizes = {r["input"].get("page_size") for r in record.requests if isinstance(r, dict)}
        if sizes - {LIST_PAGE_SIZE}:
            problems.append(f"asked for pages of {sizes}")
    elif len(actions) != 1:
        problems.append(f"sent {len(actions)} requests for one {case.call}")
    if error is not None:
        if not isinstance(error, RealtimeError):
            problems.append(f"raised {type(error).__name__}: {str(error)[:200]}")
        for err in _chain(error):
            text = f"{err!r} {err} {err.args} {getattr(err, '__dict__', '')}"
            if case.key in text:
                problems.append(f"the key is in a raised {type(err).__name__}")
        if case.expect(len(record.requests)) == "success":
            problems.append(f"failed on valid answers: {type(error).__name__}: {str(error)[:200]}")
        return problems
    if case.expect(len(record.requests)) == "error":
        problems.append(f"succeeded despite {case.fatal(len(record.requests))}")
    problems += _result_problems(case, record, result)
    return problems


def _result_problems(case: VoiceCase, record: Record, result: object) -> list[str]:
    match case.call:
        case "delete":
            return [] if result is None else [f"a delete returned {result!r}"]
        case "design":
            if not isinstance(result, DesignedVoice):
                return [f"a design returned {type(result).__name__}"]
            problem = _voice_problem(result.voice, "design")
            if not result.preview.data:
                problem = "an empty preview"
            return [problem] if problem else []
        case "clone":
            if not isinstance(result, ClonedVoice):
                return [f"a clone returned {type(result).__name__}"]
            problem = _voice_problem(result.voice, "clone")
            if not isinstance(result.fallback_reason, str | None):
                problem = "a fallback reason that is not text"
            return [problem] if problem else []
    kind = case.call.removeprefix("list ")
    if not isinstance(result, list):
        return [f"a list returned {type(result).__name__}"]
    problems = [p for voice in result if (p := _voice_problem(voice, kind)) is not None][:3]
    ids = [v.voice_id for v in result if isinstance(v, CustomVoice)]
    if len(ids) != len(set(ids)):
        problems.append("a voice listed twice")
    if len(ids) > MAX_LISTED_VOICES:
        problems.append(f"{len(ids)} voices listed")
    served = len(record.requests)
    pages = case.pages[:served]
    if case.expect(served) != "success":
        # Items whose validity is not known may be listed, but only ids that were served.
        texts = b"".join(page.answer.body for page in pages)
        problems += [f"an id never served: {i[:80]!r}" for i in ids if i.encode() not in texts][:3]
        return problems
    expected = list(dict.fromkeys(i for page in pages for i in page.valid[:LIST_PAGE_SIZE] if i))
    if ids != expected[:MAX_LISTED_VOICES]:
        problems.append(f"listed {len(ids)} voices, not the {len(expected)} valid ones served")
    return problems


# --- the runner ---------------------------------------------------------------------------------


@dataclass(slots=True)
class VoiceReport:
    """What a fuzzing run found: violations by seed, and what was tried."""

    cases: int = 0
    violations: list[str] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    expected: dict[str, int] = field(default_factory=dict)  # what the oracle allowed
    calls: dict[str, int] = field(default_factory=dict)
    mutations: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    longest: float = 0.0
    seconds: float = 0.0


def _count(table: dict[str, int], key: str) -> None:
    table[key] = table.get(key, 0) + 1


async def _invoke(client: VoicesClient, case: VoiceCase, rng: random.Random) -> object:
    match case.call:
        case "list design":
            return await client.list_voices("design")
        case "list clone":
            return await client.list_voices("clone")
        case "design":
            return await client.design("narrator", "A calm voice.", "Hello there.", "en")
        case "clone":
            return await client.clone("grandma", b"RIFF" + rng.randbytes(64), "audio/wav")
        case _:
            await client.delete(_voice_id(rng, rng.choice(["design", "clone"])))
            return None


async def _one(
    server: VoiceFuzzServer, http: ClientSession, case: VoiceCase, report: VoiceReport
) -> None:
    seed = case.seed
    record = server.add(case)
    client = VoicesClient(http, case.key, server.endpoint, timeout=TIMEOUT)
    requests = MAX_LIST_PAGES if case.call.startswith("list") else 1
    bound = requests * TIMEOUT + SCHEDULING_SLACK
    result: object = None
    error: BaseException | None = None
    started = time.monotonic()
    call = asyncio.ensure_future(_invoke(client, case, random.Random(seed)))
    try:
        done, _ = await asyncio.wait({call}, timeout=bound)
        if not done:
            call.cancel()
            await asyncio.wait({call})
            report.violations.append(f"seed {seed}: still running past its bound of {bound} s")
        elif (error := call.exception()) is None:
            result = call.result()
    finally:
        server.remove(case)
    took = time.monotonic() - started
    report.longest = max(report.longest, took)
    report.violations += [
        f"seed {seed} ({case.call}): {p}" for p in judge(case, record, result, error)
    ]
    _count(report.calls, case.call)
    _count(report.expected, case.expect(len(record.requests)))
    outcome = "success" if error is None else "typed error"
    _count(report.outcomes, outcome if isinstance(error, RealtimeError | None) else "other")
    if error is not None:
        _count(report.errors, type(error).__name__)
    for _, mutation, _ in case.effects:
        _count(report.mutations, mutation)
    report.cases += 1


async def fuzz_voices(
    seeds: range, *, response_bytes: int = MAX_RESPONSE_BYTES, concurrency: int = 8
) -> VoiceReport:
    """Run every seed's call against its answers and judge each one.

    `response_bytes` is the bound the client reads answers to: a test that shortens the client's
    `MAX_RESPONSE_BYTES` passes the same here, so that answers beyond it cost little to send.
    """
    report = VoiceReport()
    started = time.monotonic()
    server = VoiceFuzzServer()
    await server.start()
    limit = asyncio.Semaphore(concurrency)

    async def bounded(http: ClientSession, seed: int) -> None:
        async with limit:
            await _one(server, http, voice_case(seed, response_bytes), report)

    try:
        async with ClientSession() as http, asyncio.TaskGroup() as group:
            for seed in seeds:
                group.create_task(bounded(http, seed))
    finally:
        await server.stop()
    report.seconds = time.monotonic() - started
    return report
