"""``gazeport demo``: make a sample recording in a folder of its own, export it, say where."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ..jobs import export_recording
from ..recording import Recording
from ..synthetic import generate_capture_recording
from .commands import _QUIET, _out, app
from .export import _print_export
from .progress import progress_bars

#: The file that marks a folder as made by ``gazeport demo``, so a later run may replace it.
MARK = ".gazeport-demo"
#: The sample recording's folder inside the demo folder.
RECORDING = "demo_recording"
_MARK_TEXT = (
    "Made by gazeport demo. The next `gazeport demo` into this folder replaces the sample\n"
    f"recording in {RECORDING}/ (and its exports); delete the folder when you no longer need it.\n"
)


def prepare_demo_folder(folder: Path) -> Path:
    """Make ``folder`` ready for a new sample recording and return the recording's path.

    A new or empty folder is claimed (marked with :data:`MARK`); a folder that an earlier
    ``gazeport demo`` made has its sample recording removed. Anything else is refused with a
    usage error, and nothing is removed then.
    """

    def refuse(why: str) -> typer.BadParameter:
        return typer.BadParameter(f"{folder} {why}", param_hint="'--out'")

    mark, recording = folder / MARK, folder / RECORDING
    if folder.is_dir():
        entries = sorted(p.name for p in folder.iterdir())
        if entries and not (mark.is_file() and not mark.is_symlink()):
            raise refuse(
                "is not empty and was not made by gazeport demo; choose a new or empty folder "
                "with --out, or one that gazeport demo made."
            )
        others = [name for name in entries if name not in (MARK, RECORDING)]
        if others:
            raise refuse(
                f"was made by gazeport demo but now also holds {', '.join(others[:3])}"
                f"{', …' if len(others) > 3 else ''}; move them away or choose another folder "
                "with --out."
            )
        if recording.is_symlink() or (recording.exists() and not recording.is_dir()):
            raise refuse(
                f"holds a {RECORDING} that gazeport demo did not make; remove it or choose "
                "another folder with --out."
            )
        if recording.exists():
            shutil.rmtree(recording)
    elif folder.exists() or folder.is_symlink():
        raise refuse("is not a folder; choose a folder with --out.")
    else:
        folder.mkdir(parents=True)
    mark.write_text(_MARK_TEXT, encoding="utf-8")  # first, so a cancelled run stays replaceable
    return recording


@app.command(
    help=(
        "Make a sample Pupil Capture recording and export it (raw data, fixations, blinks).\n\n"
        "The recording is synthetic (binocular 200 Hz pupil and gaze, 30 fps world timestamps, "
        "no video) and is exported exactly as [bold]gazeport export[/] would. A one-minute "
        "recording takes a few seconds and, with its export, about 50 MB. It goes into a gazeport-demo folder in "
        "the current folder (or --out), which the next run replaces; gazeport replaces only a "
        "folder that it made itself."
    ),
    epilog=(
        "[bold]Examples[/]\n  gazeport demo\n  gazeport demo --minutes 5 --out ~/gazeport-demo"
    ),
)
def demo(
    minutes: Annotated[
        float,
        typer.Option(min=0.01, max=600.0, help="Length of the sample recording in minutes."),
    ] = 1.0,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "--dir",  # the option's name before 0.x; kept so older scripts keep working
            file_okay=False,
            help="Folder for the sample recording: new, empty, or made by an earlier gazeport "
            "demo (replaced).",
        ),
    ] = Path("gazeport-demo"),
    quiet: Annotated[bool, _QUIET] = False,
) -> None:
    """``gazeport demo``: generate a synthetic recording, export it, say where both went."""
    folder = out.expanduser().absolute()
    rec_dir = prepare_demo_folder(folder)
    with progress_bars(quiet) as phase:
        generate_capture_recording(
            rec_dir, minutes=minutes, progress=phase("Writing the sample recording")
        )
        rec = Recording(rec_dir)
        result = export_recording(rec, progress=phase("Exporting"))
    _out.print(f"Sample recording: {escape(str(rec.path))}", soft_wrap=True)
    _out.print(
        f"  in {escape(str(folder))}, which the next gazeport demo replaces; delete it when done.",
        soft_wrap=True,
    )
    _print_export(result)
    quoted = escape(_shell_quote(rec.path))
    _out.print("[bold]Next[/]")
    _out.print(f"  gazeport info {quoted}", soft_wrap=True)
    half = result.frame_range[1] // 2
    _out.print(f"  gazeport export {quoted} --start-frame 0 --end-frame {half}", soft_wrap=True)


def _shell_quote(path: Path) -> str:
    text = str(path)
    return text if all(c.isalnum() or c in "/._-~" for c in text) else f"'{text}'"
