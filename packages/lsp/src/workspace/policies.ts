/**
 * Which files make up a policy. A policy is the `.writ` files under a *policy root*: the nearest directory,
 * from the file's own directory up to its workspace folder, that directly holds a file with the `policy`
 * header; without one, the file's own directory. Files under the root belong to it, except those under a
 * sub-directory that is a policy root itself. Open documents override the disk; a buffer that is not a
 * file (an untitled one) is a policy on its own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Documents } from './documents.js';
import { pathToUri, relativeName, uriToPath } from './paths.js';

/** One file of a policy. */
export interface PolicyFile {
  uri: string;
  /** Name used in spans: relative to the policy root. */
  name: string;
  text: string;
}

/** A policy: its key (the root directory, or the URI of a lone buffer) and its files. */
export interface PolicyRef {
  key: string;
  root: string | undefined;
}

const HEADER = /^\s*policy\s+"/m;
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git']);

export class Workspace {
  private folders: string[] = [];
  private readonly diskText = new Map<string, string | undefined>();
  private readonly dirListing = new Map<string, string[]>();
  /** Maps file paths to the URI the client uses for them, so diagnostics go to the URI it knows. */
  private readonly clientUris = new Map<string, string>();

  constructor(private readonly documents: Documents) {}

  setFolders(uris: readonly string[]): void {
    this.folders = uris.map(uriToPath).filter((p): p is string => !!p);
  }

  /** Forgets cached disk state (after files change on disk). */
  invalidate(file?: string): void {
    if (file) {
      this.diskText.delete(file);
      this.dirListing.delete(path.dirname(file));
    } else {
      this.diskText.clear();
      this.dirListing.clear();
    }
  }

  /** Records the URI spelling the client uses for a document. */
  noteUri(uri: string): void {
    const p = uriToPath(uri);
    if (p) this.clientUris.set(p, uri);
  }

  uriForPath(p: string): string {
    return this.clientUris.get(p) ?? pathToUri(p);
  }

  /** The policy a document belongs to. */
  policyOf(uri: string): PolicyRef {
    const file = uriToPath(uri);
    if (!file) return { key: uri, root: undefined };
    const dir = path.dirname(file);
    const folder = this.folders.filter((f) => dir === f || dir.startsWith(f + path.sep)).sort((a, b) => b.length - a.length)[0];
    for (let d = dir; ; d = path.dirname(d)) {
      if (this.hasHeaderFile(d)) return { key: d, root: d };
      if (!folder || d === folder || path.dirname(d) === d) break;
    }
    return { key: dir, root: dir };
  }

  /** The files of a policy, in a stable order. */
  files(ref: PolicyRef): PolicyFile[] {
    if (!ref.root) {
      const doc = this.documents.get(ref.key);
      const base = ref.key.split('/').pop() || 'untitled.writ';
      return doc ? [{ uri: ref.key, name: base, text: doc.getText() }] : [];
    }
    const found = new Set<string>();
    this.walk(ref.root, ref.root, found);
    for (const doc of this.documents.all()) {
      const p = uriToPath(doc.uri);
      if (p && p.endsWith('.writ') && this.policyOf(doc.uri).key === ref.key) found.add(p);
    }
    return [...found].sort().flatMap((p) => {
      const text = this.textOf(p);
      return text === undefined ? [] : [{ uri: this.uriForPath(p), name: relativeName(ref.root as string, p), text }];
    });
  }

  /** An open document's text, else the file's text on disk. */
  textOf(file: string): string | undefined {
    const doc = this.documents.get(this.uriForPath(file));
    if (doc) return doc.getText();
    if (!this.diskText.has(file)) {
      let text: string | undefined;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        text = undefined;
      }
      this.diskText.set(file, text);
    }
    return this.diskText.get(file);
  }

  private listing(dir: string): string[] {
    let names = this.dirListing.get(dir);
    if (!names) {
      try {
        names = readdirSync(dir, { withFileTypes: true })
          .map((e) => (e.isDirectory() ? `${e.name}/` : e.name))
          .sort();
      } catch {
        names = [];
      }
      this.dirListing.set(dir, names);
    }
    return names;
  }

  private hasHeaderFile(dir: string): boolean {
    return this.listing(dir).some((n) => n.endsWith('.writ') && HEADER.test(this.textOf(path.join(dir, n)) ?? ''));
  }

  private walk(dir: string, root: string, out: Set<string>): void {
    for (const n of this.listing(dir)) {
      if (n.endsWith('/')) {
        const name = n.slice(0, -1);
        const sub = path.join(dir, name);
        if (SKIP_DIRS.has(name) || name.startsWith('.') || this.hasHeaderFile(sub)) continue;
        this.walk(sub, root, out);
      } else if (n.endsWith('.writ')) out.add(path.join(dir, n));
    }
  }
}
