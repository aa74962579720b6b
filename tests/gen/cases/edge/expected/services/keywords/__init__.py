"""Servicers for edge.keywords.v1: run them with ``python -m services.keywords --port 50051``.

Created by ``protokit gen``; this package is yours: gen never overwrites it.
"""
