"""A link that opens a worked example: the fragment module (teaching/link.py), ``explain --link``, and the Python
of the site's example page (docs/_static/example.py), which makes from a link what the command line makes.

The page itself, in headless Chromium on the built site, is tested in tests/test_example_page.py.
"""

from __future__ import annotations

import html
import importlib.util
import json
import math
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_scalar.core.engine import topological_order
from tinygrad_scalar.core.expression import CONSTANTS, FUNCTIONS, ExpressionError
from tinygrad_scalar.teaching import link
from tinygrad_scalar.teaching.link import Example, LinkError, address, page_address, read_fragment

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ("(w*x + b)**2", "--at", "x=2", "w=3", "b=1")
SEEDS_FRAGMENT = "expr=(w*x%20%2B%20b)**2&at=x=2,w=3,b=1&mode=stepper&lang=en"


def explain(*args: str) -> subprocess.CompletedProcess[str]:
    """``tinygrad-scalar explain ARGS`` as a real subprocess (the timeout only keeps a hung run from stalling)."""
    command = [sys.executable, "-m", "tinygrad_scalar", "explain", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def _load_page_python():
    spec = importlib.util.spec_from_file_location("example_page", ROOT / "docs" / "_static" / "example.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


page_python = _load_page_python()


# ---- the fragment: made, read, and read back --------------------------------------------------------------------


def test_the_address_of_the_guide_example_is_readable_and_stable():
    """The seeds' example gives the address the guide shows: spaces as %20, the plus as %2B, the rest as typed."""
    example = Example("(w*x + b)**2", (("x", 2.0), ("w", 3.0), ("b", 1.0)))
    assert example.fragment() == SEEDS_FRAGMENT
    assert address("(w*x + b)**2", {"x": 2, "w": 3, "b": 1}) == "example.html#" + SEEDS_FRAGMENT
    assert example.with_mode("solution").fragment().endswith("&mode=solution&lang=en")


def test_an_address_written_by_hand_reads_as_its_example():
    """An address written by hand in the documented format, keys in any order, reads as that example."""
    example = read_fragment("#lang=de&mode=ask&at=x=2,w=3,b=1&expr=(w*x%20%2B%20b)**2")
    assert example == Example("(w*x + b)**2", (("x", 2.0), ("w", 3.0), ("b", 1.0)), "ask", "de")


def test_mode_and_language_may_be_left_out():
    """Without mode= and lang=, a link opens the stepper in English."""
    assert read_fragment("expr=x*x&at=x=3") == Example("x*x", (("x", 3.0),), "stepper", "en")


@pytest.mark.parametrize("lang", ["en", "de", "fr", "es", "zh_Hans", "zh-Hans", "pt_BR"])
def test_a_language_code_is_carried_as_it_is(lang: str):
    """Any language code reads back unchanged: the page, not the link, decides what it can show."""
    assert read_fragment(Example("x*2", (("x", 1.0),), lang=lang).fragment()).lang == lang


_names = st.from_regex(r"[a-zA-Z][a-zA-Z0-9_]{0,6}|[αβγθ][0-9]?", fullmatch=True).filter(
    lambda n: n not in FUNCTIONS and n not in CONSTANTS and not __import__("keyword").iskeyword(n)
)


@given(
    names=st.lists(_names, min_size=1, max_size=20, unique=True),
    numbers=st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=20),
    mode=st.sampled_from(link.MODES),
)
def test_a_fragment_reads_back_as_the_example_it_was_made_from(names, numbers, mode):
    """Every example reads back from its own fragment: the same names, the same doubles to the last bit (-0.0, the
    smallest subnormal and the largest double included), the same mode."""
    expression = " + ".join(f"{n}*{n}" for n in names)
    values = tuple(zip(names, numbers))
    example = Example(expression, values, mode)
    back = read_fragment("#" + example.fragment())
    assert back == example
    assert [math.copysign(1.0, x) for _, x in back.values] == [math.copysign(1.0, x) for _, x in values]


@pytest.mark.parametrize("x", [-0.0, 5e-324, 1.7976931348623157e308, 6.8813735870195432, 0.1 + 0.2, -1e-300])
def test_every_double_is_written_so_that_it_reads_back_exactly(x: float):
    """A number is written as the shortest text of the same double: the page computes with the command line's."""
    ((_, back),) = read_fragment(Example("x*2", (("x", x),)).fragment()).values
    assert back == x and math.copysign(1.0, back) == math.copysign(1.0, x)


# ---- hostile and malformed fragments: a clear message, never anything else ----------------------------------------

HOSTILE = {
    "a script as the expression": ("expr=%3Cscript%3Ealert(1)%3C/script%3E&at=x=1", "not a valid expression"),
    "the end of a script": ("expr=x%3C/script%3E&at=x=1", "not a valid expression"),
    "a comment opener": ("expr=%3C!--x&at=x=1", "not a valid expression"),
    "a raw script, not encoded": ("expr=<script>alert(1)</script>&at=x=1", "not a valid expression"),
    "a script as a key": ("expr=x*2&at=x=1&%3Cscript%3E=1", "'<script>' is not a key of a link"),
    "a script as a value's name": ("expr=x*2&at=%3Cimg%20src=x%20onerror=alert(1)%3E=1", "not a name for a value"),
    "an equals sign in a name": ("expr=x*2&at=a%3Db=1", "'a=b' is not a name for a value"),
    "javascript: as the mode": ("expr=x*2&at=x=1&mode=javascript:alert(1)", "is not one of stepper, ask, solution"),
    "javascript: as the expression": ("expr=javascript:alert(1)&at=x=1", "not a valid expression"),
    "a language that is a script": ("expr=x*2&at=x=1&lang=%3Cscript%3E", "is not a language code like en"),
    "a language that is a comment": ("expr=x*2&at=x=1&lang=%3C!--", "is not a language code like en"),
    "bytes that are not UTF-8": ("expr=x%FF*2&at=x=1", "not UTF-8"),
    "a UTF-8 character cut in half": ("expr=x*2&at=%C3=1", "not UTF-8"),
    "a broken escape": ("expr=x%2*2&at=x=1", "not followed by two hexadecimal digits"),
    "an unknown key": ("expr=x*2&at=x=1&onload=alert(1)", "is not a key of a link"),
    "a value as a key of its own": ("expr=x*2&x=2", "values go in at=, like at=x=2"),
    "a repeated key": ("expr=x*2&at=x=1&expr=y", "expr= is given twice"),
    "a key without a value": ("expr=x*2&at=x=1&mode", "has no '='"),
    "no expression": ("at=x=1&mode=stepper", "no expr="),
    "a number that overflows": ("expr=x*2&at=x=1e999", "too large for a float"),
    "a number that is not a number": ("expr=x*2&at=x=nan", "not a number like"),
    "NaN written as JavaScript does": ("expr=x*2&at=x=NaN", "not a number like"),
    "inf written out": ("expr=x*2&at=x=inf", "not a number like"),
    "Infinity written as JavaScript does": ("expr=x*2&at=x=-Infinity", "not a number like"),
    "a value without a number": ("expr=x*2&at=x", "name=number pairs"),
    "a reserved word as a name": ("expr=x*2&at=x=1,import=2", "'import' is a reserved word"),
    "a function's name as a name": ("expr=x*2&at=x=1,exp=2", "'exp' is a function name"),
    "attribute access": ("expr=x.__class__&at=x=1", "attribute access is not allowed"),
    "a call of import": ("expr=__import__('os').system('ls')&at=x=1", "only these functions can be called"),
    "a call of eval": ("expr=eval(x)&at=x=1", "only these functions can be called"),
    "a call of open": ("expr=open(x)&at=x=1", "only these functions can be called"),
    "a lambda": ("expr=(lambda:%20x)()&at=x=1", "only these functions can be called"),
    "a subscript": ("expr=x[0]&at=x=1", "subscripts are not allowed"),
    "a string": ("expr=x*'a'&at=x=1", "strings are not allowed"),
    "a line break": ("expr=x%0A*2&at=x=1", "a line break"),
    "a value the expression does not use": ("expr=x*2&at=x=1,bb=2", "which the expression does not use"),
    "a constant": ("expr=2*3&at=", "is a constant"),
    "a name twice": ("expr=x*2&at=x=1,x=2", "'x' is given twice in the link's at="),
    "a name twice in two spellings": ("expr=x*2&at=x=1,%EF%BD%98=2", "'x' is given twice in the link's at="),
    "a script as the mode": ("expr=x*2&at=x=1&mode=%3C/script%3E", "the mode '</script>' is not one of"),
    "an unknown mode": ("expr=x*2&at=x=1&mode=quiz", "the mode 'quiz' is not one of stepper, ask, solution"),
    "an infinite gradient to ask for": ("expr=1/x&at=x=0&mode=ask", "which a question cannot ask for"),
    "an undefined value to ask for": ("expr=log(x)*2&at=x=-1&mode=ask", "which a question cannot ask for"),
    "nothing": ("", "nothing after its '#'"),
}


@pytest.mark.parametrize(("fragment", "message"), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_or_malformed_fragment_is_refused_with_a_message(fragment: str, message: str):
    """Whatever the fragment holds, reading and checking it ends in a one-line message saying what is wrong (a
    LinkError, or the expression parser's ExpressionError), never in any other exception or in an example."""
    with pytest.raises((LinkError, ExpressionError)) as refused:
        read_fragment(fragment).evaluate()
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_huge_fragment_is_refused_by_its_length_before_it_is_decoded():
    """A megabyte of broken escapes is refused for its length alone: nothing of it is decoded or parsed."""
    with pytest.raises(LinkError, match=r"is 3000005 characters after its '#'; a link carries at most 2000"):
        read_fragment("expr=" + "%FF" * 1_000_000)


def test_a_graph_too_large_to_step_through_can_still_be_linked_as_a_solution():
    """The stepper's modes refuse a graph of more values than the stepper draws, with what to do; the worked
    solution of the same graph opens."""
    expression = "+".join(["x*x"] * 76)  # 76 products, 75 sums and x: 152 values
    with pytest.raises(LinkError, match=r"this graph has 152 values; the stepper .*\(mode=solution\)"):
        Example(expression, (("x", 1.0),), mode="ask").evaluate()
    assert Example(expression, (("x", 1.0),), mode="solution").evaluate().data == 76.0


def test_the_graph_of_a_link_has_its_values_and_the_engines_gradients():
    """evaluate gives the graph of the expression at the link's values, whose backward pass is the engine's."""
    root = read_fragment("expr=tanh(x*w%20%2B%20b)&at=x=2,w=-3,b=6.88").evaluate()
    assert root.data == math.tanh(2 * -3 + 6.88)
    root.backward()
    leaves = {v.label: v.grad for v in topological_order(root) if not v._prev}
    assert leaves == pytest.approx({"x": -3 * (1 - root.data**2), "w": 2 * (1 - root.data**2), "b": 1 - root.data**2})


def test_an_infinite_gradient_opens_step_by_step_and_as_a_solution():
    """1/x at 0 has an infinite gradient: the stepper and the worked solution show it (only asking refuses it)."""
    stepper = json.loads(page_python.show("expr=1/x&at=x=0&mode=stepper"))
    assert "1 · (-inf) = -inf" in stepper["page"]  # the step that gives x its gradient
    solution = json.loads(page_python.show("expr=1/x&at=x=0&mode=solution"))
    assert r"= -\infty\)" in solution["solution"]


def test_a_link_too_long_to_keep_whole_is_refused_when_made():
    """An example whose address would pass the limit is refused when the link is made, not when it is opened."""
    expression = " + ".join(f"x{i}*x{i}" for i in range(300))
    with pytest.raises(LinkError, match=r"the link would be \d+ characters after its '#'; a link carries at most"):
        address(expression, {f"x{i}": 1.5 for i in range(300)})


def test_a_name_that_the_expression_reads_otherwise_is_refused_when_made():
    """A value's name written in another spelling of the same name (fullwidth x) is refused with the name to use."""
    with pytest.raises(LinkError, match="write the names as the expression reads them: x"):
        address("x*2", {"\uff58": 1.0})


@pytest.mark.parametrize(
    ("base", "page"),
    [
        ("", "example.html"),
        ("https://example.org/tinygrad-scalar/", "https://example.org/tinygrad-scalar/example.html"),
        ("https://example.org/tinygrad-scalar", "https://example.org/tinygrad-scalar/example.html"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000/example.html"),
        ("/course/site/", "/course/site/example.html"),
        ("https://example.org/our-example.html", "https://example.org/our-example.html"),
    ],
)
def test_the_page_address_for_a_sites_base(base: str, page: str):
    """The example page is example.html under the site's root, however the root is written."""
    assert page_address(base) == page


@pytest.mark.parametrize(
    ("base", "message"),
    [
        ("javascript:alert(1)", "starts with javascript:, which is not a web address"),
        ("localhost:8000/", "give the whole address, like"),
        ("https://example.org/?a=1", "has a '#' or a '?'"),
        ("https://example.org/ site", "has a space"),
        ("file:///home/teacher/site/", "a browser does only from a web server, not from a file"),
    ],
)
def test_a_base_that_is_not_a_sites_address_is_refused(base: str, message: str):
    """A base that is no web address (or would put a second query or fragment in the link) is refused."""
    with pytest.raises(LinkError, match=re.escape(message)):
        page_address(base)


# ---- explain --link --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "mode"),
    [
        ((), "stepper"),
        (("--format", "html"), "stepper"),
        (("--format", "html", "--ask"), "ask"),
        (("--ask",), "ask"),
        (("--format", "latex"), "solution"),
        (("--format", "markdown"), "solution"),
    ],
)
def test_explain_link_prints_the_address_of_its_mode(options: tuple[str, ...], mode: str):
    """--link prints one line, the relative address of the example in the mode --format and --ask ask for."""
    result = explain(*SEEDS, *options, "--link")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"example.html#{SEEDS_FRAGMENT.replace('stepper', mode)}\n"
    assert result.stderr == ""


def test_explain_link_with_a_base_url():
    """--base-url puts the site's address first, and the link reads back as the command line's example."""
    result = explain(*SEEDS, "--link", "--base-url", "https://example.org/site/")
    assert result.returncode == 0, result.stderr
    link_address = result.stdout.strip()
    assert link_address.startswith("https://example.org/site/example.html#expr=")
    assert read_fragment(link_address.split("#", 1)[1]) == Example(
        "(w*x + b)**2", (("x", 2.0), ("w", 3.0), ("b", 1.0)), "stepper", "en"
    )


def test_explain_link_checks_the_expression_as_explain_does():
    """A bad expression gets with --link the very line it gets without: one line on stderr, exit code 2."""
    plain, linked = explain("x.__class__", "--at", "x=2"), explain("x.__class__", "--at", "x=2", "--link")
    assert linked.returncode == plain.returncode == 2
    assert linked.stderr == plain.stderr and len(linked.stderr.splitlines()) == 1
    assert linked.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((*SEEDS[:-1], "b=1e999", "--link"), "cannot make a link: the value of b is inf"),
        ((*SEEDS[:-1], "b=nan", "--link"), "cannot make a link: the value of b is nan"),
        (("x*2", "--at", "__x=2", "--link"), "unknown name 'x'"),
        (("+".join(["x*x"] * 76), "--at", "x=1", "--link"), "or its worked solution (--format latex --link)"),
        ((*SEEDS, "--link", "-o", "link.txt"), "--link prints the example's address, and -o shapes a file"),
        ((*SEEDS, "--link", "--format", "beamer"), "a Beamer deck is a file: drop --link"),
        ((*SEEDS, "--base-url", "https://example.org/"), "--base-url is the site's address for --link: add --link"),
        ((*SEEDS, "--link", "--base-url", "javascript:alert(1)"), "--base-url: the site's address 'javascript:"),
        ((*SEEDS, "--link", "--base-url", "file:///tmp/site/"), "--base-url: the example page loads Python"),
        ((*SEEDS, "--link", "--format", "latex", "--ask"), "--ask asks for the gradients in the HTML stepper"),
    ],
)
def test_explain_link_refuses_what_a_link_cannot_carry_in_one_line(args: tuple[str, ...], message: str):
    """What cannot become a link (or is not one) is one line on stderr in command-line words, exit code 2."""
    result = explain(*args)
    assert result.returncode == 2, result.stdout
    assert message in result.stderr and len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr and result.stdout == ""


# ---- the page's Python: what the command line makes, from the link the command line made ------------------------


def _link(*options: str) -> str:
    result = explain(*SEEDS, *options, "--link")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().split("#", 1)[1]


@pytest.mark.parametrize("options", [("--format", "html"), ("--format", "html", "--ask")], ids=["stepper", "ask"])
def test_the_page_makes_the_stepper_page_of_the_command_line(options: tuple[str, ...]):
    """From the link of explain --link, the page's Python makes the very page explain --format html writes."""
    shown = json.loads(page_python.show(_link(*options)))
    command_line = explain(*SEEDS, *options)
    assert command_line.returncode == 0, command_line.stderr
    assert shown["page"] == command_line.stdout
    assert shown["title"] == "(w*x + b)**2 at x = 2, w = 3, b = 1"
    assert {mode: read_fragment(f).mode for mode, f in shown["modes"].items()} == {m: m for m in link.MODES}


def test_the_page_makes_the_worked_solution_of_the_command_line():
    """From the link of explain --format markdown --link, the page's Python makes the same worked solution: every
    formula of the command line's Markdown, in order, for MathJax, and its words."""
    shown = json.loads(page_python.show(_link("--format", "markdown")))
    markdown = explain(*SEEDS, "--format", "markdown").stdout
    formulas = re.findall(r"\$([^$]+)\$", markdown)
    assert len(formulas) >= 10
    assert re.findall(r"\\\((.*?)\\\)", html.unescape(shown["solution"])) == formulas
    assert "(the seed)" in shown["solution"] and "Backward pass" in shown["solution"]
    assert "<ol>" in shown["solution"] and "<script" not in shown["solution"]


@pytest.mark.parametrize(("fragment", "message"), list(HOSTILE.values())[:12], ids=list(HOSTILE)[:12])
def test_the_page_answers_a_hostile_fragment_with_its_message_only(fragment: str, message: str):
    """For a hostile fragment the page's Python answers only with the message, as text for the page to show (and
    the page's own words, in English: a hostile language is no language)."""
    shown = json.loads(page_python.show(fragment))
    assert set(shown) <= {"error", "expression", "words", "lang"} and message in shown["error"]
    assert shown["lang"] == "en" and shown["words"]["stepper"] == "Step through"


def test_the_page_quotes_a_refused_expression_with_its_message():
    """When the link reads but its expression is refused, the answer has the message and the expression (as data,
    for the page to show as text); a link that does not read has only the message."""
    shown = json.loads(page_python.show("expr=%3C/script%3E&at=x=1"))
    assert {key: shown[key] for key in ("error", "expression")} == {
        "error": "not a valid expression at column 1: invalid syntax",
        "expression": "</script>",
    }
    assert "expression" not in json.loads(page_python.show("expr=x&at=x=nan"))


def test_the_page_answers_in_the_links_language():
    """A link in German gets the parser's message and the page's own words in German, from the catalogs."""
    shown = json.loads(page_python.show("expr=2x&at=x=1&lang=de"))
    assert shown["error"] == "Spalte 1, '2x': meinten Sie 2*x? Die Multiplikation braucht ihr *"
    assert shown["lang"] == "de" and shown["words"]["solution"] == "Musterlösung"
    assert json.loads(page_python.show("expr=x*y&at=x=2,y=0.5&lang=de"))["title"] == "x*y bei x = 2, y = 0.5"


def test_a_link_in_a_language_without_a_translation_opens_in_english_and_says_so():
    """lang=ja (not written) opens the same example as lang=en, with a note that names the language asked for;
    lang=de opens it in German with no note; lang=en has none."""
    english = json.loads(page_python.show(SEEDS_FRAGMENT))
    japanese = json.loads(page_python.show(SEEDS_FRAGMENT.replace("lang=en", "lang=ja")))
    german = json.loads(page_python.show(SEEDS_FRAGMENT.replace("lang=en", "lang=de")))
    assert "note" not in english and "note" not in german
    assert japanese["note"].startswith("This example is shown in English: the link asks for the language 'ja'")
    assert japanese["page"] == english["page"] and german["page"] != english["page"]
    assert german["modes"]["solution"].endswith("&mode=solution&lang=de")  # the other modes keep the language


def test_the_links_language_reaches_a_call_that_takes_lang():
    """Where the package's call takes lang=, the link's language goes to it as it is, with no note."""

    def translated(root, *, lang="en"):
        return root

    assert page_python.in_language(translated, "zh_Hans") == ({"lang": "zh_Hans"}, None)
    assert page_python.in_language(lambda root: root, "en") == ({}, None)


def test_the_worked_solutions_markdown_is_read_with_raw_html_off():
    """The worked solution's Markdown is read with raw HTML off: a tag in it shows as text, it is not a tag."""
    assert page_python.solution_html("a <img src=x onerror=alert(1)> $x<y$") == (
        '<p>a &lt;img src=x onerror=alert(1)&gt; <span class="math inline">\\(x&lt;y\\)</span></p>\n'
    )


# ---- the pages that document links ------------------------------------------------------------------------------


def test_the_guides_link_commands_print_the_addresses_it_shows():
    """Each `explain ... --link` command of the guide prints the address written under it."""
    guide = (ROOT / "docs" / "guide" / "explaining.md").read_text(encoding="utf-8")
    pairs = re.findall(r"^tinygrad-scalar explain (.*--link.*)\n# (\S+)$", guide, flags=re.MULTILINE)
    assert len(pairs) >= 2
    for command, printed in pairs:
        result = explain(*shlex.split(command))
        assert result.returncode == 0, (command, result.stderr)
        assert result.stdout.strip() == printed


def test_the_example_pages_own_links_open_their_examples():
    """The example links of example.html read and check, one per mode."""
    page = (ROOT / "docs" / "example.md").read_text(encoding="utf-8")
    links = [html.unescape(f) for f in re.findall(r'href="#([^"]+)"', page)]
    assert sorted(read_fragment(f).mode for f in links) == sorted(link.MODES)
    for fragment in links:
        read_fragment(fragment).evaluate()


def test_the_page_refuses_the_same_length_as_the_reader():
    """The page's script refuses an over-long fragment before Python starts, at the reader's own limit."""
    script = (ROOT / "docs" / "_static" / "example.js").read_text(encoding="utf-8")
    assert re.search(r"^const MAX_FRAGMENT = (\d+);", script, flags=re.MULTILINE).group(1) == str(link.MAX_FRAGMENT)


@pytest.mark.parametrize("base", ["example.org", "example.org/docs/", "www.school.edu/~teacher/site/"])
def test_a_host_written_without_its_scheme_is_refused_with_the_address_to_write(base: str):
    """--base-url example.org would have made a relative link (example.org/example.html#...) that opens nothing:
    it is refused, with https://example.org to write instead; a folder (./site, site, /docs) is still a path."""
    with pytest.raises(LinkError, match=rf"write https://{re.escape(base)} \(or \./"):
        address("x*2", {"x": 2.0}, base_url=base)
    for folder in ("site", "./example.org", "/docs"):
        assert address("x*2", {"x": 2.0}, base_url=folder).startswith(f"{folder}/example.html#")


def test_a_bool_is_not_a_value_of_a_link():
    """address(..., {"x": True}) is refused, as the engine refuses a bool; numpy's numbers are numbers."""
    import numpy as np

    with pytest.raises(TypeError, match="the value of x: got the bool True"):
        address("x*2", {"x": True})
    assert address("x*2", {"x": np.float32(2.0)}) == address("x*2", {"x": 2.0})
