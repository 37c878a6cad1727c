/** The bounds on the files one render may carry, and how long a stored file is kept. */
export interface ProjectFileLimits {
  /** Files one render may name. */
  maxFiles: number;
  /** Bytes of any one file. */
  maxFileBytes: number;
  /** Bytes of all of a render's files together. */
  maxTotalBytes: number;
  /** Bytes of the files sent inline (base64 in the request), together. */
  maxInlineBytes: number;
  /** Days a stored file is kept after its last upload, like a job's files. */
  retentionDays: number;
}
