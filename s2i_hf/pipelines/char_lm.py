"""The bundle's character LM is s2i_hf.models.asr.char_lm. This shim lets modeling_speech_to_image.py import it as
`.char_lm`, which also holds in a bundle: its save_pretrained copies models/asr/char_lm.py there under this name.
(An absolute import, as in decoding.py.)"""

from s2i_hf.models.asr.char_lm import CharNGramLM  # noqa: F401
