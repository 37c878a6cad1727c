/** A scene file read from somewhere other than the request. */
export interface SceneFile {
  /** Where it came from, e.g. `gs://bucket/nightly/intro.py`. */
  name: string;
  code: string;
}

/** Reads every `.py` file under a `gs://bucket/prefix/`. Implementation: Cloud Storage (gcp mode only). */
export interface SceneSource {
  listSceneFiles(params: { prefix: string; maxFiles: number; maxBytes: number }): Promise<SceneFile[]>;
}
