/**
 * Import from SSH: devices from an ssh config, then their host keys from a known_hosts file,
 * through the dialog on the Devices page. No device lab: nothing is contacted.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, openApp, test } from './fixtures';

const SHOTS = join(__dirname, '.artifacts', 'screenshots');

/** A fresh ed25519 key pair: the public key's "type base64" and its SHA256 fingerprint. */
function hostKey(dir: string, name: string): { line: string; fingerprint: string } {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', file]);
  const line = readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${file}.pub`], { encoding: 'utf8' }).split(/\s+/)[1]!;
  return { line, fingerprint };
}

const CONFIG = `Host edge-01
  HostName 192.0.2.41
  Port 2201

Host edge-02
  HostName edge-02.example.net
  User admin
  ProxyJump jump@bastion.example.net:2222

Host bastion
  HostName bastion.example.net
  Port 2222
  ProxyCommand ssh -W %h:%p gw

Host bad-port
  HostName 192.0.2.99
  Port 99999

# Defaults: ssh takes the first value it finds, so these come last.
Host *
  User core
  IdentityFile ~/.ssh/id_fleet
`;

test.use({ isolatedHome: true });

test.describe('import from SSH', () => {
  test('devices from an ssh config, then their host keys from known_hosts', async ({ page, serve }) => {
    const home = serve.home!;
    const files = join(serve.dataDir, 'files');
    mkdirSync(files);
    expect((await serve.cli(['sites', 'add', 'lab'])).code).toBe(0);

    await openApp(page, serve.url);
    await page.getByTestId('nav-devices').click();
    await page.getByTestId('devices-import-ssh').click();
    const dialog = page.getByRole('dialog', { name: 'Import from SSH' });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByTestId('ssh-import-tab-config')).toHaveAttribute('aria-selected', 'true');
    await expect(dialog.getByTestId('ssh-import-source-home')).toBeChecked();
    await expect(dialog.getByTestId('ssh-import-submit')).toBeDisabled();

    // The server's own ~/.ssh/config does not exist yet: said inline, nothing imported.
    await dialog.getByTestId('ssh-import-preview').click();
    await expect(dialog.getByTestId('ssh-import-error')).toContainText(`There is no ${home}/.ssh/config.`);
    await expect(dialog.getByTestId('ssh-import-error')).toContainText('A file I choose');
    await page.screenshot({ path: join(SHOTS, 'ssh-import-missing.png') });

    // Once it exists, the default source reads it on the server.
    mkdirSync(join(home, '.ssh'));
    writeFileSync(join(home, '.ssh', 'config'), 'Host edge-03\n  HostName 192.0.2.43\n');
    await dialog.getByTestId('ssh-import-preview').click();
    await expect(dialog.getByTestId('ssh-import-error')).toHaveCount(0);
    await expect(dialog.getByTestId('ssh-import-source')).toContainText(`${home}/.ssh/config`);
    await expect(dialog.getByTestId('ssh-host-row')).toHaveCount(1);
    await expect(dialog.locator('[data-testid="ssh-host-row"][data-alias="edge-03"]')).toHaveAttribute('data-action', 'add');

    // A file chosen in the browser: its text is sent. New devices go to the site chosen.
    const configPath = join(files, 'config');
    writeFileSync(configPath, CONFIG);
    await dialog.getByTestId('ssh-import-file').setInputFiles(configPath);
    await expect(dialog.getByTestId('ssh-import-source-file')).toBeChecked();
    await expect(dialog.getByTestId('ssh-import-file-name')).toHaveText('config');
    await expect(dialog.getByTestId('ssh-config-report')).toHaveCount(0); // a new source needs a new preview
    await dialog.getByTestId('ssh-import-site').selectOption('lab');
    await dialog.getByTestId('ssh-import-preview').click();

    const rows = dialog.getByTestId('ssh-host-row');
    await expect(rows).toHaveCount(4);
    const row = (alias: string) => dialog.locator(`[data-testid="ssh-host-row"][data-alias="${alias}"]`);
    await expect(row('edge-01')).toHaveAttribute('data-action', 'add');
    await expect(row('edge-01')).toContainText('192.0.2.41');
    await expect(row('edge-01')).toContainText('2201');
    await expect(row('edge-01')).toContainText('core');
    await expect(row('edge-01')).toContainText(`${home}/.ssh/id_fleet`);
    await expect(row('edge-02')).toContainText('jump@bastion.example.net:2222');
    await expect(row('edge-02')).toContainText('admin');
    await expect(row('bastion')).toHaveAttribute('data-action', 'add');
    const notes = (alias: string) => dialog.locator(`[data-testid="ssh-host-notes"][data-alias="${alias}"]`);
    await expect(notes('bastion').getByTestId('ssh-host-warning')).toContainText('ProxyCommand is not supported');
    await expect(notes('edge-01')).toHaveCount(0);
    await expect(row('bad-port')).toHaveAttribute('data-action', 'skip');
    await expect(notes('bad-port').getByTestId('ssh-host-reason')).toContainText('99999');
    await expect(row('bad-port').getByTestId('ssh-host-action')).toHaveText('Skip');
    await expect(dialog.getByTestId('ssh-count-add')).toHaveText('3');
    await expect(dialog.getByTestId('ssh-count-skip')).toHaveText('1');
    await expect(dialog.getByTestId('ssh-import-submit')).toHaveText('Import 3 devices');
    await page.screenshot({ path: join(SHOTS, 'ssh-import-preview.png') });
    await notes('bad-port').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'ssh-import-preview-table.png') });
    // A dry run writes nothing.
    expect((JSON.parse((await serve.cli(['devices', 'list', '--json'])).stdout) as { total: number }).total).toBe(0);

    await dialog.getByTestId('ssh-import-submit').click();
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId('toast').filter({ hasText: 'Imported config: 3 devices added, 1 entry skipped' })).toBeVisible();
    await expect(page.getByTestId('devices-count')).toContainText('3 devices');
    const deviceRow = (name: string) => page.locator(`[data-testid="device-row"][data-name="${name}"]`);
    await expect(deviceRow('edge-01')).toContainText('core@192.0.2.41:2201');
    await expect(deviceRow('edge-02')).toContainText('admin@edge-02.example.net:22');
    await expect(deviceRow('bastion')).toContainText('bastion.example.net:2222');
    await expect(deviceRow('edge-01')).toContainText('lab');
    await expect(deviceRow('bad-port')).toHaveCount(0);
    await page.screenshot({ path: join(SHOTS, 'ssh-import-devices.png') });
    const edge02 = JSON.parse((await serve.cli(['devices', 'show', 'edge-02', '--json'])).stdout) as Record<string, unknown>;
    expect(edge02).toMatchObject({ host: 'edge-02.example.net', port: 22, user: 'admin', proxyJump: 'jump@bastion.example.net:2222', keyPath: `${home}/.ssh/id_fleet`, siteName: 'lab' });

    // Known hosts: edge-01's key is pinned; edge-02 already has another key pinned (left alone);
    // every key listed for bastion is revoked; one line is garbage.
    const [k1, k2, k3, pinnedBefore] = ['k1', 'k2', 'k3', 'k4'].map((n) => hostKey(files, n)) as [ReturnType<typeof hostKey>, ReturnType<typeof hostKey>, ReturnType<typeof hostKey>, ReturnType<typeof hostKey>];
    const pre = join(files, 'pre_known_hosts');
    writeFileSync(pre, `edge-02.example.net ${pinnedBefore.line}\n`);
    expect((await serve.cli(['hostkeys', 'import', pre])).code).toBe(0);
    const knownHosts = join(files, 'known_hosts');
    writeFileSync(
      knownHosts,
      [
        `[192.0.2.41]:2201 ${k1.line}`,
        `edge-02.example.net ${k2.line}`,
        `[bastion.example.net]:2222 ${k3.line}`,
        `@revoked [bastion.example.net]:2222 ${k3.line}`,
        'this line is not a key',
        '',
      ].join('\n'),
    );

    await page.getByTestId('devices-import-ssh').click();
    await expect(dialog).toBeVisible();
    await dialog.getByTestId('ssh-import-tab-known-hosts').click();
    await expect(dialog.getByTestId('ssh-import-tab-known-hosts')).toHaveAttribute('aria-selected', 'true');
    await expect(dialog.getByTestId('ssh-import-source-home')).toBeChecked();
    await expect(dialog.getByTestId('ssh-import-submit')).toHaveText('Pin keys');
    await dialog.getByTestId('ssh-import-file').setInputFiles(knownHosts);
    await dialog.getByTestId('ssh-import-preview').click();
    const report = dialog.getByTestId('known-hosts-report');
    await expect(report).toBeVisible();
    await expect(dialog.getByTestId('hostkey-pin-row')).toHaveCount(1);
    await expect(dialog.getByTestId('hostkey-pin-row')).toHaveAttribute('data-device', 'lab/edge-01');
    await expect(dialog.getByTestId('hostkey-pin-row')).toContainText(k1.fingerprint);
    await expect(dialog.getByTestId('hostkey-conflicts')).toContainText('left as it is');
    await expect(dialog.getByTestId('hostkey-conflict-row')).toHaveAttribute('data-device', 'lab/edge-02');
    await expect(dialog.getByTestId('hostkey-conflict-row')).toContainText(pinnedBefore.fingerprint);
    await expect(dialog.getByTestId('hostkey-conflict-row')).toContainText(k2.fingerprint);
    await expect(dialog.getByTestId('hostkey-revoked-row')).toHaveAttribute('data-device', 'lab/bastion');
    await expect(dialog.getByTestId('hostkeys-count-not-listed')).toHaveText('0');
    await expect(report).toContainText('1 line could not be read');
    await expect(dialog.getByTestId('ssh-import-submit')).toHaveText('Pin 1 key');
    await page.screenshot({ path: join(SHOTS, 'ssh-import-known-hosts.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect(page.locator('html[data-theme="dark"]')).toBeAttached();
    await page.screenshot({ path: join(SHOTS, 'ssh-import-known-hosts-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });

    await dialog.getByTestId('ssh-import-submit').click();
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId('toast').filter({ hasText: 'Pinned 1 host key from known_hosts' })).toBeVisible();
    const keys = JSON.parse((await serve.cli(['hostkeys', 'list', '--json'])).stdout) as { label: string; fingerprint: string; source: string }[];
    const byLabel = Object.fromEntries(keys.map((k) => [k.label.replace(/^.*\//, ''), k]));
    expect(byLabel['edge-01']).toMatchObject({ fingerprint: k1.fingerprint, source: 'known_hosts' });
    expect(byLabel['edge-02']?.fingerprint).toBe(pinnedBefore.fingerprint);
    expect(byLabel.bastion).toBeUndefined();

    // The device page shows the pinned key.
    await deviceRow('edge-01').getByTestId('device-link').click();
    await expect(page.getByTestId('hostkey-fingerprint')).toHaveText(k1.fingerprint);
    await expect(page.getByTestId('hostkey-source')).toContainText('imported from known_hosts');
  });
});
