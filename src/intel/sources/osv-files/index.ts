import { basename } from 'node:path';
import { PatchPilotError } from '../../../core/errors.js';
import { message, readText, statOrUndefined, walkFiles } from '../../../util/fs.js';
import { readLines } from '../../../util/lines.js';
import { readZipEntries } from '../../../util/zip.js';

/**
 * Local OSV inputs: a single record (`.json`), a document with a `vulns` array (the OSV API's answer,
 * OSV-Scanner's fixtures) or a plain array, a folder tree of record files (GitHub's
 * advisory-database layout), `.jsonl` / `.jsonl.gz` (one record per line), and a `.zip` of records
 * (OSV's per-ecosystem export). Yields raw records with where they came from, or problems, in batches.
 */
export type RawItem =
  | {
      readonly kind: 'record';
      readonly raw: unknown;
      readonly text: string;
      /** `text` as UTF-8, when the reader has it at hand. */
      readonly bytes?: Uint8Array | undefined;
      readonly where: string;
    }
  | { readonly kind: 'problem'; readonly where: string; readonly reason: string };

export async function* readOsvInput(path: string): AsyncGenerator<RawItem[]> {
  const stat = statOrUndefined(path);
  if (!stat) {
    throw new PatchPilotError('ADVISORY_INPUT_NOT_FOUND', `${path}: no such file or directory`, {
      hint: 'nothing was imported',
    });
  }
  if (stat.isDirectory()) {
    const files = walkFiles(path, {
      include: (name) => name.toLowerCase().endsWith('.json'),
      skipDirs: new Set(['.git', 'node_modules']),
    });
    // Inside a tree one unreadable file is one malformed record: reported and skipped.
    for (const file of files) yield [...fromJsonText(readText(`${path}/${file}`), `${path}/${file}`, false)];
    return;
  }
  const name = basename(path).toLowerCase();
  if (name.endsWith('.jsonl') || name.endsWith('.jsonl.gz') || name.endsWith('.ndjson')) {
    for await (const lines of readLines(path, name.endsWith('.gz'))) {
      const items: RawItem[] = [];
      for (const [n, line, bytes] of lines) {
        if (line.trim() !== '') items.push(parseLine(line, bytes, `${path}:${n}`));
      }
      yield items;
    }
    return;
  }
  if (name.endsWith('.zip')) {
    for await (const entry of readZipEntries(path)) {
      if (!entry.name.toLowerCase().endsWith('.json')) continue;
      yield [...fromJsonText(entry.content.toString('utf8'), `${path}!${entry.name}`, false)];
    }
    return;
  }
  // A file named on the command line that is not JSON is a failed download, not a bad record.
  yield [...fromJsonText(readText(path), path, true)];
}

const parseLine = (line: string, bytes: Uint8Array | undefined, where: string): RawItem => {
  try {
    return { kind: 'record', raw: JSON.parse(line), text: line, bytes, where };
  } catch (cause) {
    return { kind: 'problem', where, reason: `not JSON: ${message(cause)}` };
  }
};

function* fromJsonText(text: string, where: string, whole: boolean): Generator<RawItem> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    if (whole) {
      throw new PatchPilotError('ADVISORY_INPUT_INVALID', `${where}: not JSON: ${message(cause)}`, {
        hint: 'the file is truncated or not an OSV document; nothing was imported',
        cause,
      });
    }
    yield { kind: 'problem', where, reason: `not JSON: ${message(cause)}` };
    return;
  }
  const list = Array.isArray(doc)
    ? doc
    : typeof doc === 'object' && doc !== null && Array.isArray((doc as { vulns?: unknown }).vulns)
      ? (doc as { vulns: unknown[] }).vulns
      : undefined;
  if (!list) {
    // The OSV API answers a query without results with an empty object.
    const empty = typeof doc === 'object' && doc !== null && Object.keys(doc).length === 0;
    if (!empty) yield { kind: 'record', raw: doc, text, where };
    return;
  }
  for (let i = 0; i < list.length; i++) {
    const raw = list[i];
    yield { kind: 'record', raw, text: JSON.stringify(raw), where: `${where}#${i}` };
  }
}
