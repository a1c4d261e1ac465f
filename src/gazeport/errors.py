"""The one exception tree of gazeport.

::

    GazeportError                                   base of everything gazeport raises on purpose
    ├── RecordingNotFoundError (FileNotFoundError)  the path does not exist
    ├── NotARecordingError (NotADirectoryError)     a file or video was given, not a folder
    ├── NoInfoFileError (FileNotFoundError)         a folder without any recognised info file
    ├── UnsupportedRecordingError (ValueError)      a recording kind or version gazeport cannot open (yet)
    ├── InvalidInfoFileError (ValueError)           info.player.json / info.csv / info.json is malformed
    ├── CorruptFileError (ValueError)               a data file cannot be decoded; names file and offset
    ├── StreamNotFoundError (LookupError)           a stream the caller asked for is not in the recording
    ├── TrimRangeError (ValueError)                 an export range outside the recording
    ├── SamplingError (ValueError)                  labelling frames asked for that the recording lacks
    ├── ExportError (RuntimeError)                  an export could not be completed (nothing half-written)
    ├── FileWriteError (OSError)                    a file could not be written (the old one is kept)
    ├── RecordingLockedError (TimeoutError)         another process holds a recording's edit lock too long
    ├── LabelStoreError                             the label store (SQLite) cannot be used as asked
    │   ├── LabelStoreNotFoundError (FileNotFoundError)  no label store at that path (run labels init)
    │   ├── LabelStoreExistsError (FileExistsError)  init on a path that already holds a file
    │   ├── LabelStoreLockedError (TimeoutError)     another writer held the database beyond the timeout
    │   ├── LabelStoreCorruptError (CorruptFileError) not a SQLite file, malformed, or not a label store
    │   └── LabelStoreVersionError (ValueError)      written by a newer gazeport (schema version unknown)
    ├── LabelError (ValueError)                     a bad label name, class, box or task value
    │   └── LabelNotFoundError (LookupError)         an unknown class, task or box
    └── ExportCancelled                             an export was cancelled (nothing half-written)

Every message is one plain sentence (or two) that names the file, key or offset and says what the
user can do. The command-line front-end prints ``str(error)`` and exits with code 1.

Warnings that gazeport emits are :class:`GazeportWarning` (a ``UserWarning``).
"""

from __future__ import annotations

from pathlib import Path


class GazeportError(Exception):
    """Base class of all errors gazeport raises deliberately."""


class RecordingNotFoundError(GazeportError, FileNotFoundError):
    """The recording path does not exist."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(f"The recording folder {path} does not exist; check the path.")
        self.path = Path(path)


class NotARecordingError(GazeportError, NotADirectoryError):
    """A file was given where a recording folder was expected."""


class NoInfoFileError(GazeportError, FileNotFoundError):
    """The folder holds no info file of any supported recording kind."""


class UnsupportedRecordingError(GazeportError, ValueError):
    """The recording kind or version cannot be opened by gazeport."""


class InvalidInfoFileError(GazeportError, ValueError):
    """An info file exists but is malformed; the message names the file and key."""


class CorruptFileError(GazeportError, ValueError):
    """A data file cannot be decoded; the message names the file and byte offset."""

    def __init__(self, message: str, path: Path | str | None = None, offset: int | None = None):
        super().__init__(message)
        self.path = Path(path) if path is not None else None
        self.offset = offset


class StreamNotFoundError(GazeportError, LookupError):
    """A stream that was asked for is not in the recording."""


class TrimRangeError(GazeportError, ValueError):
    """An export range does not fit the recording."""


class SamplingError(GazeportError, ValueError):
    """Scene frames to label cannot be sampled as asked (no mode or two, a frame outside the
    recording, an unknown event name); the message lists what is valid."""


class ExportError(GazeportError, RuntimeError):
    """An export could not be completed; no output that looks complete was left behind."""


class FileWriteError(GazeportError, OSError):
    """A file could not be written (disk full, no permission); the previous file is unchanged
    and no temporary file was left behind."""


class RecordingLockedError(GazeportError, TimeoutError):
    """Another process held a recording's edit lock longer than the timeout; names the lock file."""

    def __init__(self, message: str, lock_file: Path | str) -> None:
        super().__init__(message)
        self.lock_file = Path(lock_file)


class LabelStoreError(GazeportError):
    """The label store (a SQLite file) cannot be used as asked; names the file."""

    def __init__(self, message: str, path: Path | str | None = None) -> None:
        super().__init__(message)
        self.path = Path(path) if path is not None else None


class LabelStoreNotFoundError(LabelStoreError, FileNotFoundError):
    """There is no label store at the path; ``gazeport labels init`` makes one."""


class LabelStoreExistsError(LabelStoreError, FileExistsError):
    """``init`` was asked to make a label store where a file already is (nothing was changed)."""


class LabelStoreLockedError(LabelStoreError, TimeoutError):
    """Another writer held the label database longer than the busy timeout; nothing was written."""


class LabelStoreCorruptError(LabelStoreError, CorruptFileError):
    """The file is not a SQLite database, is malformed, or is not a gazeport label store."""

    def __init__(self, message: str, path: Path | str | None = None) -> None:
        LabelStoreError.__init__(self, message, path)
        self.offset = None


class LabelStoreVersionError(LabelStoreError, ValueError):
    """The label store was written by a newer gazeport whose schema this one does not know."""


class LabelError(GazeportError, ValueError):
    """A bad label value: a class name, box geometry, status, split or tag; nothing was written."""


class LabelNotFoundError(LabelError, LookupError):
    """An unknown class, task or box was named; nothing was written."""


class ExportCancelled(GazeportError):
    """An export was cancelled through its cancel token; its partial output was removed."""


class GazeportWarning(UserWarning):
    """Something was odd but gazeport could go on (e.g. a truncated final record)."""
