"""The demo: Home Assistant with the integration, against the emulator or the real service."""
