"""Finding and normalising code and project links in abstracts, as arXiv writes them."""

from __future__ import annotations

import json

import pytest
from factories import TEST_DATA
from hypothesis import given
from hypothesis import strategies as st

from paperwire.code.links import CodeUrl, FoundLinks, find_links, normalise_code_url
from paperwire.ingest.formats import clean_abstract, parse_listing_record

# Real sentences from the shared cs.AI data (ids in comments), as the stored text has them.
REAL = [
    ("are available at https://github.com/uclaml/SPIN.", "https://github.com/uclaml/SPIN"),
    (  # 2401.00737-like: arXiv's own hard wrap inside the URL's line
        "ublicly accessible at\nhttps://github.com/ICI-BCI/Dual-MRI-HA-HI.git.",
        "https://github.com/ICI-BCI/Dual-MRI-HA-HI",
    ),
    ("is available at \\url{https://github.com/zju-SWJ/KT}.", "https://github.com/zju-SWJ/KT"),
    (
        "Code available at github.com/mayug/0-shot-llm-vision.",
        "https://github.com/mayug/0-shot-llm-vision",
    ),
    (
        "available at:\nwww.github.com/mas-takayama/LLM-and-SCD",
        "https://github.com/mas-takayama/LLM-and-SCD",
    ),
    (  # 2509.16674: the author broke the URL after the host
        "will be released at https://github.com/\nlilo4096/FitPro-Interactive-Person-Retrieval.",
        "https://github.com/lilo4096/FitPro-Interactive-Person-Retrieval",
    ),
    (  # a break after the owner
        "at https://github.com/AIROTAU/\nPointPillarsHailoInnoviz/tree/main",
        "https://github.com/AIROTAU/PointPillarsHailoInnoviz",
    ),
    (  # a break after a hyphen
        "at https://github.com/lixinustc/KVQE-\nChallengeCVPR-NTIRE2025.",
        "https://github.com/lixinustc/KVQE-ChallengeCVPR-NTIRE2025",
    ),
    ("available at https: //github.com/HongkLin/TIDE.", "https://github.com/HongkLin/TIDE"),
    (
        "publicly available athttps://github.com/Lackel/Awesome-Tools.",
        "https://github.com/Lackel/Awesome-Tools",
    ),
    (
        "at https://github.com/ltpritamanand/Tube$\\_$loss.",
        "https://github.com/ltpritamanand/Tube_loss",
    ),
    ("\\url{https://github.com/jingwu6/LM\\_AG}.", "https://github.com/jingwu6/LM_AG"),
    (
        "(https://github.com/amazon-science/vigor) comprising",
        "https://github.com/amazon-science/vigor",
    ),
    ("See https://github.com/gabe/Net/tree/main for details", "https://github.com/gabe/Net"),
    (
        "at https://gitlab.com/group/sub/project/-/blob/main/x.py",
        "https://gitlab.com/group/sub/project",
    ),
    (
        "at https://huggingface.co/ibm-granite/granite-ttm-r2.",
        "https://huggingface.co/ibm-granite/granite-ttm-r2",
    ),
    (
        "at https://huggingface.co/datasets/org/Bench/tree/main",
        "https://huggingface.co/datasets/org/Bench",
    ),
    (
        "demo at hf.co/spaces/PKU-Alignment/Board)",
        "https://huggingface.co/spaces/PKU-Alignment/Board",
    ),
]


@pytest.mark.parametrize(("text", "expected"), REAL)
def test_repositories_are_found_as_abstracts_write_them(text: str, expected: str) -> None:
    assert find_links(clean_abstract(text)).code_url == expected


@pytest.mark.parametrize(
    "text",
    [
        "Our code will be available at https://github.com/yongxianLiu/ soon.",
        "released under the Optuna organization (https://github.com/optuna/).",
        "see https://github.com/features/copilot and https://github.com/orgs/foo/people",
        "models at https://huggingface.co/rinna and https://huggingface.co/papers/2401.00001",
        "weights: https://huggingface.co/collections/nvidia/nemotron-twotower",
        "a gist https://gist.github.com/someone/abc123 and https://api.github.com/repos/a/b",
        "ask user@github.com/foo about it",
        "available at https://github.com.",
    ],
)
def test_owner_pages_and_host_pages_are_not_repositories(text: str) -> None:
    assert find_links(text).code_url is None


def test_the_first_repository_wins_and_the_comment_only_fills_in() -> None:
    abstract = "Built on https://github.com/other/base; ours is https://github.com/me/ours."
    found = find_links(
        abstract, "Code: https://github.com/me/else. Project page: https://me.github.io/p/"
    )
    assert found == FoundLinks("https://github.com/other/base", "https://me.github.io/p")
    assert find_links("No link here.", "Code: https://github.com/me/ours").code_url == (
        "https://github.com/me/ours"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("project page: https://ego-gen.github.io/.", "https://ego-gen.github.io"),
        (
            "available at\nrectified-scaling-law.github.io.",
            "https://rectified-scaling-law.github.io",
        ),
        ("Project Page: \\url{https://vatex.hkustvgd.com/}.", "https://vatex.hkustvgd.com"),
        ("Our website: https://www.Example.org/demo/?utm=x#top.", "https://www.example.org/demo"),
        (
            "The project website and code are available at http://lab.example.edu/p",
            "http://lab.example.edu/p",
        ),
    ],
)
def test_project_pages_are_github_io_pages_or_introduced_as_such(text: str, expected: str) -> None:
    assert find_links(clean_abstract(text)).project_url == expected


@pytest.mark.parametrize(
    "text",
    [
        "This demo paper was already published https://ieeexplore.ieee.org/document/9461900",
        "Data at https://zenodo.org/records/1 and the website https://youtu.be/abc",
        "We compare against https://example.org/baseline in our experiments.",
    ],
)
def test_other_urls_are_no_project_pages(text: str) -> None:
    assert find_links(text).project_url is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (
            "https://GitHub.com/Foo/Bar.git",
            CodeUrl("github.com", "Foo/Bar", "https://github.com/Foo/Bar"),
        ),
        (
            "http://www.github.com/foo/bar/issues/3?x=1#L2",
            CodeUrl("github.com", "foo/bar", "https://github.com/foo/bar"),
        ),
        ("github.com/foo/bar", CodeUrl("github.com", "foo/bar", "https://github.com/foo/bar")),
        (
            "https://hf.co/datasets/a/b",
            CodeUrl("huggingface.co", "datasets/a/b", "https://huggingface.co/datasets/a/b"),
        ),
    ],
)
def test_a_typed_repository_url_is_normalised(typed: str, expected: CodeUrl) -> None:
    assert normalise_code_url(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "javascript:alert(1)//github.com/a/b",
        "ftp://github.com/a/b",
        "https://evil.example/github.com/a/b",
        "https://github.com/a",
        "https://user:pw@github.com/a/b",
        "https://github.com/a/b c",
        "https://github.com:99999/a/b",
        "",
    ],
)
def test_anything_but_a_repository_url_is_refused(typed: str) -> None:
    assert normalise_code_url(typed) is None


# Names ending in "-" or "_" followed by a space read as a URL broken across lines.
_NAME = st.from_regex(r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,20}[A-Za-z0-9])?", fullmatch=True)


@given(
    owner=_NAME,
    name=_NAME,
    suffix=st.sampled_from(["", ".git", "/", "/tree/main/src", "#readme", "?tab=1", ".", ")."]),
)
def test_every_spelling_of_a_repository_normalises_to_one_url(
    owner: str, name: str, suffix: str
) -> None:
    found = find_links(f"Code: https://github.com/{owner}/{name}{suffix} more text")
    assert found.code_url == f"https://github.com/{owner}/{name}"
    assert normalise_code_url(found.code_url) == CodeUrl(
        "github.com", f"{owner}/{name}", found.code_url
    )


@given(text=st.text(max_size=300))
def test_any_text_gives_links_that_normalise_to_themselves(text: str) -> None:
    found = find_links(text, text)
    if found.code_url is not None:
        normal = normalise_code_url(found.code_url)
        assert normal is not None and normal.url == found.code_url
    if found.project_url is not None:
        assert found.project_url.startswith(("https://", "http://"))


def test_the_real_sample_has_six_papers_with_code() -> None:
    lines = (TEST_DATA / "cs-ai-sample.jsonl").read_text().splitlines()
    papers = [parse_listing_record(json.loads(line)) for line in lines]
    found = {p.arxiv_id: find_links(p.abstract, p.comment).code_url for p in papers}
    with_code = {key: url for key, url in found.items() if url}
    assert len(papers) == 21 and len(with_code) == 6
    assert with_code["2401.01335"] == "https://github.com/uclaml/SPIN"
