// The lsprules extension: starts `lsprules lsp` (the language server) for .rules files.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const settings = vscode.workspace.getConfiguration("lsprules");
  const [command, ...args] = settings.get("command", ["lsprules", "lsp"]);
  const data = settings.get("data", []);
  client = new LanguageClient(
    "lsprules",
    "lsprules",
    { command, args },
    {
      documentSelector: [{ scheme: "file", language: "lsprules" }],
      initializationOptions: data.length ? { data } : undefined,
    },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
