import fs from 'node:fs/promises';

/** A scene file's source; a missing or unreadable file is a plain failure that names it. */
export async function readSceneFile(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
