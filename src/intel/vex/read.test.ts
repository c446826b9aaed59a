import { describe, expect, it } from 'vitest';
import { PatchPilotError } from '../../core/errors.js';
import { parseVexDocument } from './read.js';

const openVex = (statements: unknown[], over: Record<string, unknown> = {}) =>
  JSON.stringify({
    '@context': 'https://openvex.dev/ns/v0.2.0',
    '@id': 'https://openvex.dev/docs/example/vex-1',
    author: 'Jane Doe <jane@example.org>',
    timestamp: '2025-01-02T03:04:05Z',
    version: 1,
    statements,
    ...over,
  });

const errorOf = (content: string, path = 'vex.json'): PatchPilotError => {
  try {
    parseVexDocument(content, path);
  } catch (error) {
    if (error instanceof PatchPilotError) return error;
    throw error;
  }
  throw new Error('expected a VEX_INVALID error');
};

describe('parseVexDocument: timestamps', () => {
  it('reads a timestamp without an offset as UTC, whatever the time zone', () => {
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      const doc = parseVexDocument(
        JSON.stringify({
          '@context': 'https://openvex.dev/ns/v0.2.0',
          '@id': 'urn:x',
          author: 'a',
          timestamp: '2025-01-02T03:04:05',
          version: 1,
          statements: [
            {
              vulnerability: { name: 'CVE-2021-1' },
              products: [{ '@id': 'pkg:npm/a@1.0.0' }],
              status: 'fixed',
            },
          ],
        }),
        'vex.json',
      );
      expect(doc.statements[0]?.timestamp).toBe('2025-01-02T03:04:05.000Z');
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});

describe('parseVexDocument: OpenVEX', () => {
  it('reads names, aliases, products, subcomponents, status fields, timestamps and the author', () => {
    const doc = parseVexDocument(
      openVex([
        {
          vulnerability: {
            '@id': 'https://osv.dev/vulnerability/GHSA-p6mc-m468-83gw',
            name: 'CVE-2020-8203',
            aliases: ['CVE-2020-8203', 'SNYK-JS-LODASH-590103'],
          },
          products: [
            {
              '@id': 'pkg:npm/app@1.0.0',
              identifiers: { purl: 'pkg:npm/app@1.0.0?arch=x' },
              subcomponents: [{ '@id': 'pkg:npm/lodash@4.17.15' }],
            },
          ],
          status: 'not_affected',
          justification: 'vulnerable_code_not_in_execute_path',
          impact_statement: 'zipObjectDeep is never called',
          timestamp: '2025-02-01T00:00:00+01:00',
        },
        {
          vulnerability: { name: 'GHSA-xvch-5gv4-984h' },
          products: [{ '@id': 'pkg:npm/minimist' }],
          status: 'affected',
          action_statement: 'upgrade',
          status_notes: 'waiting for upstream (recorded by Bob <bob@example.org>)',
          last_updated: '2025-03-01T00:00:00Z',
        },
        {
          vulnerability: { name: 'CVE-2021-1' },
          products: [{ '@id': 'https://example.com/product', identifiers: { purl: 'pkg:npm/x@1.0.0' } }],
          status: 'under_investigation',
          status_notes: 'recorded by Carol',
        },
      ]),
      '.patchpilot/vex.json',
    );
    expect(doc.format).toBe('openvex');
    expect(doc.author).toBe('Jane Doe <jane@example.org>');
    expect(doc.statements).toEqual([
      {
        vulnerability: 'CVE-2020-8203',
        aliases: ['SNYK-JS-LODASH-590103', 'GHSA-p6mc-m468-83gw'],
        products: [
          { purl: 'pkg:npm/app@1.0.0', subcomponents: ['pkg:npm/lodash@4.17.15'] },
          { purl: 'pkg:npm/app@1.0.0?arch=x', subcomponents: ['pkg:npm/lodash@4.17.15'] },
        ],
        status: 'not_affected',
        justification: 'vulnerable_code_not_in_execute_path',
        impactStatement: 'zipObjectDeep is never called',
        actionStatement: undefined,
        notes: undefined,
        author: 'Jane Doe <jane@example.org>',
        timestamp: '2025-01-31T23:00:00.000Z',
        source: '.patchpilot/vex.json',
      },
      expect.objectContaining({
        vulnerability: 'GHSA-xvch-5gv4-984h',
        aliases: [],
        products: [{ purl: 'pkg:npm/minimist', subcomponents: [] }],
        status: 'affected',
        actionStatement: 'upgrade',
        notes: 'waiting for upstream',
        author: 'Bob <bob@example.org>',
        timestamp: '2025-03-01T00:00:00.000Z',
      }),
      expect.objectContaining({
        products: [{ purl: 'pkg:npm/x@1.0.0', subcomponents: [] }],
        status: 'under_investigation',
        notes: undefined,
        author: 'Carol',
        // Inherited from the document.
        timestamp: '2025-01-02T03:04:05.000Z',
      }),
    ]);
  });

  it('reads the drafts before 0.2.0: bare vulnerability and product strings', () => {
    const doc = parseVexDocument(
      openVex([{ vulnerability: 'CVE-2023-1', products: ['pkg:npm/a@1.0.0'], status: 'fixed' }], {
        '@context': 'https://openvex.dev/ns',
      }),
      'old.json',
    );
    expect(doc.statements[0]).toMatchObject({
      vulnerability: 'CVE-2023-1',
      products: [{ purl: 'pkg:npm/a@1.0.0', subcomponents: [] }],
      status: 'fixed',
    });
  });

  it.each([
    [
      'an unknown status',
      openVex([{ vulnerability: { name: 'CVE-1' }, products: ['pkg:npm/a'], status: 'wontfix' }]),
      'vex.json: statements[0].status: expected one of not_affected, affected, fixed, under_investigation',
    ],
    [
      'not_affected without justification or impact statement',
      openVex([
        { vulnerability: { name: 'CVE-1' }, products: ['pkg:npm/a'], status: 'under_investigation' },
        { vulnerability: { name: 'CVE-2' }, products: ['pkg:npm/a'], status: 'not_affected' },
      ]),
      'vex.json: statements[1]: a not_affected statement needs a justification or an impact_statement',
    ],
    [
      'an unknown justification',
      openVex([
        {
          vulnerability: { name: 'CVE-1' },
          products: ['pkg:npm/a'],
          status: 'not_affected',
          justification: 'not_a_problem',
        },
      ]),
      'vex.json: statements[0].justification: expected one of component_not_present',
    ],
    [
      'a statement without products',
      openVex([{ vulnerability: { name: 'CVE-1' }, status: 'affected' }]),
      'vex.json: statements[0]: the statement names no product',
    ],
    [
      'a vulnerability without a name',
      openVex([{ vulnerability: { '@id': 'x' }, products: ['pkg:npm/a'], status: 'affected' }]),
      'vex.json: statements[0].vulnerability',
    ],
    [
      'a bad timestamp',
      openVex([
        { vulnerability: { name: 'CVE-1' }, products: ['pkg:npm/a'], status: 'fixed', timestamp: 'March 7' },
      ]),
      'vex.json: statements[0].timestamp: expected an RFC 3339 date-time',
    ],
    [
      'a timestamp on a day the calendar does not have',
      openVex([
        {
          vulnerability: { name: 'CVE-1' },
          products: ['pkg:npm/a'],
          status: 'fixed',
          timestamp: '2025-02-29T10:00:00Z',
        },
      ]),
      'vex.json: statements[0].timestamp: not a date in the calendar',
    ],
    ['no author', openVex([], { author: undefined }), 'vex.json: author:'],
    [
      'an unknown OpenVEX version',
      openVex([], { '@context': 'https://openvex.dev/ns/v1.0.0' }),
      'vex.json: @context: unsupported OpenVEX version',
    ],
    ['another kind of JSON', JSON.stringify({ vulns: [] }), 'vex.json: neither OpenVEX'],
    ['broken JSON', '{"@context": "https://openvex.dev/ns/v0.2.0",', 'vex.json: invalid JSON at line 1'],
  ])('refuses %s, naming the file and the place', (_name, content, message) => {
    const error = errorOf(content);
    expect(error.code).toBe('VEX_INVALID');
    expect(error.message).toContain(message);
  });
});

const cycloneDx = (vulnerabilities: unknown[], over: Record<string, unknown> = {}) =>
  JSON.stringify({
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    metadata: {
      timestamp: '2025-04-01T00:00:00Z',
      authors: [{ name: 'Sec Team', email: 'sec@example.org' }],
      component: { 'bom-ref': 'root', name: 'app', purl: 'pkg:npm/app@1.0.0' },
    },
    components: [
      {
        'bom-ref': 'lodash-ref',
        name: 'lodash',
        purl: 'pkg:npm/lodash@4.17.15',
        components: [{ 'bom-ref': 'nested', name: 'nested', purl: 'pkg:npm/%40scope/nested@2.0.0' }],
      },
      { 'bom-ref': 'file', name: 'no-purl' },
    ],
    vulnerabilities,
    ...over,
  });

describe('parseVexDocument: CycloneDX', () => {
  it('maps analysis states and justifications, resolves refs through bom-refs, skips un-analysed entries', () => {
    const doc = parseVexDocument(
      cycloneDx([
        {
          id: 'CVE-2020-8203',
          references: [{ id: 'GHSA-p6mc-m468-83gw', source: { name: 'GitHub' } }],
          analysis: {
            state: 'not_affected',
            justification: 'code_not_reachable',
            detail: 'never called',
            lastUpdated: '2025-05-01T00:00:00Z',
          },
          affects: [{ ref: 'lodash-ref' }, { ref: 'nested' }],
        },
        {
          id: 'CVE-2021-2',
          analysis: { state: 'not_affected', justification: 'protected_at_perimeter' },
          affects: [{ ref: 'pkg:npm/direct@1.0.0' }],
        },
        {
          id: 'CVE-2021-3',
          analysis: {
            state: 'exploitable',
            response: ['update', 'workaround_available'],
            detail: 'see wiki',
          },
          affects: [{ ref: 'urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#lodash-ref' }],
        },
        { id: 'CVE-2021-4', analysis: { state: 'in_triage' }, affects: [{ ref: 'file' }] },
        { id: 'CVE-2021-5', analysis: { state: 'false_positive' }, affects: [{ ref: 'lodash-ref' }] },
        { id: 'CVE-2021-6', analysis: { state: 'resolved' }, affects: [{ ref: 'lodash-ref' }] },
        { id: 'CVE-2021-7', ratings: [], affects: [{ ref: 'lodash-ref' }] },
      ]),
      'bom.vex.json',
    );
    expect(doc.format).toBe('cyclonedx');
    expect(doc.author).toBe('Sec Team <sec@example.org>');
    expect(doc.statements.map((s) => [s.vulnerability, s.status, s.justification])).toEqual([
      ['CVE-2020-8203', 'not_affected', 'vulnerable_code_not_in_execute_path'],
      // No OpenVEX counterpart: kept as written.
      ['CVE-2021-2', 'not_affected', 'protected_at_perimeter'],
      ['CVE-2021-3', 'affected', undefined],
      ['CVE-2021-4', 'under_investigation', undefined],
      ['CVE-2021-5', 'not_affected', undefined],
      ['CVE-2021-6', 'fixed', undefined],
    ]);
    expect(doc.statements[0]).toMatchObject({
      aliases: ['GHSA-p6mc-m468-83gw'],
      products: [
        { purl: 'pkg:npm/lodash@4.17.15', subcomponents: [] },
        { purl: 'pkg:npm/%40scope/nested@2.0.0', subcomponents: [] },
      ],
      impactStatement: 'never called',
      author: 'Sec Team <sec@example.org>',
      timestamp: '2025-05-01T00:00:00.000Z',
      source: 'bom.vex.json',
    });
    expect(doc.statements[1]?.timestamp).toBe('2025-04-01T00:00:00.000Z');
    expect(doc.statements[2]).toMatchObject({
      actionStatement: 'response: update, workaround_available. see wiki',
      products: [{ purl: 'pkg:npm/lodash@4.17.15' }],
    });
    expect(doc.statements[3]?.products).toEqual([{ purl: undefined, subcomponents: [] }]);
    expect(doc.statements[4]?.impactStatement).toBe('false positive');
  });

  it("takes a BOM-Link with the document's own serial as a reference into it, a literal % included", () => {
    const serial = '3e671687-395b-41f5-a30f-a58921a69b79';
    const doc = (ref: string) =>
      cycloneDx([{ id: 'CVE-1', analysis: { state: 'in_triage' }, affects: [{ ref }] }], {
        serialNumber: `urn:uuid:${serial}`,
        components: [{ 'bom-ref': 'comp%201', name: 'a', purl: 'pkg:npm/a@1.0.0' }],
      });
    expect(parseVexDocument(doc(`urn:cdx:${serial}/1#comp%201`), 'vex.json').statements[0]?.products).toEqual(
      [{ purl: 'pkg:npm/a@1.0.0', subcomponents: [] }],
    );
    expect(errorOf(doc(`urn:cdx:${serial}/1#missing`)).message).toContain(
      `"urn:cdx:${serial}/1#missing" names no component of this document`,
    );
  });

  it('reads a BOM-Link into another BOM whose bom-ref is a package URL (percent-encoded or not)', () => {
    const doc = parseVexDocument(
      cycloneDx([
        {
          id: 'CVE-1',
          analysis: { state: 'in_triage' },
          affects: [
            { ref: 'urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#pkg:npm/lodash@4.17.15' },
            { ref: 'urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#pkg%3Anpm%2F%2540s%2Fa%401.0.0' },
          ],
        },
      ]),
      'vex.json',
    );
    expect(doc.statements[0]?.products).toEqual([
      { purl: 'pkg:npm/lodash@4.17.15', subcomponents: [] },
      { purl: 'pkg:npm/%40s/a@1.0.0', subcomponents: [] },
    ]);
  });

  it.each([
    [
      'a ref that names no component',
      cycloneDx([{ id: 'CVE-1', analysis: { state: 'in_triage' }, affects: [{ ref: 'nope' }] }]),
      'vex.json: vulnerabilities[0].affects[0].ref: "nope" names no component of this document',
    ],
    [
      'an unknown analysis state',
      cycloneDx([{ id: 'CVE-1', analysis: { state: 'maybe' }, affects: [{ ref: 'file' }] }]),
      'vex.json: vulnerabilities[0].analysis.state',
    ],
    [
      'not_affected without justification or detail',
      cycloneDx([{ id: 'CVE-1', analysis: { state: 'not_affected' }, affects: [{ ref: 'file' }] }]),
      'vex.json: vulnerabilities[0].analysis: not_affected needs a justification or a detail',
    ],
    [
      'an analysis that names nothing',
      cycloneDx([{ id: 'CVE-1', analysis: { state: 'in_triage' } }]),
      'vex.json: vulnerabilities[0].affects: the analysis names no affected component',
    ],
    [
      'a BOM-Link into another BOM by a bom-ref that is no package URL',
      cycloneDx([
        {
          id: 'CVE-1',
          analysis: { state: 'in_triage' },
          affects: [{ ref: 'urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#some-ref' }],
        },
      ]),
      'vex.json: vulnerabilities[0].affects: "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#some-ref" names a component of another BOM by a bom-ref that is no package URL, which cannot be matched: name it by its purl',
    ],
    ['CycloneDX 1.3', cycloneDx([], { specVersion: '1.3' }), 'vex.json: specVersion: expected 1.4 or later'],
  ])('refuses %s', (_name, content, message) => {
    const error = errorOf(content);
    expect(error.code).toBe('VEX_INVALID');
    expect(error.message).toContain(message);
  });
});
