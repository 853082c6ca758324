"""Cache entries written by orjson read back exactly as django-redis's JSON ones do."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils.translation import gettext_lazy
from django_redis.serializers.json import JSONSerializer

from caching.serializers import OrjsonSerializer

VALUES = [
    {"value": {"results": [{"id": 1, "title": "Lamp", "price": "12.50"}]}, "fresh_until": 1.5},
    {"text": 'caf\u00e9 \u2028 \U0001f600 <b>&</b> "q" \\', "none": None, "flag": False},
    {"when": datetime.datetime(2026, 12, 3, 12, 0, 0, 123456, tzinfo=datetime.UTC)},
    {"day": datetime.date(2026, 1, 2), "at": datetime.time(9, 30, 15)},
    {"price": Decimal("12.50"), "id": uuid.UUID(int=9), "lazy": gettext_lazy("Hello")},
    {"generation": 1764763200123456789, "nested": [[1, 2.25], {"a": -0.5}]},
    "plain",
    12,
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_reads_back_what_the_json_serializer_reads_back(value):
    json_serializer, fast = JSONSerializer({}), OrjsonSerializer({})
    expected = json_serializer.loads(json_serializer.dumps(value))
    assert fast.loads(fast.dumps(value)) == expected
    # Entries are interchangeable both ways (a rolling restart mixes writers).
    assert fast.loads(json_serializer.dumps(value)) == expected
    assert json_serializer.loads(fast.dumps(value)) == expected


def test_the_cache_uses_it_on_real_redis():
    assert isinstance(cache.client._serializer, OrjsonSerializer)
    entry = {"value": {"title": "caf\u00e9", "price": Decimal("3.10")}, "fresh_until": 2.0}
    cache.set("serializer-test", entry, timeout=30)
    try:
        assert cache.get("serializer-test") == {
            "value": {"title": "caf\u00e9", "price": "3.10"},
            "fresh_until": 2.0,
        }
    finally:
        cache.delete("serializer-test")
