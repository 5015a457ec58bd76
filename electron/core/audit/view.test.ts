import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, closeTestCores, ok, openTestCore, steppingClock } from '../test-support';

/**
 * audit.view, what the Audit page asks for: the whole fleet's counts with only a page of the
 * devices listed, filtered in the core, and one audit reused while the inventory is unchanged.
 */
afterAll(() => {
  closeTestCores();
  cleanupTempDirs();
});

describe('audit.view', () => {
  it('sends the counts of every device and only the page of those listed; reuses the audit until the inventory changes', async () => {
    const core = openTestCore({ clock: steppingClock() });
    await ok(core, 'sites.add', { name: 'plant-7' });
    await ok(core, 'desired.set', { scope: 'site', target: 'plant-7', image: 'registry.local/os@sha256:' + 'a'.repeat(64) });
    for (let i = 0; i < 30; i++) await ok(core, 'devices.add', { name: `plc-${String(i).padStart(2, '0')}`, host: `10.0.0.${i + 1}`, ...(i < 20 ? { site: 'plant-7' } : {}) });

    const first = await ok(core, 'audit.view', { limit: 5 });
    expect(first.total).toBe(30);
    expect(first.counts).toMatchObject({ 'never-contacted': 30, 'in-sync': 0 });
    expect(first.shown).toBe(30);
    expect(first.devices).toHaveLength(5);
    const none = await ok(core, 'audit.view', { state: 'in-sync', limit: 100 });
    expect(none).toMatchObject({ shown: 0, devices: [], total: 30 });
    const never = await ok(core, 'audit.view', { state: 'never-contacted', limit: 100 });
    expect(never.shown).toBe(30);
    expect(never.devices).toHaveLength(30);
    expect(never.devices.every((d) => d.state === 'never-contacted')).toBe(true);
    expect(never.counts).toEqual(first.counts); // the summary is always the whole scope's
    expect((await ok(core, 'audit.view', { show: 'all', limit: 30 })).devices).toHaveLength(30);
    // The same audit answered all three (one generatedAt), as long as nothing changed.
    expect(never.generatedAt).toBe(first.generatedAt);

    await ok(core, 'devices.add', { name: 'plc-30', host: '10.0.0.31', site: 'plant-7' });
    const after = await ok(core, 'audit.view', { limit: 5 });
    expect(after.generatedAt).not.toBe(first.generatedAt);
    expect(after.total).toBe(31);
    // Another scope is another audit.
    const site = await ok(core, 'audit.view', { site: 'plant-7', limit: 1 });
    expect(site.total).toBe(21);
    expect(site.scope.site).toBe('plant-7');
  });

  it('exports CSV from the core as the CLI writes it', async () => {
    const core = openTestCore();
    await ok(core, 'devices.add', { name: 'plc-1', host: '10.0.0.1' });
    const file = await ok(core, 'audit.export', { format: 'csv' });
    expect(file).toMatchObject({ mediaType: 'text/csv;charset=utf-8', encoding: 'utf8' });
    expect(file.fileName).toMatch(/^bootfleet-audit-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(file.content.split('\r\n').filter((l) => l.startsWith('plc-1,'))).toHaveLength(1);
    expect(file.content).toMatch(/^# /);
  });
});
