/**
 * The one error class. Every expected failure carries a stable `code` (listed in docs/errors.md),
 * a `hint` telling the user what to do, and optionally the underlying `cause`.
 */
export type ErrorCode =
  | 'USAGE'
  | 'LOCKFILE_NOT_FOUND'
  | 'LOCKFILE_INVALID_JSON'
  | 'LOCKFILE_INVALID_YAML'
  | 'LOCKFILE_UNSUPPORTED_VERSION'
  | 'LOCKFILE_INVALID'
  | 'LOCKFILE_KEY_ESCAPES'
  | 'MANIFEST_INVALID'
  | 'SBOM_INVALID'
  | 'SBOM_NOT_FOUND'
  | 'DB_UNREADABLE'
  | 'DB_EMPTY'
  | 'ADVISORY_INPUT_INVALID'
  | 'ADVISORY_INPUT_NOT_FOUND'
  | 'VEX_INVALID'
  | 'VEX_NOT_FOUND'
  | 'IO_FAILED'
  | 'SYNC_FAILED'
  | 'REGISTRY_FAILED'
  | 'REGISTRY_AUTH'
  | 'REGISTRY_OFFLINE_MISS'
  | 'REGISTRY_CONFIG_INVALID'
  | 'UNIVERSE_NOT_FOUND'
  | 'UNIVERSE_INVALID'
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_EXISTS'
  | 'GIT_FAILED'
  | 'NOT_A_GIT_REPOSITORY'
  | 'FIX_UNSUPPORTED'
  | 'INTERRUPTED'
  | 'FIX_BUSY'
  | 'LEDGER_NOT_FOUND'
  | 'LEDGER_UNREADABLE'
  | 'LEDGER_KEY_INVALID'
  | 'LEDGER_CHANGE_UNKNOWN'
  | 'LEDGER_CHANGE_INCOMPLETE'
  | 'LEDGER_TAMPERED'
  | 'QUARANTINE_NOT_FOUND'
  | 'ROLLBACK_NOT_MERGED'
  | 'ROLLBACK_REFUSED'
  | 'INTERNAL';

/** The category decides the exit code; see cli/main.ts and docs/errors.md. */
export type ErrorCategory = 'usage' | 'input' | 'external' | 'internal';

const categories: Record<ErrorCode, ErrorCategory> = {
  USAGE: 'usage',
  LOCKFILE_NOT_FOUND: 'input',
  LOCKFILE_INVALID_JSON: 'input',
  LOCKFILE_INVALID_YAML: 'input',
  LOCKFILE_UNSUPPORTED_VERSION: 'input',
  LOCKFILE_INVALID: 'input',
  LOCKFILE_KEY_ESCAPES: 'input',
  MANIFEST_INVALID: 'input',
  SBOM_INVALID: 'input',
  SBOM_NOT_FOUND: 'input',
  DB_UNREADABLE: 'input',
  DB_EMPTY: 'input',
  ADVISORY_INPUT_INVALID: 'input',
  ADVISORY_INPUT_NOT_FOUND: 'input',
  VEX_INVALID: 'input',
  VEX_NOT_FOUND: 'input',
  IO_FAILED: 'external',
  SYNC_FAILED: 'external',
  REGISTRY_FAILED: 'external',
  REGISTRY_AUTH: 'external',
  REGISTRY_OFFLINE_MISS: 'external',
  REGISTRY_CONFIG_INVALID: 'input',
  UNIVERSE_NOT_FOUND: 'input',
  UNIVERSE_INVALID: 'input',
  CONFIG_INVALID: 'input',
  CONFIG_NOT_FOUND: 'input',
  GIT_FAILED: 'external',
  NOT_A_GIT_REPOSITORY: 'usage',
  FIX_UNSUPPORTED: 'input',
  INTERRUPTED: 'external',
  FIX_BUSY: 'external',
  LEDGER_NOT_FOUND: 'input',
  LEDGER_UNREADABLE: 'input',
  LEDGER_KEY_INVALID: 'input',
  LEDGER_CHANGE_UNKNOWN: 'input',
  LEDGER_CHANGE_INCOMPLETE: 'input',
  LEDGER_TAMPERED: 'input',
  QUARANTINE_NOT_FOUND: 'input',
  ROLLBACK_NOT_MERGED: 'input',
  ROLLBACK_REFUSED: 'input',
  CONFIG_EXISTS: 'usage',
  INTERNAL: 'internal',
};

export class PatchPilotError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PatchPilotError';
    this.code = code;
    this.hint = options.hint;
  }

  get category(): ErrorCategory {
    return categories[this.code];
  }
}

export const isPatchPilotError = (value: unknown): value is PatchPilotError =>
  value instanceof PatchPilotError;
