"""Tests of the Qwen TTS Realtime integration."""
