"""Coverage-guided fuzzing (atheris) of ``HashList.load``: a hash list comes from outside
(a hotline, a partner), so any file must load or raise :class:`nudeguard.HashListError`
naming the file and line, and what loads must match itself. Run (``pip install '.[fuzz]'``)::

    python tests/fuzz/fuzz_hash_list.py -max_total_time=60 build/fuzz/corpus/hash_list native/fuzz/corpus/fuzz_hash_list

The parser itself is native and fuzzed for memory errors by ``native/fuzz/fuzz_hash_list.cpp``
(the seeds are shared); this harness covers the Python side: exception types, messages, the
packed IDs and matching. Not collected by pytest.
"""

from __future__ import annotations

import os
import sys
import tempfile

import atheris

with atheris.instrument_imports(include=["nudeguard"]):
    import nudeguard
    from nudeguard import HashList, HashListError

# The fuzz input is a hash-list text, not an image: writing it to a scratch file is what
# HashList.load needs (it takes a path).
SCRATCH = os.path.join(tempfile.mkdtemp(prefix="nudeguard-fuzz-"), "list.txt")


def test_one_input(data: bytes) -> None:
    with open(SCRATCH, "wb") as f:
        f.write(data)
    try:
        hashes = HashList.load(SCRATCH)
    except HashListError as exc:
        if SCRATCH not in str(exc):
            raise AssertionError(f"error does not name the file: {exc}") from None
        return
    for index in range(min(len(hashes), 3)):
        entry = hashes.hashes[index].tobytes()
        matches = hashes.match(nudeguard.PdqHash(entry.hex(), 100), max_distance=0)
        mine = [m for m in matches if m.index == index and m.distance == 0]
        if not mine:
            raise AssertionError(f"entry {index} does not match itself")
        if mine[0].id is not None and (not mine[0].id or mine[0].id != mine[0].id.strip(" \t\r\v\f") or "\n" in mine[0].id):
            raise AssertionError(f"entry {index} has an untrimmed or multi-line id {mine[0].id!r}")


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
