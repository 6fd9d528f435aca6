"""Animations for slides: a list of SVG pictures and their captions as a GIF, an MP4 or an animated SVG.

    page = stepper(root)
    save_animation(page.frames, page.equations, "pass.gif", seconds_per_frame=2, hold_last=5)

Every frame becomes one 1920x1080 slide: the picture scaled to fill it, the caption underneath in
large type, readable from the back of a lecture hall. The slides are SVG; a GIF or an MP4 rasterises
them with cairosvg (a maintained SVG renderer; ``pip install 'tinygrad-scalar[plots]'``), Pillow
assembles the GIF, and Debian's ``ffmpeg`` program encodes the MP4 (H.264, plays in any browser and
presentation program). The animated SVG needs nothing: each slide is shown in turn by SMIL
``<animate>`` elements, which every browser plays.
"""

from __future__ import annotations

import io
import itertools
import math
import os
import re
import shutil
import subprocess
import tempfile
import textwrap
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from tinygrad_scalar.core.files import atomic_write

__all__ = [
    "ANIMATION_FORMATS",
    "HOLD_LAST",
    "MP4_FPS",
    "SECONDS_PER_FRAME",
    "SLIDE_HEIGHT",
    "SLIDE_WIDTH",
    "FfmpegNotFoundError",
    "save_animation",
    "slide",
]

SLIDE_WIDTH, SLIDE_HEIGHT = 1920, 1080
"""The size of every slide, in pixels: a full-HD presentation screen."""

ANIMATION_FORMATS = ("gif", "mp4", "svg")
"""The formats ``save_animation`` writes, chosen by the file's suffix."""

SECONDS_PER_FRAME = 2.0
"""How long each slide shows, unless said otherwise."""

HOLD_LAST = 3.0
"""How much longer the last slide shows, unless said otherwise: time to read the end of the pass."""

MP4_FPS = 25
"""Frames per second of an MP4: each slide is repeated to last its time, rounded to 1/25 s."""

_MARGIN = 40
_CAPTION_SIZES = (44, 38, 32, 28, 24)  # caption font sizes in pixels, tried largest first
_CAPTION_SHARE = 0.4  # the caption may take at most this share of the slide's height
_FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"
_SVG_TAG = re.compile(r"<svg\b[^>]*>", re.DOTALL)
_ATTRIBUTE = re.compile(r'([\w:.-]+)\s*=\s*"([^"]*)"')
_LENGTH = re.compile(r"^\s*([0-9.]+)\s*(px|pt)?\s*$")


class FfmpegNotFoundError(RuntimeError):
    """Writing an MP4 needs the ``ffmpeg`` program, which is not installed (or not on PATH)."""

    def __init__(self) -> None:
        super().__init__(
            "writing an MP4 needs the ffmpeg program, which is not installed (or not on PATH): install it with "
            "'apt-get install ffmpeg' (Debian, Ubuntu), 'brew install ffmpeg' or 'conda install ffmpeg', "
            "or write a .gif or an animated .svg instead"
        )


def _picture_box(svg: str) -> tuple[str, str, str]:
    """The picture's opening ``<svg ...>`` tag, its view box and the rest of its text; the XML prolog,
    doctype and comments before the tag are dropped (the picture goes inside another SVG)."""
    tag = _SVG_TAG.search(svg)
    if tag is None:
        raise ValueError("a frame must be an SVG picture (text with an <svg ...> element), like dot -Tsvg writes")
    attributes = dict(_ATTRIBUTE.findall(tag.group()))
    view_box = attributes.get("viewBox")
    if view_box is None:
        sizes = [_LENGTH.match(attributes.get(a, "")) for a in ("width", "height")]
        if not all(sizes):
            raise ValueError("a frame's <svg> element needs a viewBox, or a width and height in px or pt")
        view_box = f"0 0 {sizes[0][1]} {sizes[1][1]}"  # type: ignore[index]  # both matched
    namespaces = " ".join(f"{k}={quoteattr(v)}" for k, v in attributes.items() if k.startswith("xmlns"))
    return namespaces, view_box, svg[tag.end() :]


def _caption_lines(caption: str, width: float) -> tuple[int, list[str]]:
    """The caption's font size and its lines, wrapped to the slide's width: the largest size whose
    lines fit in the caption's share of the height."""
    lines = caption.splitlines()
    for size in _CAPTION_SIZES:  # first the largest size at which no line needs wrapping
        if (
            max(map(len, lines), default=0) * 0.6 * size <= width
            and len(lines) * 1.25 * size <= _CAPTION_SHARE * SLIDE_HEIGHT
        ):
            return size, lines
    for size in _CAPTION_SIZES:  # then the largest at which the wrapped lines fit
        columns = max(8, int(width / (0.6 * size)))  # a monospace character is 0.6 em wide
        lines = [part for line in caption.splitlines() for part in (textwrap.wrap(line, columns) or [""])]
        if len(lines) * 1.25 * size <= _CAPTION_SHARE * SLIDE_HEIGHT:
            return size, lines
    return size, lines


def slide(frame: str, caption: str) -> str:
    """One frame as a 1920x1080 SVG slide: white background, the picture scaled to fit (its shape
    kept) above the caption, which is set in a large monospace font and wrapped to the width."""
    namespaces, view_box, body = _picture_box(frame)
    width = SLIDE_WIDTH - 2 * _MARGIN
    size, lines = _caption_lines(caption, width)
    caption_height = len(lines) * 1.25 * size + (_MARGIN if lines else 0)
    picture_height = SLIDE_HEIGHT - 2 * _MARGIN - caption_height
    text = "".join(
        f'<text x="{_MARGIN}" y="{SLIDE_HEIGHT - _MARGIN - (len(lines) - 1 - i) * 1.25 * size - 0.25 * size:.1f}" '
        f'xml:space="preserve">{escape(line)}</text>'
        for i, line in enumerate(lines)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SLIDE_WIDTH}" height="{SLIDE_HEIGHT}" '
        f'viewBox="0 0 {SLIDE_WIDTH} {SLIDE_HEIGHT}">'
        f'<rect width="{SLIDE_WIDTH}" height="{SLIDE_HEIGHT}" fill="white"/>'
        f'<svg {namespaces} x="{_MARGIN}" y="{_MARGIN}" width="{width}" height="{picture_height:.1f}" '
        f'viewBox="{view_box}" preserveAspectRatio="xMidYMid meet">{body}'
        f'<g font-family="{_FONT}" font-size="{size}" fill="black">{text}</g></svg>'
    )


def _durations(count: int, seconds_per_frame: float, hold_last: float) -> list[float]:
    """How long each frame shows, in seconds: the same for all, the last one held longer."""
    return [seconds_per_frame] * (count - 1) + [seconds_per_frame + hold_last]


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


def _png(one_slide: str) -> bytes:
    """A slide rasterised by cairosvg, at the slide's size."""
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
    png: bytes = cairosvg.svg2png(
        bytestring=one_slide.encode("utf-8"), output_width=SLIDE_WIDTH, output_height=SLIDE_HEIGHT
    )
    return png


def _gif(pngs: Sequence[bytes], durations: Sequence[float]) -> bytes:
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            "writing a GIF needs Pillow: pip install 'tinygrad-scalar[plots]' (or pip install pillow)"
        ) from None
    images = [Image.open(io.BytesIO(png)).convert("RGB") for png in pngs]
    buffer = io.BytesIO()
    images[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=[round(seconds * 1000) for seconds in durations],  # GIF keeps hundredths of a second
        loop=0,
        disposal=1,
    )
    return buffer.getvalue()


def _mp4(pngs: Sequence[bytes], durations: Sequence[float]) -> bytes:
    """The slides encoded by ffmpeg as H.264 at ``MP4_FPS``, each repeated to last its duration."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise FfmpegNotFoundError()
    with tempfile.TemporaryDirectory(prefix="tgs-mp4-") as folder:
        out = Path(folder) / "animation.mp4"
        command = [
            ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
            "-f", "image2pipe", "-framerate", str(MP4_FPS), "-c:v", "png", "-i", "-",
            "-c:v", "libx264", "-preset", "veryfast", "-tune", "stillimage", "-pix_fmt", "yuv420p",
            "-r", str(MP4_FPS), "-movflags", "+faststart", str(out),
        ]  # fmt: skip
        # each slide ends at the video frame nearest its end time: the total stays exact, and each slide
        # (at least 1 / MP4_FPS long) gets at least one video frame
        bounds = [0] + [round(end * MP4_FPS) for end in itertools.accumulate(durations)]
        counts = [b - a for a, b in itertools.pairwise(bounds)]
        stream = b"".join(png * count for png, count in zip(pngs, counts))
        result = subprocess.run(command, input=stream, capture_output=True, check=False)
        if result.returncode != 0:
            said = result.stderr.decode("utf-8", "replace").strip().splitlines()
            raise RuntimeError(f"ffmpeg failed to encode the MP4 ({said[-1] if said else 'no message'})")
        return out.read_bytes()


def save_animation(
    frames: Sequence[str],
    captions: Sequence[str],
    path: str | os.PathLike[str],
    *,
    seconds_per_frame: float = SECONDS_PER_FRAME,
    hold_last: float = HOLD_LAST,
) -> Path:
    """Write ``frames`` (SVG pictures, e.g. the stepper's) with their ``captions`` as an animation.

    The format is the suffix of ``path``: ``.gif`` (loops), ``.mp4`` (H.264, needs ``ffmpeg``) or
    ``.svg`` (an animated SVG that loops, for a browser or a slide program that shows SVG). Each
    frame is a 1920x1080 slide (see ``slide``) shown for ``seconds_per_frame`` seconds; the last one
    stays ``hold_last`` seconds longer, so the end of the pass can be read. The file is written
    atomically: a failure keeps the old file. Returns the path.
    """
    fmt = os.fspath(path).rsplit(".", 1)[-1].lower() if "." in Path(path).name else ""
    if fmt not in ANIMATION_FORMATS:
        raise ValueError(
            f"cannot tell which animation to write for {os.fspath(path)!r}: give a file name ending "
            + ", ".join(f".{f}" for f in ANIMATION_FORMATS)
        )
    if not frames:
        raise ValueError("an animation needs at least one frame")
    if len(frames) != len(captions):
        raise ValueError(f"each frame needs one caption: got {len(frames)} frames and {len(captions)} captions")
    if not (math.isfinite(seconds_per_frame) and seconds_per_frame >= 0.01):
        raise ValueError(f"seconds per frame must be at least 0.01 (a hundredth of a second), got {seconds_per_frame}")
    if not (math.isfinite(hold_last) and hold_last >= 0):
        raise ValueError(f"the time to hold the last frame must be 0 or more seconds, got {hold_last}")
    if fmt == "mp4" and seconds_per_frame < 1 / MP4_FPS:
        raise ValueError(
            f"an MP4 shows {MP4_FPS} pictures a second: seconds per frame must be at least {1 / MP4_FPS:g} for it, "
            f"got {seconds_per_frame}"
        )
    slides = [slide(frame, caption) for frame, caption in zip(frames, captions)]
    durations = _durations(len(slides), seconds_per_frame, hold_last)
    if fmt == "svg":
        data = _animated_svg(slides, durations).encode("utf-8")
    else:
        if fmt == "mp4" and shutil.which("ffmpeg") is None:
            raise FfmpegNotFoundError()  # before the slow part
        pngs = [_png(one) for one in slides]
        data = _gif(pngs, durations) if fmt == "gif" else _mp4(pngs, durations)
    return atomic_write(path, data)
