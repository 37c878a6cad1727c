import { z } from 'zod';
import { batchViewSchema, createBatchRequestSchema, sceneUrlSchema } from '../contracts/batch';
import { errorBodySchema } from '../contracts/error-body';
import { webhookSecretSchema } from '../contracts/webhook-event';
import { jobListSchema, jobViewSchema, listJobsQuerySchema } from '../contracts/job';
import { createRenderRequestSchema, sceneNameSchema } from '../contracts/render-request';
import { createUploadRequestSchema, sha256Schema, storedFileViewSchema, uploadTicketSchema } from '../contracts/project-files';

interface Operation {
  method: 'get' | 'post' | 'delete';
  path: string;
  summary: string;
  pathParams?: Record<string, z.ZodType>;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** A body of raw bytes rather than JSON. */
  rawBody?: { description: string };
  /** Success responses: a JSON schema, or a media type and description for files and empty answers. */
  responses: Record<number, z.ZodType | { description: string; mediaType?: string }>;
  errors: number[];
  public?: boolean;
}

const jobId = z.string().regex(/^[a-z0-9]{1,64}$/).describe('a render job id');

/** Every public route. The schemas come from src/contracts; this table only says which goes where. */
export const OPERATIONS: Operation[] = [
  {
    method: 'post',
    path: '/v1/renders',
    summary: 'Submit scene code to render; one task per scene',
    body: createRenderRequestSchema,
    responses: { 202: jobViewSchema, 200: jobViewSchema },
    errors: [400, 401, 403, 413, 422, 429, 503],
  },
  { method: 'get', path: '/v1/renders', summary: 'List your render jobs, newest first', query: listJobsQuerySchema, responses: { 200: jobListSchema }, errors: [400, 401, 403] },
  { method: 'get', path: '/v1/renders/{id}', summary: 'A render job', pathParams: { id: jobId }, responses: { 200: jobViewSchema }, errors: [400, 401, 403, 404] },
  {
    method: 'post',
    path: '/v1/renders/{id}/cancel',
    summary: 'Cancel the unfinished scenes of a job',
    pathParams: { id: jobId },
    responses: { 200: jobViewSchema },
    errors: [400, 401, 403, 404],
  },
  {
    method: 'delete',
    path: '/v1/renders/{id}',
    summary: 'Delete a job and its files',
    pathParams: { id: jobId },
    responses: { 204: { description: 'deleted' } },
    errors: [400, 401, 403, 404],
  },
  {
    method: 'get',
    path: '/v1/renders/{id}/scenes/{scene}/video',
    summary: "A scene's rendered file (Range requests supported), or a redirect to a signed URL",
    pathParams: { id: jobId, scene: sceneNameSchema },
    responses: {
      200: { description: 'the file', mediaType: 'application/octet-stream' },
      206: { description: 'the requested byte range', mediaType: 'application/octet-stream' },
      302: { description: 'redirect to a signed Cloud Storage URL' },
    },
    errors: [400, 401, 403, 404, 409, 416],
  },
  {
    method: 'get',
    path: '/v1/renders/{id}/scenes/{scene}/url',
    summary: "A URL the scene's file can be downloaded from: signed in gcp mode, with its expiry",
    pathParams: { id: jobId, scene: sceneNameSchema },
    responses: { 200: sceneUrlSchema },
    errors: [400, 401, 403, 404, 409],
  },
  {
    method: 'get',
    path: '/v1/renders/{id}/scenes/{scene}/logs',
    summary: "A scene's captured render output, size-bounded",
    pathParams: { id: jobId, scene: sceneNameSchema },
    responses: { 200: { description: 'the log', mediaType: 'text/plain' } },
    errors: [400, 401, 403, 404, 409],
  },
  {
    method: 'get',
    path: '/v1/renders/{id}/scenes/{scene}/live.m3u8',
    summary: "The scene while it renders (mp4): an HLS playlist (EVENT) of its finished animations, ending with #EXT-X-ENDLIST once the scene does",
    pathParams: { id: jobId, scene: sceneNameSchema },
    responses: { 200: { description: 'the playlist', mediaType: 'application/vnd.apple.mpegurl' } },
    errors: [400, 401, 403, 404],
  },
  {
    method: 'get',
    path: '/v1/renders/{id}/scenes/{scene}/live/{index}.ts',
    summary: 'One live segment (MPEG-TS): the animation at this index, or a redirect to a signed URL',
    pathParams: { id: jobId, scene: sceneNameSchema, index: z.number().int().nonnegative().describe("the animation's index in the scene") },
    responses: {
      200: { description: 'the segment', mediaType: 'video/mp2t' },
      206: { description: 'the requested byte range', mediaType: 'video/mp2t' },
      302: { description: 'redirect to a signed Cloud Storage URL' },
    },
    errors: [400, 401, 403, 404, 416],
  },
  {
    method: 'get',
    path: '/v1/renders/{id}/events',
    summary: 'Server-Sent Events: the job (event `job`) each time it changes, then `end` once it is terminal',
    pathParams: { id: jobId },
    responses: { 200: { description: 'an event stream', mediaType: 'text/event-stream' } },
    errors: [400, 401, 403, 404],
  },
  {
    method: 'get',
    path: '/',
    summary: 'The playground page: write a scene, render it, watch it live, play and download it (PLAYGROUND=false turns it off)',
    responses: { 200: { description: 'the page', mediaType: 'text/html' } },
    errors: [404],
    public: true,
  },
  {
    method: 'get',
    path: '/playground/{asset}',
    summary: "The playground page's script and style sheet",
    pathParams: { asset: z.enum(['app.js', 'style.css']) },
    responses: { 200: { description: 'the file', mediaType: 'text/javascript' } },
    errors: [404],
    public: true,
  },
  {
    method: 'post',
    path: '/v1/files',
    summary: 'Store a project file (image, SVG, audio, font, module, data): the bytes as the body; name it in renders by its sha256',
    rawBody: { description: 'the file\'s bytes; its kind is read from them (png, jpeg, gif, svg, wav, mp3, ogg, ttf/otf, json, text)' },
    responses: { 201: storedFileViewSchema },
    errors: [400, 401, 403, 413],
  },
  {
    method: 'post',
    path: '/v1/files/uploads',
    summary: 'A signed URL to PUT a large file straight to Cloud Storage (gcp mode); checked against its hash before a render uses it',
    body: createUploadRequestSchema,
    responses: { 201: uploadTicketSchema, 200: uploadTicketSchema },
    errors: [400, 401, 403],
  },
  {
    method: 'get',
    path: '/v1/files/{sha256}',
    summary: 'One of your stored files (a signed upload is checked here on first sight)',
    pathParams: { sha256: sha256Schema },
    responses: { 200: storedFileViewSchema },
    errors: [400, 401, 403, 404],
  },
  {
    method: 'post',
    path: '/v1/batches',
    summary: 'Submit a batch: inline items or every .py under a gs:// prefix; one job per item. Send Idempotency-Key from schedulers',
    body: createBatchRequestSchema,
    responses: { 202: batchViewSchema, 200: batchViewSchema },
    errors: [400, 401, 403, 413, 422, 429, 503],
  },
  { method: 'get', path: '/v1/batches/{id}', summary: 'A batch: counts per status, progress, and the job of each item', pathParams: { id: jobId }, responses: { 200: batchViewSchema }, errors: [400, 401, 403, 404] },
  {
    method: 'get',
    path: '/v1/webhooks/secret',
    summary: 'Your webhook signing secret (verify Manim-Render-Signature: t=…,v1=HMAC-SHA256 of "t.body")',
    responses: { 200: webhookSecretSchema },
    errors: [401, 403],
  },
  { method: 'get', path: '/healthz', summary: 'Liveness', responses: { 200: { description: 'alive' } }, errors: [], public: true },
  { method: 'get', path: '/readyz', summary: 'Readiness to take work', responses: { 200: { description: 'ready' } }, errors: [503], public: true },
  { method: 'get', path: '/openapi.json', summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } }, errors: [], public: true },
];

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'invalid request', 401: 'no valid credentials', 403: 'caller not allowed', 404: 'not found (also for other principals\' jobs)',
  409: 'not available in the current state', 422: 'Idempotency-Key reused with a different request', 413: 'body too large', 416: 'range not satisfiable', 429: 'over a quota (see Retry-After)',
  503: 'temporarily unavailable',
};

/** The OpenAPI 3.1 document of the public API, generated from the zod contracts. */
export function buildOpenApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const parameters = [
      ...Object.entries(op.pathParams ?? {}).map(([name, schema]) => ({ name, in: 'path', required: true, schema: jsonSchema(schema, 'input') })),
      ...Object.entries(op.query?.shape ?? {}).map(([name, schema]) => ({
        name,
        in: 'query',
        required: !(schema as z.ZodType).safeParse(undefined).success,
        schema: jsonSchema(schema as z.ZodType, 'input'),
      })),
    ];
    const responses: Record<string, unknown> = {};
    for (const [status, answer] of Object.entries(op.responses)) {
      responses[status] =
        answer instanceof z.ZodType
          ? { description: 'success', content: { 'application/json': { schema: jsonSchema(answer, 'output') } } }
          : { description: answer.description, ...(answer.mediaType && { content: { [answer.mediaType]: { schema: { type: 'string', format: 'binary' } } } }) };
    }
    for (const status of op.errors) {
      responses[status] = { description: STATUS_TEXT[status] ?? 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      summary: op.summary,
      ...(parameters.length > 0 && { parameters }),
      ...(op.body && { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body, 'input') } } } }),
      ...(op.rawBody && {
        requestBody: { required: true, description: op.rawBody.description, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
      }),
      responses,
      ...(op.public && { security: [] }),
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'manim-render', version: '1', description: 'Manim scene code in, videos out.' },
    paths,
    components: {
      schemas: { Error: jsonSchema(errorBodySchema, 'output') },
      securitySchemes: {
        googleIdToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A Google ID token for the service URL (iam and verify modes)' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'An operator-issued API key' },
      },
    },
    security: [{ googleIdToken: [] }, { apiKey: [] }],
  };
}
