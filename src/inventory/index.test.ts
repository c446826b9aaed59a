import { describe, expect, it } from 'vitest';
import * as bun from './bun/index.js';
import { formats } from './index.js';
import * as npm from './npm/index.js';
import * as pnpm from './pnpm/index.js';
import * as yarnBerry from './yarn-berry/index.js';
import * as yarnClassic from './yarn-classic/index.js';

describe('lockfile formats', () => {
  it('name the files each parser declares, in its order: parsers load only when their file is met', () => {
    expect(Object.fromEntries(formats.map((f) => [f.id, f.names]))).toEqual({
      npm: npm.lockfileNames,
      yarn: yarnClassic.lockfileNames,
      pnpm: pnpm.lockfileNames,
      bun: bun.lockfileNames,
    });
    expect(yarnBerry.lockfileNames).toEqual(yarnClassic.lockfileNames);
  });
});
