/**
 * What a project file's bytes are, read from the bytes themselves (never from the name alone), and which names
 * may hold which kinds. A scene opens its files by name, and Manim picks a decoder by extension: a `.png` that is
 * not a PNG, or a "font" that is a script, is refused at the door rather than handed to a decoder in the sandbox.
 */
export const FILE_KINDS = ['png', 'jpeg', 'gif', 'svg', 'wav', 'mp3', 'ogg', 'font', 'json', 'text'] as const;
export type FileKind = (typeof FILE_KINDS)[number];

const CONTENT_TYPES: Record<FileKind, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  ogg: 'audio/ogg',
  font: 'font/sfnt',
  json: 'application/json',
  text: 'text/plain; charset=utf-8',
};

/** The content type a file of this kind is stored with; kindOfContentType reads it back. */
export function contentTypeOfKind(kind: FileKind): string {
  return CONTENT_TYPES[kind];
}

export function kindOfContentType(contentType: string): FileKind | undefined {
  return FILE_KINDS.find((kind) => CONTENT_TYPES[kind] === contentType);
}

/** Text kinds: a file of one of these may go wherever plain text may (an SVG in a `.txt` is still text). */
const TEXT_KINDS: readonly FileKind[] = ['text', 'json', 'svg'];

/** The kinds a file named with each extension may hold. */
export const KINDS_BY_EXTENSION: Readonly<Record<string, readonly FileKind[]>> = {
  '.png': ['png'],
  '.jpg': ['jpeg'],
  '.jpeg': ['jpeg'],
  '.gif': ['gif'],
  '.svg': ['svg'],
  '.wav': ['wav'],
  '.mp3': ['mp3'],
  '.ogg': ['ogg'],
  '.ttf': ['font'],
  '.otf': ['font'],
  '.json': ['json'],
  '.py': TEXT_KINDS,
  '.txt': TEXT_KINDS,
  '.csv': TEXT_KINDS,
  '.tex': TEXT_KINDS,
  '.md': TEXT_KINDS,
};

/** Reads what the bytes are; undefined for anything a project may not carry. */
export function sniffKind(bytes: Buffer): FileKind | undefined {
  const starts = (signature: number[], at = 0) => signature.every((byte, i) => bytes[at + i] === byte);
  const ascii = (text: string, at = 0) => bytes.subarray(at, at + text.length).toString('latin1') === text;
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (starts([0xff, 0xd8, 0xff])) return 'jpeg';
  if (ascii('GIF87a') || ascii('GIF89a')) return 'gif';
  if (ascii('RIFF') && ascii('WAVE', 8)) return 'wav';
  if (ascii('OggS')) return 'ogg';
  if (ascii('ID3') || (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0 && bytes.length > 4)) return 'mp3';
  // sfnt: TrueType outlines (1.0 or Apple's 'true') and CFF ones ('OTTO').
  if (starts([0x00, 0x01, 0x00, 0x00]) || ascii('true') || ascii('OTTO')) return 'font';
  const text = utf8Text(bytes);
  if (text === undefined) return undefined;
  if (looksLikeSvg(text)) return 'svg';
  if (isJson(text)) return 'json';
  return 'text';
}

/** Control characters no text file holds (tab, newlines and form feed are text). */
const BINARY_CONTROLS = /[\x00-\x08\x0b\x0e-\x1f\x7f]/;

/** The file as text, if it is UTF-8 without binary control characters (what a text file of a project is). */
function utf8Text(bytes: Buffer): string | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  return BINARY_CONTROLS.test(text) ? undefined : text;
}

/** An XML document whose root element is `svg`: an optional declaration, comments and a doctype may come first. */
function looksLikeSvg(text: string): boolean {
  const head = text.replace(/^\uFEFF/, '').slice(0, 4096);
  const prolog = /^\s*(<\?xml[^>]*\?>\s*)?(<!--[\s\S]*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>]/i;
  return prolog.test(head);
}

function isJson(text: string): boolean {
  if (!/^\s*[[{]/.test(text)) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
