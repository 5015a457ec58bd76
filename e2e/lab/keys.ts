import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { run } from './procs';

/** Generates an ed25519 key pair with OpenSSH's ssh-keygen (private key at `path`, public at `path.pub`). */
export async function generateKey(path: string, comment: string): Promise<void> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
}

/** The SHA256 fingerprint of a public key file, as `ssh-keygen -l` prints it (`SHA256:…`). */
export async function fingerprint(pubPath: string): Promise<string> {
  const [, blob] = (await readFile(pubPath, 'utf8')).trim().split(/\s+/);
  if (!blob) throw new Error(`${pubPath} is not an OpenSSH public key`);
  const hash = createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64');
  return `SHA256:${hash.replace(/=+$/, '')}`;
}
