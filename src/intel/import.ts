import { resolve } from 'node:path';
import { PatchPilotError } from '../core/errors.js';
import { statOrUndefined } from '../util/fs.js';
import { parseOsvRecord } from './osv.js';
import { readOsvInput } from './sources/osv-files/index.js';
import type { AdvisoryStore } from './store.js';

export interface ImportProblem {
  readonly where: string;
  readonly id: string | undefined;
  readonly reason: string;
}

export interface ImportResult {
  readonly sources: readonly string[];
  readonly read: number;
  readonly added: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly skipped: readonly ImportProblem[];
}

export interface ImportOptions {
  readonly cwd: string;
  readonly now: () => Date;
  readonly onProgress?: (read: number) => void;
}

/** Fails before anything is opened or created when an input does not exist. */
export const checkImportInputs = (inputs: readonly string[], cwd: string): void => {
  for (const input of inputs) {
    if (!statOrUndefined(resolve(cwd, input))) {
      throw new PatchPilotError(
        'ADVISORY_INPUT_NOT_FOUND',
        `${resolve(cwd, input)}: no such file or directory`,
        {
          hint: 'nothing was imported',
        },
      );
    }
  }
};

/**
 * Imports every input in one transaction: a missing file, a truncated archive or any other
 * failure rolls the whole import back. Malformed records are skipped and reported.
 */
export const importAdvisories = async (
  store: AdvisoryStore,
  inputs: readonly string[],
  options: ImportOptions,
): Promise<ImportResult> => {
  const importedAt = options.now().toISOString();
  const skipped: ImportProblem[] = [];
  let read = 0;
  let added = 0;
  let updated = 0;
  let unchanged = 0;
  const sources = inputs.map((input) => resolve(options.cwd, input));
  await store.transaction(async () => {
    for (const source of sources) {
      let records = 0;
      for await (const item of readOsvInput(source)) {
        read++;
        if (read % 5000 === 0) options.onProgress?.(read);
        if (item.kind === 'problem') {
          skipped.push({ where: item.where, id: undefined, reason: item.reason });
          continue;
        }
        const parsed = parseOsvRecord(item.raw);
        if (!parsed.ok) {
          skipped.push({ where: item.where, id: parsed.id, reason: parsed.reason });
          continue;
        }
        records++;
        const outcome = store.upsert(parsed.advisory, item.text, source, importedAt);
        if (outcome === 'added') added++;
        else if (outcome === 'updated') updated++;
        else unchanged++;
      }
      store.recordSource(source, importedAt, records);
    }
  });
  return { sources, read, added, updated, unchanged, skipped };
};
