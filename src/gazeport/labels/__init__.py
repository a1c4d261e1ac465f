"""Bounding-box labels on scene frames (SQLite store, sampling, review) — issue 11, in progress."""
