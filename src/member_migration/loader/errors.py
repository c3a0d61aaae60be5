"""The one exception the loader raises for a package it refuses to load."""

from __future__ import annotations


class LoadError(Exception):
    """A package (or the database) the loader refuses, with a message for the user.

    The message names the file (and the record or columns, when there are some) and says what to
    do. When it is raised, the current file's transaction has been rolled back: nothing of that
    file is in ``raw``, and running the load again after the fix finishes the job.
    """

    def __init__(self, message: str, *, file_name: str | None = None) -> None:
        super().__init__(message)
        self.file_name = file_name

    @property
    def message(self) -> str:
        return str(self)
