"""The demo's report: what `s2i demo` measured, one function per judge, written as report.json, report.html and
report.png.

- `transcripts`: the held-out voice's clips through the speech-to-image pipeline, CER/WER by what was said;
- `colours`: the share of images whose belly and wing colours the attribute classifier reads as named, at 64 px
  and 256 px, from speech and from text;
- `realism`: Fréchet distance with its floor, the two-sample test and periodic artefacts, at 64 px and 256 px, and
  the diversity of four seeds per caption (s2i_hf.metrics.realism);
- `unseen_sets`: the speech test sets of voices, engines and sentence shapes that training never heard.
Every figure is named by the set it is measured on.
"""

from __future__ import annotations

import html
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import torch
from PIL import Image, ImageDraw

GROUPS = ["has_belly_color", "has_wing_color"]
HELD_OUT_VOICE = "en-us+f4"


@dataclass
class Drawn:
    """What the report draws once and every judge reads: per held-out-voice clip its transcript and images, and the
    images of the unseen-class test captions."""

    rows: list[dict] = field(default_factory=list)  # {"id", "reference", "transcript", "phrasing"}
    speech_images: list = field(default_factory=list)
    speech_drafts: list = field(default_factory=list)
    text_images: list = field(default_factory=list)  # of the clips' reference texts, typed (the same seeds)
    text_drafts: list = field(default_factory=list)  # of the first 16, for the report
    captions: list[str] = field(default_factory=list)
    caption_rows: list[int] = field(default_factory=list)  # the caption's image in the birds' test split
    caption_images: list = field(default_factory=list)
    caption_drafts: list = field(default_factory=list)


def load_judges(out: Path, seed: int):
    """The attribute classifier and the realism feature network in out/ (trained on the real train renders and kept
    there the first time)."""
    from .metrics.attribute_classifier import AttributeClassifier
    from .metrics.bird_quality import fit_judge
    from .metrics.realism import BirdFeatureNet, fit_feature_net

    judge_dir, net_dir = out / "attribute_classifier", out / "feature_net"
    if (judge_dir / "config.json").is_file():
        judge = AttributeClassifier.from_pretrained(judge_dir)
    else:
        judge = fit_judge(out / "birds", GROUPS, seed=seed)
        judge.save_pretrained(judge_dir)
    if (net_dir / "config.json").is_file():
        net = BirdFeatureNet.from_pretrained(net_dir)
    else:
        net = fit_feature_net(out / "birds", seed=seed)
        net.save_pretrained(net_dir)
    return judge.eval(), net.eval()


def draw(out: Path, speech_pipe, text_pipe, report_clips: int, report_captions: int, seed: int) -> tuple[Drawn, object]:
    """Speech of unseen classes by the held-out voice (clips naming both colours where there are any) and the test
    captions that name both colours, through the bundle: transcripts, 256 px images and their 64 px drafts."""
    from .data.caption_attributes import colours_named
    from .data.cub import load_cub
    from .data.ljspeech import load_ljspeech, read_synthesis
    from .data.synthetic.domain import class_split
    from .metrics.bird_quality import captions_naming

    splits = load_ljspeech(out / "speech", test_speaker=HELD_OUT_VOICE)
    test_classes = set(class_split()[1])
    unseen = splits["test"].filter(lambda row: row["class_id"] in test_classes)
    synthesis = read_synthesis(out / "speech")
    kinds = {clip: row.get("phrasing", "caption") for clip, row in synthesis.items()}
    asked = dict(zip(splits["test"]["id"], requested_colours(synthesis, splits["test"]["id"])))
    # a request names both colours however it is phrased (its bird's class); a caption, if the parser reads both.
    # A small corpus may hold no such clip: then any held-out-voice clip of an unseen class, or any
    naming_both = unseen.filter(lambda row: asked[row["id"]] is not None
                                or all(g in colours_named(row["normalized_text"]) for g in GROUPS))
    clips = naming_both if len(naming_both) else unseen if len(unseen) else splits["test"]
    clips = clips.select(range(min(report_clips, len(clips))))
    if len(clips) == 0:
        raise RuntimeError(f"{out / 'speech'}: no clips of the held-out voice {HELD_OUT_VOICE}")
    drawn = Drawn()
    for i, row in enumerate(clips):
        heard = speech_pipe(row["audio"]["path"], seed=seed + i)
        drawn.rows.append({"id": row["id"], "reference": row["normalized_text"], "transcript": heard["text"],
                           "phrasing": kinds.get(row["id"], "caption"), "audio": row["audio"]["path"],
                           "meant": asked[row["id"]]})
        drawn.speech_images.append(heard["images"][0] if heard["images"] else Image.new("RGB", (256, 256)))
        drawn.speech_drafts.append(text_pipe(heard["text"], seed=seed + i, height=64)["images"][0] if heard["text"]
                                   else Image.new("RGB", (64, 64)))
        drawn.text_images.append(text_pipe(row["normalized_text"], seed=seed + i)["images"][0])
        if i < 16:  # shown beside the clip in the report
            drawn.text_drafts.append(text_pipe(row["normalized_text"], seed=seed + i, height=64)["images"][0])
    test = load_cub(out / "birds", "test", attributes=False)
    pairs = captions_naming(test, GROUPS)[:report_captions]
    drawn.captions = [test[i]["captions"][c] for i, c in pairs]
    drawn.caption_rows = [i for i, _ in pairs]
    for k, caption in enumerate(drawn.captions):
        drawn.caption_images.append(text_pipe(caption, seed=seed + k)["images"][0])
        drawn.caption_drafts.append(text_pipe(caption, seed=seed + k, height=64)["images"][0])
    return drawn, test


def transcripts(drawn: Drawn) -> dict:
    """CER/WER of the held-out voice's clips: all of them, CUB-style captions alone, and requests (with plain
    English added)."""
    from .metrics import load_metric

    cer, wer = load_metric("cer"), load_metric("wer")
    figures = {}
    for label, keep in (("all_sentences", lambda kind: True), ("captions", lambda kind: kind == "caption"),
                        ("requests", lambda kind: kind != "caption")):
        chosen = [r for r in drawn.rows if keep(r["phrasing"])]
        if chosen:
            refs, hyps = [r["reference"] for r in chosen], [r["transcript"] for r in chosen]
            figures[label] = {"clips": len(chosen), "cer": round(cer.compute(predictions=hyps, references=refs), 4),
                              "wer": round(wer.compute(predictions=hyps, references=refs), 4)}
    return figures


def colour_accuracy(judge, images, texts: list[str], meant: list[dict | None] | None = None) -> dict:
    """Per group and for both groups at once (with its 95 % interval), the share of images whose colour the
    attribute classifier reads as one the text names for it. `meant[k]`, where given, is what the speaker of text k
    asked for ({group: [colours]}), read instead of the text: the colour parser knows caption shapes, not every
    way a request can be phrased."""
    from .data.caption_attributes import colours_named
    from .metrics.bird_quality import pil_to_pixels, wilson_interval

    predicted = judge.predict(pil_to_pixels(images))
    right = {g: [] for g in GROUPS}
    both = []
    for k, text in enumerate(texts):
        named = meant[k] if meant is not None and meant[k] is not None else colours_named(text)
        read = {g: judge.config.attributes[g][int(predicted[g][k])] for g in GROUPS}
        for g in GROUPS:
            if g in named:
                right[g].append(read[g] in named[g])
        if all(g in named for g in GROUPS):
            both.append(all(read[g] in named[g] for g in GROUPS))
    result = {g.removeprefix("has_").removesuffix("_color"): round(sum(v) / len(v), 4) if v else None
              for g, v in right.items()}
    result["both"] = round(sum(both) / len(both), 4) if both else None
    result["both_interval_95"] = wilson_interval(sum(both), len(both))
    result["captions_naming_both"] = len(both)
    return result


def colours(judge, drawn: Drawn) -> dict:
    refs, meant = [r["reference"] for r in drawn.rows], [r["meant"] for r in drawn.rows]
    return {"speech_64px_draft": colour_accuracy(judge, drawn.speech_drafts, refs, meant),
            "speech_256px": colour_accuracy(judge, drawn.speech_images, refs, meant),
            # the same clips' sentences typed, the same seeds: what hearing them cost
            "spoken_text_256px": colour_accuracy(judge, drawn.text_images, refs, meant),
            "text_64px_draft": colour_accuracy(judge, drawn.caption_drafts, drawn.captions),
            "text_256px": colour_accuracy(judge, drawn.caption_images, drawn.captions)}


def realism(net, drawn: Drawn, test, text_pipe, seed: int, diversity_captions: int = 100) -> dict:
    """The realism judges on the test captions' images at 256 px (beside their drafts upsampled) and at 64 px,
    against every real test render; and the diversity of four seeds for the first `diversity_captions` captions
    against four real renders of each caption's class."""
    from .metrics.attribute_classifier import real_images
    from .metrics.bird_quality import pil_to_pixels
    from .metrics.realism import diversity_ratio, realism_report, same_class_renders

    real = real_images(test, size=256)
    images, drafts = pil_to_pixels(drawn.caption_images), pil_to_pixels(drawn.caption_drafts)
    figures = {"256px": realism_report(net, images, real, drafts=drafts, seed=seed),
               "64px_drafts": realism_report(net, drafts, real, seed=seed)}
    few = drawn.captions[:diversity_captions]
    per_seed = torch.stack([pil_to_pixels(text_pipe(c, num_images_per_prompt=4, seed=seed + k)["images"])
                            for k, c in enumerate(few)])
    rows = same_class_renders(test["class_id"], drawn.caption_rows[: len(few)], 4, seed)
    same_class = real[torch.tensor(rows).flatten()]
    figures["diversity_256px"] = diversity_ratio(net.features(per_seed.flatten(0, 1)).view(len(few), 4, -1),
                                                 net.features(same_class).view(len(few), 4, -1), seed=seed)
    figures["_grid"] = (per_seed[:8], real[torch.tensor(drawn.caption_rows[:8])])  # for realism.png, not the JSON
    return figures


def requested_colours(synthesis: dict[str, dict], ids: list[str]) -> list[dict | None]:
    """Per clip of a synthetic speech corpus (`synthesis`: its synthesis.csv, as `read_synthesis` reads it), the
    belly and wing colours its request asked for (a request always names both: its bird's class; with or without a
    sentence of plain English beside it), or None for a clip of another kind (a caption names what it names, read
    from its text)."""
    from .data.synthetic.domain import CUB_COLOUR, class_colours

    meant = []
    for clip in ids:
        row = synthesis.get(clip)
        if row is None or not row.get("phrasing", "").startswith("request"):
            meant.append(None)
            continue
        belly, wing = class_colours(int(row["class_id"]))
        meant.append({"has_belly_color": [CUB_COLOUR[belly]], "has_wing_color": [CUB_COLOUR[wing]]})
    return meant


def unseen_sets(out: Path, speech_pipe, text_pipe, judge, report_clips: int, seed: int) -> dict:
    """Captions read by eSpeak voices and by other engines' voices (each engine on its own), and requests phrased in
    sentence shapes, that training never heard (birds of every class: these sets measure the ASR, and the picture
    from what it heard). Beside the colours from speech, the colours from the same sentences typed
    (`attribute_accuracy_256px_from_text`, the same seeds): what is lost between them is lost in hearing."""
    from .data.ljspeech import load_ljspeech, read_synthesis
    from .data.synthetic.engines import engine_of
    from .metrics import load_metric

    cer, wer = load_metric("cer"), load_metric("wer")

    def scored(refs, hyps, images, meant, typed):
        return {"clips": len(refs), "cer": round(cer.compute(predictions=hyps, references=refs), 4),
                "wer": round(wer.compute(predictions=hyps, references=refs), 4),
                "attribute_accuracy_256px": colour_accuracy(judge, images, refs, meant),
                "attribute_accuracy_256px_from_text": colour_accuracy(judge, typed, refs, meant)}

    figures = {}
    for name, clips in (("unseen_voices", report_clips), ("unseen_phrasing", report_clips),
                        ("unseen_engines", 2 * report_clips)):
        folder = out / f"speech_{name}"
        if not (folder / "metadata.csv").is_file():
            continue
        data = load_ljspeech(folder, validation_fraction=0.0, test_fraction=1.0)["test"]
        data = data.select(range(min(clips, len(data))))
        heard = [speech_pipe(row["audio"]["path"], seed=seed + i) for i, row in enumerate(data)]
        refs, hyps = data["normalized_text"], [h["text"] for h in heard]
        images = [h["images"][0] if h["images"] else Image.new("RGB", (256, 256)) for h in heard]
        typed = [text_pipe(ref, seed=seed + i)["images"][0] for i, ref in enumerate(refs)]
        meant = requested_colours(read_synthesis(folder), data["id"])
        figures[f"speech_{name}"] = {
            **scored(refs, hyps, images, meant, typed),
            "examples": [{"reference": r, "transcript": h} for r, h in list(zip(refs, hyps))[:3]]}
        if name == "unseen_engines":  # each engine's unseen voices on their own
            groups: dict[str, tuple[list, ...]] = {}
            for row in zip(refs, hyps, images, meant, typed, data["speaker"]):
                for kept, item in zip(groups.setdefault(engine_of(row[-1]), ([], [], [], [], [])), row[:-1]):
                    kept.append(item)
            figures[f"speech_{name}"]["by_engine"] = {engine: scored(*groups[engine]) for engine in sorted(groups)}
    return figures


def write_pictures(out: Path, drawn: Drawn, grid: tuple[torch.Tensor, torch.Tensor]) -> None:
    """report.png (the first clips from speech at 256 px, from the reference text at 256 px, its 64 px draft) and
    realism.png (real renders of the first test captions' classes, above the images drawn from them, four seeds)."""
    from diffusers.utils import make_image_grid
    from diffusers.utils.pil_utils import pt_to_pil

    shown = min(16, len(drawn.rows))
    pictures = [im.resize((128, 128)) for im in drawn.speech_images[:shown] + drawn.text_images[:shown] +
                drawn.text_drafts[:shown]]
    _captioned(make_image_grid(pictures, rows=3, cols=shown),
               "rows: from speech (held-out voice, 256 px); from the reference text (256 px); the Stage-I draft of "
               "the latter (64 px)").save(out / "report.png")
    per_seed, real = grid
    columns = len(real)
    pictures = pt_to_pil(torch.cat([real, per_seed.transpose(0, 1).flatten(0, 1)]))
    _captioned(make_image_grid([im.resize((128, 128)) for im in pictures], rows=1 + per_seed.shape[1], cols=columns),
               "top: a real render of each test caption's class; below: the 256 px images drawn from the caption, "
               "seeds 0-3").save(out / "realism.png")


def _captioned(grid: Image.Image, text: str) -> Image.Image:
    canvas = Image.new("RGB", (grid.width, grid.height + 20), "white")
    canvas.paste(grid, (0, 20))
    ImageDraw.Draw(canvas).text((4, 4), text, fill="black")
    return canvas


def write_html(out: Path, drawn: Drawn, figures: dict) -> None:
    images_dir = out / "report_images"
    images_dir.mkdir(exist_ok=True)
    table = []
    for k, r in enumerate(drawn.rows[:16]):
        drawn.speech_images[k].save(images_dir / f"{r['id']}_speech.png")
        drawn.text_images[k].save(images_dir / f"{r['id']}_text.png")
        drawn.text_drafts[k].save(images_dir / f"{r['id']}_draft64.png")
        table.append(
            f"<tr><td>{html.escape(r['id'])}<br><audio controls src='speech/wavs/{html.escape(r['id'])}.wav'></audio>"
            f"</td><td>{html.escape(r['reference'])}</td><td>{html.escape(r['transcript'])}</td>"
            f"<td><img src='report_images/{r['id']}_speech.png' width=160></td>"
            f"<td><img src='report_images/{r['id']}_text.png' width=160></td>"
            f"<td><img src='report_images/{r['id']}_draft64.png' width=160></td></tr>")
    acc = figures["attribute_accuracy"]

    def cells(a):
        return "".join(f"<td>{a[part]}</td>" for part in ("belly", "wing", "both")) + \
            f"<td>{a['both_interval_95']}</td>"

    accuracy_rows = "".join(
        f"<tr><td>{label}</td><td>{acc[f'{source}_64px_draft']['captions_naming_both']}</td>"
        f"{cells(acc[f'{source}_64px_draft'])}{cells(acc[f'{source}_256px'])}</tr>"
        for source, label in (("speech", "speech (held-out voice)"), ("text", "text (test captions)")))
    real = figures["realism"]
    realism_rows = "".join(
        f"<tr><td>{label}</td><td>{r['frechet']['generated']}</td><td>{r['frechet']['real_vs_real_floor']}</td>"
        f"<td>{r['frechet'].get('baseline', '')}</td><td>{r['two_sample'].get('accuracy', r['two_sample'].get('note'))} "
        f"{r['two_sample'].get('interval_95', '')}</td><td>{r['periodic_artefact_db']['generated']} "
        f"(real {r['periodic_artefact_db']['real']})</td></tr>"
        for label, r in (("256 px", real["256px"]), ("64 px drafts", real["64px_drafts"])))
    diversity = real["diversity_256px"]
    figure_rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(json.dumps(v))}</td></tr>"
                          for k, v in figures.items() if k not in ("attribute_accuracy", "realism"))
    (out / "report.html").write_text(f"""<!doctype html><meta charset="utf-8"><title>s2i_hf demo report</title>
<style>body{{font-family:sans-serif;margin:2em}}td{{border-bottom:1px solid #ddd;padding:4px;vertical-align:top}}</style>
<h1>s2i_hf demo: speech to image</h1>
<p>Spoken captions of bird classes never seen in training, by a voice never heard in training, through
<code>pipeline("speech-to-image", model="bundle")</code>, and captions of the same unseen classes as text.</p>
<h2>Colours right: 64 px drafts and 256 px images, side by side</h2>
<p>Share of images whose belly and wing colours, as the attribute classifier reads them, are those the caption
names (CUB groups has_belly_color, has_wing_color), with the 95 % interval of "both".</p>
<table><tr><th></th><th></th><th colspan=4>64 px (Stage I draft)</th><th colspan=4>256 px (Stage II)</th></tr>
<tr><th>from</th><th>captions naming both</th><th>belly</th><th>wing</th><th>both</th><th>95 %</th><th>belly</th>
<th>wing</th><th>both</th><th>95 %</th></tr>
{accuracy_rows}</table>
<p>The held-out voice's clips, the same sentences typed (the same seeds), 256 px: both right
<b>{acc['spoken_text_256px']['both']}</b> {acc['spoken_text_256px']['both_interval_95']}; what is lost from there to
speech is lost in hearing. A request is judged against the colours it asked for (its bird's class), a caption
against those it names.</p>
<h2>Realism: do they look like the birds they learned from?</h2>
<p>On the {figures['text_captions']} test captions' images, against the real test renders. Fréchet distance in the
space of a feature network trained on the real training renders only, beside the floor of real renders against
real renders (and, at 256 px, the 64 px drafts upsampled); the held-out accuracy of a small CNN trained to tell
generated from real (0.5: indistinguishable); the strongest periodic peak of the mean spectrum (a grid or streaks),
generated and real. Diversity: four seeds per caption against four real renders of its class, 1.0 as varied as the
data: <b>{diversity['ratio']}</b> {diversity['interval_95']} ({diversity['captions']} captions).</p>
<table><tr><th></th><th>Fréchet distance</th><th>real vs real floor</th><th>drafts upsampled</th>
<th>two-sample accuracy, 95 %</th><th>periodic peak, dB</th></tr>{realism_rows}</table>
<p><img src="realism.png" width=100%></p>
<h2>Figures</h2><table>{figure_rows}</table>
<h2>Clips</h2><table><tr><th>clip</th><th>reference</th><th>transcript</th><th>from speech</th><th>from text</th><th>Stage-I draft (64 px)</th></tr>
{''.join(table)}</table>
""")


def write_report(out: Path, report_clips: int, seed: int, report_captions: int = 400) -> dict:
    """Every judge of the demo on its bundle; returns the figures (report.json is written by the caller, with the
    minutes per step)."""
    import s2i_hf  # noqa: F401  (registers the pipeline tasks)
    from transformers import pipeline

    from .training.model_card import render_bundle_card

    speech_pipe = pipeline("speech-to-image", model=str(out / "bundle"))
    text_pipe = pipeline("text-to-image", model=str(out / "bundle"))
    drawn, test = draw(out, speech_pipe, text_pipe, report_clips, report_captions, seed)
    judge, net = load_judges(out, seed)
    figures = {"held_out_voice": {"voice": HELD_OUT_VOICE, "clips": len(drawn.rows), **transcripts(drawn)},
               "attribute_accuracy": colours(judge, drawn), "text_captions": len(drawn.captions),
               "realism": realism(net, drawn, test, text_pipe, seed),
               **unseen_sets(out, speech_pipe, text_pipe, judge, report_clips, seed)}
    grid = figures["realism"].pop("_grid")

    # A few of the clips go with the bundle as examples (the web app offers them); its model card gets the figures
    examples = out / "bundle" / "examples"
    examples.mkdir(exist_ok=True)
    for row in drawn.rows[:4]:
        shutil.copyfile(row["audio"], examples / Path(row["audio"]).name)
    from diffusers.utils import make_image_grid

    columns = min(8, len(drawn.rows))  # a row from speech above a row from text
    make_image_grid([im.resize((128, 128)) for im in drawn.speech_images[:columns] + drawn.text_images[:columns]],
                    rows=2, cols=columns).save(out / "bundle" / "samples.png")
    render_bundle_card(out / "bundle", speech_pipe.model, {k: json.dumps(v) if isinstance(v, dict) else v
                                                           for k, v in figures.items()}, samples="samples.png")
    write_pictures(out, drawn, grid)
    write_html(out, drawn, figures)
    return figures
