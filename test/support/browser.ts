import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium (scripts/setup.sh installs it); CHROMIUM_PATH names another. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where browser tests keep their screenshots: test-artifacts/<suite>/<step>.png. */
export const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts');

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run npm run setup (it installs Debian's chromium), or set CHROMIUM_PATH`);
  // As root the browser's own sandbox cannot start; the pages it loads are the tests' own.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'] });
}

/** What went wrong in a page: uncaught errors, console errors, Content-Security-Policy violations, and answers >= 400. */
export interface PageProblems {
  errors: string[];
  violations: string[];
  /** `<status> <method> <path>` of every response of 400 or more. */
  failedResponses: string[];
}

// The page's globals, inside page.evaluate callbacks (this file is compiled without the DOM library).
declare const document: { addEventListener(type: string, listener: (event: { violatedDirective: string; blockedURI: string }) => void): void };
declare const window: unknown;

/** Starts recording a page's problems; call before the first navigation. */
export async function watchProblems(page: Page): Promise<PageProblems> {
  const problems: PageProblems = { errors: [], violations: [], failedResponses: [] };
  page.on('pageerror', (error) => problems.errors.push(error.message));
  page.on('console', (message) => {
    // A failed load is reported with its URL by the response listener.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.errors.push(message.text());
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.failedResponses.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`);
  });
  await page.exposeFunction('__reportViolation', (text: string) => problems.violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      (window as unknown as { __reportViolation(text: string): void }).__reportViolation(`${event.violatedDirective}: ${event.blockedURI}`);
    });
  });
  return problems;
}

/** Saves a screenshot of the page as test-artifacts/<suite>/<step>.png and returns its path. */
export async function screenshot(page: Page, suite: string, step: string): Promise<string> {
  const file = path.join(ARTIFACTS, suite, `${step}.png`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
