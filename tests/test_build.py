"""The build writes the release atomically and never replaces a good release with a bad one."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Dataset
from rdflib.compare import isomorphic

from eocic_kg.atomic import write_atomically
from eocic_kg.build import nquads
from eocic_kg.resources import DATA_DIR

from .release_cache import built_release, run_cli


def test_nquads_are_deterministic_and_round_trip() -> None:
    dataset = built_release().dataset
    first = nquads(dataset)
    assert first == nquads(dataset)
    reread = Dataset()
    reread.parse(data=first.decode("utf-8"), format="nquads")
    assert len(list(reread.quads())) == len(list(dataset.quads()))


def test_cli_build_writes_the_release_the_tests_read(tmp_path: Path) -> None:
    """`eocic-kg build` end to end (HermiT in the command's own process): it writes the release
    that the other tests read, graph by graph."""
    result = run_cli("build", dist=tmp_path)
    assert result.returncode == 0, result.stderr
    written = Dataset()
    written.parse(tmp_path / "eocic.nq", format="nquads")
    expected = built_release().dataset
    names = {g.identifier for g in written.graphs() if len(g)}
    assert names == {g.identifier for g in expected.graphs() if len(g)}
    for name in names:
        assert isomorphic(written.graph(name), expected.graph(name)), name


def test_write_atomically_leaves_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "release.nq"
    write_atomically(target, b"good\n")

    with pytest.raises(TypeError):
        write_atomically(target, None)  # type: ignore[arg-type]
    assert target.read_bytes() == b"good\n"
    assert [p.name for p in tmp_path.iterdir()] == ["release.nq"]


def test_failed_build_keeps_previous_release(tmp_path: Path) -> None:
    release = tmp_path / "dist" / "eocic.nq"
    release.parent.mkdir()
    release.write_bytes(b"previous good release\n")
    data = tmp_path / "data"
    data.mkdir()
    for path in DATA_DIR.glob("*.ttl"):
        (data / path.name).write_bytes(path.read_bytes())
    (data / "zz-broken.ttl").write_text("@prefix ex: <http://example.org/> .\nex:a ex:b .\n")
    result = run_cli("--data", str(data), "build", dist=release.parent)
    assert result.returncode == 2
    assert "zz-broken.ttl:2" in result.stderr
    assert release.read_bytes() == b"previous good release\n"
