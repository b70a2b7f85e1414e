"""`python -m lsprules`, and the `lsprules` command's entry point: the same program.

Ctrl-C stops every command with `interrupted` and exit 130 (cli/app.py), but the program first spends some 50 ms
importing typer and the commands, before that handling is in place: this module, which imports nothing heavy, holds
those imports inside it too, so that no Ctrl-C shows a traceback.
"""

from lsprules.core.interrupts import notice_ctrl_c, stop_interrupted


def main() -> None:
    """Run the `lsprules` command (cli/app.main), Ctrl-C while it loads included."""
    try:
        notice_ctrl_c()
        from lsprules.cli.app import main as run

        run()
    except KeyboardInterrupt:  # before run() catches it, or in the instant after it has
        stop_interrupted()


if __name__ == "__main__":
    main()
