/**
 * Text from lockfiles, advisories, registries and configuration files in a Markdown table cell or
 * line, shown as the characters it holds:
 * - one line, no table breaks, no leading blanks (four would open a code block in a list item);
 * - no HTML: no tag or comment starts without `<`. A pull-request comment that let `<!--` or
 *   `<details>` through could hide the findings after it from the reviewer. A `>` inside a line
 *   is text, and stays readable in a dependency path;
 * - no Markdown: links and images (`[`, `]`), emphasis and strikethrough (`*`, `_`, `~`), code
 *   spans, maths (`$`) and a backslash are escaped (not an `_` inside a word, as in
 *   `not_affected`: it cannot open or close emphasis), and so is a block marker (`#`, `>`, `-`,
 *   `+`, `1. `) that starts the text, which would open a heading, quote or list in a list item (a
 *   version such as `1.0.0` is no list marker and stays as it is);
 * - no link or notification: GitHub links a bare `https://…` or `www.…` itself, `@types/node` or
 *   an exception's `@author` would mention a GitHub user, and `#12` or `GH-12` would link (and
 *   cross-reference) an issue. A zero-width space after `://`, `www`, `@`, `#` or `GH-` keeps the
 *   text as it reads (a name copied from it holds that space: names go in code spans where they
 *   are meant to be copied).
 */
export const markdownCell = (text: string): string =>
  text
    .replace(/\r?\n|\r/g, ' ')
    .replace(/^\s+/, '')
    .replace(/[\\`*[\]~$]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\$&')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/\|/g, '\\|')
    .replace(/^([#>+-])/, '\\$1')
    .replace(/^(\d{1,9})([.)])(?=\s|$)/, '$1\\$2')
    .replace(/#(?=\d)|\bGH-(?=\d)/gi, '$&&#8203;')
    .replace(/:\/\/|\bwww(?=\.)/gi, '$&&#8203;')
    .replace(/(^|[^A-Za-z0-9])@(?=[A-Za-z0-9])/g, '$1@&#8203;');

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
