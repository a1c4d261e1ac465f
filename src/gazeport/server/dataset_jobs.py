"""Dataset exports as callable jobs of the app's registry, for every front-end that starts one.

``POST /api/datasets/exports`` and GraphQL's ``datasetExport`` both come here: one
:func:`gazeport.datasets.export_store` call per job, its progress as the job's, its report as
the job's result, and the folder's cached zip dropped once it is out of date. Two unfinished
exports never write one folder (each would replace it when done).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..datasets import DatasetOptions, StoreExport, export_store
from ..errors import GazeportError
from .callable_jobs import CallableJob

if TYPE_CHECKING:
    from .web_jobs import JobRegistry


class ExportBusyError(GazeportError, RuntimeError):
    """Another export is still writing the same folder (both would replace it; HTTP 409)."""


def summary(result: StoreExport) -> dict[str, Any]:
    """A dataset job's result: counts, splits, what was left out, the folder."""
    report = result.report
    return {
        "images": report.tasks, "tasks": report.tasks, "boxes": report.boxes,
        "splits": dict(report.splits), "left_out": dict(report.dropped),
        "clipped": report.clipped, "unchanged": report.unchanged,
        "images_written": report.images_written, "out_dir": str(report.out_dir),
        "image_problems": [str(p) for p in result.image_problems],
    }  # fmt: skip


def start_dataset_job(
    registry: JobRegistry, db: Path, out_dir: Path, options: DatasetOptions, jid: str | None = None
) -> CallableJob:
    """Queue the export of the label store ``db`` into ``out_dir`` as a job of ``registry``;
    :class:`ExportBusyError` while an unfinished export writes the same folder."""
    for other in registry.entries():
        if isinstance(other, CallableJob) and other.out_dir == out_dir and not other.finished:
            raise ExportBusyError(
                f"The export {other.id} is still writing {out_dir.name}; wait for it or pick "
                "another folder."
            )
    jid = jid or registry.new_id()

    def run(job: CallableJob) -> dict[str, Any]:
        job.report(0.0, "reading the label store")
        result = export_store(
            db, out_dir, options,
            progress=lambda done, total: job.report(done / max(total, 1), f"{done:,}/{total:,} images"),
        )  # fmt: skip
        job.warnings.extend(str(p) for p in result.image_problems)
        out_dir.with_name(f"{out_dir.name}.zip").unlink(missing_ok=True)  # of an earlier run
        return summary(result)

    return registry.add_callable(
        jid, "dataset", f"{options.format.upper()} dataset", run, out_dir=out_dir,
        download=f"/api/datasets/exports/{jid}/download", meta={"format": options.format},
    )  # fmt: skip
