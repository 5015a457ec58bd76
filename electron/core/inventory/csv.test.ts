import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppErrorShape, Device, ImportReport } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';
import type { BootfleetCore } from '../app';
import { cleanupTempDirs, closeTestCores, countRows, fails, ok, openTestCore, recordEvents } from '../test-support';
import { devicesToCsv, parseCsvBool, readDeviceCsv } from './csv';

afterEach(() => {
  closeTestCores();
  cleanupTempDirs();
});

function csvError(text: string): AppError {
  try {
    readDeviceCsv(text);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected CSV_INVALID');
}

describe('readDeviceCsv', () => {
  it('reads columns in any order and header case, with line numbers', () => {
    const rows = readDeviceCsv('Host, NAME ,Port\n10.0.0.1,e1,22\n10.0.0.2,e2,\n');
    expect(rows).toEqual([
      { line: 2, values: { host: '10.0.0.1', name: 'e1', port: '22' } },
      { line: 3, values: { host: '10.0.0.2', name: 'e2' } },
    ]);
  });

  it('ignores a byte-order mark and CRLF line ends', () => {
    const rows = readDeviceCsv('\uFEFFname,host\r\ne1,h1\r\n');
    expect(rows).toEqual([{ line: 2, values: { name: 'e1', host: 'h1' } }]);
  });

  it('reads quoted fields holding commas, quotes and newlines, and counts lines after them', () => {
    const rows = readDeviceCsv('name,host,notes\ne1,h1,"rack 4, shelf 2\nsecond ""line"""\ne2,h2,plain\n');
    expect(rows[0]!.values.notes).toBe('rack 4, shelf 2\nsecond "line"');
    expect(rows[1]).toEqual({ line: 4, values: { name: 'e2', host: 'h2', notes: 'plain' } });
  });

  it('numbers the rows after a quoted field that holds a CRLF line break', () => {
    // Windows tools write CRLF both between records and inside quoted cells.
    const rows = readDeviceCsv('name,host,notes\r\ne1,h1,"first\r\nsecond"\r\ne2,h2,x\r\n');
    expect(rows.map((r) => r.line)).toEqual([2, 4]);
  });

  it('gives a row that spans several lines the line where it starts', () => {
    const rows = readDeviceCsv('name,host,notes\ne1,h1,"a\nb\nc"\ne2,h2,x\n');
    expect(rows.map((r) => r.line)).toEqual([2, 5]);
  });

  it('skips blank lines but keeps counting them', () => {
    const rows = readDeviceCsv('name,host\n\ne1,h1\n\n\ne2,h2\n');
    expect(rows.map((r) => r.line)).toEqual([3, 6]);
  });

  it('flags a row with more or fewer fields than the header', () => {
    const rows = readDeviceCsv('name,host,port\ne1,h1\ne2,h2,22,extra\n');
    expect(rows[0]!.fieldCountError).toBe('has 2 fields, the header has 3');
    expect(rows[1]!.fieldCountError).toBe('has 4 fields, the header has 3');
  });

  it('refuses an unknown column, naming it', () => {
    const err = csvError('name,host,colour\ne1,h1,red\n');
    expect(err.code).toBe(ErrorCode.CSV_INVALID);
    expect(err.message).toContain('"colour"');
    expect(err.details).toEqual({ column: 'colour', line: 1 });
  });

  it('refuses a header without the host column, or without the name column', () => {
    const noHost = csvError('name,port\ne1,22\n');
    expect(noHost.code).toBe(ErrorCode.CSV_INVALID);
    expect(noHost.message).toContain('"host"');
    expect(csvError('host\nh1\n').message).toContain('"name"');
  });

  it('refuses a column named twice, an empty file and an unclosed quote', () => {
    expect(csvError('name,host,Name\n').message).toMatch(/"name" appears twice/);
    expect(csvError('').message).toMatch(/empty/);
    const quote = csvError('name,host\ne1,h1\ne2,"h2\n');
    expect(quote.code).toBe(ErrorCode.CSV_INVALID);
    expect(quote.message).toMatch(/cannot be read/);
  });
});

describe('parseCsvBool', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['yes', true],
    ['Y', true],
    ['1', true],
    ['false', false],
    ['No', false],
    ['n', false],
    ['0', false],
    ['', false],
    [undefined, false],
    ['maybe', undefined],
    ['2', undefined],
  ])('reads %j as %j', (v, expected) => {
    expect(parseCsvBool(v)).toBe(expected);
  });
});

describe('devicesToCsv', () => {
  it('writes the import columns in order and quotes what needs quoting', () => {
    const d: Device = {
      id: 'x',
      name: 'e1',
      siteId: null,
      siteName: 'lab',
      host: '::1',
      port: 2222,
      user: null,
      auth: 'agent',
      keyPath: null,
      hasSecret: false,
      sudo: true,
      tags: ['a', 'b'],
      notes: 'one, "two"\nthree',
      desiredImage: null,
      proxyJump: null,
      desired: { state: 'none', image: null, source: null, sourceName: null, digest: null, pinned: false, resolvedAt: null, conflicts: [] },
      status: { reach: 'never', stale: false, lastAttemptAt: null, lastSeenAt: null, error: null, bootedImage: null, bootedAs: null, booted: null, staged: null, rollback: null, update: null },
      createdAt: 't',
      updatedAt: 't',
    };
    expect(devicesToCsv([d])).toBe('name,host,port,user,site,tags,sudo,key,image,notes\ne1,::1,2222,,lab,a;b,true,,,"one, ""two""\nthree"\n');
  });
});

describe('devices.import', () => {
  let core: BootfleetCore;
  beforeEach(() => {
    core = openTestCore();
  });

  const importCsv = (csv: string, dryRun = false) => ok(core, 'devices.import', { csv, dryRun, fileName: 'fleet.csv' });

  it('imports every row of a valid file and creates the sites it names', async () => {
    await ok(core, 'sites.add', { name: 'Lab' });
    const csv = [
      'SUDO,Tags,name,HOST,port,user,site,key,notes',
      'yes,edge; prod ;;canary,e1,10.0.0.1,2222,core,lab,/root/.ssh/id,"rack 4, shelf 2"',
      'no,,e2,[fe80::1],,,Plant,,',
      '1,edge,e3,e3.example,,,plant,,"multi',
      'line"',
      '0,,e4,10.0.0.4,,,,,',
      'Y,,e5,10.0.0.5,,,,,',
      'false,,e6,10.0.0.6,,,,,',
    ].join('\n');
    const r = await importCsv(csv);
    expect(r).toMatchObject({ dryRun: false, total: 6, valid: 6, invalidCount: 0, invalidRows: [], imported: 6, newSites: ['Plant'] });
    const page = await ok(core, 'devices.list', { sort: 'name' });
    const byName = Object.fromEntries(page.items.map((d) => [d.name, d]));
    expect(byName.e1).toMatchObject({
      host: '10.0.0.1',
      port: 2222,
      user: 'core',
      siteName: 'Lab',
      tags: ['canary', 'edge', 'prod'],
      sudo: true,
      auth: 'key',
      keyPath: '/root/.ssh/id',
      notes: 'rack 4, shelf 2',
    });
    expect(byName.e2).toMatchObject({ host: 'fe80::1', port: 22, siteName: 'Plant', sudo: false, auth: 'agent', tags: [] });
    expect(byName.e3).toMatchObject({ siteName: 'Plant', sudo: true, notes: 'multi\nline' });
    expect([byName.e4!.sudo, byName.e5!.sudo, byName.e6!.sudo]).toEqual([false, true, false]);
    expect(byName.e4!.siteName).toBeNull();
    expect((await ok(core, 'sites.list', {})).map((s) => [s.name, s.deviceCount])).toEqual([
      ['Lab', 1],
      ['Plant', 2],
    ]);
  });

  it('logs the import, each device and each new site, and announces one change', async () => {
    const rec = recordEvents(core);
    await importCsv('name,host,site\ne1,h1,lab\ne2,h2,\n');
    const { items } = await ok(core, 'activity.list', {});
    expect(items.map((e) => e.action)).toEqual(['devices.imported', 'device.imported', 'device.imported', 'site.added']);
    expect(items[0]).toMatchObject({ entityType: 'import', entityName: 'fleet.csv', summary: 'Imported 2 devices from fleet.csv and created 1 site' });
    expect(rec.events.map((e) => e.name)).toEqual(['inventory.changed', 'activity.appended']);
    expect(rec.events[0]!.payload).toEqual({ entity: 'all' });
  });

  it('checks a valid file in a dry run without writing anything', async () => {
    const r = await importCsv('name,host,site,tags\ne1,h1,lab,a;b\ne2,h2,,\n', true);
    expect(r).toMatchObject({ dryRun: true, total: 2, valid: 2, invalidCount: 0, imported: 0, newSites: ['lab'] });
    expect(r.preview).toEqual([
      { line: 2, name: 'e1', site: 'lab', errors: [], host: 'h1', port: 22, tags: ['a', 'b'] },
      { line: 3, name: 'e2', site: null, errors: [], host: 'h2', port: 22, tags: [] },
    ]);
    expect(countRows(core, 'devices')).toBe(0);
    expect(countRows(core, 'sites')).toBe(0);
    expect(countRows(core, 'activity')).toBe(0);
  });

  describe('a file with bad rows', () => {
    const BAD = [
      'name,host,port,site,sudo',
      'ok1,10.0.0.1,22,lab,yes', // 2: fine
      'badhost,x y,22,,no', // 3
      'badport,10.0.0.4,2x,,', // 4
      'OK1,10.0.0.5,22,LAB,', // 5: repeats line 2 (same site, other case)
      'existing,10.0.0.6,22,,', // 6: already in the inventory
      'badsudo,10.0.0.7,22,,maybe', // 7
      'short,10.0.0.8', // 8: two fields
      'ok2,10.0.0.9,22,,', // 9: fine
    ].join('\n');

    beforeEach(async () => {
      await ok(core, 'devices.add', { name: 'existing', host: 'old' });
    });

    it('reports each bad row with its line and column in a dry run', async () => {
      const r = await importCsv(BAD, true);
      expect(r).toMatchObject({ dryRun: true, total: 8, valid: 2, invalidCount: 6, imported: 0, newSites: ['lab'] });
      const summary = r.invalidRows.map((row) => [row.line, row.name, row.errors.map((e) => e.column)]);
      expect(summary).toEqual([
        [3, 'badhost', ['host']],
        [4, 'badport', ['port']],
        [5, 'OK1', ['name']],
        [6, 'existing', ['name']],
        [7, 'badsudo', ['sudo']],
        [8, 'short', ['*']],
      ]);
      const messages = Object.fromEntries(r.invalidRows.map((row) => [row.line, row.errors[0]!.message]));
      expect(messages[5]).toBe('repeats the device on line 2');
      expect(messages[6]).toMatch(/already exists/);
      expect(messages[7]).toMatch(/"maybe"/);
      expect(messages[8]).toMatch(/5/);
      expect(countRows(core, 'devices')).toBe(1);
    });

    it('refuses the whole file with CSV_INVALID and the report, writing nothing', async () => {
      const before = { devices: countRows(core, 'devices'), sites: countRows(core, 'sites'), activity: countRows(core, 'activity') };
      const rec = recordEvents(core);
      const err: AppErrorShape = await fails(core, 'devices.import', { csv: BAD });
      expect(err.code).toBe(ErrorCode.CSV_INVALID);
      expect(err.message).toMatch(/6 of 8 rows/);
      expect(err.message).toMatch(/line 3, host/);
      const report = err.details as ImportReport;
      expect(report.invalidRows.map((row) => row.line)).toEqual([3, 4, 5, 6, 7, 8]);
      expect(report.imported).toBe(0);
      expect({ devices: countRows(core, 'devices'), sites: countRows(core, 'sites'), activity: countRows(core, 'activity') }).toEqual(before);
      expect(rec.events).toEqual([]);
    });
  });

  it('refuses a file with an unknown column, naming it, and writes nothing', async () => {
    const err = await fails(core, 'devices.import', { csv: 'name,host,colour\ne1,h1,red\n' });
    expect(err.code).toBe(ErrorCode.CSV_INVALID);
    expect(err.message).toContain('colour');
    expect(countRows(core, 'devices')).toBe(0);
  });

  it('refuses a file without a host column', async () => {
    const err = await fails(core, 'devices.import', { csv: 'name,port\ne1,22\n', dryRun: true });
    expect(err.code).toBe(ErrorCode.CSV_INVALID);
    expect(err.message).toContain('"host"');
  });

  it('refuses a header with no rows', async () => {
    expect((await fails(core, 'devices.import', { csv: 'name,host\n' })).code).toBe(ErrorCode.CSV_INVALID);
  });

  it('reports a relative key path under the key column', async () => {
    const r = await importCsv('name,host,key\ne1,h1,relative/id\n', true);
    expect(r.invalidRows).toEqual([{ line: 2, name: 'e1', site: null, errors: [{ column: 'key', message: expect.stringMatching(/absolute/) }] }]);
  });
});

describe('devices.export', () => {
  let core: BootfleetCore;
  beforeEach(async () => {
    core = openTestCore();
    await ok(core, 'sites.add', { name: 'lab' });
    await ok(core, 'sites.add', { name: 'plant' });
    await ok(core, 'devices.add', {
      name: 'e1',
      host: '10.0.0.1',
      port: 2222,
      user: 'core',
      site: 'lab',
      tags: ['edge', 'ring=canary'],
      sudo: true,
      keyPath: '/root/.ssh/id_ed25519',
      notes: 'rack 4, shelf "2"\nsecond line',
    });
    await ok(core, 'devices.add', { name: 'e1', host: 'fe80::1', site: 'plant', tags: ['edge'] });
    await ok(core, 'devices.add', { name: 'loose', host: 'loose.example', notes: 'a;b' });
  });

  const comparable = (items: Device[]) =>
    items
      .map((d) => ({
        name: d.name,
        site: d.siteName,
        host: d.host,
        port: d.port,
        user: d.user,
        auth: d.auth,
        keyPath: d.keyPath,
        sudo: d.sudo,
        tags: d.tags,
        notes: d.notes,
      }))
      .sort((a, b) => `${a.site}/${a.name}`.localeCompare(`${b.site}/${b.name}`));

  it('exports CSV that re-imports into a new data directory as the same devices', async () => {
    const exp = await ok(core, 'devices.export', { format: 'csv' });
    expect(exp).toMatchObject({ format: 'csv', count: 3 });
    const fresh = openTestCore();
    const r = await ok(fresh, 'devices.import', { csv: exp.content });
    expect(r.imported).toBe(3);
    const original = (await ok(core, 'devices.list', {})).items;
    const copy = (await ok(fresh, 'devices.list', {})).items;
    expect(comparable(copy)).toEqual(comparable(original));
    expect((await ok(fresh, 'sites.list', {})).map((s) => s.name)).toEqual(['lab', 'plant']);
  });

  it('carries the desired image through a CSV export and re-import', async () => {
    await ok(core, 'devices.add', { name: 'imaged', host: 'h', desiredImage: 'quay.io/fedora/fedora-bootc:42' });
    const exp = await ok(core, 'devices.export', { format: 'csv', search: 'imaged' });
    const fresh = openTestCore();
    await ok(fresh, 'devices.import', { csv: exp.content });
    expect((await ok(fresh, 'devices.get', { device: 'imaged' })).desiredImage).toBe('quay.io/fedora/fedora-bootc:42');
  });

  it('exports JSON with every device and its tags, and without stored passwords', async () => {
    await ok(core, 'devices.add', { name: 'pw', host: 'h', auth: 'password', secret: 'Export-Sentinel-42' });
    const exp = await ok(core, 'devices.export', { format: 'json' });
    expect(exp.format).toBe('json');
    const list = JSON.parse(exp.content) as Device[];
    expect(list).toHaveLength(4);
    expect(list.find((d) => d.name === 'pw')).toMatchObject({ auth: 'password', hasSecret: true });
    expect(list.find((d) => d.siteName === 'lab')).toMatchObject({ name: 'e1', tags: ['edge', 'ring=canary'], port: 2222, sudo: true });
    expect(list.find((d) => d.name === 'loose')).toMatchObject({ tags: [], siteName: null });
    expect(exp.content).not.toContain('Export-Sentinel-42');
    expect((await ok(core, 'devices.export', { format: 'csv' })).content).not.toContain('Export-Sentinel-42');
  });

  it('exports only the devices matching the filter', async () => {
    const bySite = await ok(core, 'devices.export', { format: 'json', site: 'plant' });
    expect((JSON.parse(bySite.content) as Device[]).map((d) => d.host)).toEqual(['fe80::1']);
    expect(bySite.count).toBe(1);
    const byTag = await ok(core, 'devices.export', { format: 'csv', tags: ['ring=canary'] });
    expect(byTag.count).toBe(1);
    expect(byTag.content.trim().split('\n')[1]).toMatch(/^e1,10\.0\.0\.1,2222,core,lab,edge;ring=canary,true,/);
    const none = await ok(core, 'devices.export', { format: 'csv', site: '' });
    expect(readDeviceCsv(none.content).map((r) => r.values.name)).toEqual(['loose']);
    const search = await ok(core, 'devices.export', { format: 'csv', search: 'nothing-matches' });
    expect(search.count).toBe(0);
    expect(search.content).toBe('name,host,port,user,site,tags,sudo,key,image,notes\n');
  });
});
