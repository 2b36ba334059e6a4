export const PACKAGE = '@writ/verifier';
