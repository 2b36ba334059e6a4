/**
 * The formatter: {@link formatSource} lays out a `.writ` file canonically, keeping its tokens and comments.
 * @module
 */
export { formatSource, DEFAULT_WIDTH, type FormatOptions, type FormatResult } from './format.js';
