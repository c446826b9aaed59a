import type { StrategyName } from '../../core/plan.js';
import type { Strategy } from '../context.js';
import { inPlace } from './in-place.js';
import { relax } from './relax.js';

/**
 * The strategies, one leaf each, in the order they run. `parent-upgrade` and `override` join
 * this list with the same shape.
 */
export const strategies: Readonly<Record<StrategyName, Strategy>> = {
  'in-place': inPlace,
  relax,
};
