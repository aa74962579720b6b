"""Servicers for acme.inventory.v1: run them with ``python -m services.inventory --port 50051``.

Created by ``protokit gen``; this package is yours: gen never overwrites it.
"""
