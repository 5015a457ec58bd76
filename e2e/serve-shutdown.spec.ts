/**
 * `bootfleet serve` stopped (SIGTERM, as systemd or Ctrl+C would) while a flash writes: the flash
 * stops, and the drive's condition is recorded before the process exits, so the next start reads
 * what happened rather than finding an orphan.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, runCli, startServe, test } from './fixtures';

const canRun = process.getuid?.() === 0;
if (!canRun && process.env.CI) throw new Error('the serve shutdown test needs root for a loop device');
test.skip(!canRun, 'needs root for a loop device');

test('SIGTERM while a drive is written: the flash stops and what the drive holds is recorded before exit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bootfleet-serve-stop-'));
  let stick: string | null = null;
  try {
    execFileSync('truncate', ['-s', '2100M', join(dir, 'stick.img')]);
    stick = execFileSync('losetup', ['--find', '--show', join(dir, 'stick.img')]).toString().trim();
    execFileSync('truncate', ['-s', '2G', join(dir, 'big.raw')]);
    const data = join(dir, 'data');
    const serve = await startServe(data);
    const token = new URL(serve.url).searchParams.get('token')!;
    const call = async (method: string, input: unknown) => {
      const r = await fetch(`${serve.origin}/api/call`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ method, input }) });
      return (await r.json()) as { ok: boolean; value: { id: string; state: string; targets: { written: number; condition: string }[] }[] & { id: string } };
    };
    const started = await call('flash.start', { image: join(dir, 'big.raw'), drives: [stick] });
    expect(started.ok).toBe(true);
    // Writing and verifying 2 GB takes seconds here; a moment in, it is writing.
    await new Promise((r) => setTimeout(r, 300));
    expect((await call('flash.list', { limit: 1 })).value[0]!.state).toBe('running');

    const exited = new Promise<number | null>((r) => serve.process.once('exit', (code) => r(code)));
    serve.process.kill('SIGTERM');
    expect(await exited).toBe(0);

    const after = await runCli(data, ['flashes', '--json']);
    const [f] = JSON.parse(after.stdout) as { id: string; state: string; targets: { condition: string }[] }[];
    expect(f).toMatchObject({ id: started.value.id, state: 'canceled' });
    expect(f!.targets[0]!.condition).toMatch(/^partially written .*, not bootable$/);
  } finally {
    if (stick) execFileSync('losetup', ['-d', stick]);
    rmSync(dir, { recursive: true, force: true });
  }
});
