import type { RenderError } from '../contracts/job';
import type { RawRenderFailure } from './ports/scene-renderer';

/**
 * Permanent: the scene itself failed, ran too long or hit a limit; the scene is marked failed and the task is
 * answered 2xx so it is not retried. Retryable: our side broke; the task fails so the queue retries it.
 */
export type ClassifiedFailure = { retryable: false; error: RenderError } | { retryable: true; reason: string };

const permanent = (error: RenderError): ClassifiedFailure => ({ retryable: false, error });

const DISK_FULL = /No space left on device|Disk quota exceeded|\[Errno 28\]|\[Errno 122\]|File size limit exceeded/;
/** What the supervisor says when it stops a scene for its own disk quota, and the file-size limit's words. */
const OWN_DISK_LIMIT = /\[sandbox\] Disk quota exceeded|File size limit exceeded/;

/** Whether a failed render's words say it ran out of disk, and not by passing a limit of its own. */
export function ranOutOfDiskUnexplained(text: string): boolean {
  return DISK_FULL.test(text) && !OWN_DISK_LIMIT.test(text);
}
const LATEX_MISSING = /No such file or directory: '(latex|dvisvgm|xelatex)'|(latex|dvisvgm) (command )?not found/i;
/** LaTeX's own words for a \usepackage or \documentclass it cannot find (Manim's log may wrap them). */
const LATEX_PACKAGE_MISSING = /LaTeX Error: File `([^`'\s]+?\.(?:sty|cls))' not\b/;
/** What the renderer's TeX has; README, "What a scene can use". */
const TEX_INSTALLED = 'texlive-latex-base, -latex-recommended, -latex-extra and -fonts-recommended';
const LATEX_FAILED = /latex error converting to dvi|LaTeX compilation error/i;
/** fork() and thread creation past the sandbox's process limit (RLIMIT_NPROC, pids cgroup). */
const PROCESS_LIMIT = /^(BlockingIOError: \[Errno 11\]|RuntimeError: can't start new thread)/;
/** The sandbox refuses every socket but AF_UNIX (EAFNOSUPPORT), however the scene reached for the network. */
const NO_NETWORK = /\[Errno 97\] Address family not supported/;
/** The sandbox's supervisor stopped a scene that printed past its output ceiling. */
const OUTPUT_FLOOD = /\[sandbox\] Output limit exceeded/;
/** The supervisor's own bound on a sandbox's whole memory, where no memory cgroup exists (memory_watch.py). */
const MEMORY_WATCH = /\[sandbox\] Memory limit exceeded/;

/** Decides whose fault a failed render was, and explains the known raw failures in words a user can act on. */
export function classifyRenderFailure(failure: RawRenderFailure, log: string): ClassifiedFailure {
  switch (failure.reason) {
    case 'scene_error':
      return classifySceneError(failure, log);
    case 'scene_not_found':
      return permanent({ code: 'scene_not_found', message: failure.message });
    case 'no_output':
      return permanent({ code: 'no_output', message: `${failure.message}: does construct() add or play anything?` });
    case 'timeout':
      return permanent({
        code: 'timeout',
        message: `the scene did not finish within ${failure.seconds} s; shorten it, lower the quality, or raise timeoutSeconds`,
      });
    case 'cancelled':
      return permanent({ code: 'cancelled', message: 'the render was cancelled' });
    case 'stopped':
      // Only a caller that asked for it sees a stop; reaching here means it was not expected.
      return { retryable: true, reason: 'the render stopped after its plan' };
    case 'worker_crashed':
      return classifyCrash(failure, log);
    case 'protocol_violation':
      return permanent({ code: 'protocol_violation', message: `the render process misbehaved: ${failure.detail}` });
    case 'output_invalid':
      return permanent({ code: 'output_invalid', message: failure.message });
    case 'output_too_large':
      return permanent({
        code: 'output_limit',
        message: `the output is ${failure.bytes} bytes, over the ${failure.limitBytes}-byte limit; lower the quality or shorten the scene`,
      });
    case 'host_disk_full':
      return { retryable: true, reason: `the renderer's disk is full: ${failure.message}` };
    case 'files_unavailable':
      return permanent({ code: 'files_unavailable', message: `${failure.message}; upload it again and submit a new render` });
  }
}

function classifySceneError(failure: Extract<RawRenderFailure, { reason: 'scene_error' }>, log: string): ClassifiedFailure {
  const where = failure.line ? { line: failure.line } : {};
  const traceback = failure.traceback ? { traceback: failure.traceback } : {};
  const text = `${failure.message}\n${failure.traceback ?? ''}\n${log}`;
  // numpy raises its own subclass of MemoryError when an array does not fit.
  if (failure.exception === 'MemoryError' || failure.exception === '_ArrayMemoryError') {
    return permanent({ code: 'memory_limit', message: 'the scene ran out of memory', ...where, ...traceback });
  }
  if (PROCESS_LIMIT.test(`${failure.exception}: ${failure.message}`)) {
    return permanent({ code: 'process_limit', message: 'the scene started more processes or threads than a render may', ...where, ...traceback });
  }
  if (NO_NETWORK.test(failure.message)) {
    return permanent({ code: 'network_unavailable', message: 'scenes run without network access; include what the scene needs in its code', ...where, ...traceback });
  }
  if (DISK_FULL.test(text)) {
    return permanent({ code: 'disk_limit', message: 'the scene used more disk than a render may', ...where, ...traceback });
  }
  const packageMissing = LATEX_PACKAGE_MISSING.exec(text.replace(/\s+/g, ' '));
  if (packageMissing) {
    const file = packageMissing[1]!;
    return permanent({
      code: 'latex_package_missing',
      message: `the LaTeX package ${file.replace(/\.(sty|cls)$/, '')} (${file}) is not installed on this renderer, which has ${TEX_INSTALLED}`,
      ...where,
      ...traceback,
    });
  }
  if (/No such file or directory: 'xelatex'/.test(text)) {
    return permanent({
      code: 'latex_unavailable',
      message: `this renderer has no xelatex (templates that compile with it, such as TexTemplateLibrary.ctex, cannot be used); it has latex with ${TEX_INSTALLED}`,
      ...where,
    });
  }
  if (LATEX_MISSING.test(text)) {
    // Not the scene's fault, but retrying cannot help: the renderer is missing part of its install.
    return permanent({
      code: 'latex_unavailable',
      message: 'this renderer has no LaTeX installation; MathTex and Tex need latex and dvisvgm (npm run setup installs them)',
      ...where,
    });
  }
  if (LATEX_FAILED.test(text)) {
    return permanent({
      code: 'latex_error',
      message: `LaTeX could not compile a Tex or MathTex string of the scene: ${failure.message}`,
      ...where,
      ...traceback,
    });
  }
  const name = failure.exception ? `${failure.exception}: ` : '';
  return permanent({ code: 'scene_error', message: `${name}${failure.message}`, ...where, ...traceback });
}

function classifyCrash(failure: Extract<RawRenderFailure, { reason: 'worker_crashed' }>, log: string): ClassifiedFailure {
  if (failure.stage === 'startup') {
    return { retryable: true, reason: `the render worker failed to start (exit ${failure.exitCode}, signal ${failure.signal})` };
  }
  if (DISK_FULL.test(log)) return permanent({ code: 'disk_limit', message: 'the scene used more disk than a render may' });
  if (OUTPUT_FLOOD.test(log)) return permanent({ code: 'output_limit', message: 'the scene printed more output than a render may' });
  if (MEMORY_WATCH.test(log)) return permanent({ code: 'memory_limit', message: 'the scene used more memory than a render may' });
  // The sandbox's own memory kills say so in the log (above: its memory watch, or the memory cgroup's OOM kills,
  // which the supervisor reports the same way). A SIGKILL it cannot explain came from outside the scene (the host's
  // OOM killer, an operator, the instance going away): our side, so the render is tried again.
  if (failure.signal === 'SIGKILL') return { retryable: true, reason: 'the render process was killed from outside the sandbox (SIGKILL)' };
  if (failure.signal === 'SIGXCPU') return permanent({ code: 'cpu_limit', message: 'the scene used more CPU time than a render may' });
  if (failure.signal === 'SIGXFSZ') return permanent({ code: 'disk_limit', message: 'the scene wrote a file larger than a render may' });
  const how = failure.signal ? `signal ${failure.signal}` : `exit status ${failure.exitCode}`;
  return permanent({ code: 'process_crashed', message: `the render process ended without a result (${how})` });
}
