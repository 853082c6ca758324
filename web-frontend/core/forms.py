"""Helpers shared by the site's forms."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms

from clients.experience_api import ValidationFailed


def apply_api_errors(
    form: forms.Form, error: ValidationFailed, field_map: Mapping[str, str] | None = None
) -> None:
    """Put the API's per-field messages next to the matching form fields.

    ``field_map`` renames API fields to form fields (``password`` -> ``password1``).
    Messages for fields the form does not show become non-field errors, so none is lost.
    """
    field_map = field_map or {}
    for api_field, messages in error.fields.items():
        name = field_map.get(api_field, api_field)
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)
    if not error.fields:
        form.add_error(None, error.detail or "Please check the form and try again.")
