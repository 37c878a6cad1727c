import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, screenshot, watchProblems, type PageProblems } from '../support/browser';
import { fixture, startService, type ServiceHarness } from '../support/service-harness';

// The playground page in a real headless Chromium against the real service: type a scene, render it, see progress
// move and the live stream play before the job ends, then the final video; errors marked on their lines.
// Screenshots of each step are kept in test-artifacts/playground/.
jest.setTimeout(300_000);

// The page's globals, inside page.evaluate callbacks (the tests are compiled without the DOM library).
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any

let service: ServiceHarness;
let browser: Browser;
let page: Page;
let problems: PageProblems;

beforeAll(async () => {
  [service, browser] = await Promise.all([startService(), launchChromium()]);
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  problems = await watchProblems(page);
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

/** Replaces the editor's text as typing would (CodeMirror sees input events, not a setter). */
async function typeScene(code: string): Promise<void> {
  await page.click('.cm-content');
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(code);
}

const status = () => page.textContent('#status');

describe('the playground page', () => {
  it('is served with a strict Content-Security-Policy and loads with no error', async () => {
    const res = await page.goto(`${service.url}/`);
    expect(res?.status()).toBe(200);
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-(inline|eval)/);
    await page.waitForSelector('.cm-editor .cm-line');
    // Python highlighting: the sample's `class` and `def` are drawn as keywords.
    expect(await page.locator('.cm-content span', { hasText: /^class$/ }).count()).toBeGreaterThan(0);
    await screenshot(page, 'playground', '1-loaded');
  });

  it('renders a typed scene: progress moves, the live stream plays before the job ends, then the final video plays', async () => {
    await typeScene(fixture('long_timeline.py'));
    expect(await page.evaluate(() => document.querySelector('.cm-content')?.textContent)).toContain('class LongTimeline');
    // Medium quality: a render of several seconds, time for the live stream to start well before it ends.
    await page.selectOption('#quality', 'medium');
    await page.click('#render');

    await page.waitForFunction(() => Number((document.getElementById('progress')).value) > 0, undefined, { timeout: 60_000 });
    const livePlayed = await page.waitForFunction(
      () => {
        const live = document.getElementById('live');
        const text = document.getElementById('status')?.textContent ?? '';
        return live.currentTime > 0.3 ? { time: live.currentTime, status: text } : null;
      },
      undefined,
      { timeout: 120_000, polling: 50 },
    );
    const seen = (await livePlayed.jsonValue()) as { time: number; status: string };
    // Still rendering when the live video had played a while.
    expect(seen.status).toMatch(/rendering/);
    expect(seen.status).not.toMatch(/done/);
    await screenshot(page, 'playground', '2-live');

    await page.waitForFunction(() => document.getElementById('status')?.textContent?.includes('done'), undefined, { timeout: 180_000 });
    expect(await page.isVisible('#final')).toBe(true);
    await page.evaluate(() => {
      const video = document.getElementById('final');
      video.muted = true;
      void video.play();
    });
    await page.waitForFunction(() => (document.getElementById('final')).currentTime > 0.5, undefined, { timeout: 30_000 });
    const final = await page.evaluate(() => {
      const video = document.getElementById('final');
      return { duration: video.duration, width: video.videoWidth, height: video.videoHeight };
    });
    expect(final.duration).toBeCloseTo(21.7, 0);
    expect(final).toMatchObject({ width: 1280, height: 720 });
    expect(await page.getAttribute('#download', 'href')).toMatch(/\/v1\/renders\/[a-z0-9]+\/scenes\/LongTimeline\/video$/);
    expect(await page.textContent('#jobs')).toContain('LongTimeline: succeeded');
    await screenshot(page, 'playground', '3-final');
  });

  it('marks a syntax error on its line', async () => {
    await typeScene(fixture('syntax_error.py'));
    await page.selectOption('#quality', 'low');
    await page.click('#render');
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('refused'));
    expect(await status()).toBe('refused: syntax_error');
    expect(await page.getAttribute('.cm-error-line', 'data-error-line')).toBe('6');
    expect(await page.textContent('.cm-error-line')).toContain('self.play(Create(Circle())');
    expect(await page.textContent('#error')).toContain('line 6');
    await screenshot(page, 'playground', '4-syntax-error');
  });

  it("shows a scene's error with its traceback and render log, its line marked", async () => {
    const code = fixture('broken_midway.py');
    await typeScene(code);
    await page.click('#render');
    // The progress line says "failed" from the event stream before the page has fetched and shown the error.
    await page.waitForFunction(() => /failed/.test(document.getElementById('status')?.textContent ?? ''), undefined, { timeout: 120_000 });
    await page.waitForSelector('#error:not([hidden])');
    await page.waitForSelector('#log-box:not([hidden])');
    const shown = await page.textContent('#error');
    expect(shown).toContain('scene_error');
    expect(shown).toContain('Traceback');
    expect(await page.getAttribute('.cm-error-line', 'data-error-line')).toBe('12');
    expect(await page.textContent('.cm-error-line')).toBe(code.split('\n')[11]);
    expect(await page.isVisible('#log-box')).toBe(true);
    await screenshot(page, 'playground', '5-scene-error');
  });

  it('kept the page free of script errors and policy violations throughout', () => {
    expect(problems.violations).toEqual([]);
    expect(problems.errors).toEqual([]);
    // The one refusal: the submit of the scene that does not parse.
    expect(problems.failedResponses).toEqual(['400 POST /v1/renders']);
    expect(fs.readdirSync(`${__dirname}/../../test-artifacts/playground`).sort()).toEqual(['1-loaded.png', '2-live.png', '3-final.png', '4-syntax-error.png', '5-scene-error.png']);
  });
});
