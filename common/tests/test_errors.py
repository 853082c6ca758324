"""The shared error envelope."""

from __future__ import annotations

from mpcommon.errors import error_body, flatten_field_errors


class ErrorBodyTest:
    def test_fields_only_when_given(self):
        assert error_body("not_found", "Not found.") == {
            "error": "not_found",
            "detail": "Not found.",
        }
        assert error_body("validation_failed", "Invalid input.", {"a": ["Bad."]}) == {
            "error": "validation_failed",
            "detail": "Invalid input.",
            "fields": {"a": ["Bad."]},
        }


class FlattenFieldErrorsTest:
    def test_nested_errors_get_dotted_names(self):
        detail = {"title": ["Too long."], "increments": {"12": ["Bad."]}, "non_field_errors": ["X"]}
        assert flatten_field_errors(detail) == {
            "title": ["Too long."],
            "increments.12": ["Bad."],
            "non_field_errors": ["X"],
        }

    def test_plain_list_goes_to_non_field_errors(self):
        assert flatten_field_errors(["Bad."]) == {"non_field_errors": ["Bad."]}

    def test_errors_of_list_items_are_gathered_under_the_list(self):
        detail = {"tags": [{}, {"name": ["Required."]}], "ids": ["Bad id."]}
        assert flatten_field_errors(detail) == {"tags.name": ["Required."], "ids": ["Bad id."]}
