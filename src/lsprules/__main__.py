"""`python -m lsprules`: the same as the `lsprules` command."""

from .cli import main

main()
