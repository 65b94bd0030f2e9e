"""Characters that must never reach a page, a feed or a file from text someone else wrote."""

from __future__ import annotations

import re
from functools import cache

from markupsafe import Markup
from pylatexenc.latex2text import LatexNodes2Text

# C0 and C1 control characters other than tab and newline, and the bidirectional
# embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069): an override in
# a title or a comment reverses the text that follows it on the page, which can disguise a
# link or a file name ("Trojan Source"). Plain marks (U+200E, U+200F) are harmless and kept.
_UNSAFE_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LONE_SURROGATE_RE = re.compile("[\ud800-\udfff]")
# pylatexenc recurses once per nested group: longer text is cleaned by regex instead.
TEX_TEXT_MAX_CHARS = 1_000
_TEX_MARKUP_RE = re.compile(r"[\\$~%]|--")
_TEX_COMMAND_RE = re.compile(r"\\[a-zA-Z]+\*?|\\.|[{}$]")


def without_unsafe_controls(text: str) -> str:
    """text with control and bidirectional-override characters removed (\\r becomes \\n)."""
    return _UNSAFE_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def without_unsafe_controls_in(value: object) -> object:
    """A template value with its text cleaned: Markup stays Markup, other values as given.

    Meant as a Jinja2 environment's finalize hook, which sees every {{ … }} value before
    autoescaping. Markup has every < and & of its text escaped already, so removing
    characters from it joins no new tag or entity.
    """
    if isinstance(value, Markup):
        return Markup(without_unsafe_controls(str(value)))
    if isinstance(value, str):
        return without_unsafe_controls(value)
    return value


def has_lone_surrogate(text: str) -> bool:
    """True when text holds a surrogate code point, which no UTF-8 encoder will write."""
    return _LONE_SURROGATE_RE.search(text) is not None


def tex_to_text(value: str) -> str:
    """value with TeX braces, accents and commands turned into plain text ("Bal\\'azs"
    becomes "Balázs"): for names and titles from BibTeX or arXiv's bulk metadata."""
    if not _TEX_MARKUP_RE.search(value):
        return value.replace("{", "").replace("}", "")  # Zotero's case-protecting braces
    if len(value) <= TEX_TEXT_MAX_CHARS:
        try:
            return str(_latex_to_text().latex_to_text(value))
        except RecursionError:
            pass  # braces nested past Python's stack: the regex below still copes
    return _TEX_COMMAND_RE.sub("", value)


@cache
def _latex_to_text() -> LatexNodes2Text:
    # Building the converter costs more than converting a title: build it once.
    return LatexNodes2Text()
