"""A run's texts section (run_writer._text_batch, read_texts) gives back every row as it was
written, each text as its UTF-8 bytes, from the start or from any batch a text head notes;
and the store's texts read through it are the texts, as strings, as one joined string a
batch, and as bytes.

Texts are any strings a report may hold (no lone surrogate: neither encoder writes one):
empty, ASCII, past ASCII (where a text's bytes are not its characters), with NULs and the
report's own separator in them; flats kept for some rows, as a JSON-only writer keeps them.
"""

from __future__ import annotations

import os
import pickle
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smscan.codec import BETWEEN
from smscan.findings import MemoryFindings
from smscan.run_writer import RunFiles, RunWriter, key_field, read_texts
from tests.factories import mixed_findings
from tests.store_helpers import run_store

texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40) | st.sampled_from(["", "\0", BETWEEN, "\u00e9" * 3])
rows = st.lists(
    st.tuples(
        st.text(max_size=6).map(lambda s: key_field(s) + key_field("j")),
        st.sampled_from(["FAIL", "ERROR"]),
        texts,
        st.none() | st.tuples(st.integers(), st.text(max_size=3)),
    ),
    max_size=300,
)


def _written(held: list[Any]) -> tuple[RunFiles, Any]:
    files = RunFiles(1)
    writer = RunWriter(files, 0, texts=True, flats=False)
    writer.rows.extend(held)
    return files, writer.write()


@settings(max_examples=60, deadline=None)
@given(rows)
def test_a_texts_section_reads_back_as_written(held: list[Any]) -> None:
    files, run = _written(held)
    if run is None:
        assert not held
        return
    expected = [(key, status, text.encode(), flat) for key, status, text, flat in sorted(held, key=lambda r: r[0])]
    read = [(key, status, bytes(text), flat) for batch in read_texts(files, run.texts) for key, status, text, flat in batch]
    assert read == expected
    keys = [row[0] for row in expected]
    for head, offset in run.text_heads:  # from a noted batch on: a tail, with every row of that head or later
        tail = [row[0] for batch in read_texts(files, run.texts, offset) for row in batch]
        assert tail == keys[len(keys) - len(tail) :]
        assert len(tail) >= sum(1 for key in keys if key >= head)
    files.close()


def test_a_short_write_is_finished(monkeypatch: pytest.MonkeyPatch) -> None:
    held = [(key_field(f"k{i:03d}"), "FAIL", f"text {i} \u00e9" * 20, None) for i in range(200)]
    real = os.pwritev
    monkeypatch.setattr(os, "pwritev", lambda fd, parts, offset: real(fd, [bytes(parts[0])[:3]], offset))
    files, run = _written(list(held))
    read = [(key, status, str(text, "utf-8"), flat) for batch in read_texts(files, run.texts) for key, status, text, flat in batch]
    assert read == held
    files.close()


def test_a_cut_file_is_an_error() -> None:
    from smscan.run_writer import RunFileError

    files, run = _written([(key_field("k"), "FAIL", "x" * 100, None)])
    os.ftruncate(files.fd(0), run.texts.offset + run.texts.size - 1)
    with pytest.raises(RunFileError):
        list(read_texts(files, run.texts))
    files.close()


@pytest.mark.parametrize("flats", [True, False])
def test_the_store_texts_as_strings_joined_and_bytes_agree(flats: bool) -> None:
    findings = mixed_findings()
    store = run_store(findings, budget=3, chunk=2, own=3, flats=flats)
    batches = list(store.text_batches())
    assert list(store.joined_texts(BETWEEN)) == [BETWEEN.join(b) for b in batches]
    assert [[str(t, "utf-8") for t in b] for b in store.text_bytes()] == batches
    assert len([t for b in batches for t in b]) == len(MemoryFindings(findings))
    store.close()


def test_the_pickled_part_holds_no_text() -> None:
    """What the parent unpickles is the keys, statuses, flats and ends: the texts stay bytes."""
    files, run = _written([(key_field("k"), "FAIL", "the text", None)])
    data = os.pread(files.fd(0), run.texts.size, run.texts.offset)
    meta = pickle.loads(data[len(data) - int.from_bytes(data[8:16], "little") :])
    assert meta == (("k\0\0",), ("FAIL",), (None,), (8,))
    files.close()
