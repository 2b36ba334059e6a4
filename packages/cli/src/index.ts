export const PACKAGE = '@writ/cli';
