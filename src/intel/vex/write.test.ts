import { describe, expect, it } from 'vitest';
import type { VexStatement } from '../../core/vex.js';
import { parseVexDocument } from './read.js';
import {
  addOpenVexStatement,
  buildOpenVexDocument,
  type OpenVexStatementJson,
  serializeOpenVex,
  toOpenVexStatement,
} from './write.js';

const statement = (over: Partial<VexStatement> = {}): VexStatement => ({
  vulnerability: 'GHSA-xvch-5gv4-984h',
  aliases: ['CVE-2021-44906'],
  products: [{ purl: 'pkg:npm/minimist@1.2.5', subcomponents: [] }],
  status: 'not_affected',
  justification: 'vulnerable_code_not_in_execute_path',
  impactStatement: 'argv is ours',
  actionStatement: undefined,
  notes: undefined,
  author: 'Jane',
  timestamp: '2025-01-01T00:00:00.000Z',
  source: 'vex.json',
  ...over,
});

describe('toOpenVexStatement', () => {
  it('writes the OpenVEX fields', () => {
    expect(toOpenVexStatement(statement())).toEqual({
      vulnerability: { name: 'GHSA-xvch-5gv4-984h', aliases: ['CVE-2021-44906'] },
      timestamp: '2025-01-01T00:00:00.000Z',
      products: [{ '@id': 'pkg:npm/minimist@1.2.5' }],
      status: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
      impact_statement: 'argv is ours',
    });
  });

  it('moves a justification OpenVEX does not know into the impact statement', () => {
    const json = toOpenVexStatement(
      statement({ justification: 'protected_at_perimeter', impactStatement: 'WAF' }),
    );
    expect(json?.justification).toBeUndefined();
    expect(json?.impact_statement).toBe('protected_at_perimeter: WAF');
  });

  it('keeps subcomponents and leaves out products without a purl', () => {
    expect(
      toOpenVexStatement(
        statement({
          products: [
            { purl: undefined, subcomponents: [] },
            { purl: 'pkg:npm/app', subcomponents: ['pkg:npm/minimist@1.2.5'] },
          ],
        }),
      )?.products,
    ).toEqual([{ '@id': 'pkg:npm/app', subcomponents: [{ '@id': 'pkg:npm/minimist@1.2.5' }] }]);
    expect(
      toOpenVexStatement(statement({ products: [{ purl: undefined, subcomponents: [] }] })),
    ).toBeUndefined();
  });
});

describe('buildOpenVexDocument', () => {
  it('derives the @id from the content when none is given, and reads back', () => {
    const statements = [toOpenVexStatement(statement()) as OpenVexStatementJson];
    const options = { author: 'PatchPilot', timestamp: '2025-01-01T00:00:00.000Z' };
    const a = buildOpenVexDocument(statements, options);
    expect(a['@context']).toBe('https://openvex.dev/ns/v0.2.0');
    expect(a['@id']).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(serializeOpenVex(buildOpenVexDocument(statements, options))).toBe(serializeOpenVex(a));
    expect(buildOpenVexDocument(statements, { ...options, author: 'X' })['@id']).not.toBe(a['@id']);
    const back = parseVexDocument(serializeOpenVex(a), 'out.json').statements[0];
    expect(back).toMatchObject({ ...statement(), author: 'PatchPilot', source: 'out.json' });
  });
});

describe('addOpenVexStatement', () => {
  const add = (
    name: string,
    purl: string,
    status: OpenVexStatementJson['status'] = 'under_investigation',
  ) => ({
    vulnerability: { name },
    timestamp: '2025-02-02T00:00:00.000Z',
    products: [{ '@id': purl }],
    status,
  });
  const options = { author: 'Jane', now: '2025-02-02T00:00:00.000Z', id: 'urn:uuid:1' };

  it('creates a document', () => {
    const { document, replaced } = addOpenVexStatement(undefined, add('CVE-1', 'pkg:npm/a'), options);
    expect(replaced).toBe(false);
    expect(document).toEqual({
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': 'urn:uuid:1',
      author: 'Jane',
      timestamp: '2025-02-02T00:00:00.000Z',
      version: 1,
      statements: [add('CVE-1', 'pkg:npm/a')],
    });
  });

  it('replaces the statement about the same id and product (scope encoded or not), keeps the others as they are', () => {
    const untouched = { vulnerability: 'CVE-9', products: ['pkg:npm/z'], status: 'fixed', extra: [1] };
    const existing = {
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': 'urn:uuid:0',
      author: 'Bob',
      timestamp: '2025-01-01T00:00:00.000Z',
      version: 3,
      statements: [add('cve-1', 'pkg:npm/@s/a@1.0.0'), untouched, add('CVE-1', 'pkg:npm/%40s/a')],
    };
    const replaced = addOpenVexStatement(existing, add('CVE-1', 'pkg:npm/%40s/a@1.0.0', 'affected'), options);
    expect(replaced.replaced).toBe(true);
    expect(replaced.document).toMatchObject({
      '@id': 'urn:uuid:0',
      author: 'Bob, Jane',
      timestamp: '2025-01-01T00:00:00.000Z',
      last_updated: '2025-02-02T00:00:00.000Z',
      version: 4,
    });
    const statements = replaced.document.statements as unknown[];
    expect(statements).toHaveLength(3);
    expect(statements[0]).toMatchObject({ status: 'affected' });
    expect(statements[1]).toBe(untouched);
    const appended = addOpenVexStatement(existing, add('CVE-2', 'pkg:npm/%40s/a@1.0.0'), {
      ...options,
      author: 'Bob',
    });
    expect(appended.replaced).toBe(false);
    expect(appended.document.author).toBe('Bob');
    expect(appended.document.statements).toHaveLength(4);
  });
});
