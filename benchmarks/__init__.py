"""nudeguard's benchmarks. ``python -m benchmarks`` runs the comparison with the detectors
users would otherwise install (see ``benchmarks/__main__.py``); each other module is also a
script of its own (``python benchmarks/preprocess.py``)."""
