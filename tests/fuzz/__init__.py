"""A protocol fuzzer of the realtime client: a seeded server that mutates correct sessions.

`plans` writes what a correct service sends on a connection and mutates it; `server` plays those
plans to the client and records what it actually sent; `oracle` judges a recorded transcript by
the protocol alone (what a correct client must conclude from it); `runner` drives the client in
both paths, with and without a spare, and checks every invariant on every session. The test
suite runs a few hundred seeds (tests/client/test_fuzz.py); `python -m benchmarks fuzz` runs
many more. `voices` does the same for the voice customisation API's HTTP answers
(tests/client/test_voices_fuzz.py).
"""

from .runner import FuzzSettings, Report, Violation, fuzz

__all__ = ["FuzzSettings", "Report", "Violation", "fuzz"]
