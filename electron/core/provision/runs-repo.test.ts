import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, closeTestCores, ok, openTestCore, tempDir } from '../test-support';

afterAll(() => {
  closeTestCores();
  cleanupTempDirs();
});

describe('provisioning runs left behind', () => {
  it('a run whose process is gone is marked interrupted with its phase and a next step, and logged', async () => {
    const dataDir = tempDir();
    const first = openTestCore({ dataDir });
    // A process that has exited: its pid cannot own the run any more.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const now = new Date().toISOString();
    const insert = first.db.prepare(
      `INSERT INTO provision_runs (id, batch_id, host, port, user, name, site, image, params, state, phase, actor, via, pid, pid_host, created_at, updated_at)
       VALUES (?, 'b1', '10.0.0.5', 22, 'root', ?, NULL, 'reg/os:1', '{}', ?, ?, 'tech', 'cli', ?, ?, ?, ?)`,
    );
    const host = hostname();
    insert.run('r1', 'edge-1', 'running', 'installing', Number(gone), host, now, now);
    insert.run('r2', 'edge-2', 'pending', 'queued', Number(gone), host, now, now);
    insert.run('r3', 'edge-3', 'running', 'installing', process.pid, host, now, now);
    first.close();

    const core = openTestCore({ dataDir });
    const runs = await ok(core, 'provision.list', { batchId: 'b1', limit: 10 });
    const by = Object.fromEntries(runs.map((r) => [r.id, r]));
    expect(by.r1).toMatchObject({ state: 'interrupted', phase: 'installing', error: { code: 'JOB_INTERRUPTED', message: 'Bootfleet stopped while this box was installing.' } });
    expect(by.r1!.error!.next).toMatch(/^Inspect the box: if it runs the installed system/);
    expect(by.r2).toMatchObject({ state: 'interrupted', error: { next: 'Provision it again.' } });
    // A run of a live process (this one) is left alone.
    expect(by.r3!.state).toBe('running');
    const log = await ok(core, 'activity.list', { limit: 10 });
    expect(log.items.filter((a) => a.action === 'device.provision').map((a) => a.summary)).toEqual([
      'Provisioning edge-1 (10.0.0.5:22): interrupted while installing (the Bootfleet process running it stopped)',
    ]);
  });
});
