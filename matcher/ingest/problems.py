"""What the readers report: a cell's `Problem`, and `TableError` for a file that is no table."""

from __future__ import annotations

from typing import NamedTuple

from matcher.model import Issue, Severity


class Problem(NamedTuple):
    """A problem with one cell: stable code, severity, Chinese message with the fix."""

    code: str
    severity: Severity
    message: str

    def issue(self, file: str, row: int | None, column: str | None) -> Issue:
        """Return the problem as an `Issue` at file/row/column."""
        return Issue(
            file=file,
            row=row,
            column=column,
            code=self.code,
            severity=self.severity,
            message=self.message,
        )


def error(code: str, message: str) -> Problem:
    """Make an error problem (it makes the row invalid)."""
    return Problem(code, Severity.ERROR, message)


def warning(code: str, message: str) -> Problem:
    """Make a warning problem."""
    return Problem(code, Severity.WARNING, message)


class TableError(Exception):
    """A file that cannot be read as a table (missing, corrupt, unknown format, too large).

    `code` is the stable code of the issue it becomes: FILE_UNREADABLE, or FILE_TOO_LARGE
    for a file past a limit of `matcher.ingest.limits`.
    """

    def __init__(self, message: str, code: str = "FILE_UNREADABLE") -> None:
        super().__init__(message)
        self.code = code
