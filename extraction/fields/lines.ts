/**
 * The text as lines, the form every field parser reads: each line keeps its index among all lines (blank ones
 * included, so that evidence and layout guesses can look at neighbours), its text with every kind of space made
 * plain, and a folded copy of the same length (lower case, no accents) where labels are searched while values
 * are read in the original. Also the small helpers the parsers share: the evidence string shown to a
 * validator, the previous and next non-blank lines, every match of a pattern, and the repair of OCR look-alike
 * digits.
 */

export interface Line {
  /** Position among all lines of the text, blank ones included. */
  index: number;
  /** The line with every kind of space turned into a plain space. */
  text: string;
  /** Same length as `text`, lower case and without accents: labels are searched here, values read in `text`. */
  folded: string;
}

export function toLines(text: string): Line[] {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\t\f\v\u00a0\u2007\u2009\u202f\u200b]/g, ' ')
    .split('\n')
    .map((line, index) => ({ index, text: line, folded: fold(line) }));
}

/** Lower case without diacritics, one UTF-16 unit for one, so that indexes in `folded` are indexes in `text`. */
export function fold(text: string): string {
  if (!/[\u0080-\uffff]/.test(text)) return text.toLowerCase();
  let out = '';
  for (const char of text) {
    if (char.charCodeAt(0) < 0x80) {
      out += char.toLowerCase();
      continue;
    }
    const folded = char.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '');
    out += folded.length === char.length ? folded : char;
  }
  return out;
}

export function evidenceOf(...lines: (Line | undefined)[]): string {
  return lines
    .filter((line): line is Line => line !== undefined)
    .map((line) => line.text.trim())
    .join(' ⏎ ')
    .slice(0, 200);
}

export function previousLine(lines: readonly Line[], line: Line): Line | undefined {
  for (let i = line.index - 1; i >= 0; i -= 1) {
    const previous = lines[i];
    if (previous && previous.text.trim() !== '') return previous;
  }
  return undefined;
}

/** The next non-blank lines after `line`, at most `count` of them. */
export function nextLines(lines: readonly Line[], line: Line, count: number): Line[] {
  const found: Line[] = [];
  for (let i = line.index + 1; i < lines.length && found.length < count; i += 1) {
    const next = lines[i];
    if (next && next.text.trim() !== '') found.push(next);
  }
  return found;
}

export function allMatches(pattern: RegExp, text: string): RegExpExecArray[] {
  const flags = pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`;
  return [...text.matchAll(new RegExp(pattern.source, flags))];
}

/** OCR look-alikes in a run of digits: O, o, Q, D for 0 and I, l, | for 1. */
export function repairDigits(text: string): string {
  return text.replace(/[OoQD]/g, '0').replace(/[Il|]/g, '1');
}
