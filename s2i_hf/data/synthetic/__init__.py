"""Offline stand-ins for LJSpeech and CUB, written in the exact real formats (see shared/specs/synthetic-birds.md)."""
