"""The ``gazeport`` command: a thin front-end over the public API.

Every command parses its options, calls the library, renders the result and exits: 0 on success,
1 for a gazeport error or a file-system problem (one ``error: …`` line on stderr, no traceback),
2 for a usage error, 130 when cancelled with Ctrl+C, 143 (SIGTERM) or 129 (SIGHUP) when stopped
by a signal (handled like Ctrl+C), 141 without a word when stdout is a pipe that was closed
(``gazeport --help | head -1``), as for any Unix tool. typer and rich are used only here.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from .._version import __version__
from ..analysis.blinks import BlinkParams
from ..analysis.fixations import FixationParams
from ..errors import GazeportError, GazeportWarning
from ..jobs.signals import exit_code, interrupt_on_signals
from .help_text import App, Group

ProgressCallback = Callable[[float, str], None]

# Results go to stdout; progress, warnings and errors to stderr. A console looks up
# sys.stdout / sys.stderr each time it prints, so redirection (and CliRunner) just work.
_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


class _Group(Group):
    """Runs every command with warnings and errors turned into plain stderr lines (one place)."""

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

# Detector parameters, shared by export, fixations and blinks (defaults are Pupil Player's).
_FIX = "Fixation detector"
_BLINK = "Blink detector"
MaxDispersion = Annotated[
    float, typer.Option(help="Maximum dispersion [degrees].", rich_help_panel=_FIX)
]
MinDuration = Annotated[
    float, typer.Option(help="Minimum fixation duration [ms].", rich_help_panel=_FIX)
]
MaxDuration = Annotated[
    float, typer.Option(help="Maximum fixation duration [ms].", rich_help_panel=_FIX)
]
GazeConfidence = Annotated[
    float,
    typer.Option(
        "--gaze-confidence",
        help="Gaze with a confidence above this is used for fixations.",
        rich_help_panel=_FIX,
    ),
]
HistoryLength = Annotated[float, typer.Option(help="Filter length [s].", rich_help_panel=_BLINK)]
OnsetThreshold = Annotated[
    float, typer.Option(help="Onset confidence threshold.", rich_help_panel=_BLINK)
]
OffsetThreshold = Annotated[
    float, typer.Option(help="Offset confidence threshold.", rich_help_panel=_BLINK)
]
_FP, _BP = FixationParams(), BlinkParams()
#: The options above by the detector parameter they set, so errors speak the user's words.
DETECTOR_OPTIONS = {
    "max_dispersion_deg": "--max-dispersion", "min_duration_ms": "--min-duration",
    "max_duration_ms": "--max-duration", "min_confidence": "--gaze-confidence",
    "history_length_s": "--history-length", "onset_confidence_threshold": "--onset-threshold",
    "offset_confidence_threshold": "--offset-threshold",
}  # fmt: skip


def check_detector_params(*params: FixationParams | BlinkParams) -> None:
    """Raise a usage error (exit 2) naming the option of the first bad detector parameter."""
    for p in params:
        try:
            p.validate(names=DETECTOR_OPTIONS)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None


def main() -> None:
    """Console-script entry point (``gazeport``, ``python -m gazeport``).

    SIGTERM and SIGHUP stop a command like Ctrl+C (exit 143 or 129); output into a pipe
    whose reader has gone ends the command quietly with 141 (as if ended by SIGPIPE).
    """
    with _quiet_when_stdout_closes(), interrupt_on_signals():
        app(prog_name="gazeport")


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
