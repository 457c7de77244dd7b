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
    from .models.attribute_classifier import AttributeClassifier, AttributeClassifierConfig
    from .models.text_encoder import CharCNNRNNConfig, CharCNNRNNModel

    AutoConfig.register("stackgan", StackGANConfig, exist_ok=True)
    AutoConfig.register("s2i_attribute_classifier", AttributeClassifierConfig, exist_ok=True)
    AutoModel.register(AttributeClassifierConfig, AttributeClassifier, exist_ok=True)
    AutoConfig.register("char_cnn_rnn", CharCNNRNNConfig, exist_ok=True)
    AutoModel.register(CharCNNRNNConfig, CharCNNRNNModel, exist_ok=True)
    AutoTokenizer.register(CharCNNRNNConfig, tokenizer_class=CharTokenizer, exist_ok=True)
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

from .pipelines import (  # noqa: E402
    SpeechToImageConfig,
    SpeechToImageModel,
    SpeechToImagePipeline,
    TextToImagePipeline,
)


def __getattr__(name):
    if name == "StackGANPipeline":  # lazily: it imports diffusers
        from .pipelines import StackGANPipeline

        return StackGANPipeline
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _register_pipelines():
    from transformers import AutoConfig, AutoModel
    from transformers.pipelines import PIPELINE_REGISTRY

    AutoConfig.register("speech_to_image", SpeechToImageConfig, exist_ok=True)
    AutoModel.register(SpeechToImageConfig, SpeechToImageModel, exist_ok=True)
    PIPELINE_REGISTRY.register_pipeline("speech-to-image", pipeline_class=SpeechToImagePipeline, pt_model=AutoModel,
                                        type="multimodal")
    PIPELINE_REGISTRY.register_pipeline("text-to-image", pipeline_class=TextToImagePipeline, pt_model=AutoModel,
                                        type="multimodal")
    # Saved parts carry their own code, so a bundle loads with trust_remote_code=True where s2i_hf is absent.
    from .models.text_encoder import CharCNNRNNConfig, CharCNNRNNModel

    from .models.attribute_classifier import AttributeClassifier, AttributeClassifierConfig

    for cls in (SpeechToImageConfig, StackGANConfig, CharCNNRNNConfig, AttributeClassifierConfig):
        cls.register_for_auto_class()
    for cls in (SpeechToImageModel, StackGANStage1Generator, StackGANStage2Generator, StackGANStage1Discriminator,
                CharCNNRNNModel, AttributeClassifier):  # a bundle's critic: Stage I's discriminator or a classifier
        cls.register_for_auto_class("AutoModel")


_register_pipelines()
