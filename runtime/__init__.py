"""The composition root: settings, logging, the wiring that builds everything from the settings,
the HTTP process and the ``ledger`` command (process start)."""
