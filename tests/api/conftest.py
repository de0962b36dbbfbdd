"""The API fixture (``api``) lives in tests/conftest.py: the reliability tests use it too."""
