"""Papers whose meaning a reader's feed can tell apart: three on molecules, two on speech,
and one more on molecules for a reader to save; listed on the community fixture's day and
embedded with the bundled model."""

from __future__ import annotations

from factories import make_paper
from personas import TODAY

from paperwire.papers import Paper
from paperwire.search.embedder import load_embedder
from paperwire.search.indexing import embed_papers
from paperwire.storage import Database
from paperwire.storage.papers import upsert_papers

MOLECULES = [
    ("2606.40001", "Graph neural networks for molecular property prediction",
     "We predict properties of molecules with message passing graph networks over atoms."),
    ("2606.40002", "Equivariant message passing for drug discovery",
     "An equivariant graph network predicts binding of small molecules for drug discovery."),
    ("2606.40003", "Pretraining molecular graph encoders",
     "Self-supervised pretraining of graph networks on molecules improves property prediction."),
]  # fmt: skip
SPEECH = [
    ("2606.40011", "Streaming speech recognition with transducers",
     "A streaming transducer model transcribes speech audio with low latency on phones."),
    ("2606.40012", "Multilingual speech recognition at scale",
     "We train one automatic speech recognition model on audio in a hundred languages."),
]  # fmt: skip
SAVED_MOLECULE = (
    "2606.40021",
    "Molecular graph networks predict toxicity",
    "Graph neural networks over molecules predict toxicity and solubility of compounds.",
)


def _paper(
    arxiv_id: str, title: str, abstract: str, author: str = "Ada Lovelace", category: str = "cs.LG"
) -> Paper:
    return make_paper(
        arxiv_id=arxiv_id, title=title, abstract=abstract, listing_day=TODAY,
        authors=(author, "Alan Turing"), categories=(category,), primary_category=category,
    )  # fmt: skip


def add_feed_papers(db: Database) -> None:
    papers = [
        *[_paper(*fields) for fields in [*MOLECULES, SAVED_MOLECULE]],
        _paper(*SPEECH[0], author="Grace Hopper", category="eess.AS"),
        _paper(*SPEECH[1], category="eess.AS"),
    ]
    upsert_papers(db, papers)
    embed_papers(db, load_embedder("bundled"), [paper.arxiv_id for paper in papers])
