"""Photo evidence: content-addressed originals, derived thumbnails, integrity checks."""
