"""Cursor pagination on every list: stable under inserts, no page counting."""

import binascii
from base64 import b64decode

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"
    ordering = "-id"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Give a whole number from 1 to %(max)s.") % {"max": self.max_page_size}
                    ]
                }
            )
        return int(raw)

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        # DRF's own decoding drops every character outside base64's alphabet, so "%%%" decoded to
        # an empty cursor and served the first page; a cursor we made is strict base64 with a
        # position or an offset in it.
        try:
            text = b64decode(encoded.encode("ascii"), validate=True).decode("ascii")
            cursor = super().decode_cursor(request)
        except (UnicodeError, binascii.Error, ValueError, NotFound):
            cursor = None
        if cursor is None or not text or (not cursor.position and not cursor.offset and not cursor.reverse):
            raise ValidationError(
                {self.cursor_query_param: [_("Invalid cursor: use the “next” or “previous” link of an earlier page.")]}
            )
        return cursor

    def get_paginated_response_schema(self, schema):
        """As DRF's, but `next` and `previous` are always there (null on the first or last page)."""
        return {**super().get_paginated_response_schema(schema), "required": ["next", "previous", "results"]}
