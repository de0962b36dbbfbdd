"""The ledger's domain: aggregates, their events, pure rules and the Ledger service layer.

Plain Python plus eventsourcing: no web framework, database driver, logging or environment.
"""
