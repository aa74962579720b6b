"""Servicers for acme.analytics.v1: run them with ``python -m services.analytics --port 50051``.

Created by ``protokit gen``; this package is yours: gen never overwrites it.
"""
