"""The bundle's joint CTC/attention decoding is s2i_hf.models.asr.decoding. This shim lets
modeling_speech_to_image.py import it as `.decoding`, which also holds in a bundle: its save_pretrained copies
models/asr/decoding.py there under this name, so the remote-code bundle decodes exactly as the package does. (An absolute import: transformers' code copier
follows relative imports, and would look for this package's modules in the bundle.)"""

from s2i_hf.models.asr.decoding import joint_ctc_attention_beam_search, load_ctc_head, save_ctc_head  # noqa: F401
