"""Text tables with line numbers: read fast with numpy, and on any failure find and name the offending line.

Every text reader goes through `TextTable`: the file's lines (line endings removed, numbered from 1 as an editor
shows them), the header located by the reader, and `numbers()` that parses the data block with `np.loadtxt`
(C speed) and, only when that fails, rescans line by line in Python to raise one `RecordingFormatError` naming
the file, the line and the column.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from trainer.errors import RecordingFormatError


def read_text_lines(path: str | Path) -> list[str]:
    """The file's lines without line endings (LF, CRLF or CR); a UTF-8 BOM is dropped; Latin-1 if not UTF-8."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise RecordingFormatError(path, "is a folder, not a text recording") from None
    except OSError as exc:
        raise RecordingFormatError(path, f"cannot be read: {exc.strerror or exc}") from None
    if not data.strip():
        raise RecordingFormatError(path, "is empty", line=1)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise RecordingFormatError(path, "is binary, not a text table", line=data.count(b"\n", 0, nul) + 1)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if "\r" in text:
        text = text.replace("\r\n", "\n") if "\n" in text else text.replace("\r", "\n")
    return text.split("\n")


def find_line(lines: Sequence[str], predicate: Callable[[str], bool], *, limit: int = 200) -> int | None:
    """Index of the first of the first `limit` lines that satisfies `predicate`, or None."""
    for index, line in enumerate(lines[:limit]):
        if predicate(line):
            return index
    return None


class TextTable:
    """A delimited numeric table whose header is at `lines[header_index]`.

    `columns` maps each header name (stripped) to its column index. `numbers()` returns the data as a float64
    array of shape (rows, len(columns)); row i sits on line `first_data_line + i`.
    """

    def __init__(self, path: str | Path, lines: list[str], header_index: int, delimiter: str):
        self.path = Path(path)
        self.lines = lines
        self.header_index = header_index
        self.delimiter = delimiter
        self.names = [name.strip() for name in lines[header_index].split(delimiter)]
        while len(self.names) > 1 and self.names[-1] == "":  # a trailing delimiter on the header line
            self.names.pop()
        self.columns = {name: index for index, name in enumerate(self.names)}
        self.header_line = header_index + 1
        self.first_data_line = header_index + 2

    def require(self, *names: str) -> list[int]:
        """Column indices of `names`; a RecordingFormatError on the header line listing any that are missing."""
        missing = [name for name in names if name not in self.columns]
        if missing:
            raise RecordingFormatError(
                self.path, f"header lacks column(s) {', '.join(missing)}; found {', '.join(self.names) or 'nothing'}",
                line=self.header_line)
        return [self.columns[name] for name in names]

    def data_lines(self) -> list[str]:
        block = self.lines[self.header_index + 1:]
        end = len(block)
        while end and not block[end - 1].strip():
            end -= 1
        return block[:end]

    def numbers(self, *, empty_as_nan: bool = False) -> np.ndarray:
        """The data block as float64 (rows, columns). `empty_as_nan` reads empty cells as NaN."""
        block = self.data_lines()
        ncols = len(self.names)
        if not block:
            raise RecordingFormatError(self.path, "has a header but no data rows (truncated?)",
                                       line=self.first_data_line)
        parse_lines = _fill_empty_cells(block, self.delimiter) if empty_as_nan else block
        try:
            values = np.loadtxt(parse_lines, delimiter=self.delimiter, comments=None, dtype=np.float64, ndmin=2,
                                quotechar=None)
        except ValueError:
            values = None
        if values is None or values.shape != (len(block), ncols):
            self._rescan(block, ncols, empty_as_nan)  # raises, naming the line
            raise RecordingFormatError(self.path, "cannot be read as a numeric table", line=self.first_data_line)
        return values

    def _rescan(self, block: list[str], ncols: int, empty_as_nan: bool) -> None:
        for offset, line in enumerate(block):
            line_no = self.first_data_line + offset
            if not line.strip():
                raise RecordingFormatError(self.path, "blank line inside the data", line=line_no)
            cells = line.split(self.delimiter)
            if len(cells) != ncols:
                what = "truncated row? " if offset == len(block) - 1 and len(cells) < ncols else ""
                raise RecordingFormatError(
                    self.path, f"{what}expected {ncols} values separated by {_describe(self.delimiter)}, "
                               f"found {len(cells)}", line=line_no)
            for column, cell in enumerate(cells):
                text = cell.strip()
                if cell == "" and empty_as_nan:
                    continue
                try:
                    float(text)
                except ValueError:
                    shown = repr(text) if text else "an empty cell"
                    raise RecordingFormatError(
                        self.path, f"column {column + 1} ({self.names[column]}) holds {shown}, not a number",
                        line=line_no) from None

    def row_line(self, row: int) -> int:
        return self.first_data_line + int(row)

    def check_time(self, t_s: np.ndarray, name: str) -> None:
        """Timestamps must be finite and never decrease; the error names the first bad line."""
        bad = ~np.isfinite(t_s)
        if bad.any():
            row = int(np.argmax(bad))
            raise RecordingFormatError(self.path, f"{name} is missing or not finite", line=self.row_line(row))
        back = np.diff(t_s) < 0
        if back.any():
            row = int(np.argmax(back)) + 1
            raise RecordingFormatError(
                self.path, f"{name} goes back in time ({t_s[row - 1]!r} then {t_s[row]!r})", line=self.row_line(row))


def _describe(delimiter: str) -> str:
    return {"\t": "tabs", ",": "commas", ";": "semicolons"}.get(delimiter, repr(delimiter))


def _fill_empty_cells(block: list[str], delimiter: str) -> list[str]:
    """Write "nan" into the empty cells (str.replace: a regex costs ten times more on a 7,000-row file)."""
    joined = "\n" + "\n".join(block) + "\n"
    double = delimiter + delimiter
    while double in joined:  # two passes at most: the replace does not see its own output
        joined = joined.replace(double, delimiter + "nan" + delimiter)
    joined = joined.replace("\n" + delimiter, "\nnan" + delimiter).replace(delimiter + "\n", delimiter + "nan\n")
    return joined[1:-1].split("\n")
