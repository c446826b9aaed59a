import { PatchPilotError } from '../core/errors.js';

/**
 * JSON.parse with an error that names the file, the line and the column. V8's messages carry a
 * character position for most syntax errors; a truncated document is reported at its end.
 */
export const parseJsonDocument = (
  content: string,
  path: string,
  code: 'LOCKFILE_INVALID_JSON' | 'MANIFEST_INVALID',
): unknown => {
  try {
    return JSON.parse(content);
  } catch (cause) {
    const text = cause instanceof Error ? cause.message : String(cause);
    const match = /position (\d+)/.exec(text);
    const atEnd = match !== null && Number(match[1]) >= content.trimEnd().length;
    const truncated = atEnd || /end of (JSON|data)/i.test(text);
    const position = match ? Number(match[1]) : truncated ? content.length : undefined;
    const where = position === undefined ? '' : ` at ${lineColumn(content, position)}`;
    const reason = truncated
      ? 'the document ends early (truncated?)'
      : (text.split('\n')[0] ?? text).replace(/ in JSON at position \d+.*$/, '');
    throw new PatchPilotError(code, `${path}: invalid JSON${where}: ${reason}`, {
      hint:
        code === 'LOCKFILE_INVALID_JSON'
          ? 'the lockfile is corrupt or was cut short; regenerate it with your package manager'
          : 'fix the JSON syntax of this package.json',
      cause,
    });
  }
};

export const lineColumn = (content: string, position: number): string => {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(position, content.length);
  for (let i = 0; i < end; i++) {
    if (content.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return `line ${line}, column ${end - lineStart + 1}`;
};
