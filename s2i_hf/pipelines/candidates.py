"""The bundle's choice among drafts is s2i_hf.models.stackgan.candidates (copied into a bundle under this name, as
decoding.py is; an absolute import, for the same reason)."""

from s2i_hf.models.stackgan.candidates import choose_noise, is_attribute_classifier, reads_colours  # noqa: F401
