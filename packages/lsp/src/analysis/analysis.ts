/**
 * One policy's analysis: its files, the compiler's result over all of them, and the symbol index, for one
 * moment of the workspace. Features read an analysis; they never compile.
 */
import type { Ast, CompileResult, Diagnostic } from '@writ/compiler';
import type { Artifact } from '@writ/runtime';
import type { PolicyFile, PolicyRef } from '../workspace/policies.js';
import { SymbolIndex } from './symbol-index.js';

export interface AnalysisInput {
  ref: PolicyRef;
  files: PolicyFile[];
}

/** What the compiler produced for a policy, whichever way it was computed (full or incremental). */
export interface CompilerOutput {
  files: Ast.SourceFile[];
  symbols: CompileResult['symbols'];
  diagnostics: Diagnostic[];
  /** Only when computed by a full compile without errors. */
  artifact?: Artifact;
}

export class PolicyAnalysis {
  readonly byName: Map<string, PolicyFile>;
  readonly byUri: Map<string, PolicyFile>;
  private readonly asts: Map<string, Ast.SourceFile>;
  private indexCache: SymbolIndex | undefined;

  constructor(
    readonly ref: PolicyRef,
    readonly files: readonly PolicyFile[],
    readonly output: CompilerOutput,
  ) {
    this.byName = new Map(files.map((f) => [f.name, f]));
    this.byUri = new Map(files.map((f) => [f.uri, f]));
    this.asts = new Map(output.files.map((f) => [f.file, f]));
  }

  get symbols(): CompileResult['symbols'] {
    return this.output.symbols;
  }

  /** The symbol index, built on first use. */
  get index(): SymbolIndex {
    this.indexCache ??= new SymbolIndex(this.output.files, this.output.symbols);
    return this.indexCache;
  }

  ast(uri: string): Ast.SourceFile | undefined {
    const f = this.byUri.get(uri);
    return f ? this.asts.get(f.name) : undefined;
  }

  fileOfUri(uri: string): PolicyFile | undefined {
    return this.byUri.get(uri);
  }

  uriOfName(name: string): string | undefined {
    return this.byName.get(name)?.uri;
  }
}
