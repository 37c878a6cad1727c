/**
 * Reads scene code without running it. Fails with a ValidationError (code `syntax_error`, details with the
 * line) when the code does not parse.
 */
export interface SceneInspector {
  /** The names of the Scene subclasses defined at the top level, in file order. */
  listScenes(params: { code: string }): Promise<string[]>;
}
