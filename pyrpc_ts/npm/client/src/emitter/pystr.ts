/** The few Python `str` methods the emitter relies on, with Python's exact character sets. */

/** The characters for which Python's `str.isspace()` is true. */
const WHITESPACE =
  "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";

const isSpace = (c: string): boolean => WHITESPACE.includes(c);

/** `text.strip()` */
export function pyStrip(text: string): string {
  return pyRstrip(pyLstrip(text));
}

export function pyLstrip(text: string): string {
  let start = 0;
  while (start < text.length && isSpace(text[start] as string)) start++;
  return text.slice(start);
}

/** `text.rstrip()` */
export function pyRstrip(text: string): string {
  let end = text.length;
  while (end > 0 && isSpace(text[end - 1] as string)) end--;
  return text.slice(0, end);
}

/** `text.splitlines()`: every line boundary Python knows, `\r\n` as one. */
export function pySplitlines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/);
  if (/(?:\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029])$/.test(text)) lines.pop();
  return lines;
}
