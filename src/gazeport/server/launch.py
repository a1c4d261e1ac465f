"""Running the app with uvicorn (the only place that imports it), for ``gazeport serve``."""

from __future__ import annotations

from typing import Any


def run(application: Any, *, host: str, port: int) -> None:
    """Serve ``application`` on ``host:port`` until Ctrl+C (uvicorn, one process, quiet log)."""
    import uvicorn

    uvicorn.run(application, host=host, port=port, log_level="warning", access_log=False)
