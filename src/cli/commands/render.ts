import type { JobView } from '../../client';
import type { CliCommand } from '../cli-command';
import type { CliContext } from '../cli-context';
import { formatOption, integerOption, positionalsOf, qualityOption, RENDER_OPTIONS, stringOption } from '../command-input';
import { downloadScenes } from '../download-scenes';
import { formatJob } from '../format-job';
import { plainProgressView, ttyProgressView } from '../progress-view';
import { readProject } from '../read-project';

/** Follows a job to its end, drawing progress for people; exit status 130 when interrupted. */
async function followJob(context: CliContext, job: JobView): Promise<JobView | undefined> {
  const { stdout } = context.io;
  const view = context.json ? undefined : stdout.isTTY ? ttyProgressView(stdout) : plainProgressView(stdout);
  try {
    return await context.client().wait(job.id, { signal: context.io.interrupt, onProgress: (j) => view?.update(j) });
  } catch (error) {
    if (!context.io.interrupt.aborted) throw error;
    context.io.stderr.write(`stopped waiting; job ${job.id} goes on (manim-render cancel ${job.id} stops it)\n`);
    return undefined;
  }
}

export const renderCommand: CliCommand = {
  name: 'render',
  args: 'FILE|PROJECT_DIR [--with DIR ...] [--scene NAME ...] [--quality Q] [--format F] [--timeout SECONDS] [--wait] [--out DIR] [--idempotency-key KEY]',
  summary:
    'submit a scene file (with the files under each --with DIR), or a project directory (its scene.py and every file beside it); with --wait follow it to the end, with --out download its videos (implies --wait)',
  options: { ...RENDER_OPTIONS, scene: { type: 'string', multiple: true }, with: { type: 'string', multiple: true }, out: { type: 'string' } },
  async run(context, { positionals, values }) {
    const [file] = positionalsOf('render', positionals, ['FILE']);
    const quality = qualityOption(values);
    const format = formatOption(values);
    const timeoutSeconds = integerOption(values, 'timeout', 1, 3600);
    const out = stringOption(values, 'out');
    const scenes = values.scene as string[] | undefined;
    const { code, files: projectFiles, skipped } = await readProject(file!, (values.with as string[] | undefined) ?? []);
    if (skipped.length > 0) context.io.stderr.write(`not sent (no file of that kind is taken): ${skipped.join(', ')}\n`);
    const idempotencyKey = stringOption(values, 'idempotency-key');
    const submitted = await context.client().submit(
      {
        code,
        ...(projectFiles.length > 0 && { files: projectFiles }),
        ...(scenes && { scenes }),
        ...(quality && { quality }),
        ...(format && { format }),
        ...(timeoutSeconds && { timeoutSeconds }),
      },
      { idempotencyKey },
    );
    if (!values.wait && !out) {
      if (context.json) context.printJson(submitted);
      context.say(`submitted job ${submitted.id} (${submitted.scenes.map((s) => s.name).join(', ')}); follow it with: manim-render status ${submitted.id}`);
      return 0;
    }
    context.say(`job ${submitted.id}`);
    const job = await followJob(context, submitted);
    if (!job) return 130;
    const downloads = out && job.scenes.some((s) => s.output) ? await downloadScenes({ client: context.client(), job, dir: out, signal: context.io.interrupt }) : {};
    if (context.json) {
      context.printJson(out ? { ...job, downloads } : job);
    } else {
      context.say(formatJob(job));
      for (const [scene, path] of Object.entries(downloads)) context.say(`wrote ${scene}: ${path}`);
    }
    return job.status === 'succeeded' ? 0 : 1;
  },
};
