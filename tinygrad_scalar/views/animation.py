"""Animations for slides: a list of SVG pictures and their captions as a GIF, an MP4 or an animated SVG.

    page = stepper(root)
    page.save("pass.gif")   # or save_animation(page.frames, page.captions, "pass.gif", legend=page.legend)

Every frame becomes one 1920x1080 slide, laid out once for the whole animation: the picture at the
top, as large as the slide allows and at the same size and place on every frame (the largest of the
pictures sets the scale), then the legend (every fill, outline and mark of the pictures), then the
caption. A caption is text with formulas between dollar signs, typeset by matplotlib's mathtext (no
TeX installation needed; ``mathtext`` adapts the few LaTeX commands it lacks). The caption's box is as
tall as the tallest caption, so nothing moves from frame to frame. Each frame shows for as long as its
caption takes to read (``reading_seconds``), or ``seconds_per_frame`` seconds when given; the last one
``hold_last`` seconds more.

A picture must stay readable from the back of a lecture hall: its smallest text must be at least
``MIN_SLIDE_TEXT_PX`` pixels high on the slide, or the animation is refused with a way out. Work and
memory are bounded before anything is drawn: at most ``MAX_FRAMES`` frames, each shown at most
``MAX_SECONDS_PER_FRAME`` seconds (``MAX_HOLD_LAST`` more for the last), ``MAX_DURATION`` in all.

The slides are SVG. A GIF or an MP4 rasterises each picture once with cairosvg and each caption with
matplotlib's Agg (``pip install 'tinygrad-scalar[plots]'``); Pillow assembles the GIF, and Debian's
``ffmpeg`` encodes the MP4 (H.264 with one video frame per slide, each lasting its own time, so a
long hold costs nothing; plays in any browser and presentation program). The animated SVG needs
nothing: each slide is shown in turn by SMIL ``<animate>`` elements, which every browser plays.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from tinygrad_scalar.core.files import atomic_write
from tinygrad_scalar.views.naming import plain_text
from tinygrad_scalar.views.page import LegendEntry

__all__ = [
    "ANIMATION_FORMATS",
    "HOLD_LAST",
    "MAX_DURATION",
    "MAX_FRAMES",
    "MAX_HOLD_LAST",
    "MAX_SECONDS_PER_FRAME",
    "MIN_SECONDS_PER_FRAME",
    "MIN_SLIDE_TEXT_PX",
    "SLIDE_HEIGHT",
    "SLIDE_WIDTH",
    "AnimationTooLargeError",
    "FfmpegNotFoundError",
    "check_timing",
    "durations",
    "mathtext",
    "reading_seconds",
    "save_animation",
    "slides",
]

SLIDE_WIDTH, SLIDE_HEIGHT = 1920, 1080
"""The size of every slide, in pixels: a full-HD presentation screen."""

ANIMATION_FORMATS = ("gif", "mp4", "svg")
"""The formats ``save_animation`` writes, chosen by the file's suffix."""

HOLD_LAST = 3.0
"""How much longer the last slide shows, unless said otherwise: time to read the end of the pass."""

MIN_SLIDE_TEXT_PX = 20.0
"""The smallest text a picture may have on a slide, in pixels: what reads from the back of a hall."""

CAPTION_PX = 38.0
"""The size of a caption's text, in pixels; a caption too wide for the slide is set smaller, down to
``MIN_CAPTION_PX``, the same size on every slide."""

MIN_CAPTION_PX = 26.0

LEGEND_PX = 26.0
"""The size of the legend's text, in pixels."""

MIN_SECONDS_PER_FRAME = 0.05
"""The shortest time a slide may show: browsers slow GIF frames shorter than 0.02 s down to 0.1 s."""

MAX_SECONDS_PER_FRAME = 60.0
"""The longest time one slide may show (before the hold of the last one): a minute; pause beyond."""

MAX_HOLD_LAST = 60.0
"""The longest extra time for the last slide."""

MAX_DURATION = 600.0
"""The longest animation, in seconds: ten minutes."""

MAX_FRAMES = 100
"""The most slides an animation has: each is drawn, and a GIF keeps them all in memory (2 MB each)."""

READING_START, READING_RATE, READING_MOST = 2.0, 15.0, 20.0
"""How long a caption takes to read: ``READING_START`` seconds plus one per ``READING_RATE`` characters
of what it shows, at most ``READING_MOST`` seconds."""

_MARGIN = 40
_GAP = 24
_FONT = "DejaVu Sans"
_SVG_TAG = re.compile(r"<svg\b[^>]*>", re.DOTALL)
_ATTRIBUTE = re.compile(r'([\w:.-]+)\s*=\s*"([^"]*)"')
_LENGTH = re.compile(r"^\s*([0-9.]+)\s*(px|pt)?\s*$")
_FONT_SIZE = re.compile(r'font-size="([0-9.]+)(?:px|pt)?"')
_MATHTEXT = (
    (r"\mathrel{+}=", r"{+}{=}"),  # mathtext has no \mathrel
    (r"\tfrac", r"\frac"),
    (r"\lvert", "|"),
    (r"\rvert", "|"),
)
_MATHRM = "\\mathrm{"
_MATHTEXT_CHARACTERS = {
    "\\": r"\backslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "%": r"\%", "#": r"\#{}", "_": r"\_",
    "^": r"\hat{}", "~": r"\sim{}", " ": r"\ ", "-": "{-}", '"': "''", "`": "\u2018",
}  # fmt: skip
"""How mathtext writes, in upright maths, the characters it reads as its own (a name's text: ``&`` and ``<`` are
plain, ``\\&`` is not known)."""
_MATHTEXT_WORDS = ((re.compile(r"\\le(?![a-zA-Z])"), r"\\leq"), (re.compile(r"\\ge(?![a-zA-Z])"), r"\\geq"))


class FfmpegNotFoundError(RuntimeError):
    """Writing an MP4 needs the ``ffmpeg`` program, which is not installed (or not on PATH)."""

    def __init__(self) -> None:
        super().__init__(
            "writing an MP4 needs the ffmpeg program, which is not installed (or not on PATH): install it with "
            "'apt-get install ffmpeg' (Debian, Ubuntu), 'brew install ffmpeg' or 'conda install ffmpeg', "
            "or write a .gif or an animated .svg instead"
        )


class AnimationTooLargeError(ValueError):
    """An animation beyond a limit (``MAX_FRAMES``, ``MIN_SLIDE_TEXT_PX``, ...): refused before any drawing."""


def mathtext(caption: str) -> str:
    """``caption`` with the LaTeX commands mathtext lacks written as mathtext writes them
    (``\\tfrac`` as ``\\frac``, ``\\le`` as ``\\leq``, ``\\lvert x \\rvert`` as ``|x|``, ...)."""
    caption = _names_in_mathtext(caption)
    for latex, written in _MATHTEXT:
        caption = caption.replace(latex, written)
    for pattern, written in _MATHTEXT_WORDS:
        caption = pattern.sub(written, caption)
    return caption


def _names_in_mathtext(caption: str) -> str:
    """Each ``\\mathrm{...}`` of ``caption`` (a name that :func:`tinygrad_scalar.views.naming.latex_name` wrote
    as upright text, its characters escaped for LaTeX) with its text escaped for mathtext instead."""
    out, start = [], 0
    while (begin := caption.find(_MATHRM, start)) >= 0:
        k, depth = begin + len(_MATHRM), 1
        while k < len(caption):
            if caption[k] == "\\":  # a command's name, or one escaped character
                k += 1
                if k < len(caption) and caption[k].isalpha():
                    while k < len(caption) and caption[k].isalpha():
                        k += 1
                else:
                    k += 1
                continue
            depth += {"{": 1, "}": -1}.get(caption[k], 0)
            if depth == 0:
                break
            k += 1
        text = plain_text(caption[begin + len(_MATHRM) : k])
        out += [caption[start:begin], _MATHRM, "".join(_MATHTEXT_CHARACTERS.get(c, c) for c in text), "}"]
        start = k + 1
    return "".join([*out, caption[start:]])


def reading_seconds(caption: str) -> float:
    """How long ``caption`` takes to read, in seconds: ``READING_START`` plus a second per
    ``READING_RATE`` characters shown (a formula's commands count as the symbols they draw), at most
    ``READING_MOST``, to a tenth of a second."""
    shown = re.sub(r"\\left|\\right|\\operatorname", "", caption)
    shown = re.sub(r"\\[a-zA-Z]+", "x", shown)  # \partial, \cdot, \tanh: one symbol or word each
    shown = re.sub(r"[${}^_\\]", "", shown)
    return round(min(READING_START + len(shown.replace("\n", " ")) / READING_RATE, READING_MOST), 1)


def check_timing(count: int, seconds_per_frame: float | None, hold_last: float) -> None:
    """Refuse, before any work, an animation of ``count`` slides whose timing is not a time or goes
    beyond the limits (``MAX_SECONDS_PER_FRAME``, ``MAX_HOLD_LAST``, ``MAX_DURATION``, ``MAX_FRAMES``);
    ``seconds_per_frame=None`` times each slide by its caption, at most ``READING_MOST`` seconds."""
    if count > MAX_FRAMES:
        raise AnimationTooLargeError(
            f"an animation has at most {MAX_FRAMES} slides, and this one would have {count}: animate a smaller graph"
        )
    if seconds_per_frame is not None and not (
        math.isfinite(seconds_per_frame) and MIN_SECONDS_PER_FRAME <= seconds_per_frame <= MAX_SECONDS_PER_FRAME
    ):
        raise ValueError(
            f"seconds per frame must be between {MIN_SECONDS_PER_FRAME:g} and {MAX_SECONDS_PER_FRAME:g}, "
            f"got {seconds_per_frame}"
        )
    if not (math.isfinite(hold_last) and 0 <= hold_last <= MAX_HOLD_LAST):
        raise ValueError(
            f"the time to hold the last frame must be between 0 and {MAX_HOLD_LAST:g} seconds, got {hold_last}"
        )
    longest = count * (READING_MOST if seconds_per_frame is None else seconds_per_frame) + hold_last
    if seconds_per_frame is not None and longest > MAX_DURATION:
        raise AnimationTooLargeError(
            f"{count} slides of {seconds_per_frame:g} s and {hold_last:g} s more for the last make "
            f"{longest:g} s, longer than the longest animation, {MAX_DURATION:g} s: show each slide for less"
        )


def durations(captions: Sequence[str], seconds_per_frame: float | None, hold_last: float) -> list[float]:
    """How long each slide shows, in seconds: ``seconds_per_frame``, or the time its caption takes to
    read; the last one ``hold_last`` longer. Checked against the limits (``check_timing``)."""
    check_timing(len(captions), seconds_per_frame, hold_last)
    times = [seconds_per_frame if seconds_per_frame is not None else reading_seconds(c) for c in captions]
    times[-1] += hold_last
    if sum(times) > MAX_DURATION:
        raise AnimationTooLargeError(
            f"these {len(times)} slides take {sum(times):.0f} s to read, longer than the longest animation, "
            f"{MAX_DURATION:g} s: give a shorter --seconds-per-frame, or animate a smaller graph"
        )
    return times


# ---- the layout, once for all slides ---------------------------------------------------------------


@dataclass(frozen=True)
class _Picture:
    namespaces: str
    view_box: tuple[float, float, float, float]
    body: str
    smallest_font: float  # in the picture's own units


def _picture(svg: str) -> _Picture:
    """A frame's ``<svg>`` tag taken apart: its namespaces, view box, content and smallest text size."""
    tag = _SVG_TAG.search(svg)
    if tag is None:
        raise ValueError("a frame must be an SVG picture (text with an <svg ...> element), like dot -Tsvg writes")
    attributes = dict(_ATTRIBUTE.findall(tag.group()))
    view_box = attributes.get("viewBox")
    if view_box is None:
        sizes = [_LENGTH.match(attributes.get(a, "")) for a in ("width", "height")]
        if not (sizes[0] and sizes[1]):
            raise ValueError("a frame's <svg> element needs a viewBox, or a width and height in px or pt")
        view_box = f"0 0 {sizes[0][1]} {sizes[1][1]}"
    box = tuple(float(v) for v in view_box.replace(",", " ").split())
    if len(box) != 4 or not (box[2] > 0 and box[3] > 0):
        raise ValueError(f"a frame's viewBox must be four numbers with a positive width and height, got {view_box!r}")
    namespaces = " ".join(f"{k}={quoteattr(v)}" for k, v in attributes.items() if k.startswith("xmlns"))
    fonts = [float(f) for f in _FONT_SIZE.findall(svg)]
    body = svg[tag.end() :]
    body = body[: body.rindex("</svg>")] if "</svg>" in body else body
    return _Picture(namespaces, (box[0], box[1], box[2], box[3]), body, min(fonts) if fonts else math.inf)


_CJK_FONT = "Noto Sans CJK SC"
"""The font of a caption's Chinese characters (Debian's fonts-noto-cjk), which DejaVu Sans does not have."""


def _cjk_font_known(font_manager: Any) -> bool:
    """Whether matplotlib knows ``_CJK_FONT``; its font list is a cache that may predate the font's installation,
    so the system's Noto Sans CJK files are added to it when it does not."""
    try:
        font_manager.findfont(_CJK_FONT, fallback_to_default=False)
        return True
    except ValueError:
        for path in font_manager.findSystemFonts():
            if os.path.basename(path) in ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc"):
                font_manager.fontManager.addfont(path)
    try:
        font_manager.findfont(_CJK_FONT, fallback_to_default=False)
        return True
    except ValueError:
        return False


@contextlib.contextmanager
def _chinese_fonts(text: str) -> Iterator[str]:
    """The font family to typeset a line in: for a line with Chinese characters ``_CJK_FONT`` (which has Latin
    letters too), with mathtext's upright and bold maths in it and its italic formulas in DejaVu Sans; for any
    other line, or without that font, ``_FONT`` as always."""
    import matplotlib
    from matplotlib import font_manager

    if not any("\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef" for c in text):
        yield _FONT
        return
    if not _cjk_font_known(font_manager):
        yield _FONT
        return
    with matplotlib.rc_context(
        {
            "mathtext.fontset": "custom",
            "mathtext.rm": _CJK_FONT,
            "mathtext.bf": f"{_CJK_FONT}:bold",
            "mathtext.it": f"{_FONT}:italic",
            "mathtext.sf": _FONT,
            "mathtext.tt": "DejaVu Sans Mono",
            "mathtext.cal": _FONT,
            "mathtext.bfit": f"{_FONT}:italic:bold",
        }
    ):
        yield _CJK_FONT


class _Typesetter:
    """Text and formulas drawn by matplotlib's mathtext, straight to pixels: each line is parsed once,
    and its size and its picture come from that one parse (a point is a pixel)."""

    def __init__(self) -> None:
        try:
            from matplotlib.font_manager import FontProperties
            from matplotlib.mathtext import MathTextParser
        except ImportError:
            raise ImportError(
                "animations typeset their captions with matplotlib: pip install 'tinygrad-scalar[plots]'"
            ) from None
        self.parser = MathTextParser("agg")
        self.font = FontProperties
        self.width = SLIDE_WIDTH - 2 * _MARGIN
        self.lines: dict[tuple[str, float, bool], Any] = {}

    def line(self, text: str, size: float, bold: bool = False) -> Any:
        """One line typeset: matplotlib's ``RasterParse`` (``width``, ``height``, ``depth``, ``image``)."""
        key = (text, size, bold)
        if key not in self.lines:
            try:
                with _chinese_fonts(text) as family:  # the font reads the math font set when made: inside
                    font = self.font(family=family, size=size, weight="bold" if bold else "normal")
                    self.lines[key] = self.parser.parse(text or " ", 72, font, antialiased=True)
            except ValueError as error:
                said = str(error).strip().splitlines()[-1]
                raise ValueError(
                    f"a caption line is not mathtext that matplotlib can typeset: {text!r} ({said})"
                ) from None
        return self.lines[key]

    def measure(self, text: str, size: float) -> tuple[float, float]:
        """The width and height of one line, in pixels."""
        typeset = self.line(text, size)
        return typeset.width, typeset.height

    def panel(self, layout: _Layout, legend: bool, caption: Sequence[str], heights: Sequence[float]) -> Any:
        """The legend and one caption as a Pillow image (black on white), as wide as a slide's content."""
        from PIL import Image, ImageDraw

        panel = Image.new("RGB", (self.width, max(1, round(layout.panel_height))), "white")
        draw = ImageDraw.Draw(panel)

        def write(text: str, size: float, left: float, middle: float, bold: bool = False) -> None:
            typeset = self.line(text, size, bold)
            mask = Image.fromarray(typeset.image)
            panel.paste((0, 0, 0), (round(left), round(middle - mask.height / 2)), mask)

        y = 0.0
        for row in layout.legend_rows if legend else []:
            middle = y + 0.8 * LEGEND_PX
            for left, entry in row:
                box = (left, middle - LEGEND_PX / 2, left + 1.6 * LEGEND_PX, middle + LEGEND_PX / 2)
                if entry.style == "fill":
                    draw.rectangle(box, fill=entry.color, outline="#374151", width=1)
                elif entry.style == "outline":
                    draw.rectangle(box, outline=entry.color, width=6)  # as thick as an outline on the graph
                elif entry.style == "dashed":
                    _dashed(draw, box, entry.color)
                else:  # a mark: the symbol itself
                    width = self.line(_plain(entry.color), LEGEND_PX, True).width
                    write(_plain(entry.color), LEGEND_PX, left + (1.6 * LEGEND_PX - width) / 2, middle, True)
                write(_plain(entry.meaning_shown), LEGEND_PX, left + 2.2 * LEGEND_PX, middle)
            y += 1.6 * LEGEND_PX
        if legend and layout.legend_rows[0]:
            y += _GAP
        for line, height in zip(caption, heights):
            write(line, layout.caption_px, 0, y + height / 2)
            y += height
        return panel


def _dashed(draw: Any, box: tuple[float, float, float, float], color: str) -> None:
    """A dashed rectangle (Pillow draws only solid ones)."""
    left, top, right, bottom = box
    for x0, y0, x1, y1 in ((left, top, right, top), (right, top, right, bottom),
                           (left, bottom, right, bottom), (left, top, left, bottom)):  # fmt: skip
        length = max(abs(x1 - x0), abs(y1 - y0))
        for start in range(0, int(length), 8):
            end = min(start + 5, length)
            f0, f1 = start / length, end / length
            draw.line((x0 + (x1 - x0) * f0, y0 + (y1 - y0) * f0, x0 + (x1 - x0) * f1, y0 + (y1 - y0) * f1),
                      fill=color, width=2)  # fmt: skip


def _plain(text: str) -> str:
    """Text that mathtext must not read as formulas: its dollar signs escaped."""
    return text.replace("$", r"\$")


@dataclass
class _Layout:
    """Where everything goes on every slide: the picture's box and scale, the legend, the captions."""

    scale: float  # slide pixels per unit of the pictures
    picture_top: float
    panel_height: float
    caption_px: float
    legend_rows: list[list[tuple[float, LegendEntry]]]  # each row: (x, entry)
    line_heights: list[list[float]]  # of each caption's lines


def _layout(pictures: Sequence[_Picture], captions: Sequence[Sequence[str]], legend: Sequence[LegendEntry],
            typesetter: _Typesetter) -> _Layout:  # fmt: skip
    """Lay out all slides at once: the captions' box as tall as the tallest caption, the legend in rows,
    the pictures at the largest common scale (refused when their text would be under ``MIN_SLIDE_TEXT_PX``)."""
    width = typesetter.width
    size = CAPTION_PX
    while True:
        measured = [
            [typesetter.measure(line, size) if line.strip() else (0.0, size) for line in caption]
            for caption in captions
        ]
        widest = max((w for caption in measured for w, _ in caption), default=0.0)
        if widest <= width or size <= MIN_CAPTION_PX:
            break
        size = max(MIN_CAPTION_PX, size * width / widest)
    if widest > width:
        raise AnimationTooLargeError(
            f"a caption is {widest:.0f} px wide at {size:g} px, wider than a slide ({width} px): shorten its lines"
        )
    heights = [[max(h, size) * 1.3 for _, h in caption] for caption in measured]
    caption_height = max((sum(caption) for caption in heights), default=0.0)
    rows: list[list[tuple[float, LegendEntry]]] = [[]]
    x = 0.0
    for entry in legend:
        item = 2.2 * LEGEND_PX + typesetter.measure(_plain(entry.meaning_shown), LEGEND_PX)[0] + LEGEND_PX
        if x + item > width and rows[-1]:
            rows.append([])
            x = 0.0
        rows[-1].append((x, entry))
        x += item
    legend_height = len(rows) * LEGEND_PX * 1.6 + _GAP if legend else 0.0
    panel_height = legend_height + caption_height
    picture_height = SLIDE_HEIGHT - 2 * _MARGIN - _GAP - panel_height
    most_wide = max(p.view_box[2] for p in pictures)
    most_high = max(p.view_box[3] for p in pictures)
    scale = min(width / most_wide, picture_height / most_high)
    smallest = min(p.smallest_font for p in pictures)
    if math.isfinite(smallest):
        scale = min(scale, 2 * MIN_SLIDE_TEXT_PX / smallest)  # a small graph is not blown up beyond 40 px text
        if smallest * scale < MIN_SLIDE_TEXT_PX - 1e-9:
            raise AnimationTooLargeError(
                f"on a {SLIDE_WIDTH}x{SLIDE_HEIGHT} slide this picture's text would be {smallest * scale:.0f} px high, "
                f"under the {MIN_SLIDE_TEXT_PX:g} px that reads from the back of a room: animate a smaller graph "
                f"(a part of it), or step through it in the HTML stepper"
            )
    picture_top = _MARGIN + (picture_height - most_high * scale) / 2
    return _Layout(scale, picture_top, panel_height, size, rows, heights)


# ---- the slides --------------------------------------------------------------------------------------


@dataclass
class _Slides:
    layout: _Layout
    pictures: list[_Picture]
    captions: list[list[str]]
    legend: bool
    typesetter: _Typesetter


def _prepare(frames: Sequence[str], captions: Sequence[str], legend: Sequence[LegendEntry]) -> _Slides:
    if not frames:
        raise ValueError("an animation needs at least one frame")
    if len(frames) != len(captions):
        raise ValueError(f"each frame needs one caption: got {len(frames)} frames and {len(captions)} captions")
    if len(frames) > MAX_FRAMES:
        raise AnimationTooLargeError(f"an animation has at most {MAX_FRAMES} slides, got {len(frames)}")
    pictures = [_picture(frame) for frame in frames]
    lines = [[mathtext(line) for line in caption.splitlines()] for caption in captions]
    typesetter = _Typesetter()
    return _Slides(_layout(pictures, lines, legend, typesetter), pictures, lines, bool(legend), typesetter)


def _placed(layout: _Layout, picture: _Picture) -> tuple[float, float, float, float]:
    """Where a picture goes on the slide: x, y, width and height in pixels (centred, at the common scale)."""
    width, height = picture.view_box[2] * layout.scale, picture.view_box[3] * layout.scale
    return (SLIDE_WIDTH - width) / 2, layout.picture_top, width, height


def _svg_slide(slides: _Slides, k: int) -> str:
    """Slide ``k`` as SVG: the picture in its place, the legend and caption under it (typeset by mathtext,
    as a PNG picture)."""
    import base64

    picture = slides.pictures[k]
    x, y, width, height = _placed(slides.layout, picture)
    panel = slides.typesetter.panel(slides.layout, slides.legend, slides.captions[k], slides.layout.line_heights[k])
    buffer = io.BytesIO()
    panel.save(buffer, format="PNG", optimize=False)
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    box = " ".join(f"{v:g}" for v in picture.view_box)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SLIDE_WIDTH}" height="{SLIDE_HEIGHT}" '
        f'viewBox="0 0 {SLIDE_WIDTH} {SLIDE_HEIGHT}">'
        f'<rect width="{SLIDE_WIDTH}" height="{SLIDE_HEIGHT}" fill="white"/>'
        f'<svg {picture.namespaces} x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
        f'viewBox="{box}" preserveAspectRatio="xMidYMid meet">{picture.body}</svg>'
        f'<image x="{_MARGIN}" y="{_panel_top(slides.layout):.0f}" width="{panel.width}" height="{panel.height}" '
        f'href="data:image/png;base64,{png}"/></svg>'
    )


def _panel_top(layout: _Layout) -> float:
    return SLIDE_HEIGHT - _MARGIN - layout.panel_height


def slides(frames: Sequence[str], captions: Sequence[str], legend: Sequence[LegendEntry] = ()) -> list[str]:
    """Each frame as a 1920x1080 SVG slide with its caption (see the module docstring)."""
    prepared = _prepare(frames, captions, legend)
    return [_svg_slide(prepared, k) for k in range(len(frames))]


def _animated_svg(slides: Sequence[str], durations: Sequence[float]) -> str:
    """The slides in one SVG, each visible for its duration in turn, looping: SMIL animations of
    ``visibility`` with discrete key times over one cycle."""
    total = sum(durations)
    parts = []
    start = 0.0
    for i, (one, seconds) in enumerate(zip(slides, durations)):
        begin, end = start / total, (start + seconds) / total
        if len(slides) == 1:
            values, times = "visible", "0"
        elif i == 0:
            values, times = "visible;hidden", f"0;{end:.6f}"
        elif i == len(slides) - 1:
            values, times = "hidden;visible", f"0;{begin:.6f}"
        else:
            values, times = "hidden;visible;hidden", f"0;{begin:.6f};{end:.6f}"
        animate = (
            f'<animate attributeName="visibility" values="{values}" keyTimes="{times}" dur="{total:.3f}s" '
            'calcMode="discrete" repeatCount="indefinite"/>'
        )
        visibility = "visible" if i == 0 else "hidden"
        parts.append(f'<g class="tgs-slide" visibility="{visibility}">{animate}{one}</g>')
        start += seconds
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SLIDE_WIDTH}" height="{SLIDE_HEIGHT}" '
        f'viewBox="0 0 {SLIDE_WIDTH} {SLIDE_HEIGHT}">{"".join(parts)}</svg>\n'
    )


def _cairosvg() -> Any:
    try:
        import cairosvg
    except ImportError:
        raise ImportError(
            "writing a GIF or an MP4 needs cairosvg to draw the slides: pip install 'tinygrad-scalar[plots]' "
            "(or pip install cairosvg pillow); an animated .svg needs nothing"
        ) from None
    except OSError:  # cairosvg is there, the cairo library it draws with is not
        raise ImportError(
            "writing a GIF or an MP4 needs the cairo library, which cairosvg draws with: install it with "
            "'apt-get install libcairo2' (Graphviz brings it too) or 'brew install cairo'"
        ) from None
    return cairosvg


def _images(slides: _Slides) -> list[Any]:
    """Each slide as a Pillow image: the picture rasterised by cairosvg at its size (straight from cairo's
    pixels, no PNG in between), the legend and caption by matplotlib's Agg, pasted on white."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            "writing a GIF or an MP4 needs Pillow: pip install 'tinygrad-scalar[plots]' (or pip install pillow)"
        ) from None
    _cairosvg()  # installed, with the cairo library it draws with
    from cairosvg.parser import Tree
    from cairosvg.surface import PNGSurface

    images = []
    for k, picture in enumerate(slides.pictures):
        x, y, width, height = _placed(slides.layout, picture)
        box = " ".join(f"{v:g}" for v in picture.view_box)
        svg = (
            f'<svg {picture.namespaces} width="{width:.0f}" height="{height:.0f}" viewBox="{box}" '
            f'preserveAspectRatio="xMidYMid meet">{picture.body}</svg>'
        )
        surface = PNGSurface(Tree(bytestring=svg.encode("utf-8")), None, 96, background_color="white")
        drawn = surface.cairo
        drawn.flush()
        graph = Image.frombuffer(
            "RGB", (drawn.get_width(), drawn.get_height()), bytes(drawn.get_data()), "raw", "BGRX", drawn.get_stride()
        )
        slide = Image.new("RGB", (SLIDE_WIDTH, SLIDE_HEIGHT), "white")
        slide.paste(graph, (round(x), round(y)))
        panel = slides.typesetter.panel(slides.layout, slides.legend, slides.captions[k], slides.layout.line_heights[k])
        slide.paste(panel, (_MARGIN, round(_panel_top(slides.layout))))
        images.append(slide)
    return images


def _gif(images: Sequence[Any], seconds: Sequence[float]) -> bytes:
    """The slides as a looping GIF, each frame with its own duration (in milliseconds, which GIF keeps
    in hundredths): every slide mapped to one palette of 256 colours made from the last (the legend
    shows every colour), in which white and black are exact."""
    from PIL import Image

    palette = images[-1].quantize(colors=256, method=Image.Quantize.MEDIANCUT)  # its legend has every colour
    colors = palette.getpalette() or []
    for i in range(0, len(colors), 3):  # near white and near black made exact: a white page, black text
        for exact in (255, 0):
            if sum((c - exact) ** 2 for c in colors[i : i + 3]) < 200:
                colors[i : i + 3] = [exact] * 3
    palette.putpalette(colors)
    frames = [image.quantize(palette=palette, dither=Image.Dither.NONE) for image in images]
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=[round(s * 1000) for s in seconds],
        loop=0,
        disposal=1,
    )
    return buffer.getvalue()


def _mp4(images: Sequence[Any], seconds: Sequence[float]) -> bytes:
    """The slides encoded by ffmpeg as H.264, one video frame per slide lasting its own time (a
    variable frame rate, to the millisecond): the cost does not grow with the durations."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise FfmpegNotFoundError()
    with tempfile.TemporaryDirectory(prefix="tgs-mp4-") as folder:
        listing = ["ffconcat version 1.0"]
        for k, (image, time) in enumerate(zip(images, seconds)):
            name = f"slide{k:03d}.ppm"  # uncompressed: quicker to write and to read than a PNG
            image.save(Path(folder) / name)
            listing += [f"file {name}", "option framerate 1000", f"duration {time:.3f}"]
        listing += [f"file slide{len(images) - 1:03d}.ppm", "option framerate 1000"]  # the last one's end
        (Path(folder) / "slides.txt").write_text("\n".join(listing) + "\n", encoding="utf-8")
        out = Path(folder) / "animation.mp4"
        command = [
            ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0",
            "-i", str(Path(folder) / "slides.txt"), "-fps_mode", "vfr", "-c:v", "libx264", "-preset", "veryfast",
            "-tune", "stillimage", "-pix_fmt", "yuv420p", "-video_track_timescale", "1000",
            "-movflags", "+faststart", str(out),
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, check=False)
        if result.returncode != 0:
            said = result.stderr.decode("utf-8", "replace").strip().splitlines()
            raise RuntimeError(f"ffmpeg failed to encode the MP4 ({said[-1] if said else 'no message'})")
        return out.read_bytes()


def save_animation(
    frames: Sequence[str],
    captions: Sequence[str],
    path: str | os.PathLike[str],
    *,
    seconds_per_frame: float | None = None,
    hold_last: float = HOLD_LAST,
    legend: Sequence[LegendEntry] = (),
) -> Path:
    """Write ``frames`` (SVG pictures, e.g. the stepper's) with their ``captions`` as an animation.

    The format is the suffix of ``path``: ``.gif`` (loops), ``.mp4`` (H.264, needs ``ffmpeg``) or
    ``.svg`` (an animated SVG that loops, for a browser or a slide program that shows SVG). Each
    frame is a 1920x1080 slide (see the module docstring), shown for as long as its caption takes to
    read, or ``seconds_per_frame`` seconds when given; the last one stays ``hold_last`` seconds longer,
    so the end of the pass can be read. ``legend`` (the pictures' ``LegendEntry`` rows) is drawn on
    every slide. A caption is text with formulas in ``$...$`` (matplotlib's mathtext; write a dollar
    as ``\\$``). Everything is checked before anything is drawn (the limits are in the module
    docstring). The file is written atomically: a failure keeps the old file. Returns the path.
    """
    fmt = os.fspath(path).rsplit(".", 1)[-1].lower() if "." in Path(path).name else ""
    if fmt not in ANIMATION_FORMATS:
        raise ValueError(
            f"cannot tell which animation to write for {os.fspath(path)!r}: give a file name ending "
            + ", ".join(f".{f}" for f in ANIMATION_FORMATS)
        )
    if len(frames) != len(captions):
        raise ValueError(f"each frame needs one caption: got {len(frames)} frames and {len(captions)} captions")
    check_timing(len(frames), seconds_per_frame, hold_last)
    if fmt == "mp4" and shutil.which("ffmpeg") is None:
        raise FfmpegNotFoundError()  # before the slow part
    times = durations(captions, seconds_per_frame, hold_last) if captions else []
    prepared = _prepare(frames, captions, legend)
    if fmt == "svg":
        data = _animated_svg([_svg_slide(prepared, k) for k in range(len(frames))], times).encode("utf-8")
    else:
        images = _images(prepared)
        data = _gif(images, times) if fmt == "gif" else _mp4(images, times)
    return atomic_write(path, data)
