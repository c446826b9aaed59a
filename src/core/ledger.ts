/**
 * The ledger's nouns: one recorded decision of any stage (who or what, when, from which inputs,
 * with which outcome), chained to the one before it by its hash. `src/ledger/` stores and checks
 * them; every stage that decides something appends one.
 */

export const ledgerKinds = [
  'detected',
  'planned',
  'decided',
  'applied',
  'tested',
  'proved',
  'merged',
  'proposed',
  'reported',
  'failed',
  'rolled-back',
  'quarantine-released',
  'vex-recorded',
  'exception-used',
] as const;

export type LedgerKind =
  | 'detected'
  | 'planned'
  | 'decided'
  | 'applied'
  | 'tested'
  | 'proved'
  | 'merged'
  | 'proposed'
  | 'reported'
  | 'failed'
  | 'rolled-back'
  | 'quarantine-released'
  | 'vex-recorded'
  | 'exception-used';

export const isLedgerKind = (value: string): value is LedgerKind =>
  (ledgerKinds as readonly string[]).includes(value);

/** What a decision was made from; the named keys are the ones every stage shares. */
export interface LedgerInputs {
  /** The advisories consulted, with the `modified` each had then. */
  readonly advisories?: readonly { id: string; modified: string }[];
  /** Which state of the advisory store was read. */
  readonly storeSnapshot?: string;
  /** SHA-256 of the policy in force. */
  readonly policyHash?: string;
  /** The policy rule that decided, when one did. */
  readonly rule?: string;
  readonly [key: string]: unknown;
}

export interface LedgerEntryInput {
  readonly kind: LedgerKind;
  /** What the entry is about: a finding key, a patch id or a change id. */
  readonly subject: string;
  /** The change (patch) id this entry belongs to, for filtering. */
  readonly change?: string;
  /** Who or what decided: `patchpilot@<version>`, or a person (`Name <email>`). */
  readonly actor: string;
  readonly inputs: LedgerInputs;
  readonly outcome: Readonly<Record<string, unknown>>;
  /** ISO 8601; defaults to now. Stored as `Date#toISOString()` (UTC, milliseconds). */
  readonly time?: string;
}

export interface LedgerEntry extends Required<Omit<LedgerEntryInput, 'change'>> {
  readonly seq: number;
  readonly change: string | null;
  /** The hash of the entry before, 64 zeros for the first. */
  readonly prevHash: string;
  /** SHA-256 (hex) of the canonical JSON of every other field. */
  readonly hash: string;
}

/** `prevHash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);
