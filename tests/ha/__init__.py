"""Tests that drive Home Assistant for real, with the integration speaking through the emulator."""
