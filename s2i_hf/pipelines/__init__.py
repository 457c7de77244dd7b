"""Inference pipelines: StackGAN's diffusers text-to-image pipeline, and the speech-to-image bundle with its
transformers pipelines (registered as tasks "speech-to-image" and "text-to-image" by `import s2i_hf`)."""

from .configuration_speech_to_image import SpeechToImageConfig
from .modeling_speech_to_image import SpeechToImageModel
from .pipeline_speech_to_image import SpeechToImagePipeline, TextToImagePipeline


def __getattr__(name):
    # diffusers is imported only when its pipeline is asked for (it adds seconds to `import s2i_hf`)
    if name == "StackGANPipeline":
        from .pipeline_stackgan import StackGANPipeline

        return StackGANPipeline
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["SpeechToImageConfig", "SpeechToImageModel", "SpeechToImagePipeline", "StackGANPipeline",
           "TextToImagePipeline"]
