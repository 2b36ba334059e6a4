/**
 * Compares the downstream server's tools (tools/list, JSON Schema inputs) with the tools the policy
 * declares, so that a policy written for another version of the server is noticed at start instead of
 * failing closed on every call.
 */
import type { Artifact, WritType } from '@writ/runtime';

/** The part of an MCP tool definition this module reads. */
export interface ToolShape {
  name: string;
  inputSchema: { properties?: Record<string, unknown>; required?: string[] };
}

export interface DeclarationReport {
  /** Downstream tools the policy declares (these are listed and decided). */
  declared: string[];
  /** Downstream tools the policy does not declare (default deny: hidden or marked). */
  undeclared: string[];
  /** One line per disagreement between a declared tool's schema and its declaration. */
  mismatches: string[];
}

/** The JSON Schema `type` a Writ type accepts (`undefined`: anything). */
function jsonTypesOf(t: WritType): string[] | undefined {
  switch (t.kind) {
    case 'string':
    case 'enum':
      return ['string'];
    case 'number':
    case 'money':
      return ['number', 'integer'];
    case 'integer':
      return ['integer'];
    case 'duration':
      return ['integer', 'string'];
    case 'boolean':
      return ['boolean'];
    case 'list':
      return ['array'];
    case 'any':
      return undefined;
  }
}

function schemaType(s: unknown): string | undefined {
  if (typeof s !== 'object' || s === null) return undefined;
  const t = (s as { type?: unknown }).type;
  return typeof t === 'string' ? t : undefined;
}

/** Checks every downstream tool against the artifact's declarations. */
export function compareDeclarations(artifact: Artifact, tools: readonly ToolShape[]): DeclarationReport {
  const declared: string[] = [];
  const undeclared: string[] = [];
  const mismatches: string[] = [];
  for (const tool of tools) {
    // Own properties only: a tool or parameter named "constructor" is not declared by Object.prototype.
    const decl = Object.hasOwn(artifact.tools, tool.name) ? artifact.tools[tool.name] : undefined;
    if (decl === undefined) {
      undeclared.push(tool.name);
      continue;
    }
    declared.push(tool.name);
    const props = tool.inputSchema.properties ?? {};
    const required = new Set(tool.inputSchema.required ?? []);
    for (const [name, schema] of Object.entries(props)) {
      const param = Object.hasOwn(decl.params, name) ? decl.params[name] : undefined;
      if (param === undefined) {
        mismatches.push(`${tool.name}: the server takes '${name}', which the policy does not declare (calls passing it are denied)`);
        continue;
      }
      if (required.has(name) && param.optional) mismatches.push(`${tool.name}: '${name}' is required by the server but optional in the policy`);
      if (!required.has(name) && !param.optional) mismatches.push(`${tool.name}: '${name}' is optional for the server but required by the policy`);
      const want = jsonTypesOf(param.type);
      const got = schemaType(schema);
      if (want !== undefined && got !== undefined && !want.includes(got)) {
        mismatches.push(`${tool.name}: '${name}' is ${got} for the server but ${param.type.kind} in the policy`);
      }
    }
    for (const name of Object.keys(decl.params)) {
      if (!Object.hasOwn(props, name)) mismatches.push(`${tool.name}: the policy declares '${name}', which the server does not take`);
    }
  }
  return { declared, undeclared, mismatches };
}
