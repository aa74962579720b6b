"""Servicers for edge.shapes.v1: run them with ``python -m services.shapes --port 50051``.

Created by ``protokit gen``; this package is yours: gen never overwrites it.
"""
