import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './support/run-script';

// hadolint is in neither Debian bookworm nor npm (the npm package of that name is a wrapper that needs the
// binary), so these tests read the Dockerfile for what a reviewer (and hadolint) would check, in seconds. The
// image itself is built and run by `npm run test:image` (test/image/).

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  from: string;
  name: string;
  instructions: Instruction[];
}

const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');

/** Instructions with line continuations joined and comments dropped. */
function instructions(text: string): Instruction[] {
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim().length > 0);
  return logical.map((line) => {
    const [, keyword, args] = /^\s*(\w+)\s+(.*)$/.exec(line)!;
    return { keyword: keyword!.toUpperCase(), args: args!.trim() };
  });
}

const all = instructions(dockerfile);
const globalArgs = Object.fromEntries(
  all
    .slice(0, all.findIndex((i) => i.keyword === 'FROM'))
    .filter((i) => i.keyword === 'ARG')
    .map((i) => i.args.split('=') as [string, string]),
);
const stages: Stage[] = [];
for (const instruction of all) {
  if (instruction.keyword === 'FROM') {
    const [, from, name] = /^(\S+)\s+AS\s+(\S+)$/i.exec(instruction.args) ?? [];
    stages.push({ from: from ?? instruction.args, name: name ?? '', instructions: [] });
  } else if (stages.length > 0) {
    stages.at(-1)!.instructions.push(instruction);
  }
}
const final = stages.at(-1)!;
const runs = (stage: Stage) => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
const stageNames = new Set(stages.map((s) => s.name));
const resolve = (image: string) => image.replace(/\$\{(\w+)\}/g, (_, name: string) => globalArgs[name] ?? `<${name} unset>`);

describe('Dockerfile', () => {
  it('is multi-stage: builds in their own stages, ships a runtime stage', () => {
    expect(stages.map((s) => s.name)).toEqual(expect.arrayContaining(['build', 'node-deps', 'python-venv', 'runtime']));
    expect(final.name).toBe('runtime');
    expect(final.instructions.filter((i) => i.keyword === 'COPY' && i.args.includes('--from=')).length).toBeGreaterThanOrEqual(3);
  });

  it('starts from pinned bases that Debian packages and the npm registry can make: Node 24 and Debian bookworm', () => {
    const external = stages.map((s) => s.from).filter((from) => !stageNames.has(from)).map(resolve);
    expect(external).toEqual([expect.stringMatching(/^node:24\.\d+\.\d+-bookworm-slim$/), 'debian:bookworm-slim', 'debian:bookworm-slim']);
    for (const image of external) expect(image).not.toMatch(/:latest|<.* unset>/);
    // The venv is made with Debian's own python3, the same interpreter the runtime installs.
    expect(runs(stages.find((s) => s.name === 'python-venv')!).join(' ')).toMatch(/python3-venv/);
    expect(runs(final).join(' ').split(/\s+/)).toContain('python3');
  });

  it('runs the Node 24 binary of the node image in the runtime', () => {
    expect(final.instructions).toContainEqual({ keyword: 'COPY', args: '--from=node /usr/local/bin/node /usr/local/bin/node' });
  });

  it('starts as root, which the entrypoint keeps only for roles that run sandboxes', () => {
    // The renderer gives every sandbox a uid of its own, which needs root; the ingress drops to `manim`.
    expect(final.instructions.filter((i) => i.keyword === 'USER')).toEqual([]);
    expect(runs(final).join('\n')).toMatch(/useradd --system --uid 10001 --gid manim/);
    const entrypoint = fs.readFileSync(path.join(ROOT, 'scripts', 'image', 'entrypoint.sh'), 'utf8');
    expect(entrypoint).toMatch(/"\$\{ROLE:-\}" = ingress/);
    expect(entrypoint).toMatch(/setpriv --reuid=manim --regid=manim --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs/);
  });

  it('keeps compilers, headers and package caches out of the runtime stage', () => {
    const runtime = runs(final).join('\n');
    expect(runtime).not.toMatch(/build-essential|\bgcc\b|pkg-config|-dev\b|python3-venv/);
    for (const stage of stages) {
      for (const run of runs(stage)) {
        if (!run.includes('apt-get install')) continue;
        expect(run).toContain('apt-get update');
        expect(run).toContain('--no-install-recommends');
        expect(run).toContain('rm -rf /var/lib/apt/lists/*');
      }
      for (const run of runs(stage).filter((r) => r.includes('pip install'))) expect(run).toContain('--no-cache-dir');
    }
    expect(runs(stages.find((s) => s.name === 'node-deps')!).join(' ')).toContain('npm cache clean --force');
    // The venv's own pip goes and the runtime has no other: nothing is installed at run time.
    expect(runs(stages.find((s) => s.name === 'python-venv')!).join(' ')).toMatch(/pip uninstall -y .*pip setuptools/);
    expect(runtime).not.toMatch(/python3-pip/);
  });

  it('installs what rendering needs in the runtime: cairo and pango, LaTeX with dvisvgm, bubblewrap, and no ffmpeg (PyAV has its own)', () => {
    const install = runs(final).find((run) => run.includes('apt-get install'))!;
    for (const pkg of [
      'libcairo2',
      'libpango-1.0-0',
      'libpangocairo-1.0-0',
      'fonts-dejavu-core',
      'texlive-latex-base',
      'texlive-latex-recommended',
      'texlive-latex-extra',
      'dvisvgm',
      'bubblewrap',
      'tini',
    ]) {
      expect(install.split(/\s+/)).toContain(pkg);
    }
    expect(install.split(/\s+/)).not.toContain('ffmpeg');
  });

  it("has the same TeX and fonts as npm run setup gives the development machine (and so the tests)", () => {
    const install = runs(final).find((run) => run.includes('apt-get install'))!.split(/\s+/);
    const setup = fs.readFileSync(path.join(ROOT, 'scripts', 'setup.sh'), 'utf8');
    const aptList = /APT_PACKAGES=\(([\s\S]*?)\n\)/.exec(setup)![1]!
      .split('\n')
      .map((line) => line.replace(/#.*/, ''))
      .join(' ')
      .split(/\s+/);
    const typesetting = (packages: string[]) => packages.filter((p) => /^(texlive-|fonts-|dvisvgm$)/.test(p)).sort();
    expect(typesetting(install)).toEqual(typesetting(aptList));
    expect(typesetting(install)).toEqual(expect.arrayContaining(['fonts-noto-cjk', 'fonts-noto-core', 'fonts-symbola', 'texlive-latex-extra']));
  });

  it('installs exactly the pinned ManimCE requirements into a venv', () => {
    const venv = runs(stages.find((s) => s.name === 'python-venv')!).join('\n');
    expect(venv).toMatch(/python3 -m venv \/opt\/venv/);
    expect(venv).toMatch(/pip install --no-cache-dir --no-deps .*-r \/tmp\/requirements\.txt/);
    expect(venv).toContain('pip check');
    const requirements = fs
      .readFileSync(path.join(ROOT, 'python', 'requirements.txt'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('#'));
    for (const line of requirements) expect(line).toMatch(/^[A-Za-z0-9_.-]+==[\w.]+$/);
    expect(requirements).toContainEqual(expect.stringMatching(/^manim==/));
    expect(final.instructions).toContainEqual({ keyword: 'COPY', args: '--from=python-venv /opt/venv /opt/venv' });
  });

  it('proves at build time that Manim imports and MathTex and Text render', () => {
    expect(runs(final).join('\n')).toMatch(/from manim import config, MathTex, Text; .*MathTex\(.*\); Text\(/);
  });

  it('builds the TypeScript with the locked dependencies and ships only production ones', () => {
    const build = runs(stages.find((s) => s.name === 'build')!).join('\n');
    expect(build).toMatch(/tsc -p tsconfig\.build\.json/);
    expect(runs(stages.find((s) => s.name === 'node-deps')!).join('\n')).toMatch(/npm install --no-save --omit=dev/);
    expect(final.instructions).toContainEqual({ keyword: 'COPY', args: '--from=build /src/dist ./dist' });
  });

  it('starts node under an init in exec form, and has no HEALTHCHECK (Cloud Run uses the probes in service.yaml)', () => {
    expect(final.instructions.find((i) => i.keyword === 'ENTRYPOINT')?.args).toBe('["/usr/bin/tini", "--", "/usr/local/bin/manim-render-entrypoint"]');
    expect(final.instructions.find((i) => i.keyword === 'CMD')?.args).toBe('["node", "dist/main.js"]');
    expect(all.some((i) => i.keyword === 'HEALTHCHECK')).toBe(false);
  });

  it('listens on all interfaces on 8080 and keeps scratch space in /tmp', () => {
    const env = final.instructions.filter((i) => i.keyword === 'ENV').map((i) => i.args).join(' ');
    expect(env).toMatch(/HOST=0\.0\.0\.0/);
    expect(env).toMatch(/PORT=8080/);
    expect(env).toMatch(/DATA_DIR=\/tmp\//);
    expect(env).toMatch(/PYTHON=\/opt\/venv\/bin\/python/);
  });

  it('carries no secrets and fetches nothing with ADD', () => {
    expect(all.some((i) => i.keyword === 'ADD')).toBe(false);
    for (const i of all.filter((x) => x.keyword === 'ENV' || x.keyword === 'ARG')) {
      expect(i.args).not.toMatch(/KEY|SECRET|TOKEN|PASSWORD|CREDENTIAL/i);
    }
    expect(dockerfile).not.toMatch(/GOOGLE_APPLICATION_CREDENTIALS|\.json\s+\S*credentials/i);
  });
});

describe('.dockerignore', () => {
  const rules = fs
    .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));

  it('starts from "ignore everything" and lets in only what the Dockerfile copies', () => {
    expect(rules[0]).toBe('*');
    const allowed = rules.filter((rule) => rule.startsWith('!')).map((rule) => rule.slice(1).replace(/\/$/, ''));
    const copied = all
      .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
      .flatMap((i) => i.args.split(/\s+/).filter((word) => !word.startsWith('--')).slice(0, -1))
      .map((source) => source.replace(/\/$/, ''));
    const covered = (source: string) => allowed.some((entry) => source === entry || source.startsWith(`${entry}/`));
    expect(copied.filter((source) => !covered(source))).toEqual([]);
    expect(allowed.filter((entry) => !copied.some((source) => source === entry || source.startsWith(`${entry}/`)))).toEqual([]);
  });

  it('keeps local state and anything secret-looking out of the build context', () => {
    for (const rule of ['**/.env*', '**/*.pem', '**/*key*.json']) expect(rules).toContain(rule);
    for (const local of ['.git', 'node_modules', '.venv', '.data', 'dist', '.env']) {
      expect(rules).not.toContain(`!${local}`);
    }
  });
});
