/** Words for device actions and jobs, shared by the device page, the Rollouts page and notices. */
import type { ActionKind, Job, RolloutAction } from '../../../shared/contract';

/** Where bootc finds an image (`bootc switch --transport`). */
export type Transport = 'registry' | 'oci' | 'oci-archive' | 'containers-storage' | 'dir' | 'docker-archive';
export const TRANSPORTS: Transport[] = ['registry', 'oci', 'oci-archive', 'containers-storage', 'dir', 'docker-archive'];

/** An action as a title: "Stage update". */
export const actionTitle: Record<ActionKind, string> = {
  check: 'Check for update',
  upgrade: 'Stage update',
  apply: 'Apply staged update',
  switch: 'Switch image',
  rollback: 'Roll back',
};

/** An action as a short verb: "stage update". */
export const actionVerb: Record<ActionKind, string> = {
  check: 'check',
  upgrade: 'stage update',
  apply: 'apply',
  switch: 'switch',
  rollback: 'roll back',
};

/** What a rollout does to each device, in words. */
export const rolloutActionLabel: Record<RolloutAction, string> = {
  upgrade: 'Upgrade',
  switch: 'Switch image',
  rollback: 'Roll back',
};

/** Where one device is in an action. */
export const phaseLabel: Record<string, string> = {
  queued: 'Queued',
  contacting: 'Contacting',
  checking: 'Checking',
  transferring: 'Sending from library',
  pulling: 'Pulling',
  staging: 'Staging',
  'rolling-back': 'Rolling back',
  rebooting: 'Rebooting',
  waiting: 'Waiting',
  verifying: 'Verifying',
  finished: 'Finished',
};

export const jobStateLabel: Record<Job['state'], string> = { running: 'running', done: 'done', failed: 'failed', canceled: 'cancelled', interrupted: 'interrupted' };

/** "registry.local/os:2.0", or "oci:/var/os" for another transport. */
export function imageWithTransport(image: string, transport: string | null | undefined): string {
  return transport && transport !== 'registry' ? `${transport}:${image}` : image;
}

/** The devices of a job that are finished (done or failed, cancelled or interrupted) and how many it has. */
export function jobProgress(job: Job): { total: number; done: number; failed: number; running: number; pending: number } {
  let done = 0;
  let failed = 0;
  let running = 0;
  for (const d of job.devices) {
    if (d.state === 'done') done++;
    else if (d.state === 'failed' || d.state === 'interrupted') failed++;
    else if (d.state === 'running') running++;
  }
  const canceled = job.devices.filter((d) => d.state === 'canceled').length;
  return { total: job.devices.length, done, failed, running, pending: job.devices.length - done - failed - running - canceled };
}
