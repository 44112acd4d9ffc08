"""Self-tests of the grader: `uv run pytest selftests` (the README's test command runs them too)."""
