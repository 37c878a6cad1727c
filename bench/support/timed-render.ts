import { performance } from 'node:perf_hooks';
import type { ServiceProcess } from './service-process';
import { TERMINAL, type JobView } from './types';

export const POLL_MS = 20;

/** One render through the API, timed from the client's side, with the service's own timestamps beside it. */
export interface TimedRender {
  job: JobView;
  /** The 202 (or 200) answer to the submit itself. */
  submitAnswer: JobView;
  /** POST sent → answer read, ms. */
  submitMs: number;
  /** POST sent → a GET first shows the job terminal, ms (what a caller polling every 20 ms waits). */
  endToEndMs: number;
  /** Whether the submit's own answer already was terminal (a result cache hit). */
  terminalAtSubmit: boolean;
  /** Wall-clock (epoch ms) of the POST and of the GET that saw the job terminal, to set against the job's timestamps. */
  sentAt: number;
  seenAt: number;
}

/** Submits and polls GET /v1/renders/{id} every POLL_MS until the job is terminal. */
export async function timedRender(service: ServiceProcess, body: Record<string, unknown>, timeoutMs = 900_000): Promise<TimedRender> {
  const sentAt = Date.now();
  const sent = performance.now();
  const res = await service.request('POST', '/v1/renders', body);
  const submitAnswer = (await res.json()) as JobView;
  const answered = performance.now();
  if (res.status !== 202 && res.status !== 200) throw new Error(`submit: ${res.status} ${JSON.stringify(submitAnswer)}`);
  let job = submitAnswer;
  const deadline = sent + timeoutMs;
  while (!TERMINAL.has(job.status)) {
    if (performance.now() > deadline) throw new Error(`job ${job.id} still ${job.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    job = await service.getJob(submitAnswer.id);
  }
  const done = performance.now();
  return {
    job,
    submitAnswer,
    submitMs: answered - sent,
    endToEndMs: done - sent,
    terminalAtSubmit: TERMINAL.has(submitAnswer.status),
    sentAt,
    seenAt: sentAt + (done - sent),
  };
}
