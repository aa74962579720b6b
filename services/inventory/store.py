"""The in-memory stock of the catalogue, safe to read and change from many threads."""

from __future__ import annotations

import difflib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.common.errors import InvalidArgument, NotFound, Violation

#: The ``resource_type`` named in NOT_FOUND details.
PRODUCT_RESOURCE = "acme.inventory.v1.Product"
MAX_PRODUCT_ID_LENGTH = 128


@dataclass(frozen=True)
class StockRecord:
    """Units of one product per warehouse, and when they were counted."""

    product_id: str
    quantity_by_warehouse: Mapping[str, int]
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def quantity(self) -> int:
        return sum(self.quantity_by_warehouse.values())

    @property
    def available(self) -> bool:
        return self.quantity > 0


class InventoryStore:
    """Stock records keyed by product id."""

    def __init__(self, records: Mapping[str, Mapping[str, int]] | None = None) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, StockRecord] = {}
        for product_id, by_warehouse in (records or {}).items():
            self.set_stock(product_id, by_warehouse)

    @classmethod
    def with_sample_data(cls) -> InventoryStore:
        """A small catalogue for running the example."""
        return cls(
            {
                "sku-1001": {"ams-1": 12, "fra-2": 30},
                "sku-1002": {"ams-1": 0, "fra-2": 0},
                "sku-1003": {"ams-1": 4},
                "sku-2001": {"fra-2": 250, "lis-1": 17},
            }
        )

    def set_stock(self, product_id: str, quantity_by_warehouse: Mapping[str, int]) -> StockRecord:
        """Replace the stock of a product (a recount)."""
        if any(units < 0 for units in quantity_by_warehouse.values()):
            raise ValueError("stock cannot be negative")
        record = StockRecord(product_id, dict(quantity_by_warehouse))
        with self._lock:
            self._records[product_id] = record
        return record

    def get(self, product_id: str) -> StockRecord:
        """The stock of a product: InvalidArgument for a bad id, NotFound for an unknown one."""
        if not product_id.strip():
            raise InvalidArgument([Violation("product_id", "must not be empty")])
        if len(product_id) > MAX_PRODUCT_ID_LENGTH:
            raise InvalidArgument(
                [Violation("product_id", f"must be at most {MAX_PRODUCT_ID_LENGTH} characters")]
            )
        with self._lock:
            record = self._records.get(product_id)
            known = list(self._records)
        if record is None:
            message = f"no product {product_id!r} in the catalogue"
            close = difflib.get_close_matches(product_id, known, n=1)
            if close:
                message += f"; did you mean {close[0]!r}?"
            raise NotFound(PRODUCT_RESOURCE, product_id, message)
        return record
