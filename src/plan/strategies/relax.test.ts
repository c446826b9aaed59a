import { describe, expect, it } from 'vitest';
import { universe } from '../../../test/helpers/plan.js';
import type { PackageMetadata } from '../../registry/types.js';
import { floorSteps, nextOsvScannerRange, osvScannerSteps } from './relax.js';

const metaOf = async (schema: string, name: string): Promise<PackageMetadata> =>
  (await universe(schema).getPackage(name)) as PackageMetadata;

const versions = `
  p
    1.0.1
    1.0.2
    1.0.3
    1.1.0
    2.0.0
    2.1.0
    3.0.0-rc.1
    3.0.0
    3.0.1
`;

describe('osv-scanner range steps', () => {
  it('exact → ~ highest patch → ^ highest minor → ^ highest of each next major', async () => {
    const meta = await metaOf(versions, 'p');
    expect(osvScannerSteps('1.0.1', meta, 'major').map((s) => s.range)).toEqual([
      '~1.0.3',
      '^1.1.0',
      '^2.1.0',
      '^3.0.1',
    ]);
    expect(osvScannerSteps('npm:p@^1.0.0', meta, 'major').map((s) => s.range)).toEqual([
      'npm:p@^2.1.0',
      'npm:p@^3.0.1',
    ]);
  });

  it('stops where --upgrade-config does', async () => {
    const meta = await metaOf(versions, 'p');
    expect(nextOsvScannerRange('^1.0.0', meta, 'minor')).toBeUndefined();
    expect(nextOsvScannerRange('1.0.1', meta, 'patch')).toBe('~1.0.3');
    expect(nextOsvScannerRange('^3.0.0', meta, 'major')).toBeUndefined();
  });
});

describe('floor steps (PatchPilot)', () => {
  it('keeps the operator, raises the floor, one step per version installed', async () => {
    const meta = await metaOf(versions, 'p');
    const never = () => false;
    expect(floorSteps('^1.0.0', meta, '1.1.0', false, never)).toEqual([
      { range: '^2.0.0', install: '2.1.0' },
      { range: '^3.0.0', install: '3.0.1' },
    ]);
    expect(floorSteps('1.0.1', meta, '1.0.1', false, never).map((s) => s.range)).toEqual([
      '1.0.2',
      '1.0.3',
      '1.1.0',
      '2.0.0',
      '2.1.0',
      '3.0.0',
      '3.0.1',
    ]);
    expect(floorSteps('~1.0.1', meta, '1.0.3', true, never)).toEqual([
      // Highest floor first; ~3.0.0 would install 3.0.1 too, so it is the same step.
      { range: '~3.0.1', install: '3.0.1' },
      { range: '~2.1.0', install: '2.1.0' },
      { range: '~2.0.0', install: '2.0.0' },
      { range: '~1.1.0', install: '1.1.0' },
    ]);
  });

  it('never puts the floor on a version the dependency’s own finding affects', async () => {
    const meta = await metaOf(versions, 'p');
    expect(floorSteps('^1.0.0', meta, '1.1.0', false, (v) => v === '2.0.0')).toEqual([
      { range: '^2.1.0', install: '2.1.0' },
      { range: '^3.0.0', install: '3.0.1' },
    ]);
  });
});
