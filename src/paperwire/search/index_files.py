"""Search indexes written once to disk and memory-mapped by every process that searches.

A build writes a *generation*: a folder of NumPy arrays (and the HNSW graph) holding the
keyword postings and the embeddings of every listed paper as of one write counter. The
files are written under a temporary name, flushed, renamed into place, and only then named
in CURRENT (itself replaced by a rename), so a reader sees either the old generation or
the new one whole, never a half-written one, and a build killed part way leaves only a
temporary folder that the next build removes. Each web worker maps the arrays read-only:
N workers on one machine share one copy through the page cache, and a worker is ready to
search as soon as the files are mapped (milliseconds), however many papers there are.
What was written after the generation's counters is loaded from the database on top of it
(search/vector_index.py, search/term_index.py).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

INDEX_FOLDER = "index"  # under PAPERWIRE_DATA_DIR
FORMAT = 1
CURRENT = "CURRENT"
GENERATION_PREFIX = "gen-"
BUILDING_PREFIX = ".building-"
# Generations kept besides the current one: a worker that read CURRENT just before a new
# one was named still finds the files it was about to map.
KEEP_PREVIOUS = 1


class IndexFileError(RuntimeError):
    """A generation's files are missing or not what its meta.json says."""


@dataclass(frozen=True, slots=True)
class Generation:
    """One generation as named by CURRENT: its folder and what meta.json says of it."""

    folder: Path
    meta: Mapping[str, Any]

    @property
    def name(self) -> str:
        return self.folder.name

    def array(self, name: str) -> np.ndarray:
        """A read-only memory map of one of its arrays."""
        try:
            array: np.ndarray = np.load(
                self.folder / f"{name}.npy", mmap_mode="r", allow_pickle=False
            )
        except (OSError, ValueError) as error:
            raise IndexFileError(f"{self.folder / name}.npy: {error}") from error
        return array

    def path(self, name: str) -> Path:
        return self.folder / name


class IndexFolder:
    """The folder that holds the generations (PAPERWIRE_DATA_DIR/index by default)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # CURRENT as last read, by the file's identity: a build replaces it by a rename,
        # which gives it a new inode, so one stat() per paper page replaces a read.
        self._read: tuple[tuple[int, int, int], str | None] | None = None

    def current_name(self) -> str | None:
        """The name CURRENT gives, or None before the first build."""
        pointer = self.path / CURRENT
        try:
            found = os.stat(pointer)
            identity = (found.st_ino, found.st_mtime_ns, found.st_size)
            read = self._read
            if read is not None and read[0] == identity:
                return read[1]
            name = pointer.read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None
        self._read = (identity, name)
        return name

    def current(self) -> Generation | None:
        """The current generation, or None when there is none or it cannot be read."""
        name = self.current_name()
        if name is None:
            return None
        folder = self.path / name
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if meta.get("format") != FORMAT:
            return None
        return Generation(folder, meta)

    def start(self) -> Path:
        """A new empty folder to write a generation into (publish it when complete); the
        leftovers of builds that died are removed first."""
        self.path.mkdir(parents=True, exist_ok=True)
        for leftover in self.path.glob(f"{BUILDING_PREFIX}*"):
            shutil.rmtree(leftover, ignore_errors=True)
        folder = self.path / f"{BUILDING_PREFIX}{os.getpid()}-{time.time_ns()}"
        folder.mkdir()
        return folder

    def publish(self, building: Path, meta: Mapping[str, Any]) -> Generation:
        """Make a folder that start() gave, now complete, the current generation."""
        _write_synced(building / "meta.json", json.dumps({**meta, "format": FORMAT}, indent=1))
        for file in building.iterdir():
            _fsync_path(file)
        final = self.path / f"{GENERATION_PREFIX}{time.time_ns()}"
        building.rename(final)
        _fsync_path(self.path)
        pointer = self.path / f"{CURRENT}.tmp"
        _write_synced(pointer, final.name + "\n")
        pointer.replace(self.path / CURRENT)
        _fsync_path(self.path)
        self._remove_old(keep=final.name)
        generation = self.current()
        assert generation is not None and generation.folder == final
        return generation

    def _remove_old(self, keep: str) -> None:
        generations = sorted(
            (p for p in self.path.glob(f"{GENERATION_PREFIX}*") if p.name != keep),
            key=lambda p: p.name,
        )
        # Mapped files stay readable after removal (the kernel keeps them until unmapped).
        for old in generations[: max(0, len(generations) - KEEP_PREVIOUS)]:
            shutil.rmtree(old, ignore_errors=True)


def save_array(folder: Path, name: str, array: np.ndarray) -> None:
    np.save(folder / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)


def _write_synced(path: Path, content: str) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
