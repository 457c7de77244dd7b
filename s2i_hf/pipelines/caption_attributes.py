"""The bundle reads the colours a text names with s2i_hf.data.caption_attributes (copied into a bundle under this
name, as decoding.py is; an absolute import, for the same reason)."""

from s2i_hf.data.caption_attributes import colours_named  # noqa: F401
