"""scripts/live-check: a short, cheap run against the real service, compared with what we assume.

It records handshake and first-audio times, which catalogue voices each model accepts, each
format at each sample rate, how mp3/opus responses begin, how long an unused socket lives, the
error codes of a few bad requests and the `usage` of `response.done`, then lists every answer
that differs from the integration's catalogue or from the emulator. It never bills more than
`run.bill_cap` characters (printed before it starts).
"""
