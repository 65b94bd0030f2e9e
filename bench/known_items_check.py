"""Sample papers for the known-item set and check hand-written descriptions against its rules.

Run from the repository root:

    .venv/bin/python bench/known_items_check.py sample --seed 20261207 --count 140 --out F
    .venv/bin/python bench/known_items_check.py check bench/data/known_items_described.jsonl

`sample` shuffles the ids of the two AI listing files with the seed and keeps the first
papers that are in neither known-item file, have an abstract of 400 characters or more and
a title of 3 words or more; it writes their id, title and abstract (one JSON object a
line) for the writers. `check` applies the rules of bench/data/README.md to a file of
descriptions: the id exists, one description of each kind a paper within its word range,
no run of 3 words shared with the title or abstract, at most 2 content words of the title,
no quotation marks. It prints every failure and exits 1 if there is one. Neither command
runs a search: the descriptions are never tuned to a ranking.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from benchlib import SHARED_DATA
from run_search import DESCRIBED_ITEMS, KNOWN_ITEMS, read_jsonl

from paperwire.terms import STOPWORDS

LISTINGS = [
    SHARED_DATA / "arxiv" / "cs-ai-2024-2026.jsonl.gz",
    SHARED_DATA / "arxiv" / "cs-cv-cl-ai-2025-2026.jsonl.gz",
]
WORD_RANGES = {"keyword": (5, 7), "sentence": (16, 25)}


def words(text: str) -> list[str]:
    """Lower-case runs of letters or digits: punctuation and hyphens split words."""
    return re.findall(r"[a-z0-9]+", text.lower())


def runs(tokens: list[str], length: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + length]) for i in range(len(tokens) - length + 1)}


def read_listings() -> dict[str, dict[str, Any]]:
    papers: dict[str, dict[str, Any]] = {}
    for path in LISTINGS:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                papers.setdefault(record["id"].split("v")[0], record)
    return papers


def known_ids() -> set[str]:
    return {
        item["arxiv_id"] for path in (KNOWN_ITEMS, DESCRIBED_ITEMS) for item in read_jsonl(path)
    }


def sample(seed: int, count: int, out: Path) -> None:
    papers = read_listings()
    taken = known_ids()
    ids = sorted(papers)
    random.Random(seed).shuffle(ids)
    chosen = [
        i
        for i in ids
        if i not in taken
        and len(papers[i]["abstract"]) >= 400
        and len(words(papers[i]["title"])) >= 3
    ][:count]
    with out.open("w", encoding="utf-8") as sink:
        for arxiv_id in sorted(chosen):
            paper = papers[arxiv_id]
            text = {"arxiv_id": arxiv_id, "title": paper["title"], "abstract": paper["abstract"]}
            sink.write(json.dumps(text, ensure_ascii=False) + "\n")
    print(f"{len(chosen)} papers written to {out}")


def problems(item: dict[str, Any], paper: dict[str, Any] | None) -> Iterator[str]:
    if paper is None:
        yield "no such paper in the listing files"
        return
    query = item["query"]
    tokens = words(query)
    low, high = WORD_RANGES.get(item.get("kind", ""), (8, 25))  # the first 60: no kind
    if not low <= len(query.split()) <= high:
        yield f"{len(query.split())} words, not {low}-{high}"
    if any(mark in query for mark in '"“”'):
        yield "quotation marks"
    title, abstract = words(paper["title"]), words(paper["abstract"])
    shared = runs(tokens, 3) & (runs(title, 3) | runs(abstract, 3))
    if shared:
        yield f"shares a run of 3 words: {' '.join(sorted(shared)[0])}"
    content = {t for t in tokens if t not in STOPWORDS} & {t for t in title if t not in STOPWORDS}
    if len(content) > 2:
        yield f"shares {len(content)} content words with the title: {sorted(content)}"


def check(path: Path) -> int:
    papers = read_listings()
    items = read_jsonl(path)
    failures = 0
    kinds: dict[str, list[str]] = defaultdict(list)
    for number, item in enumerate(items, 1):
        kinds[item["arxiv_id"]].append(item.get("kind", "sentence"))
        for problem in problems(item, papers.get(item["arxiv_id"])):
            failures += 1
            print(f"{path.name}:{number} {item['arxiv_id']} ({item.get('kind')}): {problem}")
    if any(item.get("kind") for item in items):
        for arxiv_id, found in kinds.items():
            if sorted(found) != ["keyword", "sentence"]:
                failures += 1
                print(f"{arxiv_id}: descriptions {sorted(found)}, not one of each kind")
    print(f"{len(items)} descriptions of {len(kinds)} papers, {failures} problems")
    return 1 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sampling = commands.add_parser("sample")
    sampling.add_argument("--seed", type=int, required=True)
    sampling.add_argument("--count", type=int, required=True)
    sampling.add_argument("--out", type=Path, required=True)
    checking = commands.add_parser("check")
    checking.add_argument("files", type=Path, nargs="+")
    args = parser.parse_args(argv)
    if not all(path.exists() for path in LISTINGS):
        print(f"the shared listing files are missing ({LISTINGS[0]}): nothing to do")
        return 0
    if args.command == "sample":
        sample(args.seed, args.count, args.out)
        return 0
    return max(check(path) for path in args.files)


if __name__ == "__main__":
    sys.exit(main())
