"""Benchmark of the realtime client against the emulator, side by side with the alternatives.

Run from the repository root: `scripts/benchmark` (it sets the environment up first, like
scripts/test), or `python -m benchmarks` inside that environment.

It prints Markdown tables; `--write benchmarks/RESULTS.md` also writes them, with the machine.
One module per measurement, each returning its figures and rendering its section: time to first
audio (TTFA) of our client cold and warm, a raw aiohttp baseline, the official dashscope SDK in an
executor and the vendor's sample client (ttfa.py); streaming forward latency (forward.py); TTFA
through Home Assistant's own TTS path (ha_path.py, a pytest run of ha_session.py) and when the
service fails, with and without a fallback voice (fallback_path.py, of ha_fallback_session.py);
peak memory and CPU time for up to 10 minutes of audio on the streaming path (memory.py); 50
concurrent utterances (concurrency.py); the cost and effect of cleaning up an answer's formatting
(speakable.py). `python -m benchmarks fuzz` is the protocol fuzzer's long run instead (fuzz.py).
The emulator runs as a separate process (in-process only for the forward latency and the
cleaned-up answers, which need their arrival times), on 127.0.0.1, with a handshake delay standing
in for a remote region's.
"""
