"""The class's language: the catalogs are complete, compiled, made of whole sentences; a language is chosen by
argument or locale; numbers are written and read the class's way."""

import ast
import functools
import gettext
import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import get_decimal_symbol

from tinygrad_scalar.core import language
from tinygrad_scalar.core.language import (
    LANGUAGES,
    LOCALE_DIR,
    N_,
    UnknownLanguageError,
    choose,
    listing,
    number_text,
    read_number,
    translated,
    using,
)

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tinygrad_scalar"
TRANSLATED = [code for code in LANGUAGES if code != "en"]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
"""The marking functions and which of their arguments are messages (Babel's defaults for these names)."""


def _catalog(code):
    with (LOCALE_DIR / code / "LC_MESSAGES" / "tinygrad_scalar.po").open("rb") as file:
        return read_po(file, locale=code)


@functools.cache
def _source_messages():
    """Every message the source marks, as Babel extracts it (a plural message by its singular)."""
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, f"{filename}:{lineno}")
    return found


PLACEHOLDER = re.compile(r"%\((\w+)\)[sdrfg]|%[sdrfg]|\{(\w*)\}")


def _placeholders(text):
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(text))


# ---- the catalogs ----------------------------------------------------------------------------------------------


def test_the_source_marks_messages():
    """The extraction finds the teaching text (a check that the checks below look at something)."""
    messages = _source_messages()
    assert "product rule" in messages
    assert len(messages) > 30


def test_every_marked_message_is_extracted():
    """Every message the source marks (``_``, ``N_``, ``ngettext``), read from its syntax tree, is one Babel
    extracts: a ``_()`` inside an f-string is invisible to the extraction and would never be translated."""
    marked = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if _is_call(node, ("_", "N_", "ngettext")) and node.args and isinstance(node.args[0], ast.Constant):
                marked.setdefault(node.args[0].value, f"{path.relative_to(ROOT)}:{node.lineno}")
    missed = {message: where for message, where in marked.items() if message not in _source_messages()}
    assert not missed, f"marked but not extracted (move the call out of the f-string): {missed}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_of_the_source_is_in_every_catalog(code):
    """Each catalog holds every message the source marks, and no message the source no longer has."""
    catalog = _catalog(code)
    in_catalog = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    source = _source_messages()
    missing = sorted(set(source) - in_catalog)
    assert not missing, f"not in the {code} catalog (run make locale, then translate): {missing[:5]}"
    assert not sorted(in_catalog - set(source)), "messages the source no longer has (run make locale)"


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_has_a_translation_with_the_same_placeholders(code):
    """Every message of every catalog is translated (not fuzzy, no empty form), with the same placeholders."""
    catalog = _catalog(code)
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert not message.fuzzy, (code, message.id)
        assert all(strings), f"{code}: no translation of {message.id!r}"
        for string in strings:
            # a plural form may say the number in words ("einmal"), so %(count)d may be left out of it
            wanted = [p for p in _placeholders(ids[-1]) if not (len(ids) > 1 and p == "%(count)d")]
            got = [p for p in _placeholders(string) if not (len(ids) > 1 and p == "%(count)d")]
            assert got == wanted, (code, message.id, string)
        assert not list(message.check(catalog)), (code, message.id)


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_compiled_catalogs_match_their_sources(code):
    """Each shipped .mo file holds exactly what its .po file says (make locale compiles them)."""
    buffer = io.BytesIO()
    write_mo(buffer, _catalog(code))
    buffer.seek(0)
    fresh = gettext.GNUTranslations(buffer)
    with (LOCALE_DIR / code / "LC_MESSAGES" / "tinygrad_scalar.mo").open("rb") as file:
        shipped = gettext.GNUTranslations(file)
    assert shipped._catalog == fresh._catalog, f"the {code} .mo file is older than its .po file: run make locale"


@pytest.mark.parametrize("code", TRANSLATED)
def test_each_catalog_records_who_reviewed_it(code):
    """The header says who read the translation, and does not claim a teacher's review that did not happen."""
    catalog = _catalog(code)
    header = " ".join(line.lstrip("#").strip() for line in catalog.header_comment.splitlines())
    review = re.search(r"Reviewed-By: ([^.]*)\.", header)
    assert review, "the catalog's header records no review"
    assert "AI assistant" in review.group(1) and "not yet reviewed by a native-speaking teacher" in review.group(1)
    assert "not yet reviewed by a teacher" in catalog.language_team
    assert str(catalog.locale_identifier) == code


TERMS = {
    "de": {"chain rule": "Kettenregel", "product rule": "Produktregel", "gradient": "Gradient"},
    "fr": {"chain rule": "règle de dérivation en chaîne", "product rule": "règle du produit", "gradient": "gradient"},
    "es": {"chain rule": "regla de la cadena", "product rule": "regla del producto", "gradient": "gradiente"},
    "zh_Hans": {"chain rule": "链式法则", "product rule": "乘积法则", "gradient": "梯度"},
}
"""Textbook terms each catalog must use (a German class says Kettenregel, a Chinese one 链式法则)."""


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalogs_use_the_textbooks_terms(code):
    """Where an English message names a term of the calculus textbook, its translation uses that language's term."""
    for message in _catalog(code):
        if not message.id or isinstance(message.id, tuple):
            continue
        for english, term in TERMS[code].items():
            if (re.search(rf"\b{english}\b", message.id) and "through" in message.id) or message.id == english:
                assert term.lower() in message.string.lower(), (code, message.id, message.string)


def test_rule_names_of_the_table_are_in_the_catalogs():
    """Every rule name of the table of derivatives is marked for translation (a rule ``defop`` is given is shown
    as written, and the default one, "chain rule through myop", is translated by ``rule_text``)."""
    from tinygrad_scalar.core import ops

    source = _source_messages()
    rules = {  # a defop's rule is its author's; a row may name a rule per input
        op.rule_of(i) for op in ops.OPS.values() if not op.user_defined for i in range(max(op.arity, 1))
    }
    assert rules, "the table's rows"
    assert rules <= set(source), sorted(rules - set(source))


# ---- whole sentences, never pasted fragments -------------------------------------------------------------------


def _is_call(node, names=("_", "ngettext")):
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names


def _translated_inside(node):
    """Whether ``node`` is a translation call or what one formats (``_('...') % {...}``, ``.format``)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _translated_inside(node.left)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _translated_inside(node.func.value)
    return _is_call(node)


def _pieces(node):
    """The pieces a piece of text is pasted from: the operands of a chain of ``+``, the parts of an f-string,
    the items (and the separator) of ``sep.join([...])``; None for any other node."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return (_pieces(node.left) or [node.left]) + (_pieces(node.right) or [node.right])
    if isinstance(node, ast.JoinedStr):
        return [v.value if isinstance(v, ast.FormattedValue) else v for v in node.values]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "join"
        and node.args
        and isinstance(node.args[0], (ast.List, ast.Tuple))
    ):
        return [node.func.value, *node.args[0].elts]
    return None


def _words(node):
    """Whether ``node`` is a literal string with a word in it (a letter of any alphabet)."""
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and any(c.isalpha() for c in node.value)


def pasting_problems(source, filename="<source>"):
    """What in ``source`` breaks the rules of translatable text: a message that is not one literal string, and
    a translated sentence pasted together with another translated piece or with words in English word order
    (by ``+``, an f-string or ``join``). Layout around a sentence (an indent, a bullet, brackets) is not words."""
    problems = []  # a chain a + b + c is met three times: once per + (each problem is listed once)
    for node in ast.walk(ast.parse(source)):
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        arguments = node.args if isinstance(node, ast.Call) else []
        literal = [isinstance(a, ast.Constant) and isinstance(a.value, str) for a in arguments]
        if _is_call(node, ("_", "N_")) and literal != [True]:
            problems.append(f"{where}: {node.func.id}() must get one literal string")
        if _is_call(node, ("ngettext",)) and (len(literal) != 3 or not all(literal[:2])):
            problems.append(f"{where}: ngettext() must get two literal strings and a number")
        pieces = _pieces(node)
        if pieces is not None:
            translated_pieces = sum(_translated_inside(p) for p in pieces)
            if translated_pieces >= 2 or (translated_pieces and any(_words(p) for p in pieces)):
                problems.append(f"{where}: a translated sentence is pasted together with other words")
    return list(dict.fromkeys(problems))


def test_the_sentence_check_catches_pasted_fragments():
    """The check below finds each way of pasting fragments (so that its silence means something)."""
    bad = """
_(name)
_("a " + b)
_(f"step {i}")
ngettext(one, "many", n)
_("the gradient of") + " is " + name
f"{_('step')} {i}: {_('rule')}"
" ".join([_("upstream"), _("gradient")])
f"now {_('the sum') % {'n': 2}}"
"""
    assert len(pasting_problems(bad)) == 8, pasting_problems(bad)
    good = """
_("step %(index)d: %(name)s") % {"index": 1, "name": "x"}
ngettext("used once", "used %(count)d times", n) % {"count": n}
"\\n".join([head, *lines])
translated(row.rule)
"  " + _("where %(definition)s") % {"definition": d}
f"- {_('where %(definition)s') % {'definition': d}}"
"""
    assert pasting_problems(good) == []


def test_no_message_is_pasted_from_translated_fragments():
    """In the package's source, every message is one literal sentence and no translated sentence is pasted to
    another piece of text: a translation can always put its words in its own order."""
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        problems += pasting_problems(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert not problems, "\n".join(problems)


# ---- choosing the language -------------------------------------------------------------------------------------


@pytest.fixture
def no_locale(monkeypatch):
    """A process whose locale names no language: every locale variable unset."""
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("asked", "code"),
    [
        *[("de", "de"), ("de_AT", "de"), ("DE-de", "de"), ("fr_CA.UTF-8", "fr"), ("es-MX", "es"), ("en", "en")],
        *[("zh", "zh_Hans"), ("zh_CN", "zh_Hans"), ("zh-Hans", "zh_Hans"), ("zh-Hans-CN", "zh_Hans")],
    ],
)
def test_a_language_is_named_by_code_or_code_and_region(asked, code):
    """A language is named as people and locales write it: ``de``, ``de_AT``, ``fr_CA.UTF-8``, ``zh-Hans-CN``."""
    assert choose(asked) == code


@pytest.mark.parametrize("asked", ["ja", "zh_TW", "zh-Hant", "deutsch", "", "e"])
def test_an_unknown_language_is_an_error_naming_the_languages_we_write(asked):
    """Asking for a language we do not write (Traditional Chinese included) is an error that lists ours."""
    with pytest.raises(UnknownLanguageError, match=r"choose one of en \(English\), de \(Deutsch\)"):
        choose(asked)


def test_the_locale_chooses_the_language(no_locale):
    """Without a lang argument, the locale decides, in gettext's order: LANGUAGE, LC_ALL, LC_MESSAGES, LANG."""
    assert choose() == "en"
    no_locale.setenv("LANG", "fr_FR.UTF-8")
    assert choose() == "fr"
    no_locale.setenv("LC_MESSAGES", "es_ES.UTF-8")
    assert choose() == "es"
    no_locale.setenv("LC_ALL", "de_DE.UTF-8")
    assert choose() == "de"
    no_locale.setenv("LANGUAGE", "ja:zh_CN:de")  # a list of wishes: the first one we write
    assert choose() == "zh_Hans"


def test_a_locale_we_do_not_write_is_english(no_locale):
    """A locale in a language we do not write (or C) gives English, never an error: settings never stop a command."""
    no_locale.setenv("LANG", "ja_JP.UTF-8")
    assert choose() == "en"
    no_locale.setenv("LC_ALL", "C.UTF-8")
    no_locale.setenv("LANG", "de_DE.UTF-8")
    assert choose() == "en"  # LC_ALL decides before LANG, as it does for every program


def test_a_lang_argument_wins_over_using_and_over_the_locale(no_locale):
    """``lang=`` beats ``with using(...)``, which beats the locale."""
    no_locale.setenv("LANG", "fr_FR.UTF-8")
    with using("es"):
        assert choose() == "es"
        assert choose("de") == "de"
        with using("zh"):
            assert language.current() == "zh_Hans"
        assert choose() == "es"
    assert choose() == "fr"


def test_messages_come_out_in_the_language_in_use():
    """A marked message is written in the language in use, and English by default."""
    rule = N_("product rule")
    expected = {"en": "product rule", "de": "Produktregel", "fr": "règle du produit", "es": "regla del producto"}
    for code, text in (expected | {"zh_Hans": "乘积法则"}).items():
        with using(code):
            assert translated(rule) == text


def test_a_message_no_catalog_has_stays_as_written():
    """A rule name a user gave ``defop`` is no catalog's message: it is shown as written."""
    with using("de"):
        assert translated("my own rule") == "my own rule"


# ---- numbers ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_decimal_symbols_are_cldrs(code):
    """Each language's decimal symbol is the one CLDR records for it (through Babel)."""
    assert LANGUAGES[code].decimal == get_decimal_symbol(code)


@pytest.mark.parametrize(
    ("code", "text", "written", "latex"),
    [
        ("de", "-0.5", "-0,5", "-0{,}5"),
        ("fr", "1.5e-07", "1,5e-07", "1{,}5e-07"),
        ("es", "14", "14", "14"),
        ("zh_Hans", "0.125", "0.125", "0.125"),
        ("en", "0.1", "0.1", "0.1"),
    ],
)
def test_numbers_get_the_classs_decimal_symbol_and_keep_their_digits(code, text, written, latex):
    """A number is written with the language's decimal symbol (``{,}`` in LaTeX, so no space follows it),
    its digits unchanged."""
    with using(code):
        assert number_text(text) == written
        assert number_text(text, latex=True) == latex
        assert re.sub(r"[,{}]", ".", number_text(text)).replace("..", ".") == text


def test_listed_numbers_are_separated_by_semicolons_where_the_decimal_symbol_is_a_comma():
    """``x = 0,5; y = 2`` in German (a comma would be ambiguous), ``x = 0.5, y = 2`` in English and Chinese."""
    items = ["x = 0,5", "y = 2"]
    with using("de"):
        assert listing(items) == "x = 0,5; y = 2"
    with using("zh_Hans"):
        assert listing(["x = 0.5", "y = 2"]) == "x = 0.5, y = 2"


@pytest.mark.parametrize(
    ("typed", "value"),
    [("0,5", 0.5), ("0.5", 0.5), (" -1,25 ", -1.25), ("\u22123", -3.0), ("2e-3", 0.002), (",5", 0.5), ("1,000", 1.0)],
)
def test_answers_are_read_with_either_decimal_symbol(typed, value):
    """A typed answer is read with a decimal comma or point, and a typographic minus sign."""
    assert read_number(typed) == value


@pytest.mark.parametrize("typed", ["1,000.5", "1.000,5", "", "inf", "nan", "1 000", "0,5,1", "e3"])
def test_what_is_not_one_number_is_refused(typed):
    """Two decimal symbols, a space inside, a special value or nothing: not a number a learner means."""
    with pytest.raises(ValueError, match="is not a number"):
        read_number(typed)


def test_no_module_that_translates_rebinds_the_underscore():
    """A module that imports ``_`` never uses ``_`` as a throwaway name (``op, _ = ...`` would make every
    message in that function a call of a number)."""
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imports = any(
            isinstance(node, ast.ImportFrom) and any(alias.name == "_" for alias in node.names)
            for node in ast.walk(tree)
        )
        if not imports:
            continue
        for node in ast.walk(tree):
            assert not (isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store)), (
                f"{path.relative_to(ROOT)}:{node.lineno} assigns to _"
            )
