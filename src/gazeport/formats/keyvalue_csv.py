"""Pupil's two-column key/value CSV files (legacy ``info.csv``, ``user_info.csv`` and others).

Pupil writes them with ``csv.writer(delimiter=",", quoting=QUOTE_NONE, escapechar="\\\\")`` under an
optional ``key,value`` header row, so a comma inside a value appears as ``\\,`` and every row ends
with ``\\r\\n``. Reading accepts a comma or a TAB as the delimiter.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from ..errors import InvalidInfoFileError, NoInfoFileError

_ESCAPE = "\\"
_DELIMITERS = (",", "\t")


def read_text(path: Path) -> str:
    """Read a small text file as UTF-8 (falling back to Windows-1252) or raise a gazeport error.

    Files with NUL bytes or bytes that neither encoding can decode raise
    :class:`InvalidInfoFileError`; a missing file raises :class:`NoInfoFileError`.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise NoInfoFileError(f"{path} does not exist; check the recording folder.") from exc
    except OSError as exc:
        raise InvalidInfoFileError(
            f"{path} cannot be read ({exc.strerror or exc}); check its permissions."
        ) from exc
    if b"\x00" in raw:
        raise InvalidInfoFileError(
            f"{path} is a binary file, not a text info file; restore the original file."
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Capture on Windows wrote info.csv in the locale's code page, typically Windows-1252.
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InvalidInfoFileError(
            f"{path} is neither UTF-8 nor Windows-1252 text (undecodable byte at offset "
            f"{exc.start}); restore the original file."
        ) from exc


def _sniff_delimiter(line: str) -> str:
    """The first unescaped comma or TAB on the line, defaulting to a comma."""
    escaped = False
    for char in line:
        if escaped:
            escaped = False
        elif char == _ESCAPE:
            escaped = True
        elif char in _DELIMITERS:
            return char
    return ","


def parse_key_value_text(text: str, source: Path | str = "<text>") -> dict[str, str]:
    """Parse the text of a key/value CSV; ``source`` only names the file in error messages."""
    lines = text.splitlines(keepends=True)
    first = lines[0] if lines else ""
    if "key" in first and "value" in first:
        lines = lines[1:]
    data_lines = [line for line in lines if line.strip()]
    if not data_lines:
        return {}
    delimiter = _sniff_delimiter(first if first.strip() else data_lines[0])
    # Player reads with QUOTE_NONE. Reading with standard quote handling gives the same result
    # for every file Pupil writes (its writer escapes '"' as '\"'), and also reads hand-made
    # files that wrap values holding commas in double quotes (e.g. "User: x, Platform: Linux").
    reader = csv.reader(
        data_lines,
        delimiter=delimiter,
        quoting=csv.QUOTE_MINIMAL,
        escapechar=_ESCAPE,
    )
    result: dict[str, str] = {}
    try:
        for row in reader:
            if not row:
                continue
            if len(row) < 2:
                raise InvalidInfoFileError(
                    f"{source} is not a key/value CSV file: row {reader.line_num} "
                    f"({row[0][:40]!r}) has no value; restore the original file."
                )
            result[row[0]] = row[1]
    except csv.Error as exc:
        raise InvalidInfoFileError(
            f"{source} is not a readable key/value CSV file ({exc}); restore the original file."
        ) from exc
    return result


def read_key_value_file(path: Path) -> dict[str, str]:
    """Read one of Pupil's key/value CSV files into ``{key: value}`` (later keys win)."""
    path = Path(path)
    return parse_key_value_text(read_text(path), path)


def key_value_text(items: Iterable[tuple[str, str]], header: bool = True) -> str:
    """The exact text Pupil writes for ``items``: optional ``key,value`` header, ``\\r\\n`` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=",", quoting=csv.QUOTE_NONE, escapechar=_ESCAPE)
    if header:
        writer.writerow(("key", "value"))
    for key, value in items:
        writer.writerow((key, value))
    return buffer.getvalue()
