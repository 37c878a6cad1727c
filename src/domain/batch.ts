/** A batch as stored: its items, each the job it became or why it could not. Statuses live in the jobs. */
export interface BatchRecord {
  id: string;
  owner: string;
  name?: string;
  webhookUrl?: string;
  items: Array<{ index: number; source?: string; jobId?: string; error?: { code: string; message: string } }>;
  createdAt: string;
}
