#!/usr/bin/env node
// Writes schema/patchpilot.schema.json from the zod schema in src/config/schema.ts (built into
// dist/). Run through `npm run schema`, which builds first and formats the file after.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from '../dist/config/json-schema.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const file = join(root, 'schema/patchpilot.schema.json');
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${file}\n`);
