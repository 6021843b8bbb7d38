"""The errors a user can cause. The command line prints each as one line and exits non-zero; nothing else is caught."""
from __future__ import annotations


class BalanceTrainerError(Exception):
    """Base of every error that is the input's fault, not the program's."""


class RecordingFormatError(BalanceTrainerError):
    """A recording file that cannot be read: names the file and, where there is one, the line."""

    def __init__(self, path, message: str, line: int | None = None):
        self.path = str(path)
        self.line = line
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class ReaderOptionError(BalanceTrainerError, ValueError):
    """A reader option that makes no sense (an unknown axes source, an unknown option, a bad plate constant)."""


class BoardError(BalanceTrainerError):
    """A board URL that is wrong, or a board that cannot be opened or stops answering."""


class TareError(BalanceTrainerError):
    """Taring is impossible now: nothing has arrived yet, or someone stands on the board."""


class DisplayError(BalanceTrainerError):
    """No window can be opened (no desktop session, no video driver), or a screenshot cannot be saved."""


class MeasureError(BalanceTrainerError):
    """Data that the measures cannot be computed on (too short, nobody standing, bad window)."""
