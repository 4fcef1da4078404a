"""Tests of the local Qwen-TTS Realtime emulator (qwen_tts_emulator)."""
