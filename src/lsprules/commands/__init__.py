"""One module per `lsprules` command; `cli.py` registers them on the app."""
