import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Clock } from '../clock';
import { cleanupTempDirs, closeTestCores, ok, openTestCore } from '../test-support';

/**
 * How long a site keeps its terminal recordings: past `keepRecordingsDays` after a session ended,
 * its file and row go (at open and every six hours), one activity entry per site says how many;
 * running sessions, other sites and sites that keep them for ever are left alone.
 */
afterAll(() => {
  closeTestCores();
  cleanupTempDirs();
});

const DAY = 86_400_000;

describe('recording retention', () => {
  it("removes what a site keeps no longer, and nothing else", async () => {
    let now = Date.parse('2026-11-24T12:00:00Z');
    const clock: Clock = { now: () => new Date(now).toISOString() };
    const core = openTestCore({ clock });
    await ok(core, 'sites.add', { name: 'plant-7', recordTerminals: true, keepRecordingsDays: 30 });
    await ok(core, 'sites.add', { name: 'archive', recordTerminals: true });
    const plc = await ok(core, 'devices.add', { name: 'plc-1', host: '10.0.0.1', site: 'plant-7' });
    const kiosk = await ok(core, 'devices.add', { name: 'kiosk', host: '10.0.0.2', site: 'archive' });
    // Sessions as the terminal service records them: a row and its .cast file.
    mkdirSync(join(core.dataDir, 'recordings'), { recursive: true });
    const record = (id: string, device: { id: string; name: string } | null, site: string, endedDaysAgo: number | null) => {
      const file = `recordings/${id}.cast`;
      writeFileSync(join(core.dataDir, file), '{"version": 2, "width": 80, "height": 24}\n');
      const ended = endedDaysAgo === null ? null : new Date(now - endedDaysAgo * DAY).toISOString();
      core.db
        .prepare('INSERT INTO terminal_recordings (id, device_id, device_name, site_name, actor, via, cols, rows, started_at, ended_at, file) VALUES (?, ?, ?, ?, ?, ?, 80, 24, ?, ?, ?)')
        .run(id, device?.id ?? null, device?.name ?? 'gone-1', site, 'ana', 'desktop', new Date(now - 60 * DAY).toISOString(), ended, file);
      return file;
    };
    const old = record('a0000000-0000-7000-8000-000000000001', plc, 'plant-7', 31);
    const recent = record('a0000000-0000-7000-8000-000000000002', plc, 'plant-7', 29);
    const running = record('a0000000-0000-7000-8000-000000000003', plc, 'plant-7', null);
    const removedDevice = record('a0000000-0000-7000-8000-000000000004', null, 'plant-7', 45);
    const forever = record('a0000000-0000-7000-8000-000000000005', kiosk, 'archive', 400);

    expect(core.terminals.pruneRecordings(core.actor)).toBe(2);
    expect([old, recent, running, removedDevice, forever].map((f) => existsSync(join(core.dataDir, f)))).toEqual([false, true, true, false, true]);
    expect((await ok(core, 'recordings.list', {})).map((r) => r.id).sort()).toEqual(['a0000000-0000-7000-8000-000000000002', 'a0000000-0000-7000-8000-000000000003', 'a0000000-0000-7000-8000-000000000005']);
    const log = (await ok(core, 'activity.list', { limit: 5 })).items.filter((e) => e.action === 'recordings.pruned');
    expect(log.map((e) => e.summary)).toEqual(['Removed 2 terminal recordings of site plant-7 older than its 30 days']);

    // Nothing more is due until time passes; then the next one goes.
    expect(core.terminals.pruneRecordings(core.actor)).toBe(0);
    now += 2 * DAY;
    expect(core.terminals.pruneRecordings(core.actor)).toBe(1);
    expect(existsSync(join(core.dataDir, recent))).toBe(false);

    // "For ever" again: nothing of that site is removed, however old.
    await ok(core, 'sites.update', { site: 'plant-7', keepRecordingsDays: null });
    expect((await ok(core, 'sites.list', {})).find((s) => s.name === 'plant-7')).toMatchObject({ keepRecordingsDays: null });
    now += 400 * DAY;
    expect(core.terminals.pruneRecordings(core.actor)).toBe(0);
  });

  it('runs when the inventory is opened', async () => {
    const first = openTestCore();
    await ok(first, 'sites.add', { name: 's', keepRecordingsDays: 1 });
    const dev = await ok(first, 'devices.add', { name: 'd', host: 'h', site: 's' });
    mkdirSync(join(first.dataDir, 'recordings'), { recursive: true });
    writeFileSync(join(first.dataDir, 'recordings', 'b0000000-0000-7000-8000-000000000001.cast'), '{}\n');
    first.db
      .prepare("INSERT INTO terminal_recordings (id, device_id, device_name, site_name, actor, via, cols, rows, started_at, ended_at, file) VALUES (?, ?, 'd', 's', 'ana', 'cli', 80, 24, ?, ?, ?)")
      .run('b0000000-0000-7000-8000-000000000001', dev.id, '2020-01-01T00:00:00.000Z', '2020-01-01T01:00:00.000Z', 'recordings/b0000000-0000-7000-8000-000000000001.cast');
    first.close();
    const again = openTestCore({ dataDir: first.dataDir });
    expect(await ok(again, 'recordings.list', {})).toEqual([]);
    expect(existsSync(join(first.dataDir, 'recordings', 'b0000000-0000-7000-8000-000000000001.cast'))).toBe(false);
  });
});
