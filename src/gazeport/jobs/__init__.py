"""Export jobs: ``exports/NNN`` sessions, one task per exporter, progress, cancel, a queue.

Layer L4. :func:`export_recording` is the one-call API; :func:`prepare_export` +
:class:`JobQueue` run jobs in the background with per-kind concurrency caps;
:func:`clean_exports` removes what killed exports left behind.
"""

from __future__ import annotations

from .cleanup import StaleExport, clean_exports
from .context import ExportOptions, ExportResult, FileCount, TaskContext
from .exporter_tasks import DEFAULT_EXPORTERS, EXPORTER_TASKS, RAW_FILES
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

#: Exporter names ``gazeport export --only/--skip`` accepts.
EXPORTERS = tuple(EXPORTER_TASKS)

__all__ = [
    "DEFAULT_CAPS", "DEFAULT_EXPORTERS", "EXPORTERS", "EXPORTER_TASKS", "FORMATS", "JOB_RECORD",
    "RAW_FILES", "CancelToken", "ExportOptions", "ExportResult", "FileCount", "Job", "JobQueue",
    "Staging", "StaleExport", "Task", "TaskContext", "TaskState", "clean_exports",
    "create_export_dir", "export_info_text", "export_raw", "export_recording", "finish_job",
    "player_data_format_version", "prepare_export", "raise_for_outcome", "run_job",
]  # fmt: skip
