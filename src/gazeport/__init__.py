"""gazeport: open Pupil Labs recordings read-only and export them headless, fast and exact."""

__version__ = "0.1.0"
