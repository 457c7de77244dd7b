"""Offline stand-ins for LJSpeech and CUB, written in the exact real formats (see docs/synthetic-data.md)."""
