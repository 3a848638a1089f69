"""Coverage-guided fuzzing (atheris) of ``HashList.load``: a hash list comes from outside
(a hotline, a partner), so any file must load or raise :class:`nudeguard.HashListError`
naming the line, and what loads must match itself. Run (``pip install '.[fuzz]'``)::

    python tests/fuzz/fuzz_hash_list.py -max_total_time=60 build/fuzz/corpus/hash_list tests/fuzz/corpus/hash_list

The parser is Python (``sdk/nudeguard/hashing.py``), so the fuzzer looks for exceptions of
the wrong type and wrong results rather than memory errors. Not collected by pytest.
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
        entry = hashes._hashes[index].tobytes()
        matches = hashes.match(nudeguard.PdqHash(entry.hex(), 100), max_distance=0)
        if not any(m.index == index and m.distance == 0 for m in matches):
            raise AssertionError(f"entry {index} does not match itself")


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
