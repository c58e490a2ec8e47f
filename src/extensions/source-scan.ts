/**
 * A small lexical view of a JavaScript/TypeScript module, enough for the load-time purity scan of
 * custom transaction types: the code with comments removed and string contents blanked (so a
 * comment saying "no Date.now here" or a URL in a string is not mistaken for a call), and the
 * module specifiers it imports. Not a parser: regular-expression literals are read as code, which
 * can only make the scan stricter, never let an import through.
 */

export interface ScannedSource {
  /** Code with comments removed and string/template text replaced by spaces (`${}` kept). */
  readonly code: string;
  /** Specifiers of static imports, re-exports and literal dynamic imports/requires. */
  readonly imports: readonly string[];
  /** Dynamic `import(...)` / `require(...)` whose specifier is not a string literal. */
  readonly computedImports: number;
}

type Mode = 'code' | 'line' | 'block' | "'" | '"' | '`';

/**
 * Removes comments (keeping line breaks) and, unless `keepStrings`, blanks string and template
 * text with spaces; `${...}` inside templates stays code. Offsets are preserved.
 */
export function stripComments(src: string, keepStrings: boolean): string {
  let out = '';
  let mode: Mode = 'code';
  /** Brace depth of each open `${` inside a template, innermost last. */
  const templates: number[] = [];
  const text = (c: string) => (keepStrings || c === '\n' ? c : ' ');
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    const next = src[i + 1];
    if (mode === 'code') {
      if (c === '/' && next === '/') { mode = 'line'; out += '  '; i++; continue; }
      if (c === '/' && next === '*') { mode = 'block'; out += '  '; i++; continue; }
      if (c === "'" || c === '"' || c === '`') { mode = c; out += c; continue; }
      const depth = templates.length - 1;
      if (depth >= 0 && c === '{') templates[depth]! += 1;
      if (depth >= 0 && c === '}') {
        if (templates[depth] === 0) { templates.pop(); mode = '`'; out += c; continue; }
        templates[depth]! -= 1;
      }
      out += c;
    } else if (mode === 'line') {
      if (c === '\n') mode = 'code';
      out += c === '\n' ? c : ' ';
    } else if (mode === 'block') {
      if (c === '*' && next === '/') { mode = 'code'; out += '  '; i++; } else out += c === '\n' ? c : ' ';
    } else if (c === '\\') {
      out += text(c) + text(next ?? '');
      i++;
    } else if (mode === '`' && c === '$' && next === '{') {
      templates.push(0);
      mode = 'code';
      out += '${';
      i++;
    } else if (c === mode) {
      mode = 'code';
      out += c;
    } else out += text(c);
  }
  return out;
}

const STATIC_IMPORT = /\b(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?(['"])([^'"\n]+)\1/g;
const DYNAMIC_IMPORT = /\b(?:import|require)\s*\(\s*(?:(['"])([^'"\n]*)\1\s*\))?/g;

/** Scans `src`: imports are read from the comment-free text, calls and globals from `code`. */
export function scanSource(src: string): ScannedSource {
  const code = stripComments(src, false);
  const withStrings = stripComments(src, true);
  const imports: string[] = [];
  for (const m of withStrings.matchAll(STATIC_IMPORT)) imports.push(m[2]!);
  let computedImports = 0;
  for (const m of withStrings.matchAll(DYNAMIC_IMPORT)) {
    if (m[2] !== undefined) imports.push(m[2]);
    else computedImports += 1;
  }
  return { code, imports: [...new Set(imports)], computedImports };
}
