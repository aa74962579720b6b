"""Servicers for edge.capitals.v1: run them with ``python -m services.capitals --port 50051``.

Created by ``protokit gen``; this package is yours: gen never overwrites it.
"""
