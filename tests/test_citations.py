"""Citations: BibTeX keys and escaping, plain-text citations and the Markdown document."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from factories import make_paper
from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire.citations import (
    bibtex_entry,
    bibtex_list,
    citation_key,
    markdown_paper,
    plain_citation,
    unique_keys,
)
from paperwire.papers import Paper

SUBMITTED_2024 = datetime(2024, 1, 1, 23, 33, 56, tzinfo=UTC)


def _cheng(**overrides: object) -> Paper:
    values: dict[str, object] = {
        "arxiv_id": "2401.00974",
        "title": "Downstream Task-Oriented Generative Model Selections on Synthetic Data",
        "authors": ("Yinan Cheng", "Chi-Hua Wang", "Vamsi K. Potluru", "Tucker Balch"),
        "categories": ("cs.LG", "cs.AI"),
        "primary_category": "cs.LG",
        "published_at": SUBMITTED_2024,
        "listing_day": date(2024, 1, 3),
    }
    # replace() after make_paper: the factory derives its dates from a listing day.
    return replace(make_paper(**values), **overrides)


def _field(entry: str, name: str) -> str | None:
    match = re.search(rf"^  {name} = \{{(.*)\}},?$", entry, re.MULTILINE)
    return match.group(1) if match else None


def _braces_balance(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


# --- keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({}, "cheng2024downstream"),
        ({"title": "The Earth is Flat? Unveiling Factual Errors"}, "cheng2024earth"),
        ({"title": "A Survey on $k$-Means of 3D Clouds"}, "cheng2024survey"),
        ({"title": "Self-Play Fine-Tuning Converts Weak Models"}, "cheng2024self"),
        ({"title": "On the $\\mathcal{O}(n)$ Bound"}, "cheng2024bound"),
        ({"title": 'Über Schr\\"odinger-Operatoren'}, "cheng2024uber"),
        ({"authors": ("Stéphane Boucheron",)}, "boucheron2024downstream"),
        ({"authors": ("Rafał Latała", "Krzysztof Oleszkiewicz")}, "latala2024downstream"),
        ({"authors": ("Moreno D'Incà",)}, "dinca2024downstream"),
        ({"authors": ("Henry Howard-Jenkins",)}, "howardjenkins2024downstream"),
        ({"authors": ("Requardt, M.",)}, "requardt2024downstream"),
        ({"authors": ("Martin Luther King Jr.",)}, "king2024downstream"),
        ({"authors": ('Jens Kr{\\"o}ger',)}, "kroger2024downstream"),
        ({"authors": ("Søren Ørsted",)}, "orsted2024downstream"),
        ({"authors": ("王 Wang",)}, "wang2024downstream"),
        ({"authors": ("王伟",)}, "anon2024downstream"),
        ({"authors": ()}, "anon2024downstream"),
        ({"published_at": None}, "cheng2024downstream"),  # the listing day's year
        ({"published_at": None, "listing_day": None}, "chengdownstream"),
        ({"title": "$\\alpha$"}, "cheng2024"),
    ],
)
def test_citation_key_is_last_name_year_and_first_significant_title_word(
    overrides: dict[str, object], key: str
) -> None:
    assert citation_key(_cheng(**overrides)) == key


def test_keys_are_unique_within_a_list_and_the_first_keeps_its_plain_key() -> None:
    papers = [_cheng(arxiv_id=f"2401.0097{n}") for n in range(4)]
    papers.append(_cheng(arxiv_id="2401.00980", title="Another study"))
    assert unique_keys(papers) == [
        "cheng2024downstream",
        "cheng2024downstreama",
        "cheng2024downstreamb",
        "cheng2024downstreamc",
        "cheng2024another",
    ]


def test_a_suffixed_key_never_takes_another_papers_plain_key() -> None:
    papers = [_cheng(), _cheng(title="Downstreama models"), _cheng(arxiv_id="2401.00975")]
    assert unique_keys(papers) == [
        "cheng2024downstream",
        "cheng2024downstreama",
        "cheng2024downstreamb",
    ]


def test_keys_run_on_past_z_with_two_letters() -> None:
    keys = unique_keys([_cheng(arxiv_id=f"2401.{n:05d}") for n in range(28)])
    assert keys[26:] == ["cheng2024downstreamz", "cheng2024downstreamaa"]
    assert len(set(keys)) == 28


# --- BibTeX entries -------------------------------------------------------------------------


def test_entry_has_the_fields_arxiv_exports() -> None:
    entry = bibtex_entry(_cheng())
    assert entry == (
        "@misc{cheng2024downstream,\n"
        "  title = {{Downstream Task-Oriented Generative Model Selections on Synthetic Data}},\n"
        "  author = {Yinan Cheng and Chi-Hua Wang and Vamsi K. Potluru and Tucker Balch},\n"
        "  year = {2024},\n"
        "  eprint = {2401.00974},\n"
        "  archivePrefix = {arXiv},\n"
        "  primaryClass = {cs.LG},\n"
        "  url = {https://arxiv.org/abs/2401.00974}\n"
        "}\n"
    )


def test_old_style_id_is_the_eprint_and_the_url() -> None:
    entry = bibtex_entry(_cheng(arxiv_id="hep-th/9504118", primary_category="hep-th"))
    assert _field(entry, "eprint") == "hep-th/9504118"
    assert _field(entry, "url") == "https://arxiv.org/abs/hep-th/9504118"
    assert _field(entry, "primaryClass") == "hep-th"


def test_doi_is_added_verbatim_to_a_misc_entry() -> None:
    entry = bibtex_entry(_cheng(doi="10.1002/(SICI)1097_4636"))
    assert entry.startswith("@misc{")
    assert _field(entry, "doi") == "10.1002/(SICI)1097_4636"
    assert _field(entry, "journal") is None


def test_journal_reference_makes_an_article_that_keeps_the_eprint() -> None:
    paper = _cheng(journal_ref="Phys. Rev. A 87 (2013) 032101 & erratum", doi="10.1103/X.87")
    entry = bibtex_entry(paper)
    assert entry.startswith("@article{cheng2024downstream,\n")
    assert _field(entry, "journal") == "Phys. Rev. A 87 (2013) 032101 \\& erratum"
    assert _field(entry, "doi") == "10.1103/X.87"
    assert _field(entry, "eprint") == "2401.00974"


def test_unknown_year_and_primary_category_are_left_out() -> None:
    entry = bibtex_entry(_cheng(published_at=None, listing_day=None, primary_category=None))
    assert _field(entry, "year") is None and _field(entry, "primaryClass") is None


@pytest.mark.parametrize(
    ("title", "escaped"),
    [
        ("Sparse 50% of & in #1 C_n", "Sparse 50\\% of \\& in \\#1 C\\_n"),
        ("Bounds $a_1 + b_{n}$ and $x^2$", "Bounds $a_1 + b_{n}$ and $x^2$"),
        (
            "Math $\\mathcal{O}(n^2)$ and $$\\sum_i x_i$$",
            "Math $\\mathcal{O}(n^2)$ and $$\\sum_i x_i$$",
        ),
        ("Percent in math $50\\% & #$", "Percent in math $50\\% \\& \\#$"),
        ("Costs $5 only", "Costs \\$5 only"),
        ("Already escaped 5\\% \\& \\$ \\_", "Already escaped 5\\% \\& \\$ \\_"),
        ('Schr\\"odinger and {\\it italic} {GPU}s', 'Schr\\"odinger and {\\it italic} {GPU}s'),
        ("Open { only", "Open \\textbraceleft{} only"),
        ("Close } only", "Close \\textbraceright{} only"),
        ("} swapped {", "\\textbraceright{} swapped \\textbraceleft{}"),
        ("Set $\\{x$", "Set $\\lbrace{}x$"),
        ("Line\nbreak\tand\x00 bell\x07", "Line break and bell"),
        ("Ends with a backslash \\", "Ends with a backslash \\textbackslash{}"),
        ("x^2 ~ y in text", "x\\textasciicircum{}2 \\textasciitilde{} y in text"),
        (
            "Mixed \\{pair} and {pair\\}",
            (
                "Mixed \\textbraceleft{}pair\\textbraceright{} and "
                "\\textbraceleft{}pair\\textbraceright{}"
            ),
        ),
        ("Bidi \u202eevil\u202c and \x1b[31m", "Bidi evil and [31m"),
    ],
)
def test_title_is_escaped_for_bibtex_and_keeps_tex_math(title: str, escaped: str) -> None:
    entry = bibtex_entry(_cheng(title=title))
    assert _field(entry, "title") == "{" + escaped + "}"
    assert _braces_balance(entry)


def test_hostile_text_still_makes_a_well_formed_entry() -> None:
    title = '<script>alert("x")</script> & } <b>bold</b> {{ $\\mathcal{O}(n^2)$ %'
    entry = bibtex_entry(_cheng(title=title, authors=("Mallory } {", "Eve%")))
    assert _braces_balance(entry)
    assert '<script>alert("x")</script> \\&' in entry
    assert "$\\mathcal{O}(n^2)$ \\%" in entry
    assert _field(entry, "author") == "Mallory \\textbraceright{} \\textbraceleft{} and Eve\\%"


@pytest.mark.parametrize(
    ("title", "escaped"),
    [
        (
            "Attack via \\input{/etc/passwd} and \\write18{rm -rf ~}",
            "Attack via \\textbackslash{}input{/etc/passwd} and "
            "\\textbackslash{}write18{rm -rf \\textasciitilde{}}",
        ),
        ("\\immediate\\openout1=x", "\\textbackslash{}immediate\\textbackslash{}openout1=x"),
        ("$\\input{x}$ in math", "$\\backslash{}input{x}$ in math"),
        ("\\def\\x{\\catcode`\\@=11}", "\\textbackslash{}def\\x{\\textbackslash{}catcode`\\@=11}"),
        ("\\csname input\\endcsname", "\\textbackslash{}csname input\\textbackslash{}endcsname"),
        ("$x^^5cinput$", "$x^{}{}^5cinput$"),  # TeX would read ^^5c as a backslash
        ("\\in^^70ut", "\\in\\textasciicircum{}\\textasciicircum{}70ut"),
        (
            "The $O(n \\log n)$ \\emph{Bound} \\newline",
            "The $O(n \\log n)$ \\emph{Bound} \\newline",
        ),
    ],
)
def test_commands_that_reach_files_programs_or_definitions_are_shown_as_text(
    title: str, escaped: str
) -> None:
    entry = bibtex_entry(_cheng(title=title))
    assert _field(entry, "title") == "{" + escaped + "}"


def test_every_field_is_escaped_and_verbatim_fields_hold_no_command() -> None:
    paper = _cheng(
        authors=("\\input{a}",),
        journal_ref="J. \\write18{x} 50%",
        doi="10.1/{x}\\input^^5c",
        primary_category="cs.AI}\\def",
    )
    entry = bibtex_entry(paper)
    assert _field(entry, "author") == "\\textbackslash{}input{a}"
    assert _field(entry, "journal") == "J. \\textbackslash{}write18{x} 50\\%"
    assert _field(entry, "doi") == "10.1/xinput5c"
    assert _field(entry, "primaryClass") == "cs.AI\\textbraceright{}\\textbackslash{}def"


# Names a hostile title might try: TeX primitives and LaTeX commands that read or write
# files, run programs, define commands or build command names.
_DANGEROUS_COMMANDS = frozenset(
    {"input", "include", "write", "immediate", "openout", "openin", "read", "def", "edef"}
    | {"gdef", "let", "catcode", "csname", "endcsname", "scantokens", "directlua", "special"}
    | {"newcommand", "renewcommand", "usepackage", "makeatletter", "end", "ExplSyntaxOn"}
)
_TEX_TOKEN_RE = re.compile(r"\\(?:[A-Za-z]+|.)|.", re.DOTALL)
_TEXTISH = st.sampled_from(
    (
        *("\\", "{", "}", "\\{", "\\}", "$", "$$", "%", "#", "&", "_", "^", "^^", "5c", "~"),
        *("\\input", "input", "\\def", "\\write18", "\\csname", "\\end", "\\catcode", "x"),
        *("\\makeatletter", "\\newline", "\\ExplSyntaxOn", "\\\\", "\\%", "\\$", " ", "\u202e"),
    )
)
_HOSTILE_TEXT = st.lists(_TEXTISH | st.text(max_size=3)).map("".join) | st.text()


def _tex_tokens(value: str) -> list[str]:
    return _TEX_TOKEN_RE.findall(value)


def _tex_groups_balance(value: str) -> bool:
    """Braces balance as TeX reads them: an escaped brace is a character, not a group."""
    return _braces_balance("".join(t for t in _tex_tokens(value) if t in ("{", "}")))


@settings(database=None, deadline=None, max_examples=300)
@given(title=_HOSTILE_TEXT, author=_HOSTILE_TEXT, journal=_HOSTILE_TEXT, doi=_HOSTILE_TEXT)
def test_any_text_makes_an_entry_tex_reads_as_text(
    title: str, author: str, journal: str, doi: str
) -> None:
    paper = _cheng(title=title, authors=(author,), journal_ref=journal, doi=doi)
    entry = bibtex_entry(paper)
    assert _braces_balance(entry)  # as BibTeX counts, escaped braces too
    lines = entry.splitlines()
    assert lines[0].startswith("@") and lines[-1] == "}"
    for line in lines[1:-1]:  # one field a line, each braced on its own
        value = re.fullmatch(r"  \w+ = \{(.*)\},?", line)
        assert value is not None, line
        assert _braces_balance(value.group(1)) and _tex_groups_balance(value.group(1))
        tokens = _tex_tokens(value.group(1))
        if line.startswith(("  doi", "  url", "  eprint")):  # verbatim: \url must read it
            assert not re.search(r"[\\{}%#]", value.group(1)), line
        else:
            assert not {"%", "#", "&"} & set(tokens), line  # a comment would eat the brace
        assert not _DANGEROUS_COMMANDS & {t[1:] for t in tokens if t.startswith("\\")}, line
        assert "^^" not in value.group(1), line
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", line)


def test_non_ascii_names_are_kept_in_the_author_field() -> None:
    entry = bibtex_entry(_cheng(authors=("Stéphane Gaubert", "Rafał Latała", "王伟")))
    assert entry.startswith("@misc{gaubert2024downstream,")
    assert _field(entry, "author") == "Stéphane Gaubert and Rafał Latała and 王伟"


def test_a_name_with_a_comma_or_and_stays_one_author() -> None:
    entry = bibtex_entry(_cheng(authors=("John Smith, Jr.", "Sand and Stone Lab", "Ada Band")))
    assert _field(entry, "author") == "{John Smith, Jr.} and {Sand and Stone Lab} and Ada Band"


def test_list_joins_entries_in_order_with_unique_keys() -> None:
    papers = [_cheng(arxiv_id="2401.00001"), _cheng(arxiv_id="2401.00002"), _cheng(title="B")]
    text = bibtex_list(papers)
    assert re.findall(r"^@misc\{([^,]+),", text, re.MULTILINE) == [
        "cheng2024downstream",
        "cheng2024downstreama",
        "cheng2024",
    ]
    assert re.findall(r"eprint = \{(.+)\}", text) == ["2401.00001", "2401.00002", "2401.00974"]
    assert "}\n\n@misc{" in text
    assert bibtex_list([]) == ""


# --- plain citation -------------------------------------------------------------------------


def test_plain_citation_names_authors_year_title_and_id() -> None:
    assert plain_citation(_cheng(authors=("A. One", "B. Two", "C. Three"))) == (
        "A. One, B. Two and C. Three (2024). Downstream Task-Oriented Generative Model "
        "Selections on Synthetic Data. arXiv:2401.00974."
    )


@pytest.mark.parametrize(
    ("overrides", "citation"),
    [
        (
            {"authors": ("Solo Author",), "title": "Why?"},
            "Solo Author (2024). Why? arXiv:2401.00974.",
        ),
        ({"authors": ("A", "B")}, "A and B (2024). T. arXiv:2401.00974."),
        ({"authors": tuple("ABCDEF")}, "A et al. (2024). T. arXiv:2401.00974."),
        ({"authors": (), "title": "T."}, "T. (2024). arXiv:2401.00974."),
        ({"published_at": None, "listing_day": None}, "Ann Author. T. arXiv:2401.00974."),
        (
            {"journal_ref": "Math. Z. 276 (2014)", "doi": "10.1007/s00209"},
            "Ann Author (2024). T. arXiv:2401.00974. Math. Z. 276 (2014). "
            "https://doi.org/10.1007/s00209",
        ),
        ({"arxiv_id": "hep-th/9504118"}, "Ann Author (2024). T. arXiv:hep-th/9504118."),
    ],
)
def test_plain_citation_variants(overrides: dict[str, object], citation: str) -> None:
    values: dict[str, object] = {"authors": ("Ann Author",), "title": "T"} | overrides
    assert plain_citation(_cheng(**values)) == citation


def test_plain_citation_keeps_tex_and_drops_control_characters() -> None:
    paper = _cheng(authors=("A",), title="The $\\mathcal{O}(n)$\nbound\x07 & more")
    assert (
        plain_citation(paper) == "A (2024). The $\\mathcal{O}(n)$ bound & more. arXiv:2401.00974."
    )


# --- Markdown -------------------------------------------------------------------------------


def test_markdown_has_title_authors_links_details_and_abstract() -> None:
    paper = _cheng(
        abstract="First paragraph.\n\nSecond paragraph.",
        comment="12 pages",
        doi="10.1103/PhysRevA.87.032101",
        journal_ref="Phys.Rev.A 87 (2013) 032101",
        updated_at=datetime(2024, 2, 5, tzinfo=UTC),
        version=2,
        imported_upvotes=7,
    )
    assert markdown_paper(paper, "https://papers.example/") == (
        "# Downstream Task-Oriented Generative Model Selections on Synthetic Data\n"
        "\n"
        "Yinan Cheng, Chi-Hua Wang, Vamsi K. Potluru, Tucker Balch\n"
        "\n"
        "arXiv:2401.00974 · [Abstract](https://arxiv.org/abs/2401.00974)"
        " · [PDF](https://arxiv.org/pdf/2401.00974)"
        " · [paperwire](https://papers.example/papers/2401.00974)\n"
        "\n"
        "- Listed: 2024-01-03\n"
        "- Submitted: 2024-01-01\n"
        "- Updated: 2024-02-05 (version 2)\n"
        "- Categories: cs.LG (primary), cs.AI\n"
        "- Comment: 12 pages\n"
        "- Journal reference: Phys.Rev.A 87 (2013) 032101\n"
        "- DOI: [10.1103/PhysRevA.87.032101](https://doi.org/10.1103/PhysRevA.87.032101)\n"
        "- Upvotes: 7\n"
        "\n"
        "## Abstract\n"
        "\n"
        "First paragraph.\n"
        "\n"
        "Second paragraph.\n"
    )


def test_markdown_leaves_out_what_is_not_known() -> None:
    paper = _cheng(authors=(), categories=(), listing_day=None, published_at=None)
    text = markdown_paper(paper, "http://127.0.0.1:8000")
    assert "Listed" not in text and "Submitted" not in text and "Categories" not in text
    assert "Updated" not in text and "DOI" not in text and "Comment" not in text
    assert "- Upvotes: 0\n" in text
    assert "[paperwire](http://127.0.0.1:8000/papers/2401.00974)" in text


def test_markdown_escapes_html_and_markup_but_keeps_tex_math() -> None:
    paper = _cheng(
        title='<script>alert("x")</script> & *bold* [link](x) $a_1*b_2$ C_n #1',
        authors=("Mallory <img src=x onerror=alert(1)>", "Eve_"),
        abstract="1. Not a list item, <i>tags</i> and $\\mathcal{O}(n^2)$.\n\n- nor this",
    )
    text = markdown_paper(paper, "https://papers.example")
    assert text.startswith(
        '# \\<script\\>alert("x")\\</script\\> \\& \\*bold\\* \\[link\\](x) $a_1*b_2$ C\\_n \\#1\n'
    )
    assert "\nMallory \\<img src=x onerror=alert(1)\\>, Eve\\_\n" in text
    assert "\n1\\. Not a list item, \\<i\\>tags\\</i\\> and $\\mathcal{O}(n^2)$.\n" in text
    assert "\n\\- nor this\n" in text
    assert re.search(r"(?<!\\)<", text) is None  # every < is escaped


def test_markdown_shows_tex_outside_math_as_written_and_marks_withdrawals() -> None:
    paper = _cheng(title='Schr\\"odinger costs $5', comment="This paper has been withdrawn")
    text = markdown_paper(paper, "https://papers.example")
    assert text.startswith('# Schr\\\\"odinger costs \\$5\n')
    assert "**The authors withdrew this paper.**" in text
    assert "- Comment: This paper has been withdrawn\n" in text


def test_markdown_links_an_old_style_id_and_an_awkward_doi() -> None:
    paper = _cheng(arxiv_id="hep-th/9504118", doi="10.1002/(SICI)x_y")
    text = markdown_paper(paper, "https://papers.example")
    assert "arXiv:hep-th/9504118 · [Abstract](https://arxiv.org/abs/hep-th/9504118)" in text
    assert "[paperwire](https://papers.example/papers/hep-th/9504118)" in text
    assert "- DOI: [10.1002/(SICI)x\\_y](https://doi.org/10.1002/%28SICI%29x_y)\n" in text
