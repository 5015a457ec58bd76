import type { Command } from 'commander';
import type { ActionInput, ActionPlan, Job } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import { formatTransfer } from '../../core/flash/drives';
import { table } from '../output';
import type { CommandKit } from '../program';
import type { CliSession } from '../run';
import { intOption, rateOption } from './options';
import { shortOrDash } from './status';

function planText(plans: ActionPlan[]): string {
  return plans
    .map((p) => {
      const c = p.current;
      const slot = (label: string, x: { digest: string; version: string | null } | null) => `    ${label.padEnd(9)}${x ? `${shortOrDash(x.digest)}  ${x.version ?? ''}` : '-'}`;
      return [
        `${p.name} (bootc ${p.bootcVersion ?? 'unknown'})${p.possible ? '' : '  NOT POSSIBLE'}`,
        slot('staged', c.staged),
        slot('booted', c.booted),
        slot('rollback', c.rollback) + (c.rollbackQueued ? '  (queued for next boot)' : ''),
        ...p.steps.map((s) => `  - ${s}`),
        ...p.commands.map((s) => `  $ ${s}`),
        ...p.warnings.map((w) => `  ! ${w}`),
      ].join('\n');
    })
    .join('\n\n');
}

function jobTable(job: Job): string {
  return table(
    ['DEVICE', 'RESULT', 'FROM', 'EXPECTED', 'BOOTED/STAGED', 'OUTCOME'],
    job.devices.map((d) => [d.name, d.state, shortOrDash(d.fromDigest), shortOrDash(d.expectedDigest), shortOrDash(d.resultDigest), d.error ? `${d.error.message} [${d.error.code}]` : (d.outcome ?? '')]),
    120,
  );
}

/** Plans, asks where the action reboots or discards something, runs the job and waits for it. */
async function runAction(s: CliSession, kit: CommandKit, o: Record<string, unknown>, input: ActionInput): Promise<void> {
  const needsYes = input.apply === true || input.action === 'apply' || input.action === 'rollback' || input.action === 'switch';
  if (needsYes && !o.yes) {
    const plans = await s.call('actions.plan', input);
    kit.io.stdout(planText(plans) + '\n\nNothing was done. Run again with --yes to go ahead.\n');
    kit.exitWith(1);
    return;
  }
  const core = s.open();
  const seen = new Map<string, string>();
  const names = new Map<string, string>();
  const off = core.bus.subscribe((event, payload) => {
    if (o.json) return;
    if (event === 'job.updated') {
      for (const d of (payload as Job).devices) {
        names.set(d.deviceId, d.name);
        const key = `${d.phase}/${d.state}`;
        if (seen.get(d.deviceId) !== key && d.state === 'running') kit.io.stderr(`${d.name}: ${d.phase}\n`);
        seen.set(d.deviceId, key);
        if (d.phase === 'transferring' && d.transfer && kit.io.stderrIsTty) {
          kit.io.stderr(`\r  ${formatTransfer(d.transfer)}\x1b[K${d.transfer.done >= d.transfer.total ? '\n' : ''}`);
        }
      }
    } else if (event === 'job.log') {
      const p = payload as { deviceId: string; text: string };
      if (o.log) kit.io.stderr(p.text.replace(/^/gm, '  | '));
      else {
        // Notes (what the plan warned of) are shown even without --log.
        for (const line of p.text.split('\n')) if (line.startsWith('note: ')) kit.io.stderr(`${names.get(p.deviceId) ?? p.deviceId}: ${line}\n`);
      }
    }
  });
  const started = await s.call('actions.start', input);
  const onSigint = (): void => void s.call('jobs.cancel', { id: started.id }).catch(() => undefined);
  process.once('SIGINT', onSigint);
  try {
    const job = await core.actions.wait(started.id);
    kit.print(o, job, () => `${jobTable(job)}${job.summary ?? ''}\n`);
    if (job.devices.some((d) => d.state !== 'done')) kit.exitWith(1);
  } finally {
    process.off('SIGINT', onSigint);
    off();
  }
}

function names(args: unknown[]): string[] {
  return (args as unknown[]).flat().filter((a): a is string => typeof a === 'string' && a !== '');
}

export function registerActions(program: Command, kit: CommandKit): void {
  const common = (cmd: Command): Command =>
    cmd
      .option('--yes', 'go ahead without showing the plan first (needed for anything that reboots or discards)')
      .option('--log', "print each device's command output as it comes")
      .option('--wait <seconds>', 'how long a rebooting device may take to return (default 600)', intOption('--wait', 5, 7200))
      .option('--parallel <n>', 'devices acted on at once (default 8)', intOption('--parallel', 1, 64))
      .addHelpText('after', '\nExit status 0 only when every device reached the verified target state.');
  const base = (o: Record<string, unknown>) => ({
    ...(o.wait ? { waitSeconds: o.wait as number } : {}),
    ...(o.parallel ? { parallel: o.parallel as number } : {}),
  });

  common(program.command('check').argument('<names...>', 'devices').description('ask each device whether an update is available (bootc upgrade --check); stages nothing')).action(
    kit.run(async (s, o, ...a) => runAction(s, kit, o, { action: 'check', devices: names(a), ...base(o) })),
  );
  common(
    program
      .command('upgrade')
      .argument('<names...>', 'devices')
      .option('--apply', 'reboot into the update and verify what booted')
      .option('--download-only', 'download and stage locked: not applied at the next reboot (bootc 1.12+)')
      .option('--via <source>', "device: the device fetches the update (default); library: Bootfleet sends the library's image of the name each device follows", 'device')
      .option('--transport <t>', 'via library: oci (the device\'s layout, only missing blobs sent; default) or oci-archive (one file)')
      .option('--max-rate <rate>', 'via library: the most sent to all devices together, e.g. 50M (bytes/s)', rateOption('--max-rate'))
      .description('stage the update of the image each device follows (bootc upgrade)'),
  ).action(
    kit.run(async (s, o, ...a) =>
      runAction(s, kit, o, {
        action: 'upgrade',
        devices: names(a),
        apply: !!o.apply,
        downloadOnly: !!o.downloadOnly,
        via: o.via as ActionInput['via'],
        ...(o.transport ? { transport: o.transport as ActionInput['transport'] } : {}),
        ...(o.maxRate ? { maxBytesPerSecond: o.maxRate as number } : {}),
        ...base(o),
      }),
    ),
  );
  common(program.command('apply').argument('<names...>', 'devices').description('reboot into the staged deployment and verify the digest it booted')).action(
    kit.run(async (s, o, ...a) => runAction(s, kit, o, { action: 'apply', devices: names(a), ...base(o) })),
  );
  common(
    program
      .command('switch')
      .argument('<args...>', 'devices, then the image: NAME... IMAGE')
      .option('--transport <t>', 'registry (default), oci, oci-archive, containers-storage, dir, docker-archive; via library: oci (the device\'s layout, default) or oci-archive (one file)', 'registry')
      .option('--via <source>', 'device: the device fetches the image (default); library: Bootfleet sends it from its image library, only the blobs the device lacks', 'device')
      .option('--max-rate <rate>', 'via library: the most sent to all devices together, e.g. 50M (bytes/s)', rateOption('--max-rate'))
      .option('--enforce-signatures', "bootc switch --enforce-container-sigpolicy: refuse the image unless the device's containers policy verifies its signature")
      .option('--apply', 'reboot into the new image and verify what booted')
      .description('point devices at another image and stage it (bootc switch)'),
  ).action(
    kit.run(async (s, o, ...a) => {
      const all = names(a);
      if (all.length < 2) throw new AppError(ErrorCode.VALIDATION_FAILED, 'Give the devices and then the image: bootfleet switch NAME... IMAGE');
      const image = all.pop()!;
      await runAction(s, kit, o, { action: 'switch', devices: all, image, transport: o.transport as ActionInput['transport'], via: o.via as ActionInput['via'], ...(o.maxRate ? { maxBytesPerSecond: o.maxRate as number } : {}), enforceSignatures: !!o.enforceSignatures, apply: !!o.apply, ...base(o) });
    }),
  );
  common(
    program
      .command('rollback')
      .argument('<names...>', 'devices')
      .option('--apply', 'reboot into the rollback deployment and verify what booted')
      .description('queue the rollback deployment for the next boot (bootc rollback); never run twice by mistake'),
  ).action(kit.run(async (s, o, ...a) => runAction(s, kit, o, { action: 'rollback', devices: names(a), apply: !!o.apply, ...base(o) })));

  const jobs = program.command('jobs').description('device action jobs: what ran, on which devices, with what result');
  jobs
    .command('list')
    .alias('ls')
    .option('--device <name>', 'only jobs that touched this device')
    .option('--limit <n>', 'how many (default 20)', intOption('--limit', 1, 500), 20)
    .description('recent jobs, newest first')
    .action(
      kit.run(async (s, o) => {
        const list = await s.call('jobs.list', { limit: o.limit as number, ...(o.device ? { device: o.device as string } : {}) });
        kit.print(o, list, () =>
          list.length ? table(['ID', 'ACTION', 'STATE', 'BY', 'STARTED', 'SUMMARY'], list.map((j) => [j.id, j.action, j.state, j.actor, j.createdAt.slice(0, 19).replace('T', ' '), j.summary ?? ''])) : 'No jobs yet.\n',
        );
      }),
    );
  jobs
    .command('show')
    .argument('<id>', 'job id')
    .option('--log', "include each device's command output")
    .description('one job: each device, its phase, digests and result')
    .action(
      kit.run(async (s, o, id) => {
        const job = await s.call('jobs.get', { id: id! });
        kit.print(o, job, () => {
          let out = `${job.action} ${job.state}: ${job.summary ?? 'running'}\n${jobTable(job)}`;
          if (o.log) for (const d of job.devices) out += `\n--- ${d.name}\n${job.logs[d.deviceId] ?? ''}`;
          return out;
        });
      }),
    );
  jobs
    .command('cancel')
    .argument('<id>', 'job id')
    .description('cancel a job run by this process family; a device mid-reboot is still verified')
    .action(
      kit.run(async (s, o, id) => {
        const job = await s.call('jobs.cancel', { id: id! });
        kit.print(o, job, () => `Cancel requested for job ${job.id}.\n`);
      }),
    );
}
