"""Domain errors of the publicity package.

Each error carries an English message id and parameters; the web layer translates them.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a message for translation without translating it (extracted by Babel)."""
    return message


class PublicityError(Exception):
    """A business rule refused the operation; ``message`` is a translatable id."""

    message = N_("The operation was refused.")

    def __init__(self, message: str | None = None, **params: object) -> None:
        self.message = message or self.message
        self.params = params
        super().__init__(self.message % params if params else self.message)


class NotFound(PublicityError):
    message = N_("The record was not found.")


class DuplicateCourt(PublicityError):
    message = N_("A court with code %(code)s already exists.")
