"""`python -m lsprules`: the same as the `lsprules` command."""

from lsprules.cli.app import main

main()
