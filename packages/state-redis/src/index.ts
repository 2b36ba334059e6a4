/** @packageDocumentation A Redis StateStore for @writ/runtime (being built: issue 7). */
export {};
