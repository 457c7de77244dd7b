"""s2i_hf: speech to image with the Hugging Face stack (Speech-Transformer ASR + StackGAN).

Importing the package registers its classes with the transformers Auto classes, once, here.
"""

__version__ = "0.1.0"


def _register():
    from transformers import AutoConfig, AutoTokenizer, Speech2TextConfig

    from .models.asr.tokenization_char import CharTokenizer
    from .models.stackgan import StackGANConfig

    AutoConfig.register("stackgan", StackGANConfig, exist_ok=True)

    # Lets AutoTokenizer / AutoProcessor resolve "tokenizer_class": "CharTokenizer" in our saved folders. It only
    # matters for speech_to_text folders that name no tokenizer class; stock ones name Speech2TextTokenizer.
    AutoTokenizer.register(Speech2TextConfig, tokenizer_class=CharTokenizer, exist_ok=True)
    # Saved tokenizers also carry their own code (auto_map), so `trust_remote_code=True` loads them without s2i_hf.
    CharTokenizer.register_for_auto_class("AutoTokenizer")


_register()
