"""The language server on pygls: each LSP request turned into a question to the open document (lsp/document),
its answer turned into LSP types. Positions travel in UTF-16 code units, as LSP counts them by default."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from lsprules import __version__
from lsprules.analysis.suppressions import selected
from lsprules.core.config import Config, load_config
from lsprules.core.diagnostics import Diagnostic, InputError, Severity
from lsprules.core.source import Span, normalise_newlines
from lsprules.lsp.completion import offers
from lsprules.lsp.document import Definition, Document, Word
from lsprules.lsp.hover import hover_text

SEVERITIES = {Severity.ERROR: types.DiagnosticSeverity.Error, Severity.WARNING: types.DiagnosticSeverity.Warning}
COMPLETION_KINDS = {"keyword": types.CompletionItemKind.Keyword, "band": types.CompletionItemKind.EnumMember,
                    "indicator": types.CompletionItemKind.Variable, "profile": types.CompletionItemKind.Class,
                    "group": types.CompletionItemKind.Module, "theme": types.CompletionItemKind.Module}
SYMBOL_KINDS = {"profile": types.SymbolKind.Class, "indicator": types.SymbolKind.Variable,
                "group": types.SymbolKind.Namespace, "theme": types.SymbolKind.Module,
                "comparator": types.SymbolKind.Constant}
_DID_YOU_MEAN = re.compile(r"did you mean '([^']+)'\?")


class RulesServer(LanguageServer):
    """The lsprules language server: the open rule files, each checked once per change."""

    def __init__(self) -> None:
        super().__init__("lsprules", __version__)
        self.documents: dict[str, Document] = {}
        self.data: list[Path] | None = None  # datasets named by the editor (initializationOptions)

    def document(self, uri: str) -> Document:
        """The document as the editor holds it now, checked (once per version of its text)."""
        text = self.workspace.get_text_document(uri).source
        known = self.documents.get(uri)
        if known is None or known.source.text != normalise_newlines(text):
            known = self.documents[uri] = Document.of(uri, _path(uri), text)
        return known

    def settings(self, uri: str) -> Config:
        """The settings nearest to the file (none when they cannot be read: `check` reports that)."""
        try:
            return load_config(Path(_path(uri)).parent)
        except InputError:
            return Config()

    def datasets(self, uri: str) -> list[Path]:
        """The datasets for hovers: from the editor's settings, else the nearest lsprules configuration."""
        return self.data if self.data is not None else list(self.settings(uri).data)


server = RulesServer()


def _path(uri: str) -> str:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri


# --- positions ----------------------------------------------------------------------------------------------


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def position(document: Document, line: int, column: int) -> types.Position:
    """An LSP position from a 1-based line and column in characters."""
    text = document.lines[line - 1] if 0 < line <= len(document.lines) else ""
    return types.Position(line - 1, _utf16(text[:column - 1]))


def span_range(document: Document, span: Span) -> types.Range:
    """The LSP range of a span."""
    return types.Range(position(document, span.line, span.column), position(document, span.end_line,
                                                                              span.end_column))


def word_range(document: Document, word: Word) -> types.Range:
    """The LSP range of a word."""
    return types.Range(position(document, *document.position(word.start)),
                       position(document, *document.position(word.end)))


def offset_of(document: Document, at: types.Position) -> int:
    """The character offset of an LSP position."""
    text = document.lines[at.line] if at.line < len(document.lines) else ""
    column, units = 0, 0
    while column < len(text) and units < at.character:
        units += _utf16(text[column])
        column += 1
    return document.offset(at.line + 1, column + 1)


# --- diagnostics --------------------------------------------------------------------------------------------


def lsp_diagnostic(document: Document, d: Diagnostic) -> types.Diagnostic:
    """A diagnostic of `check` as LSP has it: the same code, span, message and hint."""
    span = d.span or Span(document.source.name, 1, 1, 1, 1)
    message = d.message + (f"\nhelp: {d.hint}" if d.hint else "")
    return types.Diagnostic(span_range(document, span), message, SEVERITIES[d.severity], code=d.code,
                            source="lsprules")


def publish(ls: RulesServer, uri: str) -> None:
    """Send the document's diagnostics to the editor: those `check` shows, with the codes the settings select."""
    document, settings = ls.document(uri), ls.settings(uri)
    shown = [d for d in document.diagnostics if selected(d.code, settings.select, settings.ignore)]
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
        uri, [lsp_diagnostic(document, d) for d in shown]))


@server.feature(types.INITIALIZE)
def initialize(ls: RulesServer, params: types.InitializeParams) -> None:
    """Take the datasets for hovers from the editor's settings: {"data": ["datasets/x.yaml"]}."""
    options = params.initialization_options
    if isinstance(options, dict) and isinstance(options.get("data"), list):
        ls.data = [Path(str(p)) for p in options["data"]]


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: RulesServer, params: types.DidOpenTextDocumentParams) -> None:
    """Check a file when it is opened."""
    publish(ls, params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: RulesServer, params: types.DidChangeTextDocumentParams) -> None:
    """Check a file as it is typed."""
    publish(ls, params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: RulesServer, params: types.DidCloseTextDocumentParams) -> None:
    """Forget a closed file and clear its diagnostics."""
    ls.documents.pop(params.text_document.uri, None)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(params.text_document.uri, []))


# --- names --------------------------------------------------------------------------------------------------


def _word(ls: RulesServer, uri: str, at: types.Position) -> tuple[Document, Word | None]:
    document = ls.document(uri)
    return document, document.word_at(offset_of(document, at))


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: RulesServer, params: types.HoverParams) -> types.Hover | None:
    """An indicator's resolved settings and latest assessment; a profile's, group's or theme's summary."""
    document, word = _word(ls, params.text_document.uri, params.position)
    if word is None:
        return None
    text = hover_text(document, word.text, ls.datasets(params.text_document.uri))
    if text is None:
        return None
    return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, text), word_range(document, word))


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
def definition(ls: RulesServer, params: types.DefinitionParams) -> types.Location | None:
    """Where the indicator, profile, group or theme under the cursor is defined."""
    document, word = _word(ls, params.text_document.uri, params.position)
    found = document.definition_of(word.text) if word else None
    if found is None:
        return None
    return types.Location(params.text_document.uri, word_range(document, found.name))


@server.feature(types.TEXT_DOCUMENT_REFERENCES)
def references(ls: RulesServer, params: types.ReferenceParams) -> list[types.Location]:
    """Every place the name under the cursor is written (with its definition when the editor asks)."""
    document, word = _word(ls, params.text_document.uri, params.position)
    if word is None:
        return []
    found = document.definition_of(word.text)
    return [types.Location(params.text_document.uri, word_range(document, w)) for w in document.occurrences(word.text)
            if params.context.include_declaration or found is None or w != found.name]


@server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
def prepare_rename(ls: RulesServer, params: types.PrepareRenameParams) -> types.Range | None:
    """Only an indicator's id can be renamed."""
    document, word = _word(ls, params.text_document.uri, params.position)
    found = document.definition_of(word.text) if word else None
    if word is None or found is None or found.kind != "indicator":
        return None
    return word_range(document, word)


@server.feature(types.TEXT_DOCUMENT_RENAME)
def rename(ls: RulesServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
    """Rename an indicator everywhere in the file: its definition and every use."""
    document, word = _word(ls, params.text_document.uri, params.position)
    found = document.definition_of(word.text) if word else None
    if word is None or found is None or found.kind != "indicator":
        return None
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", params.new_name) or document.definition_of(params.new_name):
        raise ValueError(f"'{params.new_name}' is not a free id: ids are letters, digits and _, and unique")
    edits = [types.TextEdit(word_range(document, w), params.new_name) for w in document.occurrences(word.text)]
    return types.WorkspaceEdit(changes={params.text_document.uri: edits})


# --- editing ------------------------------------------------------------------------------------------------


@server.feature(types.TEXT_DOCUMENT_COMPLETION)
def completion(ls: RulesServer, params: types.CompletionParams) -> types.CompletionList:
    """Keywords of the block the cursor is in, band names inside `rag {}`, and the file's names."""
    document = ls.document(params.text_document.uri)
    items = [types.CompletionItem(o.label, kind=COMPLETION_KINDS.get(o.kind), detail=o.detail or None)
             for o in offers(document, offset_of(document, params.position))]
    return types.CompletionList(is_incomplete=False, items=items)


@server.feature(types.TEXT_DOCUMENT_FORMATTING)
def formatting(ls: RulesServer, params: types.DocumentFormattingParams) -> list[types.TextEdit] | None:
    """The whole file in `lsprules fmt`'s layout (nothing when it does not parse)."""
    from lsprules.jobs.fmt import format_source

    document = ls.document(params.text_document.uri)
    try:
        text = format_source(document.source)
    except InputError:
        return None
    if text == document.source.text:
        return []
    end = position(document, len(document.lines), len(document.lines[-1]) + 1)
    return [types.TextEdit(types.Range(types.Position(0, 0), end), text)]


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def document_symbols(ls: RulesServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
    """The outline: profiles, groups (with their indicators), indicators, themes and comparators."""
    document = ls.document(params.text_document.uri)

    def symbol(d: Definition) -> types.DocumentSymbol:
        span = d.item.span if d.item is not None else None
        whole = span_range(document, span) if span is not None else word_range(document, d.name)
        title = getattr(d.item, "title", None)
        return types.DocumentSymbol(d.name.text, SYMBOL_KINDS[d.kind], whole, word_range(document, d.name),
                                    detail=title or d.kind,
                                    children=[symbol(c) for c in d.children] or None)

    return [symbol(d) for d in document.definitions]


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
def code_actions(ls: RulesServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """Quick fixes for the 'did you mean' hints: replace the misspelt name with the one suggested."""
    document = ls.document(params.text_document.uri)
    start, end = offset_of(document, params.range.start), offset_of(document, params.range.end)
    actions = []
    for d in document.diagnostics:
        match = _DID_YOU_MEAN.search(d.hint or "")
        if match is None or d.span is None:
            continue
        first, last = document.offset(d.span.line, d.span.column), document.offset(d.span.end_line, d.span.end_column)
        if last < start or first > end:
            continue
        word = _misspelt(document, first, last, match.group(1))
        if word is None:
            continue
        edit = types.TextEdit(word_range(document, word), match.group(1))
        actions.append(types.CodeAction(f"Change '{word.text}' to '{match.group(1)}'", types.CodeActionKind.QuickFix,
                                        diagnostics=[lsp_diagnostic(document, d)], is_preferred=True,
                                        edit=types.WorkspaceEdit(changes={params.text_document.uri: [edit]})))
    return actions


def _misspelt(document: Document, first: int, last: int, suggestion: str) -> Word | None:
    """The word in a diagnostic's span that the suggestion would replace: the closest one to it."""
    import difflib

    inside = [w for w in document.words if first <= w.start and w.end <= max(last, first + 1) and w.text != suggestion]
    scored = [(difflib.SequenceMatcher(None, w.text, suggestion).ratio(), w) for w in inside]
    best = max(scored, key=lambda pair: pair[0], default=None)
    return best[1] if best is not None and best[0] >= 0.6 else None


def serve() -> None:
    """Talk LSP on standard input and output until the editor says exit."""
    server.start_io()
