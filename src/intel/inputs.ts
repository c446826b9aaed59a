import { resolve } from 'node:path';
import { PatchPilotError } from '../core/errors.js';
import { statOrUndefined } from '../util/fs.js';

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
