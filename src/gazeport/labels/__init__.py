"""Bounding-box labels on scene frames. `records` holds the shared model; the SQLite store, sampling and review are still being built (issue 11)."""
