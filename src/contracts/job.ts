import { z } from 'zod';
import { costSchema } from './cost';
import { formatSchema, qualitySchema } from './quality';
import { metadataSchema } from './render-request';

export const sceneStatusSchema = z.enum(['queued', 'rendering', 'succeeded', 'failed', 'cancelled']);
export type SceneStatus = z.infer<typeof sceneStatusSchema>;

/** A job's status summarises its scenes; the values are the same. */
export const jobStatusSchema = sceneStatusSchema;
export type JobStatus = z.infer<typeof jobStatusSchema>;

/** Where a finished scene's file is, and what it is. `url` is absolute or relative to the API's origin. */
export const renderOutputSchema = z.object({
  url: z.string(),
  contentType: z.string(),
  bytes: z.number().int().nonnegative(),
  durationSeconds: z.number().nonnegative().nullable(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** The codec of the file's audio track (the scene added sound); absent: the file is silent. */
  audioCodec: z.string().optional(),
});
export type RenderOutput = z.infer<typeof renderOutputSchema>;

/** Why a scene failed. `line` and `traceback` refer to the user's own file when the scene raised. */
export const renderErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  line: z.number().int().positive().optional(),
  traceback: z.string().optional(),
});
export type RenderError = z.infer<typeof renderErrorSchema>;

export const sceneViewSchema = z.object({
  name: z.string(),
  status: sceneStatusSchema,
  progress: z.number().min(0).max(1),
  attempts: z.number().int().nonnegative(),
  /** True when an identical earlier render of the same principal was reused instead of rendering again. */
  cacheHit: z.boolean().optional(),
  /**
   * Present when the scene was long enough to render in animation ranges on several renderers: how many, and, if
   * it was rendered whole after all (the ranges did not agree where they meet, or could not be rendered), why.
   */
  split: z.object({ parts: z.number().int().nonnegative(), fallbackReason: z.string().optional() }).optional(),
  /**
   * Present when the plan pass (the scene run once with animations skipped, to count them and plan a split) raised
   * where the render itself did not: the scene was then rendered whole, without a split or a progress total.
   */
  planFailure: z.string().optional(),
  /** What the user should know of a render that succeeded (e.g. a gif has no room for the scene's sound). */
  notices: z.array(z.string()).optional(),
  output: renderOutputSchema.optional(),
  /**
   * The scene while it renders (mp4 only): an HLS playlist (EVENT) of the animations finished so far, each a
   * segment, ending once the scene does. `segments` counts those the playlist lists now.
   */
  live: z.object({ playlistUrl: z.string(), segments: z.number().int().nonnegative(), ended: z.boolean() }).optional(),
  error: renderErrorSchema.optional(),
  /** What rendering it used and cost so far: its render, or its parts and their join; zero for a cache hit. */
  cost: costSchema,
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
});
export type SceneView = z.infer<typeof sceneViewSchema>;

/** A render job as the API returns it. */
export const jobViewSchema = z.object({
  id: z.string(),
  status: jobStatusSchema,
  progress: z.number().min(0).max(1),
  quality: qualitySchema,
  format: formatSchema,
  timeoutSeconds: z.number().int().positive(),
  metadata: metadataSchema,
  /** The project files laid out beside the scene, by path and hash. */
  files: z.array(z.object({ path: z.string(), sha256: z.string(), size: z.number().int().nonnegative() })).optional(),
  scenes: z.array(sceneViewSchema),
  /** Its scenes' costs together. */
  cost: costSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type JobView = z.infer<typeof jobViewSchema>;

export const jobListSchema = z.object({
  jobs: z.array(jobViewSchema),
  nextPageToken: z.string().optional(),
});
export type JobList = z.infer<typeof jobListSchema>;

export const listJobsQuerySchema = z.strictObject({
  status: jobStatusSchema.optional(),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
  pageToken: z.string().max(512).optional(),
});
export type ListJobsQuery = z.infer<typeof listJobsQuerySchema>;
