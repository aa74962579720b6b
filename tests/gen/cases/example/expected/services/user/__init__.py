"""Servicers for acme.user.v1: run them with ``python -m services.user --port 50051``.

Created by ``protokit gen``; this package is yours: gen never overwrites it.
"""
