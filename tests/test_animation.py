"""Animations of the stepper for slides, opened with real decoders: Pillow for the GIF, ffprobe for the
MP4, an XML parser and headless Chromium for the animated SVG."""

import itertools
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import sync_playwright

from tests.chromium import ARGS, CHROMIUM
from tests.test_viz import lecture_neuron
from tinygrad_scalar.cli import main
from tinygrad_scalar.teaching.stepper import stepper
from tinygrad_scalar.views.animation import (
    MP4_FPS,
    SLIDE_HEIGHT,
    SLIDE_WIDTH,
    FfmpegNotFoundError,
    save_animation,
    slide,
)

SVG = "{http://www.w3.org/2000/svg}"
NEURON = ["tanh(x1*w1 + x2*w2 + b)", "--at", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.88"]


@pytest.fixture(scope="module")
def page_of_neuron():
    return stepper(lecture_neuron())


def gif_frames(path: Path) -> tuple[tuple[int, int], list[int]]:
    """The size of a GIF and the duration of each of its frames in milliseconds, as Pillow decodes them."""
    with Image.open(path) as image:
        durations = []
        for k in range(image.n_frames):
            image.seek(k)
            durations.append(image.info["duration"])
        return image.size, durations


def ffprobe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_entries", "stream=width,height,nb_read_frames,codec_name",
         "-show_entries", "format=duration", "-of", "json", str(path)],
        capture_output=True, check=True, text=True,
    ).stdout  # fmt: skip
    return json.loads(out)


def test_gif_has_one_slide_per_step_and_holds_the_last(page_of_neuron, tmp_path: Path):
    """The GIF has one 1920x1080 frame per stepper frame, each shown for the set time, the last longer."""
    path = tmp_path / "pass.gif"
    save_animation(page_of_neuron.frames, page_of_neuron.equations, path, seconds_per_frame=0.7, hold_last=2.5)
    size, durations = gif_frames(path)
    assert size == (SLIDE_WIDTH, SLIDE_HEIGHT)
    assert durations == [700] * (len(page_of_neuron.frames) - 1) + [3200]


def test_gif_frames_show_the_pictures_in_order(page_of_neuron, tmp_path: Path):
    """Each decoded GIF frame is its own slide: consecutive frames differ, as the outlined node moves."""
    path = tmp_path / "pass.gif"
    save_animation(page_of_neuron.frames, page_of_neuron.equations, path, seconds_per_frame=0.5, hold_last=0)
    with Image.open(path) as image:
        pictures = []
        for k in range(image.n_frames):
            image.seek(k)
            pictures.append(image.convert("RGB").tobytes())
    assert len(pictures) == len(page_of_neuron.frames)
    assert all(a != b for a, b in itertools.pairwise(pictures))


def test_mp4_lasts_the_time_of_its_frames_at_slide_size(page_of_neuron, tmp_path: Path):
    """The MP4 is H.264 at 1920x1080, and lasts every frame's time plus the hold, to the frame."""
    path = tmp_path / "pass.mp4"
    frames = page_of_neuron.frames
    save_animation(frames, page_of_neuron.equations, path, seconds_per_frame=0.3, hold_last=1.0)
    info = ffprobe(path)
    stream = info["streams"][0]
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", SLIDE_WIDTH, SLIDE_HEIGHT)
    seconds = 0.3 * len(frames) + 1.0
    assert int(stream["nb_read_frames"]) == round(seconds * MP4_FPS)
    assert float(info["format"]["duration"]) == pytest.approx(seconds, abs=1 / MP4_FPS)


def test_mp4_without_ffmpeg_says_how_to_install_it(page_of_neuron, tmp_path: Path, monkeypatch):
    """With no ffmpeg on PATH, writing an MP4 raises an error that says how to install it, and writes nothing."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FfmpegNotFoundError, match="apt-get install ffmpeg"):
        save_animation(page_of_neuron.frames, page_of_neuron.equations, tmp_path / "pass.mp4")
    assert not (tmp_path / "pass.mp4").exists()


def svg_schedule(path: Path) -> tuple[float, list[tuple[str, list[float]]]]:
    """An animated SVG's cycle in seconds and, per slide, its visibility values and key times."""
    root = ET.parse(path).getroot()
    slides = [g for g in root if g.tag == f"{SVG}g"]
    schedule = []
    durations = set()
    for g in slides:
        animate = g.find(f"{SVG}animate")
        assert animate.get("attributeName") == "visibility" and animate.get("repeatCount") == "indefinite"
        durations.add(animate.get("dur"))
        schedule.append((animate.get("values"), [float(t) for t in animate.get("keyTimes").split(";")]))
    (cycle,) = durations
    return float(cycle.rstrip("s")), schedule


def test_animated_svg_shows_each_slide_in_turn(page_of_neuron, tmp_path: Path):
    """The animated SVG has one slide per frame, each becoming visible when the one before it hides,
    in a cycle as long as all the frames plus the hold."""
    path = tmp_path / "pass.svg"
    n = len(page_of_neuron.frames)
    save_animation(page_of_neuron.frames, page_of_neuron.equations, path, seconds_per_frame=1.5, hold_last=3)
    cycle, schedule = svg_schedule(path)
    assert cycle == pytest.approx(1.5 * n + 3)
    assert len(schedule) == n
    starts = [0.0] + [times[1] for _, times in schedule[1:]]
    ends = [times[-1] for _, times in schedule[:-1]] + [1.0]
    assert starts[1:] == ends[:-1]
    assert [(e - s) * cycle for s, e in zip(starts, ends)] == pytest.approx([1.5] * (n - 1) + [4.5], abs=1e-4)


def test_animated_svg_plays_in_a_browser(page_of_neuron, tmp_path: Path):
    """Chromium plays the animated SVG: at any moment exactly one slide shows, the one whose time it is."""
    path = tmp_path / "pass.svg"
    save_animation(page_of_neuron.frames, page_of_neuron.equations, path, seconds_per_frame=2, hold_last=4)
    n = len(page_of_neuron.frames)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page()
        page.goto(path.as_uri())
        shown = []
        for t in [1.0 + 2 * k for k in range(n)] + [2 * n + 3.0, 2 * n + 4 + 1.0]:
            visible = page.evaluate(
                """t => { const svg = document.documentElement; svg.pauseAnimations(); svg.setCurrentTime(t);
                   return Array.from(svg.querySelectorAll(':scope > g')).map(
                       (g, i) => getComputedStyle(g).visibility === 'visible' ? i : -1).filter(i => i >= 0); }""",
                t,
            )
            shown.append(visible)
        browser.close()
    assert shown == [[k] for k in range(n)] + [[n - 1], [0]]  # the last one held, then it loops


def test_slide_sets_the_caption_large_and_keeps_every_line(page_of_neuron):
    """A slide's caption is set in at least 24-pixel type, with every line of the equation in it."""
    equation = page_of_neuron.equations[3]
    one = ET.fromstring(slide(page_of_neuron.frames[3], equation))
    group = one.find(f"{SVG}g")
    assert int(group.get("font-size")) >= 24
    text = " ".join(t.text for t in group.iter(f"{SVG}text"))
    assert all(word in text for word in equation.split())


def test_animation_refuses_what_it_cannot_write(page_of_neuron, tmp_path: Path):
    """An unknown suffix, a missing caption or a bad time is refused by name, and no file is written."""
    frames, captions = page_of_neuron.frames, page_of_neuron.equations
    with pytest.raises(ValueError, match=r"\.gif, \.mp4, \.svg"):
        save_animation(frames, captions, tmp_path / "pass.avi")
    with pytest.raises(ValueError, match="one caption"):
        save_animation(frames, captions[:-1], tmp_path / "pass.gif")
    with pytest.raises(ValueError, match="seconds per frame"):
        save_animation(frames, captions, tmp_path / "pass.gif", seconds_per_frame=0)
    with pytest.raises(ValueError, match=r"at least 0\.04"):
        save_animation(frames, captions, tmp_path / "pass.mp4", seconds_per_frame=0.02)
    with pytest.raises(ValueError, match="hold the last frame"):
        save_animation(frames, captions, tmp_path / "pass.gif", hold_last=float("nan"))
    with pytest.raises(ValueError, match="SVG picture"):
        save_animation(["not a picture"], ["x"], tmp_path / "pass.svg")
    assert list(tmp_path.iterdir()) == []


def test_explain_writes_the_stepper_as_a_gif(tmp_path: Path, capsys):
    """explain -o pass.gif writes one slide per step of the stepper, with the timing given on the command line."""
    path = tmp_path / "pass.gif"
    code = main(["explain", *NEURON, "-o", str(path), "--seconds-per-frame", "1.2", "--hold-last", "0.8"])
    assert code == 0, capsys.readouterr().err
    size, durations = gif_frames(path)
    steps = len(re.findall(r"^step \d+:", main_text(capsys), re.MULTILINE))
    assert size == (SLIDE_WIDTH, SLIDE_HEIGHT)
    # the forward part (its start, then one picture per operation), then the backward part (the seed, then one
    # picture per step), the last one held
    assert durations == [1200] * (2 * (steps + 1) - 1) + [2000]


def main_text(capsys) -> str:
    """The text explanation of the neuron's backward pass, as explain prints it."""
    capsys.readouterr()
    assert main(["explain", *NEURON]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--seconds-per-frame", "2"], "--seconds-per-frame sets the timing of an animation"),
        (["-o", "pass.gif", "--hold-last", "-1"], "--hold-last must be a number of seconds, at least 0"),
        (["-o", "pass.gif", "--seconds-per-frame", "0"], "--seconds-per-frame must be a number of seconds"),
        (
            ["-o", "pass.mp4", "--seconds-per-frame", "0.02"],
            "--seconds-per-frame must be a number of seconds, at least 0.04",
        ),
        (["--format", "latex", "-o", "pass.svg"], "--format latex writes text, and -o pass.svg is an animation"),
    ],
)
def test_explain_refuses_animation_options_it_cannot_use(arguments, said, tmp_path: Path, capsys, monkeypatch):
    """Timing without an animation, a negative or zero time, or a text format into an animation file: exit
    code 2 and one line in command-line words, nothing written."""
    monkeypatch.chdir(tmp_path)
    assert main(["explain", *NEURON, *arguments]) == 2
    err = capsys.readouterr().err
    assert said in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_explain_mp4_without_ffmpeg_says_how_to_install_it(tmp_path: Path, capsys, monkeypatch):
    """explain -o pass.mp4 without ffmpeg exits with code 1 and one line saying how to install it."""
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["explain", *NEURON, "-o", str(tmp_path / "pass.mp4")]) == 1
    err = capsys.readouterr().err
    assert "apt-get install ffmpeg" in err and err.count("\n") == 1
    assert not (tmp_path / "pass.mp4").exists()


def test_ffmpeg_and_ffprobe_are_installed_for_the_tests():
    """The tests of MP4s run with Debian's ffmpeg, which make installs: without it they could not decode."""
    assert shutil.which("ffmpeg") and shutil.which("ffprobe"), os.environ.get("PATH")


def test_stepper_save_writes_an_animation_by_the_suffix(tmp_path):
    """stepper(root).save("pass.gif") (and .svg) writes the animation, one slide per picture; .html the page."""
    from PIL import Image

    from tinygrad_scalar import Value
    from tinygrad_scalar.teaching.stepper import stepper

    x = Value(2.0, label="x")
    y = (x * x).tanh()
    y.label = "y"
    page = stepper(y)
    page.save(tmp_path / "pass.gif", seconds_per_frame=0.5, hold_last=1.0)
    with Image.open(tmp_path / "pass.gif") as gif:
        assert gif.n_frames == len(page.frames) and gif.size == (1920, 1080)
    page.save(tmp_path / "pass.svg")
    assert (tmp_path / "pass.svg").read_text().count('class="tgs-slide"') == len(page.frames)
    page.save(tmp_path / "pass.html")
    assert (tmp_path / "pass.html").read_text().startswith("<!DOCTYPE html>")
