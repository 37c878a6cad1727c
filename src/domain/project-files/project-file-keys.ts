import { createHash } from 'node:crypto';

/**
 * Where a principal's files live in the blob store. The principal is hashed into the key (principals are emails
 * and `key:` names, not key-safe), so two principals' files never share a key and one cannot name the other's.
 */
function ownerSegment(owner: string): string {
  return createHash('sha256').update(owner).digest('hex').slice(0, 32);
}

/** A file checked and kept: its bytes are its hash. */
export function projectFileKey(owner: string, sha256: string): string {
  return `files/${ownerSegment(owner)}/${sha256}`;
}

/** Where a signed upload puts a file's bytes, unchecked, until the service has read them against their hash. */
export function pendingUploadKey(owner: string, sha256: string): string {
  return `uploads/${ownerSegment(owner)}/${sha256}`;
}
