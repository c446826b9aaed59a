import type { SeverityLabel } from '../core/advisory.js';
import type { Scope } from '../core/inventory.js';
import type { ConfigInput, Level, PackageManager, RiskFact } from './schema.js';

/**
 * A project's configuration with every default filled in: what the stages read. Built only by
 * `normalizeConfig`, so each default is written once.
 */
export interface ProjectConfig {
  readonly packageManager: PackageManager | undefined;
  readonly commands: {
    readonly install: string | undefined;
    readonly build: string | undefined;
    readonly test: string | undefined;
    readonly timeoutSeconds: number;
  };
  readonly policy: {
    readonly maxLevel: Level;
    readonly minReleaseAgeDays: number;
    readonly epssThreshold: number;
    readonly caps: readonly LevelCap[];
  };
  readonly gate: GateConfig;
  readonly exceptions: readonly ConfigException[];
}

export interface LevelCap {
  /** Absent: any package (and likewise for the other conditions). */
  readonly packages: readonly string[] | undefined;
  readonly scopes: readonly Scope[] | undefined;
  readonly severities: readonly SeverityLabel[] | undefined;
  readonly facts: readonly RiskFact[] | undefined;
  readonly maxLevel: Level;
  readonly reason: string | undefined;
}

/** SLA days per severity; `undefined` means no SLA for that severity. */
export type GateSla = Readonly<Record<'critical' | 'high' | 'moderate' | 'low', number | undefined>>;

export interface GateConfig {
  readonly malicious: boolean;
  readonly kev: boolean;
  readonly sla: GateSla;
  /** The scopes the SLAs apply to. */
  readonly scopes: readonly Scope[];
}

export interface ConfigException {
  readonly id: string;
  /** As written: a name, name@version, or npm purl. */
  readonly package: string | undefined;
  readonly reason: string;
  /** `YYYY-MM-DD`, the last day it holds. */
  readonly expires: string;
  readonly author: string;
}

export const defaultGate: GateConfig = {
  malicious: true,
  kev: true,
  sla: { critical: 7, high: 30, moderate: undefined, low: undefined },
  scopes: ['prod'],
};

const sla = (value: number | false | undefined, fallback: number | undefined): number | undefined =>
  value === false ? undefined : (value ?? fallback);

/** The file as written → the configuration with its defaults. Pure. */
export const normalizeConfig = (input: ConfigInput): ProjectConfig => ({
  packageManager: input.packageManager,
  commands: {
    install: input.commands?.install,
    build: input.commands?.build,
    test: input.commands?.test,
    timeoutSeconds: input.commands?.timeoutSeconds ?? 600,
  },
  policy: {
    maxLevel: (input.policy?.maxLevel ?? 3) as Level,
    minReleaseAgeDays: input.policy?.minReleaseAgeDays ?? 3,
    epssThreshold: input.policy?.epssThreshold ?? 0.1,
    caps: (input.policy?.caps ?? []).map((cap) => ({
      packages: cap.packages,
      scopes: cap.scopes,
      severities: cap.severities,
      facts: cap.facts,
      maxLevel: cap.maxLevel as Level,
      reason: cap.reason,
    })),
  },
  gate: {
    malicious: input.gate?.malicious ?? defaultGate.malicious,
    kev: input.gate?.kev ?? defaultGate.kev,
    sla: {
      critical: sla(input.gate?.sla?.critical, defaultGate.sla.critical),
      high: sla(input.gate?.sla?.high, defaultGate.sla.high),
      moderate: sla(input.gate?.sla?.moderate, defaultGate.sla.moderate),
      low: sla(input.gate?.sla?.low, defaultGate.sla.low),
    },
    scopes: input.gate?.scopes ?? defaultGate.scopes,
  },
  exceptions: (input.exceptions ?? []).map((e) => ({
    id: e.id,
    package: e.package,
    reason: e.reason,
    expires: e.expires,
    author: e.author,
  })),
});

/** The configuration of a project without a file. */
export const defaultConfig: ProjectConfig = normalizeConfig({});
