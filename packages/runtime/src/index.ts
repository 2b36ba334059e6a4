export const PACKAGE = '@writ/runtime';
