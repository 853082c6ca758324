"""DRF serializer fields stricter than DRF's defaults about JSON types.

DRF happily turns ``123`` into ``"123"`` and ``"7"`` into ``7``; an API contract is
easier to rely on when a wrong JSON type is a 400 instead of a silent conversion.
models-api (the authority) and the experience API (which checks input before calling
it) validate with these same fields, so both answer the same input the same way.
"""

from __future__ import annotations

from collections.abc import Mapping

from rest_framework import serializers
from rest_framework.fields import empty

from mpcommon import listing_rules

MAX_BIGINT = 2**63 - 1


class StrictCharField(serializers.CharField):
    """A JSON string only (DRF would silently turn 123 into "123")."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    default_error_messages = {"invalid": "Enter a valid email address."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """Integers only: JSON numbers without a fraction (booleans and strings refused)."""

    default_error_messages = {"invalid": "Must be an integer."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class IdField(StrictIntegerField):
    """A database id: a positive 64-bit integer, as a JSON number or a digit string."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_BIGINT)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and data.isascii() and data.isdigit() and len(data) <= 19:
            data = int(data)
        return super().to_internal_value(data)


class PriceField(serializers.DecimalField):
    """A price (:mod:`mpcommon.listing_rules`): JSON string or number, at most two
    decimals, 0 to 1,000,000.

    NaN and infinities are refused (DRF's DecimalField checks both), as are booleans
    and anything that is not a string or a number.
    """

    default_error_messages = {"invalid": 'Must be a number or a numeric string, e.g. "12.50".'}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", listing_rules.PRICE_MAX_DIGITS)
        kwargs.setdefault("decimal_places", listing_rules.PRICE_DECIMAL_PLACES)
        kwargs.setdefault("min_value", listing_rules.MIN_PRICE)
        kwargs.setdefault("max_value", listing_rules.MAX_PRICE)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            self.fail("invalid")
        if isinstance(data, float):
            # repr() is the shortest round-tripping text: 12.5 -> "12.5", 0.1 -> "0.1".
            data = repr(data)
        return super().to_internal_value(data)


class AllErrorsSerializer(serializers.Serializer):
    """A serializer whose rules across fields run even when some fields are invalid.

    DRF runs ``validate()`` only once every field is valid, so a client fixing one 400
    would meet the next rule on the following try. Subclasses put such rules in
    :meth:`field_problems`; it sees the values of the fields that passed, and its
    messages join the field errors in one ``ValidationError``.
    """

    def field_problems(self, values: dict) -> dict[str, list[str]]:
        """Per-field messages of rules across fields (``values``: the fields that passed)."""
        return {}

    def to_internal_value(self, data):
        try:
            values, errors = super().to_internal_value(data), {}
        except serializers.ValidationError as exc:
            if not isinstance(data, Mapping):
                raise  # not an object at all: there are no fields to go on with
            errors = dict(exc.detail)
            values = {}
            for name, field in self.fields.items():
                primitive = field.get_value(data)
                if name in errors or field.read_only or primitive is empty:
                    continue
                values[name] = field.run_validation(primitive)  # passed once, passes again
        for name, messages in self.field_problems(values).items():
            errors[name] = [*errors.get(name, []), *messages]
        if errors:
            raise serializers.ValidationError(errors)
        return values
