"""`s2i app` as a person uses it: the server started as the command line starts it, the page driven in a real
headless Chromium (Debian's, through Playwright with executable_path; no browser download). Marked `browser`:
`make test-browser` and CI run it; it needs `apt-get install chromium` and the [app] extra."""

from __future__ import annotations

import shutil
import socket
import subprocess

import numpy as np
import pytest
import soundfile as sf
from recipe_helpers import ROOT, recipe_env

from s2i_hf.app import start_server

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# as root Chromium needs --no-sandbox; the rest keep it from reaching for Google's services on a closed network
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-default-apps"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(parts, tmp_path_factory):
    """`s2i app` on the tiny bundle, in its own process, as a user starts it."""
    log = tmp_path_factory.mktemp("app") / "server.log"
    with open(log, "w") as out:
        try:
            proc, url = start_server(parts / "bundle", _free_port(), "--max_file_size", "1mb", cwd=ROOT,
                                     env=recipe_env(), stdout=out, stderr=subprocess.STDOUT)
        except RuntimeError as e:
            pytest.fail(f"{e}: {log.read_text()[-2000:]}")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} not found: apt-get install -y chromium (CI installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _tone_wav(path, seconds=1.5, rate=16000):
    t = np.arange(int(seconds * rate)) / rate
    sf.write(path, (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype(np.float32), rate)
    return path


def _image_sizes(page, gallery: str) -> list[list[int]]:
    return page.locator(f"#{gallery} img").evaluate_all(
        "imgs => imgs.map(i => [i.naturalWidth, i.naturalHeight])")


def test_upload_speak_type_and_bad_input_in_a_real_browser(server, browser, parts, tmp_path):
    from playwright.sync_api import expect
    from transformers import pipeline

    import s2i_hf  # noqa: F401

    wav = _tone_wav(tmp_path / "caption.wav")
    expected = pipeline("speech-to-image", model=str(parts / "bundle"))(str(wav))["text"]
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(server)
    expect(page.get_by_text("Speech to image")).to_be_visible()

    # 1. upload a clip through the audio component's real file input; transcript and images come back
    page.locator("#audio input[type=file]").set_input_files(str(wav))
    page.locator("#draw-speech").click()
    expect(page.locator("#transcript textarea")).to_have_value(expected, timeout=120_000)
    expect(page.locator("#speech-images img")).to_have_count(2, timeout=60_000)
    page.wait_for_function("() => [...document.querySelectorAll('#speech-images img')].every(i => i.naturalWidth)")
    assert _image_sizes(page, "speech-images") == [[256, 256], [256, 256]]
    expect(page.locator("#speech-timing")).to_contain_text("transcribe")
    page.screenshot(path=str(tmp_path / "app.png"), full_page=True)

    # 2. the text tab: a typed caption gives images too
    page.get_by_role("tab", name="Text").click()
    page.locator("#caption textarea").fill("a small bird with a red belly and blue wings.")
    page.locator("#draw-text").click()
    expect(page.locator("#text-images img")).to_have_count(2, timeout=60_000)
    expect(page.locator("#text-drafts img")).to_have_count(2)

    # 3. a file that is not audio, in a fresh page: a visible error naming it, and the page keeps working
    bad = browser.new_page()
    bad.on("request", lambda request: requests.append(request.url))
    bad.goto(server)
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("this is a shopping list, not a recording\n" * 20)
    bad.locator("#audio input[type=file]").set_input_files(str(not_audio))
    bad.locator("#draw-speech").click()
    expect(bad.get_by_text("notes.wav:", exact=False).first).to_be_visible(timeout=60_000)
    bad.get_by_role("tab", name="Text").click()
    bad.locator("#caption textarea").fill("a bird with a yellow belly.")
    bad.locator("#draw-text").click()
    expect(bad.locator("#text-images img")).to_have_count(2, timeout=60_000)
    bad.screenshot(path=str(tmp_path / "app_error.png"))

    outside = [u for u in requests if not u.startswith(server) and not u.startswith(("data:", "blob:"))]
    assert outside == [], outside
    assert (tmp_path / "app.png").stat().st_size > 10_000
