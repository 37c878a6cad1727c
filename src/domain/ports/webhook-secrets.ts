/** One webhook signing secret per principal, made on first use. Implementations: SQLite and Firestore. */
export interface WebhookSecrets {
  secretFor(params: { principal: string }): Promise<string>;
}
