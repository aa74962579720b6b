"""Server plumbing every service shares: options, config, token auth, TLS, access log, rich
errors, graceful drain, health and reflection (sync and asyncio servers).

Created by ``protokit gen``; this package is yours: gen never overwrites it.
"""
