"""Export jobs: ``exports/NNN`` sessions, one task per exporter, progress, cancel, a queue.

Layer L4. :func:`export_recording` is the one-call API; :func:`prepare_export` +
:class:`JobQueue` run jobs in the background with per-kind concurrency caps;
:func:`clean_exports` removes what killed exports left behind.

The names below are imported on first use (:mod:`gazeport._lazy`): ``gazeport.jobs.signals``,
which every command uses, must not load the exporters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from .cleanup import StaleExport, clean_exports
    from .context import ExportOptions, ExportResult, FileCount, TaskContext
    from .exporter_tasks import DEFAULT_EXPORTERS, EXPORTER_TASKS, EXPORTERS, RAW_FILES
    from .model import CancelToken, Job, Task, TaskState
    from .queue import DEFAULT_CAPS, JobQueue
    from .runner import (
        FORMATS,
        JOB_RECORD,
        export_raw,
        export_recording,
        finish_job,
        prepare_export,
        raise_for_outcome,
        run_job,
    )
    from .session import Staging, create_export_dir, export_info_text, player_data_format_version

_WHERE = {
    ".cleanup": ("StaleExport", "clean_exports"),
    ".context": ("ExportOptions", "ExportResult", "FileCount", "TaskContext"),
    ".exporter_tasks": ("DEFAULT_EXPORTERS", "EXPORTER_TASKS", "EXPORTERS", "RAW_FILES"),
    ".model": ("CancelToken", "Job", "Task", "TaskState"),
    ".queue": ("DEFAULT_CAPS", "JobQueue"),
    ".runner": (
        "FORMATS", "JOB_RECORD", "export_raw", "export_recording", "finish_job", "prepare_export",
        "raise_for_outcome", "run_job",
    ),
    ".session": ("Staging", "create_export_dir", "export_info_text", "player_data_format_version"),
}  # fmt: skip
__getattr__, __dir__ = lazy_attributes(
    __name__, {name: module for module, names in _WHERE.items() for name in names}
)

__all__ = [
    "DEFAULT_CAPS", "DEFAULT_EXPORTERS", "EXPORTERS", "EXPORTER_TASKS", "FORMATS", "JOB_RECORD",
    "RAW_FILES", "CancelToken", "ExportOptions", "ExportResult", "FileCount", "Job", "JobQueue",
    "Staging", "StaleExport", "Task", "TaskContext", "TaskState", "clean_exports",
    "create_export_dir", "export_info_text", "export_raw", "export_recording", "finish_job",
    "player_data_format_version", "prepare_export", "raise_for_outcome", "run_job",
]  # fmt: skip
