/** The scene every canary renders: LaTeX (latex, dvisvgm) and text (pango, fonts), half a second at low quality. */
export const CANARY_SCENE = 'Canary';
export const CANARY_SCENE_CODE = [
  'from manim import *',
  '',
  '',
  'class Canary(Scene):',
  '    def construct(self):',
  '        self.play(Write(MathTex(r"e^{i\\pi} + 1 = 0")), FadeIn(Text("canary").to_edge(DOWN)), run_time=0.5)',
  '',
].join('\n');

export function canaryPrefix(canaryId: string): string {
  return `canary/${canaryId}/`;
}

export function canaryOutcomeKey(canaryId: string): string {
  return `${canaryPrefix(canaryId)}outcome.json`;
}

/** What a canary task leaves at `canary/<id>/outcome.json` (deploy.sh reads it). */
export type CanaryOutcome = {
  canaryId: string;
  revision: string | null;
  startedAt: string;
  /** The renderer's readiness checks, each in its own words. */
  readiness: Record<string, { ok: boolean; detail?: string }>;
} & (
  | { ok: true; renderSeconds: number; video: { key: string; bytes: number; durationSeconds: number | null; width: number; height: number } }
  | { ok: false; reason: string; log?: string }
);
