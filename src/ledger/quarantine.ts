import type { LedgerEntry } from '../core/ledger.js';
import { statOrUndefined } from '../util/fs.js';
import { Ledger } from './store.js';

/**
 * Quarantine is derived from the ledger, never stored beside it, so it is as tamper-evident as
 * the ledger itself: a version is quarantined by a `rolled-back` entry whose outcome lists it
 * (`outcome.quarantine: [{ name, version }]`) until a later `quarantine-released` entry releases
 * it (`outcome: { name, version }`; a release without version releases every version of the name).
 */
export interface QuarantinedVersion {
  readonly name: string;
  readonly version: string;
  /** The change that was rolled back. */
  readonly change: string;
  readonly reason: string;
  /** The `rolled-back` entry that quarantined it. */
  readonly seq: number;
  readonly time: string;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

const quarantineOf = (entry: LedgerEntry): { name: string; version: string }[] => {
  const list = entry.outcome.quarantine;
  if (!Array.isArray(list)) return [];
  return list.flatMap((item: unknown) => {
    const record = item as { name?: unknown; version?: unknown } | null;
    const name = text(record?.name);
    const version = text(record?.version);
    return name !== undefined && version !== undefined ? [{ name, version }] : [];
  });
};

/** Every quarantined name@version not released since, in the order they were quarantined. */
export const quarantinedVersions = (ledger: Pick<Ledger, 'entries'>): QuarantinedVersion[] => {
  const held = new Map<string, QuarantinedVersion>();
  for (const entry of ledger.entries({ kinds: ['rolled-back', 'quarantine-released'] })) {
    if (entry.kind === 'rolled-back') {
      const reason = text(entry.outcome.reason) ?? text(entry.outcome.error) ?? 'rolled back';
      for (const { name, version } of quarantineOf(entry)) {
        // A later rollback of the same version stands for it: its reason is the current one.
        held.delete(`${name}@${version}`);
        held.set(`${name}@${version}`, {
          name,
          version,
          change: entry.change ?? entry.subject,
          reason,
          seq: entry.seq,
          time: entry.time,
        });
      }
    } else {
      const name = text(entry.outcome.name);
      if (name === undefined) continue;
      const version = text(entry.outcome.version);
      for (const [key, item] of held) {
        if (item.name === name && (version === undefined || item.version === version)) held.delete(key);
      }
    }
  }
  // Sorted by the entry that quarantined them (stable: within one entry, in its own order).
  return [...held.values()].sort((a, b) => a.seq - b.seq);
};

/**
 * The quarantine of the ledger at `path`, read only (the file is never created or written); an
 * absent file means nothing was ever rolled back: nothing is quarantined.
 */
export const quarantinedVersionsAt = (path: string): QuarantinedVersion[] => {
  if (!statOrUndefined(path)) return [];
  const ledger = Ledger.open(path, { readonly: true });
  try {
    return quarantinedVersions(ledger);
  } finally {
    ledger.close();
  }
};

/** The quarantined versions a `NAME[@VERSION]` release would lift. */
export const matchingQuarantine = (
  quarantined: readonly QuarantinedVersion[],
  name: string,
  version: string | undefined,
): QuarantinedVersion[] =>
  quarantined.filter((item) => item.name === name && (version === undefined || item.version === version));

/** `lodash@4.17.21`, `@scope/name@1.0.0`, or a bare name (`@scope/name`). */
export const parsePackageSpec = (spec: string): { name: string; version: string | undefined } => {
  const at = spec.lastIndexOf('@');
  if (at <= 0) return { name: spec, version: undefined };
  return { name: spec.slice(0, at), version: spec.slice(at + 1) || undefined };
};
