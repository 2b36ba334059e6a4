/**
 * Computes a policy's analysis from its files. Each policy has one analyzer, which keeps what it needs
 * from the previous run to make the next one cheap (see `incremental.ts`).
 */
import { compile } from '@writ/compiler';
import { PolicyAnalysis, type AnalysisInput } from './analysis.js';

export class Analyzer {
  private last: PolicyAnalysis | undefined;

  /** Analyses the policy; a full compile, so the analysis also has the artifact when there are no errors. */
  analyse(input: AnalysisInput): PolicyAnalysis {
    const result = compile(input.files.map((f) => ({ file: f.name, text: f.text })));
    this.last = new PolicyAnalysis(input.ref, input.files, result);
    return this.last;
  }

  get latest(): PolicyAnalysis | undefined {
    return this.last;
  }
}
