"""The API's pagination: DRF's limit/offset with a ceiling on `limit`.

Without `max_limit`, `?limit=9223372036854775808` went into the SQL LIMIT and
overflowed the database's integer (a 500 on every list endpoint); any limit
above MAX_LIMIT now gives MAX_LIMIT items, as DRF documents for `max_limit`.
A huge `offset` needs no ceiling: past the end DRF answers an empty page
without querying.
"""

from __future__ import annotations

from rest_framework import pagination

MAX_LIMIT = 500


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    max_limit = MAX_LIMIT
