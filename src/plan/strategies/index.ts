import type { StrategyName } from '../../core/plan.js';
import type { Strategy } from '../context.js';
import { inPlace } from './in-place.js';
import { override } from './override.js';
import { parentUpgrade } from './parent-upgrade.js';
import { relax } from './relax.js';

/**
 * The strategies, one leaf each, in the order they run and rank. `override` runs after the
 * others and only for findings none of their candidates fixes.
 */
export const strategies: Readonly<Record<StrategyName, Strategy>> = {
  'in-place': inPlace,
  relax,
  'parent-upgrade': parentUpgrade,
  override,
};
