"""What starting gazeport imports: ``import gazeport``, ``gazeport --help`` and ``gazeport info``
must not load the video decoder, OpenCV, SciPy, Arrow or Dask (issue 13: start-up in 0.2 s).

Each case runs in a fresh interpreter, so what other tests imported does not count.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

import gazeport
from gazeport import cli, jobs
from gazeport.cli.commands import COMMANDS, load_commands
from gazeport.synthetic import generate_capture_recording
from tests import fixtures

#: Libraries that take tens of milliseconds each to import and that none of these needs.
HEAVY = ("scipy", "cv2", "av", "pyarrow", "distributed", "dask")
#: gazeport's own big parts that a listing of the commands does not need either.
NOT_FOR_HELP = (
    *HEAVY, "numpy", "gazeport.recording", "gazeport.exporters", "gazeport.jobs.runner",
    "gazeport.labels", "gazeport.render", "gazeport.server", "gazeport.batch", "rich.progress",
    "rich.live",
)  # fmt: skip

_PROBE = """
import contextlib, io, json, runpy, sys
code = None
if sys.argv[1:2] == ["import"]:
    import gazeport
else:
    sys.argv = ["gazeport", *sys.argv[1:]]
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            runpy.run_module("gazeport", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _loaded(*args: str) -> tuple[object, set[str]]:
    """``(exit code, names in sys.modules)`` after ``python -m gazeport ARGS`` (or just
    ``import gazeport`` for ``("import",)``) in a new interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    return result["code"], set(result["modules"])


def _present(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return [n for n in names if n in modules]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_capture_recording(tmp_path_factory.mktemp("startup") / "rec", 0.2)


def test_import_gazeport_loads_no_heavy_library() -> None:
    _, modules = _loaded("import")
    assert _present(modules, NOT_FOR_HELP) == []


@pytest.mark.parametrize("args", [["--help"], ["-h"], []], ids=["--help", "-h", "no-args"])
def test_help_loads_no_heavy_library(args: list[str]) -> None:
    code, modules = _loaded(*args)
    assert code in (0, 2)  # typer ends "no arguments: show help" with 2
    assert "gazeport.cli.commands" in modules
    assert _present(modules, NOT_FOR_HELP) == []


#: Not for ``gazeport info`` either: typer's coercion needs pydantic only for some values.
NOT_FOR_INFO = (*HEAVY, "pydantic")


def test_info_of_a_generated_recording_loads_no_heavy_library(generated: Path) -> None:
    code, modules = _loaded("info", str(generated))
    assert code in (0, None)
    assert "gazeport.recording.facade" in modules
    assert _present(modules, NOT_FOR_INFO) == []


@pytest.mark.parametrize("name", ["core121_eyedoit_001", "neon_demo"])
def test_info_of_a_real_recording_loads_no_heavy_library(name: str) -> None:
    code, modules = _loaded("info", str(fixtures.recording(name)), "--json")
    assert code in (0, None)
    assert _present(modules, NOT_FOR_INFO) == []


#: Not for a Core recording's ``info`` and ``fixations``: the Neon/Cloud readers (~20 ms) and
#: numpy.ma (~6 ms, which ``np.median`` and ``np.unique`` import).
NEON_ONLY = ("gazeport.recording.neon", "gazeport.recording.cloud", "numpy.ma")


@pytest.mark.parametrize("command", ["info", "fixations"])
def test_a_core_recording_loads_no_neon_reader(command: str, generated: Path) -> None:
    code, modules = _loaded(command, str(generated))
    assert code in (0, None)
    assert "gazeport.recording.facade" in modules
    assert _present(modules, (*NOT_FOR_INFO, *NEON_ONLY)) == []


def test_a_neon_recording_still_opens_as_one(tmp_path: Path) -> None:
    from gazeport.recording import AnyRecording, NeonRecording, Recording, open_recording
    from gazeport.recording.cloud import CloudRecording
    from gazeport.synthetic_neon import generate_neon_recording

    rec = open_recording(generate_neon_recording(tmp_path / "neon", 0.5).root)
    assert isinstance(rec, NeonRecording) and not isinstance(rec, CloudRecording)
    assert AnyRecording == Recording | NeonRecording


def test_values_are_still_checked_and_converted(generated: Path) -> None:
    """Without the pydantic adapter where it is not needed, typer's checks still run."""
    runner = CliRunner()
    missing = runner.invoke(cli.app, ["serve", str(generated / "nowhere")])
    assert missing.exit_code == 2
    assert "does not exist" in missing.output
    a_file = runner.invoke(cli.app, ["serve", str(generated / "info.player.json")])
    assert a_file.exit_code == 2
    assert "is a file" in a_file.output
    not_a_number = runner.invoke(cli.app, ["fixations", str(generated), "--max-dispersion", "x"])
    assert not_a_number.exit_code == 2
    assert "valid number" in not_a_number.output
    info = runner.invoke(cli.app, ["info", str(generated), "--json"])
    assert info.exit_code == 0, info.output
    assert json.loads(info.stdout)["path"] == str(generated)


def test_a_command_loads_its_module_when_it_runs() -> None:
    code, modules = _loaded("export", "--help")
    assert code == 0
    assert "gazeport.cli.export" in modules
    assert "gazeport.cli.labels" not in modules


def test_a_command_whose_modules_were_imported_in_part_is_complete() -> None:
    """``gazeport.cli.labels`` imported elsewhere first: ``labels sample`` is still there."""
    probe = (
        "import sys, gazeport.cli.labels; from gazeport.cli import main\n"
        "sys.argv = ['gazeport', 'labels', 'sample', '--help']\n"
        "main()"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Sample scene frames" in done.stdout


def test_the_listed_summaries_are_the_commands_own_help() -> None:
    load_commands()
    root = typer.main.get_command(cli.app)
    registered = getattr(root, "commands", {})
    assert list(registered) == list(COMMANDS)  # nothing registered that --help would not list
    for name, (_, summary) in COMMANDS.items():
        command = registered[name]
        assert type(command).__name__ != "_NotLoaded", name
        first_paragraph = " ".join((command.help or "").split("\n\n")[0].split())
        assert first_paragraph == summary, name


@pytest.mark.parametrize(
    ("package", "names"),
    [(gazeport, gazeport.__all__), (jobs, jobs.__all__)],
    ids=["gazeport", "gazeport.jobs"],
)
def test_every_public_name_is_still_there(package: object, names: list[str]) -> None:
    for name in names:
        assert getattr(package, name) is not None, name
    assert set(names) <= set(dir(package))
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        getattr(package, "nonexistent")  # noqa: B009


def test_submodules_are_attributes_as_before() -> None:
    """``import gazeport`` once made ``gazeport.recording`` an attribute; it still is."""
    probe = (
        "import gazeport, gazeport.jobs; gazeport.recording.open_recording; gazeport.jobs.runner"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_gazeport_open_is_open_recording() -> None:
    from gazeport import open as gazeport_open
    from gazeport.recording import open_recording

    assert gazeport_open is open_recording is gazeport.open_recording


def test_a_raw_export_loads_no_heavy_library_and_no_pydantic(
    generated: Path, tmp_path: Path
) -> None:
    """Text, path lists and defaults of their own type pass typer's coercion as they are, and
    the video exporters' modules load PyAV and OpenCV only when they write a video."""
    out = tmp_path / "out"
    code, modules = _loaded("export", str(generated), "--only", "raw", "--out", str(out), "-q")
    assert code in (0, None)
    assert (out / "pupil_positions.csv").exists()
    assert _present(modules, NOT_FOR_INFO) == []


def test_path_lists_and_texts_are_still_checked(generated: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    bad_exporter = runner.invoke(cli.app, ["export", str(generated), "--only", "nothing"])
    assert bad_exporter.exit_code == 2
    assert "unknown exporter nothing" in bad_exporter.output
    out = tmp_path / "two"
    both = runner.invoke(
        cli.app,
        ["export", str(generated), str(generated), "--only", "raw", "--out-root", str(out), "-q"],
    )
    assert both.exit_code == 0, both.output


def test_plain_numbers_need_no_pydantic_and_give_typers_values(
    generated: Path, tmp_path: Path
) -> None:
    out = tmp_path / "batch"
    code, modules = _loaded(
        "export", str(generated), "--only", "raw", "--jobs", "2", "--workers", "1",
        "--out-root", str(out), "-q",
    )  # fmt: skip
    assert code in (0, None)
    assert "pydantic" not in modules
    assert list(out.rglob("pupil_positions.csv"))


def test_numbers_typer_would_refuse_still_get_its_errors(generated: Path) -> None:
    runner = CliRunner()
    for value, words in (("0", "greater than or equal to 1"), ("x", "as an integer"),
                         ("-1", "greater than or equal to 1"), ("2.5", "integer")):  # fmt: skip
        result = runner.invoke(cli.app, ["export", str(generated), "--jobs", value])
        assert result.exit_code == 2, (value, result.output)
        assert words in " ".join(result.output.split()), (value, result.output)


def test_plain_number_is_the_number_typer_makes() -> None:
    from types import SimpleNamespace

    from gazeport.cli.param_coercion import _plain_number

    def desc(annotation: type, **bounds: object) -> SimpleNamespace:
        info = SimpleNamespace(
            min=bounds.get("min"), max=bounds.get("max"), clamp=bounds.get("clamp", False)
        )
        return SimpleNamespace(annotation=annotation, parameter_info=info)

    assert _plain_number("12", desc(int, min=1)) == 12
    assert _plain_number("0", desc(int, min=1)) is None  # the adapter words the error
    assert _plain_number("+3", desc(int)) is None and _plain_number("1_0", desc(int)) is None
    assert _plain_number("1e-3", desc(float)) == 1e-3
    assert _plain_number(".5", desc(float, max=1.0)) == 0.5
    assert _plain_number("2.5", desc(float, max=1.0)) is None
    assert _plain_number("1e400", desc(float)) is None and _plain_number("nan", desc(float)) is None
    assert _plain_number("3", desc(int, clamp=True)) is None
    assert _plain_number("3", desc(str)) is None


#: What a Core export does not need: the Neon/Cloud readers and table writers, the video
#: exporters (their decoder, encoder and drawing modules), gazeport.batch, and the worker
#: process machinery; rich.progress only where bars are drawn (not with -q, not in a pipe).
NOT_FOR_A_CORE_EXPORT = (
    "gazeport.recording.neon", "gazeport.recording.cloud", "gazeport.exporters.cloud_tables",
    "gazeport.exporters.neon_player_tables", "gazeport.exporters.video_kinds",
    "gazeport.exporters.world_video", "gazeport.exporters.eye_video",
    "gazeport.exporters.neon_eye_video", "gazeport.video.reader", "gazeport.video.writer",
    "gazeport.batch", "multiprocessing", "rich.progress",
)  # fmt: skip
#: ... and what a raw data export does not need besides: the annotation and event writers,
#: concurrent.futures (threads and worker processes).
NOT_FOR_A_RAW_EXPORT = (
    *NOT_FOR_A_CORE_EXPORT, "gazeport.exporters.annotations_csv", "gazeport.exporters.event_files",
    "gazeport.exporters.online_events", "gazeport.recording.annotations", "concurrent.futures",
)  # fmt: skip


@pytest.mark.parametrize(
    ("args", "unneeded", "written"),
    [
        (["--only", "raw"], NOT_FOR_A_RAW_EXPORT, "gaze_positions.csv"),
        ([], NOT_FOR_A_CORE_EXPORT, "blinks.csv"),
    ],
    ids=["raw", "default"],
)
def test_a_core_export_loads_no_neon_table_or_video_module(
    generated: Path, tmp_path: Path, args: list[str], unneeded: tuple[str, ...], written: str
) -> None:
    out = tmp_path / "out"
    code, modules = _loaded("export", str(generated), *args, "--out", str(out), "-q")
    assert code in (0, None)
    assert (out / written).exists() and (out / "gazeport_export.json").exists()
    assert "gazeport.jobs.runner" in modules
    assert _present(modules, (*NOT_FOR_INFO, *unneeded)) == []


def test_a_batch_of_core_recordings_in_one_process_loads_no_neon_or_video_module(
    generated: Path, tmp_path: Path
) -> None:
    out = tmp_path / "batch"
    code, modules = _loaded(
        "export", str(generated.parent), "--recursive", "--jobs", "1", "--out-root", str(out),
        "-q",
    )  # fmt: skip
    assert code in (0, None)
    assert list(out.rglob("blinks.csv"))
    unneeded = [n for n in NOT_FOR_A_CORE_EXPORT if n not in ("gazeport.batch", "multiprocessing")]
    assert "gazeport.batch" in modules
    assert _present(modules, (*NOT_FOR_INFO, *unneeded)) == []


def test_the_job_modules_import_without_the_neon_reader() -> None:
    """Importing the export machinery itself (as the server and scripts do) loads no Neon
    reader, no table or video writer and no importlib.metadata (the job record imports it)."""
    probe = (
        "import json, sys, gazeport.jobs.runner, gazeport.jobs.exporter_tasks, "
        "gazeport.jobs.context, gazeport.exporters.dialects\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    modules = set(json.loads(done.stdout))
    unneeded = (*NOT_FOR_A_RAW_EXPORT, "importlib.metadata", "gazeport.recording.diagnose")
    assert _present(modules, unneeded) == []


def test_the_table_dialects_are_the_modules_own() -> None:
    from gazeport.exporters.cloud_tables import CLOUD
    from gazeport.exporters.dialects import DIALECT_NAMES, PUPIL_PLAYER, TABLE_DIALECTS
    from gazeport.exporters.neon_player_tables import NEON_PLAYER

    assert dict(TABLE_DIALECTS) == {"neon-player": NEON_PLAYER, "cloud": CLOUD}
    assert DIALECT_NAMES == (PUPIL_PLAYER, "neon-player", "cloud")
    assert PUPIL_PLAYER not in TABLE_DIALECTS and TABLE_DIALECTS.get(PUPIL_PLAYER) is None
    assert all(TABLE_DIALECTS[name].name == name for name in TABLE_DIALECTS)
    with pytest.raises(KeyError):
        TABLE_DIALECTS["nothing"]


def test_video_options_are_still_world_videos() -> None:
    from gazeport.exporters import video_options, world_video

    assert world_video.VideoOptions is video_options.VideoOptions
    assert world_video.VideoOutcome is video_options.VideoOutcome


def test_the_exit_skips_the_cycle_search(generated: Path) -> None:
    """After a command (even a failing one) the objects are frozen: the interpreter's exit does
    not search them for reference cycles (~20 ms); what the command wrote is complete."""
    probe = (
        "import gc, io, json, sys, contextlib\n"
        "from gazeport.cli import main\n"
        "sys.argv = ['gazeport', *sys.argv[1:]]\n"
        "out = io.StringIO()\n"
        "try:\n"
        "    with contextlib.redirect_stdout(out):\n"
        "        main()\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "print(json.dumps({'code': code, 'frozen': gc.get_freeze_count(), 'out': out.getvalue()}))\n"
    )
    for args, codes in (([str(generated), "--json"], (0, None)), ([str(generated / "no")], (1,))):
        done = subprocess.run(
            [sys.executable, "-c", probe, "info", *args], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout.splitlines()[-1])
        assert result["code"] in codes and result["frozen"] > 1000
        if codes[0] == 0:
            assert json.loads(result["out"])["path"] == str(generated)
