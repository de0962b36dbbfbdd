"""The HTTP API (FastAPI) for advisers, supervisors, DPOs and admins; contract in API.md."""
