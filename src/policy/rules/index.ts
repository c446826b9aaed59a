import type { PolicyRule } from '../rule.js';
import { deprecated } from './deprecated.js';
import { downgrade } from './downgrade.js';
import { factCap } from './fact-cap.js';
import { installScripts } from './install-scripts.js';
import { maxLevel } from './max-level.js';
import { noFix } from './no-fix.js';
import { override } from './override.js';
import { packageCap } from './package-cap.js';
import { proofOfFix } from './proof-of-fix.js';
import { releaseAge } from './release-age.js';
import { scopeCap } from './scope-cap.js';
import { semverStep } from './semver-step.js';
import { severityCap } from './severity-cap.js';
import { stillAffected } from './still-affected.js';
import { testsEvidence } from './tests-evidence.js';

/**
 * Every policy rule, in the order their reasons are listed: the project ceiling and the
 * unfixable first, then what the change is (step, direction, mechanism), what its targets are
 * (scripts, age, deprecation, advisories), what `fix` proved (tests, proof), and the project's own
 * caps last. The order never changes a level: the lowest cap wins whatever the order.
 */
export const policyRules: readonly PolicyRule[] = [
  maxLevel,
  noFix,
  semverStep,
  downgrade,
  override,
  installScripts,
  releaseAge,
  deprecated,
  stillAffected,
  testsEvidence,
  proofOfFix,
  packageCap,
  scopeCap,
  severityCap,
  factCap,
];

export const ruleById = (id: string): PolicyRule | undefined => policyRules.find((r) => r.id === id);
