"""Train StackGAN Stage I or Stage II on a StackGAN birds folder (CUB_200_2011 + the char-CNN-RNN pickles).

    accelerate launch --config_file accelerate_configs/cpu.yaml recipes/train_stackgan.py --stage 1 \
        --config recipes/configs/stackgan_stage1_demo.yaml --dataset_dir outputs/birds --output_dir outputs/stage1 \
        --text_encoder outputs/text_encoder
    accelerate launch recipes/train_stackgan.py --stage 2 --config recipes/configs/stackgan_stage2_demo.yaml \
        --dataset_dir outputs/birds --stage1_model outputs/stage1 --output_dir outputs/stage2 \
        --text_encoder outputs/text_encoder

Any config field can be overridden (`--max_steps 20`); `--resume_from_checkpoint latest` continues from the newest
complete checkpoint-<step> in --output_dir with the same data order. Mixed precision comes from the accelerate
config (`--mixed_precision bf16`). Writes the generator (EMA weights when `use_ema`; with `--average_from_step`, their
mean over the checkpoints from that step on) to --output_dir in
`save_pretrained` form, the discriminator to --output_dir/discriminator, sample grids to --output_dir/samples, and
a model card.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.utils import DataLoaderConfiguration, DistributedDataParallelKwargs, ProjectConfiguration, set_seed
from diffusers.training_utils import EMAModel
from diffusers.utils import make_image_grid
from diffusers.utils.pil_utils import pt_to_pil
from tqdm.auto import tqdm

import s2i_hf  # noqa: F401  (registers the StackGAN config and models with the Auto classes)
from s2i_hf.data.caption_recoloring import colours_used, random_permutation, recolor
from s2i_hf.data.cub import load_cub
from s2i_hf.data.cub_attributes import CUBAttributes, attribute_files, has_attribute_files
from s2i_hf.data.errors import DataFormatError
from s2i_hf.models.stackgan import (
    StackGANConfig,
    StackGANStage1Discriminator,
    StackGANStage1Generator,
    StackGANStage2Discriminator,
    StackGANStage2Generator,
)
from s2i_hf.training import checkpoints
from s2i_hf.training.arguments import parse_args
from s2i_hf.training.model_card import render_stackgan_card
from s2i_hf.training.publish import publish
from s2i_hf.training.stackgan import (
    AUGMENTATIONS,
    StackGANLoss,
    StackGANTrainingData,
    check_finite,
    halving_schedule,
    training_step,
)
from s2i_hf.training.text_encoder import embed_caption_lists, embed_split_captions
from s2i_hf.training.weight_averaging import WeightAverage

logger = logging.getLogger(__name__)


@dataclass
class ModelArguments:
    stage: int = field(default=1, metadata={"help": "1: 64 x 64 from text; 2: 256 x 256 refining a trained Stage I"})
    stage1_model: str | None = field(default=None, metadata={"help": "Stage II: the trained Stage-I folder"})
    condition_dim: int = 128
    noise_dim: int = 100
    generator_width: int = field(default=128, metadata={"help": "reference GF_DIM"})
    discriminator_width: int = field(default=64, metadata={"help": "reference DF_DIM"})
    num_residual_blocks: int = 4
    normalize_text_embeds: bool = field(default=False, metadata={"help": "standardize embeddings before conditioning"})
    projection_discriminator: bool = field(default=False, metadata={"help": "add a projection term to D's logit"})
    conditional_batch_norm: bool = field(default=False, metadata={
        "help": "Stage-I generator's BatchNorm scale and shift from the condition at every up-block"})
    stage2_residual: bool = field(default=False, metadata={
        "help": "Stage II outputs the upsampled Stage-I draft plus a learned correction that starts at zero"})
    stage2_detail_only: bool = field(default=False, metadata={
        "help": "with stage2_residual: the correction adds detail only (its 4 x 4 block means removed), so the "
                "image averaged to 64 x 64 is the draft"})
    upsample_mode: str = field(default="nearest", metadata={
        "help": "generators' up-blocks: nearest (the reference) or bilinear (resize-convolution); Stage II takes "
                "its Stage I's"})
    stage2_upsample_mode: str | None = field(default=None, metadata={
        "help": "Stage II's own up-blocks, where they differ from its Stage I's: nearest or bilinear"})
    stage2_noise_injection: bool = field(default=False, metadata={
        "help": "Stage II adds per-pixel noise after each up-block, scaled by learned weights (StyleGAN's noise "
                "inputs): grain from noise, not from a repeated pattern"})
    unconditional_logits: bool = field(default=False, metadata={
        "help": "Stage I's discriminator also judges the image alone, as Stage II's does"})
    spectral_norm: bool = field(default=False, metadata={
        "help": "spectrally normalized discriminator convolutions instead of BatchNorm"})
    stage2_detail_lowpass: str = field(default="block", metadata={
        "help": "with stage2_detail_only: block (4 x 4 block means out) or smooth (bilinear low-pass out, no grid)"})
    condition_noise_scale: float = field(default=1.0, metadata={
        "help": "saved in the config: the conditioning noise the trained generator samples at inference, 0 (the "
                "mean) to 1 (as in training, the reference); training always samples all of it"})
    auxiliary_attributes: list[str] = field(default_factory=list, metadata={
        "help": "CUB attribute groups the discriminator also classifies (AC-GAN), read from CUB's attribute files, "
                "e.g. has_belly_color has_wing_color; empty: the reference"})


@dataclass
class DataArguments:
    dataset_dir: str = field(default=None, metadata={"help": "StackGAN birds folder (CUB_200_2011/, train/, test/)"})
    embedding_file: str = "char-CNN-RNN-embeddings.pickle"
    text_encoder: str | None = field(default=None, metadata={
        "help": "embed the captions with this trained text encoder (train_text_encoder.py output) instead of using "
                "embedding_file's rows: StackGAN then learns the space the pipeline feeds it"})
    captions_per_sample: int = field(default=1, metadata={"help": "average this many random caption embeddings"})
    max_train_samples: int | None = None
    preload_images: bool = field(default=True, metadata={"help": "decode and crop every image once, keep in memory"})


@dataclass
class GANTrainingArguments:
    output_dir: str = field(default=None, metadata={"help": "where checkpoints, samples and the model go"})
    seed: int = 0
    train_batch_size: int = field(default=64, metadata={"help": "per process"})
    num_train_epochs: int = 600
    max_steps: int = field(default=-1, metadata={"help": "overrides num_train_epochs when > 0"})
    max_train_minutes: float | None = field(default=None, metadata={
        "help": "also stop (checkpoint and save) after this many minutes of training in this run"})
    generator_lr: float = 2e-4
    discriminator_lr: float = 2e-4
    adam_beta1: float = 0.5
    adam_beta2: float = 0.999
    lr_decay_epochs: int = field(default=50, metadata={"help": "halve both learning rates every this many epochs"})
    kl_weight: float = 2.0
    attribute_loss_weight: float = 1.0
    attribute_loss_on_fakes: bool = field(default=False, metadata={
        "help": "D's attribute head also learns the fakes' requested attributes (full AC-GAN)"})
    interpolation_loss_weight: float = field(default=0.0, metadata={
        "help": "GAN-INT: also train G on the mean of two captions' embeddings (0: the reference)"})
    complementary_interpolation: bool = field(default=False, metadata={
        "help": "GAN-INT pairs captions that name complementary attributes (needs auxiliary_attributes)"})
    recolored_loss_weight: float = field(default=0.0, metadata={
        "help": "also train G on training captions with their colour words exchanged (new combinations), embedded "
                "by --text_encoder and judged by the attribute head (0: the reference)"})
    draft_consistency_weight: float = field(default=0.0, metadata={
        "help": "Stage II: L1 between the 256 px image averaged to 64 px and the Stage-I draft (0: the reference)"})
    diff_augment: list[str] = field(default_factory=list, metadata={
        "help": "DiffAugment policies for every image D sees: translation, cutout (empty: the reference)"})
    mode_seeking_weight: float = field(default=0.0, metadata={
        "help": "MSGAN: images of one caption must differ as their noise does (0: the reference)"})
    feature_matching_weight: float = field(default=0.0, metadata={
        "help": "G matches the mean of D's image code on real images (0: the reference)"})
    periodic_loss_weight: float = field(default=0.0, metadata={
        "help": "G pays for narrow peaks in its images' power spectrum: a regular pattern of streaks or dots (0: the "
                "reference)"})
    pair_loss_weight: float = field(default=0.0, metadata={
        "help": "Stage I: D also judges pairs, two renders of a class against two draws of one caption from two "
                "noises, so G must vary its birds with the noise (PacGAN-style; 0: the reference)"})
    pair_loss_start_step: int = field(default=0, metadata={
        "help": "with pair_loss_weight: the pair term joins at this step, once the colours have taken hold (0: from "
                "the start)"})
    pair_head_only: bool = field(default=False, metadata={
        "help": "with pair_loss_weight: D's pair loss trains its pair head only, not the image encoder that its "
                "other logits and the attribute head share"})
    pair_attributes: bool = field(default=False, metadata={
        "help": "with pair_loss_weight and auxiliary_attributes: both images of each generated pair are also asked "
                "for the colours their caption names (the attribute loss, as the main fakes)"})
    use_ema: bool = True
    ema_decay: float = 0.999
    average_from_step: int = field(default=0, metadata={
        "help": "the final generator is the mean of its (EMA) weights at every checkpoint from this step on, the "
                "last step's included: the middle of a GAN's wander between checkpoints (0: the last step's weights)"})
    channels_last: bool = field(default=True, metadata={"help": "NHWC convolutions (faster on CPU and GPU)"})
    checkpointing_steps: int = 500
    checkpoints_total_limit: int | None = 3
    resume_from_checkpoint: str | None = field(default=None, metadata={"help": "'latest' or a checkpoint folder"})
    logging_steps: int = 50
    sample_steps: int = field(default=500, metadata={"help": "fixed-noise sample grid every this many steps"})
    num_samples: int = 16
    report_to: str = field(default="tensorboard", metadata={"help": "tensorboard or none"})
    dataloader_num_workers: int = 0
    use_cpu: bool = field(default=False, metadata={"help": "train on the CPU even where a GPU is present"})
    push_to_hub: bool = False
    hub_model_id: str | None = field(default=None, metadata={"help": "Hub repo id, or file://PATH for a folder"})


def check_options(model_args, data_args, args):
    """Options that cannot work together, or with this data, stop the run before anything is trained."""
    if args.complementary_interpolation and not model_args.auxiliary_attributes:
        raise SystemExit("complementary_interpolation pairs captions by the attribute groups they name: it needs "
                         "auxiliary_attributes (e.g. [has_belly_color, has_wing_color])")
    if args.complementary_interpolation and not args.interpolation_loss_weight:
        raise SystemExit("complementary_interpolation needs interpolation_loss_weight > 0 (it chooses GAN-INT partners)")
    if args.recolored_loss_weight and not (data_args.text_encoder and model_args.auxiliary_attributes):
        raise SystemExit("recolored_loss_weight embeds the recoloured captions with --text_encoder and judges them by "
                         "the attribute head: it needs --text_encoder and auxiliary_attributes")
    for name in ("kl_weight", "attribute_loss_weight", "interpolation_loss_weight", "recolored_loss_weight",
                 "draft_consistency_weight", "mode_seeking_weight", "feature_matching_weight", "periodic_loss_weight",
                 "pair_loss_weight"):
        if getattr(args, name) < 0:
            raise SystemExit(f"{name} ({getattr(args, name)}) must be >= 0")
    unknown = [p for p in args.diff_augment if p not in AUGMENTATIONS]
    if unknown:
        raise SystemExit(f"diff_augment {unknown}: the policies are {list(AUGMENTATIONS)}")
    if model_args.upsample_mode not in ("nearest", "bilinear"):
        raise SystemExit(f"upsample_mode {model_args.upsample_mode!r}: nearest or bilinear")
    if model_args.stage2_upsample_mode not in (None, "nearest", "bilinear"):
        raise SystemExit(f"stage2_upsample_mode {model_args.stage2_upsample_mode!r}: nearest or bilinear")
    if model_args.stage2_upsample_mode and model_args.stage != 2:
        raise SystemExit("stage2_upsample_mode sets Stage II's own up-blocks: it needs --stage 2")
    if model_args.stage2_noise_injection and model_args.stage != 2:
        raise SystemExit("stage2_noise_injection adds noise to Stage II's up-blocks: it needs --stage 2")
    if model_args.stage2_detail_lowpass not in ("block", "smooth"):
        raise SystemExit(f"stage2_detail_lowpass {model_args.stage2_detail_lowpass!r}: block or smooth")
    if args.pair_head_only and not args.pair_loss_weight:
        raise SystemExit("pair_head_only sets how D learns the pair term: it needs pair_loss_weight > 0")
    if args.pair_attributes and not (args.pair_loss_weight and model_args.auxiliary_attributes):
        raise SystemExit("pair_attributes asks the pairs' images for their colours: it needs pair_loss_weight > 0 "
                         "and auxiliary_attributes")
    if args.pair_loss_start_step and not args.pair_loss_weight:
        raise SystemExit("pair_loss_start_step sets when the pair term joins: it needs pair_loss_weight > 0")
    if args.average_from_step < 0 or 0 < args.max_steps < args.average_from_step:
        raise SystemExit(f"average_from_step ({args.average_from_step}) must be between 0 and max_steps "
                         f"({args.max_steps})")
    if args.pair_loss_start_step < 0:
        raise SystemExit(f"pair_loss_start_step ({args.pair_loss_start_step}) must be >= 0")
    if args.pair_loss_weight and model_args.stage != 1:
        raise SystemExit("pair_loss_weight judges pairs of Stage I's draws (Stage II keeps its drafts' variety): it "
                         "needs --stage 1")
    if args.draft_consistency_weight and model_args.stage != 2:
        raise SystemExit("draft_consistency_weight holds Stage II to its Stage-I draft: it needs --stage 2")
    if model_args.auxiliary_attributes and not has_attribute_files(data_args.dataset_dir):
        names, labels = attribute_files(Path(data_args.dataset_dir))
        absent = labels if names is not None else Path(data_args.dataset_dir) / "attributes.txt"
        raise SystemExit(f"auxiliary_attributes {model_args.auxiliary_attributes} are read from CUB's attribute "
                         f"files, but {absent} is missing (CUB lays attributes.txt beside CUB_200_2011/ and the "
                         "labels in CUB_200_2011/attributes/); remove auxiliary_attributes to train without them")


def attribute_targets(model_args, data_args, train):
    """({group: values}, soft targets of the train images) for the configured CUB groups, or ({}, None)."""
    groups = model_args.auxiliary_attributes
    if not groups:
        return {}, None
    labels = CUBAttributes.from_folder(data_args.dataset_dir)
    try:
        labels.require_groups(groups, f" ({data_args.dataset_dir}), named by auxiliary_attributes")
    except DataFormatError as e:
        raise SystemExit(str(e)) from None
    as_numpy = train.with_format("numpy")
    values, targets = labels.group_targets(as_numpy["attribute_present"][:], as_numpy["attribute_certainty"][:],
                                           groups)
    offset = 0
    for group, group_values in values.items():
        if not targets[:, offset:offset + len(group_values)].any():
            raise SystemExit(f"auxiliary attribute group {group} has no visible present value on any training image "
                             f"of {data_args.dataset_dir}: nothing to learn it from")
        offset += len(group_values)
    return values, targets


def build_models(model_args, data_args, embedding_dim: int, attribute_values: dict[str, list[str]],
                 pair_logits: bool = False):
    """A new Stage-I pair, or a Stage-II pair around the trained Stage I (whose config Stage II extends)."""
    sizes = dict(condition_dim=model_args.condition_dim, noise_dim=model_args.noise_dim,
                 generator_width=model_args.generator_width, discriminator_width=model_args.discriminator_width,
                 num_residual_blocks=model_args.num_residual_blocks, auxiliary_attributes=attribute_values or None,
                 normalize_text_embeds=model_args.normalize_text_embeds,
                 projection_discriminator=model_args.projection_discriminator,
                 conditional_batch_norm=model_args.conditional_batch_norm,
                 stage2_residual=model_args.stage2_residual, stage2_detail_only=model_args.stage2_detail_only,
                 stage2_detail_lowpass=model_args.stage2_detail_lowpass, upsample_mode=model_args.upsample_mode,
                 spectral_norm=model_args.spectral_norm, unconditional_logits=model_args.unconditional_logits,
                 condition_noise_scale=model_args.condition_noise_scale,
                 text_embeddings_from_encoder=data_args.text_encoder is not None)
    if model_args.stage == 1:
        config = StackGANConfig(text_embedding_dim=embedding_dim, pair_logits=pair_logits, **sizes)
        return StackGANStage1Generator(config), StackGANStage1Discriminator(config)
    if model_args.stage1_model is None:
        raise SystemExit("--stage 2 needs --stage1_model (a trained Stage-I folder)")
    stage1 = StackGANStage1Generator.from_pretrained(model_args.stage1_model)
    if stage1.config.text_embeddings_from_encoder != (data_args.text_encoder is not None):
        trained = "a text encoder's" if stage1.config.text_embeddings_from_encoder else f"{data_args.embedding_file}'s"
        raise SystemExit(f"{model_args.stage1_model} was trained on {trained} embeddings; train Stage II on the same "
                         f"(--text_encoder {'PATH' if stage1.config.text_embeddings_from_encoder else 'unset'})")
    if stage1.config.text_embedding_dim != embedding_dim:
        raise SystemExit(f"{model_args.stage1_model} takes {stage1.config.text_embedding_dim}-d text embeddings but "
                         f"{data_args.dataset_dir} holds {embedding_dim}-d ones")
    # Stage II's own layers take the preset's width; Stage I keeps its own (rebuilt from this config when loaded)
    sizes["stage2_generator_width"] = (model_args.generator_width
                                       if model_args.generator_width != stage1.config.generator_width else None)
    sizes["generator_width"] = stage1.config.generator_width
    sizes["stage2_upsample_mode"] = model_args.stage2_upsample_mode
    sizes["stage2_noise_injection"] = model_args.stage2_noise_injection
    sizes["pair_logits"] = False  # Stage I's training option; Stage II's discriminator has no pair head
    # Stage II's own layers take the preset's sizes; what shapes Stage I (rebuilt from this config when Stage II is
    # loaded) must be Stage I's.
    inherited = ("condition_dim", "noise_dim", "normalize_text_embeds", "conditional_batch_norm", "upsample_mode")
    config = StackGANConfig(**{**stage1.config.to_dict(), **sizes,
                               **{name: getattr(stage1.config, name) for name in inherited}})
    config.architectures = None
    return StackGANStage2Generator(config, stage1), StackGANStage2Discriminator(config)


def main(argv=None):
    # 1. Arguments, accelerator, logging
    model_args, data_args, args = parse_args((ModelArguments, DataArguments, GANTrainingArguments), argv, description=__doc__)
    if data_args.dataset_dir is None or args.output_dir is None:
        raise SystemExit("--dataset_dir and --output_dir are required")
    output_dir = Path(args.output_dir)
    # Without a GPU, say so: accelerate then forms a gloo process group under torchrun instead of running each
    # process alone (it only considers CPU data parallelism when told the run is on the CPU).
    on_cpu = args.use_cpu or not (torch.cuda.is_available() or torch.backends.mps.is_available())
    accelerator = Accelerator(
        cpu=on_cpu,
        log_with=None if args.report_to == "none" else args.report_to,
        project_config=ProjectConfiguration(project_dir=str(output_dir), logging_dir=str(output_dir / "logs")),
        # seedable sampler: epoch e shuffles the same way in every run, so a resumed run repeats the data order
        dataloader_config=DataLoaderConfiguration(use_seedable_sampler=True),
        # D runs three times a step (real, fake for D, fake for G); DDP's in-place BatchNorm buffer broadcast at
        # each forward would overwrite tensors the first backward still needs. Each process keeps its own
        # statistics, as in most GAN DDP recipes.
        kwargs_handlers=[DistributedDataParallelKwargs(broadcast_buffers=False)],
    )
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        level=logging.INFO if accelerator.is_main_process else logging.WARNING)
    set_seed(args.seed)
    check_options(model_args, data_args, args)
    if accelerator.is_main_process:
        output_dir.mkdir(parents=True, exist_ok=True)
        checkpoints.remove_partial_checkpoints(output_dir)

    # 2. Data: the train split as (image, caption embedding, attributes) samples
    train = load_cub(data_args.dataset_dir, "train", embedding_file=data_args.embedding_file)
    if data_args.max_train_samples:
        train = train.select(range(min(data_args.max_train_samples, len(train))))
    if data_args.text_encoder:
        train = embed_split_captions(train, data_args.text_encoder)
    attribute_values, real_targets = attribute_targets(model_args, data_args, train)
    recolored = {}
    if args.recolored_loss_weight:
        # one recolouring per caption, drawn once from the seed: the same text in every run and on every process
        captions, rng = train["captions"], random.Random(f"recolor-{args.seed}")
        colours = colours_used(c for image_captions in captions for c in image_captions)
        recolored["recolored_captions"] = [[recolor(c, random_permutation(colours, rng)) for c in image_captions]
                                           for image_captions in captions]
        recolored["recolored_embeddings"] = embed_caption_lists(recolored["recolored_captions"], data_args.text_encoder)
        logger.info("recoloured captions over %d colours, e.g. %r -> %r", len(colours), captions[0][0],
                    recolored["recolored_captions"][0][0])
    image_size = 64 if model_args.stage == 1 else 256
    dataset = StackGANTrainingData(train, image_size, seed=args.seed, captions_per_sample=data_args.captions_per_sample,
                                   attribute_values=attribute_values, real_attribute_targets=real_targets,
                                   preload=data_args.preload_images, class_mates=args.pair_loss_weight > 0,
                                   **recolored)
    loader = torch.utils.data.DataLoader(dataset, batch_size=args.train_batch_size, shuffle=True, drop_last=True,
                                         num_workers=args.dataloader_num_workers)
    if len(loader) == 0:
        raise SystemExit(f"{len(dataset)} training images is fewer than one batch of {args.train_batch_size}")

    # 3. Models, optimizers (Adam 2e-4, betas 0.5/0.999), the halving schedule, EMA
    embedding_dim = len(train[0]["embeddings"][0])
    generator, discriminator = build_models(model_args, data_args, embedding_dim, attribute_values,
                                            pair_logits=args.pair_loss_weight > 0)
    if args.channels_last:
        generator.to(memory_format=torch.channels_last)
        discriminator.to(memory_format=torch.channels_last)
    trainable = [p for p in generator.parameters() if p.requires_grad]
    g_opt = torch.optim.Adam(trainable, lr=args.generator_lr, betas=(args.adam_beta1, args.adam_beta2))
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=args.discriminator_lr, betas=(args.adam_beta1, args.adam_beta2))
    steps_per_epoch = len(loader) // accelerator.num_processes
    max_steps = args.max_steps if args.max_steps > 0 else args.num_train_epochs * steps_per_epoch
    schedule = halving_schedule(args.lr_decay_epochs * steps_per_epoch)
    g_sched = torch.optim.lr_scheduler.LambdaLR(g_opt, schedule)
    d_sched = torch.optim.lr_scheduler.LambdaLR(d_opt, schedule)
    generator, discriminator, g_opt, d_opt, loader, g_sched, d_sched = accelerator.prepare(
        generator, discriminator, g_opt, d_opt, loader, g_sched, d_sched)
    steps_per_epoch = len(loader)
    if args.average_from_step > max_steps:
        raise SystemExit(f"average_from_step ({args.average_from_step}) is beyond the run's {max_steps} steps")
    average = WeightAverage() if args.average_from_step else None
    ema = EMAModel(accelerator.unwrap_model(generator).parameters(), decay=args.ema_decay) if args.use_ema else None
    if ema is not None:
        accelerator.register_for_checkpointing(ema)
    loss_fn = StackGANLoss(args.kl_weight, args.attribute_loss_weight, [len(v) for v in attribute_values.values()],
                           attribute_loss_on_fakes=args.attribute_loss_on_fakes,
                           interpolation_weight=args.interpolation_loss_weight,
                           complementary_interpolation=args.complementary_interpolation,
                           recolored_weight=args.recolored_loss_weight,
                           draft_consistency_weight=args.draft_consistency_weight,
                           mode_seeking_weight=args.mode_seeking_weight,
                           feature_matching_weight=args.feature_matching_weight,
                           periodic_weight=args.periodic_loss_weight, pair_weight=args.pair_loss_weight,
                           pair_head_only=args.pair_head_only, pair_attributes=args.pair_attributes,
                           augment=tuple(args.diff_augment))
    without_pairs = replace(loss_fn, pair_weight=0.0)  # before pair_loss_start_step

    @contextlib.contextmanager
    def ema_weights(model):
        """`model` (the unwrapped generator) with its EMA weights for the block, its trained ones after."""
        if ema is None:
            yield model
            return
        ema.store(model.parameters())
        ema.copy_to(model.parameters())
        try:
            yield model
        finally:
            ema.restore(model.parameters())

    # 4. Checkpoints hold each model in save_pretrained form (generator/, discriminator/), plus optimizer state
    def save_hook(models, weights, folder):
        if accelerator.is_main_process:
            for model in models:
                name = "generator" if model is accelerator.unwrap_model(generator) else "discriminator"
                model.save_pretrained(Path(folder) / name)
                if name == "generator" and ema is not None:  # the weights samples and evaluation use
                    with ema_weights(model):
                        model.save_pretrained(Path(folder) / "generator_ema")
            progress = {"step": step, "train_minutes": minutes_before + (time.perf_counter() - started) / 60}
            (Path(folder) / "progress.json").write_text(json.dumps(progress))
            if average is not None:
                average.save(folder)
        weights.clear()  # saved above, in from_pretrained form

    def load_hook(models, folder):
        while models:
            model = models.pop()
            name = "generator" if model is accelerator.unwrap_model(generator) else "discriminator"
            model.load_state_dict(type(model).from_pretrained(Path(folder) / name).state_dict())

    accelerator.register_save_state_pre_hook(save_hook)
    accelerator.register_load_state_pre_hook(load_hook)
    step, minutes_before, started = 0, 0.0, time.perf_counter()
    resume = checkpoints.resolve_checkpoint(output_dir, args.resume_from_checkpoint)
    if resume is not None:
        accelerator.load_state(str(resume))
        step = checkpoints.checkpoint_step(resume)
        if (resume / "progress.json").is_file():
            minutes_before = json.loads((resume / "progress.json").read_text())["train_minutes"]
        if average is not None:
            average = WeightAverage.load(resume)
        logger.info("resumed from %s (step %d)", resume, step)
    if accelerator.is_main_process:
        accelerator.init_trackers("stackgan", config={k: v for k, v in {**asdict(model_args), **asdict(data_args),
                                                      **asdict(args)}.items() if isinstance(v, (int, float, str, bool))})

    # Fixed noise and captions (of test images: unseen classes) for the sample grids
    test = load_cub(data_args.dataset_dir, "test", embedding_file=data_args.embedding_file)
    if data_args.text_encoder:
        test = embed_split_captions(test.select(range(min(args.num_samples, len(test)))), data_args.text_encoder)
    sample_embeds = torch.tensor([test[i]["embeddings"][0] for i in range(min(args.num_samples, len(test)))])
    sample_noise = torch.randn(len(sample_embeds), accelerator.unwrap_model(generator).config.noise_dim,
                               generator=torch.Generator().manual_seed(args.seed))

    def save_samples(at_step: int):
        with ema_weights(accelerator.unwrap_model(generator)) as model, torch.no_grad(), accelerator.autocast():
            model.eval()
            images = model(sample_embeds.to(accelerator.device), noise=sample_noise.to(accelerator.device)).images
            model.train()
        grid = make_image_grid(pt_to_pil(images.float()), rows=max(1, len(images) // 8), cols=min(8, len(images)))
        (output_dir / "samples").mkdir(exist_ok=True)
        grid.save(output_dir / "samples" / f"step-{at_step:06d}.png")
        if args.report_to == "tensorboard":
            import numpy as np
            accelerator.get_tracker("tensorboard").writer.add_image(
                "samples", np.asarray(grid), at_step, dataformats="HWC")

    # 5. Train: D on real/wrong/fake, then G, one step each per batch
    start_step = step
    progress = tqdm(total=max_steps, initial=step, desc=f"stage {model_args.stage}",
                    disable=not accelerator.is_local_main_process)
    history, started = [], time.perf_counter()  # the time budget counts training, not loading
    generator.train(), discriminator.train()
    while step < max_steps:
        epoch, skip = divmod(step, steps_per_epoch)
        loader.set_epoch(epoch)
        dataset.set_epoch(epoch)
        batches = accelerator.skip_first_batches(loader, skip) if skip else loader
        for batch in batches:
            # Noise from (seed, step, process): a resumed run draws what the uninterrupted one would have drawn.
            noise_rng = torch.Generator(accelerator.device).manual_seed(
                (args.seed * 1_000_003 + step) * accelerator.num_processes + accelerator.process_index)
            step_loss = loss_fn if step >= args.pair_loss_start_step else without_pairs
            logs = training_step(generator, discriminator, g_opt, d_opt, step_loss, batch, noise_rng,
                                 backward=accelerator.backward, channels_last=args.channels_last)
            g_sched.step(), d_sched.step()
            step += 1
            check_finite(logs, step)
            if ema is not None:
                ema.step(accelerator.unwrap_model(generator).parameters())
            progress.update(1)
            if step % args.logging_steps == 0 or step == max_steps:
                logs.update(lr=g_sched.get_last_lr()[0], epoch=step / steps_per_epoch,
                            train_minutes=minutes_before + (time.perf_counter() - started) / 60)
                accelerator.log(logs, step=step)
                progress.set_postfix(d=f"{logs['d_loss']:.3f}", g=f"{logs['g_loss']:.3f}")
                history.append({"step": step, **logs})
            out_of_time = args.max_train_minutes is not None and accelerator.reduce(torch.tensor(
                float(time.perf_counter() - started > 60 * args.max_train_minutes)), "max").item() > 0
            if step % args.checkpointing_steps == 0 or step == max_steps or out_of_time:
                if average is not None and step >= args.average_from_step:
                    with ema_weights(accelerator.unwrap_model(generator)) as model:
                        average.update(model.state_dict())  # update copies them
                checkpoints.save_checkpoint(accelerator, output_dir, step, args.checkpoints_total_limit)
            if out_of_time:
                max_steps = step
                logger.info("stopping at step %d: the %.1f-minute budget is spent", step, args.max_train_minutes)
            if accelerator.is_main_process and (step % args.sample_steps == 0 or step == max_steps):
                save_samples(step)
            if step >= max_steps:
                break
    progress.close()

    # 6. Final model: the generator with its EMA weights (their mean over the last checkpoints with
    # average_from_step), the discriminator beside it; card; publish
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        model = accelerator.unwrap_model(generator)
        if average is not None and average.count:
            model.load_state_dict(average.state_dict_like(model.state_dict()))
        elif ema is not None:
            ema.copy_to(model.parameters())
        model.save_pretrained(output_dir)
        accelerator.unwrap_model(discriminator).save_pretrained(output_dir / "discriminator")
        summary = {"stage": model_args.stage, "steps": step, "epochs": round(step / steps_per_epoch, 2),
                   "train_minutes": round(minutes_before + (time.perf_counter() - started) / 60, 2),
                   "seconds_per_step_this_run": round((time.perf_counter() - started) / max(1, step - start_step), 4),
                   "mixed_precision": accelerator.mixed_precision,
                   "averaged_checkpoints": average.count if average is not None else 0,
                   "last_logs": history[-1] if history else None}
        (output_dir / "train_results.json").write_text(json.dumps(summary, indent=2))
        render_stackgan_card(output_dir, model, model_args, data_args, args, summary)
        if args.push_to_hub:
            if not args.hub_model_id:
                raise SystemExit("--push_to_hub needs --hub_model_id (a Hub repo id, or file://PATH)")
            logger.info("published to %s", publish(output_dir, args.hub_model_id))
        print(json.dumps(summary))
    accelerator.end_training()


if __name__ == "__main__":
    main()
