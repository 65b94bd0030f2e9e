"""The analysis behind the in-memory keyword index, and the stored format of its terms."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from paperwire.terms import (
    MAX_COUNT,
    analyze,
    decode_pairs,
    decode_terms,
    encode_paper,
    encode_paper_terms,
    query_hashes,
    term_hash,
)


def test_analysis_folds_case_and_accents_stems_and_drops_stopwords() -> None:
    assert analyze("The Schrödinger equation of Distilled networks") == [
        "schroding",
        "equat",
        "distil",
        "network",
    ]
    assert analyze("self-supervised") == ["self", "supervis"]
    assert analyze("distillation") == analyze("distilled") == ["distil"]


def test_analysis_keeps_numbers_and_non_latin_words() -> None:
    assert analyze("GPT-4 на графах") == ["gpt", "4", "на", "графах"]


def test_a_paper_round_trips_through_the_stored_format() -> None:
    blob = encode_paper_terms("Distilled networks", ["Ada Lovelace"], "We distil networks.")
    sizes, hashes, counts = decode_terms([blob])
    found = dict(zip(hashes.tolist(), counts.tolist(), strict=True))
    assert sizes.tolist() == [4]
    assert found[term_hash("distil")] == [1, 0, 1]
    assert found[term_hash("network")] == [1, 0, 1]
    assert found[term_hash("ada")] == [0, 1, 0]
    assert hashes.tolist() == sorted(hashes.tolist())


def test_stored_terms_are_the_analysed_ones_when_a_word_is_seen_first_and_again() -> None:
    text = "The Schrödinger equation of the distilled networks; of networks, the rest."
    first, again = encode_paper("", [], text), encode_paper("", [], text)
    assert first == again
    _, hashes, counts = decode_terms([first[0]])
    stored = dict(zip(hashes.tolist(), counts[:, 2].tolist(), strict=True))
    assert stored == Counter(term_hash(term) for term in analyze(text))


def test_many_papers_decode_at_once_including_empty_ones() -> None:
    blobs = [
        encode_paper_terms("graph networks", [], ""),
        encode_paper_terms("", [], ""),
        encode_paper_terms("graph", [], "graph graph"),
    ]
    sizes, hashes, counts = decode_terms(blobs)
    assert sizes.tolist() == [2, 0, 1]
    assert hashes[2] == term_hash("graph") and counts[2].tolist() == [1, 0, 2]


def test_counts_stop_at_the_largest_a_byte_holds() -> None:
    _, _, counts = decode_terms([encode_paper_terms("", [], "graph " * 1_000)])
    assert counts.tolist() == [[0, 0, MAX_COUNT]]


def test_a_torn_blob_is_refused_with_a_clear_error() -> None:
    blob = encode_paper_terms("graph networks", [], "")
    with pytest.raises(ValueError, match="whole number"):
        decode_terms([blob[:-1]])


def test_query_hashes_are_distinct_and_sorted() -> None:
    hashes = query_hashes("Networks network NETWORKS of graphs")
    assert hashes.dtype == np.dtype("<u4")
    assert hashes.tolist() == sorted({term_hash("network"), term_hash("graph")})


def test_pairs_are_adjacent_terms_within_title_and_within_abstract() -> None:
    terms, pairs = encode_paper("Video diffusion", ["Ada Lovelace"], "Video diffusion, distilled.")
    sizes, hashes, counts = decode_pairs([pairs])
    found = dict(zip(hashes.tolist(), counts.tolist(), strict=True))
    assert terms == encode_paper_terms(
        "Video diffusion", ["Ada Lovelace"], "Video diffusion, distilled."
    )
    assert found == {term_hash("video diffus"): 2, term_hash("diffus distil"): 1}
    assert sizes.tolist() == [2] and hashes.tolist() == sorted(hashes.tolist())
    # No pair spans the title and the abstract, nor comes from the author names.
    assert term_hash("diffus video") not in found and term_hash("ada lovelac") not in found


def test_a_torn_pair_list_is_refused_with_a_clear_error() -> None:
    _, pairs = encode_paper("graph neural networks", [], "")
    assert decode_pairs([pairs, b""])[0].tolist() == [2, 0]
    with pytest.raises(ValueError, match="whole number"):
        decode_pairs([pairs[:-1]])
