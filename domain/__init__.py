"""The ledger's domain: aggregates, their events, pure rules and errors.

Plain Python plus ``eventsourcing.domain`` and ``holidays``: no web framework, database driver,
logging or environment (checked by ``make lint`` and ``tests/test_layers.py``).
"""
