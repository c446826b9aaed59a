import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { projectRoot } from '../../test/helpers/cli.js';
import { isCalendarDate } from '../core/date.js';
import { configJsonSchema } from './json-schema.js';
import { calendarDatePattern, parsePackageSelector } from './schema.js';
import { defaultConfigJson, defaultConfigYaml } from './template.js';

/**
 * The shipped JSON Schema (schema/patchpilot.schema.json) is generated from the zod schema; this
 * keeps the committed file equal to what `npm run schema` writes, and checks with an independent
 * validator (ajv) that it accepts the default configuration and rejects a misspelled key.
 */
const shipped = JSON.parse(
  readFileSync(join(projectRoot, 'schema/patchpilot.schema.json'), 'utf8'),
) as object;

const validator = () => {
  const ajv = new Ajv.default({ allErrors: true, strict: true, strictTypes: false });
  return ajv.compile(shipped);
};

describe('the shipped JSON Schema', () => {
  it('equals the one generated from the zod schema (run `npm run schema` after changing it)', () => {
    expect(shipped).toEqual(configJsonSchema());
    expect(shipped).toMatchObject({
      $schema: 'http://json-schema.org/draft-07/schema#',
      additionalProperties: false,
    });
    expect(Object.keys((shipped as { properties: object }).properties)).toEqual([
      '$schema',
      'packageManager',
      'commands',
      'policy',
      'gate',
      'exceptions',
    ]);
  });

  it('accepts the default configuration that init writes, in both formats', () => {
    const validate = validator();
    expect(validate(parse(defaultConfigYaml)), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(JSON.parse(defaultConfigJson())), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({})).toBe(true);
  });

  it('rejects misspelled keys at every level, and values of the wrong kind', () => {
    const validate = validator();
    expect(validate({ gaet: {} })).toBe(false);
    expect(validate.errors?.[0]).toMatchObject({
      keyword: 'additionalProperties',
      params: { additionalProperty: 'gaet' },
    });
    expect(validate({ gate: { sla: { critcal: 7 } } })).toBe(false);
    expect(validate.errors?.[0]).toMatchObject({
      instancePath: '/gate/sla',
      params: { additionalProperty: 'critcal' },
    });
    expect(
      validate({
        exceptions: [{ id: 'GHSA-x', reason: 'r', expires: '2025-01-01', author: 'a', pakage: 'x' }],
      }),
    ).toBe(false);
    expect(validate({ gate: { sla: { high: true } } })).toBe(false);
    expect(validate({ gate: { sla: { high: false, critical: 0 } } })).toBe(true);
    expect(validate({ policy: { maxLevel: 6 } })).toBe(false);
    expect(
      validate({ exceptions: [{ id: 'GHSA-x', reason: 'r', expires: '31/12/2025', author: 'a' }] }),
    ).toBe(false);
    expect(validate({ exceptions: [{ id: 'GHSA-x', reason: 'r', expires: '2025-12-31' }] })).toBe(false);
    // A date that is not on the calendar, as the CLI refuses it.
    expect(
      validate({ exceptions: [{ id: 'GHSA-x', reason: 'r', expires: '2025-02-30', author: 'a' }] }),
    ).toBe(false);
  });
});

describe('calendar dates', () => {
  it('the JSON Schema pattern accepts exactly the dates the CLI accepts', () => {
    const pattern = new RegExp(calendarDatePattern);
    const two = (n: number) => String(n).padStart(2, '0');
    let accepted = 0;
    for (const year of [0, 4, 99, 100, 400, 1900, 1996, 2000, 2023, 2024, 2025, 2100, 2400, 9999]) {
      for (let month = 0; month <= 13; month++) {
        for (let day = 0; day <= 32; day++) {
          const text = `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}`;
          expect(pattern.test(text), text).toBe(isCalendarDate(text));
          if (isCalendarDate(text)) accepted++;
        }
      }
    }
    // 14 years, of which 0, 4, 400, 1996, 2000, 2024 and 2400 are leap years.
    expect(accepted).toBe(14 * 365 + 7);
    for (const text of ['2025-1-01', '25-01-01', '2025-01-01T00:00:00Z', ' 2025-01-01', '2025-01-01\n']) {
      expect(pattern.test(text), text).toBe(false);
      expect(isCalendarDate(text), text).toBe(false);
    }
  });

  it('takes a year below 100 as written, not as 19xx', () => {
    expect(isCalendarDate('0099-12-31')).toBe(true);
    expect(isCalendarDate('0004-02-29')).toBe(true);
    expect(isCalendarDate('0099-02-29')).toBe(false);
  });
});

describe('parsePackageSelector', () => {
  it.each([
    ['lodash', { name: 'lodash', version: undefined }],
    ['lodash@4.17.15', { name: 'lodash', version: '4.17.15' }],
    ['@Babel/Core@7.0.0', { name: '@babel/core', version: '7.0.0' }],
    ['@babel/core', { name: '@babel/core', version: undefined }],
    ['pkg:npm/%40babel/core@7.0.0', { name: '@babel/core', version: '7.0.0' }],
    ['pkg:npm/lodash', { name: 'lodash', version: undefined }],
    ['lodash@', undefined],
    ['lodash@1@2', undefined],
    ['not a name', undefined],
    ['pkg:pypi/django', undefined],
  ])('%s', (text, expected) => {
    expect(parsePackageSelector(text)).toEqual(expected);
  });
});
