// The NOMA extension: starts `noma lsp` for .noma files and adds Run / Check / Build
// Executable / Format commands that run the same `noma` in a terminal.
'use strict';

const path = require('path');
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

// The noma executable: the `noma.path` setting, else `noma` from PATH.
function nomaPath() {
  const configured = vscode.workspace.getConfiguration('noma').get('path');
  return configured && configured.trim() !== '' ? configured.trim() : 'noma';
}

function quote(arg) {
  return /^[A-Za-z0-9_\/.,:=+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

async function startServer(context) {
  if (!vscode.workspace.getConfiguration('noma').get('server.enabled')) return;
  const command = nomaPath();
  client = new LanguageClient(
    'noma',
    'NOMA language server',
    { command, args: ['lsp'] },
    {
      documentSelector: [
        { scheme: 'file', language: 'noma' },
        { scheme: 'untitled', language: 'noma' },
      ],
    });
  try {
    await client.start();
  } catch (error) {
    client = undefined;
    vscode.window.showErrorMessage(
      `Could not start '${command} lsp' (${error.message}). Set "noma.path" to the noma ` +
      'executable, or put noma on PATH.');
  }
}

async function stopServer() {
  if (client) {
    const stopping = client;
    client = undefined;
    await stopping.stop();
  }
}

// Saves the active .noma file and runs `noma SUBCOMMAND FILE ARGS...` in a terminal beside it.
async function runInTerminal(subcommand, extraArgs) {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== 'noma') {
    vscode.window.showWarningMessage('Open a .noma file first.');
    return;
  }
  const document = editor.document;
  if (document.isUntitled) {
    vscode.window.showWarningMessage('Save the program to a file first.');
    return;
  }
  if (document.isDirty) await document.save();
  const file = document.uri.fsPath;
  const args = [nomaPath(), subcommand, file, ...extraArgs(file)];
  let terminal = vscode.window.terminals.find((t) => t.name === 'NOMA');
  if (!terminal) terminal = vscode.window.createTerminal({ name: 'NOMA', cwd: path.dirname(file) });
  terminal.show(true);
  terminal.sendText(args.map(quote).join(' '));
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('noma.run', () => runInTerminal('run', () => [])),
    vscode.commands.registerCommand('noma.check', () => runInTerminal('check', () => ['--shapes'])),
    vscode.commands.registerCommand('noma.buildExe', () =>
      runInTerminal('build-exe', (file) => ['-o', file.replace(/\.noma$/, '')])),
    vscode.commands.registerCommand('noma.format', () =>
      vscode.commands.executeCommand('editor.action.formatDocument')),
    vscode.commands.registerCommand('noma.restartServer', async () => {
      await stopServer();
      await startServer(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration('noma.path') ||
          event.affectsConfiguration('noma.server.enabled')) {
        await stopServer();
        await startServer(context);
      }
    }),
  );
  await startServer(context);
}

function deactivate() {
  return stopServer();
}

module.exports = { activate, deactivate };
