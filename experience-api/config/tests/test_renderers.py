"""The orjson renderer writes exactly what DRF's JSONRenderer writes."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer

from config.renderers import OrjsonRenderer

UTC = datetime.UTC

VALUES = [
    {"id": 1, "title": "Brass lamp", "price": "12.50", "tags": ["a", "b"], "none": None},
    {"text": 'caf\u00e9 \u2603 \U0001f600 <mark>&amp;</mark> "quoted" back\\slash'},
    {"separators": "line\u2028paragraph\u2029end"},
    {"control": "tab\tnew\nline\x00nul\x1f"},
    {"when": datetime.datetime(2026, 12, 3, 12, 0, 0, 123456, tzinfo=UTC)},
    {"when": datetime.datetime(2026, 12, 3, 12, 0, tzinfo=UTC), "day": datetime.date(2026, 1, 2)},
    {"naive": datetime.datetime(2026, 12, 3, 12, 0, 0, 5), "at": datetime.time(9, 30)},
    {"price": Decimal("12.50"), "uuid": uuid.UUID(int=7)},
    {"lazy": gettext_lazy("This field is required."), "error": ErrorDetail("bad", code="x")},
    {1: "integer key", "nested": {"deep": [1.5, -0.0, 1e300, True, False]}},
    {"big": 2**70},
    [],
    "a bare string",
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_same_bytes_as_drf(value):
    assert OrjsonRenderer().render(value) == JSONRenderer().render(value)


def test_none_renders_nothing():
    assert OrjsonRenderer().render(None) == b""


def test_indent_is_honoured_like_drf():
    media = "application/json; indent=2"
    value = {"a": [1, 2]}
    assert OrjsonRenderer().render(value, media) == JSONRenderer().render(value, media)
