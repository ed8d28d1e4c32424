"""Domain errors of the oversight package."""

from publicity.errors import N_, PublicityError


class OversightError(PublicityError):
    """A rule of the oversight process refused the operation."""

    message = N_("The oversight operation was refused.")
