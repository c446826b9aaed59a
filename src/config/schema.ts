import { z } from 'zod';
import { isCalendarDate } from '../core/date.js';
import { parsePackageSelector } from './package-selector.js';

/** A cap's list that is present but empty would never match: almost certainly a mistake. */
const EMPTY_MATCHES_NOTHING = 'an empty list matches nothing: leave the key out to match any';

export { parsePackageSelector };

/**
 * The project configuration, `.patchpilot.yml` (or `.yaml`, `.json`): one zod schema, the only
 * description of the file. Every object is strict, so a misspelled key is an error rather than a
 * setting silently ignored. Every key is optional; `normalizeConfig` (normalize.ts) fills in the
 * defaults in one place. `schema/patchpilot.schema.json` is generated from this schema
 * (`npm run schema`), and its descriptions are what editors show on hover.
 */

export const packageManagers = ['npm', 'yarn', 'pnpm', 'bun'] as const;
export type PackageManager = (typeof packageManagers)[number];

/** Autonomy levels (docs: DESIGN.md): 1 report, 2 propose, 3 merge, 4 assist, 5 deploy. */
export const levels = [1, 2, 3, 4, 5] as const;
export type Level = (typeof levels)[number];

export const configScopes = ['prod', 'dev', 'optional', 'devOptional', 'peer'] as const;
export const configSeverities = ['critical', 'high', 'moderate', 'low', 'unknown'] as const;

/**
 * Facts about a planned change that a cap can name. The planner's `RiskFacts` (src/core/plan.ts)
 * and the later evidence (tests) map onto them:
 * - `in-range`: every declared range already accepts the new version (lockfile-only change);
 * - `patch`, `minor`, `major`: the largest semver step (any 0.x change counts as major);
 * - `downgrade`: a package moves to a lower version;
 * - `override`: the change needs an `overrides` / `resolutions` entry;
 * - `adds-install-script`: a target version runs install scripts its current version did not;
 * - `young-release`: a target version is younger than `policy.minReleaseAgeDays`;
 * - `deprecated`: a target version is deprecated;
 * - `still-affected`: a target version is still affected by another advisory;
 * - `untested`: the project's tests did not pass, or did not load the changed packages.
 */
export const riskFacts = [
  'in-range',
  'patch',
  'minor',
  'major',
  'downgrade',
  'override',
  'adds-install-script',
  'young-release',
  'deprecated',
  'still-affected',
  'untested',
] as const;
export type RiskFact = (typeof riskFacts)[number];

/**
 * The same rule as a JSON Schema pattern, for editors: the days each month has, and 29 February in
 * leap years only (every fourth year, but of the centuries only every fourth).
 */
export const calendarDatePattern =
  '^(?:\\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|02-(?:0[1-9]|1\\d|2[0-8]))' +
  '|(?:\\d{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)$';

// A cap's package pattern: a name where `*` stands for any run of characters.
const packagePattern = /^(@[\w.~*-]+\/)?[\w.~*-]+$/i;

/**
 * The schemas are built on first use: most projects have no configuration file, and building them
 * costs start-up time on every scan.
 */
const build = () => {
  const days = (what: string) =>
    z
      .int({ error: `expected a whole number of days${what}` })
      .min(0, 'must be 0 or more')
      .max(3650, 'must be at most 3650');

  const slaDays = (severity: string, fallback: number | undefined) =>
    z
      .union([days(', or false'), z.literal(false)], {
        error: 'expected a whole number of days, or false to turn this SLA off',
      })
      .optional()
      .meta({
        description:
          `Days a ${severity} finding may stay unfixed once a fix is available (from the later of the ` +
          `advisory's publish date and the fixed version's release date); false turns it off.` +
          (fallback === undefined ? ' Default: off.' : ` Default: ${fallback}.`),
        ...(fallback === undefined ? {} : { default: fallback }),
      });

  const level = (description: string) =>
    z
      .int({ error: 'expected a level from 1 to 5' })
      .min(1, 'expected a level from 1 to 5')
      .max(5, 'expected a level from 1 to 5')
      .meta({ description });

  const capSchema = z
    .strictObject({
      packages: z
        .array(
          z.string().regex(packagePattern, {
            error: 'expected a package name or a pattern with * (`lodash`, `@acme/*`, `eslint-*`)',
          }),
        )
        .min(1, EMPTY_MATCHES_NOTHING)
        .optional()
        .meta({
          description:
            'Package names or patterns (`*` matches any characters, `@acme/*` a whole scope); the cap applies to changes of these packages.',
        }),
      scopes: z
        .array(z.enum(configScopes, { error: `expected one of ${configScopes.join(', ')}` }))
        .min(1, EMPTY_MATCHES_NOTHING)
        .optional()
        .meta({
          description:
            'Dependency scopes; the cap applies when the changed package is installed in one of them.',
        }),
      severities: z
        .array(z.enum(configSeverities, { error: `expected one of ${configSeverities.join(', ')}` }))
        .min(1, EMPTY_MATCHES_NOTHING)
        .optional()
        .meta({
          description: 'Severities; the cap applies when a finding the change fixes has one of them.',
        }),
      facts: z
        .array(z.enum(riskFacts, { error: `expected one of ${riskFacts.join(', ')}` }))
        .min(1, EMPTY_MATCHES_NOTHING)
        .optional()
        .meta({
          description:
            'Risk facts of the change (in-range, patch, minor, major, downgrade, override, adds-install-script, young-release, deprecated, still-affected, untested); the cap applies when the change has one of them.',
        }),
      maxLevel: level(
        'The highest level a matching change may get (1 report, 2 propose, 3 merge, 4 assist, 5 deploy).',
      ),
      reason: z
        .string({ error: 'expected text' })
        .min(1, 'must not be empty')
        .optional()
        .meta({ description: 'Why the cap exists; shown in the verdict of every change it limits.' }),
    })
    .refine((cap) => cap.packages || cap.scopes || cap.severities || cap.facts, {
      error:
        'a cap needs at least one of packages, scopes, severities, facts (use policy.maxLevel for the whole project)',
    })
    .meta({
      description:
        'A cap on the level of the changes it matches: every condition given must hold (a list matches when any entry does).',
    });

  const exceptionSchema = z
    .strictObject({
      id: z
        .string({ error: 'expected a vulnerability id' })
        .trim()
        .min(1, 'must not be empty')
        .meta({ description: "The vulnerability's id or any alias (GHSA-…, CVE-…, MAL-…)." }),
      package: z
        .string({ error: 'expected a package name, name@version or pkg:npm purl' })
        .refine((text) => parsePackageSelector(text) !== undefined, {
          error:
            'expected a package name, name@version or pkg:npm purl, with an exact version, not a range (`lodash`, `lodash@4.17.15`, `pkg:npm/lodash`)',
        })
        .optional()
        .meta({
          description:
            'Limit the exception to one package: a name, name@version, or an npm purl with or without version. Absent: every package the vulnerability affects.',
        }),
      reason: z
        .string({ error: 'expected text' })
        .trim()
        .min(1, 'must not be empty')
        .meta({ description: 'Why the risk is accepted; shown wherever the finding is listed.' }),
      expires: z
        .string({ error: 'expected a date written YYYY-MM-DD' })
        .refine(isCalendarDate, { error: 'expected a date written YYYY-MM-DD' })
        .meta({
          description:
            'The last day (UTC) the exception holds, YYYY-MM-DD. From the next day on it no longer applies and the gate says it expired.',
          pattern: calendarDatePattern,
        }),
      author: z
        .string({ error: 'expected a name' })
        .trim()
        .min(1, 'must not be empty')
        .meta({ description: 'Who accepted the risk.' }),
    })
    .meta({
      description:
        'An accepted risk: the finding stays listed, marked excepted, and never fails the gate or --fail-on until it expires.',
    });

  const configSchema = z
    .strictObject({
      $schema: z
        .string({ error: 'expected a path or URL' })
        .optional()
        .meta({ description: 'The JSON Schema of this file, for editors; PatchPilot ignores it.' }),
      packageManager: z
        .enum(packageManagers, { error: `expected one of ${packageManagers.join(', ')}` })
        .optional()
        .meta({
          description:
            "The project's package manager, when its lockfile does not say (npm, yarn, pnpm, bun).",
        }),
      commands: z
        .strictObject({
          install: z
            .string({ error: 'expected a command line' })
            .min(1, 'must not be empty')
            .optional()
            .meta({
              description:
                "How to install dependencies in a checkout; default: the package manager's clean install with scripts disabled.",
            }),
          build: z
            .string({ error: 'expected a command line' })
            .min(1, 'must not be empty')
            .optional()
            .meta({ description: 'How to build the project before its tests; default: no build step.' }),
          test: z.string({ error: 'expected a command line' }).min(1, 'must not be empty').optional().meta({
            description:
              "How to run the project's tests; default: the package.json `test` script, when there is one.",
          }),
          timeoutSeconds: z
            .int({ error: 'expected a whole number of seconds' })
            .min(1, 'must be at least 1')
            .max(86_400, 'must be at most 86400 (a day)')
            .optional()
            .meta({ description: 'Time limit of each command, in seconds. Default: 600.', default: 600 }),
        })
        .optional()
        .meta({
          description: 'The commands that install, build and test the project when a change is verified.',
        }),
      policy: z
        .strictObject({
          maxLevel: level(
            'The highest level any change in this project may get: 1 report, 2 propose, 3 merge, 4 assist, 5 deploy. Default: 3.',
          )
            .optional()
            .meta({ default: 3 }),
          minReleaseAgeDays: days('').optional().meta({
            description:
              'A target version younger than this many days is proposed, never merged, unless it is the only fix for a KEV-listed finding or one above epssThreshold. Default: 3.',
            default: 3,
          }),
          epssThreshold: z
            .number({ error: 'expected a probability from 0 to 1' })
            .min(0, 'expected a probability from 0 to 1')
            .max(1, 'expected a probability from 0 to 1')
            .optional()
            .meta({
              description:
                'An EPSS probability (0 to 1) above which a finding counts as likely exploited, like a KEV-listed one. Default: 0.1.',
              default: 0.1,
            }),
          caps: z.array(capSchema).optional().meta({
            description:
              'Caps on the level by package pattern, scope, severity and risk fact; the lowest matching cap wins.',
          }),
        })
        .optional()
        .meta({
          description:
            'How far PatchPilot may take a change on its own (the autonomy level), and what limits it.',
        }),
      gate: z
        .strictObject({
          malicious: z.boolean({ error: 'expected true or false' }).optional().meta({
            description: 'Fail on any malicious package, in any scope. Default: true.',
            default: true,
          }),
          kev: z.boolean({ error: 'expected true or false' }).optional().meta({
            description:
              "Fail on any finding listed in CISA's Known Exploited Vulnerabilities catalog, in any scope. Default: true.",
            default: true,
          }),
          sla: z
            .strictObject({
              critical: slaDays('critical', 7),
              high: slaDays('high', 30),
              moderate: slaDays('moderate', undefined),
              low: slaDays('low', undefined),
            })
            .optional()
            .meta({ description: 'Days a finding may stay unfixed once a fix is available, per severity.' }),
          scopes: z
            .array(z.enum(configScopes, { error: `expected one of ${configScopes.join(', ')}` }))
            .min(1, 'an empty list turns every SLA off: leave the key out for the default [prod]')
            .optional()
            .meta({
              description:
                'The scopes the SLAs apply to (prod, peer, optional, devOptional, dev). Default: [prod].',
              default: ['prod'],
            }),
        })
        .optional()
        .meta({ description: 'What makes `patchpilot gate` fail (exit 1) in CI.' }),
      exceptions: z
        .array(exceptionSchema)
        .optional()
        .meta({ description: 'Accepted risks, each with a reason, an author and an expiry date.' }),
    })
    .meta({
      title: 'PatchPilot project configuration',
      description: 'The .patchpilot.yml (or .patchpilot.json) of a project.',
    });

  return { configSchema, capSchema, exceptionSchema };
};

let built: ReturnType<typeof build> | undefined;
const schemas = (): ReturnType<typeof build> => {
  built ??= build();
  return built;
};

/** The configuration file's schema. */
export const configSchema = () => schemas().configSchema;

/** The file as written: every key optional. */
export type ConfigInput = z.infer<ReturnType<typeof build>['configSchema']>;
export type CapInput = z.infer<ReturnType<typeof build>['capSchema']>;
export type ExceptionInput = z.infer<ReturnType<typeof build>['exceptionSchema']>;
