"""`s2i app`: a Gradio web page on a speech-to-image bundle: say it (or type it), see the bird.

    s2i app --model outputs/demo/bundle                 # http://127.0.0.1:7860
    s2i app --model outputs/demo/bundle --host 0.0.0.0 --port 8080 --concurrency 2

The bundle is loaded once, through `pipeline("speech-to-image")`, and the text pipeline shares its model. Speech
tab: record or upload a clip -> the transcript (editable: "Redraw" draws the edited text) -> the 256 px images
beside the 64 px Stage-I drafts they refine, with the time each step took. Text tab: a caption -> the same. Bad
input (not audio, empty, silent, longer than the pipeline takes, too large a file) is shown as an error message in
the page, which keeps serving. Requests queue with a concurrency limit; the page's code, styles and fonts come
from the gradio wheel and the system, so it asks nothing of any host but its own (analytics off).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: no calls home

MAX_IMAGES = 8


class SpeechToImageApp:
    """The pipelines and the handlers the page calls; `build()` lays out the page."""

    def __init__(self, bundle: str | os.PathLike):
        import s2i_hf  # noqa: F401  (registers the pipeline tasks)
        from transformers import pipeline

        self.bundle = Path(bundle)
        self.speech = pipeline("speech-to-image", model=str(bundle))
        self.text = pipeline("text-to-image", model=self.speech.model)  # the same weights, loaded once

    # --- handlers: each returns what the page shows, or raises gradio.Error with a message for the page
    def from_speech(self, audio_path: str | None, num_images: int, seed: int):
        import gradio as gr

        if not audio_path:
            raise gr.Error("Record or upload a clip first.")
        started = time.perf_counter()
        try:
            inputs = self.speech.preprocess(audio_path)  # decodes, resamples, refuses what it cannot take
        except Exception as e:  # noqa: BLE001  (any decoding failure is the user's file, not the server)
            name = Path(audio_path).name  # the upload's temporary path means nothing to the user
            message = _first_line(e).replace(f"{audio_path}: ", "").replace(str(audio_path), name)
            raise gr.Error(f"{name}: {message}") from None
        decoded = time.perf_counter()
        transcript = self.speech.model.transcribe([inputs["waveform"]])[0]
        heard = time.perf_counter()
        if not transcript.strip():
            raise gr.Error(f"{Path(audio_path).name}: the clip is silent (or holds nothing the recognizer could "
                           "read); no image drawn.")
        images, drafts, timing = self._draw(transcript, num_images, seed)
        timing = {"decode": decoded - started, "transcribe": heard - decoded, **timing}
        return transcript, images, drafts, _timing(timing)

    def from_text(self, text: str, num_images: int, seed: int):
        import gradio as gr

        if not text or not text.strip():
            raise gr.Error("Type a caption first.")
        images, drafts, timing = self._draw(text.strip(), num_images, seed)
        return images, drafts, _timing(timing)

    def _draw(self, text: str, num_images: int, seed: int):
        num_images = max(1, min(int(num_images), MAX_IMAGES))
        started = time.perf_counter()
        final = self.text(text, num_images_per_prompt=num_images, seed=int(seed))["images"]
        drawn = time.perf_counter()
        drafts = self.text(text, num_images_per_prompt=num_images, seed=int(seed), height=64)["images"]
        # the drafts share (text, seed) with the final images: Stage II refined exactly these
        return final, [d.resize((128, 128)) for d in drafts], {"draw": drawn - started,
                                                                "drafts": time.perf_counter() - drawn}

    # --- the page
    def about(self) -> str:
        """A few lines on what the model is, from the bundle's model card and parts."""
        model = self.speech.model
        sizes = {name: sum(p.numel() for p in getattr(model, name).parameters()) / 1e6
                 for name in ("asr", "text_encoder", "generator")}
        lines = [f"**Model** `{self.bundle.name}`: a Speech-Transformer ASR ({sizes['asr']:.1f} M parameters), a "
                 f"char-CNN-RNN text encoder ({sizes['text_encoder']:.1f} M) and StackGAN "
                 f"({sizes['generator']:.1f} M), drawing {' and '.join(map(str, model.image_sizes))} px birds."]
        card = self.bundle / "README.md"
        measured = [line for line in card.read_text().splitlines() if line.startswith("| ") and
                    line.split("|")[1].strip() in MEASURED] if card.is_file() else []
        if measured:
            lines.append("Measured on held-out speech (from the bundle's model card):\n\n| figure | value |\n"
                         "| --- | --- |\n" + "\n".join(measured))
        return "\n\n".join(lines)

    def examples(self) -> list[str]:
        folder = self.bundle / "examples"
        return sorted(str(p) for p in folder.glob("*.wav"))[:6] if folder.is_dir() else []

    def build(self):
        import gradio as gr

        with gr.Blocks(title="s2i_hf: speech to image", analytics_enabled=False) as page:
            gr.Markdown("# Speech to image\nSay what bird to draw (for example *\"a small bird with a red belly "
                        "and blue wings\"*), or type it.")
            with gr.Accordion("About this model", open=False):
                gr.Markdown(self.about())
            with gr.Row():
                num_images = gr.Slider(1, MAX_IMAGES, value=2, step=1, label="images")
                seed = gr.Number(value=0, precision=0, label="seed")
            with gr.Tab("Speech"):
                audio = gr.Audio(sources=["upload", "microphone"], type="filepath", label="spoken caption",
                                 elem_id="audio")
                speak = gr.Button("Draw from speech", variant="primary", elem_id="draw-speech")
                transcript = gr.Textbox(label="transcript (edit it and redraw)", elem_id="transcript")
                redraw = gr.Button("Redraw from the transcript", elem_id="redraw")
                speech_images = gr.Gallery(label="256 px", columns=4, format="png", elem_id="speech-images")
                speech_drafts = gr.Gallery(label="64 px Stage-I drafts", columns=8, format="png",
                                           elem_id="speech-drafts")
                speech_timing = gr.Markdown(elem_id="speech-timing")
                if self.examples():
                    gr.Examples(self.examples(), inputs=[audio], label="held-out voice, unseen classes")
            with gr.Tab("Text"):
                caption = gr.Textbox(label="caption", placeholder="a small bird with a red belly and blue wings.",
                                     elem_id="caption")
                write = gr.Button("Draw from text", variant="primary", elem_id="draw-text")
                text_images = gr.Gallery(label="256 px", columns=4, format="png", elem_id="text-images")
                text_drafts = gr.Gallery(label="64 px Stage-I drafts", columns=8, format="png", elem_id="text-drafts")
                text_timing = gr.Markdown(elem_id="text-timing")
            # api names: what gradio_client calls (recipes/benchmarks/bench_app.py)
            speak.click(self.from_speech, [audio, num_images, seed],
                        [transcript, speech_images, speech_drafts, speech_timing], api_name="speech")
            redraw.click(self.from_text, [transcript, num_images, seed], [speech_images, speech_drafts, speech_timing],
                         api_name="redraw")
            write.click(self.from_text, [caption, num_images, seed], [text_images, text_drafts, text_timing],
                        api_name="text")
            caption.submit(self.from_text, [caption, num_images, seed], [text_images, text_drafts, text_timing],
                           api_visibility="private")
        return page


MEASURED = {"held_out_voice", "attribute_accuracy", "realism"}
# system fonts: the default theme would fetch web fonts from another host
FONTS = ["ui-sans-serif", "system-ui", "sans-serif"]


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _timing(seconds: dict[str, float]) -> str:
    return "Time: " + ", ".join(f"{name} {value * 1000:.0f} ms" for name, value in seconds.items())


def launch(bundle: str, host: str = "127.0.0.1", port: int = 7860, concurrency: int = 1, queue_size: int = 16,
           max_file_size: str = "10mb", block: bool = True):
    """Serve the page; returns the gradio Blocks (and keeps serving in this thread when `block`)."""
    import gradio as gr

    page = SpeechToImageApp(bundle).build()
    page.queue(default_concurrency_limit=concurrency, max_size=queue_size)
    page.launch(server_name=host, server_port=port, max_file_size=max_file_size, ssr_mode=False, quiet=True,
                prevent_thread_lock=not block, show_error=True, footer_links=[],
                theme=gr.themes.Default(font=FONTS, font_mono=["ui-monospace", "monospace"]))
    return page


def start_server(bundle, port: int, *options: str, timeout: float = 180, **popen_kwargs) -> tuple[subprocess.Popen, str]:
    """`s2i app --model BUNDLE --port PORT OPTIONS` in its own process, as a user starts it; returns the process and
    its URL once the page answers. Raises RuntimeError (after killing it) if it does not within `timeout` seconds."""
    proc = subprocess.Popen([sys.executable, "-m", "s2i_hf", "app", "--model", str(bundle), "--port", str(port),
                             *options], **popen_kwargs)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"s2i app on port {port} did not come up") from None
            time.sleep(0.5)
