import { describe, expect, it } from 'vitest';
import { isPatchPilotError } from '../core/errors.js';
import { parseCommandArgs } from './args.js';

const failure = (args: string[]): { code: string; message: string } => {
  try {
    parseCommandArgs('scan', args, { 'max-paths': { type: 'string' } });
  } catch (error) {
    if (isPatchPilotError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('no error');
};

describe('parseCommandArgs', () => {
  it('says how to give a value that starts with "-", which parseArgs only calls ambiguous', () => {
    expect(failure(['--max-paths', '-1'])).toEqual({
      code: 'USAGE',
      message: 'scan: --max-paths needs a value; one that starts with "-" is written --max-paths=-1',
    });
    expect(parseCommandArgs('scan', ['--max-paths=-1'], { 'max-paths': { type: 'string' } }).values).toEqual({
      'max-paths': '-1',
    });
  });

  it('says a value is missing when what follows is another option', () => {
    const options = { format: { type: 'string' }, json: { type: 'boolean' } } as const;
    try {
      parseCommandArgs('scan', ['--format', '--json'], options);
      throw new Error('no error');
    } catch (error) {
      expect(isPatchPilotError(error) && error.message).toBe(
        'scan: --format needs a value, and --json is an option of its own',
      );
    }
  });

  it('names the command in any other parse error', () => {
    expect(failure(['--bogus'])).toMatchObject({
      code: 'USAGE',
      message: expect.stringMatching(/^scan: .*--bogus/),
    });
  });
});
