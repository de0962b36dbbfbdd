"""The application layer: the ``Ledger`` and its commands (one module per aggregate).

A command loads one aggregate, lets it decide, and saves what it decided once. What the Ledger
needs from the store it declares in ``ports`` and receives in its constructor; it imports no
database driver, web framework or store adapter.
"""
