/**
 * Notices when work ends: a toast for every job, rollout, flash or provisioning run this UI saw
 * running, and a desktop notification (the Web Notification API, in Electron's renderer and in
 * browsers) when it ran for longer than LONG_MS, so the user who went elsewhere learns the outcome.
 * A provisioning run that waits for its new host key to be confirmed says so at once. Permission is
 * asked the first time the user starts a job or rollout (`askNotifyPermission`), never on page load.
 */
import type { Flash, Job, ProvisionRun, Rollout } from '../../../shared/contract';
import { useUi } from '../stores/ui';
import { client } from './api';
import { flashNotice } from './flash';

/** Work that ran at least this long (as this UI saw it) ends with a desktop notification. */
export const LONG_MS = 30_000;
/** A different threshold in ms, for tests (`localStorage['bootfleet.notifyAfterMs']`). */
const THRESHOLD_KEY = 'bootfleet.notifyAfterMs';

/** When this UI first saw each job (`job:ID`), rollout (`rollout:ID`) or flash (`flash:ID`) running. */
const runningSince = new Map<string, number>();
let asked = false;

function threshold(): number {
  try {
    const v = Number(localStorage.getItem(THRESHOLD_KEY));
    if (localStorage.getItem(THRESHOLD_KEY) !== null && Number.isFinite(v)) return v;
  } catch {
    // storage unavailable
  }
  return LONG_MS;
}

const supported = (): boolean => typeof Notification === 'function';

/** Asks for permission to notify, once, while the user starts something (never on load). */
export function askNotifyPermission(): void {
  if (asked || !supported() || Notification.permission !== 'default') return;
  asked = true;
  try {
    void Promise.resolve(Notification.requestPermission()).catch(() => undefined);
  } catch {
    // an old API shape or a refusal: the toast still tells
  }
}

const stateWord: Record<string, string> = { done: 'done', failed: 'failed', canceled: 'cancelled', interrupted: 'interrupted', paused: 'paused', halted: 'halted' };

/** "Rollout wave 1 done: 40 done, 0 failed" (and the reason when it stopped short). */
export function rolloutNotice(r: Rollout): string {
  const head = `Rollout ${r.name} ${stateWord[r.state] ?? r.state}: ${r.counts.done} done, ${r.counts.failed} failed`;
  return r.reason && r.state !== 'done' ? `${head}. ${r.reason}` : head;
}

/** "upgrade on plc-1 failed: …", or the job's summary for several devices. */
export function jobNotice(job: Job): string {
  const word = stateWord[job.state] ?? job.state;
  const one = job.devices.length === 1 ? job.devices[0] : undefined;
  if (one) return `${job.action} on ${one.name} ${word}: ${one.error?.message ?? one.outcome ?? job.summary ?? ''}`.replace(/: $/, '');
  return `${job.action} on ${job.devices.length} devices ${word}${job.summary ? `: ${job.summary}` : ''}`;
}

function notify(body: string, key: string, open: () => void): void {
  if (!supported() || Notification.permission !== 'granted') return;
  try {
    const n = new Notification('Bootfleet', { body, tag: key });
    n.onclick = () => {
      window.focus();
      open();
      n.close();
    };
  } catch {
    // some platforms only notify from a service worker: the toast still tells
  }
}

/** Follows one piece of work: remembers when it was seen running and reports its end. */
function follow(key: string, running: boolean, report: (long: boolean) => void): void {
  const since = runningSince.get(key);
  if (running) {
    if (since === undefined) runningSince.set(key, Date.now());
    return;
  }
  if (since === undefined) return;
  runningSince.delete(key);
  report(Date.now() - since >= threshold());
}

function onRollout(r: Rollout): void {
  follow(`rollout:${r.id}`, r.state === 'running', (long) => {
    const text = rolloutNotice(r);
    const kind = r.state === 'done' && r.counts.failed === 0 ? 'success' : r.state === 'halted' || r.state === 'interrupted' || r.counts.failed > 0 ? 'error' : 'info';
    useUi.getState().toast(kind, text);
    if (long) notify(text, `rollout:${r.id}`, () => useUi.getState().navigate('rollouts', r.id));
  });
}

function onJob(job: Job): void {
  // A rollout's batches are reported by the rollout.
  if (job.kind === 'rollout') return;
  follow(`job:${job.id}`, job.state === 'running', (long) => {
    const text = jobNotice(job);
    useUi.getState().toast(job.state === 'done' ? 'success' : job.state === 'canceled' ? 'info' : 'error', text);
    const device = job.devices.length === 1 ? job.devices[0]!.deviceId : null;
    if (long) notify(text, `job:${job.id}`, () => (device ? useUi.getState().navigate('devices', device) : useUi.getState().navigate('rollouts')));
  });
}

function onFlash(f: Flash): void {
  follow(`flash:${f.id}`, f.state === 'running', (long) => {
    const text = flashNotice(f);
    useUi.getState().toast(f.state === 'done' ? 'success' : f.state === 'canceled' ? 'info' : 'error', text);
    if (long) notify(text, `flash:${f.id}`, () => useUi.getState().navigate('flash'));
  });
}

/** "edge-01 provisioned: installed on /dev/sda and booted …", or what went wrong. */
export function provisionNotice(r: ProvisionRun): string {
  if (r.state === 'done') return `${r.name} provisioned${r.outcome ? `: ${r.outcome}` : ''}`;
  const word = stateWord[r.state] ?? r.state;
  return `Provisioning ${r.name} ${word}${r.error ? `: ${r.error.message}` : r.outcome ? `: ${r.outcome}` : ''}`;
}

/** Runs whose host key request was announced (once per run). */
const hostKeyAsked = new Set<string>();

function onProvision(r: ProvisionRun): void {
  const open = (): void => useUi.getState().navigate('provision');
  // A batch that accepts new keys passes through the phase without asking anyone.
  if (r.state === 'running' && r.phase === 'host-key' && r.hostKey && r.hostKeyConfirmation === 'ask' && !hostKeyAsked.has(r.id)) {
    hostKeyAsked.add(r.id);
    const text = `${r.name} waits for you to confirm its new host key (${r.hostKey.fingerprint})`;
    useUi.getState().toast('info', text);
    notify(text, `provision-key:${r.id}`, open);
  }
  follow(`provision:${r.id}`, r.state === 'running' || r.state === 'pending', (long) => {
    const text = provisionNotice(r);
    useUi.getState().toast(r.state === 'done' ? 'success' : r.state === 'canceled' ? 'info' : 'error', text);
    if (long) notify(text, `provision:${r.id}`, open);
  });
}

/** Starts following jobs, rollouts, flashes and provisioning runs; call once at startup. */
export function startNotices(): void {
  client.on('rollout.updated', onRollout);
  client.on('job.updated', onJob);
  client.on('flash.progress', onFlash);
  client.on('provision.updated', onProvision);
}
