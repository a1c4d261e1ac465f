"""ReaderPool: frames shared by threads, each request given to the reader nearest its frame."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from gazeport.video.reader import FrameReader
from gazeport.video.reader_pool import ReaderPool
from tests.video.test_reader import SIZE, numbers, table_rows
from tests.video_factories import frame_number, write_video


@pytest.fixture
def video(tmp_path):
    path = tmp_path / "world.mp4"
    rows = table_rows([write_video(path, 120)], gaps={30: 2})
    opened: list[FrameReader] = []

    def open_reader() -> FrameReader:
        opened.append(FrameReader(rows, [path], SIZE))
        return opened[-1]

    return rows, path, open_reader, opened


def test_sequential_requests_stay_on_one_reader(video):
    rows, _, open_reader, opened = video
    with ReaderPool(open_reader, size=3) as pool:
        got = numbers([pool.frame(i) for i in range(len(rows))])
    assert got == [*range(30), None, None, *range(30, 120)]
    assert len(opened) == 1 and opened[0].counters.seeks == 0


def test_two_interleaved_players_get_a_reader_each(video):
    _, _, open_reader, opened = video
    with ReaderPool(open_reader, size=3) as pool:
        for i in range(25):
            assert frame_number(pool.frame(i).image) == i
            assert frame_number(pool.frame(80 + i).image) == 78 + i  # two gray rows before
        assert len(pool) == 2
    assert sum(r.counters.seeks for r in opened) == 1  # only the second player's first frame


def test_threads_get_exactly_their_frames(video):
    rows, path, open_reader, opened = video
    with FrameReader(rows, [path], SIZE) as reader:
        truth = [f.image for f in reader.frames()]
    wrong: list[int] = []
    with ReaderPool(open_reader, size=2) as pool:

        def run(seed: int) -> None:
            for i in np.random.default_rng(seed).integers(0, len(rows), 25).tolist():
                if not np.array_equal(pool.frame(i).image, truth[i]):
                    wrong.append(i)

        threads = [threading.Thread(target=run, args=(s,)) for s in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(pool) <= 2
    assert wrong == []
    assert all(r._closed for r in opened)


def test_a_closed_pool_refuses_and_bad_sizes_raise(video):
    _, _, open_reader, _ = video
    pool = ReaderPool(open_reader)
    pool.close()
    with pytest.raises(ValueError, match="closed"):
        pool.frame(0)
    with pytest.raises(ValueError, match="at least one"):
        ReaderPool(open_reader, size=0)
    with ReaderPool(open_reader) as pool, pytest.raises(IndexError):
        pool.frame(10**6)
