/**
 * Writ detectors: pure functions that find personal data (`pii`), credentials (`secret`) and injection attempts
 * (`injection`) in strings and JSON values, plus tokenising redaction.
 *
 * - {@link scanText}: findings in one string;
 * - {@link detect} / {@link findings}: over every string inside a JSON value;
 * - {@link redactValue} / {@link restoreValue} with a {@link TokenVault} such as {@link MemoryTokenVault}.
 *
 * All regular expressions are fixed, precompiled at module load and written for bounded backtracking.
 *
 * @module
 */
export {
  DETECTOR_KINDS,
  isDetectorKind,
  isDetectorName,
  type DetectorKind,
  type DetectorName,
  type Finding,
  type PathFinding,
} from './types.js';
export { detect, findings, MAX_DEPTH, scanText } from './scan.js';
export { MemoryTokenVault, redactValue, restoreValue, type Redaction, type TokenVault } from './redact.js';
export { cardBrand, ibanMod97, IBAN_LENGTHS, isValidIban, luhnValid, type CardBrand } from './checksums.js';
