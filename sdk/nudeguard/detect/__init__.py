"""The classifier: options and results, the model and its interpreters, the scanner that decides
which pixels the model sees, and the Guard facade (with its live-stream and video-call
siblings)."""
