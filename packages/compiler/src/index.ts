export const PACKAGE = '@writ/compiler';
