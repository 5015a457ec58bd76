import type { Command } from 'commander';
import { shortDigest, type DesiredEntry, type DesiredScope, type Resolution } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import { table } from '../output';
import type { CommandKit } from '../program';

const short = (d: string | null | undefined): string => (d ? shortDigest(d) : '-');

/** One of --site/--tag/--device, as a scope and target. */
function scopeOf(o: Record<string, unknown>): { scope: DesiredScope; target: string } {
  const given = (['site', 'tag', 'device'] as const).filter((k) => typeof o[k] === 'string');
  if (given.length !== 1) throw new AppError(ErrorCode.VALIDATION_FAILED, 'Say what the desired image is for with exactly one of --site S, --tag T or --device NAME.');
  return { scope: given[0]!, target: o[given[0]!] as string };
}

function resolutionText(r: Resolution | null, pinned: string | null): string {
  if (pinned) return `pinned ${short(pinned)}`;
  if (!r) return 'not resolved yet';
  const ok = r.digest ? `${short(r.digest)} (${r.resolvedAt?.slice(0, 16).replace('T', ' ')})` : 'never resolved';
  return r.error ? `${ok}; last try failed: ${r.error.message}` : ok;
}

export function registerDesired(program: Command, kit: CommandKit): void {
  const desired = program.command('desired').description('desired state: the image each site, tag or device should run (most specific wins)');
  const scoped = (c: Command) =>
    c.option('--site <site>', 'for every device of a site').option('--tag <tag>', 'for every device with a tag').option('--device <name>', 'for one device');
  scoped(
    desired
      .command('set')
      .argument('<image>', 'IMAGE[:TAG][@DIGEST]; a digest pins it')
      .option('--no-resolve', 'do not ask the registry for the digest now')
      .option('--require-signed', 'devices must boot it with a signature policy enforced (the audit checks it; switch with --enforce-signatures)'),
  )
    .description('set the desired image of a site, tag or device; its tag is resolved through the registry')
    .action(
      kit.run(async (s, o, image) => {
        const e = await s.call('desired.set', { ...scopeOf(o), image: image!, resolve: o.resolve !== false, requireSigned: !!o.requireSigned });
        kit.print(o, e, () => `Desired image of ${e.scope} ${e.targetName}: ${e.image}${e.requireSigned ? ', signed images required' : ''} (${resolutionText(e.resolution, e.pinnedDigest)}); ${e.deviceCount} device${e.deviceCount === 1 ? '' : 's'}, ${e.behindCount} behind.\n`);
        if (e.resolution?.error && !e.resolution.digest) kit.exitWith(1);
      }),
    );
  scoped(desired.command('clear'))
    .description('remove the desired image of a site, tag or device (a less specific one then applies)')
    .action(
      kit.run(async (s, o) => {
        const r = await s.call('desired.clear', scopeOf(o));
        kit.print(o, r, () => (r.cleared ? `Cleared the desired image of ${r.scope} ${r.target}.\n` : `${r.scope} ${r.target} had no desired image.\n`));
      }),
    );
  desired
    .command('list')
    .alias('ls')
    .description('list desired images with their resolved digests and how many devices are behind')
    .action(
      kit.run(async (s, o) => {
        const r = await s.call('desired.list', {});
        kit.print(o, r, () => {
          if (!r.entries.length) return 'No desired images yet. Set one with `bootfleet desired set --site S IMAGE`.\n';
          const rows = r.entries.map((e: DesiredEntry) => [
            e.scope,
            e.targetName,
            e.requireSigned ? `${e.image} (signed)` : e.image,
            resolutionText(e.resolution, e.pinnedDigest),
            String(e.deviceCount),
            String(e.behindCount),
          ]);
          const more = r.deviceEntries > r.entries.filter((e) => e.scope === 'device').length ? `(${r.deviceEntries} devices set their own; the first 500 are listed)\n` : '';
          return table(['SCOPE', 'FOR', 'IMAGE', 'DIGEST', 'DEVICES', 'BEHIND'], rows, 64) + more;
        });
      }),
    );
  desired
    .command('resolve')
    .argument('[image...]', 'references to resolve (default: every desired image)')
    .description('ask the registries what each desired reference points at now')
    .action(
      kit.run(async (s, o, ...refs) => {
        const list = (refs as unknown as string[][])[0] ?? [];
        const r = await s.call('desired.resolve', list.length ? { refs: list } : {});
        kit.print(o, r, () =>
          r.length
            ? table(['IMAGE', 'DIGEST', 'PLATFORMS', 'RESULT'], r.map((x) => [x.ref, short(x.digest), x.platforms.map((p) => p.architecture).join(',') || '-', x.error ? `failed: ${x.error.message}` : 'ok']), 64)
            : 'No desired images to resolve.\n',
        );
        if (r.some((x) => x.error)) kit.exitWith(1);
      }),
    );
}

export function registerRegistries(program: Command, kit: CommandKit): void {
  const reg = program.command('registries').alias('registry').description('registry settings and logins used to resolve images');
  reg
    .command('set')
    .argument('<host>', 'registry host as in image references, e.g. quay.io or registry.local:5000')
    .option('--user <name>', 'login user (token or basic auth)')
    .option('--password-stdin', 'read the password or token from standard input (stored encrypted)')
    .option('--no-login', 'forget the login')
    .option('--insecure', 'plain HTTP (loopback registries fall back to it by themselves)')
    .option('--tls', 'TLS again after --insecure')
    .description('add or change a registry and its login')
    .action(
      kit.run(async (s, o, host) => {
        let password: string | undefined;
        if (o.passwordStdin) {
          password = (await kit.io.readStdin()).split(/\r?\n/)[0];
          if (!password) throw new AppError(ErrorCode.VALIDATION_FAILED, 'Standard input was empty; pipe the password in, e.g. `printf %s "$PW" | bootfleet registries set HOST --user U --password-stdin`.');
        }
        if (password !== undefined && !o.user) throw new AppError(ErrorCode.VALIDATION_FAILED, '--password-stdin needs --user.');
        const r = await s.call('registries.set', {
          host: host!,
          ...(o.insecure ? { insecure: true } : o.tls ? { insecure: false } : {}),
          ...(o.login === false ? { username: null } : o.user ? { username: o.user as string } : {}),
          ...(password !== undefined ? { password } : {}),
        });
        kit.print(o, r, () => `Registry ${r.host}: ${r.insecure ? 'plain HTTP' : 'TLS'}, ${r.username ? `login ${r.username}${r.hasPassword ? '' : ' (no password)'}` : 'anonymous'}.\n`);
      }),
    );
  reg
    .command('list')
    .alias('ls')
    .description('list registries with settings or logins')
    .action(
      kit.run(async (s, o) => {
        const list = await s.call('registries.list', {});
        kit.print(o, list, () =>
          list.length
            ? table(['HOST', 'TRANSPORT', 'LOGIN'], list.map((r) => [r.host, r.insecure ? 'plain HTTP' : 'TLS', r.username ?? 'anonymous']))
            : 'No registries configured; images are resolved anonymously. Add a login with `bootfleet registries set HOST --user U --password-stdin`.\n',
        );
      }),
    );
  reg
    .command('rm')
    .alias('remove')
    .argument('<host>', 'registry host')
    .description("forget a registry's settings and login")
    .action(
      kit.run(async (s, o, host) => {
        const r = await s.call('registries.remove', { host: host! });
        kit.print(o, r, () => (r.removed ? `Forgot registry ${r.host}.\n` : `No settings for ${r.host}.\n`));
      }),
    );
}
