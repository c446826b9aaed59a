import calculator from 'ae-cvss-calculator';

/**
 * Scores by vector. A feed repeats a few thousand vectors across all its records, and scoring one
 * takes about as long as parsing its whole record, so each distinct vector is scored once per
 * process. Capped so that a hostile feed of unique vectors cannot grow it without bound.
 */
const scored = new Map<string, number | undefined>();
const MAX_SCORED = 50_000;

/** CVSS v2, v3.0, v3.1 and v4.0 base score of a vector; undefined when it does not parse. */
export const scoreVector = (vector: string): number | undefined => {
  if (scored.has(vector)) return scored.get(vector);
  const score = computeScore(vector);
  if (scored.size >= MAX_SCORED) scored.clear();
  scored.set(vector, score);
  return score;
};

const computeScore = (vector: string): number | undefined => {
  try {
    const parsed = calculator.fromVector(vector);
    if (!parsed) return undefined;
    const base = parsed.calculateScores().base;
    return typeof base === 'number' && Number.isFinite(base) ? base : undefined;
  } catch {
    return undefined;
  }
};
