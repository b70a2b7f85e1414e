"""The language server (`lsprules lsp`): the rule language in an editor, on pygls, beside the CLI."""
