"""The one way a flow helper says what a form shows: an error key on one field."""

from __future__ import annotations


class FormError(Exception):
    """Input a form must show again, with the translation key of the error on `field`."""

    def __init__(self, field: str, key: str) -> None:
        """Name the field ("base" for the whole form) and the error's translation key."""
        super().__init__(key)
        self.field = field
        self.key = key

    @property
    def errors(self) -> dict[str, str]:
        """The form's errors, as Home Assistant takes them."""
        return {self.field: self.key}
