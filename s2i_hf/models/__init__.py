"""Models: one folder per model (`asr/` the Speech-Transformer's tokenizer and presets, `stackgan/`, ...)."""
