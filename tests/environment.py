"""Loaded as a pytest plugin (``-p tests.environment`` in pyproject's addopts), before
pytest-django reads the settings — a conftest.py is imported only after it has: the tests run
with the demo and bench apps installed, however pytest is started."""

import os

os.environ["KEYPROJECTS_DEMO"] = "1"
