export const PACKAGE = '@writ/lsp';
