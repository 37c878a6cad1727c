import { z } from 'zod';

/** Render quality presets, named as the API accepts them. Each maps to one of Manim's quality flags. */
export const qualitySchema = z.enum(['low', 'medium', 'high', 'production', '4k']);
export type Quality = z.infer<typeof qualitySchema>;

/** Output formats. `mov` is rendered with a transparent background; `png` is the last frame only. */
export const formatSchema = z.enum(['mp4', 'webm', 'gif', 'mov', 'png']);
export type OutputFormat = z.infer<typeof formatSchema>;

export interface QualityPreset {
  width: number;
  height: number;
  fps: number;
}

export const QUALITY_PRESETS: Readonly<Record<Quality, QualityPreset>> = {
  low: { width: 854, height: 480, fps: 15 },
  medium: { width: 1280, height: 720, fps: 30 },
  high: { width: 1920, height: 1080, fps: 60 },
  production: { width: 2560, height: 1440, fps: 60 },
  '4k': { width: 3840, height: 2160, fps: 60 },
};

export const CONTENT_TYPES: Readonly<Record<OutputFormat, string>> = {
  mp4: 'video/mp4',
  webm: 'video/webm',
  gif: 'image/gif',
  mov: 'video/quicktime',
  png: 'image/png',
};
