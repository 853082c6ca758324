"""The strict DRF fields both JSON APIs validate with."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework import serializers

from mpcommon.api_fields import (
    AllErrorsSerializer,
    IdField,
    PriceField,
    StrictCharField,
    StrictIntegerField,
)


class PriceFieldTest:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("12.50", Decimal("12.50")),
            ("0", Decimal("0.00")),
            ("1000000", Decimal("1000000.00")),
            (12.5, Decimal("12.50")),
            (7, Decimal("7.00")),
            ("  3.1 ", Decimal("3.10")),
            (0.1, Decimal("0.10")),
        ],
    )
    def test_valid_prices_accepted(self, raw, expected):
        assert PriceField().run_validation(raw) == expected

    @pytest.mark.parametrize(
        "raw",
        [
            "-1",
            "-0.01",
            "1000000.01",
            "12.345",
            12.345,
            "NaN",
            "nan",
            "Infinity",
            "-inf",
            float("inf"),
            float("nan"),
            True,
            None,
            [1],
            {"amount": 1},
            "twelve",
            "",
            "1e10",
            "1" * 2000,
        ],
    )
    def test_invalid_prices_rejected(self, raw):
        with pytest.raises(serializers.ValidationError):
            PriceField().run_validation(raw)


class StrictFieldsTest:
    @pytest.mark.parametrize("raw", [123, 1.5, True, None, ["a"], {"a": 1}])
    def test_char_field_refuses_non_strings(self, raw):
        with pytest.raises(serializers.ValidationError):
            StrictCharField().run_validation(raw)

    @pytest.mark.parametrize("raw", ["1", 1.0, True, None])
    def test_integer_field_refuses_non_integers(self, raw):
        with pytest.raises(serializers.ValidationError):
            StrictIntegerField().run_validation(raw)

    @pytest.mark.parametrize("raw", [0, -1, 2**63, "12a", "", "-3", "١٢"])
    def test_id_field_refuses_non_ids(self, raw):
        with pytest.raises(serializers.ValidationError):
            IdField().run_validation(raw)

    def test_id_field_accepts_numbers_and_digit_strings(self):
        assert IdField().run_validation("42") == 42
        assert IdField().run_validation(2**63 - 1) == 2**63 - 1

    def test_null_characters_refused(self):
        with pytest.raises(serializers.ValidationError):
            StrictCharField().run_validation("abc\x00def")


class AllErrorsSerializerTest:
    class PairInput(AllErrorsSerializer):
        first = StrictCharField(max_length=5)
        second = StrictCharField()
        third = StrictIntegerField(required=False)

        def field_problems(self, values):
            if "second" in values and values["second"] == values.get("first"):
                return {"second": ["Must differ from first."]}
            if values.get("second") == "bad":
                return {"second": ["Not that one."]}
            return {}

    def errors_of(self, data) -> dict:
        serializer = self.PairInput(data=data)
        assert not serializer.is_valid()
        return {name: [str(m) for m in messages] for name, messages in serializer.errors.items()}

    def test_cross_field_rule_runs_when_another_field_is_invalid(self):
        assert self.errors_of({"first": "toolong", "second": "bad"}) == {
            "first": ["Ensure this field has no more than 5 characters."],
            "second": ["Not that one."],
        }

    def test_cross_field_rule_sees_valid_values(self):
        assert self.errors_of({"first": "abc", "second": "abc"}) == {
            "second": ["Must differ from first."]
        }

    def test_messages_join_a_fields_own_errors(self):
        class Both(self.PairInput):
            def field_problems(self, values):
                return {"first": ["Also this."]}

        serializer = Both(data={"first": 1, "second": "x"})
        assert not serializer.is_valid()
        assert [str(m) for m in serializer.errors["first"]] == ["Must be a string.", "Also this."]

    def test_valid_input_passes_with_its_values(self):
        serializer = self.PairInput(data={"first": "a", "second": "b", "third": 3})
        assert serializer.is_valid(), serializer.errors
        assert serializer.validated_data == {"first": "a", "second": "b", "third": 3}

    def test_not_an_object_is_a_non_field_error(self):
        assert set(self.errors_of([1, 2])) == {"non_field_errors"}
