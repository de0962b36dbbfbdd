"""The scheduler: jobs that read what falls due from the views and answer with Ledger commands.

Every job is a plain object whose ``tick(now)`` does one pass and says what it did; APScheduler
only triggers it (``scheduler.runner``), and only in the process that holds the leader lock.
Alerts are raised once per (subject, kind, threshold, level): their id is derived from these, so
a second tick, a second process or a catch-up after downtime records nothing twice.
"""
