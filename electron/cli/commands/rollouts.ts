import type { Command } from 'commander';
import { desiredStateSchema, type DeviceFilter, type Rollout, type RolloutDevice, type RolloutInput, type RolloutPlan } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import { table } from '../output';
import type { CommandKit } from '../program';
import type { CliSession } from '../run';
import { addFilterOptions, collect, intOption, rateOption } from './options';
import { shortOrDash } from './status';

function planText(p: RolloutPlan): string {
  const pol = p.policy;
  const lines = [
    `Rollout "${p.name}": ${p.action}${p.image ? ` to ${p.image}` : ''} on ${p.total} device${p.total === 1 ? '' : 's'}, ${pol.apply ? 'applied and verified after reboot' : 'staged only'}.`,
    `Policy: canary ${pol.canary}, then batches of ${pol.batchSize}, ${pol.maxParallel} at once; halt when a batch has more than ${pol.maxFailures} failure${pol.maxFailures === 1 ? '' : 's'}${pol.pauseAfterCanary ? '; pause after the canary' : ''}.`,
    '',
    ...p.batches.map(
      (b) =>
        `${b.canary ? 'Canary' : `Batch ${b.index + (p.batches[0]?.canary ? 0 : 1)}`} (${b.devices.length}): ${b.devices
          .slice(0, 12)
          .map((d) => `${d.name}${d.reach === 'online' ? '' : ` [${d.reach}]`}`)
          .join(', ')}${b.devices.length > 12 ? `, … ${b.devices.length - 12} more` : ''}`,
    ),
    ...p.warnings.map((w) => `! ${w}`),
  ];
  return lines.join('\n') + '\n';
}

function rolloutText(r: Rollout): string {
  const c = r.counts;
  return `Rollout ${r.id} "${r.name}": ${r.state}${r.requested ? ` (${r.requested} requested)` : ''} — ${c.done} done, ${c.failed} failed, ${c.running} running, ${c.pending} to go${c.skipped ? `, ${c.skipped} skipped` : ''} of ${c.total}.${r.reason ? `\n${r.reason}` : ''}\n`;
}

function devicesTable(devs: RolloutDevice[], canary: boolean): string {
  return table(
    ['BATCH', 'DEVICE', 'STATE', 'FROM', 'RESULT', 'OUTCOME'],
    devs.map((d) => [canary && d.batch === 0 ? 'canary' : String(d.batch + (canary ? 0 : 1)), d.name, d.state, shortOrDash(d.fromDigest), shortOrDash(d.resultDigest), d.error ? `${d.error.message} [${d.error.code}]` : (d.outcome ?? '')]),
    100,
  );
}

/** Follows a rollout this process drives until it ends, pauses or halts; exit 0 only when every device is done. */
async function follow(s: CliSession, kit: CommandKit, o: Record<string, unknown>, id: string): Promise<void> {
  const core = s.open();
  let last = '';
  const off = core.bus.subscribe((event, payload) => {
    if (o.json || event !== 'rollout.updated' || (payload as Rollout).id !== id) return;
    const r = payload as Rollout;
    const line = `${r.counts.done + r.counts.failed}/${r.counts.total} finished (${r.counts.failed} failed), ${r.counts.running} acting`;
    if (line !== last) kit.io.stderr(`${r.name}: ${line}\n`);
    last = line;
  });
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    // First Ctrl-C pauses (devices acting finish and are verified); a second cancels what is left.
    void s.call(interrupts === 1 ? 'rollouts.pause' : 'rollouts.cancel', { id }).catch(() => undefined);
    kit.io.stderr(interrupts === 1 ? 'Pausing: devices acting now finish and are verified (Ctrl-C again to cancel the rest).\n' : 'Cancelling the devices not started.\n');
  };
  process.on('SIGINT', onSigint);
  try {
    const r = await core.rollouts.wait(id);
    const d = await s.call('rollouts.get', { id });
    kit.print(o, d, () => `${devicesTable(d.devices, d.batches[0]?.canary ?? false)}${rolloutText(r)}${r.state === 'paused' || r.state === 'halted' ? `Resume with: bootfleet rollout resume ${r.id}\n` : ''}`);
    if (r.state !== 'done' || r.counts.failed || r.counts.done !== r.counts.total) kit.exitWith(1);
  } finally {
    process.off('SIGINT', onSigint);
    off();
  }
}

export function registerRollouts(program: Command, kit: CommandKit): void {
  const rollout = program.command('rollout').alias('rollouts').description('rollouts: one action over many devices in batches, with a canary and a failure threshold');
  addFilterOptions(
    rollout
      .command('create')
      .argument('<action>', 'upgrade, switch or rollback')
      .argument('[names...]', 'devices (or select them with --site, --tag, --desired)')
      .option('--desired <state>', 'only devices in this desired state, e.g. behind (repeat for several)', collect)
      .option('--image <image>', 'switch: the image to boot')
      .option('--transport <t>', 'switch: registry, oci, oci-archive, containers-storage, ...; via library: oci (default) or oci-archive')
      .option('--via <source>', "switch, upgrade: device (each device pulls, default) or library (Bootfleet sends the image, or for upgrade the library's image of the name each device follows; only the blobs each device lacks)")
      .option('--max-rate <rate>', 'via library: the most sent to all devices together, e.g. 50M (bytes/s)', rateOption('--max-rate'))
      .option('--enforce-signatures', 'switch: bootc switch --enforce-container-sigpolicy on every device')
      .option('--name <text>', 'a name to find the rollout by')
      .option('--canary <n>', 'devices in the first batch, run alone (default 1; 0 for none)', intOption('--canary', 0, 1000))
      .option('--batch-size <n>', 'devices per later batch', intOption('--batch-size', 1, 10000))
      .option('--batch-percent <p>', 'or a percentage of the devices (default 25)', intOption('--batch-percent', 1, 100))
      .option('--parallel <n>', 'devices acted on at once within a batch (default 8)', intOption('--parallel', 1, 64))
      .option('--max-failures <n>', 'halt when a batch has more failures than this (default 0)', intOption('--max-failures', 0, 10000))
      .option('--pause-after-canary', 'pause after the canary until resumed')
      .option('--stage-only', 'stage the update without rebooting (default: apply and verify)')
      .option('--wait <seconds>', 'how long a rebooting device may take to return (default 600)', intOption('--wait', 5, 7200))
      .option('--yes', 'go ahead (without it the plan is shown and nothing is done)'),
  )
    .description('plan a rollout, and with --yes run it here until it ends, pauses or halts')
    .addHelpText('after', '\nCtrl-C pauses (devices acting finish and are verified); a second Ctrl-C cancels the rest.\nExit status 0 only when every device reached the verified target state.')
    .action(
      kit.run(async (s, o, action, ...rest) => {
        const names = (rest as unknown as string[][])[0] ?? [];
        const filter: DeviceFilter = {
          ...(o.site !== undefined ? { site: o.site as string } : {}),
          ...(o.tag ? { tags: o.tag as string[] } : {}),
          ...(o.search ? { search: o.search as string } : {}),
          ...(o.desired ? { desired: (o.desired as string[]).map((x) => desiredStateSchema.parse(x)) } : {}),
        };
        if (names.length && Object.keys(filter).length) throw new AppError(ErrorCode.VALIDATION_FAILED, 'Name devices or select them with --site/--tag/--desired/--search, not both.');
        if (!names.length && !Object.keys(filter).length) throw new AppError(ErrorCode.VALIDATION_FAILED, 'Say which devices: name them, or use --site, --tag, --desired or --search.');
        const input: RolloutInput = {
          action: action as RolloutInput['action'],
          ...(names.length ? { devices: names } : { filter }),
          ...(o.image ? { image: o.image as string } : {}),
          ...(o.transport ? { transport: o.transport as RolloutInput['transport'] } : {}),
          ...(o.via ? { via: o.via as RolloutInput['via'] } : {}),
          ...(o.maxRate ? { maxBytesPerSecond: o.maxRate as number } : {}),
          ...(o.enforceSignatures ? { enforceSignatures: true } : {}),
          ...(o.name ? { name: o.name as string } : {}),
          policy: {
            ...(o.canary !== undefined ? { canary: o.canary as number } : {}),
            ...(o.batchSize !== undefined ? { batchSize: o.batchSize as number } : {}),
            ...(o.batchPercent !== undefined ? { batchPercent: o.batchPercent as number } : {}),
            ...(o.parallel !== undefined ? { maxParallel: o.parallel as number } : {}),
            ...(o.maxFailures !== undefined ? { maxFailures: o.maxFailures as number } : {}),
            ...(o.wait !== undefined ? { waitSeconds: o.wait as number } : {}),
            pauseAfterCanary: !!o.pauseAfterCanary,
            apply: !o.stageOnly,
          },
        };
        if (!o.yes) {
          const plan = await s.call('rollouts.plan', input);
          kit.print(o, plan, () => `${planText(plan)}\nNothing was done. Run again with --yes to start it.\n`);
          kit.exitWith(1);
          return;
        }
        const r = await s.call('rollouts.create', input);
        if (!o.json) kit.io.stderr(`Started rollout ${r.id} "${r.name}" on ${r.counts.total} devices.\n`);
        await follow(s, kit, o, r.id);
      }),
    );
  rollout
    .command('status')
    .argument('[id]', 'rollout id (default: list recent rollouts)')
    .description('a rollout with every device, or the recent rollouts')
    .action(
      kit.run(async (s, o, id) => {
        if (!id) {
          const list = await s.call('rollouts.list', {});
          kit.print(o, list, () =>
            list.length
              ? table(['ID', 'NAME', 'STATE', 'DONE', 'FAILED', 'TO GO', 'STARTED'], list.map((r) => [r.id, r.name, r.state, String(r.counts.done), String(r.counts.failed), String(r.counts.pending + r.counts.running), r.createdAt.slice(0, 16).replace('T', ' ')]), 60)
              : 'No rollouts yet. Plan one with `bootfleet rollout create upgrade --tag T`.\n',
          );
          return;
        }
        const d = await s.call('rollouts.get', { id });
        kit.print(o, d, () => `${devicesTable(d.devices, d.batches[0]?.canary ?? false)}${rolloutText(d)}`);
      }),
    );
  for (const [verb, what] of [
    ['pause', 'pause: devices acting finish, no other starts (works on a rollout another Bootfleet process drives)'],
    ['cancel', 'cancel: devices not started are skipped; devices acting finish and are verified'],
  ] as const) {
    rollout
      .command(verb)
      .argument('<id>', 'rollout id')
      .description(what)
      .action(
        kit.run(async (s, o, id) => {
          const r = await s.call(verb === 'pause' ? 'rollouts.pause' : 'rollouts.cancel', { id: id! });
          kit.print(o, r, () => rolloutText(r));
        }),
      );
  }
  rollout
    .command('resume')
    .argument('<id>', 'rollout id')
    .description('resume a paused, halted or interrupted rollout here, until it ends, pauses or halts')
    .action(
      kit.run(async (s, o, id) => {
        const r = await s.call('rollouts.resume', { id: id! });
        if (!o.json) kit.io.stderr(`Resumed rollout ${r.id} "${r.name}": ${r.counts.pending} device${r.counts.pending === 1 ? '' : 's'} to go.\n`);
        await follow(s, kit, o, r.id);
      }),
    );
}
