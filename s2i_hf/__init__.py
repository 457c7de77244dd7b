"""s2i_hf: speech to image with the Hugging Face stack (Speech-Transformer ASR + StackGAN)."""

__version__ = "0.1.0"
