"""What the recipes share: argument parsing, the ASR data pipeline and trainer wiring, the GAN loop, checkpoints."""
