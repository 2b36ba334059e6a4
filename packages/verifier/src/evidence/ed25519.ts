/**
 * Ed25519 (RFC 8032 §5.1) key generation, signing, and strict verification, over @noble/ed25519 v3.
 *
 * Verification is the strict RFC 8032 §5.1.7 / FIPS 186-5 variant (`zip215: false`): non-canonical encodings
 * of the public key or of R (y ≥ p), a scalar S ≥ L, and small-order public keys are all rejected, so a
 * signature is bound to one message and one key (strong unforgeability).
 *
 * Importing this module sets noble's synchronous SHA-512 hook (`ed.hashes.sha512`) to @noble/hashes' SHA-512
 * if nothing set it before.
 *
 * @module
 */
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';

if (ed.hashes.sha512 === undefined) ed.hashes.sha512 = sha512;

/** Length of an Ed25519 secret key (the RFC 8032 seed), public key, and signature, in bytes. */
export const ED25519_SEED_SIZE = 32;
export const ED25519_PUBLIC_KEY_SIZE = 32;
export const ED25519_SIGNATURE_SIZE = 64;

/** An Ed25519 key pair: the 32-byte RFC 8032 secret key ("seed") and the 32-byte public key. */
export interface Ed25519KeyPair {
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
}

/**
 * Generates a key pair from the platform's CSPRNG (`crypto.getRandomValues`).
 *
 * @returns a fresh {@link Ed25519KeyPair}.
 */
export function generateEd25519KeyPair(): Ed25519KeyPair {
  const { secretKey, publicKey } = ed.keygen();
  return { seed: secretKey, publicKey };
}

/**
 * Derives the public key of a seed (RFC 8032 §5.1.5).
 *
 * @param seed - 32-byte secret key.
 * @returns the 32-byte public key.
 * @throws `Error` from noble when `seed` is not 32 bytes.
 */
export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  return ed.getPublicKey(seed);
}

/**
 * Signs a message (RFC 8032 §5.1.6; deterministic, no randomness).
 *
 * @param message - bytes to sign.
 * @param seed - 32-byte secret key.
 * @returns the 64-byte signature `R || S`.
 * @throws `Error` from noble when `seed` is not 32 bytes.
 */
export function ed25519Sign(message: Uint8Array, seed: Uint8Array): Uint8Array {
  return ed.sign(message, seed);
}

/**
 * Verifies a signature strictly (RFC 8032 §5.1.7 with canonical-encoding checks; see module comment). Never
 * throws: wrong lengths or undecodable points simply do not verify.
 *
 * @param signature - 64-byte signature.
 * @param message - the signed bytes.
 * @param publicKey - 32-byte public key.
 * @returns `true` only for a valid signature.
 */
export function ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== ED25519_SIGNATURE_SIZE || publicKey.length !== ED25519_PUBLIC_KEY_SIZE) return false;
  try {
    return ed.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
