/**
 * The open documents, kept in step with the client by incremental synchronisation
 * (vscode-languageserver-textdocument applies each change).
 */
import type { Connection } from 'vscode-languageserver';
import { TextDocuments } from '../protocol.js';
import { TextDocument } from 'vscode-languageserver-textdocument';

export type Documents = TextDocuments<TextDocument>;

/** Creates the document store and connects it to the client's didOpen/didChange/didClose notifications. */
export function createDocuments(connection: Connection): Documents {
  const documents = new TextDocuments(TextDocument);
  documents.listen(connection);
  return documents;
}
