import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../core/paths';
import { cleanupTempDirs, tempDir } from '../core/test-support';
import { runCli } from './program';

afterAll(() => cleanupTempDirs());

function cliIn(dataDir: string) {
  return async (...args: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(['--data-dir', dataDir, ...args], { stdout: (x) => (stdout += x), stderr: (x) => (stderr += x), readStdin: async () => '' });
    return { code, stdout, stderr };
  };
}

describe('signing keys and signed audit reports', () => {
  it('a report signed at a site is accepted elsewhere only once its key is trusted, explicitly and logged; any change is refused', async () => {
    const site = tempDir();
    const auditor = tempDir();
    const atSite = cliIn(site);
    const atAuditor = cliIn(auditor);
    const pub = join(site, 'site.pub');
    const shown = await atSite('keys', 'show', '-o', pub);
    expect(shown.code).toBe(0);
    const fp = /Fingerprint: (SHA256:[A-Za-z0-9+/]{43})\n/.exec(shown.stdout)![1]!;
    expect(readFileSync(pub, 'utf8')).toMatch(/^bootfleet-ed25519 [A-Za-z0-9+/]{43}= bootfleet@\S+\n$/);
    // The same key every time; its private part is only in the secrets table, encrypted.
    expect((await atSite('keys', 'show')).stdout).toContain(fp);
    const db = new Database(join(site, DATABASE_FILE), { readonly: true });
    expect(db.prepare('SELECT count(*) FROM secrets').pluck().get()).toBe(1);
    expect(JSON.stringify(db.prepare('SELECT ciphertext FROM secrets').all())).not.toContain('PRIVATE KEY');
    db.close();

    const report = join(site, 'audit.json');
    expect((await atSite('audit', '--format', 'json', '--sign', '-o', report)).code).toBe(0);
    expect((await atSite('keys', 'verify', report)).stdout).toBe(`${report}: intact, signed by bootfleet@${JSON.parse(readFileSync(report, 'utf8')).signature.publicKey.split(' ')[2].slice('bootfleet@'.length)} (${fp}), this installation.\n`);

    const untrusted = await atAuditor('keys', 'verify', report);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toContain(`Signed by ${fp}`);
    expect(untrusted.stderr).toContain('a key this installation does not trust');
    // Trust needs the fingerprint checked with the owner: shown first, refused when it differs.
    const look = await atAuditor('keys', 'trust', pub);
    expect(look.code).toBe(1);
    expect(look.stdout).toContain(`holds the key ${fp}`);
    expect(look.stdout).toContain('Nothing was trusted.');
    const wrong = await atAuditor('keys', 'trust', pub, '--fingerprint', 'SHA256:AAAA');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`The key's fingerprint is ${fp}, not the SHA256:AAAA you typed`);
    const trusted = await atAuditor('keys', 'trust', pub, '--fingerprint', fp, '--name', 'plant 7 laptop');
    expect(trusted.stdout).toBe(`Trusted plant 7 laptop (${fp}). This is in the activity log.\n`);
    expect((await atAuditor('keys', 'verify', report)).stdout).toBe(`${report}: intact, signed by plant 7 laptop (${fp}), a trusted key.\n`);
    expect((await atAuditor('keys', 'list')).stdout).toMatch(new RegExp(`plant 7 laptop\\s+${fp.replace(/[+/]/g, '\\$&')}`));
    expect((await atAuditor('activity', '--json')).stdout).toContain('"action": "key.trusted"');

    // Altered: the SHA-256 no longer matches. Altered with the SHA-256 recomputed: the signature fails.
    const original = JSON.parse(readFileSync(report, 'utf8')) as Record<string, unknown>;
    const edited = join(auditor, 'edited.json');
    writeFileSync(edited, JSON.stringify({ ...original, generatedBy: 'someone else' }, null, 2));
    expect((await atAuditor('keys', 'verify', edited)).stderr).toContain('its SHA-256 does not match its content');
    const { sha256: _s, signature, ...rest } = { ...original, generatedBy: 'someone else' } as Record<string, unknown>;
    const body = JSON.stringify(rest);
    writeFileSync(edited, JSON.stringify({ ...rest, sha256: createHash('sha256').update(body).digest('hex'), signature }, null, 2));
    expect((await atAuditor('keys', 'verify', edited)).stderr).toContain(`The signature by ${fp} does not match the content: it was altered after signing.`);

    // Revoked: refused again, with when.
    expect((await atAuditor('keys', 'revoke', fp)).code).toBe(0);
    expect((await atAuditor('keys', 'verify', report)).stderr).toMatch(/whose trust was revoked on \S+\./);
  });
});
