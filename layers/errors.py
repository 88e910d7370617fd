"""Problems found in a data package, reported all at once."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a package: where (file, row, column) and what."""

    file: str
    message: str
    row: int | None = None  # 1-based line in a CSV (header is line 1) or feature number in GeoJSON
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


class PackageError(Exception):
    """A data package that cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(self.report())

    def report(self) -> str:
        lines = [f"The data package has {len(self.problems)} problem(s):"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class SourceError(Exception):
    """An outside source (SCB, Kolada, a CKAN portal) that failed or answered with something its
    API does not document; names the request. Not the engine's: the index never fetches."""


class EngineError(ValueError):
    """A request the engine cannot answer (bad weights, unknown level…), in plain words; `text_key`
    names the catalogue's text for it when the page says it in its own language."""

    def __init__(self, message: str, text_key: str | None = None):
        super().__init__(message)
        self.text_key = text_key
