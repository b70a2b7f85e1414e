"""The `lsprules` command: the typer app (`app.py`) and one module per command, each only its options, help
and exit code around the job of the same name in `jobs/`."""
