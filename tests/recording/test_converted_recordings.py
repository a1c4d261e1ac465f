"""End to end: recordings Pupil Player converts on disk, opened by gazeport in memory.

Pupil Invisible, Pupil Mobile and a Capture recording with a multi-part world video are built
in ``tmp_path`` by the small factories below and read only through the public API
(``gazeport.open``, ``gazeport.export_raw`` and the ``Recording`` attributes). Every expected
value is computed here from the bytes the factories wrote, with Player's rules written out in
plain Python (spec sections 1.4, 3.1-3.2, 4.1, 6.4 and 12.2), never with gazeport's code.
"""

from __future__ import annotations

import bisect
import csv
import hashlib
import io
import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import msgpack
import numpy as np
import pytest

import gazeport
from gazeport.errors import UnsupportedRecordingError
from gazeport.recording.detect import RecordingKind, detect_kind

# --- shared helpers ----------------------------------------------------------------------------

#: Player's header line of gaze_positions.csv (spec 6.4).
GAZE_HEADER = (
    "gaze_timestamp,world_index,confidence,norm_pos_x,norm_pos_y,base_data,"
    "gaze_point_3d_x,gaze_point_3d_y,gaze_point_3d_z,"
    "eye_center0_3d_x,eye_center0_3d_y,eye_center0_3d_z,"
    "gaze_normal0_x,gaze_normal0_y,gaze_normal0_z,"
    "eye_center1_3d_x,eye_center1_3d_y,eye_center1_3d_z,"
    "gaze_normal1_x,gaze_normal1_y,gaze_normal1_z"
)
EXPORT_INFO_KEYS = [
    "Player Software Version",
    "Data Format Version",
    "Export Date",
    "Export Time",
    "Frame Index Range:",
    "Relative Time Range",
    "Absolute Time Range",
]


def write_video(path: Path, n_frames: int, *, audio: bool = False) -> list[int]:
    """Encode ``n_frames`` 64x48 mpeg4 frames (plus a short AAC track if ``audio``, like PI
    scene videos); return the sorted pts of the decoded video frames."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=30)
        stream.width, stream.height = 64, 48
        stream.pix_fmt = "yuv420p"
        sound = container.add_stream("aac", rate=8000) if audio else None
        for i in range(n_frames):
            image = np.full((48, 64, 3), (16 * i) % 256, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if sound is not None:
            for k in range(3):
                samples = np.zeros((1, 1024), dtype=np.float32)
                chunk = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
                chunk.sample_rate, chunk.pts = 8000, 1024 * k
                for packet in sound.encode(chunk):
                    container.mux(packet)
            for packet in sound.encode():
                container.mux(packet)
    pts = decoded_pts(path)
    assert len(pts) == n_frames
    return pts


def decoded_pts(path: Path) -> list[int]:
    """Oracle: sorted pts of every decodable video frame."""
    with av.open(str(path)) as container:
        return sorted(int(f.pts) for f in container.decode(video=0))


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file (``-`` for folders), skipping ``exports/``."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if rel.parts[0] == "exports":
            continue
        out[rel.as_posix()] = (
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "-"
        )
    return out


def f32(value: float) -> float:
    """``value`` rounded to float32 and back, as the ``.raw`` files hold it."""
    return struct.unpack("<f", struct.pack("<f", value))[0]


def nearest(frames: list[float], s: float) -> int:
    """Player's ``find_closest`` for one value: nearest frame, ties to the later one."""
    if len(frames) == 1:
        return 0
    i = min(max(bisect.bisect_left(frames, s), 1), len(frames) - 1)
    return i - 1 if s - frames[i - 1] < frames[i] - s else i


@dataclass(frozen=True)
class Gaze:
    """One expected gaze row (Python floats)."""

    timestamp: float
    confidence: float
    norm_pos_x: float
    norm_pos_y: float
    base_data: str = ""


def gaze_csv(rows: list[Gaze], frames: list[float], window: tuple[float, float]) -> bytes:
    """``gaze_positions.csv`` as Player's ``csv.DictWriter`` writes it for ``rows``."""
    lo, hi = window
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    buf.write(GAZE_HEADER + "\r\n")
    for g in sorted(rows, key=lambda g: g.timestamp):
        if lo <= g.timestamp < hi:
            wi = nearest(frames, g.timestamp)
            cells = [str(g.timestamp), wi, g.confidence, g.norm_pos_x, g.norm_pos_y, g.base_data]
            writer.writerow(cells + [None] * 15)
    return buf.getvalue().encode("utf-8")


def mmss(seconds: float) -> str:
    minutes = int(seconds // 60)
    rest = seconds - 60 * minutes
    return f"{minutes:02d}:{int(rest):02d}.{int((rest - int(rest)) * 1000):03d}"


def read_export_info(path: Path) -> dict[str, str]:
    text = path.read_bytes().decode("utf-8")
    assert text.endswith("\r\n") and "\r\r" not in text
    lines = text.split("\r\n")[:-1]
    assert lines[0] == "key,value"
    pairs = [line.split(",", 1) for line in lines[1:]]
    assert [k for k, _ in pairs] == EXPORT_INFO_KEYS
    return dict(pairs)


def check_export_info(path: Path, frames: list[float], left: int, right: int) -> None:
    info = read_export_info(path)
    assert info["Data Format Version"] == "2.0"
    assert info["Frame Index Range:"] == f"{left} - {right}"
    t0 = frames[0]
    assert info["Relative Time Range"] == f"{mmss(frames[left] - t0)} - {mmss(frames[right] - t0)}"
    assert info["Absolute Time Range"] == f"{frames[left]} - {frames[right]}"


def gaze_tuples(gaze: np.ndarray) -> list[tuple[float, float, float, float]]:
    cols = ("timestamp", "confidence", "norm_pos_x", "norm_pos_y")
    return list(zip(*(gaze[c].tolist() for c in cols), strict=True))


def as_tuples(rows: list[Gaze]) -> list[tuple[float, float, float, float]]:
    return [(g.timestamp, g.confidence, g.norm_pos_x, g.norm_pos_y) for g in rows]


# --- Pupil Invisible ---------------------------------------------------------------------------

START_NS = 1_636_000_000_123_456_789
DURATION_NS = 1_234_567_890
FRAME_NS = 33_333_333
# PI world: part 1 then part 2 right after it (no gap), with jitter in the raw clock.
PI_WORLD = {
    1: [START_NS + 120_000_000 + k * FRAME_NS + j for k, j in enumerate([0, 1_234, -2_000, 517, 0, 9, -11, 3])],
    2: [START_NS + 400_000_001 + k * FRAME_NS + j for k, j in enumerate([0, 700, -300, 5, 0])],
}  # fmt: skip


@dataclass
class PiGaze:
    """Raw content of a PI gaze stream: pixels, Unix ns and worn bytes (None: no worn file)."""

    xy: list[tuple[float, float]]
    t_ns: list[int]
    worn: list[int] | None


def realtime_gaze(*, shuffled: bool = True) -> dict[int, PiGaze]:
    """Real-time gaze parts 1 and 2 that cover the world frames and overhang both ends."""
    t1 = [START_NS + 60_000_000 + k * 17_000_000 + 3 * k for k in range(18)]
    t1[3] = PI_WORLD[1][0]  # exactly the first world frame: exported
    if shuffled:
        t1[6], t1[7] = t1[7], t1[6]  # written out of order; Player sorts by time
    t2 = [PI_WORLD[2][0] - 10_000_000 + k * 17_000_000 + 7 for k in range(11)]
    t2.append(PI_WORLD[2][-1])  # exactly the last world frame: not exported (t < t[right])
    t2.sort()
    xy1 = [(100.3 + 37.1 * k, 1000.7 - 41.9 * k) for k in range(len(t1))]
    xy2 = [(900.9 - 13.3 * k, 20.2 + 55.5 * k) for k in range(len(t2))]
    worn1 = [255 if k % 3 else 0 for k in range(len(t1))]
    worn2 = [0 if k in (2, 9) else 255 for k in range(len(t2))]
    return {1: PiGaze(xy1, t1, worn1), 2: PiGaze(xy2, t2, worn2)}


def gaze_200hz() -> PiGaze:
    t = [START_NS + 100_000_000 + k * 5_000_000 + k % 4 for k in range(90)]
    xy = [(10.25 + 11.7 * k, 1070.5 - 11.3 * k) for k in range(len(t))]
    worn = [0 if 20 <= k < 26 else 255 for k in range(len(t))]
    return PiGaze(xy, t, worn)


def write_u64(path: Path, values: list[int]) -> None:
    path.write_bytes(struct.pack(f"<{len(values)}Q", *values))


def write_xy(path: Path, xy: list[tuple[float, float]]) -> None:
    path.write_bytes(b"".join(struct.pack("<ff", x, y) for x, y in xy))


def write_pi_gaze(root: Path, stem: str, worn_stem: str, gaze: PiGaze) -> None:
    write_xy(root / f"{stem}.raw", gaze.xy)
    write_u64(root / f"{stem}.time", gaze.t_ns)
    if gaze.worn is not None:
        (root / f"{worn_stem}.raw").write_bytes(bytes(gaze.worn))


PI_INFO = {
    "android_device_id": "b3c1d2e4f5a60718",
    "android_device_model": "OnePlus8",
    "android_device_name": "OnePlus 8",
    "app_version": "1.4.30-prod",
    "data_format_version": "1.3",
    "duration": DURATION_NS,
    "recording_id": "5f2c2d0e-8a3b-4a57-9e3c-2b7c1f0a9d61",
    "start_time": START_NS,
}


def make_invisible(
    root: Path,
    *,
    gaze: dict[int, PiGaze] | None = None,
    hz200: PiGaze | None = None,
    worn_200hz_file: bool = True,
) -> dict[str, list[int]]:
    """A Pupil Invisible folder; returns the sorted pts of each world part's decoded frames."""
    root.mkdir(parents=True)
    (root / "info.json").write_text(json.dumps(PI_INFO, indent=4))
    pts = {}
    for part, t_ns in PI_WORLD.items():
        stem = f"PI world v1 ps{part}"
        write_u64(root / f"{stem}.time", t_ns)
        pts[stem] = write_video(root / f"{stem}.mp4", len(t_ns), audio=part == 2)
    for part, g in (realtime_gaze() if gaze is None else gaze).items():
        write_pi_gaze(root, f"gaze ps{part}", f"worn ps{part}", g)
    if hz200 is not None:
        write_pi_gaze(root, "gaze_200hz", "worn_200hz", hz200)
        if not worn_200hz_file:
            (root / "worn_200hz.raw").unlink()
    write_u64(root / "extimu ps1.time", [START_NS + 5])
    (root / "extimu ps1.raw").write_bytes(bytes(40))
    return pts


def pi_seconds(t_ns: int) -> float:
    """Player: ``(t - start_time) * 1e-9`` on uint64, i.e. one rounding of the exact difference."""
    return float(t_ns - START_NS) * 1e-9


def pi_rows(g: PiGaze, confidence: list[float] | None = None) -> list[Gaze]:
    """Player's ``gaze.pi`` datums: ``norm_pos = (x / 1088, 1 - y / 1080)`` of the float32 px."""
    if confidence is None:
        confidence = [w / 255 for w in g.worn] if g.worn is not None else [1.0] * len(g.t_ns)
    return [
        Gaze(pi_seconds(t), c, f32(x) / 1088, 1 - f32(y) / 1080)
        for (x, y), t, c in zip(g.xy, g.t_ns, confidence, strict=True)
    ]


PI_FRAMES = [pi_seconds(t) for t in PI_WORLD[1] + PI_WORLD[2]]


def test_invisible_opens_as_player_converts_it(tmp_path):
    rec_dir = tmp_path / "2021-11-04_PI"
    make_invisible(rec_dir)
    rec = gazeport.open(rec_dir)

    assert rec.kind is RecordingKind.INVISIBLE
    info = rec.info
    assert info.recording_software_name == "Pupil Invisible"
    assert info.recording_software_version == "1.4.30-prod"
    assert info.recording_uuid == PI_INFO["recording_id"]
    assert info.recording_name == "2021-11-04_PI"
    assert info.system_info == (
        "Android device ID: b3c1d2e4f5a60718; Android device name: OnePlus 8; "
        "Android device model: OnePlus8"
    )
    # Player's info file: start_time_*_ns = start_time, held as seconds = ns / 1e9.
    assert info.start_time_system_s == START_NS / 1e9
    assert info.start_time_synced_s == START_NS / 1e9
    assert info.duration_s == DURATION_NS / 1e9


def test_invisible_frame_table_spans_both_parts(tmp_path):
    rec_dir = tmp_path / "pi"
    pts = make_invisible(rec_dir)
    rec = gazeport.open(rec_dir)
    table = rec.frame_table
    n1, n2 = len(PI_WORLD[1]), len(PI_WORLD[2])

    assert len(table) == n1 + n2
    assert table.timestamps.tolist() == PI_FRAMES
    assert rec.world_timestamps.tolist() == PI_FRAMES
    assert table.rows["container_idx"].tolist() == [0] * n1 + [1] * n2
    assert table.rows["container_frame_idx"].tolist() == [*range(n1), *range(n2)]
    assert table.rows["pts"].tolist() == pts["PI world v1 ps1"] + pts["PI world v1 ps2"]
    assert [p.name for p in table.parts] == ["PI world v1 ps1.mp4", "PI world v1 ps2.mp4"]
    assert table.frame_size == (64, 48)


def test_invisible_gaze_is_players_conversion_sorted_by_time(tmp_path):
    rec_dir = tmp_path / "pi"
    make_invisible(rec_dir)
    rec = gazeport.open(rec_dir)
    parts = realtime_gaze()
    expected = sorted(pi_rows(parts[1]) + pi_rows(parts[2]), key=lambda g: g.timestamp)

    assert gaze_tuples(rec.gaze) == as_tuples(expected)  # bit-exact
    assert rec.gaze["world_index"].tolist() == [nearest(PI_FRAMES, g.timestamp) for g in expected]
    assert (rec.gaze["base_count"] == 0).all()
    assert np.isnan(rec.gaze["gaze_point_3d_x"]).all()
    assert set(rec.gaze["confidence"].tolist()) == {0.0, 1.0}
    ts = [g.timestamp for g in expected]
    assert rec.world_index(ts).tolist() == [nearest(PI_FRAMES, s) for s in ts]


def test_invisible_wall_clock_adds_the_unix_start(tmp_path):
    rec_dir = tmp_path / "pi"
    make_invisible(rec_dir)
    rec = gazeport.open(rec_dir)
    ts = [0.0, *PI_FRAMES, -0.5]
    # Spec 12.2: for PI, system - synced would be 0; the right epoch is pupil_s + start.
    assert rec.to_wall_clock(ts).tolist() == [t + START_NS / 1e9 for t in ts]
    assert rec.to_wall_clock(PI_FRAMES[0]) == pytest.approx(PI_WORLD[1][0] * 1e-9, rel=0, abs=1e-6)


def test_invisible_stream_summaries_list_converted_timestamps(tmp_path):
    rec_dir = tmp_path / "pi"
    make_invisible(rec_dir)
    rec = gazeport.open(rec_dir)
    summaries = {s.name: s for s in rec.stream_summaries()}
    parts = realtime_gaze()
    for name, t_ns in (
        ("world", PI_WORLD[1]),
        ("world_001", PI_WORLD[2]),
        ("gaze ps1", parts[1].t_ns),
        ("gaze ps2", parts[2].t_ns),
        ("extimu ps1", [START_NS + 5]),
    ):
        s = summaries[name]
        assert (s.count, s.first_s, s.last_s) == (
            len(t_ns),
            pi_seconds(min(t_ns)),
            pi_seconds(max(t_ns)),
        ), name
    assert summaries["gaze"].count == len(parts[1].t_ns) + len(parts[2].t_ns)


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param("worn_200hz", id="200hz-with-worn"),
        pytest.param("densified", id="200hz-worn-from-realtime"),
    ],
)
def test_invisible_200hz_gaze_replaces_realtime_gaze(tmp_path, variant):
    rec_dir = tmp_path / "pi"
    realtime = realtime_gaze(shuffled=False)  # sorted: Player's find_closest needs that
    hz = gaze_200hz()
    make_invisible(rec_dir, gaze=realtime, hz200=hz, worn_200hz_file=variant == "worn_200hz")
    rec = gazeport.open(rec_dir)

    if variant == "worn_200hz":
        expected = pi_rows(hz)
    else:
        # No worn_200hz.raw: the real-time worn value at the nearest real-time gaze timestamp.
        rt_ts = [pi_seconds(t) for p in (realtime[1], realtime[2]) for t in p.t_ns]
        rt_conf = [w / 255 for p in (realtime[1], realtime[2]) for w in p.worn]
        conf = [rt_conf[nearest(rt_ts, pi_seconds(t))] for t in hz.t_ns]
        assert 0 < sum(conf) < len(conf)  # both worn states occur
        expected = pi_rows(hz, conf)
    assert gaze_tuples(rec.gaze) == as_tuples(expected)
    assert rec.gaze["world_index"].tolist() == [nearest(PI_FRAMES, g.timestamp) for g in expected]


@pytest.mark.parametrize(
    "min_confidence",
    [pytest.param(None, id="all-rows"), pytest.param(0.5, id="worn-only")],
)
def test_invisible_export_raw_writes_players_gaze_csv(tmp_path, min_confidence):
    rec_dir = tmp_path / "pi"
    make_invisible(rec_dir)
    parts = realtime_gaze()
    expected_rows = pi_rows(parts[1]) + pi_rows(parts[2])
    if min_confidence is not None:  # Player skips rows with confidence < threshold
        expected_rows = [g for g in expected_rows if not g.confidence < min_confidence]
        assert {g.confidence for g in expected_rows} == {1.0}
    out = tmp_path / "out"

    result = gazeport.export_raw(gazeport.open(rec_dir), out_dir=out, min_confidence=min_confidence)

    window = (PI_FRAMES[0], PI_FRAMES[-1])
    expected = gaze_csv(expected_rows, PI_FRAMES, window)
    assert (out / "gaze_positions.csv").read_bytes() == expected
    n_rows = expected.count(b"\r\n") - 1
    assert n_rows == sum(window[0] <= g.timestamp < window[1] for g in expected_rows)
    assert n_rows < len(expected_rows)  # samples before/at/after the world range are cut
    assert result.rows == {"gaze": n_rows}
    assert set(result.skipped) == {"pupil"}
    assert "pupil" in result.skipped["pupil"]
    assert not (out / "pupil_positions.csv").exists()  # Player has no pupil producer for PI
    assert sorted(p.name for p in result.files) == [
        "export_info.csv",
        "gaze_positions.csv",
        "gazeport_export.json",
        "pupil_gaze_positions_info.txt",
    ]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in result.files)
    assert result.frame_range == (0, len(PI_FRAMES) - 1)
    check_export_info(out / "export_info.csv", PI_FRAMES, 0, len(PI_FRAMES) - 1)


def test_invisible_folder_is_left_unchanged(tmp_path):
    rec_dir = tmp_path / "pi"
    make_invisible(rec_dir, hz200=gaze_200hz())
    before = snapshot(rec_dir)

    with gazeport.open(rec_dir) as rec:
        rec.frame_table  # noqa: B018
        rec.gaze  # noqa: B018
        rec.stream_summaries()
        result = gazeport.export_raw(rec)  # into <rec>/exports/000

    assert result.export_dir == rec_dir / "exports" / "000"
    assert (result.export_dir / "gaze_positions.csv").is_file()
    assert snapshot(rec_dir) == before
    assert sorted(p.name for p in rec_dir.iterdir() if p.name.startswith(("world", "gaze."))) == []
    again = gazeport.open(rec_dir)  # the export folder does not change what the folder is
    assert again.kind is RecordingKind.INVISIBLE
    assert gaze_tuples(again.gaze) == as_tuples(
        sorted(pi_rows(gaze_200hz()), key=lambda g: g.timestamp)
    )


def test_invisible_with_mjpeg_world_is_refused(tmp_path):
    rec_dir = tmp_path / "pi"
    make_invisible(rec_dir)
    (rec_dir / "PI world v1 ps1.mjpeg").write_bytes(b"\xff\xd8\xff\xe0 mjpeg")
    before = snapshot(rec_dir)
    with pytest.raises(UnsupportedRecordingError, match=r"PI world v1 ps1\.mjpeg"):
        gazeport.open(rec_dir)
    assert snapshot(rec_dir) == before


def write_h264_with_broken_first_packet(path: Path, n_frames: int, scratch: Path) -> list[int]:
    """An all-intra H.264 mp4 whose first packet cannot be decoded (a PI "broken first frame":
    decoding it raises, the second packet decodes). Returns the pts of all packets."""
    intact = scratch / "intact.mp4"
    with av.open(str(intact), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height = 64, 48
        stream.pix_fmt = "yuv420p"
        stream.options = {"bf": "0", "g": "1"}
        for i in range(n_frames):
            image = np.full((48, 64, 3), (16 * i) % 256, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    pts = []
    with av.open(str(intact)) as src, av.open(str(path), "w") as dst:
        out = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(video=0):
            if packet.dts is None:
                continue
            if not pts:  # an AVCC NAL length far beyond the packet: send_packet fails
                broken = av.Packet(b"\x00\x00\x10\x00\x65\x88")
                broken.pts, broken.dts, broken.time_base = packet.pts, packet.dts, packet.time_base
                broken.is_keyframe = True
                packet = broken
            pts.append(int(packet.pts))
            packet.stream = out
            dst.mux(packet)
    with av.open(str(path)) as container:  # the symptom Player's check looks for
        packets = container.demux(video=0)
        with pytest.raises(av.FFmpegError):
            next(packets).decode()
        assert len(next(packets).decode()) == 1
    return sorted(pts)


@pytest.mark.skipif("libx264" not in av.codecs_available, reason="needs an H.264 encoder")
def test_invisible_broken_first_frame_is_dropped_like_player(tmp_path):
    rec_dir = tmp_path / "pi"
    make_invisible(rec_dir)
    video = rec_dir / "PI world v1 ps1.mp4"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    packet_pts = write_h264_with_broken_first_packet(video, len(PI_WORLD[1]), scratch)
    rec = gazeport.open(rec_dir)
    n1, n2 = len(PI_WORLD[1]) - 1, len(PI_WORLD[2])

    # Player drops the first packet and the first raw timestamp of the affected part.
    table = rec.frame_table
    assert table.timestamps.tolist() == PI_FRAMES[1:]
    assert table.rows["container_idx"].tolist() == [0] * n1 + [1] * n2
    assert table.rows["container_frame_idx"].tolist() == [*range(n1), *range(n2)]
    # gazeport reads the original file, so the kept frames are its packets 2, 3, ...
    assert table.rows["pts"][:n1].tolist() == packet_pts[1:]
    assert rec.gaze["world_index"].tolist() == [
        nearest(PI_FRAMES[1:], t) for t in sorted(rec.gaze["timestamp"].tolist())
    ]


@pytest.mark.parametrize(
    ("version", "kind", "match"),
    [
        pytest.param("2.1", RecordingKind.NEON, "Neon", id="neon-2.1"),
        pytest.param("1.5", RecordingKind.INVISIBLE, r"1\.5", id="invisible-too-new"),
    ],
)
def test_info_json_of_unsupported_format_is_refused(tmp_path, version, kind, match):
    rec_dir = tmp_path / "rec"
    rec_dir.mkdir()
    (rec_dir / "info.json").write_text(json.dumps({**PI_INFO, "data_format_version": version}))
    assert detect_kind(rec_dir) is kind
    with pytest.raises(UnsupportedRecordingError, match=match):
        gazeport.open(rec_dir)


# --- Pupil Mobile ------------------------------------------------------------------------------

MOBILE_SYSTEM_S = 1_500_000_000.5
MOBILE_SYNCED_S = 2345.25
MOBILE_WORLD = [2345.3 + k * 0.0333 + j for k, j in enumerate([0, 2e-4, -1e-4, 0, 3e-5, 0, 0, 1e-4, -2e-5, 0])]  # fmt: skip
MOBILE_EYE0 = [2345.28 + k * 0.008 + (1e-5 if k % 2 else 0) for k in range(14)]


def write_be_f64(path: Path, values: list[float]) -> None:
    path.write_bytes(struct.pack(f">{len(values)}d", *values))


def make_mobile(root: Path) -> dict[str, list[int]]:
    """A Pupil Mobile folder never opened in Player; returns the decoded pts per video."""
    root.mkdir(parents=True)
    rows = [
        ("key", "value"),
        ("Recording Name", "mobile session"),
        ("Start Date", "03:07:2017"),
        ("Start Time", "02:40:00"),
        ("Start Time (System)", repr(MOBILE_SYSTEM_S)),
        ("Start Time (Synced)", repr(MOBILE_SYNCED_S)),
        ("Duration Time", "00:00:03"),
        ("World Camera Frames", str(len(MOBILE_WORLD))),
        ("World Camera Resolution", "64x48"),
        ("Capture Software Version", "1.2.3"),
        ("Capture Software", "Pupil Mobile"),
    ]
    (root / "info.csv").write_text("".join(f"{k},{v}\r\n" for k, v in rows), newline="")
    pts = {}
    for stem, ts in (("Pupil Cam1 ID2", MOBILE_WORLD), ("Pupil Cam1 ID0", MOBILE_EYE0)):
        write_be_f64(root / f"{stem}.time", ts)
        pts[stem] = write_video(root / f"{stem}.mp4", len(ts))
    return pts


def test_mobile_opens_as_player_converts_it(tmp_path):
    rec_dir = tmp_path / "mobile"
    pts = make_mobile(rec_dir)
    before = snapshot(rec_dir)
    rec = gazeport.open(rec_dir)

    assert rec.kind is RecordingKind.MOBILE
    info = rec.info
    assert info.recording_software_name == "Pupil Mobile"
    assert info.recording_software_version == "1.2.3"
    assert info.recording_name == "mobile session"
    assert info.start_time_system_s == MOBILE_SYSTEM_S
    assert info.start_time_synced_s == MOBILE_SYNCED_S
    assert info.duration_s == 3.0

    table = rec.frame_table
    assert table.timestamps.tolist() == MOBILE_WORLD
    assert table.rows["container_idx"].tolist() == [0] * len(MOBILE_WORLD)
    assert table.rows["container_frame_idx"].tolist() == list(range(len(MOBILE_WORLD)))
    assert table.rows["pts"].tolist() == pts["Pupil Cam1 ID2"]
    assert [p.name for p in table.parts] == ["Pupil Cam1 ID2.mp4"]

    ts = [MOBILE_WORLD[0], MOBILE_WORLD[-1], 0.0]
    assert rec.to_wall_clock(ts).tolist() == [t + (MOBILE_SYSTEM_S - MOBILE_SYNCED_S) for t in ts]

    summaries = {s.name: (s.count, s.first_s, s.last_s) for s in rec.stream_summaries()}
    assert summaries == {
        "world": (len(MOBILE_WORLD), min(MOBILE_WORLD), max(MOBILE_WORLD)),
        "eye0": (len(MOBILE_EYE0), min(MOBILE_EYE0), max(MOBILE_EYE0)),
    }
    assert not rec.has_stream("gaze") and not rec.has_stream("pupil")
    assert snapshot(rec_dir) == before


def test_mobile_export_skips_pupil_and_gaze(tmp_path):
    rec_dir = tmp_path / "mobile"
    make_mobile(rec_dir)
    before = snapshot(rec_dir)

    result = gazeport.export_raw(gazeport.open(rec_dir))

    assert result.export_dir == rec_dir / "exports" / "000"
    assert set(result.skipped) == {"pupil", "gaze"}
    assert result.rows == {"pupil": 0, "gaze": 0}  # header-only files, as Player writes them
    assert sorted(p.name for p in result.export_dir.iterdir()) == [
        "export_info.csv",
        "gaze_positions.csv",
        "gazeport_export.json",
        "pupil_gaze_positions_info.txt",
        "pupil_positions.csv",
    ]
    n = len(MOBILE_WORLD)
    check_export_info(result.export_dir / "export_info.csv", MOBILE_WORLD, 0, n - 1)
    assert snapshot(rec_dir) == before


# --- Pupil Capture with a multi-part world video -----------------------------------------------

CAPTURE_SYNCED_S = 500.0
CAPTURE_SYSTEM_S = 1_700_000_000.125
CAPTURE_PART0 = [500.1 + k * 0.0333 + j for k, j in enumerate([0, 1e-4, 0, -5e-5, 2e-5, 0, 0, 1e-4])]  # fmt: skip
# After a ~3.2 s pause; multiples of 1/32 s, so midpoints between frames are exact.
CAPTURE_PART1 = [503.5 + k / 32 for k in range(6)]
#: A gaze sample exactly halfway between two frames of part 2: Player picks the later frame.
CAPTURE_TIE = (CAPTURE_PART1[3] + CAPTURE_PART1[4]) / 2


def capture_frames() -> tuple[list[float], list[bool]]:
    """Player's lookup timestamps (gap filled, spec 3.2) and which rows are recorded frames."""
    recorded = CAPTURE_PART0 + CAPTURE_PART1
    m = float(np.median(np.diff(recorded)))  # 13 differences: the middle one
    assert sorted(np.diff(recorded).tolist())[6] == m
    virtual = np.arange(CAPTURE_PART0[-1] + m, CAPTURE_PART1[0] - m, m).tolist()
    assert len(virtual) > 80
    frames = CAPTURE_PART0 + virtual + CAPTURE_PART1
    assert frames == sorted(frames)
    return frames, [True] * len(CAPTURE_PART0) + [False] * len(virtual) + [True] * len(
        CAPTURE_PART1
    )


def pack(obj: Any) -> bytes:
    return msgpack.packb(obj, use_bin_type=True)


def capture_gaze_rows() -> list[tuple[float, float, tuple[float, float]]]:
    """(timestamp, confidence, norm_pos) of the monocular 2D gaze, in time order."""
    p0, p1 = CAPTURE_PART0, CAPTURE_PART1
    ts = [p0[0] - 0.01, p0[0], p0[2] + 0.004, p0[-1] + 0.2, p0[-1] + 1.5, p1[0] - 0.02]
    ts += [p1[0], p1[1] + 0.016, p1[2] + 0.0171, p1[3], CAPTURE_TIE, p1[4] + 0.02, p1[5]]
    ts += [p1[5] + 0.1]
    return [(t, 0.5 + (k % 5) / 10, (0.1 + k / 50, 0.9 - k / 40)) for k, t in enumerate(ts)]


def make_capture(root: Path) -> dict[str, list[int]]:
    """A Capture 2.3 recording: world.mp4 + world_001.mp4 after a 3 s pause, and gaze.pldata."""
    root.mkdir(parents=True)
    info = {
        "duration_s": 4.0,
        "meta_version": "2.3",
        "min_player_version": "2.0",
        "recording_name": "two parts",
        "recording_software_name": "Pupil Capture",
        "recording_software_version": "3.5.7",
        "recording_uuid": "0b4e7a2c-3f51-4a8e-9a57-0c9f5d0e2b11",
        "start_time_synced_s": CAPTURE_SYNCED_S,
        "start_time_system_s": CAPTURE_SYSTEM_S,
        "system_info": "User: lab, Platform: Linux",
    }
    (root / "info.player.json").write_text(json.dumps(info, indent=4, sort_keys=True))
    pts = {}
    for stem, ts in (("world", CAPTURE_PART0), ("world_001", CAPTURE_PART1)):
        np.save(root / f"{stem}_timestamps.npy", np.array(ts, dtype=np.float64))
        pts[stem] = write_video(root / f"{stem}.mp4", len(ts))
    records = []
    for t, conf, norm_pos in capture_gaze_rows():
        pupil = {"topic": "pupil.0.2d", "id": 0, "timestamp": t, "confidence": conf,
                 "norm_pos": norm_pos, "diameter": 31.5, "method": "2d c++"}  # fmt: skip
        datum = {"topic": "gaze.2d.0.", "norm_pos": norm_pos, "confidence": conf, "id": 0,
                 "timestamp": t, "base_data": [msgpack.ExtType(13, pack(pupil))]}  # fmt: skip
        records.append(pack(["gaze.2d.0.", pack(datum)]))
    (root / "gaze.pldata").write_bytes(b"".join(records))
    np.save(root / "gaze_timestamps.npy", np.array([r[0] for r in capture_gaze_rows()]))
    return pts


def capture_expected() -> list[Gaze]:
    return [Gaze(t, c, x, y, f"{t}-0") for t, c, (x, y) in capture_gaze_rows()]


def test_capture_frame_table_fills_the_pause_with_virtual_frames(tmp_path):
    rec_dir = tmp_path / "capture"
    pts = make_capture(rec_dir)
    rec = gazeport.open(rec_dir)
    frames, recorded = capture_frames()
    n0 = len(CAPTURE_PART0)
    n_virtual = recorded.count(False)

    assert rec.kind is RecordingKind.NEW_STYLE
    table = rec.frame_table
    assert table.timestamps.tolist() == frames
    assert table.rows["container_idx"].tolist() == [0] * n0 + [-1] * n_virtual + [1] * len(
        CAPTURE_PART1
    )
    assert table.rows["container_frame_idx"].tolist() == [
        *range(n0),
        *[-1] * n_virtual,
        *range(len(CAPTURE_PART1)),
    ]
    assert table.rows["pts"].tolist() == pts["world"] + [-1] * n_virtual + pts["world_001"]
    assert [p.name for p in table.parts] == ["world.mp4", "world_001.mp4"]


def test_capture_gaze_in_the_pause_maps_to_a_virtual_frame(tmp_path):
    rec_dir = tmp_path / "capture"
    make_capture(rec_dir)
    rec = gazeport.open(rec_dir)
    frames, recorded = capture_frames()
    expected = capture_expected()

    assert gaze_tuples(rec.gaze) == as_tuples(expected)
    world_index = [nearest(frames, g.timestamp) for g in expected]
    assert rec.gaze["world_index"].tolist() == world_index
    in_pause = [g.timestamp for g in expected if CAPTURE_PART0[-1] + 0.5 < g.timestamp < CAPTURE_PART1[0] - 0.5]  # fmt: skip
    assert len(in_pause) == 1
    wi = nearest(frames, in_pause[0])
    assert not recorded[wi]
    assert rec.frame_table.rows["container_idx"][wi] == -1
    assert rec.world_index(in_pause).tolist() == [wi]
    assert CAPTURE_TIE - CAPTURE_PART1[3] == CAPTURE_PART1[4] - CAPTURE_TIE
    tie_row = [g.timestamp for g in expected].index(CAPTURE_TIE)
    assert rec.gaze["world_index"][tie_row] == frames.index(CAPTURE_PART1[4])
    assert rec.gaze["base0_eye_id"].tolist() == [0] * len(expected)
    ts = [frames[0], frames[-1]]
    assert rec.to_wall_clock(ts).tolist() == [t + (CAPTURE_SYSTEM_S - CAPTURE_SYNCED_S) for t in ts]


def _second_part_range() -> tuple[int, int]:
    frames, _ = capture_frames()
    first = len(frames) - len(CAPTURE_PART1)
    return first + 1, len(frames) - 2


def _range_from_the_pause() -> tuple[int, int]:
    frames, recorded = capture_frames()
    pause_frame = len(frames) - len(CAPTURE_PART1) - 1  # the last virtual frame
    assert not recorded[pause_frame] and recorded[pause_frame + 1]
    return pause_frame, pause_frame + 4


@pytest.mark.parametrize(
    "make_range",
    [
        pytest.param(_second_part_range, id="inside-second-part"),
        pytest.param(_range_from_the_pause, id="from-virtual-frame-into-second-part"),
    ],
)
def test_capture_export_of_a_range_in_the_second_part(tmp_path, make_range):
    rec_dir = tmp_path / "capture"
    make_capture(rec_dir)
    before = snapshot(rec_dir)
    frames, _ = capture_frames()
    left, right = make_range()
    out = tmp_path / "out"

    result = gazeport.export_raw(rec_dir, out_dir=out, start_frame=left, end_frame=right)

    window = (frames[left], frames[right])
    expected = gaze_csv(capture_expected(), frames, window)
    n_rows = expected.count(b"\r\n") - 1
    assert 0 < n_rows < len(capture_expected())
    assert (out / "gaze_positions.csv").read_bytes() == expected
    assert result.frame_range == (left, right)
    assert result.rows == {"pupil": 0, "gaze": n_rows}
    assert set(result.skipped) == {"pupil"}
    check_export_info(out / "export_info.csv", frames, left, right)
    assert snapshot(rec_dir) == before
