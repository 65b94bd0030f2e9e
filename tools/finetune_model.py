"""Fine-tune the bundled static model on arXiv titles and abstracts (a development tool).

Step two after tools/distill_model.py. The distilled model averages what its teacher
(all-MiniLM-L6-v2) made of each token alone, which loses much of what the teacher knows
about whole texts. This tool trains those token vectors further, contrastively, on real
paper metadata, so that a short description lands near the abstract it describes:

- pairs: (title, abstract) and, for half the papers, (one sentence of the abstract, the
  title and the other sentences), an inverse cloze task, which teaches claim-like
  queries as well as title-like ones;
- loss: in-batch negatives in both directions (each text against the 4,095 other
  texts of its batch), cosine scaled by 20;
- data: every paper of the arXiv metadata files given (CC0), minus the targets of
  bench/data/known_items.jsonl, which the benchmark uses to judge search.

The hyper-parameters were chosen on the SciFact *train* split; figures in docs/search.md
come from its test split. Reproduce with (about ten minutes on two cores):

    python3 -m venv /tmp/ml && /tmp/ml/bin/pip install torch==2.13.0 model2vec
    /tmp/ml/bin/python tools/finetune_model.py DISTILLED_DIR OUT_DIR ../shared/data/arxiv/*.jsonl.gz
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from model2vec import StaticModel

KNOWN_ITEMS = Path(__file__).resolve().parent.parent / "bench" / "data" / "known_items.jsonl"
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
BATCH = 4096
EPOCHS = 3
LEARNING_RATE = 0.03
SCALE = 20.0
CLOZE_SHARE = 0.5
SEED = 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("distilled", type=Path, help="the model2vec folder to start from")
    parser.add_argument("out", type=Path)
    parser.add_argument("files", type=Path, nargs="+", help="arXiv metadata, .jsonl.gz")
    args = parser.parse_args()
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    model = StaticModel.from_pretrained(str(args.distilled))
    held_out = {json.loads(line)["arxiv_id"] for line in KNOWN_ITEMS.open(encoding="utf-8")}
    pairs = training_pairs(list(read_papers(args.files, held_out).values()))
    print(f"{len(pairs):,} training pairs")
    queries = model.tokenize([query for query, _ in pairs])
    documents = model.tokenize([document for _, document in pairs])
    vectors = train(np.asarray(model.embedding, dtype=np.float32), queries, documents)
    save(model, vectors, args.distilled, args.out, len(pairs))


def read_papers(files: Sequence[Path], held_out: set[str]) -> dict[str, tuple[str, str]]:
    """(title, abstract) by arXiv id (version suffix dropped), whitespace collapsed."""
    papers: dict[str, tuple[str, str]] = {}
    for path in files:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                arxiv_id = re.sub(r"v\d+$", "", record["id"])
                title, abstract = (" ".join(record[k].split()) for k in ("title", "abstract"))
                if arxiv_id not in held_out and title and abstract:
                    papers[arxiv_id] = (title, abstract)
    return papers


def training_pairs(papers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    chooser = random.Random(SEED)
    chooser.shuffle(papers)
    return [
        cloze_pair(title, abstract, chooser)
        if chooser.random() < CLOZE_SHARE
        else (title, abstract)
        for title, abstract in papers
    ]


def cloze_pair(title: str, abstract: str, chooser: random.Random) -> tuple[str, str]:
    """One sentence as the query, the title and the remaining sentences as the document."""
    sentences = SENTENCE_END.split(abstract)
    if len(sentences) < 3:
        return title, abstract
    i = chooser.randrange(len(sentences))
    return sentences[i], " ".join([title, *sentences[:i], *sentences[i + 1 :]])


def train(start: np.ndarray, queries: list[list[int]], documents: list[list[int]]) -> np.ndarray:
    bag = torch.nn.EmbeddingBag(*start.shape, mode="mean")
    bag.weight.data = torch.from_numpy(start.copy())
    optimiser = torch.optim.Adam(bag.parameters(), lr=LEARNING_RATE)
    labels = torch.arange(BATCH)
    for epoch in range(EPOCHS):
        losses = []
        for batch in batches(len(queries)):
            q = torch.nn.functional.normalize(bag(*packed([queries[i] for i in batch])), dim=1)
            d = torch.nn.functional.normalize(bag(*packed([documents[i] for i in batch])), dim=1)
            scores = q @ d.T * SCALE
            loss = (
                torch.nn.functional.cross_entropy(scores, labels)
                + torch.nn.functional.cross_entropy(scores.T, labels)
            ) / 2
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
        print(f"epoch {epoch + 1}/{EPOCHS}: mean loss {np.mean(losses):.4f}")
    return bag.weight.data.numpy()


def batches(count: int) -> Iterator[np.ndarray]:
    order = np.random.permutation(count)
    for start in range(0, count - BATCH + 1, BATCH):  # the last, short batch is skipped
        yield order[start : start + BATCH]


def packed(token_lists: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """EmbeddingBag's input: all token ids in one tensor, and where each text starts."""
    ids = torch.tensor([token for tokens in token_lists for token in tokens], dtype=torch.long)
    lengths = [len(tokens) for tokens in token_lists]
    offsets = torch.tensor(np.cumsum([0, *lengths[:-1]]), dtype=torch.long)
    return ids, offsets


def save(model: StaticModel, vectors: np.ndarray, distilled: Path, out: Path, pairs: int) -> None:
    # float16 like the distilled model: half the size, and cosine changes under 1e-3.
    tuned = StaticModel(
        vectors=vectors.astype(np.float16),
        tokenizer=model.tokenizer,
        config=model.config,
        normalize=True,
    )
    tuned.save_pretrained(str(out))
    # model2vec writes a generic model card that names the wrong licence; provenance.json
    # and docs/search.md describe this model instead.
    (out / "README.md").unlink(missing_ok=True)
    provenance = json.loads((distilled / "provenance.json").read_text())
    provenance["fine_tuning"] = {
        "tool": "tools/finetune_model.py",
        "data": "arXiv titles and abstracts (CC0), known-item benchmark targets held out",
        "pairs": pairs,
        "batch": BATCH,
        "epochs": EPOCHS,
        "learning_rate": LEARNING_RATE,
        "scale": SCALE,
        "cloze_share": CLOZE_SHARE,
    }
    (out / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n")
    if (distilled / "modules.json").exists() and not (out / "modules.json").exists():
        shutil.copy(distilled / "modules.json", out / "modules.json")


if __name__ == "__main__":
    main()
