/**
 * `node:crypto`, loaded on first use. Importing it statically costs every process a few
 * milliseconds at start-up (its internals load with it), which a scan that never hashes nor draws
 * a random number should not pay.
 */
export const crypto = (): typeof import('node:crypto') => process.getBuiltinModule('node:crypto');

/** A SHA-256 hash to feed. */
export const sha256 = (): import('node:crypto').Hash => crypto().createHash('sha256');
