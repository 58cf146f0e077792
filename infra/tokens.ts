import crypto from 'node:crypto';

/** Bearer tokens: 32 random bytes, shown once; only their SHA-256 is stored. */
export function generateToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}
