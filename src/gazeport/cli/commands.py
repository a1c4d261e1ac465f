"""The ``gazeport`` command: a thin front-end over the public API.

Every command parses its options, calls the library, renders the result and exits: 0 on success,
1 for a gazeport error or a file-system problem (one ``error: …`` line on stderr, no traceback),
2 for a usage error, 130 when cancelled with Ctrl+C, 143 (SIGTERM) or 129 (SIGHUP) when stopped
by a signal (handled like Ctrl+C), 141 without a word when stdout is a pipe that was closed
(``gazeport --help | head -1``), as for any Unix tool. typer and rich are used only here.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import select
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Annotated, Any

import typer
import typer.main
from rich.console import Console
from rich.markup import escape

from .._version import __version__
from ..errors import GazeportError, GazeportWarning
from ..jobs.signals import exit_code, interrupt_on_signals
from .help_text import App, Command, Group

ProgressCallback = Callable[[float, str], None]

# Results go to stdout; progress, warnings and errors to stderr. A console looks up
# sys.stdout / sys.stderr each time it prints, so redirection (and CliRunner) just work.
_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


#: Every command and group of ``gazeport`` in the order ``--help`` lists them: its name, the
#: modules that define it (and register it on :data:`app`), and the first paragraph of its help.
#: A command's modules, and with them its library (NumPy, PyAV, the exporters, the label store,
#: ...), are imported only when it runs or shows its own help: ``gazeport --help`` lists the
#: summaries from here. tests/test_startup_imports.py checks them against the commands.
COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "clean": (
        ("gazeport.cli.clean",),
        "Remove what interrupted exports left in recordings: temporary files and empty export "
        "folders.",
    ),
    "transcode": (
        ("gazeport.cli.video",),
        "Write browser-playable copies (H.264, yuv420p) of the recording's world and eye videos.",
    ),
    "export": (
        ("gazeport.cli.export",),
        "Export a recording like its own player does: Pupil Player's files for Pupil Core, "
        "Mobile and Invisible recordings, Neon Player v6's for Neon recordings.",
    ),
    "demo": (
        ("gazeport.cli.demo",),
        "Make a sample Pupil Capture recording and export it (raw data, fixations, blinks).",
    ),
    "fixations": (
        ("gazeport.cli.events",),
        "Detect fixations like Pupil Player's offline detector and print a summary.",
    ),
    "blinks": (
        ("gazeport.cli.events",),
        "Detect blinks like Pupil Player's offline blink detector and print a summary.",
    ),
    "info": (
        ("gazeport.cli.info",),
        "Show what a recording holds: software, start times, world frames and streams.",
    ),
    "serve": (
        ("gazeport.cli.serve",),
        "Serve the recordings below ROOT in a local web app: list, play with gaze, annotate, "
        "label, export; plus an HTTP API (/docs).",
    ),
    "annotate": (
        ("gazeport.cli.annotate",),
        "List, add, edit and delete annotations (annotation_player.pldata, shared with Pupil "
        "Player; on Neon recordings Neon Player's events in .neon_player/), and manage the label "
        "hotkey definitions.",
    ),
    "dataset": (
        ("gazeport.cli.dataset",),
        "Export labelled scene frames as an ML dataset (COCO, YOLO, Pascal VOC, CSV, JSON).",
    ),
    "labels": (
        ("gazeport.cli.labels", "gazeport.cli.labels_sample"),
        "Bounding-box labels on scene frames, kept in one SQLite file (--db) next to the "
        "recordings: classes, tasks, boxes, review status, imported predictions, statistics.",
    ),
}


def load_commands(*names: str) -> None:
    """Import the modules of the commands ``names`` (all when none is named), so that they are
    registered on :data:`app` (for tools that walk the whole command tree)."""
    for name in names or tuple(COMMANDS):
        for module in COMMANDS[name][0]:
            importlib.import_module(module)


class _NotLoaded(Command):
    """What ``gazeport --help`` lists for a command whose modules are not imported yet: its
    name and summary. :meth:`_Group.resolve_command` puts the real command in its place."""


class _Group(Group):
    """The root group: commands load on first use (:data:`COMMANDS`), and every command runs
    with warnings and errors turned into plain stderr lines (one place)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        loaded = dict(self.commands)
        self.commands = {
            name: loaded.pop(name) if name in loaded else _NotLoaded(name=name, help=summary)
            for name, (_, summary) in COMMANDS.items()
        }
        self.commands.update(loaded)  # registered but not in the table: listed after it

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name = args[0] if args else None
        if name in COMMANDS and (
            isinstance(self.commands.get(name), _NotLoaded)
            # e.g. cli.labels imported by someone, but not cli.labels_sample: labels lacks sample
            or any(module not in sys.modules for module in COMMANDS[name][0])
        ):
            load_commands(name)
            # typer builds its commands from what is registered on the app: build them again
            real = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
            if isinstance(real, _NotLoaded):
                raise RuntimeError(f"{COMMANDS[name][0]} registered no command {name!r}")
            self.commands[name] = real
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        with _warnings_to_stderr():
            try:
                return super().invoke(ctx)
            except (typer.TyperException, typer.Exit, typer.Abort):
                raise  # usage errors (exit 2), --help, explicit exits: typer's business
            except GazeportError as exc:
                _fail(str(exc))
            except BrokenPipeError:
                raise  # stdout was closed by its reader: main() ends quietly
            except OSError as exc:
                _fail(_os_error_text(exc))
            except KeyboardInterrupt as exc:
                # Ctrl+C, SIGTERM or SIGHUP: the library already removed partial output. The
                # terminal may be gone (SIGHUP), so saying so must not fail.
                with contextlib.suppress(OSError):
                    _err.print("cancelled")
                raise typer.Exit(exit_code(exc)) from None
            except Exception as exc:
                if (ctx.obj or {}).get("traceback"):
                    raise
                _fail(
                    f"unexpected {type(exc).__name__}: {exc} — this is a bug in gazeport; please "
                    "report it (rerun with --traceback to see where it happened)."
                )


def _fail(message: str) -> None:
    """Print one ``error: …`` line on stderr and exit with code 1."""
    line = " ".join(message.split())
    _err.print(f"[bold red]error:[/] {escape(line)}", soft_wrap=True)
    raise typer.Exit(1)


def _os_error_text(exc: OSError) -> str:
    if exc.strerror and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror}."
    return str(exc) or type(exc).__name__


@contextlib.contextmanager
def _warnings_to_stderr() -> Iterator[None]:
    """Show each GazeportWarning as one yellow ``warning: …`` line, not in Python's format."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", GazeportWarning)
        original = warnings.showwarning

        def show(
            message: Warning | str,
            category: type[Warning],
            filename: str,
            lineno: int,
            file: Any = None,
            line: str | None = None,
        ) -> None:
            if issubclass(category, GazeportWarning):
                text = " ".join(str(message).split())
                _err.print(f"[yellow]warning: {escape(text)}[/]", soft_wrap=True)
            else:
                original(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        yield


# --- the app --------------------------------------------------------------------------------------

app = App(
    cls=_Group,
    name="gazeport",
    help=(
        "Open Pupil Labs eye-tracking recordings read-only and export them like Pupil Player, "
        "headless.\n\n"
        "New here? Run [bold]gazeport demo[/] to make a sample recording and export it."
    ),
    epilog=(
        "[bold]Examples[/]\n"
        "  gazeport demo\n"
        "  gazeport info ~/recordings/2024_01_25/003\n"
        "  gazeport export ~/recordings/2024_01_25/003 --start-s 10 --end-s 20"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"gazeport {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Show the gazeport version and exit.",
        ),
    ] = False,
    show_traceback: Annotated[
        bool,
        typer.Option(
            "--traceback", help="Show the full traceback of an unexpected error (for bug reports)."
        ),
    ] = False,
) -> None:
    ctx.ensure_object(dict)["traceback"] = show_traceback


_QUIET = typer.Option("--quiet", "-q", help="No progress bar (warnings and errors still show).")


def main() -> None:
    """Console-script entry point (``gazeport``, ``python -m gazeport``).

    SIGTERM and SIGHUP stop a command like Ctrl+C (exit 143 or 129); output into a pipe
    whose reader has gone ends the command quietly with 141 (as if ended by SIGPIPE).
    """
    try:
        with _quiet_when_stdout_closes(), interrupt_on_signals():
            app(prog_name="gazeport")
    finally:
        # The command is over and has closed what it opened: the interpreter's exit need not
        # search every object for reference cycles (~20 ms of a 0.4 s command; gc.freeze
        # leaves the objects to be freed with the process).
        gc.freeze()


#: Exit code of a process ended by SIGPIPE (128 + 13), what the shell reports for ``cat | head``.
EXIT_BROKEN_PIPE = 141


@contextlib.contextmanager
def _quiet_when_stdout_closes() -> Iterator[None]:
    """Turn a write into a closed pipe on stdout into a quiet exit with code 141.

    click and rich both catch the ``BrokenPipeError`` themselves and exit 1; which stream
    broke is seen here on a duplicate of stdout, whose pipe reports an error once its reader
    has gone (``poll``; where there is none, nothing changes).
    """
    try:
        watched: int | None = os.dup(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):
        watched = None
    try:
        yield
        sys.stdout.flush()  # what is still buffered must not fail at interpreter exit
    except (SystemExit, BrokenPipeError) as exc:
        if watched is None or not _reader_gone(watched):
            raise
        _silence_stdout()
        raise SystemExit(EXIT_BROKEN_PIPE) from exc
    finally:
        if watched is not None:
            os.close(watched)


def _reader_gone(fd: int) -> bool:
    """Whether ``fd`` is a pipe whose reading end is closed (Linux, macOS)."""
    if not hasattr(select, "poll"):
        return False
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & select.POLLERR for _, events in poller.poll(0))


def _silence_stdout() -> None:
    """Point stdout at the null device, so no later flush complains about the pipe."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
