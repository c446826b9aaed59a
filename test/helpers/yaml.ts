/**
 * A "billion laughs" YAML text: nine lines whose aliases expand to 10^9 values. `head` goes first
 * (a lockfile's version line); the last anchor is used under `key`.
 */
export const aliasBomb = (head: string, key: string): string => {
  const lines = [head, 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++)
    lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n${key}: *a8\n`;
};
