"""Reading reference-library exports (Zotero's BibTeX, RIS and CSL-JSON, id lists)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from factories import TEST_DATA

from paperwire.recommend import imports
from paperwire.recommend.imports import (
    MAX_LIBRARY_BYTES,
    MAX_LIBRARY_ENTRIES,
    ParsedLibrary,
    Reference,
    UnreadableLibrary,
    parse_library,
)

LIBRARY = TEST_DATA / "library"

# (label, arXiv id, DOI, title) of every entry of the Zotero BibTeX export, in file order.
ZOTERO_BIBTEX = [
    (
        "lewis_deal_2017",
        "1706.05125",
        None,
        "Deal or No Deal? End-to-End Learning for Negotiation Dialogues",
    ),
    (
        "kumagai_human-like_2016",
        None,
        "10.18653/v1/w16-5502",
        "Human-like Natural Language Generation Using Monte Carlo Tree Search",
    ),
    (
        "omidshafiei_-_2019",
        None,
        "10.1038/s41598-019-45619-9",
        "α- Rank: Multi-Agent Evaluation by Evolution",
    ),
    (
        "lipowska_emergence_2018",
        None,
        "10.1371/journal.pone.0208095",
        "Emergence of linguistic conventions in multi-agent reinforcement learning",
    ),
    (
        "degiuli_random_2019",
        "1809.01201",
        "10.1103/physrevlett.122.128301",
        "Random Language Model",
    ),
    (
        "lazaridou_emergence_2018",
        "1804.03984",
        None,
        "Emergence of Linguistic Communication from Referential Games with Symbolic and "
        "Pixel Input",
    ),
    (
        "yao_linking_2022",
        "2203.13344",
        "10.48550/arxiv.2203.13344",
        "Linking Emergent and Natural Languages via Corpus Transfer",
    ),
    (
        "van_der_wal_grammar_2020",
        None,
        "10.18653/v1/2020.emnlp-main.270",
        "The Grammar of Emergent Languages",
    ),
    ("lewis_convention_1970", None, "10.2307/2218418", "Convention: A Philosophical Study"),
    (
        "slowik_structural_2020",
        "2002.01335",
        "10.48550/arxiv.2002.01335",
        "Structural Inductive Biases in Emergent Communication",
    ),
    (
        "guo_expressivity_2021-1",
        None,
        None,
        "Expressivity of Emergent Languages is a Trade-off between Contextual Complexity and "
        "Unpredictability",
    ),
    (
        "kirby_compression_2015",
        None,
        "10.1016/j.cognition.2015.03.016",
        "Compression and communication in the cultural evolution of linguistic structure",
    ),
]


def _fixture(name: str) -> bytes:
    return (LIBRARY / name).read_bytes()


def _identities(parsed: ParsedLibrary) -> list[tuple[str, str | None, str | None, str | None]]:
    return [(r.label, r.arxiv_id, r.doi, r.title) for r in parsed.references]


def _only(text: str, filename: str = "") -> Reference:
    parsed = parse_library(text.encode(), filename)
    assert parsed.problems == []
    [reference] = parsed.references
    return reference


# --- BibTeX ---------------------------------------------------------------------------


def test_zotero_bibtex_export_yields_every_arxiv_id_doi_and_title() -> None:
    parsed = parse_library(_fixture("zotero-export.bib"), "zotero-export.bib")
    assert parsed.format == "bibtex"
    assert parsed.problems == []
    assert _identities(parsed) == ZOTERO_BIBTEX


def test_zotero_bibtex_keywords_become_tags_once_each() -> None:
    parsed = parse_library(_fixture("zotero-export.bib"))
    tags = {r.label: r.tags for r in parsed.references}
    assert tags["lewis_deal_2017"] == (
        "Computer Science - Artificial Intelligence",
        "Computer Science - Computation and Language",
    )
    assert tags["kirby_compression_2015"] == (
        "Language evolution",
        "Cultural transmission",
        "Iterated learning",
    )
    assert tags["kumagai_human-like_2016"] == ()
    text = "@misc{k, title={T}, keywords={a, b;a,, c ;b}}"
    assert _only(text).tags == ("a", "b", "c")


def test_half_written_bibtex_keeps_the_entries_before_the_break() -> None:
    text = _fixture("zotero-export.bib").decode()
    cut = text[: text.index("Lazaridou, Angeliki")]
    parsed = parse_library(cut.encode(), "zotero-export.bib")
    assert _identities(parsed) == ZOTERO_BIBTEX[:5]
    [problem] = parsed.problems
    assert "'lazaridou_emergence_2018'" in problem
    assert "cut short" in problem


def test_unclosed_brace_costs_only_its_entry() -> None:
    text = _fixture("zotero-export.bib").decode()
    broken = text.replace("title = {Random {Language} {Model}},", "title = {Random {Language,")
    parsed = parse_library(broken.encode())
    assert _identities(parsed) == [e for e in ZOTERO_BIBTEX if e[0] != "degiuli_random_2019"]
    [problem] = parsed.problems
    assert problem.startswith("BibTeX entry 'degiuli_random_2019' (line ")


@pytest.mark.parametrize(
    ("fields", "arxiv_id"),
    [
        ("eprint = {2401.00974v2}, archivePrefix = {arXiv}", "2401.00974"),
        ("eprint = {2305.10724 [cs]}, eprinttype = {arxiv}", "2305.10724"),
        ("url = {http://arxiv.org/abs/2401.00974v2}", "2401.00974"),
        ("url = {https://arxiv.org/pdf/2401.00974v3.pdf}", "2401.00974"),
        ("doi = {10.48550/ARXIV.2401.00974}", "2401.00974"),
        ("note = {arXiv:2401.00974 [cs]}", "2401.00974"),
        ("journal = {arXiv preprint arXiv:2401.00974}", "2401.00974"),
        ("number = {{arXiv}:2305.10724}", "2305.10724"),
        ("publisher = {arXiv:hep-th/9901001}", "hep-th/9901001"),
        ("howpublished = {\\url{https://arxiv.org/abs/math.GT/0309136}}", "math.GT/0309136"),
        ("note = {arXiv: 1510.03820}", "1510.03820"),
        ("note = {see arXiv:2413.00001, not an id}", None),
        ("url = {https://example.org/2401.00974}", None),
    ],
)
def test_bibtex_arxiv_id_is_found_wherever_tools_put_it(fields: str, arxiv_id: str | None) -> None:
    reference = _only(f"@misc{{key, title = {{T}}, {fields}}}\n")
    assert reference.arxiv_id == arxiv_id


def test_bibtex_title_loses_braces_accents_and_commands() -> None:
    text = (
        "@article{k,\n"
        "  title = {{MLP}-{Mixer} by Doll{\\'a}r and R{\\\"a}tsch: 50\\% \\emph{faster}\n"
        "           -- $\\alpha$-{Rank}},\n"
        "  doi = {doi:10.1000/XYZ-1},\n"
        "}\n"
    )
    reference = _only(text)
    assert reference.title == "MLP-Mixer by Dollár and Rätsch: 50% faster – α-Rank"
    assert reference.doi == "10.1000/xyz-1"


def test_doi_comes_from_a_doi_org_url_when_there_is_no_doi_field() -> None:
    text = "@misc{k, title={T}, url={https://doi.org/10.1145/3338243}}"
    assert _only(text).doi == "10.1145/3338243"


def test_bibtex_entry_with_no_id_and_no_title_is_a_problem() -> None:
    parsed = parse_library(b"@misc{empty, year = {2020}}\n@misc{k, title = {T}}\n")
    assert [r.label for r in parsed.references] == ["k"]
    assert parsed.problems == ["BibTeX entry 'empty' has no arXiv id, DOI or title."]


def test_bibtex_entries_with_a_repeated_key_are_both_kept() -> None:
    text = "@misc{k, title = {One}}\n@misc{k, title = {Two}, doi = {10.1000/2}}\n"
    parsed = parse_library(text.encode())
    assert [r.title for r in parsed.references] == ["One", "Two"]
    assert parsed.problems == []


def test_bibtex_parser_failure_costs_only_the_failing_entry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_parse = imports.parse_string

    def parse_string(text: str) -> object:
        if "@misc{boom" in text:
            raise RuntimeError("parser bug")
        return real_parse(text)

    monkeypatch.setattr(imports, "parse_string", parse_string)
    text = "@misc{a, title = {A}}\n@misc{boom, title = {B}}\n@misc{c, title = {C}}\n"
    parsed = parse_library(text.encode())
    assert [r.label for r in parsed.references] == ["a", "c"]
    assert parsed.problems == ["BibTeX entry 'boom' (line 2) could not be read: parser bug"]


# --- RIS ------------------------------------------------------------------------------


def test_zotero_ris_export_yields_ids_dois_titles_and_tags() -> None:
    parsed = parse_library(_fixture("zotero-export.ris"), "zotero-export.ris")
    assert parsed.format == "ris"
    assert parsed.problems == []
    assert [(r.arxiv_id, r.doi, r.title) for r in parsed.references] == [
        (
            None,
            "10.1016/j.heliyon.2024.e25757",
            "An efficient deepfake video detection using robust deep learning",
        ),
        (
            None,
            "10.1007/s11042-022-12778-3",
            "Light-weight 3DCNN for DeepFakes, FaceSwap and Face2Face facial forgery detection",
        ),
        (
            "2401.00974",
            "10.48550/arxiv.2401.00974",
            "Downstream Task-Oriented Generative Model Selections on Synthetic Data Training "
            "for Fraud Detection Models",
        ),
        (
            "2401.01388",
            None,
            "Directional Antenna Systems for Long-Range Through-Wall Human Activity Recognition",
        ),
    ]
    labels = [r.label for r in parsed.references]
    assert labels[1] == (
        "Light-weight 3DCNN for DeepFakes, FaceSwap and Face2Face facial forgery detecti…"
    )
    assert all(len(label) <= imports.LABEL_MAX_CHARS for label in labels)
    assert parsed.references[0].tags == (
        "Multimedia forensics",
        "Swish",
        "Video deepfakes",
        "Visual manipulation",
    )
    assert parsed.references[3].tags == (
        "Computer Science - Computer Vision and Pattern Recognition",
        "Computer Science - Machine Learning",
    )


def test_ris_record_without_end_line_is_a_problem_and_never_swallows_the_next() -> None:
    text = _fixture("zotero-export.ris").decode()
    end = "ER  - \n"
    second_end = text.index(end, text.index(end) + 1)
    broken = text[:second_end] + text[second_end + len(end) :]
    parsed = parse_library(broken.encode())
    assert [r.title[:20] for r in parsed.references if r.title] == [
        "An efficient deepfak",
        "Downstream Task-Orie",
        "Directional Antenna ",
    ]
    [problem] = parsed.problems
    assert problem.startswith("RIS record 2 (line ")
    assert "'ER  -'" in problem


def test_ris_file_cut_short_keeps_the_finished_records() -> None:
    text = _fixture("zotero-export.ris").decode()
    cut = text[: text.index("KW  - Computer Science - Computer Vision")]
    parsed = parse_library(cut.encode())
    assert [r.arxiv_id for r in parsed.references] == [None, None, "2401.00974"]
    assert parsed.problems == [
        "RIS record 4 (line 71) could not be read: it has no 'ER  -' end line. "
        "Was the file cut short?"
    ]


def test_ris_arxiv_id_in_a_pdf_link_and_doi_in_m3() -> None:
    text = (
        "TY  - JOUR\nT1  - Old style\nL1  - http://arxiv.org/pdf/2401.00974v3\n"
        "M3  - 10.1000/X\nER  -\n"
    )
    reference = _only(text)
    assert (reference.label, reference.arxiv_id, reference.doi) == (
        "Old style",
        "2401.00974",
        "10.1000/x",
    )


# --- CSL-JSON -------------------------------------------------------------------------


def test_zotero_csl_json_export_yields_ids_dois_and_titles() -> None:
    parsed = parse_library(_fixture("zotero-export.json"), "zotero-export.json")
    assert parsed.format == "csl-json"
    assert parsed.problems == []
    assert _identities(parsed) == [
        (
            "http://zotero.org/users/19396332/items/JZC78ECC",
            "2410.00917",
            "10.48550/arxiv.2410.00917",
            "Google Quantum AI's Quest for Error-Corrected Quantum Computers",
        ),
        (
            "http://zotero.org/users/6749987/items/62SFSJZX",
            None,
            "10.1186/s40168-023-01586-y",
            "Enterotypes of the human gut mycobiome",
        ),
        (
            "http://zotero.org/users/local/Qm4tC7vD/items/8WZ3K2PA",
            "2401.00964",
            None,
            "Data Augmentation Techniques for Cross-Domain WiFi CSI-based Human Activity "
            "Recognition",
        ),
    ]


def test_csl_json_object_with_items_reads_archive_location_keywords_and_markup() -> None:
    items = [
        {
            "id": 7,
            "title": "<i>Attention</i>  is all you need",
            "archive_location": "arXiv:1706.03762v7",
            "keyword": "nlp; transformers, nlp",
        }
    ]
    reference = _only(json.dumps({"items": items}))
    assert reference == Reference(
        "7", "1706.03762", None, "Attention is all you need", ("nlp", "transformers")
    )


def test_half_written_csl_json_keeps_the_items_before_the_break() -> None:
    text = _fixture("zotero-export.json").decode()
    cut = text[: text.index('"Enterotypes')]
    parsed = parse_library(cut.encode())
    assert [r.arxiv_id for r in parsed.references] == ["2410.00917"]
    [problem] = parsed.problems
    assert problem.startswith("CSL-JSON item 2 could not be read: ")
    assert problem.endswith("Was the file cut short?")


def test_csl_json_item_that_is_not_an_object_is_a_problem() -> None:
    parsed = parse_library(b'[{"id": "a", "DOI": "10.1000/A"}, "2401.00974"]')
    assert [r.doi for r in parsed.references] == ["10.1000/a"]
    assert parsed.problems == ["CSL-JSON item 2 could not be read: it is not an object."]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"title": "one item"}', "JSON but not CSL-JSON"),
        (b'{"items": [', "looks like JSON but cannot be read"),
        (b"[" * 100_000, "Was the file cut short?"),
    ],
)
def test_json_that_is_no_csl_library_is_refused_or_reported(data: bytes, message: str) -> None:
    try:
        parsed = parse_library(data, "export.json")
    except UnreadableLibrary as error:
        assert message in str(error)
    else:
        assert parsed.references == []
        assert message in parsed.problems[0]


# --- a list of arXiv ids --------------------------------------------------------------


def test_id_list_reads_ids_urls_and_prefixes() -> None:
    text = (
        "# papers to read\n"
        "2401.00974v2\n"
        "\n"
        "arXiv:hep-th/9901001\n"
        "https://arxiv.org/abs/2305.10724\n"
        "  http://export.arxiv.org/pdf/2401.01388v1.pdf  \n"
        "10.48550/arXiv.2401.00964\n"
    )
    parsed = parse_library(text.encode(), "to-read.txt")
    assert parsed.format == "arxiv-ids"
    assert parsed.problems == []
    assert [r.arxiv_id for r in parsed.references] == [
        "2401.00974",
        "hep-th/9901001",
        "2305.10724",
        "2401.01388",
        "2401.00964",
    ]
    assert parsed.references[3].label == "http://export.arxiv.org/pdf/2401.01388v1.pdf"


def test_id_list_reports_lines_without_an_id() -> None:
    text = "2401.00974\nAttention is all you need\n2413.00001\n"
    parsed = parse_library(text.encode())
    assert [r.arxiv_id for r in parsed.references] == ["2401.00974"]
    assert parsed.problems == [
        "Line 2 holds no arXiv id: 'Attention is all you need'",
        "Line 3 holds no arXiv id: '2413.00001'",
    ]


# --- bounds and bytes -----------------------------------------------------------------


@pytest.mark.parametrize(
    "entry",
    ["2401.00974\n", "@misc{k, title = {T}}\n", "TY  - JOUR\nTI  - T\nER  - \n"],
    ids=["arxiv-ids", "bibtex", "ris"],
)
def test_more_than_the_entry_limit_is_refused(entry: str) -> None:
    parse_library((entry * MAX_LIBRARY_ENTRIES).encode())
    with pytest.raises(UnreadableLibrary, match=r"holds 5,001 entries.*at most 5,000"):
        parse_library((entry * (MAX_LIBRARY_ENTRIES + 1)).encode())


def test_more_than_the_entry_limit_of_csl_json_is_refused() -> None:
    items = json.dumps([{"id": str(n), "title": "T"} for n in range(MAX_LIBRARY_ENTRIES + 1)])
    with pytest.raises(UnreadableLibrary, match="at most 5,000"):
        parse_library(items.encode())


def test_more_than_the_byte_limit_is_refused() -> None:
    data = b"2401.00974\n" * (MAX_LIBRARY_BYTES // 11 + 1)
    with pytest.raises(UnreadableLibrary, match=r"is 5\.0 MB; .* up to 5 MB"):
        parse_library(data, "ids.txt")


@pytest.mark.parametrize("name", ["zotero-export.bib", "zotero-export.ris", "zotero-export.json"])
def test_utf8_bom_and_crlf_are_read(name: str) -> None:
    data = _fixture(name)
    windows = b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n")
    assert parse_library(windows, name) == parse_library(data, name)


def test_crlf_inside_bibtex_values_is_plain_whitespace() -> None:
    data = b"\xef\xbb\xbf@misc{k,\r\n  title = {Two\r\n    lines},\r\n}\r\n"
    assert _only(data.decode("utf-8")).title == "Two lines"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b" \n\t\n", "is empty"),
        (b"\xff\xfeT\x00Y\x00", "is not UTF-8 text"),
        (b"%PDF-1.4\n\x00\x01binary", "is binary"),
    ],
)
def test_unreadable_bytes_are_refused_with_what_is_accepted(data: bytes, message: str) -> None:
    with pytest.raises(UnreadableLibrary) as raised:
        parse_library(data, "/home/reader/My Library.bib")
    assert message in str(raised.value)
    assert str(raised.value).startswith("'My Library.bib' ")
    assert "BibTeX (.bib), RIS (.ris) and CSL-JSON (.json)" in str(raised.value)


@pytest.mark.parametrize(
    ("fixture", "filename", "format_"),
    [
        ("zotero-export.ris", "library.bib", "ris"),
        ("zotero-export.bib", "library.json", "bibtex"),
        ("zotero-export.json", "library.ris", "csl-json"),
        ("zotero-export.bib", "", "bibtex"),
    ],
)
def test_format_is_told_by_the_content_when_the_filename_lies(
    fixture: str, filename: str, format_: str
) -> None:
    assert parse_library(_fixture(fixture), filename).format == format_


def test_text_that_is_no_library_is_refused_naming_what_its_name_promised() -> None:
    with pytest.raises(UnreadableLibrary, match="its name says BibTeX, but no BibTeX entry"):
        parse_library(b"Some notes about papers I liked.\n", "notes.bib")
    with pytest.raises(UnreadableLibrary, match="holds no entries"):
        parse_library(b"# to read later\n\n", "to-read.txt")


def test_every_fixture_is_valid_utf8_text() -> None:
    for path in Path(LIBRARY).iterdir():
        path.read_bytes().decode("utf-8")
