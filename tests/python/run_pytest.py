"""Runs pytest on the given arguments; exit code 77 (CTest's skip) when pytest is missing."""

import sys

try:
    import pytest
except ImportError:
    print(f"SKIP: pytest is not installed for {sys.executable} (Debian: python3-pytest)")
    sys.exit(77)

sys.exit(pytest.main(sys.argv[1:]))
