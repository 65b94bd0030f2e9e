"""Control and bidirectional-override characters never pass through the text cleaner."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from paperwire.text import has_lone_surrogate, without_unsafe_controls, without_unsafe_controls_in


@pytest.mark.parametrize(
    "raw",
    ["a\x00b", "a\x1bb", "a\x7fb", "a\x85b", "a\u202eb", "a\u202ab", "a\u2066b", "a\u2069b"],
)
def test_controls_and_overrides_are_removed(raw: str) -> None:
    assert without_unsafe_controls(raw) == "ab"


def test_tabs_newlines_and_plain_marks_are_kept() -> None:
    text = "Title\twith\nlines \u200e and \u05d0\u200f Hebrew"
    assert without_unsafe_controls(text) == text


def test_carriage_returns_become_newlines() -> None:
    assert without_unsafe_controls("a\r\nb\rc") == "a\nb\nc"


def test_lone_surrogates_are_detected() -> None:
    assert has_lone_surrogate("bad \ud800 text")
    assert not has_lone_surrogate("fine \U0001f600 text")


def test_template_values_are_cleaned_and_markup_stays_markup() -> None:
    assert without_unsafe_controls_in("a\u202eb") == "ab"
    cleaned = without_unsafe_controls_in(Markup("<b>a\u202e&amp;b</b>"))
    assert isinstance(cleaned, Markup) and cleaned == Markup("<b>a&amp;b</b>")
    assert without_unsafe_controls_in(3) == 3
    assert without_unsafe_controls_in(None) is None
