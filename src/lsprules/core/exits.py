"""Exit codes, the same for every command: 0 ok, 1 findings, 2 usage or input error, 130 stopped by Ctrl-C."""

EXIT_OK = 0
EXIT_FINDINGS = 1  # failed checks or tests, unformatted files, a diff with changes when asked
EXIT_ERROR = 2  # a usage error or an input that cannot be read
EXIT_INTERRUPTED = 130  # 128 + SIGINT: stopped by Ctrl-C, as a shell reports a command that SIGINT stopped
