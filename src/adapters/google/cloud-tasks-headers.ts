/** What Cloud Tasks says about a delivery, in the X-CloudTasks-* request headers of an HTTP target task. */
export interface CloudTasksDelivery {
  /** The task's id (the last segment of its name), as X-CloudTasks-TaskName. */
  taskName: string;
  /** The queue's id, as X-CloudTasks-QueueName. */
  queueName?: string;
  /** Attempts before this one (X-CloudTasks-TaskRetryCount); 0 on the first delivery. */
  retryCount: number;
  /** Attempts before this one that got a response from the handler (X-CloudTasks-TaskExecutionCount). */
  executionCount: number;
}

type Headers = Record<string, string | string[] | undefined>;

/**
 * Reads the Cloud Tasks headers of a delivery (e.g. Express's `req.headers`), or null when it carries no task name.
 * These headers are only trustworthy on a request whose OIDC token was verified: Cloud Tasks strips any a client
 * sets, but a caller that reaches the service some other way can send anything.
 */
export function readCloudTasksHeaders(headers: Headers): CloudTasksDelivery | null {
  const taskName = header(headers, 'x-cloudtasks-taskname');
  if (!taskName) return null;
  return {
    taskName,
    queueName: header(headers, 'x-cloudtasks-queuename'),
    retryCount: count(header(headers, 'x-cloudtasks-taskretrycount')),
    executionCount: count(header(headers, 'x-cloudtasks-taskexecutioncount')),
  };
}

function header(headers: Headers, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return (Array.isArray(value) ? value[0] : value)?.trim() || undefined;
}

/** A non-negative count, or 0 when the header is missing or malformed. */
function count(value: string | undefined): number {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : 0;
}
