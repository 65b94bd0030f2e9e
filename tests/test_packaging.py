"""Every data file the package needs is declared, so `pip install .` (not editable) has it."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

import paperwire

PACKAGE = Path(paperwire.__file__).parent
PYPROJECT = PACKAGE.parents[1] / "pyproject.toml"


def test_every_data_file_is_in_package_data() -> None:
    patterns = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-data"][
        "paperwire"
    ]
    data_files = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts
    ]
    assert data_files, "the package has data files (templates, the model, the demo)"
    missing = [f for f in data_files if not any(fnmatch(f, pattern) for pattern in patterns)]
    assert missing == []
