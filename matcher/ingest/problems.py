"""`Problem`: what a cell parser reports (the reader adds file, row and column)."""

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
