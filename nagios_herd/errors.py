"""Errors that reach the operator as one clear line instead of a traceback."""

from __future__ import annotations


class HerdError(Exception):
    """A failure the operator can act on; ``exit_code`` is what the command returns."""

    exit_code = 1
    prefixed = True  # printed as "nagios-herd: message"

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    def lines(self) -> list[str]:
        """The lines printed to stderr, one problem per line."""
        return [str(self)]


class InventoryError(HerdError):
    """The inventory is invalid: every problem found, one ``FILE: field.path: problem`` line each."""

    exit_code = 2
    prefixed = False  # each line already starts with the file it is about

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)

    def lines(self) -> list[str]:
        return list(self.problems)
