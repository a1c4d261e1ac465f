"""``gazeport serve ROOT``: the local web player, labeler and HTTP API (the ``web`` extra).

The server package (FastAPI, uvicorn) is imported only when the command runs, so the rest of
the CLI starts as fast as before and works without the extra.
"""

from __future__ import annotations

import importlib.util
import socket
import webbrowser
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ..errors import GazeportError
from .commands import _out, app

_WEB_MODULES = ("fastapi", "uvicorn")


class WebExtraMissingError(GazeportError):
    """``gazeport serve`` needs the ``web`` extra."""


def _check_web_extra() -> None:
    missing = [m for m in _WEB_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise WebExtraMissingError(
            f"gazeport serve needs {', '.join(missing)}: install gazeport[web] "
            "(pip install 'gazeport[web]')."
        )


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


@app.command(
    help=(
        "Serve the recordings below ROOT in a local web app: list, play with gaze, annotate, "
        "label, export; plus an HTTP API (/docs).\n\n"
        "Binds 127.0.0.1 unless --host says otherwise; a server reachable from other machines "
        "needs a token, generated and printed unless --token gives one."
    ),
    epilog="[bold]Examples[/]\n  gazeport serve ~/study --open\n  gazeport serve ~/study --host 0.0.0.0 --port 9000",
)
def serve(
    root: Annotated[
        Path,
        typer.Argument(metavar="ROOT", help="Folder with recordings (searched recursively).",
                       show_default=False, exists=True, file_okay=False),
    ],
    db: Annotated[Path | None, typer.Option("--db", help="The label database (SQLite).")] = None,
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port.")] = 8642,
    host: Annotated[str, typer.Option(help="Address to bind; not loopback needs a token.")] = "127.0.0.1",
    token: Annotated[
        str | None, typer.Option(help="Token clients must send (default: none on loopback, generated otherwise).")
    ] = None,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the app in the browser.")] = False,
) -> None:  # fmt: skip
    """``gazeport serve``: print the address, then run uvicorn until Ctrl+C."""
    _check_web_extra()
    from ..server import create_app
    from ..server.launch import run
    from ..server.security import is_loopback, new_token

    if token is None and not is_loopback(host):
        token = new_token()
    application = create_app(root, db=db, token=token, host=host)
    url = f"http://{_url_host(host)}:{port}/"
    address = f"{url}?token={token}" if token else url
    _out.print(f"gazeport serves {escape(str(root))} at [bold]{escape(address)}[/]", soft_wrap=True)
    if host in ("0.0.0.0", "::"):
        other = f"http://{socket.gethostname()}:{port}/?token={token}"
        _out.print(
            f"From other machines: {escape(other)} (or this machine's IP address)", soft_wrap=True
        )
    if token:
        _out.print(f"API clients send: Authorization: Bearer {escape(token)}", soft_wrap=True)
    _out.print("Press Ctrl+C to stop.")
    if open_browser:
        webbrowser.open(address)
    run(application, host=host, port=port)
