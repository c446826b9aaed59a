import { randomUUID } from 'node:crypto';
import { join, relative, resolve } from 'node:path';
import { findLockfiles, readInventory } from '../../inventory/index.js';
import {
  type CycloneDxSpecVersion,
  cycloneDxSpecVersions,
  writeCycloneDx,
} from '../../inventory/sbom/cyclonedx.js';
import { writeSpdx } from '../../inventory/sbom/spdx.js';
import type { OmitKind, SbomOptions } from '../../inventory/sbom/write-common.js';
import { sameFile, statOrUndefined, writeOutputFile } from '../../util/fs.js';
import { printableText } from '../../util/printable.js';
import { parseCommandArgs, usage } from '../args.js';
import { displayPath, type Io, type Outcome, ownStreams } from '../io.js';
import { toolVersion } from '../version.js';

const help = `Usage: patchpilot sbom [DIR|LOCKFILE] [options]

Write a software bill of materials for the lockfile in DIR (default: the current folder): every
installed package once, with its purl, hashes from the lockfile's integrity, declared licence and
download location, plus the project, its workspaces and the dependency graph. With lockfiles of
several package managers in DIR, the first of npm, yarn, pnpm and bun is used (and for npm,
npm-shrinkwrap.json before package-lock.json), and a line on stderr names it and the others;
pass the lockfile itself to choose another.

Options:
      --format FORMAT        cyclonedx (default, JSON) or spdx (SPDX 2.3 JSON)
      --spec-version V       CycloneDX version: 1.6 (default) or 1.5
      --omit TYPE            leave out dev, optional or peer packages, as npm sbom --omit does;
                             repeat for several
      --reproducible         no timestamp (SPDX: 1970-01-01T00:00:00Z), serial number and namespace
                             derived from the content: two runs give the same bytes
  -o, --output FILE          write to FILE (atomically) instead of stdout
      --debug                show stack traces on errors
  -h, --help                 show this help

Exit codes: 0 written, 2 usage or input error, 3 external failure, 70 internal error.

Examples:
  patchpilot sbom > bom.cdx.json
  patchpilot sbom ./app --format spdx --output app.spdx.json
  patchpilot sbom --omit dev --reproducible --spec-version 1.5
`;

type SbomFormat = 'cyclonedx' | 'spdx';
const omitKinds: readonly OmitKind[] = ['dev', 'optional', 'peer'];

export const sbomCommand = async (args: readonly string[], io: Io): Promise<Outcome> => {
  const { values, positionals } = parseCommandArgs('sbom', args, {
    format: { type: 'string' },
    'spec-version': { type: 'string' },
    omit: { type: 'string', multiple: true },
    reproducible: { type: 'boolean' },
    output: { type: 'string', short: 'o' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(help);
    return 'ok';
  }
  if (positionals.length > 1) {
    throw usage('sbom', `expected one folder or lockfile, got ${positionals.length}`);
  }
  const format = (values.format ?? 'cyclonedx') as SbomFormat;
  if (format !== 'cyclonedx' && format !== 'spdx') {
    throw usage('sbom', `unknown --format "${values.format}" (cyclonedx, spdx)`);
  }
  const specVersion = values['spec-version'];
  if (specVersion !== undefined) {
    if (format !== 'cyclonedx') throw usage('sbom', '--spec-version applies to --format cyclonedx only');
    if (!(cycloneDxSpecVersions as readonly string[]).includes(specVersion)) {
      throw usage('sbom', `unknown --spec-version "${specVersion}" (${cycloneDxSpecVersions.join(', ')})`);
    }
  }
  const omit = new Set<OmitKind>();
  for (const value of values.omit ?? []) {
    for (const kind of value.split(',')) {
      if (!(omitKinds as readonly string[]).includes(kind)) {
        throw usage('sbom', `unknown --omit "${kind}" (${omitKinds.join(', ')})`);
      }
      omit.add(kind as OmitKind);
    }
  }
  if (values.output === '') throw usage('sbom', '--output needs a file name');
  if (values.output !== undefined && statOrUndefined(resolve(io.cwd, values.output))?.isDirectory()) {
    throw usage('sbom', `--output ${values.output} is a folder; give a file name`);
  }

  const [lockfile, ...others] = findLockfiles(resolve(io.cwd, positionals[0] ?? '.'), false);
  // One document per run: with lockfiles of several package managers in the folder, say which one
  // it describes and how to choose another, rather than pick in silence.
  if (others.length > 0) {
    const shown = (path: string) => displayPath(io, path);
    io.stderr.write(
      `patchpilot sbom: ${others.length + 1} lockfiles in this folder; describing ${shown(lockfile as string)}. Pass a lockfile's path to describe another: ${others.map(shown).join(', ')}\n`,
    );
  }
  const inventory = await readInventory(lockfile as string);
  const options: SbomOptions = {
    toolVersion: toolVersion(),
    created: values.reproducible ? undefined : io.now(),
    uuid: values.reproducible ? undefined : randomUUID(),
    omit,
  };
  const { document, text } =
    format === 'spdx'
      ? writeSpdx(inventory, options)
      : writeCycloneDx(inventory, {
          ...options,
          specVersion: (specVersion ?? '1.6') as CycloneDxSpecVersion,
        });
  if (values.output === undefined) {
    io.stdout.write(text);
    return 'ok';
  }
  const output = resolve(io.cwd, values.output);
  for (const input of [inventory.lockfile, join(inventory.root, 'package.json')]) {
    if (sameFile(output, input))
      throw usage(
        'sbom',
        `--output ${values.output} is ${displayPath(io, input)}, which the bill of materials is made from: write it elsewhere`,
      );
  }
  // As on stdout: C1 controls and bidi overrides escaped, the same characters to a JSON reader.
  writeOutputFile(output, printableText(text), ownStreams(io));
  const count = 'packages' in document ? document.packages.length - 1 : document.components.length;
  const kind = format === 'spdx' ? 'SPDX 2.3' : `CycloneDX ${specVersion ?? '1.6'}`;
  io.stderr.write(
    `wrote ${relative(io.cwd, output) || output}: ${kind}, ${count === 1 ? '1 package' : `${count} packages`} from ${relative(io.cwd, inventory.lockfile)}\n`,
  );
  return 'ok';
};
