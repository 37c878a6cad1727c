import type { OutputFormat } from '../contracts/quality';
import type { RenderAttempt } from './ports/scene-renderer';

/** Formats with no audio track: a scene's sound is left out of them. */
const SILENT_FORMATS: ReadonlySet<OutputFormat> = new Set(['gif', 'png']);

/** What a user should know of a successful render that the file alone does not say. */
export function renderNotices(format: OutputFormat, attempt: Extract<RenderAttempt, { ok: true }>): string[] {
  const notices: string[] = [];
  if (attempt.sound && SILENT_FORMATS.has(format)) {
    notices.push(`the scene adds sound, but a ${format} has no audio track: the sound is left out (render mp4, webm or mov to keep it)`);
  } else if (attempt.sound && !attempt.file.audioCodec) {
    notices.push('the scene adds sound, but the file has no audio track');
  }
  return notices;
}
