import { z } from 'zod';

/** package-lock.json / npm-shrinkwrap.json after JSON.parse: unknown fields pass, known ones are typed. */
const depMap = z.record(z.string(), z.string());

export const packageEntrySchema = z.looseObject({
  name: z.string().optional(),
  version: z.string().optional(),
  resolved: z.string().optional(),
  integrity: z.string().optional(),
  license: z.unknown().optional(),
  link: z.boolean().optional(),
  dev: z.boolean().optional(),
  optional: z.boolean().optional(),
  devOptional: z.boolean().optional(),
  peer: z.boolean().optional(),
  inBundle: z.boolean().optional(),
  dependencies: depMap.optional(),
  devDependencies: depMap.optional(),
  optionalDependencies: depMap.optional(),
  peerDependencies: depMap.optional(),
  peerDependenciesMeta: z.record(z.string(), z.looseObject({ optional: z.boolean().optional() })).optional(),
  workspaces: z
    .union([z.array(z.string()), z.looseObject({ packages: z.array(z.string()).optional() })])
    .optional(),
});

export type PackageEntry = z.infer<typeof packageEntrySchema>;

export interface LegacyEntry {
  version: string;
  resolved?: string | undefined;
  integrity?: string | undefined;
  dev?: boolean | undefined;
  optional?: boolean | undefined;
  bundled?: boolean | undefined;
  requires?: Record<string, string> | undefined;
  dependencies?: Record<string, LegacyEntry> | undefined;
}

/** npm 5 and 6 sometimes wrote `"resolved": false` or `"integrity": false`; both mean "not recorded". */
const stringOrFalse = z
  .union([z.string(), z.boolean()])
  .optional()
  .transform((v) => (typeof v === 'string' ? v : undefined));

const legacyEntrySchema: z.ZodType<LegacyEntry> = z.lazy(() =>
  z.looseObject({
    version: z.string(),
    resolved: stringOrFalse,
    integrity: stringOrFalse,
    dev: z.boolean().optional(),
    optional: z.boolean().optional(),
    bundled: z.boolean().optional(),
    requires: z
      .union([depMap, z.boolean()])
      .optional()
      .transform((r) => (typeof r === 'object' ? r : undefined)),
    dependencies: z.record(z.string(), legacyEntrySchema).optional(),
  }),
);

export const lockfileSchema = z.looseObject({
  name: z.string().optional(),
  version: z.string().optional(),
  lockfileVersion: z.number().int(),
  packages: z.record(z.string(), packageEntrySchema).optional(),
  dependencies: z.record(z.string(), legacyEntrySchema).optional(),
});

export type Lockfile = z.infer<typeof lockfileSchema>;

export const manifestSchema = z.looseObject({
  name: z.string().optional(),
  version: z.string().optional(),
  dependencies: depMap.optional(),
  devDependencies: depMap.optional(),
  optionalDependencies: depMap.optional(),
  peerDependencies: depMap.optional(),
  workspaces: z
    .union([z.array(z.string()), z.looseObject({ packages: z.array(z.string()).optional() })])
    .optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
