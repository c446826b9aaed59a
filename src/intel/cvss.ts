import calculator from 'ae-cvss-calculator';

/** CVSS v2, v3.0, v3.1 and v4.0 base score of a vector; undefined when it does not parse. */
export const scoreVector = (vector: string): number | undefined => {
  try {
    const parsed = calculator.fromVector(vector);
    if (!parsed) return undefined;
    const base = parsed.calculateScores().base;
    return typeof base === 'number' && Number.isFinite(base) ? base : undefined;
  } catch {
    return undefined;
  }
};
