"""The composition root: settings, logging, the store (key vault, hash chain) and the CLI."""
