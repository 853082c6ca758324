"""Where media objects live: the ``photos_blob`` table (docs/selling-and-buying.md says
why). The only module that knows it; an object store would replace these three functions.

Objects are immutable and named by the SHA-256 of their bytes, so storing the same bytes
twice is a no-op and a key is valid forever. Both writers lock the blob rows they touch:
:func:`put` (the row it inserts or finds) and :func:`purge_unused` (the rows it may
delete), so a purge can never delete an object another transaction is starting to use.
"""

from __future__ import annotations

import hashlib

from django.db import connection

from photos.models import Blob


def key_for(data: bytes, extension: str) -> str:
    return f"{hashlib.sha256(data).hexdigest()}.{extension}"


def put(data: bytes, *, content_type: str, extension: str) -> str:
    """Store ``data`` (inside the caller's transaction); its key."""
    key = key_for(data, extension)
    with connection.cursor() as cursor:
        # DO UPDATE (a no-op change), not DO NOTHING: it locks an existing row, so a
        # concurrent purge_unused waits for this transaction and then sees the new use.
        cursor.execute(
            "INSERT INTO photos_blob (key, content_type, data, size, created_at) "
            "VALUES (%s, %s, %s, %s, now()) "
            "ON CONFLICT (key) DO UPDATE SET size = EXCLUDED.size",
            [key, content_type, data, len(data)],
        )
    return key


def get(key: str) -> tuple[bytes, str] | None:
    """The bytes and content type of ``key``, or None."""
    row = Blob.objects.filter(key=key).values_list("data", "content_type").first()
    if row is None:
        return None
    return bytes(row[0]), row[1]


def purge_unused(keys) -> int:
    """Delete the objects among ``keys`` no photo points to any more; how many."""
    keys = sorted(set(filter(None, keys)))
    if not keys:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT key FROM photos_blob WHERE key = ANY(%s) ORDER BY key FOR UPDATE", [keys]
        )
        cursor.execute(
            "DELETE FROM photos_blob AS b WHERE b.key = ANY(%s) AND NOT EXISTS ("
            " SELECT 1 FROM photos_photo AS p WHERE p.original_key = b.key"
            " OR p.card_key = b.key OR p.detail_key = b.key)",
            [keys],
        )
        return cursor.rowcount
