import path from 'node:path';
import { z } from 'zod';
import { gcsPrefixSchema } from '../contracts/batch';
import { DEFAULT_PRICES } from '../domain/costs/price-table';
import { DEFAULT_SANDBOX_MINIMUM, SANDBOX_LAYERS, requirementName, weakenedRequirements, type SandboxRequirement } from '../renderer/sandbox/sandbox-layers';

/** The repository (or image) root: `src/config` and `dist/config` are both two levels below it. */
export const APP_ROOT = path.resolve(__dirname, '..', '..');

/** "true"/"1" are true, "false"/"0" false; anything else is a config error rather than a silent false. */
const booleanSetting = z
  .enum(['true', '1', 'false', '0'])
  .transform((v) => v === 'true' || v === '1');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const configSchema = z
  .object({
    /** `local`: everything in one process on embedded adapters. `gcp`: Firestore, Cloud Tasks, Cloud Storage. */
    MODE: z.enum(['local', 'gcp']).default('local'),
    /** Which service this process is. `all` (local mode only) is ingress and renderer together. */
    ROLE: z.enum(['all', 'ingress', 'renderer']).optional(),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: int(0, 65535).default(8080),
    DATA_DIR: z.string().min(1).default('./.data'),
    LOG_LEVEL: z.enum(['silent', 'error', 'warn', 'info', 'debug']).default('info'),
    PYTHON: z.string().min(1).default(path.join(APP_ROOT, '.venv', 'bin', 'python')),
    MAX_CODE_BYTES: int(1, 4 * 1024 * 1024).default(256 * 1024),
    /** Project files (images, audio, fonts, modules, data) one render may carry, and their bytes (domain/project-files/). */
    MAX_PROJECT_FILES: int(0, 10_000).default(100),
    MAX_PROJECT_FILE_BYTES: int(1, 2 ** 34).default(64 * 1024 * 1024),
    MAX_PROJECT_BYTES: int(1, 2 ** 36).default(256 * 1024 * 1024),
    /** Bytes of the files sent inline (base64 in `POST /v1/renders`); larger ones go through `POST /v1/files`. */
    MAX_INLINE_FILE_BYTES: int(0, 16 * 1024 * 1024).default(8 * 1024 * 1024),
    DEFAULT_TIMEOUT_SECONDS: int(1, 3600).default(120),
    MAX_TIMEOUT_SECONDS: int(1, 3600).default(600),
    RENDER_CONCURRENCY: int(1, 64).default(1),
    TASK_MAX_ATTEMPTS: int(1, 100).default(5),
    TASK_MIN_BACKOFF_MS: int(0, 3_600_000).default(1000),
    TASK_MAX_BACKOFF_MS: int(0, 3_600_000).default(60_000),
    MAX_LOG_BYTES: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
    MAX_OUTPUT_BYTES: int(1024, 16 * 1024 * 1024 * 1024).default(2 * 1024 * 1024 * 1024),
    RENDER_SEED: int(0, 2 ** 31 - 1).default(0),
    /** How long a render's claim on a scene outlives its last heartbeat (a crashed renderer's scenes wait this long). */
    LEASE_SECONDS: int(5, 3600).default(30),
    WARM_WORKER: booleanSetting.default(true),
    /**
     * The repair of lost work (domain/repair/): a scene queued (or held by an expired lease) this long with no task
     * left in the queue is queued again. Locally it runs every REPAIR_INTERVAL_SECONDS (0: never); in gcp mode
     * Cloud Scheduler calls the ingress's /tasks/repair (setup-gcp.sh).
     */
    REPAIR_AFTER_SECONDS: int(1, 7 * 24 * 3600).default(600),
    REPAIR_INTERVAL_SECONDS: int(0, 24 * 3600).default(300),
    /** Refuse at submit code that imports network modules (a friendly early error; the sandbox is the defence). */
    SUBMIT_LINT: booleanSetting.default(true),
    /** Reuse an identical earlier render of the same principal instead of rendering again. */
    RESULT_CACHE: booleanSetting.default(true),
    /** The playground page at `GET /` (web/playground/): in gcp mode, reached through `gcloud run services proxy`. */
    PLAYGROUND: booleanSetting.default(true),
    /**
     * Split rendering (domain/split/): a scene with at least SPLIT_MIN_SCENE_SECONDS of video is rendered as up to
     * SPLIT_MAX_PARTS animation ranges of at least SPLIT_MIN_PART_SECONDS each, one task (one renderer) per range,
     * then joined. In local mode the parts are also capped by RENDER_CONCURRENCY. SPLIT_MAX_PARTS=1 turns it off.
     */
    SPLIT_MAX_PARTS: int(1, 64).default(8),
    /** Compile the TeX glyphs of numbers once at start and share them read-only with every render (glyph-cache.ts). */
    GLYPH_CACHE: booleanSetting.default(true),
    /**
     * Keep the TeX formulas a principal's renders compiled for that principal's next renders on this renderer, up to
     * TEX_CACHE_MAX_BYTES for all principals, least recently used out (tex-cache.ts).
     */
    TEX_CACHE: booleanSetting.default(true),
    TEX_CACHE_MAX_BYTES: int(0, 64 * 1024 * 1024 * 1024).default(256 * 1024 * 1024),
    SPLIT_MIN_SCENE_SECONDS: z.coerce.number().min(0).default(30),
    SPLIT_MIN_PART_SECONDS: z.coerce.number().min(0).default(8),

    // The render sandbox (src/renderer/sandbox/, SECURITY.md)
    /**
     * `auto`: the strongest profile this host lets start and that meets SANDBOX_MINIMUM (bubblewrap's namespaces,
     * else Landlock). `bwrap` or `landlock`: that profile only. `none`: no sandbox at all, loudly logged; local mode only.
     */
    SANDBOX: z.enum(['auto', 'bwrap', 'landlock', 'none']).default('auto'),
    /** The bubblewrap binary; /usr/bin/bwrap or /usr/local/bin/bwrap when unset. */
    SANDBOX_BWRAP: z.string().min(1).optional(),
    /**
     * Layers that must be active or the renderer refuses to render, comma-separated; `a|b` is met by either (the
     * default asks `namespaces|landlock`). Lowering it is for local development only.
     */
    SANDBOX_MINIMUM: z
      .string()
      .default(DEFAULT_SANDBOX_MINIMUM.map(requirementName).join(','))
      .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean).map((s) => s.split('|').map((layer) => layer.trim())))
      .pipe(z.array(z.array(z.enum(SANDBOX_LAYERS)).min(1)))
      .transform((requirements): SandboxRequirement[] => requirements),
    /** Host uid and gid scene code runs as (when the service runs as root). */
    SANDBOX_UID: int(1, 2 ** 31 - 2).default(64000),
    /** How many uids from SANDBOX_UID sandboxes alive at once may take, one each (when the service runs as root). */
    SANDBOX_UID_COUNT: int(1, 65536).default(256),
    SANDBOX_MAX_PROCESSES: int(16, 1 << 20).default(64),
    SANDBOX_CPU_SECONDS: int(1, 7 * 24 * 3600).default(1800),
    /** Ceiling of each worker's address space; the worker lowers it to its quality's budget. */
    SANDBOX_MAX_ADDRESS_SPACE_BYTES: int(256 * 1024 * 1024, 2 ** 40).default(6 * 1024 * 1024 * 1024),
    SANDBOX_DISK_BYTES: int(1024 * 1024, 2 ** 40).default(4 * 1024 * 1024 * 1024),
    /** Memory of a whole sandbox, where the host lets it have a memory cgroup (4k renders peak near 2.1 GiB). */
    SANDBOX_MEMORY_BYTES: int(256 * 1024 * 1024, 2 ** 40).default(4 * 1024 * 1024 * 1024),
    SANDBOX_TMP_BYTES: int(1024 * 1024, 2 ** 36).default(256 * 1024 * 1024),
    SANDBOX_OPEN_FILES: int(64, 1 << 20).default(1024),
    /** Put each sandbox in pids and memory cgroups where the host allows; false stands for a host that allows none. */
    SANDBOX_CGROUPS: booleanSetting.default(true),

    // What renders cost (src/domain/costs/): each render's estimate is made with these when it is recorded.
    /** What one renderer instance holds: service.yaml's `cpu` and `memory` for the renderer. */
    RENDERER_VCPUS: z.coerce.number().positive().max(64).default(2),
    RENDERER_MEMORY_GIB: z.coerce.number().positive().max(512).default(4),
    /** Cloud Run's price of a vCPU-second and a GiB-second (USD), and the day they were read (price-table.ts). */
    COST_VCPU_SECOND_USD: z.coerce.number().nonnegative().default(DEFAULT_PRICES.vcpuSecondUsd),
    COST_GIB_SECOND_USD: z.coerce.number().nonnegative().default(DEFAULT_PRICES.gibSecondUsd),
    COST_PRICED_AT: z.iso.date().default(DEFAULT_PRICES.pricedAt),

    // Callers of the public API
    /**
     * `none` (local mode on loopback only), `iam` (behind Cloud Run's invoker check), `verify` (we check tokens),
     * `keys` (API keys only: the default of local mode on any other address, e.g. the image's self-hosted run).
     */
    AUTH_MODE: z.enum(['none', 'iam', 'verify', 'keys']).optional(),
    /**
     * An API key (`mrk_...`, as `manim-render keys create` prints) the service stores at start in keys mode, so a
     * self-hosted service starts with a key its operator already has. Without it, a service with no key mints one
     * and prints it once.
     */
    INITIAL_API_KEY: z.string().regex(/^mrk_[0-9a-f]{16}_[A-Za-z0-9_-]{32}$/, 'must be an API key: mrk_<16 hex>_<32 characters>').optional(),
    /** Who may call: emails and `@domain` / `domain:` entries, comma-separated (iam and verify modes). */
    AUTH_ALLOWLIST: z.string().default(''),
    /** The audience Google ID tokens must carry in verify mode: the ingress URL. */
    AUTH_AUDIENCE: z.string().min(1).optional(),
    /** Accept operator-issued API keys (`X-Api-Key`) besides ID tokens. */
    API_KEYS: booleanSetting.default(true),
    /** Local development only: let webhooks reach loopback and private addresses. */
    WEBHOOK_ALLOW_PRIVATE_TARGETS: booleanSetting.default(false),
    /**
     * The Cloud Storage prefixes each principal may name as a batch `source`, as JSON:
     * `{"scheduler@p.iam.gserviceaccount.com": ["gs://bucket/nightly/"], "key:nightly": [...]}` (a caller by ID token is
     * its email; by API key, `key:` and the key's principal). Nobody may name any by default: the
     * ingress reads them with its own service account, which can read buckets the caller may not.
     */
    BATCH_SOURCES: z
      .string()
      .default('{}')
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be JSON: {"principal": ["gs://bucket/prefix/"]}' });
          return z.NEVER;
        }
      })
      .pipe(z.record(z.string().min(1), z.array(gcsPrefixSchema).max(100))),
    /** Webhook deliveries at once (local mode), in slots of their own beside the renders; each waits 10 s at most. */
    WEBHOOK_CONCURRENCY: int(1, 256).default(4),
    QUOTA_SUBMITS_PER_MINUTE: int(1, 1_000_000).default(120),
    QUOTA_ACTIVE_SCENES: int(1, 100_000).default(50),

    // gcp mode
    GOOGLE_CLOUD_PROJECT: z.string().min(1).optional(),
    /** Set by Cloud Run: the revision serving this instance (a deploy's canary outcome names it). */
    K_REVISION: z.string().min(1).optional(),
    TASKS_LOCATION: z.string().min(1).optional(),
    TASKS_QUEUE: z.string().min(1).default('manim-render'),
    /** The Cloud Tasks queue of webhook deliveries, which posts to `${INGRESS_URL}/tasks/webhooks`. */
    WEBHOOK_QUEUE: z.string().min(1).default('manim-webhooks'),
    /** The ingress's base URL: where webhook deliveries are posted, and the audience of their OIDC tokens. */
    INGRESS_URL: z.url().optional(),
    /** The renderer's base URL; Cloud Tasks posts each task to `${RENDERER_URL}/tasks`. */
    RENDERER_URL: z.url().optional(),
    /** The service account whose OIDC token Cloud Tasks attaches, and the only caller the renderer accepts. */
    TASKS_INVOKER_SA: z.string().min(1).optional(),
    /** Audience of those tokens; defaults to RENDERER_URL. */
    RENDERER_AUDIENCE: z.string().min(1).optional(),
    BUCKET: z.string().min(1).optional(),
    FIRESTORE_DATABASE: z.string().min(1).default('(default)'),
    JOB_RETENTION_DAYS: int(1, 3650).default(30),
    /** Who issues the tokens the renderer accepts, and where its keys are: Google's, or an emulator's in tests. */
    OIDC_ISSUER: z.string().min(1).default('https://accounts.google.com'),
    OIDC_JWKS_URL: z.url().default('https://www.googleapis.com/oauth2/v3/certs'),
    SIGNED_URL_SECONDS: int(60, 7 * 24 * 3600).default(3600),
    // Emulators (tests and `npm run start:emulated`); unset in production.
    FIRESTORE_EMULATOR_HOST: z.string().min(1).optional(),
    CLOUD_TASKS_EMULATOR_HOST: z.string().min(1).optional(),
    GCS_API_ENDPOINT: z.url().optional(),
    /** A service-account JSON key to sign URLs with where there is no IAM signBlob (the storage emulator). */
    GCS_SIGNING_KEY_FILE: z.string().min(1).optional(),
  })
  .refine((c) => c.DEFAULT_TIMEOUT_SECONDS <= c.MAX_TIMEOUT_SECONDS, {
    message: 'DEFAULT_TIMEOUT_SECONDS must not exceed MAX_TIMEOUT_SECONDS',
    path: ['DEFAULT_TIMEOUT_SECONDS'],
  })
  .superRefine((c, ctx) => {
    // The sandbox may be weakened only where no stranger's code arrives: local mode.
    if (c.MODE === 'local') return;
    if (c.SANDBOX === 'none') ctx.addIssue({ code: 'custom', path: ['SANDBOX'], message: 'gcp mode renders only in the sandbox: use auto, bwrap or landlock' });
    const lowered = weakenedRequirements(c.SANDBOX_MINIMUM, DEFAULT_SANDBOX_MINIMUM);
    if (lowered.length) {
      ctx.addIssue({ code: 'custom', path: ['SANDBOX_MINIMUM'], message: `gcp mode requires the sandbox layers ${lowered.map(requirementName).join(', ')}` });
    }
  })
  .superRefine((c, ctx) => {
    const require = (key: keyof typeof c, why: string) => {
      if (c[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `required ${why}` });
    };
    const authMode = defaultAuthMode(c);
    if (authMode === 'none' && (c.MODE !== 'local' || !isLoopback(c.HOST))) {
      ctx.addIssue({ code: 'custom', path: ['AUTH_MODE'], message: 'none is allowed only in local mode bound to loopback (HOST=127.0.0.1)' });
    }
    if (authMode === 'keys' && !c.API_KEYS) {
      ctx.addIssue({ code: 'custom', path: ['API_KEYS'], message: 'AUTH_MODE keys accepts only API keys: API_KEYS must be true' });
    }
    if (authMode === 'keys' && c.MODE !== 'local') {
      ctx.addIssue({ code: 'custom', path: ['AUTH_MODE'], message: 'keys is for local mode; gcp mode authenticates with iam or verify (API keys are accepted there too)' });
    }
    // iam trusts the identity in a token without checking its signature: only Cloud Run's front end, which every
    // request to a gcp-mode service passes, has checked it. Anywhere else anyone could claim to be anyone.
    if (authMode === 'iam' && c.MODE !== 'gcp') {
      ctx.addIssue({ code: 'custom', path: ['AUTH_MODE'], message: 'iam trusts tokens Cloud Run has checked: gcp mode only; elsewhere use verify or API keys' });
    }
    if (authMode === 'verify' && !c.AUTH_AUDIENCE) require('AUTH_AUDIENCE', 'when AUTH_MODE is verify');
    if (c.MODE === 'local') {
      if (c.ROLE && c.ROLE !== 'all') ctx.addIssue({ code: 'custom', path: ['ROLE'], message: 'local mode runs every role in one process: use all or leave it unset' });
      return;
    }
    if (!c.ROLE || c.ROLE === 'all') {
      ctx.addIssue({ code: 'custom', path: ['ROLE'], message: 'gcp mode runs ingress and renderer as separate services: set ingress or renderer' });
    }
    require('GOOGLE_CLOUD_PROJECT', 'in gcp mode');
    require('BUCKET', 'in gcp mode');
    require('TASKS_INVOKER_SA', 'in gcp mode (ingress: the token Cloud Tasks attaches; renderer: the only accepted caller)');
    // Both roles enqueue: the ingress its render tasks, the renderer the webhook tasks of finished jobs.
    require('TASKS_LOCATION', 'in gcp mode');
    require('RENDERER_URL', 'in gcp mode');
    require('INGRESS_URL', 'in gcp mode (webhook deliveries are posted to the ingress)');
    if (c.WEBHOOK_ALLOW_PRIVATE_TARGETS) {
      ctx.addIssue({ code: 'custom', path: ['WEBHOOK_ALLOW_PRIVATE_TARGETS'], message: 'only for local mode: gcp mode never sends webhooks to private addresses' });
    }
    if (c.ROLE === 'renderer' && !c.RENDERER_AUDIENCE && !c.RENDERER_URL) {
      ctx.addIssue({ code: 'custom', path: ['RENDERER_AUDIENCE'], message: 'the renderer needs RENDERER_AUDIENCE (or RENDERER_URL) to check tokens against' });
    }
  });

type ParsedConfig = z.infer<typeof configSchema>;
export type AuthMode = 'none' | 'iam' | 'verify' | 'keys';
export type Config = Omit<ParsedConfig, 'ROLE' | 'AUTH_MODE'> & {
  ROLE: 'all' | 'ingress' | 'renderer';
  AUTH_MODE: AuthMode;
};

function isLoopback(host: string): boolean {
  return ['127.0.0.1', '::1', 'localhost'].includes(host);
}

/** gcp mode: iam. Local mode: none on loopback, and API keys on any address others can reach. */
function defaultAuthMode(c: { AUTH_MODE?: AuthMode | undefined; MODE: string; HOST: string }): AuthMode {
  if (c.AUTH_MODE) return c.AUTH_MODE;
  if (c.MODE !== 'local') return 'iam';
  return isLoopback(c.HOST) ? 'none' : 'keys';
}

export class ConfigError extends Error {}

/**
 * Parses the service's settings from the environment, once, at boot. A bad value fails with the variable named;
 * nothing else in the service reads `process.env`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means unset (so `PORT=` is the default, not port 0).
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = configSchema.safeParse(set);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const data = parsed.data;
  return {
    ...data,
    ROLE: data.ROLE ?? 'all',
    AUTH_MODE: defaultAuthMode(data),
    DATA_DIR: path.resolve(data.DATA_DIR),
    RENDERER_AUDIENCE: data.RENDERER_AUDIENCE ?? data.RENDERER_URL,
  };
}
