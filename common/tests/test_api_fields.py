"""The strict DRF fields both JSON APIs validate with."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework import serializers

from mpcommon.api_fields import IdField, PriceField, StrictCharField, StrictIntegerField


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
