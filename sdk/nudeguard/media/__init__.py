"""Input: what a caller hands over (path, bytes, file object, array) described, read, sniffed and
limited once, and decoded into frames; the veil's blur."""
