/**
 * Text from lockfiles, advisories, registries and configuration files in a Markdown table cell or
 * line: one line, no table breaks, no HTML (no tag or comment starts without `<`; a `>` inside
 * a line is text, and stays readable in a dependency path). A pull-request comment that let
 * `<!--` or `<details>` through could hide the findings after it from the reviewer.
 */
export const markdownCell = (text: string): string =>
  text
    .replace(/\r?\n|\r/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/\|/g, '\\|');

/**
 * Text as a code span (a package, a lockfile, a branch): a backtick in it cannot close the span
 * early and let what follows be read as Markdown or HTML. In a table cell (`inTable`) a pipe is
 * escaped, which GitHub reads as a pipe there only.
 */
export const markdownCode = (text: string, inTable = false): string => {
  const one = text.replace(/\r?\n|\r/g, ' ');
  const line = inTable ? one.replace(/\|/g, '\\|') : one;
  const longest = Math.max(0, ...(line.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = '`'.repeat(longest + 1);
  const pad = longest > 0 ? ' ' : '';
  return `${ticks}${pad}${line}${pad}${ticks}`;
};
