/**
 * The language server's wiring: capabilities, document events, diagnostics scheduling (debounced while
 * typing, immediate on open, verifier results on save) and one handler per capability, each delegating to
 * its module under features/. A handler that fails logs the error and answers with an empty result: the
 * server never goes down because of one request.
 */
import { compile } from '@writ/compiler';
import type { Connection, Diagnostic, InitializeResult } from 'vscode-languageserver';
import { CodeActionKind, createConnection, ProposedFeatures, TextDocumentSyncKind } from './protocol.js';
import type { PolicyAnalysis } from './analysis/analysis.js';
import { Analyzer } from './analysis/analyzer.js';
import { codeActions } from './features/code-actions.js';
import { completions } from './features/completion.js';
import { diagnosticsByUri } from './features/diagnostics.js';
import { formatDocument } from './features/formatting.js';
import { hover } from './features/hover.js';
import { definition, prepareRename, references, rename } from './features/navigation.js';
import { documentSymbols, foldingRanges } from './features/outline.js';
import { LEGEND, semanticTokens } from './features/semantic-tokens.js';
import { signatureHelp } from './features/signature-help.js';
import { shutdownVerifier, verifyArtifact, type VerifyOutcome } from './features/verify.js';
import { offsetAt } from './positions.js';
import { createDocuments } from './workspace/documents.js';
import { uriToPath } from './workspace/paths.js';
import { Workspace, type PolicyRef } from './workspace/policies.js';

/** Settings, from the server's caller or the client's `initializationOptions`. */
export interface ServerOptions {
  /** Delay between the last keystroke and diagnostics, ms (default 150). */
  debounceMs?: number;
  /** Run the verifier when a file is saved (default true). */
  verifyOnSave?: boolean;
  /** Per solver query, ms (default 10 000). */
  verifyTimeoutMs?: number;
}

/** Sent after each verification on save: `{ uri, digest, failed, ms, error? }`. */
export const VERIFICATION_NOTIFICATION = 'writ/verification';

/** Registers every handler on `connection` and starts listening. */
export function createServer(connection: Connection, defaults: ServerOptions = {}): void {
  const documents = createDocuments(connection);
  const workspace = new Workspace(documents);
  const analyzers = new Map<string, Analyzer>();
  const dirty = new Set<string>();
  const timers = new Map<string, NodeJS.Timeout>();
  const published = new Map<string, Set<string>>();
  /** The verifier's results per policy, with the texts they are about: shown while the texts are unchanged. */
  const verified = new Map<string, VerifyOutcome & { texts: Array<{ name: string; text: string }> }>();
  const sameTexts = (texts: Array<{ name: string; text: string }>, a: PolicyAnalysis): boolean =>
    texts.length === a.files.length && texts.every((t, i) => a.files[i]?.name === t.name && a.files[i]?.text === t.text);
  const verifying = new Map<string, Promise<void>>();
  let options: Required<ServerOptions> = { debounceMs: 150, verifyOnSave: true, verifyTimeoutMs: 10_000, ...defaults };

  const log = (e: unknown): void => connection.console.error(`writ-lsp: ${(e as Error)?.stack ?? String(e)}`);
  function guard<A extends unknown[], R>(fallback: R, f: (...args: A) => R): (...args: A) => R {
    return (...args: A) => {
      try {
        return f(...args);
      } catch (e) {
        if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'number') throw e; // a ResponseError
        log(e);
        return fallback;
      }
    };
  }

  function analysis(ref: PolicyRef): PolicyAnalysis {
    let an = analyzers.get(ref.key);
    if (!an) {
      an = new Analyzer();
      analyzers.set(ref.key, an);
    }
    if (!an.latest || dirty.has(ref.key)) {
      dirty.delete(ref.key);
      return an.analyse({ ref, files: workspace.files(ref) });
    }
    return an.latest;
  }

  const analysisOf = (uri: string): PolicyAnalysis => analysis(workspace.policyOf(uri));

  function publish(ref: PolicyRef): void {
    timers.delete(ref.key);
    const a = analysis(ref);
    const byUri = diagnosticsByUri(a);
    const v = verified.get(ref.key);
    if (v && sameTexts(v.texts, a)) {
      for (const [name, ds] of v.byFile) {
        const uri = a.uriOfName(name);
        if (uri) byUri.get(uri)?.push(...ds);
      }
    }
    const before = published.get(ref.key) ?? new Set<string>();
    for (const uri of before) if (!byUri.has(uri)) void connection.sendDiagnostics({ uri, diagnostics: [] });
    for (const [uri, diagnostics] of byUri) void connection.sendDiagnostics({ uri, version: documents.get(uri)?.version, diagnostics });
    published.set(ref.key, new Set(byUri.keys()));
  }

  function schedule(ref: PolicyRef, delay: number): void {
    dirty.add(ref.key);
    const t = timers.get(ref.key);
    if (t) clearTimeout(t);
    if (delay <= 0) {
      guard(undefined, publish)(ref);
      return;
    }
    timers.set(
      ref.key,
      setTimeout(() => guard(undefined, publish)(ref), delay),
    );
  }

  async function verifyOnSave(uri: string): Promise<void> {
    const ref = workspace.policyOf(uri);
    const running = verifying.get(ref.key);
    if (running) await running;
    const run = (async () => {
      const a = analysis(ref);
      const texts = a.files.map((f) => ({ name: f.name, text: f.text }));
      const artifact = compile(texts.map((f) => ({ file: f.name, text: f.text }))).artifact;
      if (!artifact) return;
      const t0 = performance.now();
      const outcome = await verifyArtifact(artifact, (name) => analysis(ref).uriOfName(name), options.verifyTimeoutMs);
      verified.set(ref.key, { ...outcome, texts });
      if (outcome.error) connection.console.warn(`writ-lsp: verification failed to run: ${outcome.error}`);
      const failed = [...outcome.byFile.values()].reduce((n, ds) => n + ds.length, 0);
      void connection.sendNotification(VERIFICATION_NOTIFICATION, { uri, digest: outcome.digest, failed, ms: Math.round(performance.now() - t0), ...(outcome.error ? { error: outcome.error } : {}) });
      guard(undefined, publish)(ref);
    })().catch(log);
    verifying.set(ref.key, run);
    await run;
    if (verifying.get(ref.key) === run) verifying.delete(ref.key);
  }

  connection.onInitialize((params): InitializeResult => {
    const folders = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
    workspace.setFolders(folders);
    const init = (params.initializationOptions ?? {}) as ServerOptions;
    options = {
      ...options,
      ...(typeof init.debounceMs === 'number' ? { debounceMs: init.debounceMs } : {}),
      ...(typeof init.verifyOnSave === 'boolean' ? { verifyOnSave: init.verifyOnSave } : {}),
      ...(typeof init.verifyTimeoutMs === 'number' ? { verifyTimeoutMs: init.verifyTimeoutMs } : {}),
    };
    return {
      serverInfo: { name: 'writ-lsp', version: '0.1.0' },
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        hoverProvider: true,
        completionProvider: { triggerCharacters: ['.', ' ', '(', ',', '['] },
        signatureHelpProvider: { triggerCharacters: ['(', ','], retriggerCharacters: [' '] },
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        foldingRangeProvider: true,
        semanticTokensProvider: { legend: LEGEND, full: true },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        documentFormattingProvider: true,
      },
    };
  });

  // TextDocuments reports an open as an open followed by a content change: the open publishes at once, and
  // the content change that comes with it is skipped.
  const justOpened = new Set<string>();
  documents.onDidOpen((e) => {
    workspace.noteUri(e.document.uri);
    const p = uriToPath(e.document.uri);
    if (p) workspace.invalidate(p);
    justOpened.add(e.document.uri);
    schedule(workspace.policyOf(e.document.uri), 0);
  });
  documents.onDidChangeContent((e) => {
    if (justOpened.delete(e.document.uri)) return;
    schedule(workspace.policyOf(e.document.uri), options.debounceMs);
  });
  documents.onDidClose((e) => {
    const p = uriToPath(e.document.uri);
    if (p) workspace.invalidate(p);
    const ref = workspace.policyOf(e.document.uri);
    if (!ref.root) {
      void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
      published.delete(ref.key);
      analyzers.delete(ref.key);
      return;
    }
    schedule(ref, options.debounceMs);
  });
  documents.onDidSave((e) => {
    const p = uriToPath(e.document.uri);
    if (p) workspace.invalidate(p);
    if (options.verifyOnSave) void verifyOnSave(e.document.uri);
  });
  connection.onDidChangeWatchedFiles(() => {
    workspace.invalidate();
    for (const key of analyzers.keys()) dirty.add(key);
    for (const doc of documents.all()) schedule(workspace.policyOf(doc.uri), options.debounceMs);
  });

  const textOf = (uri: string): string => documents.get(uri)?.getText() ?? '';

  connection.onHover(guard(null, (p) => hover(analysisOf(p.textDocument.uri), p.textDocument.uri, textOf(p.textDocument.uri), p.position)));
  connection.onCompletion(
    guard([], (p) => {
      const text = textOf(p.textDocument.uri);
      return completions(analysisOf(p.textDocument.uri), text, offsetAt(text, p.position));
    }),
  );
  connection.onSignatureHelp(
    guard(null, (p) => {
      const text = textOf(p.textDocument.uri);
      return signatureHelp(text, offsetAt(text, p.position));
    }),
  );
  connection.onDefinition(guard([], (p) => definition(analysisOf(p.textDocument.uri), p.textDocument.uri, p.position)));
  connection.onReferences(guard([], (p) => references(analysisOf(p.textDocument.uri), p.textDocument.uri, p.position, p.context.includeDeclaration)));
  connection.onPrepareRename(guard(null, (p) => prepareRename(analysisOf(p.textDocument.uri), p.textDocument.uri, p.position)));
  connection.onRenameRequest(guard(null, (p) => rename(analysisOf(p.textDocument.uri), p.textDocument.uri, p.position, p.newName)));
  connection.onDocumentSymbol(
    guard([], (p) => {
      const ast = analysisOf(p.textDocument.uri).ast(p.textDocument.uri);
      return ast ? documentSymbols(ast) : [];
    }),
  );
  connection.onFoldingRanges(guard([], (p) => foldingRanges(analysisOf(p.textDocument.uri).ast(p.textDocument.uri), textOf(p.textDocument.uri))));
  connection.languages.semanticTokens.on(guard({ data: [] }, (p) => semanticTokens(analysisOf(p.textDocument.uri), p.textDocument.uri, textOf(p.textDocument.uri))));
  connection.onCodeAction(guard([], (p) => codeActions(analysisOf(p.textDocument.uri), p.textDocument.uri, textOf(p.textDocument.uri), p.context.diagnostics as Diagnostic[])));
  connection.onDocumentFormatting(guard([], (p) => formatDocument(textOf(p.textDocument.uri))));

  connection.onShutdown(async () => {
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
    await shutdownVerifier();
  });

  connection.listen();
}

/** Starts the server on standard input and output (the default), or as the client's arguments say. */
export function startServer(options: ServerOptions = {}): void {
  const argv = process.argv;
  const connection =
    argv.some((a) => a === '--node-ipc' || a.startsWith('--socket') || a.startsWith('--pipe'))
      ? createConnection(ProposedFeatures.all)
      : createConnection(ProposedFeatures.all, process.stdin, process.stdout);
  createServer(connection, options);
}
