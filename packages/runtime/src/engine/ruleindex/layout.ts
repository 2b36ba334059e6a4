/**
 * The packed form of a rule index: the positions of its header fields, shared by the builder and the lookup.
 *
 * @module
 */

/*
 * The packed form of an index, so that a decision touches few cache lines (a gateway cycles through many
 * tools): `bits` starts with a header, then holds the bitsets word-major — word w of every bitset, then
 * word w + 1 … — so that computing one word of the candidates reads one small block. A bitset is named by
 * the position of its word 0; its word w is `stride * w` further:
 *   [0] words per bitset, [1] base bitset, [2] string dimensions, [3] numeric dimensions, [4] R, [5] stride,
 *   [6] prefix dimensions, [7 .. 7+R) per role ordinal, its bitset or 0 for none (R = 0 when roles are not
 *   indexed),
 *   per string dimension: slot, key count K, first key in `strKeys`, other bitset, absent bitset, K bitsets,
 *   per prefix dimension: slot, key count K, first key in `strKeys`, no-key bitset, K bitsets, K first code
 *   units (0x10000 for the empty literal),
 *   per numeric dimension: slot, first region bitset, absent bitset, key count m, first key in `numKeys`.
 * The numeric keys follow the bitsets in the same buffer.
 */
export const M_WORDS = 0;
export const M_BASE = 1;
export const M_NSTR = 2;
export const M_NNUM = 3;
export const M_NROLES = 4;
export const M_STRIDE = 5;
export const M_NPRE = 6;
export const M_ROLES = 7;
/** The first code unit stored for the empty prefix literal (which every string starts with). */
export const EMPTY_FIRST = 0x10000;
