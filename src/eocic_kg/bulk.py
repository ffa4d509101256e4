"""On-disk stores: bulk loading with a progress bar, and the lock file that keeps a loader away
from a store a server is using (`hold`)."""

from __future__ import annotations

import fcntl
import io
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from eocic_kg.errors import StoreBusyError


def rdf_format_of(path: Path) -> ox.RdfFormat:
    formats = {".nq": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG}
    fmt = formats.get(path.suffix) or ox.RdfFormat.from_extension(path.suffix.lstrip("."))
    if fmt is None:
        raise ValueError(f"unknown RDF format of {path}")
    return fmt


class _Progress(io.RawIOBase):
    """A binary file that reports how much of it has been read (a progress bar on stderr)."""

    def __init__(self, path: Path, done: int, total: int, show: bool) -> None:
        self._file = path.open("rb")
        self._done, self._total, self._show = done, max(total, 1), show
        self._shown = -1

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._file.readinto(buffer)
        self._done += n or 0
        percent = 100 * self._done // self._total
        if self._show and percent != self._shown:
            self._shown = percent
            bar = "#" * (percent // 4)
            print(f"\rloading [{bar:<25}] {percent:3d}%", end="", file=sys.stderr, flush=True)
        return n

    def close(self) -> None:
        self._file.close()
        super().close()


def is_store(path: Path) -> bool:
    """Whether `path` holds an on-disk store."""
    return (Path(path) / "CURRENT").is_file()


def hold(path: Path, *, exclusive: bool) -> IO[bytes]:
    """Take the store's lock file (shared: serving it read-only; exclusive: writing it).

    The lock lasts as long as the returned file stays open (and goes with the process).
    Raises StoreBusyError, naming what to do, when another process holds it the other way.
    """
    Path(path).mkdir(parents=True, exist_ok=True)
    handle = (Path(path) / "eocic.lock").open("a+b")
    try:
        fcntl.flock(handle, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise StoreBusyError(
            f"{path} is in use by another eocic-kg process (a server or a load); "
            "stop it first, or load into another directory"
        ) from None
    return handle


def bulk_load(
    store_path: Path, files: Sequence[Path], progress: bool = True, *, replace: bool = False
) -> int:
    """Bulk-load RDF `files` into the on-disk store at `store_path`; return its quad count.

    Uses pyoxigraph's bulk loader (no transaction, all cores); with `progress`, a bar on stderr.
    Blank nodes are fresh per load, so loading a file twice duplicates its blank-node triples:
    `replace` empties the store first. Refused (StoreBusyError) while a server uses the store.
    """
    for f in map(Path, files):
        if not f.is_file():
            raise FileNotFoundError(f"{f}: no such file")
        rdf_format_of(f)
    lock = hold(store_path, exclusive=True)
    try:
        return _bulk_load(store_path, files, progress, replace)
    finally:
        lock.close()


def _bulk_load(store_path: Path, files: Sequence[Path], progress: bool, replace: bool) -> int:
    store = ox.Store(str(store_path))
    if replace:
        store.clear()
    total = sum(Path(f).stat().st_size for f in files)
    done = 0
    for f in map(Path, files):
        with _Progress(f, done, total, progress) as reader:
            try:
                store.bulk_load(input=io.BufferedReader(reader, 1 << 20), format=rdf_format_of(f))
            except SyntaxError as e:  # the engine's message names the line, not the file
                if progress:
                    print(file=sys.stderr)  # past the progress bar
                raise ValueError(f"{f}: {e.msg}") from None
        done += f.stat().st_size
    store.optimize()
    store.flush()
    count = len(store)
    del store
    if progress:
        print(f"\rloaded {count:,} quads into {store_path}".ljust(60), file=sys.stderr)
    return count
