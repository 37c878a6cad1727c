import { z } from 'zod';

/** A file's hash as the API names it: lowercase hex SHA-256 of its bytes. */
export const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex SHA-256');

/**
 * A relative path in the scene's working directory. The shape is checked here (so a bad one is a 400 naming the
 * field); what the path may hold (its type, its place beside the others) is checked by domain/project-files/.
 */
export const projectFilePathSchema = z.string().min(1).max(255);

/** A file sent with the render request itself: its bytes, base64. */
export const inlineProjectFileSchema = z.strictObject({
  path: projectFilePathSchema,
  content: z.base64('content must be base64'),
});

/** A file uploaded before (`POST /v1/files`), named by its hash. */
export const uploadedProjectFileSchema = z.strictObject({
  path: projectFilePathSchema,
  sha256: sha256Schema,
});

export const projectFileSchema = z.union([inlineProjectFileSchema, uploadedProjectFileSchema]);
export type ProjectFileInput = z.infer<typeof projectFileSchema>;

/** `POST /v1/files/uploads`: the file to be put straight into Cloud Storage through a signed URL. */
export const createUploadRequestSchema = z.strictObject({
  sha256: sha256Schema,
  size: z.number().int().positive(),
  contentType: z.string().min(1).max(255).default('application/octet-stream'),
});
export type CreateUploadRequest = z.infer<typeof createUploadRequestSchema>;

/** What the service answers for a stored file. */
export const storedFileViewSchema = z.object({
  sha256: z.string(),
  size: z.number().int().nonnegative(),
  /** What its bytes are (png, jpeg, gif, svg, wav, mp3, ogg, font, json, text), as the service read them. */
  kind: z.string(),
  /** When it is removed unless uploaded again (which renews it). */
  expiresAt: z.string(),
});
export type StoredFileView = z.infer<typeof storedFileViewSchema>;

/**
 * The answer to `POST /v1/files/uploads`: where to PUT the bytes (a signed Cloud Storage URL, with the headers to
 * send), or, for a file already stored, the file itself and `uploadUrl: null`.
 */
export const uploadTicketSchema = z.union([
  z.object({
    sha256: z.string(),
    uploadUrl: z.string(),
    method: z.literal('PUT'),
    headers: z.record(z.string(), z.string()),
    expiresAt: z.string(),
  }),
  storedFileViewSchema.extend({ uploadUrl: z.null() }),
]);
export type UploadTicket = z.infer<typeof uploadTicketSchema>;

/** A job's file as stored with the job and shown in its view: where the scene sees it, and which bytes. */
export interface JobFileView {
  path: string;
  sha256: string;
  size: number;
}
