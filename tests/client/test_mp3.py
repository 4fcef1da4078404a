"""mp3 of several responses joined into one MPEG stream, however the deltas cut it."""

from __future__ import annotations

from itertools import pairwise

from custom_components.qwen_tts_realtime.realtime import RealtimeClient
from custom_components.qwen_tts_realtime.realtime.audio import PEEK_BYTES, Mp3Joiner
from qwen_tts_emulator import Emulator, Scenario, render_pcm

from ..helpers import ID3V2_4, needs_ffmpeg, probe_mp3
from .helpers import KEYS, chunks, config, speak

FRAME_HEADER = b"\xff\xf3\xc4\xc4"  # MPEG-2 Layer III, 128 kbit/s, 24 kHz, mono: 384 bytes
FRAME_BYTES = 384
SIDE_INFO = 9  # MPEG-2 mono


def id3_tag(payload: bytes, *, footer: bool = False) -> bytes:
    size = len(payload)
    syncsafe = bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    flags = 0x10 if footer else 0
    tail = b"3DI\x04\x00" + bytes((flags,)) + syncsafe if footer else b""
    return b"ID3\x04\x00" + bytes((flags,)) + syncsafe + payload + tail


def frame(filler: int) -> bytes:
    return FRAME_HEADER + bytes([filler]) * (FRAME_BYTES - len(FRAME_HEADER))


def info_frame(tag: bytes = b"Info") -> bytes:
    body = bytes(SIDE_INFO) + tag + b"\x00\x00\x00\x0f"
    return FRAME_HEADER + body + bytes(FRAME_BYTES - len(FRAME_HEADER) - len(body))


def response(filler: int, *, footer: bool = False, tag: bytes = b"Info") -> tuple[bytes, bytes]:
    """Return (a response's mp3 as the service sends it, its audio frames)."""
    frames = frame(filler) * 3
    return id3_tag(b"TSSE\x00\x00\x00\x05\x00\x00\x03Lavf", footer=footer) + info_frame(
        tag
    ) + frames, frames


def join(responses: list[list[bytes]]) -> bytes:
    joiner = Mp3Joiner()
    out = bytearray()
    for deltas in responses:
        for delta in deltas:
            out += joiner.feed(delta)
        out += joiner.end_response()
    return bytes(out)


def split(data: bytes, *cuts: int) -> list[bytes]:
    edges = [0, *cuts, len(data)]
    return [data[a:b] for a, b in pairwise(edges)]


def test_later_responses_lose_their_tag_and_every_xing_frame_goes() -> None:
    first, first_frames = response(0x11)
    second, second_frames = response(0x22, tag=b"Xing")
    tag = first[: len(first) - FRAME_BYTES - len(first_frames)]

    assert join([[first], [second]]) == tag + first_frames + second_frames


def test_a_delta_boundary_anywhere_in_the_headers_changes_nothing() -> None:
    first, _ = response(0x11)
    second, _ = response(0x22)
    whole = join([[first], [second]])

    for cut in range(1, 80):
        for other in (cut + 1, cut + 7, cut + 400):
            assert join([split(first, cut, other), split(second, cut, other)]) == whole, cut


def test_one_byte_deltas_are_held_no_longer_than_a_header_needs() -> None:
    first, _ = response(0x11)
    second, second_frames = response(0x22)
    joiner = Mp3Joiner()
    joiner.feed(first)
    joiner.end_response()

    out = bytearray()
    for index in range(len(second)):
        out += joiner.feed(second[index : index + 1])
        assert index + 1 - len(out) <= len(second) - len(second_frames) + PEEK_BYTES
    assert bytes(out) + joiner.end_response() == second_frames


def test_an_id3_footer_is_dropped_with_its_tag() -> None:
    first, first_frames = response(0x11)
    second, second_frames = response(0x22, footer=True)

    assert join([[first], [second]]).endswith(first_frames + second_frames)


def test_responses_without_tag_or_xing_frame_pass_unchanged() -> None:
    frames = frame(0x11) * 2 + frame(0x22)

    assert join([[frames], [frames[:5], frames[5:]]]) == frames + frames


def test_a_response_too_short_to_judge_is_passed_on_at_its_end() -> None:
    assert join([[b"\xff\xf3"], [b"ID"]]) == b"\xff\xf3ID"


@needs_ffmpeg
async def test_client_joins_mp3_responses_whose_deltas_split_the_id3_header(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS, delta_bytes=7)  # "ID3" + 4 bytes, then the rest
    sentences = ["Hi there.", "Bye now."]
    mp3 = config(response_format="mp3")

    audio = await speak(client.stream(mp3, chunks(" ".join(sentences))))

    record = emulator.sessions[0]
    assert record.segments == sentences
    assert record.audio.count(ID3V2_4) == 2
    assert audio.startswith(ID3V2_4)
    assert audio.count(ID3V2_4) == 1
    assert b"Info" in record.audio
    assert b"Info" not in audio
    probe = await probe_mp3(audio)
    assert probe.errors == ""
    spoken = sum(len(render_pcm(s)) / 2 / 24000 for s in sentences)
    assert abs(probe.decoded_seconds - spoken) < 0.1 * len(sentences)
