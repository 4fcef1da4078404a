"""Tests of the realtime protocol client against the emulator, without Home Assistant."""
