"""Servicers for edge.modern.v1: run them with ``python -m services.modern --port 50051``.

Created by ``protokit gen``; this package is yours: gen never overwrites it.
"""
