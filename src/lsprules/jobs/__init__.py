"""One library function per command (evaluate, check, fmt, diff, explain, test): load, run, render. The CLI and
any other front end call these; nothing here prints or exits.
"""
