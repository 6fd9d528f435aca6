"""Animations of the stepper for slides, opened with real decoders: Pillow for the GIF, ffprobe for the
MP4, an XML parser and headless Chromium for the animated SVG. The slides are measured frame by frame:
the size of the graph's text in pixels, the place of the graph, the colours of the legend."""

import itertools
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import sync_playwright

from tests.chromium import ARGS, CHROMIUM
from tests.test_viz import lecture_neuron
from tinygrad_scalar import Value
from tinygrad_scalar.cli import main
from tinygrad_scalar.core import ops
from tinygrad_scalar.teaching.stepper import stepper
from tinygrad_scalar.views.animation import (
    HOLD_LAST,
    MAX_DURATION,
    MAX_FRAMES,
    MAX_HOLD_LAST,
    MAX_SECONDS_PER_FRAME,
    MIN_SLIDE_TEXT_PX,
    SLIDE_HEIGHT,
    SLIDE_WIDTH,
    AnimationTooLargeError,
    FfmpegNotFoundError,
    mathtext,
    reading_seconds,
    save_animation,
    slides,
)

SVG = "{http://www.w3.org/2000/svg}"
NEURON = ["tanh(x1*w1 + x2*w2 + b)", "--at", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.88"]
GREEN = (0xBB, 0xF7, 0xD0)  # the output's fill: the lecture neuron's o


@pytest.fixture(scope="module")
def page_of_neuron():
    return stepper(lecture_neuron())


@pytest.fixture(scope="module")
def neuron_gif(page_of_neuron, tmp_path_factory) -> list[np.ndarray]:
    """The lecture neuron's GIF with its default timing, decoded by Pillow: one RGB array per frame."""
    path = tmp_path_factory.mktemp("gif") / "pass.gif"
    page_of_neuron.save(path)
    return [np.asarray(frame.convert("RGB")).astype(int) for frame in decoded(path)]


def decoded(path: Path) -> list[Image.Image]:
    with Image.open(path) as image:
        frames = []
        for k in range(image.n_frames):
            image.seek(k)
            frames.append(image.convert("RGB"))
        return frames


def gif_frames(path: Path) -> tuple[tuple[int, int], list[int]]:
    """The size of a GIF and the duration of each of its frames in milliseconds, as Pillow decodes them."""
    with Image.open(path) as image:
        durations = []
        for k in range(image.n_frames):
            image.seek(k)
            durations.append(image.info["duration"])
        return image.size, durations


def ffprobe(path: Path, *entries: str) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_entries", "stream=width,height,nb_read_frames,codec_name",
         "-show_entries", "format=duration", *[a for e in entries for a in ("-show_entries", e)], "-of", "json",
         str(path)],
        capture_output=True, check=True, text=True,
    ).stdout  # fmt: skip
    return json.loads(out)


def region(frame: np.ndarray, color: tuple[int, int, int], bottom: int) -> tuple[int, int, int, int]:
    """The bounding box (top, bottom, left, right) of the pixels of ``color`` above the row ``bottom``."""
    ys, xs = np.nonzero(np.all(np.abs(frame[:bottom] - np.array(color)) < 8, axis=2))
    return ys.min(), ys.max(), xs.min(), xs.max()


def legend_top(frame: np.ndarray) -> int:
    """The first row of the legend: the lowest green on the slide is the legend's swatch of the output."""
    green = np.all(np.abs(frame - np.array(GREEN)) < 8, axis=2).any(axis=1)
    runs = [k for k in range(1, len(green)) if green[k] and not green[k - 1]]
    return runs[-1] - 10


def text_px(frame: np.ndarray) -> float:
    """The size of the graph's text on a slide, in pixels, measured on the output's box: the ink of its middle
    field, 'data 0.7071', is as tall as a 'd' (0.76 of the font's size in DejaVu Sans, which cairo draws)."""
    top, bottom, left, right = region(frame, GREEN, legend_top(frame))
    box = frame[top : bottom + 1, left : right + 1]
    dark = np.all(box < 110, axis=2)
    rows = dark.sum(axis=1)
    separators = [k for k in range(len(rows)) if rows[k] > 0.8 * (right - left)]
    first = separators[0] + 1
    while rows[first] > 0.8 * (right - left):
        first += 1
    second = next(k for k in separators if k > first)
    inked = [k for k in range(first, second) if rows[k] > 0]
    return (inked[-1] - inked[0] + 1) / 0.76


def solid_colors(pixels: np.ndarray) -> set[tuple[int, ...]]:
    """The colours of the solid areas of a picture (fills, thick outlines): pixels whose 3x3 neighbourhood has
    their colour all round, other than white, black and greys (the edges of antialiased text)."""
    packed = (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]
    middle = packed[1:-1, 1:-1]
    solid = np.ones(middle.shape, dtype=bool)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            solid &= packed[1 + dy : packed.shape[0] - 1 + dy, 1 + dx : packed.shape[1] - 1 + dx] == middle
    colors = {(int(c) >> 16, (int(c) >> 8) & 255, int(c) & 255) for c in np.unique(middle[solid])}
    return {c for c in colors if max(c) - min(c) >= 12}


def test_gif_has_one_slide_per_step_timed_as_given(page_of_neuron, tmp_path: Path):
    """With seconds_per_frame, the GIF has one 1920x1080 frame per stepper frame, each shown for that time, the
    last one longer by hold_last."""
    path = tmp_path / "pass.gif"
    page_of_neuron.save(path, seconds_per_frame=0.7, hold_last=2.5)
    size, durations = gif_frames(path)
    assert size == (SLIDE_WIDTH, SLIDE_HEIGHT)
    assert durations == [700] * (len(page_of_neuron.frames) - 1) + [3200]


def test_each_frame_lasts_as_long_as_its_caption_takes_to_read(page_of_neuron, tmp_path: Path):
    """By default each slide shows for its caption's reading time: the two-line chain rule of a backward step
    stays longer than a forward step's one line, and every time is within the limits."""
    path = tmp_path / "pass.gif"
    page_of_neuron.save(path)
    _, durations = gif_frames(path)
    expected = [round(reading_seconds(c) * 1000) for c in page_of_neuron.captions]
    expected[-1] += round(HOLD_LAST * 1000)
    assert durations == expected
    forward, backward = page_of_neuron.parts.index("forward") + 1, page_of_neuron.parts.index("backward") + 1
    assert durations[backward + 1] > durations[forward] >= 3000  # step 1 of the backward pass, the first product
    assert max(durations[:-1]) <= MAX_SECONDS_PER_FRAME * 1000


def test_gif_frames_show_the_pictures_in_order(neuron_gif, page_of_neuron):
    """Each decoded GIF frame is its own slide: consecutive frames differ, as the outlined node moves."""
    assert len(neuron_gif) == len(page_of_neuron.frames)
    assert all(not np.array_equal(a, b) for a, b in itertools.pairwise(neuron_gif))


def test_graph_text_is_at_least_20_px_and_keeps_its_size_and_place(neuron_gif):
    """Measured on every decoded frame: the graph's text is at least 20 px high, and the output's box is in the
    same place at the same size on every slide (the graph is laid out once and never rescaled)."""
    sizes = [text_px(frame) for frame in neuron_gif]
    assert min(sizes) >= MIN_SLIDE_TEXT_PX, sizes
    assert max(sizes) - min(sizes) <= 1, sizes
    boxes = []
    for frame in neuron_gif:
        top, bottom, left, right = region(frame, GREEN, legend_top(frame))
        boxes.append(((top + bottom) / 2, (left + right) / 2))  # its centre: a thick outline eats into the fill
    assert all(abs(a - b) <= 1 for box in boxes for a, b in zip(box, boxes[0])), boxes


def test_the_graph_fills_the_slide(neuron_gif):
    """The graph spans most of the slide's width or of the room above the legend, not a third of it."""
    frame = neuron_gif[-1]
    picture = frame[: legend_top(frame)]
    ys, xs = np.nonzero(np.any(picture < 200, axis=2))
    width, height = xs.max() - xs.min(), ys.max() - ys.min()
    assert width >= 0.6 * SLIDE_WIDTH or height >= 0.85 * legend_top(frame), (width, height)


def test_every_colour_of_the_graph_is_in_the_legend(neuron_gif):
    """Every fill and outline colour the graph shows on a slide (orange and blue outlines included) also shows in
    the legend under it, where the legend says what it means."""
    for k, frame in enumerate(neuron_gif):
        top = legend_top(frame)
        colors = {}
        for part, pixels in (("graph", frame[:top]), ("legend", frame[top:])):
            colors[part] = solid_colors(pixels)
        missing = colors["graph"] - colors["legend"]
        assert not missing, (k, missing)


def test_mp4_gives_each_slide_its_own_time_at_slide_size(page_of_neuron, tmp_path: Path):
    """The MP4 is H.264 at 1920x1080 with one video frame per slide (and one at the end), each shown at the time
    its slide starts, to the millisecond, lasting every slide's time plus the hold."""
    path = tmp_path / "pass.mp4"
    page_of_neuron.save(path, seconds_per_frame=0.3, hold_last=1.0)
    info = ffprobe(path, "packet=pts_time")
    stream = info["streams"][0]
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", SLIDE_WIDTH, SLIDE_HEIGHT)
    n = len(page_of_neuron.frames)
    assert int(stream["nb_read_frames"]) == n + 1
    starts = sorted(float(p["pts_time"]) for p in info["packets"])
    assert starts == pytest.approx([0.3 * k for k in range(n)] + [0.3 * n + 1.0], abs=1e-3)
    assert float(info["format"]["duration"]) == pytest.approx(0.3 * n + 1.0, abs=0.01)


def test_an_hour_of_stills_costs_no_more_than_a_second(tmp_path: Path):
    """A slide held for the longest time allowed encodes as one video frame, not one per 1/25 s: the MP4 of
    slides of a minute has as many frames as slides, however long it lasts."""
    x = Value(2.0, label="x")
    page = stepper(x * x)
    path = tmp_path / "long.mp4"
    page.save(path, seconds_per_frame=MAX_SECONDS_PER_FRAME, hold_last=MAX_HOLD_LAST)
    info = ffprobe(path)
    assert int(info["streams"][0]["nb_read_frames"]) == len(page.frames) + 1
    assert float(info["format"]["duration"]) == pytest.approx(len(page.frames) * 60 + 60, abs=0.01)


def test_mp4_without_ffmpeg_says_how_to_install_it(page_of_neuron, tmp_path: Path, monkeypatch):
    """With no ffmpeg on PATH, writing an MP4 raises an error that says how to install it, and writes nothing."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FfmpegNotFoundError, match="apt-get install ffmpeg"):
        save_animation(page_of_neuron.frames, page_of_neuron.captions, tmp_path / "pass.mp4")
    assert not (tmp_path / "pass.mp4").exists()


def svg_schedule(path: Path) -> tuple[float, list[tuple[str, list[float]]]]:
    """An animated SVG's cycle in seconds and, per slide, its visibility values and key times."""
    root = ET.parse(path).getroot()
    groups = [g for g in root if g.tag == f"{SVG}g"]
    schedule = []
    durations = set()
    for g in groups:
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
    page_of_neuron.save(path, seconds_per_frame=1.5, hold_last=3)
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
    page_of_neuron.save(path, seconds_per_frame=2, hold_last=4)
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


def test_every_slide_places_the_picture_at_one_size(page_of_neuron):
    """Every SVG slide puts its picture in the same box, at the same scale, above the typeset caption."""
    boxes = set()
    for one in slides(page_of_neuron.frames, page_of_neuron.captions, page_of_neuron.legend):
        picture = ET.fromstring(one).find(f"{SVG}svg")
        boxes.add(tuple(picture.get(a) for a in ("x", "y", "width", "height", "viewBox")))
        assert "\\frac" not in one and "\\partial" not in one  # the caption is typeset, not written out as LaTeX
    assert len(boxes) == 1


def formula_graphs() -> list[Value]:
    """For every operation of the table, a small graph that uses it twice, so that its step adds to a gradient."""
    graphs = []
    for name, op in ops.OPS.items():
        if op.expand is not None or not hasattr(Value, name):
            continue
        inputs = [Value(0.7 + 0.1 * i, label=f"x{i + 1}") for i in range(op.arity)]
        method = getattr(inputs[0], name)
        out = method(*inputs[1:], *[2.0] * len(op.params))
        graphs.append(out * 2.0 + out)
    return graphs


@pytest.mark.parametrize("root", formula_graphs(), ids=lambda root: root._prev[0]._prev[0]._op)
def test_every_formula_of_the_table_is_typeset(root):
    """The caption of every step of every operation of the table, in its LaTeX, is typeset by mathtext."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser

    parser = MathTextParser("agg")
    page = stepper(root)
    for caption in page.captions:
        for line in caption.splitlines():
            parser.parse(mathtext(line), 72, FontProperties(size=30))


@pytest.mark.parametrize(
    "label",
    ["costs $5", "a_b", "50%", "#1", "{x}", "a&b", "\\N", "x^2", "~", "café", "naïve Ω", 'a"b`c', "x\u2028y", "a-b c"],
)
def test_labels_with_tex_characters_are_typeset_as_written(label):
    """A label with characters TeX reads as commands, accents, Greek letters or quotes is typeset by mathtext in
    every caption, and each upright name of a caption is the label as written (a line separator as a space)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser

    x = Value(2.0, label=label)
    page = stepper((x * 3.0).tanh())
    parser = MathTextParser("agg")
    for caption in page.captions:
        for line in caption.splitlines():
            parser.parse(mathtext(line), 72, FontProperties(size=30))
    upright = {
        re.sub(r"\\(backslash|hat|sim|#)\{\}|\\(.)|\{-\}|''|\u2018", lambda m: _UNESCAPED[m.group()], name)
        for caption in page.captions
        for name in re.findall(r"\\mathrm\{((?:\\(?:[a-z]+|#)\{\}|\\.|[^\\{}]|\{-\})*)\}", mathtext(caption))
    }
    assert " ".join(label.split()) in upright, upright


_UNESCAPED = {
    "\\backslash{}": "\\",
    "\\#{}": "#",
    "\\hat{}": "^",
    "\\sim{}": "~",
    "{-}": "-",
    "''": '"',
    "\u2018": "`",
} | {f"\\{c}": c for c in " ${}%#_"}


def long_chain(values: int) -> Value:
    x = Value(0.5, label="x")
    y = x
    while len({id(v) for v in _walk(y)}) < values:
        y = (y * 1.01).tanh()
    return y


def _walk(root: Value) -> list[Value]:
    from tinygrad_scalar import topological_order

    return topological_order(root)


def test_a_graph_too_large_for_a_slide_is_refused_before_drawing(tmp_path: Path):
    """A graph whose text would be smaller than 20 px on a slide is refused, naming the limit; nothing is written."""
    page = stepper(long_chain(30))
    with pytest.raises(AnimationTooLargeError, match=r"under the 20 px"):
        page.save(tmp_path / "pass.gif")
    assert list(tmp_path.iterdir()) == []


def test_animation_refuses_what_it_cannot_write(page_of_neuron, tmp_path: Path):
    """An unknown suffix, a missing caption, a time beyond the limits or a picture that is not one is refused by
    name, and no file is written."""
    frames, captions = page_of_neuron.frames, page_of_neuron.captions
    with pytest.raises(ValueError, match=r"\.gif, \.mp4, \.svg"):
        save_animation(frames, captions, tmp_path / "pass.avi")
    with pytest.raises(ValueError, match="one caption"):
        save_animation(frames, captions[:-1], tmp_path / "pass.gif")
    for seconds in (0, 1e12, float("inf"), float("nan"), MAX_SECONDS_PER_FRAME + 1):
        with pytest.raises(ValueError, match="seconds per frame must be between"):
            save_animation(frames, captions, tmp_path / "pass.gif", seconds_per_frame=seconds)
    for hold in (-1, 1e300, float("nan"), MAX_HOLD_LAST + 1):
        with pytest.raises(ValueError, match="hold the last frame"):
            save_animation(frames, captions, tmp_path / "pass.mp4", hold_last=hold)
    with pytest.raises(AnimationTooLargeError, match=f"longer than the longest animation, {MAX_DURATION:g} s"):
        save_animation(frames * 8, captions * 8, tmp_path / "pass.mp4", seconds_per_frame=10)
    with pytest.raises(AnimationTooLargeError, match=f"at most {MAX_FRAMES} slides"):
        save_animation(frames * 9, captions * 9, tmp_path / "pass.gif")
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
        (["-o", "pass.gif", "--hold-last", "-1"], "--hold-last must be a number of seconds from 0 to 60"),
        (["-o", "pass.gif", "--seconds-per-frame", "0"], "--seconds-per-frame must be a number of seconds from"),
        (["-o", "pass.gif", "--seconds-per-frame", "1e12"], "--seconds-per-frame must be a number of seconds from"),
        (["-o", "pass.gif", "--hold-last", "1e300"], "--hold-last must be a number of seconds from 0 to 60"),
        (["-o", "pass.mp4", "--seconds-per-frame", "1e6"], "--seconds-per-frame must be a number of seconds from"),
        (["-o", "pass.mp4", "--hold-last", "3600"], "--hold-last must be a number of seconds from 0 to 60"),
        (["-o", "pass.mp4", "--seconds-per-frame", "100"], "--seconds-per-frame must be a number of seconds from"),
        (["-o", "pass.mp4", "--seconds-per-frame", "59"], f"an animation lasts at most {MAX_DURATION:g} s"),
        (["--format", "latex", "-o", "pass.svg"], "--format latex writes text, and -o pass.svg is an animation"),
    ],
)
def test_explain_refuses_animation_options_it_cannot_use(arguments, said, tmp_path: Path, capsys, monkeypatch):
    """Timing without an animation, a time that is not one or beyond the limits (1e12 and 1e300 s once overflowed,
    an hour of MP4 ran out of memory, 100 s a slide encoded for minutes), or a text format into an animation file:
    exit code 2 and one line in command-line words, before any work, nothing written."""
    monkeypatch.chdir(tmp_path)
    assert main(["explain", *NEURON, *arguments]) == 2
    err = capsys.readouterr().err
    assert said in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_explain_refuses_a_150_value_graph_at_once_naming_the_limit(tmp_path: Path, capsys, monkeypatch):
    """An expression of 148 values (the stepper takes up to 150) as an animation is refused before any picture is
    drawn, in one line that names the limit on slides: it once took 199 s and 2.4 GB as a GIF."""
    monkeypatch.chdir(tmp_path)
    expression = " + ".join(f"tanh(x*{k % 9 + 1})" for k in range(37))
    for suffix in ("gif", "mp4", "svg"):
        assert main(["explain", expression, "--at", "x=0.5", "-o", f"pass.{suffix}"]) == 2
        err = capsys.readouterr().err
        assert f"an animation has at most {MAX_FRAMES}" in err and err.count("\n") == 1, err
    assert list(tmp_path.iterdir()) == []


def test_explain_refuses_a_graph_too_large_for_a_slide(tmp_path: Path, capsys, monkeypatch):
    """A graph small enough in slides but whose text would be under 20 px is refused in one line, exit 2."""
    monkeypatch.chdir(tmp_path)
    expression = "tanh(" * 14 + "x" + ")" * 14
    assert main(["explain", expression, "--at", "x=0.5", "-o", "pass.gif"]) == 2
    err = capsys.readouterr().err
    assert "under the 20 px" in err and err.count("\n") == 1, err
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
