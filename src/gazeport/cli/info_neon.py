"""``gazeport info`` for a native Neon recording: metadata, streams with parts and gaps, video
frames, manifest check (as a table or JSON; the manifest check is reported, never fatal)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.markup import escape
from rich.table import Table

from ..formats.neon_inventory import PartSummary, StreamSummary
from ..recording import NeonRecording
from ..recording.cloud import CloudRecording
from ..recording.neon import part_gaps, sample_rate_hz
from .commands import _out

_VIDEO_FILES = {"scene": "Neon Scene Camera v1", "eye": "Neon Sensor Module v1"}


def _rel(rec: NeonRecording, ns: int | None) -> float | None:
    return None if ns is None else (ns - rec.start_time_ns) / 1e9


def _part(rec: NeonRecording, part: PartSummary) -> dict[str, Any]:
    problem = None
    if part.records is not None and part.records != part.timestamps:
        problem = (
            f"{part.records} records but {part.timestamps} timestamps; "
            f"{min(part.records, part.timestamps)} used"
        )
    return {
        "number": part.number,
        "count": part.used,
        "records": part.records,
        "timestamps": part.timestamps,
        "first_rel_s": _rel(rec, part.first_ns),
        "last_rel_s": _rel(rec, part.last_ns),
        "problem": problem,
    }


def _stream(rec: NeonRecording, s: StreamSummary) -> dict[str, Any]:
    # A Cloud part is a CSV, not a .time file: the download computes its own rate.
    rate = rec.stream_rate_hz(s) if isinstance(rec, CloudRecording) else sample_rate_hz(s)
    return {
        "name": s.name,
        "count": s.count,
        "rate_hz": rate,
        "first_ns": s.first_ns,
        "last_ns": s.last_ns,
        "first_rel_s": _rel(rec, s.first_ns),
        "last_rel_s": _rel(rec, s.last_ns),
        "layout": s.layout,
        "parts": [_part(rec, p) for p in s.parts],
        "gaps": [
            {"from_rel_s": _rel(rec, a), "to_rel_s": _rel(rec, b), "seconds": (b - a) / 1e9}
            for a, b in part_gaps(s)
        ],
    }


def _video(rec: NeonRecording, s: StreamSummary | None, camera: str) -> dict[str, Any]:
    if s is None:
        return {"frames": 0, "parts": [], "missing_video_parts": [], "frames_without_video": 0}
    missing = [p for p in s.parts if p.video_file is None]
    return {
        "frames": s.count,
        "parts": [p.number for p in s.parts],
        "missing_video_parts": [
            "no scene .mp4 in the download"
            if p.number is None
            else f"{_VIDEO_FILES[camera]} ps{p.number}.mp4"
            for p in missing
        ],
        "frames_without_video": sum(p.used for p in missing),
        "first_rel_s": _rel(rec, s.first_ns),
        "last_rel_s": _rel(rec, s.last_ns),
    }


def neon_facts(rec: NeonRecording) -> dict[str, Any]:
    """Everything ``gazeport info`` shows for a Neon recording, as JSON-ready values."""
    inf = rec.info
    start = dt.datetime.fromtimestamp(rec.start_time_ns // 1_000_000_000, tz=dt.timezone.utc)
    start = start.replace(microsecond=rec.start_time_ns % 1_000_000_000 // 1000)
    summaries = {s.name: s for s in rec.stream_summaries()}
    mismatches = rec.check_manifest()
    wearer = rec.wearer
    cloud = isinstance(rec, CloudRecording)
    return {
        "path": str(rec.path),
        "kind": rec.kind.value,
        "software": (
            f"Pupil Cloud download (Neon Companion {inf.app_version})"
            if cloud
            else f"Neon Companion {inf.app_version}"
        ),
        "recording_id": inf.recording_id,
        "recording_name": inf.recording_name,
        "app_version": inf.app_version,
        "data_format_version": inf.data_format_version,
        "wearer_name": None if wearer is None else wearer.name,
        "wearer_id": inf.wearer_id,
        "module_serial_number": inf.module_serial_number,
        "device": inf.android_device_name or inf.android_device_model,
        "gaze_offset_px": list(inf.gaze_offset_px),
        "info_file": inf.source_file,
        "start_time_ns": rec.start_time_ns,
        "start_utc": start.isoformat(),
        "start_local": start.astimezone().isoformat(),
        "duration_s": rec.duration_s,
        # A Cloud download's scene is a CSV stream too (world_timestamps.csv): list it as one.
        "streams": [
            _stream(rec, s)
            for name, s in summaries.items()
            if name not in _VIDEO_FILES or (cloud and name == "scene")
        ],
        "videos": {camera: _video(rec, summaries.get(camera), camera) for camera in _VIDEO_FILES},
        "manifest": {
            "present": (rec.path / "manifest.json").is_file(),
            "problems": [
                {"name": m.name, "problem": m.problem, "message": m.message} for m in mismatches
            ],
        },
    }


def _num(value: float | None, fmt: str) -> str:
    return "—" if value is None else format(value, fmt)


def print_neon_facts(f: dict[str, Any]) -> None:
    """``gazeport info`` of a Neon recording as text."""
    rows = [
        ("kind", f"{f['kind']} (data format {f['data_format_version']}, {f['info_file']})"),
        ("software", f["software"]),
        ("recording", f"{f['recording_name'] or '—'}  (id {f['recording_id']})"),
        ("wearer", f["wearer_name"] or "unknown"),
        ("module", f"{f['module_serial_number'] or '—'} on {f['device'] or 'unknown phone'}"),
        ("duration", f"{f['duration_s']:.3f} s"),
        ("start (UTC)", f["start_utc"]),
        ("start (local)", f["start_local"]),
        ("start (ns)", f"{f['start_time_ns']}"),
        ("gaze offset", f"{f['gaze_offset_px'][0]:g}, {f['gaze_offset_px'][1]:g} px"),
    ]
    for camera, v in f["videos"].items():
        text = f"{v['frames']:,} frames in {len(v['parts'])} part(s)"
        if v["missing_video_parts"]:
            text += (
                f"; video missing: {', '.join(v['missing_video_parts'])} "
                f"({v['frames_without_video']:,} frames)"
            )
        rows.append((f"{camera} video", text))
    _out.print(f"[bold]{escape(f['path'])}[/]", soft_wrap=True)
    for key, value in rows:
        _out.print(f"  [bold]{key:<19}[/] {escape(str(value))}", soft_wrap=True)

    streams = Table(box=None, padding=(0, 1), pad_edge=False, header_style="bold underline")
    for header in ("stream", "count", "rate Hz", "parts", "first s", "last s", "layout"):
        right = header not in ("stream", "layout")
        streams.add_column(header, justify="right" if right else "left", no_wrap=True)
    for s in f["streams"]:
        layout = s["layout"].rsplit("/", 1)[-1]
        streams.add_row(escape(s["name"]), f"{s['count']:,}", _num(s["rate_hz"], ".1f"),
                        str(len(s["parts"])), _num(s["first_rel_s"], "+.3f"),
                        _num(s["last_rel_s"], "+.3f"), escape(layout))  # fmt: skip
    _out.print()
    _out.print(streams)
    _out.print("[dim]first s / last s: seconds from the recording start[/]")
    gaps: dict[str, list[str]] = {}  # one line per gap, naming every stream that has it
    for s in f["streams"]:
        for g in s["gaps"]:
            text = f"gap of {g['seconds']:.2f} s between parts at {g['from_rel_s']:+.3f} s"
            gaps.setdefault(text, []).append(s["name"])
    notes = [f"{', '.join(names)}: {text}" for text, names in gaps.items()]
    for s in f["streams"]:
        for p in s["parts"]:
            if p["problem"]:
                where = s["name"] if p["number"] is None else f"{s['name']} part {p['number']}"
                notes.append(f"{where}: {p['problem']}")
    if notes:
        _out.print("[bold]Gaps and short parts[/]")
        for note in notes:
            _out.print(f"  {escape(note)}", soft_wrap=True)
    manifest = f["manifest"]
    if not manifest["present"] and f["kind"] == CloudRecording.kind.value:
        _out.print("[bold]Manifest[/] none (a Pupil Cloud download has no manifest.json)")
    elif not manifest["present"]:
        _out.print("[bold]Manifest[/] none (manifest.json is missing; files not checked)")
    elif not manifest["problems"]:
        _out.print("[bold]Manifest[/] every listed file matches manifest.json")
    else:
        _out.print(f"[bold yellow]Manifest[/] {len(manifest['problems'])} mismatch(es)")
        for m in manifest["problems"]:
            _out.print(f"  {escape(m['message'])}", soft_wrap=True)
