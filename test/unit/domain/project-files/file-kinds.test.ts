import fs from 'node:fs';
import path from 'node:path';
import { KINDS_BY_EXTENSION, sniffKind } from '../../../../src/domain/project-files/file-kinds';

const SHOWCASE = path.resolve(__dirname, '../../../fixtures/projects/showcase');
const read = (file: string) => fs.readFileSync(path.join(SHOWCASE, file));

describe('sniffKind: what a project file is, from its bytes', () => {
  it.each([
    ['assets/logo.png', 'png'],
    ['assets/star.svg', 'svg'],
    ['sounds/beep.wav', 'wav'],
    ['sounds/chime.mp3', 'mp3'],
    ['fonts/ComicNeue-Regular.otf', 'font'],
    ['data/points.json', 'json'],
    ['helpers/shapes.py', 'text'],
    ['fonts/OFL.txt', 'text'],
  ])('reads %s as %s', (file, kind) => {
    expect(sniffKind(read(file))).toBe(kind);
  });

  it('knows the other signatures a project may carry', () => {
    expect(sniffKind(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]))).toBe('jpeg');
    expect(sniffKind(Buffer.from('GIF89a\x01\x00', 'latin1'))).toBe('gif');
    expect(sniffKind(Buffer.from('OggS\0\x02', 'latin1'))).toBe('ogg');
    expect(sniffKind(Buffer.from([0x00, 0x01, 0x00, 0x00, 0x00, 0x10]))).toBe('font');
    expect(sniffKind(Buffer.from('<!-- a comment -->\n<!DOCTYPE svg>\n<svg viewBox="0 0 1 1"/>'))).toBe('svg');
  });

  it('refuses what no project file is: executables, archives, binary blobs, invalid UTF-8', () => {
    expect(sniffKind(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]))).toBeUndefined(); // ELF
    expect(sniffKind(Buffer.from('PK\x03\x04', 'latin1'))).toBeUndefined(); // zip: control characters are not text
    expect(sniffKind(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00]))).toBeUndefined();
    expect(sniffKind(Buffer.from([0xc3, 0x28]))).toBeUndefined();
    expect(sniffKind(Buffer.from('text with a NUL\0 inside'))).toBeUndefined();
  });

  it('tells a JSON file from text that only starts like one', () => {
    expect(sniffKind(Buffer.from('{"a": [1, 2]}'))).toBe('json');
    expect(sniffKind(Buffer.from('{not json'))).toBe('text');
  });

  it('lets names hold only their own kinds, text kinds wherever text goes', () => {
    expect(KINDS_BY_EXTENSION['.png']).toEqual(['png']);
    expect(KINDS_BY_EXTENSION['.json']).toEqual(['json']);
    expect(KINDS_BY_EXTENSION['.txt']).toEqual(expect.arrayContaining(['text', 'json', 'svg']));
    expect(KINDS_BY_EXTENSION['.exe']).toBeUndefined();
  });
});
