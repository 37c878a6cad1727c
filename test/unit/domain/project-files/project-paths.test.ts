import { checkPathsDistinct, checkProjectPath } from '../../../../src/domain/project-files/project-paths';
import { ValidationError } from '../../../../src/domain/errors';

const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof ValidationError ? error.code : String(error);
  }
};

describe('project paths', () => {
  it.each(['logo.png', 'assets/logo.png', 'a/b/c/d.json', 'My Font-Bold.ttf', 'v1.2/data.csv', 'helpers/__init__.py'])('accepts %s', (file) => {
    expect(checkProjectPath(file)).toBe(file);
  });

  it.each([
    '/etc/passwd',
    '../up.png',
    'a/../../up.png',
    'a/./b.png',
    'a//b.png',
    'a\\b.png',
    'C:/x.png',
    '.hidden.png',
    'a/.git/config.txt',
    'trailing /x.png',
    'scene.py',
    'media/videos/x.png',
    'a/b/c/d/e/f/g/h/i.png',
    'nul\0byte.png',
    'new\nline.png',
  ])('refuses %j', (file) => {
    expect(codeOf(() => checkProjectPath(file))).toBe('invalid_file_path');
  });

  it('refuses two files at one path, and a file that is another file\'s directory', () => {
    expect(codeOf(() => checkPathsDistinct(['a.png', 'b.png', 'a.png']))).toBe('duplicate_file_path');
    expect(codeOf(() => checkPathsDistinct(['data', 'data/points.json']))).toBe('duplicate_file_path');
    expect(codeOf(() => checkPathsDistinct(['data/a.json', 'data/b.json']))).toBeUndefined();
  });
});
