"""InventoryService (acme.inventory.v1): product availability from an in-memory store."""
