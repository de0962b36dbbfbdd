"""The store adapters: eventsourcing's recorders with our extensions (key vault, sealing mapper,
hash chain, group commit), token storage and database privileges.

The application reaches them only through the protocols of ``application.ports``; the
composition root (``runtime.wiring``) builds them.
"""
