"""Model cards rendered from the Jinja templates in the repository's model_cards/ with huggingface_hub."""

from __future__ import annotations

import logging
from pathlib import Path

from huggingface_hub import ModelCard, ModelCardData

from ..models.stackgan.candidates import is_attribute_classifier

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parents[2] / "model_cards"


def render_card(template: str, output_dir: str, card_data: ModelCardData, **fields) -> Path | None:
    """Write output_dir/README.md from model_cards/<template>; skipped (with a warning) outside a checkout."""
    path = TEMPLATES / template
    if not path.is_file():
        logger.warning("model card template %s not found (installed without the repository?); no card written", path)
        return None
    card = ModelCard.from_template(card_data, template_path=str(path), **fields)
    out = Path(output_dir) / "README.md"
    card.save(out)
    return out


def render_asr_card(output_dir, model, data_args, training_args, metrics: dict) -> Path | None:
    config = model.config
    shown = {k.removeprefix("test_"): round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()
             if k in ("test_wer", "test_cer", "test_rtf", "test_samples", "test_decoding")}
    card_data = ModelCardData(
        library_name="transformers", pipeline_tag="automatic-speech-recognition", license="apache-2.0",
        tags=["s2i_hf", "speech-transformer", "speech_to_text"], datasets=["keithito/lj_speech"],
        metrics=["wer", "cer"],
    )
    test_split = (f"clips of the held-out speaker `{data_args.test_speaker}`" if data_args.test_speaker
                  else f"the hash-chosen {data_args.test_fraction:.0%} of clips (s2i_hf.data.ljspeech)")
    return render_card(
        "asr.md", output_dir, card_data,
        model_name=Path(output_dir).name, dataset=data_args.dataset_dir, repo_or_path=output_dir,
        parameters=f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f} M", d_model=config.d_model,
        heads=config.encoder_attention_heads, ffn=config.encoder_ffn_dim, encoder_layers=config.encoder_layers,
        decoder_layers=config.decoder_layers, vocab_size=config.vocab_size, test_split=test_split, metrics=shown,
        training_summary=(f"{training_args.max_steps if training_args.max_steps > 0 else training_args.num_train_epochs} "
                          f"{'steps' if training_args.max_steps > 0 else 'epochs'}, batch {training_args.per_device_train_batch_size} "
                          f"per device, learning rate {training_args.learning_rate}, label smoothing "
                          f"{training_args.label_smoothing_factor}, seed {training_args.seed}."),
    )


def _objective_options(config, data_args, training_args) -> str:
    """The options beyond the reference objective that this run used, as a sentence (empty when none)."""
    used = []
    if data_args.text_encoder:
        used.append(f"captions embedded by the text encoder {data_args.text_encoder}")
    if config.auxiliary_attributes:
        head = "also learns from fakes" if training_args.attribute_loss_on_fakes else "learns from real images"
        used.append(f"attribute loss weight {training_args.attribute_loss_weight} (the head {head})")
    if training_args.interpolation_loss_weight:
        used.append(f"GAN-INT weight {training_args.interpolation_loss_weight}"
                    + (" with complementary partners" if training_args.complementary_interpolation else ""))
    if training_args.recolored_loss_weight:
        used.append(f"recoloured captions weight {training_args.recolored_loss_weight}")
    for name, label in (("mode_seeking_weight", "mode seeking weight"),
                        ("feature_matching_weight", "feature matching weight"),
                        ("periodic_loss_weight", "periodic-pattern loss weight"),
                        ("pair_loss_weight", "pair discriminator weight (two draws of a caption against two birds of "
                                             "a class)")):
        if getattr(training_args, name, 0):
            used.append(f"{label} {getattr(training_args, name)}")
    if getattr(training_args, "pair_loss_weight", 0) and getattr(training_args, "pair_loss_start_step", 0):
        used[-1] += f" from step {training_args.pair_loss_start_step}"
    if getattr(training_args, "average_from_step", 0):
        used.append(f"the generator's weights averaged over the checkpoints from step {training_args.average_from_step}")
    return f" Beyond the reference: {'; '.join(used)}." if used else ""


def render_stackgan_card(output_dir, generator, model_args, data_args, training_args, summary: dict) -> Path | None:
    config = generator.config
    card_data = ModelCardData(library_name="transformers", pipeline_tag="text-to-image", license="apache-2.0",
                              tags=["s2i_hf", "stackgan", "gan", "text-to-image"])
    stage = model_args.stage
    auxiliary = ", ".join(config.auxiliary_attributes) if config.auxiliary_attributes else "no (the reference objective)"
    return render_card(
        "stackgan.md", output_dir, card_data,
        model_name=Path(output_dir).name, stage=stage, dataset=data_args.dataset_dir, repo_or_path=output_dir,
        stage_summary="64 x 64 images from a caption embedding" if stage == 1
        else "256 x 256 images refining a frozen Stage I's 64 x 64 draft",
        parameters=f"{sum(p.numel() for p in generator.parameters() if p.requires_grad) / 1e6:.2f} M",
        text_embedding_dim=config.text_embedding_dim, condition_dim=config.condition_dim, noise_dim=config.noise_dim,
        generator_width=config.generator_width, discriminator_width=config.discriminator_width, auxiliary=auxiliary,
        training_summary=(f"{summary['steps']} steps ({summary['epochs']} epochs), batch {training_args.train_batch_size} "
                          f"per process, Adam lr {training_args.generator_lr} (G) / {training_args.discriminator_lr} (D) "
                          f"halved every {training_args.lr_decay_epochs} epochs, KL weight {training_args.kl_weight}, "
                          f"{data_args.captions_per_sample} caption(s) per sample, seed {training_args.seed}; "
                          f"{summary['train_minutes']} minutes of training."
                          f"{_objective_options(config, data_args, training_args)}"),
    )


def render_bundle_card(output_dir, model, metrics: dict, samples: str | None = None) -> Path | None:
    card_data = ModelCardData(library_name="transformers", pipeline_tag="text-to-image", license="apache-2.0",
                              tags=["s2i_hf", "speech-to-image", "stackgan", "speech-transformer"])
    sizes = {name: f"{sum(p.numel() for p in getattr(model, name).parameters()) / 1e6:.2f} M"
             for name in ("asr", "text_encoder", "generator", "critic") if getattr(model, name) is not None}
    return render_card("bundle.md", output_dir, card_data, model_name=Path(output_dir).name, repo_or_path=output_dir,
                       sizes=sizes, image_sizes=model.image_sizes, metrics=metrics, samples=samples,
                       num_candidates=model.config.num_candidates, critic_kind=_critic_kind(model.critic),
                       condition_noise_scale=getattr(model.generator, "stage1", model.generator).config.condition_noise_scale)


def _critic_kind(critic) -> str | None:
    if critic is None:
        return None
    if is_attribute_classifier(critic):
        return "an attribute classifier trained on the real renders"
    return "Stage I's discriminator"
