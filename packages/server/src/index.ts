/** @packageDocumentation writ serve, the HTTP decision service (being built: issue 7). */
export {};
