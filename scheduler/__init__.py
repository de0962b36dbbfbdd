"""Scheduled jobs (APScheduler) that read views and answer with Ledger commands."""
