import { PatchPilotError } from '../core/errors.js';

/**
 * JSON.parse with an error that names the file, the line and the column. V8's messages carry a
 * position for some syntax errors and not for others (and differ between Node versions), so on
 * failure the document is rescanned to find where it stops being JSON.
 */
export const parseJsonDocument = (
  content: string,
  path: string,
  code:
    | 'LOCKFILE_INVALID_JSON'
    | 'MANIFEST_INVALID'
    | 'SBOM_INVALID'
    | 'ADVISORY_INPUT_INVALID'
    | 'VEX_INVALID'
    | 'CONFIG_INVALID',
): unknown => {
  // A byte-order mark is not JSON, but editors write one and npm accepts it.
  const text = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  try {
    return JSON.parse(text);
  } catch (cause) {
    const offset = safeErrorOffset(text);
    const truncated = offset >= text.trimEnd().length;
    const detail = cause instanceof Error ? cause.message : String(cause);
    const reason = truncated
      ? 'the document ends early (truncated?)'
      : `unexpected ${describe(text, offset)} (${(detail.split('\n')[0] ?? detail).replace(/ in JSON at position \d+.*$/, '')})`;
    throw new PatchPilotError(code, `${path}: invalid JSON at ${lineColumn(text, offset)}: ${reason}`, {
      hint:
        code === 'LOCKFILE_INVALID_JSON'
          ? 'the lockfile is corrupt or was cut short; regenerate it with your package manager'
          : code === 'SBOM_INVALID'
            ? 'the SBOM is corrupt or was cut short; produce it again'
            : code === 'ADVISORY_INPUT_INVALID'
              ? 'the file is corrupt or was cut short; download it again (nothing was imported)'
              : code === 'VEX_INVALID'
                ? 'fix the JSON syntax of this VEX document (OpenVEX or CycloneDX JSON)'
                : code === 'CONFIG_INVALID'
                  ? 'fix the JSON syntax of this configuration file'
                  : 'fix the JSON syntax of this package.json',
      cause,
    });
  }
};

/** The rescan recurses per nesting level; a pathologically deep document falls back to V8's position. */
const safeErrorOffset = (text: string): number => {
  try {
    return jsonErrorOffset(text);
  } catch {
    try {
      JSON.parse(text);
    } catch (error) {
      const match = /position (\d+)/.exec(error instanceof Error ? error.message : '');
      if (match) return Number(match[1]);
    }
    return text.length;
  }
};

const describe = (content: string, offset: number): string => {
  const char = content[offset];
  return char === undefined ? 'end of file' : `character ${JSON.stringify(char)}`;
};

const lineColumn = (content: string, position: number): string => {
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

/**
 * The offset of the first character at which `text` stops being valid JSON (RFC 8259), or
 * `text.length` when it ends too early. Only called after JSON.parse has failed.
 */
export const jsonErrorOffset = (text: string): number => {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const literal = (word: string): boolean => {
    for (let k = 0; k < word.length; k++) {
      if (text[i] !== word[k]) return false;
      i++;
    }
    return true;
  };
  const string = (): boolean => {
    i++; // opening quote
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 92) {
        i++;
        const e = text[i];
        if (e === 'u') {
          for (let k = 0; k < 4; k++) {
            i++;
            if (!/[0-9a-fA-F]/.test(text[i] ?? '')) return false;
          }
        } else if (e === undefined || !'"\\/bfnrt'.includes(e)) return false;
      }
      i++;
    }
    return false;
  };
  const number = (): boolean => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!match || match[0] === '' || match[0] === '-') return false;
    i += match[0].length;
    return true;
  };
  const value = (): boolean => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return true;
      }
      while (true) {
        ws();
        if (text[i] !== '"' || !string()) return false;
        ws();
        if (text[i] !== ':') return false;
        i++;
        if (!value()) return false;
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return true;
        }
        return false;
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return true;
      }
      while (true) {
        if (!value()) return false;
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return true;
        }
        return false;
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    return number();
  };
  if (value()) {
    ws();
    if (i >= text.length) return text.length;
  }
  return Math.min(i, text.length);
};
