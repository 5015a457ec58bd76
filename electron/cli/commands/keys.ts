import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { AppError, ErrorCode } from '../../../shared/errors';
import { auditJsonParts, verifyAuditJson } from '../../core/audit/render';
import { parseKeyLine } from '../../core/keys/keys-service';
import { table } from '../output';
import type { CommandKit } from '../program';

async function readText(file: string): Promise<string> {
  return readFile(resolve(file), 'utf8').catch(() => {
    throw new AppError(ErrorCode.NOT_FOUND, `No file ${file}.`);
  });
}

/** `bootfleet keys`: this installation's signing key, the keys it trusts, and checking signed reports. */
export function registerKeys(program: Command, kit: CommandKit): void {
  const keys = program.command('keys').description("signing keys: this installation's own, and the keys of other installations it trusts");

  keys
    .command('show')
    .option('-o, --output <file>', 'also write the public key line to this file (to hand to an auditor)')
    .description("this installation's public key and fingerprint (made on first use)")
    .action(
      kit.run(async (s, o) => {
        const k = await s.call('keys.show', {});
        if (o.output) await writeFile(resolve(o.output as string), `${k.publicKey}\n`);
        kit.print(o, k, () => `${k.publicKey}\nFingerprint: ${k.fingerprint}\nMade: ${k.createdAt}\n`);
      }),
    );

  keys
    .command('list')
    .description('the keys this installation trusts')
    .action(
      kit.run(async (s, o) => {
        const list = await s.call('keys.list', {});
        kit.print(o, list, () =>
          list.length
            ? table(['NAME', 'FINGERPRINT', 'TRUSTED', 'BY', 'REVOKED'], list.map((k) => [k.name, k.fingerprint, k.trustedAt.slice(0, 16).replace('T', ' '), k.trustedBy, k.revokedAt ? k.revokedAt.slice(0, 16).replace('T', ' ') : '-']), 60)
            : 'No trusted keys: bootfleet keys trust FILE --fingerprint SHA256:...\n',
        );
      }),
    );

  keys
    .command('trust')
    .argument('<file>', "the other installation's key line, as its `bootfleet keys show -o FILE` wrote it")
    .option('--fingerprint <fp>', 'the fingerprint you checked with its owner (required: without it the key is only shown)')
    .option('--name <name>', 'a name for it (default: the one in the key line)')
    .description("trust another installation's signing key: its signed reports and bundles are then accepted (logged)")
    .action(
      kit.run(async (s, o, file) => {
        const line = (await readText(file!)).trim();
        if (!o.fingerprint) {
          const k = parseKeyLine(line);
          kit.io.stdout(`${file!} holds the key ${k.fingerprint} (${k.name || 'no name'}).\nCheck this fingerprint with the key's owner (read it out, compare it on their screen), then run again with --fingerprint ${k.fingerprint}.\nNothing was trusted.\n`);
          kit.exitWith(1);
          return;
        }
        const t = await s.call('keys.trust', { publicKey: line, fingerprint: o.fingerprint as string, ...(o.name ? { name: o.name as string } : {}) });
        kit.print(o, t, () => `Trusted ${t.name} (${t.fingerprint}). This is in the activity log.\n`);
      }),
    );

  keys
    .command('revoke')
    .argument('<fingerprint>', 'SHA256:...')
    .description('stop trusting a key (logged)')
    .action(
      kit.run(async (s, o, fp) => {
        const t = await s.call('keys.revoke', { fingerprint: fp! });
        kit.print(o, t, () => `No longer trusted: ${t.name} (${t.fingerprint}).\n`);
      }),
    );

  keys
    .command('verify')
    .argument('<file>', 'a JSON audit report')
    .description("check a JSON audit report: its SHA-256, and its signature against this installation's key and the keys it trusts")
    .action(
      kit.run(async (s, o, file) => {
        const text = await readText(file!);
        if (!verifyAuditJson(text)) throw new AppError(ErrorCode.VALIDATION_FAILED, `${file!}: its SHA-256 does not match its content: it was altered, or it is not a Bootfleet audit report.`);
        const parts = auditJsonParts(text);
        if (!parts.signature) {
          kit.print(o, { intact: true, signed: false }, () => `${file!}: intact (SHA-256 ${parts.sha256!}), not signed.\n`);
          return;
        }
        const who = s.open().keys.verify(parts.body, parts.signature);
        kit.print(o, { intact: true, signed: true, ...who }, () => `${file!}: intact, signed by ${who.name} (${who.fingerprint})${who.own ? ', this installation' : ', a trusted key'}.\n`);
      }),
    );
}
