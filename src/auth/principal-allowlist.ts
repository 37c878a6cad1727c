/**
 * Which verified identities may call the API: exact emails (`alice@example.com`) and whole domains
 * (`@example.com` or `domain:example.com`), comma-separated. An empty list allows no one.
 */
export function parseAllowlist(spec: string): (email: string) => boolean {
  const emails = new Set<string>();
  const domains = new Set<string>();
  for (const raw of spec.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry.startsWith('domain:')) domains.add(entry.slice('domain:'.length));
    else if (entry.startsWith('@')) domains.add(entry.slice(1));
    else emails.add(entry);
  }
  return (email) => {
    const normalised = email.toLowerCase();
    const at = normalised.lastIndexOf('@');
    return emails.has(normalised) || (at > 0 && domains.has(normalised.slice(at + 1)));
  };
}
