"""``gazeport clean``: remove what exports that were killed (SIGKILL, a crash) left behind."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ..jobs import StaleExport, clean_exports
from .commands import _out, app


@app.command(
    help=(
        "Remove what interrupted exports left in recordings: temporary files and empty export "
        "folders.\n\n"
        "Only folders whose export was killed are cleaned (gazeport records the process of "
        "every running export and checks that it is gone). Removed are gazeport's temporary "
        "files there (.NAME.part, NAME.writing, NAME.canceled), the running-export record, and "
        "the folder if the export made it and nothing finished is in it. Never touched: a "
        "folder of an export that still runs or ran on another computer, a folder gazeport "
        "did not make, and any other file. Exports clean up this way by themselves before "
        "they start; Ctrl+C, SIGTERM and SIGHUP leave nothing to clean."
    ),
    epilog=(
        "[bold]Examples[/]\n"
        "  gazeport clean ~/recordings/2024_01_25/003 --dry-run\n"
        "  gazeport clean REC1 REC2\n"
        "  gazeport clean /data/study/p01   # a folder given to export --out"
    ),
)
def clean(
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="REC...",
            help="Recordings (their exports/ folders are looked at) or export folders.",
            show_default=False,
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", "-n", help="Only say what would be removed.")
    ] = False,
) -> None:
    """``gazeport clean``: run :func:`gazeport.jobs.clean_exports` and list what it removed."""
    entries = clean_exports(paths, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    files = folders = size = 0
    for entry in entries:
        _print_entry(entry, verb)
        if entry.state == "gone":
            files += len(entry.removed)
            folders += entry.folder_removed
            size += entry.bytes
    if not any(entry.state == "gone" for entry in entries):
        _out.print("Nothing to clean: no interrupted export found.")
        return
    folder_text = f" and {folders} folder{'s' * (folders != 1)}" if folders else ""
    _out.print(
        f"{'Would remove' if dry_run else 'Removed'} {files} file{'s' * (files != 1)} "
        f"({_size(size)}){folder_text}."
    )


def _print_entry(entry: StaleExport, verb: str) -> None:
    where = escape(str(entry.folder))
    who = entry.describe_process
    if entry.state == "running":
        _out.print(
            f"{where}: left alone, its export is still running ({escape(who)}).", soft_wrap=True
        )
        return
    if entry.state == "unknown":
        _out.print(
            f"{where}: left alone, its export ran as {escape(who)}, which cannot be checked "
            "from here; run gazeport clean there.",
            soft_wrap=True,
        )
        return
    _out.print(f"{where}: interrupted export ({escape(who)} is gone)", soft_wrap=True)
    for path in entry.removed:
        _out.print(f"  {verb} {escape(str(path.relative_to(entry.folder)))}", soft_wrap=True)
    if entry.folder_removed:
        _out.print(f"  {verb} the folder, which holds nothing else")
    elif entry.kept:
        _out.print(f"  kept {len(entry.kept)} other file{'s' * (len(entry.kept) != 1)}")


def _size(n: int) -> str:
    """Bytes as ``812 bytes``, ``3.4 kB``, ``412.0 MB`` (powers of 1000)."""
    if n < 1000:
        return f"{n} bytes"
    value = float(n)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1000
        if value < 1000 or unit == "TB":
            break
    return f"{value:.1f} {unit}"
