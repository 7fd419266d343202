"""Pagination for lists that may match millions of rows."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedPaginator(Paginator):
    """Pages over the first `cap` items at most. Counting every match of a search over millions of
    rows reads every one of them; this count stops after `cap` + 1 (`capped` tells whether more
    matched), so the first page costs the same however much data there is."""

    def __init__(self, object_list, per_page, *, cap: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def _counted(self) -> int:
        return self.object_list.order_by()[: self.cap + 1].count()  # any cap + 1 of them: no sort

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        return self._counted > self.cap
