import { defaultConfig } from './normalize.js';

/**
 * What `patchpilot init` writes: the default configuration, every key explained. Loading either
 * file gives exactly `defaultConfig` (tested), so the comments and the defaults cannot drift apart
 * unnoticed.
 */

/** Where the JSON Schema is once PatchPilot is a dev dependency of the project. */
export const schemaReference = './node_modules/patchpilot/schema/patchpilot.schema.json';

export const defaultConfigYaml = `# PatchPilot configuration. Every key is optional; the values below are the defaults.
# Editors complete and check this file with the JSON Schema PatchPilot ships: the line below works
# for the YAML language server (VS Code's YAML extension) once patchpilot is installed in
# node_modules; otherwise point it at schema/patchpilot.schema.json of a PatchPilot checkout.
# yaml-language-server: $schema=${schemaReference}

# The package manager, when the lockfile does not tell: npm, yarn, pnpm or bun.
# packageManager: npm

# How a change is verified in a checkout of the project. Absent: install with the package
# manager's clean install (scripts disabled), no build, and the package.json "test" script.
commands:
  # install: npm ci --ignore-scripts
  # build: npm run build
  # test: npm test
  # Time limit of each command, in seconds.
  timeoutSeconds: ${defaultConfig.commands.timeoutSeconds}

# How far PatchPilot may take a change on its own: 1 report, 2 propose (a branch or pull request
# a person merges), 3 merge (once the tests pass), 4 assist (code-level fix proposals, always
# reviewed), 5 deploy.
policy:
  # The highest level any change in this project may get.
  maxLevel: ${defaultConfig.policy.maxLevel}
  # A fixed version younger than this many days is proposed, never merged, unless it is the only
  # fix for a finding that is known exploited (KEV) or above epssThreshold.
  minReleaseAgeDays: ${defaultConfig.policy.minReleaseAgeDays}
  # EPSS probability (0 to 1) above which a finding counts as likely to be exploited.
  epssThreshold: ${defaultConfig.policy.epssThreshold}
  # Caps on the level of the changes they match; every condition given must hold, and the
  # lowest matching cap wins. Conditions: packages (names or patterns with *), scopes (prod,
  # peer, optional, devOptional, dev), severities (critical, high, moderate, low, unknown),
  # facts (in-range, patch, minor, major, downgrade, override, adds-install-script,
  # young-release, deprecated, still-affected, untested).
  caps: []
  # caps:
  #   - packages: ["@acme/*"]
  #     maxLevel: 2
  #     reason: our own packages are released by hand
  #   - facts: [major, adds-install-script]
  #     maxLevel: 2

# What makes \`patchpilot gate\` fail (exit 1) in CI.
gate:
  # Any malicious package, in any scope.
  malicious: ${defaultConfig.gate.malicious}
  # Any finding in CISA's Known Exploited Vulnerabilities catalog, in any scope.
  kev: ${defaultConfig.gate.kev}
  # Days a finding may stay unfixed once a fix is available, counted from the later of the
  # advisory's publish date and the fixed version's release date; false turns one off.
  sla:
    critical: ${defaultConfig.gate.sla.critical}
    high: ${defaultConfig.gate.sla.high}
    moderate: false
    low: false
  # The scopes the SLAs apply to.
  scopes: [${defaultConfig.gate.scopes.join(', ')}]

# Accepted risks. An exception keeps the finding listed, marked excepted, and stops it failing
# the gate (and scan --fail-on) through its expiry date (UTC); after that it no longer applies
# and the gate says it expired. id: the vulnerability's id or any alias; package (optional): a
# name, name@version or pkg:npm purl.
exceptions: []
# exceptions:
#   - id: GHSA-p6mc-m468-83gw
#     package: lodash@4.17.15
#     reason: zipObjectDeep is never called with user input
#     expires: 2025-12-31
#     author: Jane Doe <jane@example.org>
`;

/** The JSON form has no comments: the `$schema` reference gives editors the descriptions. */
export const defaultConfigJson = (): string =>
  `${JSON.stringify(
    {
      $schema: schemaReference,
      commands: { timeoutSeconds: defaultConfig.commands.timeoutSeconds },
      policy: {
        maxLevel: defaultConfig.policy.maxLevel,
        minReleaseAgeDays: defaultConfig.policy.minReleaseAgeDays,
        epssThreshold: defaultConfig.policy.epssThreshold,
        caps: [],
      },
      gate: {
        malicious: defaultConfig.gate.malicious,
        kev: defaultConfig.gate.kev,
        sla: {
          critical: defaultConfig.gate.sla.critical,
          high: defaultConfig.gate.sla.high,
          moderate: false,
          low: false,
        },
        scopes: defaultConfig.gate.scopes,
      },
      exceptions: [],
    },
    null,
    2,
  )}\n`;
