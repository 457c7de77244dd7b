"""s2i_hf: speech to image with the Hugging Face stack (Speech-Transformer ASR + StackGAN).

Importing the package registers its classes with the transformers Auto classes, once, here.
"""

__version__ = "0.1.0"

# Top-level names: diffusers' pipeline loading imports each component class from its library's top level.
from .models.stackgan import (  # noqa: E402
    StackGANConfig,
    StackGANStage1Discriminator,
    StackGANStage1Generator,
    StackGANStage2Discriminator,
    StackGANStage2Generator,
)


def _register():
    from transformers import AutoConfig, AutoModel, AutoTokenizer, Speech2TextConfig

    from .models.asr.tokenization_char import CharTokenizer
    from .models.stackgan import (
        StackGANConfig,
        StackGANStage1Discriminator,
        StackGANStage1Generator,
        StackGANStage2Discriminator,
        StackGANStage2Generator,
    )

    AutoConfig.register("stackgan", StackGANConfig, exist_ok=True)
    # Four models share one config. A tuple in the mapping makes AutoModel pick the class named in the saved
    # config's `architectures` (transformers' `_get_model_class`), so every stage and role loads as what it is.
    # (`AutoModel.register` takes one class, hence the mapping's own `register`.)
    AutoModel._model_mapping.register(
        StackGANConfig,
        (StackGANStage1Generator, StackGANStage2Generator, StackGANStage1Discriminator, StackGANStage2Discriminator),
        exist_ok=True,
    )

    # Lets AutoTokenizer / AutoProcessor resolve "tokenizer_class": "CharTokenizer" in our saved folders. It only
    # matters for speech_to_text folders that name no tokenizer class; stock ones name Speech2TextTokenizer.
    AutoTokenizer.register(Speech2TextConfig, tokenizer_class=CharTokenizer, exist_ok=True)
    # Saved tokenizers also carry their own code (auto_map), so `trust_remote_code=True` loads them without s2i_hf.
    CharTokenizer.register_for_auto_class("AutoTokenizer")


_register()

from .pipelines import StackGANPipeline  # noqa: E402
