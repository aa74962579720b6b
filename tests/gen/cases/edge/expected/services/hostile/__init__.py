"""Servicers for edge.hostile.v1: run them with ``python -m services.hostile --port 50051``.

Created by ``protokit gen``; this package is yours: gen never overwrites it.
"""
